"""Writes build/exp/tuned_frozen_<variant>.npz from backbones.npz (frozen features of another
backbone, in signals.jsonl order, nothing trained), so evidence.py can score it like a tuned model:
    python scripts/experiments/frozen_as_tuned.py lite2_288
    python scripts/experiments/evidence.py v2 0.87 frozen_lite2_288"""
import csv, json, sys
from pathlib import Path
import numpy as np

OUT = Path('build/exp')
variant = sys.argv[1]
refs = list(csv.DictReader(open('build/grocery/products_all.csv')))
claims = [r for r in csv.DictReader(open('build/grocery/queries_claims.csv')) if not r['claimed_product_id']]
order = [r['path'].removeprefix('data/') for r in refs + claims]
features = np.load(OUT / 'backbones.npz')[variant]
row = {p: i for i, p in enumerate(order)}
records = [json.loads(line) for line in open(OUT / 'signals.jsonl', encoding='utf-8')]
vectors = features[[row[r['path']] for r in records]]
vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
np.savez(OUT / f'tuned_frozen_{variant}.npz', vectors=vectors.astype(np.float32), train=np.array([], dtype=np.int64))
print(f'{len(records)} vectors written')
