"""Which features tell a reprinted fake from the genuine pack: the catalog vector (global average
pool at 288 px) against detail features (global max pool; 2 x 2 tiles at twice the resolution,
average and max pooled), each in an authenticity model per product (index.judging.authenticity,
out of fold by session), judged on the development reprints' val photos (reprints from makers
seen and unseen in the catalog's fakes) against the products' own val photos.

    python scripts/experiments/authenticity_features.py build/reprints   # the reprint set's folder
    python scripts/experiments/authenticity_features.py build/reprints --global-only   # no tiles: ~5x faster
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


def global_features(embedder, images) -> tuple[np.ndarray, np.ndarray]:
    with torch.inference_mode():
        maps = embedder._forward_map(torch.stack([embedder.preprocess(i) for i in images]))
    return maps.mean(dim=(1, 2)).numpy(), maps.amax(dim=(1, 2)).numpy()


def recaptured_features(embedder, paths, base: Path, cache: Path, copies: int = 2):
    """GAP and GMP of ``copies`` recaptured copies of each photo (capture.py beside this script), row i*copies+k."""
    from capture import recaptured

    if cache.exists():
        with np.load(cache) as stored:
            return stored["gap"], stored["gmp"]
    gap, gmp = [], []
    for i, path in enumerate(paths):
        image = load_photo(base / path, min_side=576).image
        a, b = global_features(embedder, recaptured(image, copies, seed=i))
        gap.append(a)
        gmp.append(b)
        if i % 50 == 0:
            print(cache.name, i, len(paths), flush=True)
    np.savez(cache, gap=np.concatenate(gap), gmp=np.concatenate(gmp))
    return np.concatenate(gap), np.concatenate(gmp)


GLOBAL_ONLY = "--global-only" in sys.argv


def features(embedder, paths, base: Path, cache: Path) -> dict[str, np.ndarray]:
    if GLOBAL_ONLY:
        cache = cache.with_name(cache.stem + "_global.npz")
    if cache.exists():
        with np.load(cache) as stored:
            return {k: stored[k] for k in stored.files}
    if GLOBAL_ONLY:
        out = {"gap": [], "gmp": []}
        for i, path in enumerate(paths):
            a, b = global_features(embedder, [load_photo(base / path, min_side=288).image])
            out["gap"].append(a[0])
            out["gmp"].append(b[0])
            if i % 100 == 0:
                print(cache.name, i, len(paths), flush=True)
        arrays = {k: np.stack(v).astype(np.float32) for k, v in out.items()}
        np.savez(cache, **arrays)
        return arrays
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
    control = list(csv.DictReader(open(folder / "queries_rephotographed.csv", encoding="utf-8")))
    C = features(embedder, [q["path"] for q in control], folder, CACHE / "auth_control.npz")
    aug_gap, aug_gmp = recaptured_features(embedder, [r["path"] for r in refs], folder, CACHE / "auth_refs_recaptured.npz")
    copies = len(aug_gap) // len(refs)
    aug = {"gap": aug_gap, "gmp": aug_gmp}
    variants = {
        "catalog vector (GAP 288)": (["gap"], False),
        "+ GMP 288": (["gap", "gmp"], False),
        "+ tiles GAP 576": (["gap", "tile_gap"], False),
        "+ tiles GMP 576": (["gap", "tile_gmp"], False),
        "+ GMP + tiles GAP/GMP": (["gap", "gmp", "tile_gap", "tile_gmp"], False),
        "GAP, both sides recaptured": (["gap"], True),
        "GAP + GMP, both sides recaptured": (["gap", "gmp"], True),
        "GAP + GMP, genuine side recaptured": (["gap", "gmp"], "genuine"),
    }
    q_fake = np.array([q["label"] == "counterfeit" for q in queries])
    q_unseen = np.array([q["path"] in unseen for q in queries])
    groups = np.zeros(len(refs), np.int64)
    offset = 0
    for key in sorted(set(zip(products, labels))):
        members = np.flatnonzero([(p, l) == key for p, l in zip(products, labels)])
        local = similarity_groups(unit(R["gap"][members]), 0.87)
        groups[members] = local + offset
        offset += int(local.max()) + 1
    for name, (parts, recapture) in variants.items():
        if any(p not in R for p in parts):
            continue
        X = unit(np.concatenate([unit(R[p]) for p in parts], axis=1))
        fit_products, fit_labels, fit_groups = products, labels, groups
        if recapture:
            Xa = unit(np.concatenate([unit(aug[p]) for p in parts], axis=1))
            kept = np.array([recapture is True or l == recapture for l in labels for _ in range(copies)])
            X = np.concatenate([X, Xa[kept]])
            fit_products = products + [p for p in products for _ in range(copies)]
            fit_labels = labels + [l for l in labels for _ in range(copies)]
            fit_products = products + [p for p, k in zip(fit_products[len(products):], kept) if k]
            fit_labels = labels + [l for l, k in zip(fit_labels[len(labels):], kept) if k]
            fit_groups = np.concatenate([groups, np.repeat(groups, copies)[kept]])
        models = A.fit(X, fit_products, fit_labels, {}, fit_groups)

        def judged(rows, feats):
            out = []
            for q, x in zip(rows, unit(np.concatenate([unit(feats[p]) for p in parts], axis=1))):
                out.append(models.judge(q["claimed_product_id"], "", x[None, :]))
            return out

        found = judged(queries, Q)
        scores = np.array([e.log_odds for e in found])
        flagged = np.array([e.p_value < 0.025 and e.log_odds > 0 for e in found])
        clear = np.array([e.fake_share <= 0.05 for e in found])
        control_found = judged(control, C)
        control_flagged = np.mean([e.p_value < 0.025 and e.log_odds > 0 for e in control_found])
        control_scores = np.array([e.log_odds for e in control_found])
        print(f"{name:34s} val AUROC {auroc(scores[~q_fake], scores[q_fake]):.3f} "
              f"(unseen makers {auroc(scores[~q_fake], scores[q_fake & q_unseen]):.3f}; fakes vs recaptured genuine "
              f"{auroc(control_scores, scores[q_fake]):.3f}) | fakes flagged {flagged[q_fake].mean():.0%}, clear "
              f"{clear[q_fake].mean():.0%} | own flagged {flagged[~q_fake].mean():.0%}, clear {clear[~q_fake].mean():.0%}"
              f" | recaptured genuine flagged {control_flagged:.0%}", flush=True)


if __name__ == "__main__":
    main([a for a in sys.argv[1:] if not a.startswith("--")][0])
