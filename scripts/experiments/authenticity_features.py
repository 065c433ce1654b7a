"""Which features tell a reprinted fake from the genuine pack: the catalog vector (global average
pool at 288 px) against detail features (global max pool; 2 x 2 tiles at twice the resolution,
average and max pooled), each in an authenticity model per product (index.judging.authenticity,
out of fold by session), judged on the development reprints' val photos (reprints from makers
seen and unseen in the catalog's fakes) against the products' own val photos.

    python scripts/experiments/authenticity_features.py build/reprints   # the reprint set's folder
"""

import csv
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from index.evaluation import auroc  # noqa: E402
from index.judging import authenticity as A  # noqa: E402
from index.judging.head import similarity_groups  # noqa: E402
from vision import load_embedder, load_photo  # noqa: E402

CACHE = ROOT / "build/exp"


def features(embedder, paths, base: Path, cache: Path) -> dict[str, np.ndarray]:
    if cache.exists():
        with np.load(cache) as stored:
            return {k: stored[k] for k in stored.files}
    out = {k: [] for k in ("gap", "gmp", "tile_gap", "tile_gmp")}
    for i, path in enumerate(paths):
        image = load_photo(base / path, min_side=576).image
        with torch.inference_mode():
            whole = embedder._forward_map(embedder.preprocess(image).unsqueeze(0))[0]  # h, w, d
            side = min(image.size)
            scale = 576 / side
            big = image.resize((max(576, round(image.width * scale)), max(576, round(image.height * scale))))
            left, top = (big.width - 576) // 2, (big.height - 576) // 2
            tiles = [big.crop((left + x, top + y, left + x + 288, top + y + 288)) for y in (0, 288) for x in (0, 288)]
            maps = embedder._forward_map(torch.stack([embedder._normalise_only(t) for t in tiles]))
        out["gap"].append(whole.mean(dim=(0, 1)).numpy())
        out["gmp"].append(whole.amax(dim=(0, 1)).numpy())
        out["tile_gap"].append(maps.mean(dim=(1, 2)).mean(dim=0).numpy())
        out["tile_gmp"].append(maps.amax(dim=(1, 2)).amax(dim=0).numpy())
        if i % 50 == 0:
            print(cache.name, i, len(paths), flush=True)
    arrays = {k: np.stack(v).astype(np.float32) for k, v in out.items()}
    np.savez(cache, **arrays)
    return arrays


def unit(x):
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def main(folder: str) -> None:
    folder = Path(folder)
    CACHE.mkdir(parents=True, exist_ok=True)
    embedder = load_embedder("offline", threads=2)
    import torchvision.transforms as T

    normalise = T.Compose([T.ToTensor(), T.Normalize([0.498] * 3, [0.502] * 3)])
    embedder._normalise_only = normalise
    refs = [r for r in csv.DictReader(open(folder / "products_reprints.csv", encoding="utf-8"))]
    faked = {r["product_id"] for r in refs if r["label"] == "counterfeit"}
    refs = [r for r in refs if r["product_id"] in faked and r["view"] != "catalog"]
    queries = list(csv.DictReader(open(folder / "queries_reprints.csv", encoding="utf-8")))
    unseen = {r["path"] for r in csv.DictReader(open(folder / "queries_reprints_unseen.csv", encoding="utf-8"))}
    R = features(embedder, [r["path"] for r in refs], folder, CACHE / "auth_refs.npz")
    Q = features(embedder, [q["path"] for q in queries], folder, CACHE / "auth_queries.npz")
    products = [r["product_id"] for r in refs]
    labels = [r["label"] for r in refs]
    variants = {
        "catalog vector (GAP 288)": ["gap"],
        "+ GMP 288": ["gap", "gmp"],
        "+ tiles GAP 576": ["gap", "tile_gap"],
        "+ tiles GMP 576": ["gap", "tile_gmp"],
        "+ GMP + tiles GAP/GMP": ["gap", "gmp", "tile_gap", "tile_gmp"],
    }
    q_fake = np.array([q["label"] == "counterfeit" for q in queries])
    q_unseen = np.array([q["path"] in unseen for q in queries])
    for name, parts in variants.items():
        X = unit(np.concatenate([unit(R[p]) for p in parts], axis=1))
        Xq = unit(np.concatenate([unit(Q[p]) for p in parts], axis=1))
        groups = np.zeros(len(refs), np.int64)
        offset = 0
        for key in sorted(set(zip(products, labels))):
            members = np.flatnonzero([(p, l) == key for p, l in zip(products, labels)])
            local = similarity_groups(unit(R["gap"][members]), 0.87)
            groups[members] = local + offset
            offset += int(local.max()) + 1
        models = A.fit(X, products, labels, {}, groups)
        scores, flagged, green, oof = [], [], [], []
        for q, x in zip(queries, Xq):
            ev = models.judge(q["claimed_product_id"], "", x[None, :])
            scores.append(ev.log_odds)
            flagged.append(ev.p_value < 0.025 and ev.log_odds > 0)
            green.append(ev.fake_share <= 0.05)
        for (scope, view), m in models.models.items():
            oof.append(m.auroc)
        scores, flagged, green = map(np.array, (scores, flagged, green))
        print(f"{name:28s} OOF AUROC {np.nanmean(oof):.3f} | val AUROC {auroc(scores[~q_fake], scores[q_fake]):.3f} "
              f"(unseen makers {auroc(scores[~q_fake], scores[q_fake & q_unseen]):.3f}) | fakes flagged "
              f"{flagged[q_fake].mean():.0%}, fakes clear {green[q_fake].mean():.0%} | own flagged "
              f"{flagged[~q_fake].mean():.0%}, own clear {green[~q_fake].mean():.0%}")


if __name__ == "__main__":
    main(sys.argv[1])
