"""Would a known-fakes model per view (each tuned draw, the ImageNet view), all of which must
flag, accuse fewer genuine photos on the known-fakes proxy while still catching the fakes?

    python scripts/experiments/view_fakes.py build/cat_fakes_tuned2d build/reports/fakes_s5_tuned2d
"""

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from index.connect import embedder_for  # noqa: E402
from index.judging import calibration as C  # noqa: E402
from index.judging import fakes as F  # noqa: E402
from index.storing.catalog import Catalog  # noqa: E402
from vision import load_photo  # noqa: E402

WIDTH = 1280


def main(catalog_dir: str, report: str, alpha: float = 0.05 / 3) -> None:
    rows = [json.loads(line) for line in open(Path(report) / "results.jsonl", encoding="utf-8")]
    with Catalog.open(catalog_dir) as catalog:
        refs = catalog.db.execute(
            "SELECT image_id, product_id, brand, label FROM refs ORDER BY product_id, image_id").fetchall()
        fake_products = {r[1] for r in refs if r[3] == "counterfeit"}
        chosen = [r for r in refs if r[1] in fake_products]
        ids = [r[0] for r in chosen]
        vectors = C._vectors(catalog, ids)
        products, labels = [r[1] for r in chosen], [r[3] for r in chosen]
        groups = np.zeros(len(ids), np.int64)
        offset = 0
        for key in sorted({(p, lab) for p, lab in zip(products, labels)}):
            members = np.flatnonzero([(p, lab) == key for p, lab in zip(products, labels)])
            local = C.head_module.similarity_groups(vectors[members], C.SESSION_SIMILARITY)
            groups[members] = local + offset
            offset += int(local.max()) + 1
        embedder = embedder_for(catalog, threads=2)
        Q = embedder.embed([load_photo(r["path"], min_side=embedder.min_decode_side).image for r in rows])
    views = [(0, vectors.shape[1])] + [(a, a + WIDTH) for a in range(0, vectors.shape[1], WIDTH)]
    models = []
    for a, b in views:
        V = vectors[:, a:b] / np.linalg.norm(vectors[:, a:b], axis=1, keepdims=True)
        models.append((a, b, F.fit(V, products, labels, {}, groups)))
    table = {}
    for i, r in enumerate(rows):
        flags = []
        for a, b, m in models:
            model = m.for_product(r["claimed_product_id"])
            q = Q[i:i + 1, a:b] / np.linalg.norm(Q[i:i + 1, a:b])
            s = model.score(q)
            flags.append((round(s, 2), round(model.p_value(s), 4), s > 0 and model.p_value(s) < alpha))
        kind = r["truth"]["label"]
        joint, per_view = flags[0][2], all(f[2] for f in flags[1:])
        two_of_three = sum(f[2] for f in flags[1:]) >= 2
        for name, flag in (("joint", joint), ("every view", per_view), ("joint and every view", joint and per_view),
                           ("2 of 3 views", two_of_three)):
            table.setdefault(name, {}).setdefault(kind, []).append(flag)
        print(kind[:4], Path(r["path"]).name[:30], flags)
    for name, by_kind in table.items():
        print(f"{name:22s}", {k: f"{sum(v)}/{len(v)}" for k, v in by_kind.items()})


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
