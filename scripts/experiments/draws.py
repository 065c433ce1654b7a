"""Two tuning draws side by side: does averaging two tuned models (another seed, same references)
identify val photos better than either alone?

    cp -r build/cat_all build/cat_all_tuned_s1
    VERIFIER_TUNE_RECIPE='{"seed": 1}' python scripts/tune_catalog.py build/cat_all_tuned_s1
    python scripts/experiments/draws.py build/cat_all_tuned build/cat_all_tuned_s1

Each catalog's references (stored vectors) and the val photos embedded with its own model; the
product head (``index.judging.head``) fitted on the references; recall@1 / @5 of the head and of
1-NN for: each draw's tuned view, each catalog's vectors (tuned + ImageNet views), both tuned
views and the ImageNet view side by side (equal weight, 3,840-d). Prints a table."""

import csv
import sqlite3
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from index.connect import embedder_for  # noqa: E402
from index.judging import head as H  # noqa: E402
from index.storing.catalog import Catalog  # noqa: E402
from vision import load_photo  # noqa: E402

DATA = ROOT / "build" / "grocery"  # the manifests' paths are relative to their folder


def catalog_side(catalog_dir: str, photos: list[str]):
    db = sqlite3.connect(Path(catalog_dir) / "references.sqlite")
    rows = db.execute("SELECT product_id, vector FROM refs WHERE label = 'genuine' ORDER BY image_id").fetchall()
    labels = [r[0] for r in rows]
    refs = np.stack([np.frombuffer(r[1], np.float16).astype(np.float32) for r in rows])
    with Catalog.open(catalog_dir) as catalog:
        embedder = embedder_for(catalog, threads=2)
    queries = []
    for start in range(0, len(photos), 16):
        images = [load_photo(DATA / p, min_side=embedder.min_decode_side).image for p in photos[start:start + 16]]
        queries.append(embedder.embed(images))
    return labels, refs, np.concatenate(queries)


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def figures(refs, labels, queries, truth):
    head = H.fit(refs, labels, 0)
    log_probs = head.log_probs(queries)
    order = np.argsort(-log_probs, axis=1)
    classes = np.array(head.products)
    r1 = float(np.mean(classes[order[:, 0]] == truth))
    r5 = float(np.mean([t in classes[o[:5]] for t, o in zip(truth, order)]))
    nn = np.array(labels)[np.argmax(queries @ refs.T, axis=1)]
    return r1, r5, float(np.mean(nn == truth))


def main(first: str, second: str) -> None:
    rows = list(csv.DictReader(open(ROOT / "build/grocery/queries_claims.csv", encoding="utf-8")))
    photos = sorted({r["path"] for r in rows})
    truth = {r["path"]: r["true_product_id"] for r in rows}
    labels_a, refs_a, q_a = catalog_side(first, photos)
    labels_b, refs_b, q_b = catalog_side(second, photos)
    assert labels_a == labels_b
    truth = np.array([truth[p] for p in photos])
    half = refs_a.shape[1] // 2
    variants = {
        "draw A tuned view": (unit(refs_a[:, :half]), unit(q_a[:, :half])),
        "draw B tuned view": (unit(refs_b[:, :half]), unit(q_b[:, :half])),
        "ImageNet view": (unit(refs_a[:, half:]), unit(q_a[:, half:])),
        "draw A both views (the product)": (refs_a, q_a),
        "draw B both views": (refs_b, q_b),
        "A + B tuned views": (unit(np.hstack([refs_a[:, :half], refs_b[:, :half]])),
                              unit(np.hstack([q_a[:, :half], q_b[:, :half]]))),
        "A + B tuned + ImageNet (3 views)": (unit(np.hstack([refs_a, refs_b[:, :half]])),
                                             unit(np.hstack([q_a, q_b[:, :half]]))),
    }
    print(f"{len(photos)} val photos, {len(labels_a)} references")
    print(f"{'vectors':36s} {'head R@1':>9s} {'head R@5':>9s} {'1-NN R@1':>9s}")
    for name, (refs, queries) in variants.items():
        r1, r5, nn = figures(refs, labels_a, queries, truth)
        print(f"{name:36s} {r1:9.3f} {r5:9.3f} {nn:9.3f}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
