"""Would the claim model separate true claims from look-alike claims better if each view's head
(two tuned draws, the ImageNet view) gave its own evidence beside the joint head's? Fits the
claim model out of fold on the references as `calibration.compute` does (text left out of both
variants, so that only the views differ) and scores the val claims of an evaluation report.

    python scripts/experiments/view_claims.py build/cat_all_tuned2d build/reports/claims_s5_tuned2d
"""

import json
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from index.judging import calibration as C  # noqa: E402
from index.judging import head as H  # noqa: E402
from index.judging.claim_model import ClaimModel  # noqa: E402
from index.judging.evidence import margin  # noqa: E402
from index.storing.catalog import Catalog  # noqa: E402


def blocks(vectors, width):
    out = [vectors]
    for i in range(vectors.shape[1] // width):
        part = vectors[:, i * width:(i + 1) * width]
        out.append(part / np.maximum(np.linalg.norm(part, axis=1, keepdims=True), 1e-12))
    return out


def oof(vectors, y, folds, n):
    lp = np.full((len(y), n), -np.inf, np.float32)
    for k in range(folds.max() + 1):
        held = folds == k
        if held.any():
            w, b = H.fit_linear_any(vectors[~held], y[~held], n)
            lp[held] = H.log_softmax(H.SCALE * (vectors[held] @ w) + b)
    return lp


def left_out(vectors, y, n, splits):
    rng = np.random.default_rng(1)
    group_of = rng.permutation(n) % min(splits, n)
    lp = np.full((len(y), n), -np.inf, np.float32)
    for g in np.unique(group_of):
        out, kept = np.flatnonzero(group_of == g), np.flatnonzero(group_of != g)
        held = np.isin(y, out)
        remap = np.full(n, -1)
        remap[kept] = np.arange(len(kept))
        w, b = H.fit_linear_any(vectors[~held], remap[y[~held]], len(kept))
        lp[np.ix_(held, kept)] = H.log_softmax(H.SCALE * (vectors[held] @ w) + b)
    return lp


def feats(lps, cand, variant):
    cols = []
    for j, lp in enumerate(lps):
        if j > 0 and variant == "joint":
            break
        own, mar = margin(np.asarray(lp, np.float64), cand)
        cols.append((np.maximum(own, -50), np.clip(mar, -20, 20)))
    if variant == "min":
        own = np.min([c[0] for c in cols[1:]], axis=0)
        mar = np.min([c[1] for c in cols[1:]], axis=0)
        cols = [cols[0], (own, mar)]
    m = np.stack([a for pair in cols for a in pair], axis=1)
    return np.nan_to_num(m, nan=-20.0, posinf=20.0, neginf=-50.0)


def main(catalog_dir, report):
    rows = [json.loads(line) for line in open(Path(report) / "results.jsonl", encoding="utf-8")]
    Q = np.load(ROOT / f"build/exp/val_{Path(catalog_dir).name}.npz")["q"]
    paths = sorted(set(r["path"] for r in rows))
    qrow = {p: i for i, p in enumerate(paths)}
    with Catalog.open(catalog_dir) as catalog:
        rs = catalog.db.execute("SELECT image_id, product_id FROM refs WHERE label='genuine' ORDER BY product_id, image_id").fetchall()
        rng = np.random.default_rng(0)
        by = {}
        for i, p in rs:
            by.setdefault(p, []).append(i)
        for p, ids in by.items():
            if len(ids) > C.MAX_PER_PRODUCT:
                by[p] = sorted(rng.choice(ids, C.MAX_PER_PRODUCT, replace=False).tolist())
        ids = [i for v in by.values() for i in v]
        classes = sorted(by)
        col = {p: i for i, p in enumerate(classes)}
        y = np.array([col[p] for p, v in by.items() for _ in v])
        X = C._vectors(catalog, ids)
        width = C._view_width(catalog)
        trained = C.trained_ids(catalog)
    usable = np.array([i not in trained for i in ids])
    sessions = C._sessions(X, y)
    folds = C._session_folds(sessions, y, usable)
    n = len(classes)
    views = blocks(X, width)
    print("views", len(views), "refs", len(ids), "usable", usable.sum())
    lps = [oof(v, y, folds, n) for v in views]
    ulps = [left_out(v, y, n, C.FOLDS) for v in views]
    ok = usable & (folds >= 0)
    confused = C._most_confused(lps[0], y, C.LOOKALIKES)
    taken = np.argmax(ulps[0], axis=1)
    uok = ok & np.isfinite(ulps[0]).any(axis=1)
    sw = 1.0 / np.bincount(sessions)[sessions]
    # final heads on all vectors
    finals = [H.fit(v, [classes[c] for c in y], 0) for v in views]
    qviews = blocks(Q, width)
    qlps = [f.log_probs(q) for f, q in zip(finals, qviews)]
    claims = [r for r in rows if r["claimed_product_id"]]
    qi = np.array([qrow[r["path"]] for r in claims])
    cand = np.array([col[r["claimed_product_id"]] for r in claims])
    truth = np.array([r["truth"]["true_product_id"] == r["claimed_product_id"] for r in claims])
    print("report AUROC (1 - counterfeit_score, with text):",
          round(roc_auc_score(truth, [1 - r["counterfeit_score"] for r in claims]), 4))
    for variant in ("joint", "each", "min"):
        pos = feats([lp[ok] for lp in lps], y[ok], variant)
        negs = [feats([lp[ok] for lp in lps], confused[ok, j], variant) for j in range(confused.shape[1])]
        unk = feats([lp[uok] for lp in ulps], taken[uok], variant)
        tx = np.concatenate([pos] + negs + [unk])
        ty = np.concatenate([np.ones(len(pos))] + [np.zeros(len(pos))] * len(negs) + [np.zeros(len(unk))])
        tw = np.concatenate([np.tile(sw[ok], len(negs) + 1), sw[uok]])
        model = ClaimModel.fit(tx, ty, tw)
        qf = feats([lp[qi] for lp in qlps], cand, variant)
        prob = model.probability(qf)
        neg = prob[~truth]
        thr = np.quantile(neg, [0.99, 0.95])
        print(variant, "AUROC", round(roc_auc_score(truth, prob), 4),
              "TPR@1%", round(float((prob[truth] > thr[0]).mean()), 3), "TPR@5%", round(float((prob[truth] > thr[1]).mean()), 3),
              "weights", np.round(model.coef, 2))
    # identification
    nc = [r for r in rows if not r["claimed_product_id"] and r["truth"]["true_product_id"] in col]
    qi2 = np.array([qrow[r["path"]] for r in nc])
    t2 = np.array([col[r["truth"]["true_product_id"]] for r in nc])
    for name, lp in zip(["joint", "v0", "v1", "v2"], qlps):
        print("recall@1", name, round(float((np.argmax(lp[qi2], 1) == t2).mean()), 4))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
