"""The known-fakes proxy's pairs: for each packaged product, the other packaged product whose train
photos' mean offline-model vector is nearest (cosine); the 5 closest pairs with no product twice.

    python scripts/experiments/lookalikes.py      # after cache_signals.py; train photos only"""

import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
records = [json.loads(line) for line in open(ROOT / "build/exp/signals.jsonl", encoding="utf-8")]
train = [r for r in records if r["split"] == "train" and "/Packages/" in r["path"]]
products = sorted({r["product"] for r in train})
means = np.stack([np.mean([r["vector"] for r in train if r["product"] == p], axis=0) for p in products])
means /= np.linalg.norm(means, axis=1, keepdims=True)
sims = means @ means.T
np.fill_diagonal(sims, -1)
pairs, used = [], set()
for flat in np.argsort(-sims, axis=None):
    i, j = divmod(int(flat), len(products))
    if i in used or j in used:
        continue
    pairs.append((products[i], products[j], round(float(sims[i, j]), 3)))
    used.update((i, j))
    if len(pairs) == 5:
        break
for product, lookalike, sim in pairs:
    print(f"{product} <- {lookalike} ({sim})")
