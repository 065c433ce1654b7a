"""Flat print aligned: SIFT inliers as evidence of identity, on Grocery Store packaged photos.

    python scripts/make_grocery_eval.py                   # build/grocery (manifests, data link)
    python scripts/experiments/alignment.py [--features 500 300] [--references 8] [--differences]

References: the *train* photos of the packaged products (never val); queries: their *val* photos.
Each val photo is aligned (``vision.alignment``, the product's code) with the M train photos of a
product nearest to it by the offline model's vector (what a check does with the catalog's
references), and the product's score is the mean of the two best inlier counts. Printed:

- true claims (the photo claimed as its own product) against look-alike claims (claimed as
  another product of the same kind, the claims of build/grocery/queries_claims.csv): AUROC and
  medians of the inlier score, beside the AUROC of the best cosine similarity (the global
  features) on the same claims;
- products missing from the catalog: the best score over the catalog's 3 candidates nearest by
  vector, for each photo with its own product in the catalog and with it left out (every
  packaged product left out in turn), and on make_grocery_eval's held-out products;
- with fewer stored keypoints per reference (``--features``): the same AUROCs and the bytes per
  reference, for the storage bound;
- the time to extract a query's keypoints and to match it with M references;
- with ``--differences``: how the located differences behave on *train* pairs (where their
  thresholds were chosen): genuine against genuine, a reprinted label, a patch of turned hue.

Writes build/exp/alignment/per_photo.csv (one row per val photo and claim: the scores the lead's
claim model can reuse) and figures.json. Keypoints and vectors are cached in build/exp/alignment/.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from index.evaluation import auroc  # noqa: E402
from vision.alignment import MAX_FEATURES, Keypoints, align_many, extract  # noqa: E402
from vision.images import load_image  # noqa: E402

OUT = ROOT / "build" / "exp" / "alignment"
GROCERY = ROOT / "build" / "grocery"
CANDIDATES = 3


def packaged_photos(split: str) -> list[tuple[str, str]]:
    """(path relative to build/grocery, product) of the split's packaged photos."""
    dataset = GROCERY / "data"
    classes = {}
    with open(dataset / "classes.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            values = list(row.values())
            classes[int(values[1])] = (values[0], "/Packages/" in values[4])
    out = []
    for line in (dataset / f"{split}.txt").read_text(encoding="utf-8").splitlines():
        if line.strip():
            path, fine, _ = [part.strip() for part in line.split(",")]
            name, packaged = classes[int(fine)]
            if packaged:
                out.append((f"data/{path}", name))
    return out


def cached_features(photos: list[tuple[str, str]], name: str) -> tuple[list[Keypoints], np.ndarray]:
    """Keypoints (the product's extraction) and offline-model vectors of the photos, cached."""
    OUT.mkdir(parents=True, exist_ok=True)
    cache = OUT / f"{name}.npz"
    paths = [p for p, _ in photos]
    if cache.is_file():
        data = np.load(cache)
        if list(data["paths"]) == paths:
            blob, ends = data["blob"].tobytes(), data["ends"]
            starts = np.concatenate([[0], ends[:-1]])
            return [Keypoints.from_bytes(blob[a:b]) for a, b in zip(starts, ends)], data["vectors"]
    from vision import load_embedder

    embedder = load_embedder("offline")
    keypoints, vectors = [], []
    for i, path in enumerate(paths):
        image = load_image(GROCERY / path)
        keypoints.append(extract(image))
        vectors.append(embedder.embed([image])[0])
        if i % 100 == 0:
            print(f"  {name}: {i}/{len(paths)}", flush=True)
    blobs = [k.to_bytes() for k in keypoints]
    np.savez(cache, paths=np.array(paths), vectors=np.stack(vectors),
             blob=np.frombuffer(b"".join(blobs), np.uint8), ends=np.cumsum([len(b) for b in blobs]))
    return keypoints, np.stack(vectors)


def truncated(keypoints: Keypoints, count: int) -> Keypoints:
    """The strongest ``count`` keypoints (stored strongest first): a smaller storage bound."""
    return Keypoints(keypoints.width, keypoints.height, keypoints.xy[:count], keypoints.descriptors[:count])


def product_score(query: Keypoints, query_vector: np.ndarray, product: str, train, references: int,
                  features: int | None = None) -> dict:
    """Align with the product's ``references`` train photos nearest by vector; the score is the
    mean of the two best inlier counts."""
    indices = train["by_product"][product]
    sims = train["vectors"][indices] @ query_vector
    nearest = [indices[i] for i in np.argsort(-sims)[:references]]
    refs = [train["keypoints"][i] if features is None else truncated(train["keypoints"][i], features) for i in nearest]
    q = query if features is None else truncated(query, features)
    alignments = align_many(q, refs)
    inliers = sorted((a.inliers if a else 0 for a in alignments), reverse=True)
    best = max(range(len(alignments)), key=lambda k: alignments[k].inliers if alignments[k] else -1)
    return {"score": float(np.mean(inliers[:2])) if inliers else 0.0, "best_inliers": inliers[0] if inliers else 0,
            "coverage": max((a.coverage for a in alignments if a), default=0.0),
            "best_reference": train["paths"][nearest[best]], "cosine": float(sims.max())}


def differences(train_photos, train, pairs_wanted: int = 150) -> dict:
    """How the located differences behave (``vision.alignment.difference``), on *train* photos only
    (where the cell thresholds were chosen): a photo against another photo of the same pack (the
    best aligned of its product's 8 nearest), as it is, with a label reprinting the brand pasted on
    the aligned pack, and with the hue of a patch of the pack turned by 50 degrees. Per pair: the
    share of compared cells that differ; for the edits, the share of cells under the edit that
    differ and of cells away from it."""
    import cv2

    sys.path.insert(0, str(ROOT / "scripts"))
    from photo_edits import paste_label
    from vision.alignment import classify, cell_features, item_plane, warp_matrix

    rng = np.random.default_rng(0)
    order = rng.permutation(len(train_photos))
    genuine, label_in, label_out, colour_in, colour_out = [], [], [], [], []
    pairs = 0

    def cells_under(box, plane, shape):
        x0, y0, x1, y1 = box
        corners = np.array([[[x0, y0]], [[x1, y0]], [[x1, y1]], [[x0, y1]]], np.float64)
        polygon = cv2.perspectiveTransform(corners, warp_matrix(image.size, plane)).reshape(-1, 2)
        width, height = plane.reference_size
        mask = np.zeros((height, width), np.uint8)
        cv2.fillConvexPoly(mask, np.round(polygon).astype(np.int32), 1)
        rows, cols = shape
        return np.array([[mask[round(r * height / rows):round((r + 1) * height / rows),
                               round(c * width / cols):round((c + 1) * width / cols)].mean() for c in range(cols)]
                         for r in range(rows)])

    def judged(edited, box, reference, ref_points, inside, outside):
        plane = item_plane(extract(edited), ref_points)
        if plane is None:
            return
        found = classify(cell_features(edited, reference, plane))
        kinds = np.array(found.kinds)
        compared = kinds != "outside"
        differs = compared & (kinds != "match")
        share = cells_under(box, plane, kinds.shape)
        if (compared & (share >= 0.5)).any():
            inside.append(float(differs[compared & (share >= 0.5)].mean()))
        if (compared & (share == 0)).any():
            outside.append(float(differs[compared & (share == 0)].mean()))

    for i in order:
        if pairs >= pairs_wanted:
            break
        path, product = train_photos[i]
        others = [j for j in train["by_product"][product] if j != i]
        sims = train["vectors"][others] @ train["vectors"][i]
        nearest = [others[k] for k in np.argsort(-sims)[:8]]
        found = align_many(train["keypoints"][i], [train["keypoints"][j] for j in nearest])
        best = max(range(len(found)), key=lambda k: found[k].inliers if found[k] else -1)
        if found[best] is None or found[best].inliers < 20:
            continue
        j = nearest[best]
        plane = item_plane(train["keypoints"][i], train["keypoints"][j])
        if plane is None:
            continue
        image, reference = load_image(GROCERY / path), load_image(GROCERY / train_photos[j][0])
        result = classify(cell_features(image, reference, plane))
        if not result.compared:
            continue
        pairs += 1
        genuine.append(result.differing_share)
        hull = cv2.perspectiveTransform(plane.hull.reshape(-1, 1, 2).astype(np.float64),
                                        np.linalg.inv(plane.homography)).reshape(-1, 2)
        cx, cy = hull.mean(axis=0) / plane.query_size
        edited = paste_label(image, product.split("-")[0].upper()[:-1] + "A", where=(0, 0), height=0.07)
        ys, xs = np.nonzero(np.any(np.asarray(edited) != np.asarray(image), axis=2))
        w, h = (xs.max() + 1) / image.width, (ys.max() + 1) / image.height
        where = (float(np.clip(cx - w / 2, 0, 1 - w)), float(np.clip(cy - h / 2, 0, 1 - h)))
        edited = paste_label(image, product.split("-")[0].upper()[:-1] + "A", where=where, height=0.07)
        ys, xs = np.nonzero(np.any(np.asarray(edited) != np.asarray(image), axis=2))
        judged(edited, (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1), reference, train["keypoints"][j],
               label_in, label_out)
        side = 0.22
        x0 = int(np.clip(cx - side / 2, 0, 1 - side) * image.width)
        y0 = int(np.clip(cy - side / 2, 0, 1 - side) * image.height)
        box = (x0, y0, x0 + int(side * image.width), y0 + int(side * image.height))
        hsv = np.asarray(image.convert("HSV")).copy()
        hsv[box[1]:box[3], box[0]:box[2], 0] = (hsv[box[1]:box[3], box[0]:box[2], 0].astype(int) + 36) % 256
        from PIL import Image

        judged(Image.fromarray(hsv, "HSV").convert("RGB"), box, reference, train["keypoints"][j], colour_in, colour_out)
    r = lambda values: round(float(np.mean(values)), 3) if values else None  # noqa: E731
    return {"pairs": pairs,
            "genuine_differing_share": {"median": round(float(np.median(genuine)), 3), "mean": r(genuine),
                                        "p90": round(float(np.percentile(genuine, 90)), 3)},
            "reprinted_label": {"pairs": len(label_in), "cells_under_label_differing": r(label_in),
                                "cells_elsewhere_differing": r(label_out)},
            "hue_turned_50_degrees": {"pairs": len(colour_in), "cells_under_patch_differing": r(colour_in),
                                      "cells_elsewhere_differing": r(colour_out)}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--references", type=int, default=8, help="references per product (nearest by vector)")
    parser.add_argument("--features", type=int, nargs="*", default=[500, 300],
                        help="also measure with only this many stored keypoints")
    parser.add_argument("--differences", action="store_true",
                        help="also measure the located differences on train pairs (genuine, reprinted label, hue)")
    args = parser.parse_args()
    if not (GROCERY / "queries_claims.csv").is_file():
        sys.exit("run scripts/make_grocery_eval.py first")
    import cv2

    cv2.setNumThreads(1)
    train_photos, val_photos = packaged_photos("train"), packaged_photos("val")
    print(f"{len(train_photos)} packaged train photos (references), {len(val_photos)} packaged val photos (queries)")
    train_kp, train_vec = cached_features(train_photos, "train")
    val_kp, val_vec = cached_features(val_photos, "val")
    by_product: dict[str, list[int]] = {}
    for i, (_, product) in enumerate(train_photos):
        by_product.setdefault(product, []).append(i)
    train = {"keypoints": train_kp, "vectors": train_vec, "by_product": by_product,
             "paths": [p for p, _ in train_photos]}
    products = sorted(by_product)
    # make_grocery_eval's held-out products: their val photos carry no true product id there
    unknown_rows = list(csv.DictReader(open(GROCERY / "queries_unknown.csv", encoding="utf-8")))
    product_of = dict(val_photos)
    held_out = {product_of[r["path"]] for r in unknown_rows if not r["true_product_id"] and r["path"] in product_of}
    claims = [row for row in csv.DictReader(open(GROCERY / "queries_claims.csv", encoding="utf-8"))
              if row["claimed_product_id"] and row["path"] in {p for p, _ in val_photos}]
    index_of = {p: i for i, (p, _) in enumerate(val_photos)}

    rows, timings = [], {"extract_ms": [], "match_ms": []}
    for k, (path, true) in enumerate(val_photos):  # time a query's extraction, as a check does it
        if k < 30:
            image = load_image(GROCERY / path)
            started = time.perf_counter()
            extract(image)
            timings["extract_ms"].append(1000 * (time.perf_counter() - started))
    for row in claims:
        i = index_of[row["path"]]
        started = time.perf_counter()
        result = product_score(val_kp[i], val_vec[i], row["claimed_product_id"], train, args.references)
        timings["match_ms"].append(1000 * (time.perf_counter() - started))
        rows.append({"path": row["path"], "true_product": row["true_product_id"], "claimed": row["claimed_product_id"],
                     "kind": "true_claim" if row["label"] == "genuine" else "lookalike_claim", **result})

    # products missing from the catalog: best over the candidates nearest by vector, with the
    # photo's own product in the catalog and left out of it
    product_vectors = {p: train_vec[idx] for p, idx in by_product.items()}

    def best_over_candidates(i: int, catalog: list[str]) -> dict:
        nearest = sorted(catalog, key=lambda p: -float((product_vectors[p] @ val_vec[i]).max()))[:CANDIDATES]
        scored = [(product_score(val_kp[i], val_vec[i], p, train, args.references), p) for p in nearest]
        best, product = max(scored, key=lambda t: t[0]["score"])
        return {**best, "claimed": product}

    for i, (path, true) in enumerate(val_photos):
        rows.append({"path": path, "true_product": true, "kind": "known_product",
                     **best_over_candidates(i, products)})
        rows.append({"path": path, "true_product": true, "kind": "missing_product",
                     **best_over_candidates(i, [p for p in products if p != true])})
        if true in held_out:
            rows.append({"path": path, "true_product": true, "kind": "held_out_product",
                         **best_over_candidates(i, [p for p in products if p not in held_out])})
    for i, (path, true) in enumerate(val_photos):
        if true not in held_out:
            rows.append({"path": path, "true_product": true, "kind": "in_held_out_catalog",
                         **best_over_candidates(i, [p for p in products if p not in held_out])})

    def scores(kind, key="score"):
        return np.array([r[key] for r in rows if r["kind"] == kind], float)

    figures = {
        "references_per_product": args.references, "train_references": len(train_photos),
        "val_queries": len(val_photos),
        "claims": {"true": int(len(scores("true_claim"))), "lookalike": int(len(scores("lookalike_claim"))),
                   "auroc_inliers": round(auroc(scores("lookalike_claim"), scores("true_claim")), 3),
                   "auroc_best_cosine": round(auroc(scores("lookalike_claim", "cosine"), scores("true_claim", "cosine")), 3),
                   "auroc_coverage": round(auroc(scores("lookalike_claim", "coverage"), scores("true_claim", "coverage")), 3),
                   "median_inliers_true": float(np.median(scores("true_claim"))),
                   "median_inliers_lookalike": float(np.median(scores("lookalike_claim"))),
                   "lookalike_at_least_20": round(float(np.mean(scores("lookalike_claim") >= 20)), 3)},
        "missing_products": {
            "leave_one_product_out_auroc": round(auroc(scores("missing_product"), scores("known_product")), 3),
            "median_known": float(np.median(scores("known_product"))),
            "median_missing": float(np.median(scores("missing_product"))),
            "held_out_products": sorted(held_out),
            "held_out_photos": int(len(scores("held_out_product"))),
            "held_out_auroc": round(auroc(scores("held_out_product"), scores("in_held_out_catalog")), 3)
            if len(scores("held_out_product")) else None,
        },
        "time": {"extract_ms_p50": round(float(np.median(timings["extract_ms"])), 1),
                 f"match_{args.references}_references_ms_p50": round(float(np.median(timings["match_ms"])), 1)},
        "bytes_per_reference_p50": int(np.median([len(k.to_bytes()) for k in train_kp])),
        "keypoints_per_reference_p50": int(np.median([len(k) for k in train_kp])),
    }
    smaller = {}
    for count in args.features or []:
        true = [product_score(val_kp[index_of[r["path"]]], val_vec[index_of[r["path"]]], r["claimed_product_id"], train,
                              args.references, count)["score"] for r in claims if r["label"] == "genuine"]
        look = [product_score(val_kp[index_of[r["path"]]], val_vec[index_of[r["path"]]], r["claimed_product_id"], train,
                              args.references, count)["score"] for r in claims if r["label"] != "genuine"]
        smaller[count] = {"auroc_inliers": round(auroc(np.array(look), np.array(true)), 3),
                          "median_true": float(np.median(true)), "median_lookalike": float(np.median(look)),
                          "bytes_per_reference": 14 + count * 132}
    figures["fewer_keypoints"] = smaller
    # the homography checks (vision.alignment.sane) switched off: what they cost or gain
    import vision.alignment as alignment_module

    kept_sane = alignment_module.sane
    alignment_module.sane = lambda homography, region: True
    try:
        true = [product_score(val_kp[index_of[r["path"]]], val_vec[index_of[r["path"]]], r["claimed_product_id"], train,
                              args.references)["score"] for r in claims if r["label"] == "genuine"]
        look = [product_score(val_kp[index_of[r["path"]]], val_vec[index_of[r["path"]]], r["claimed_product_id"], train,
                              args.references)["score"] for r in claims if r["label"] != "genuine"]
    finally:
        alignment_module.sane = kept_sane
    if args.differences:
        figures["differences"] = differences(train_photos, train)
    figures["without_homography_checks"] = {"auroc_inliers": round(auroc(np.array(look), np.array(true)), 3),
                                            "median_true": float(np.median(true)),
                                            "median_lookalike": float(np.median(look))}
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "per_photo.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["path", "true_product", "claimed", "kind", "score", "best_inliers",
                                                    "coverage", "best_reference", "cosine"])
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()})
    (OUT / "figures.json").write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))
    print(f"per photo: {OUT / 'per_photo.csv'}; max keypoints per reference {MAX_FEATURES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
