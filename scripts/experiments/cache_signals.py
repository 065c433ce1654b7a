"""Cache, for every Grocery Store photo (catalog images, train, val), what the product reads from
it: the offline model's vector, the text lines (vision.text) and the barcodes (vision.codes).

    python scripts/experiments/cache_signals.py [--dataset ../shared/data/grocery-store]

Writes build/exp/signals.jsonl (one line per photo, resumable) and build/exp/vectors.npz.
About 25 minutes on 2 cores (OCR dominates)."""

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from vision import load_embedder, load_photo  # noqa: E402
from vision.codes import read_codes  # noqa: E402
from vision.text import TextReader  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def photos(dataset: Path):
    with open(dataset / "classes.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            values = list(row.values())
            yield values[4].lstrip("/"), values[0], "iconic"
    for split in ("train", "val"):
        names = {}
        with open(dataset / "classes.csv", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                values = list(row.values())
                names[int(values[1])] = values[0]
        for line in (dataset / f"{split}.txt").read_text().splitlines():
            if line.strip():
                path, fine, _ = [p.strip() for p in line.split(",")]
                yield path, names[int(fine)], split


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default=str(ROOT.parent / "shared" / "data" / "grocery-store"))
    parser.add_argument("--out", default=str(ROOT / "build" / "exp"))
    args = parser.parse_args()
    dataset, out = Path(args.dataset), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    lines_path = out / "signals.jsonl"
    done = set()
    if lines_path.exists():
        done = {json.loads(line)["path"] for line in lines_path.read_text().splitlines() if line.strip()}
    embedder = load_embedder("offline", threads=2)
    reader = TextReader(threads=2)
    todo = [p for p in photos(dataset) if p[0] not in done]
    started = time.time()
    with open(lines_path, "a", encoding="utf-8") as sink:
        for i, (path, product, split) in enumerate(todo):
            photo = load_photo(dataset / path, min_side=embedder.min_decode_side)
            vector = embedder.embed([photo.image])[0]
            record = {"path": path, "product": product, "split": split,
                      "vector": [round(float(v), 5) for v in vector],
                      "text": [line.to_dict() for line in reader.read(photo.image)],
                      "codes": [code.to_dict() for code in read_codes(photo.image)]}
            sink.write(json.dumps(record, ensure_ascii=False) + "\n")
            if i % 50 == 0:
                sink.flush()
                print(f"{i}/{len(todo)} {(time.time() - started) / (i + 1):.2f} s/photo", flush=True)
    records = [json.loads(line) for line in lines_path.read_text().splitlines() if line.strip()]
    np.savez(out / "vectors.npz", vectors=np.array([r["vector"] for r in records], np.float32),
             paths=np.array([r["path"] for r in records]), products=np.array([r["product"] for r in records]),
             splits=np.array([r["split"] for r in records]))


if __name__ == "__main__":
    main()
