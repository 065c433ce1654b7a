"""A tuned catalog's vectors in the lab's format, to tell the model from the pipeline: the
references' stored vectors and the val photos embedded with the catalog's own model, in
signals.jsonl order, with the references it trained on.

    python scripts/experiments/catalog_vectors.py build/cat_all_tuned NAME
    python scripts/experiments/evidence.py v2 0.87 NAME      # the lab's figures on those vectors
"""

import json
import sqlite3
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from index.connect import embedder_for  # noqa: E402
from index.judging.calibration import TRAINED_IDS_ARTIFACT  # noqa: E402
from index.storing.catalog import Catalog  # noqa: E402
from vision import load_photo  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "grocery-store"


def main(catalog_dir: str, name: str) -> None:
    records = [json.loads(line) for line in open(ROOT / "build/exp/signals.jsonl", encoding="utf-8")]
    db = sqlite3.connect(Path(catalog_dir) / "references.sqlite")
    stored = {}
    for image_id, source, blob in db.execute("SELECT image_id, source_path, vector FROM refs WHERE label='genuine'"):
        stored[source.split("/data/", 1)[1]] = (image_id, np.frombuffer(blob, np.float16).astype(np.float32))
    with Catalog.open(catalog_dir) as catalog:
        trained_ids = set(json.loads(catalog.artifact(TRAINED_IDS_ARTIFACT)))
        embedder = embedder_for(catalog, threads=2)
    vectors = np.zeros((len(records), embedder.dim), np.float32)
    train = []
    todo = []
    for i, r in enumerate(records):
        if r["path"] in stored:
            image_id, vector = stored[r["path"]]
            vectors[i] = vector
            if image_id in trained_ids:
                train.append(i)
        else:
            todo.append(i)
    for start in range(0, len(todo), 16):
        chunk = todo[start:start + 16]
        images = [load_photo(DATA / records[i]["path"], min_side=embedder.min_decode_side).image for i in chunk]
        vectors[chunk] = embedder.embed(images)
    print(f"{len(records) - len(todo)} stored, {len(todo)} embedded, {len(train)} trained on")
    np.savez(ROOT / f"build/exp/tuned_{name}.npz", vectors=vectors, train=np.array(train))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
