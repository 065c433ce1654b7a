"""Would requiring every view of a tuned catalog's vectors to name the other product, before a
claim is flagged `looks_like_other_product`, cut false alarms on true claims? Reads an evaluation
report of the claims manifest and embeds its val photos with the catalog's model.

    python scripts/experiments/view_flags.py build/cat_all_tuned2d build/reports/claims_s4_tuned2d
"""

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from index.connect import embedder_for  # noqa: E402
from index.judging import calibration as C  # noqa: E402
from index.storing.catalog import Catalog  # noqa: E402
from vision import load_photo  # noqa: E402


def main(catalog_dir: str, report: str) -> None:
    rows = [json.loads(line) for line in open(Path(report) / "results.jsonl", encoding="utf-8")]
    paths = sorted(set(r["path"] for r in rows))
    cache = ROOT / f"build/exp/val_{Path(catalog_dir).name}.npz"
    with Catalog.open(catalog_dir) as catalog:
        calibration = C.current(catalog)
        if cache.exists():
            Q = np.load(cache)["q"]
        else:
            embedder = embedder_for(catalog, threads=2)
            Q = np.zeros((len(paths), embedder.dim), np.float32)
            for s in range(0, len(paths), 16):
                images = [load_photo(p, min_side=embedder.min_decode_side).image for p in paths[s:s + 16]]
                Q[s:s + 16] = embedder.embed(images)
            np.savez(cache, q=Q)
    views = {p: calibration.views.products(Q[i:i + 1]) for i, p in enumerate(paths)}
    table = {}
    for r in rows:
        if r["claimed_product_id"] is None or "looks_like_other_product" not in r["flags"]:
            continue
        kind = "true" if r["truth"]["true_product_id"] == r["claimed_product_id"] else "lookalike"
        other = r["details"]["identified_product_id"]
        agree = all(v == other for v in views[r["path"]])
        key = (kind, r["verdict"], "views agree" if agree else "views disagree")
        table[key] = table.get(key, 0) + 1
    for key in sorted(table):
        print(key, table[key])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
