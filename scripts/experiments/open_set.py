"""Candidate unknown-product (open-set) scores on a tuned catalog's own vectors: the catalog's
stored references and the val photos of queries_unknown.csv embedded with its model. Prints the
AUROC (known photos against photos of products missing from the catalog) of each score.

    python scripts/experiments/open_set.py build/cat_heldout_tuned2d
"""

import csv
import sqlite3
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from index.connect import embedder_for  # noqa: E402
from index.evaluation import auroc  # noqa: E402
from index.judging import calibration as C  # noqa: E402
from index.storing.catalog import Catalog  # noqa: E402
from vision import load_photo  # noqa: E402

GROCERY = ROOT / "build/grocery"


def load(catalog_dir: str):
    cache = ROOT / f"build/exp/open_set_{Path(catalog_dir).name}.npz"
    db = sqlite3.connect(Path(catalog_dir) / "references.sqlite")
    refs = [(p, np.frombuffer(b, np.float16).astype(np.float32))
            for p, b in db.execute("SELECT product_id, vector FROM refs WHERE label='genuine' ORDER BY image_id")]
    rows = list(csv.DictReader(open(GROCERY / "queries_unknown.csv", encoding="utf-8")))
    truth = [r["true_product_id"] or Path(r["path"]).parent.name for r in rows]
    with Catalog.open(catalog_dir) as catalog:
        calibration = C.current(catalog)
        if cache.exists():
            Q = np.load(cache)["q"]
        else:
            embedder = embedder_for(catalog, threads=2)
            Q = np.zeros((len(rows), embedder.dim), np.float32)
            for s in range(0, len(rows), 16):
                images = [load_photo(GROCERY / r["path"], min_side=embedder.min_decode_side).image for r in rows[s:s + 16]]
                Q[s:s + 16] = embedder.embed(images)
                print(s, flush=True)
            np.savez(cache, q=Q)
    is_unknown = np.array([not r["true_product_id"] for r in rows])
    return refs, Q, is_unknown, calibration, truth


def main(catalog_dir: str) -> None:
    refs, Q, unk, cal, truth = load(catalog_dir)
    R = np.stack([v for _, v in refs]); y = np.array([p for p, _ in refs])
    head = cal.head
    classes = list(head.products); ci = {c: i for i, c in enumerate(classes)}
    ya = np.array([ci[c] for c in y])
    print("unknown", unk.sum(), "known", (~unk).sum(), "dim", R.shape[1])
    def au(score, name):
        print(f"{name:45s} {auroc(score[~unk], score[unk]):.4f}")
    LP = head.log_probs(Q)
    ident = LP.argmax(1)
    au(-LP.max(1), "-max log-prob (MSP)")
    nz = lambda x: x / np.linalg.norm(x, axis=1, keepdims=True)
    widths = [1280] * (R.shape[1] // 1280)
    for vi, (a, b) in enumerate([(i * 1280, (i + 1) * 1280) for i in range(len(widths))] + [(0, R.shape[1])]):
        Rn, Qn = nz(R[:, a:b]), nz(Q[:, a:b])
        S = Qn @ Rn.T
        for k in (1, 5, 20):
            au(-np.sort(S, 1)[:, -k], f"view {vi}: -kth sim k={k}")
        best_ident = np.array([S[i, ya == ident[i]].max() for i in range(len(Q))])
        au(-best_ident, f"view {vi}: -best sim of identified")
        # class-conditional Gaussian, shared covariance (Mahalanobis) on normalised vectors
        means = np.stack([Rn[ya == c].mean(0) for c in range(len(classes))])
        X = Rn - means[ya]
        cov = X.T @ X / len(X) + 1e-3 * np.eye(X.shape[1])
        P = np.linalg.inv(cov)
        def maha(V, M, P):  # (v - m)' P (v - m) for every pair, expanded
            VP, MP = V @ P, M @ P
            return (VP * V).sum(1)[:, None] - 2 * VP @ M.T + (MP * M).sum(1)[None]
        D = maha(Qn, means, P)
        au(D.min(1), f"view {vi}: min Mahalanobis")
        mu0 = Rn.mean(0); X0 = Rn - mu0; cov0 = X0.T @ X0 / len(X0) + 1e-3 * np.eye(X0.shape[1])
        D0 = maha(Qn, mu0[None], np.linalg.inv(cov0))
        au((D - D0).min(1), f"view {vi}: min relative Mahalanobis")
    ok = np.array([classes[ident[i]] == truth[i] for i in range(len(Q))])
    print("head recall@1 on known", ok[~unk].mean())


if __name__ == "__main__":
    main(sys.argv[1])
