"""Lab: would a green-badge threshold of each claimed product's own (out of fold) help against
look-alike claims the catalog-wide threshold lets through?

    python scripts/experiments/product_accept.py build/cat_all_tuned build/reports/claims_tuned_fix/results.jsonl

The claim model is refitted as ``calibration.compute`` fits it, keeping for every out-of-fold
look-alike claim which product it was claimed as (the catalog keeps them pooled). For each product
with look-alike claims of at least MIN_WEIGHT photo sessions' worth, its threshold is the catalog's
or the level only RATE of the look-alike claims *as that product* reach, whichever is higher. The
report's green verdicts (true and look-alike claims) are then kept only where the claim
probability reaches the product's threshold. Printed for a few settings (the first look-alike
column, as the catalog's threshold uses, or all three), with the look-alike claims still green.
Measured 2026-12-07 (docs/verification.md): no setting removed the three Cantaloupe photos claimed
as Galia melon, the references' own look-alike claims as Galia do not score like them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from index.judging import calibration as C  # noqa: E402
from index.judging.claim_model import ClaimModel  # noqa: E402
from index.judging.evidence import features  # noqa: E402
from index.storing.catalog import Catalog  # noqa: E402


def out_of_fold(path: str):
    catalog = Catalog.open(path)
    rows = catalog.db.execute("SELECT image_id, product_id, label FROM refs ORDER BY product_id, image_id").fetchall()
    by_product: dict[str, list[int]] = {}
    for image_id, product_id, label in rows:
        if label == "genuine":
            by_product.setdefault(product_id, []).append(image_id)
    ids = [i for v in by_product.values() for i in v]
    products = [p for p, v in by_product.items() for _ in v]
    vectors = C._vectors(catalog, ids)
    classes = sorted(by_product)
    column = {p: i for i, p in enumerate(classes)}
    y = np.array([column[p] for p in products])
    sessions = C._sessions(C.session_vectors(vectors, C.imagenet_view(catalog)), y)
    words_by_id = C.reference_words(catalog)
    words = [words_by_id.get(i, []) for i in ids]
    read_counts = np.array([len(w) for w in words], np.float64)
    trained = C.trained_ids(catalog)
    usable = np.array([i not in trained for i in ids]) if trained else np.ones(len(ids), bool)
    folds = C._session_folds(sessions, y, usable, C.FOLDS)
    log_probs, text = C._out_of_fold(vectors, y, classes, folds, words, ids, catalog, words_by_id, C.FOLDS)
    positives = features(log_probs, text, read_counts, y)
    confused = C._most_confused(log_probs, y, C.LOOKALIKES)
    lookalikes = [features(log_probs, text, read_counts, confused[:, j]) for j in range(confused.shape[1])]
    u_log_probs, u_text, taken_for = C._left_out_products(vectors, y, words, ids, catalog, words_by_id, classes,
                                                          C.FOLDS)
    unknown = features(u_log_probs, u_text, read_counts, taken_for)
    ok = usable & (folds >= 0)
    unknown_ok = ok & np.isfinite(u_log_probs).any(axis=1)
    weight = 1.0 / np.bincount(sessions)[sessions]
    model = ClaimModel.fit(
        np.concatenate([positives[ok]] + [n[ok] for n in lookalikes] + [unknown[unknown_ok]]),
        np.concatenate([np.ones(ok.sum())] + [np.zeros(ok.sum())] * len(lookalikes) + [np.zeros(unknown_ok.sum())]),
        np.concatenate([np.tile(weight[ok], len(lookalikes) + 1), weight[unknown_ok]]), catalog.generation)
    scores = np.stack([model.probability(n[ok]) for n in lookalikes], 1)
    return classes, confused[ok], scores, weight[ok]


def threshold(values: np.ndarray, weights: np.ndarray, rate: float) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order]) / weights.sum()
    return float(values[order][min(len(values) - 1, int(np.searchsorted(cumulative, 1 - rate)))])


def main(catalog: str, report: str) -> None:
    classes, confused, scores, weight = out_of_fold(catalog)
    catalog_wide = threshold(scores[:, 0], weight, 0.05)
    claims = [r for r in map(json.loads, open(report, encoding="utf-8")) if r["claimed_product_id"]]
    true = [r for r in claims if r["truth"]["true_product_id"] == r["claimed_product_id"]]
    looks = [r for r in claims if r["truth"]["true_product_id"] != r["claimed_product_id"]]

    def green(row, thresholds):
        limit = thresholds.get(row["claimed_product_id"])
        return row["verdict"] == "genuine" and (limit is None or row["details"]["claim_probability"] >= limit)

    print(f"catalog-wide threshold {catalog_wide:.4f}; as judged: true claims green "
          f"{np.mean([green(r, {}) for r in true]):.3f}, look-alike claims green {np.mean([green(r, {}) for r in looks]):.4f}")
    for columns in (1, 3):
        for min_weight in (3, 5, 10):
            for rate in (0.05, 0.10):
                limits = {}
                for index, product in enumerate(classes):
                    mask = confused[:, :columns] == index
                    weights = np.broadcast_to(weight[:, None], mask.shape)[mask]
                    if weights.sum() >= min_weight:
                        limits[product] = max(catalog_wide, threshold(scores[:, :columns][mask], weights, rate))
                still = [f"{Path(r['path']).name} as {r['claimed_product_id']}" for r in looks if green(r, limits)]
                print(f"columns {columns}, min weight {min_weight}, rate {rate}: {len(limits)} products; true green "
                      f"{np.mean([green(r, limits) for r in true]):.3f}, look-alike green {len(still) / len(looks):.4f} "
                      f"({'; '.join(still)})")


if __name__ == "__main__":
    main(*sys.argv[1:3])
