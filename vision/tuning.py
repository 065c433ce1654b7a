"""Fine-tune the offline backbone on a catalog's own genuine references (the brand owner's data).

Two ways, both keeping only the backbone (no classifier is kept: the catalog embeds with the
tuned backbone, beside the ImageNet one, ``vision.offline``), both on augmentations that imitate
field photos (crops, flips, colour):
- **late** (the default, ``train_from``): the last blocks (from block 11, stage 6) and the head
  convolution, on 4 augmented views per photo whose activations up to block 11 are computed
  once, with an additive-angular-margin (ArcFace) loss from pytorch-metric-learning: it pulls
  each product's photos together on the unit sphere, which is where the catalog compares them.
  Measured on Grocery Store (scripts/experiments/late_tune.py, evidence.py; val photos, 288 px):
  recall@1 0.78 -> 0.87, claim AUROC of the claim model 0.92 -> 0.967;
- **full**: every layer, fresh augmentations every epoch, a softmax head (5 epochs at 224 px):
  recall@1 0.77 -> 0.82, claim AUROC 0.92 -> 0.95 with the product head (docs/verification.md).
With the same cached views, the late recipe with a plain softmax head reached recall@1 0.85 and
AUROC 0.963: the margin loss is worth its place.
"""

from __future__ import annotations

import math
import random
import sys
from typing import Sequence

import torch
import torch.nn.functional as F
from PIL import Image
from torchvision import transforms
from tqdm import tqdm

from .offline import MEAN, STD, EfficientNetLite0, run_blocks


def _augment(size: int):
    return transforms.Compose([
        transforms.RandomResizedCrop(size, scale=(0.25, 1.0), antialias=True),
        transforms.RandomHorizontalFlip(),
        transforms.ColorJitter(0.3, 0.3, 0.2, 0.03),
        transforms.ToTensor(),
        transforms.Normalize(MEAN, STD),
    ])


def fine_tune(embedder: EfficientNetLite0, images: Sequence[Image.Image], labels: Sequence[int], epochs: int = 5,
              size: int = 224, batch_size: int = 32, seed: int = 0, progress: bool = True,
              train_from: int | None = None, views: int = 4) -> dict[str, torch.Tensor]:
    """Train ``embedder.model`` in place; returns its new state dict (tensors, no pickle).

    ``train_from``: train only the blocks from this one on (and the head convolution), on
    ``views`` augmented views per photo whose activations up to that block are computed once;
    None trains the whole backbone on fresh augmentations every epoch."""
    if not isinstance(embedder, EfficientNetLite0):
        raise TypeError("fine-tuning is implemented for the offline model (EfficientNet-Lite0) only")
    classes = max(labels) + 1
    if classes < 2:
        raise ValueError("fine-tuning needs genuine references of at least two products")
    torch.manual_seed(seed)
    random.seed(seed)
    if train_from is not None:
        return _fine_tune_late(embedder, images, labels, classes, epochs, size, seed, progress, train_from, views)
    augment = _augment(size)
    model = embedder.model
    head = torch.nn.Linear(embedder.dim, classes)
    optimizer = torch.optim.AdamW([{"params": model.parameters(), "lr": 3e-4}, {"params": head.parameters(), "lr": 3e-3}],
                                  weight_decay=1e-4)
    steps = epochs * math.ceil(len(images) / batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=[3e-4, 3e-3], total_steps=steps, pct_start=0.15)
    targets = torch.as_tensor(list(labels), dtype=torch.long)
    bar = tqdm(total=steps, desc="fine-tuning", unit="step", disable=not progress, file=sys.stderr, dynamic_ncols=True)
    try:
        model.train()
        for _ in range(epochs):
            order = torch.randperm(len(images))
            for start in range(0, len(images), batch_size):
                chosen = order[start:start + batch_size]
                batch = torch.stack([augment(images[int(i)]) for i in chosen])
                features = model.extract_features(batch).mean(dim=(2, 3))
                loss = F.cross_entropy(head(F.dropout(features, 0.2)), targets[chosen], label_smoothing=0.1)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                schedule.step()
                bar.update(1)
                bar.set_postfix(loss=f"{loss.item():.3f}")
    finally:
        model.eval()
        bar.close()
    embedder.name = "offline-tuned"
    return {key: value.detach().clone().contiguous() for key, value in model.state_dict().items()}


def _fine_tune_late(embedder, images, labels, classes, epochs, size, seed, progress, train_from, views,
                    batch_size: int = 64) -> dict[str, torch.Tensor]:
    model = embedder.model
    count = len(model._blocks)
    if not 0 < train_from <= count:
        raise ValueError(f"train_from must lie in 1..{count}")
    augment = _augment(size)
    cached, targets = [], []
    bar = tqdm(total=views * len(images), desc="fine-tuning: preparing views", unit="view", disable=not progress,
               file=sys.stderr, dynamic_ncols=True)
    model.eval()
    try:
        with torch.inference_mode():
            for _ in range(views):
                for start in range(0, len(images), 4):  # small batches are fastest on a CPU
                    batch = torch.stack([augment(image) for image in images[start:start + 4]])
                    x = model._swish(model._bn0(model._conv_stem(batch)))
                    cached.append(run_blocks(model, x, 0, train_from).half())
                    bar.update(len(batch))
                targets += list(labels)
    finally:
        bar.close()
    inputs = torch.cat(cached)
    del cached
    targets = torch.as_tensor(targets, dtype=torch.long)
    trainable = list(model._blocks[train_from:]) + [model._conv_head, model._bn1]
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    parameters = [p for module in trainable for p in module.parameters()]
    for parameter in parameters:
        parameter.requires_grad_(True)
    from pytorch_metric_learning.losses import ArcFaceLoss

    # margin 28.6 degrees (0.5 rad) and scale 30: the loss's published defaults for face ids
    criterion = ArcFaceLoss(classes, embedder.dim, margin=28.6, scale=30)
    optimizer = torch.optim.AdamW([{"params": parameters, "lr": 5e-4}, {"params": criterion.parameters(), "lr": 5e-3}],
                                  weight_decay=1e-4)
    steps = epochs * math.ceil(len(inputs) / batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=[5e-4, 5e-3], total_steps=steps, pct_start=0.15)
    generator = torch.Generator().manual_seed(seed)
    bar = tqdm(total=steps, desc="fine-tuning", unit="step", disable=not progress, file=sys.stderr, dynamic_ncols=True)
    try:
        for module in trainable:
            module.train()
        for _ in range(epochs):
            order = torch.randperm(len(inputs), generator=generator)
            for start in range(0, len(inputs), batch_size):
                chosen = order[start:start + batch_size]
                x = run_blocks(model, inputs[chosen].float(), train_from, count)
                features = model._swish(model._bn1(model._conv_head(x))).mean(dim=(2, 3))
                loss = criterion(F.dropout(features, 0.1), targets[chosen])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                schedule.step()
                bar.update(1)
                bar.set_postfix(loss=f"{loss.item():.3f}")
    finally:
        model.eval()
        for parameter in model.parameters():
            parameter.requires_grad_(True)
        bar.close()
    embedder.name = "offline-tuned"
    return {key: value.detach().clone().contiguous() for key, value in model.state_dict().items()}
