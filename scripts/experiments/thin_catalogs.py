"""Identification in thin catalogs (issue 28): 1, 2, 5 and 10 references a product, the val
photos ranked by nearest-neighbour similarity, by a product head, and by both, with and without
augmented copies of each reference. Vectors of the references come from an untuned full catalog
(``build/cat_all``, same offline model); val photos and augmentations are embedded once and cached.

    python scripts/experiments/thin_catalogs.py build/cat_all
"""

import csv
import sqlite3
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts/experiments"))
from index.judging import head as H  # noqa: E402
from vision import load_embedder, load_photo  # noqa: E402
from augment import augmented_copies  # noqa: E402  (scripts/experiments/augment.py)

GROCERY = ROOT / "build/grocery"
AUGMENT_UP_TO = 0.5  # augmented copies for the one-packshot catalog only (they did not help there: 0.378 -> 0.318)
CACHE = ROOT / "build/exp"


def rows(name):
    return list(csv.DictReader(open(GROCERY / name, encoding="utf-8")))


def main(catalog_dir: str) -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(Path(catalog_dir) / "references.sqlite")
    by_path = {Path(p).name: (prod, np.frombuffer(v, np.float16).astype(np.float32))
               for p, prod, v in db.execute("SELECT source_path, product_id, vector FROM refs")}
    embedder = load_embedder("offline", threads=2)
    queries = [r for r in rows("queries_claims.csv") if not r["claimed_product_id"]]
    cache = CACHE / "thin_val.npz"
    if cache.exists():
        Q = np.load(cache)["q"]
    else:
        Q = np.concatenate([embedder.embed([load_photo(GROCERY / r["path"], min_side=embedder.min_decode_side).image
                                            for r in queries[s:s + 16]]) for s in range(0, len(queries), 16)])
        np.savez(cache, q=Q)
    truth = np.array([r["true_product_id"] for r in queries])
    for manifest in ("products_iconic.csv", "products_train2.csv", "products_train5.csv", "products_train10.csv"):
        refs = rows(manifest)
        products = [by_path[Path(r["path"]).name][0] for r in refs]
        X = np.stack([by_path[Path(r["path"]).name][1] for r in refs])
        X /= np.linalg.norm(X, axis=1, keepdims=True)
        aug_cache = CACHE / f"thin_aug_{manifest}.npz"
        if len(refs) > 200 * AUGMENT_UP_TO:
            A, a_rows = np.zeros((0, X.shape[1]), np.float32), np.zeros(0, int)
        elif aug_cache.exists():
            A, a_rows = np.load(aug_cache)["a"], np.load(aug_cache)["rows"]
        else:
            vectors, a_rows = [], []
            for i, r in enumerate(refs):
                image = load_photo(GROCERY / r["path"], min_side=embedder.min_decode_side).image
                copies = augmented_copies(image, 8, seed=i)
                vectors.append(embedder.embed(copies))
                a_rows += [i] * len(copies)
                if i % 20 == 0:
                    print(manifest, i, flush=True)
            A, a_rows = np.concatenate(vectors), np.array(a_rows)
            np.savez(aug_cache, a=A, rows=a_rows)
        classes = sorted(set(products))
        col = {p: i for i, p in enumerate(classes)}
        y = np.array([col[p] for p in products])
        t = np.array([col.get(p, -1) for p in truth])
        sims = Q @ X.T
        nn = np.full((len(Q), len(classes)), -1.0)
        for c in range(len(classes)):
            nn[:, c] = sims[:, y == c].max(axis=1)
        w, b = H.fit_linear(X, y, len(classes))
        head = H.log_softmax(H.SCALE * Q @ w + b)
        Xa, ya = np.concatenate([X, A]), np.concatenate([y, y[a_rows]])
        wa, ba = H.fit_linear(Xa, ya, len(classes))
        head_aug = H.log_softmax(H.SCALE * Q @ wa + ba)
        sims_a = Q @ Xa.T
        nn_aug = np.full((len(Q), len(classes)), -1.0)
        for c in range(len(classes)):
            nn_aug[:, c] = sims_a[:, ya == c].max(axis=1)

        def r1(score):
            return float(np.mean(np.argmax(score, axis=1) == t))

        print(f"{manifest}: {len(refs)} refs; recall@1 NN {r1(nn):.3f}, NN+aug {r1(nn_aug):.3f}, "
              f"head {r1(head):.3f}, head+aug {r1(head_aug):.3f}, "
              f"head+NN {r1(head + H.SCALE * nn):.3f}, head+aug+NN {r1(head_aug + H.SCALE * nn):.3f}, "
              f"head+aug+NNaug {r1(head_aug + H.SCALE * nn_aug):.3f}")


if __name__ == "__main__":
    main(sys.argv[1])
