#!/usr/bin/env python
"""Write the evaluation manifests for the Grocery Store Dataset (references: train + catalog
images; queries: val photos, never used for anything but measuring).

    python scripts/make_grocery_eval.py [--dataset ../shared/data/grocery-store] [--out build/grocery]

Writes into OUT (with a link OUT/data to the dataset, so manifest paths stay inside OUT):
  products_all.csv        every product: train photos + the catalog image
  products_iconic.csv     every product: the catalog image only
  products_heldout.csv    as products_all, without the held-out products (for unknown-product tests)
  queries_claims.csv      each val photo three times: no claim, claimed as itself (label genuine),
                          claimed as a look-alike of the same kind (label counterfeit)
  queries_unknown.csv     each val photo once, no claim; true_product_id empty for held-out products
"""

import argparse
import csv
import random
from pathlib import Path

from index.importing.manifests import write_manifest

ROOT = Path(__file__).resolve().parent.parent
SEED = 20261129
HELD_OUT_EVERY = 7  # every 7th product with val photos is left out of the held-out catalog


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default=str(ROOT.parent / "shared" / "data" / "grocery-store"))
    parser.add_argument("--out", default=str(ROOT / "build" / "grocery"))
    args = parser.parse_args()
    dataset, out = Path(args.dataset).resolve(), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    link = out / "data"
    if not link.exists():
        link.symlink_to(dataset, target_is_directory=True)

    classes = {}  # class id -> (name, coarse name, iconic path)
    with open(dataset / "classes.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            values = list(row.values())
            classes[int(values[1])] = (values[0], values[2], values[4].lstrip("/"))
    train = _split(dataset / "train.txt")
    val = _split(dataset / "val.txt")

    val_classes = sorted({cid for _, cid in val})
    held_out = {val_classes[i] for i in range(0, len(val_classes), HELD_OUT_EVERY)}
    products_all, products_iconic = [], []
    for cid, (name, coarse, iconic) in sorted(classes.items()):
        products_all.append([f"data/{iconic}", name, "genuine", name.replace("-", " "), "", "catalog"])
        products_iconic.append(products_all[-1])
    for path, cid in train:
        name, coarse, _ = classes[cid]
        products_all.append([f"data/{path}", name, "genuine", name.replace("-", " "), "", "shelf"])
    products_heldout = [row for row in products_all if _cid(classes, row[1]) not in held_out]

    rng = random.Random(SEED)
    siblings = {}
    for cid, (name, coarse, _) in classes.items():
        siblings.setdefault(coarse, []).append(name)
    claims, unknown = [], []
    for path, cid in val:
        name, coarse, _ = classes[cid]
        claims.append([f"data/{path}", "", "", name, "genuine"])
        claims.append([f"data/{path}", name, "", name, "genuine"])
        others = sorted(n for n in siblings[coarse] if n != name)
        if others:
            claims.append([f"data/{path}", rng.choice(others), "", name, "counterfeit"])
        unknown.append([f"data/{path}", "", "", "" if cid in held_out else name, "genuine"])

    header_p = ["path", "product_id", "label", "name", "brand", "view"]
    header_q = ["path", "claimed_product_id", "case_id", "true_product_id", "label"]
    write_manifest(out / "products_all.csv", header_p, products_all)
    write_manifest(out / "products_iconic.csv", header_p, products_iconic)
    write_manifest(out / "products_heldout.csv", header_p, products_heldout)
    write_manifest(out / "queries_claims.csv", header_q, claims)
    write_manifest(out / "queries_unknown.csv", header_q, unknown)
    print(f"{len(products_all)} references of {len(classes)} products; held out: "
          f"{', '.join(classes[c][0] for c in sorted(held_out))}; {len(val)} val photos -> {out}")


def _split(listing: Path) -> list[tuple[str, int]]:
    rows = []
    for line in listing.read_text(encoding="utf-8").splitlines():
        if line.strip():
            path, fine, _ = [part.strip() for part in line.split(",")]
            rows.append((path, int(fine)))
    return rows


def _cid(classes, name: str) -> int:
    return next(cid for cid, (n, _, _) in classes.items() if n == name)


if __name__ == "__main__":
    main()
