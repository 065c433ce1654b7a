#!/usr/bin/env python
"""Write the evaluation manifests for the Grocery Store Dataset (references: train + catalog
images; queries: val photos, never used for anything but measuring).

    python scripts/make_grocery_eval.py [--dataset ../shared/data/grocery-store] [--out build/grocery]

Writes into OUT (with a link OUT/data to the dataset, so manifest paths stay inside OUT):
  products_all.csv        every product: train photos + the catalog image
  products_iconic.csv     every product: the catalog image only
  products_train{2,5,10}.csv  thin catalogs: k train photos a product, drawn at random (seeded), no
                          catalog image (what a brand owner with a few photos a product has; issue 28)
  products_heldout.csv    as products_all, without the held-out products (for unknown-product tests)
  queries_claims.csv      each val photo three times: no claim, claimed as itself (label genuine),
                          claimed as a look-alike of the same kind (label counterfeit)
  queries_unknown.csv     each val photo once, no claim; true_product_id empty for held-out products
  products_fakes.csv      known-fakes proxy: as products_all, but for 5 packaged products the train
                          photos of their closest look-alike are filed as that product's counterfeits
                          (the look-alike itself leaves the catalog)
  queries_fakes.csv       the look-alikes' val photos claimed as the product (label counterfeit) and
                          the products' own val photos claimed as themselves (label genuine)

Product rows carry the brand and the package's printed title (``label_text``) from the dataset's
``*_Information.txt`` files: what a brand owner knows of their own packages.
"""

import argparse
import csv
import random
from pathlib import Path

from index.importing.manifests import write_manifest

ROOT = Path(__file__).resolve().parent.parent
SEED = 20261129
HELD_OUT_EVERY = 7
#: Thin catalogs (issue 28): this many train photos a product.
THIN_SIZES = (2, 5, 10)  # every 7th product with val photos is left out of the held-out catalog
#: (product, its closest look-alike): for each packaged product, the other packaged product whose
#: train photos' mean offline-model vector is nearest (cosine), taking the 5 closest pairs with no
#: product twice (scripts/experiments/lookalikes.py; train photos only).
FAKE_PAIRS = [
    ("Alpro-Shelf-Soy-Milk", "Alpro-Fresh-Soy-Milk"),
    ("Yoggi-Strawberry-Yoghurt", "Yoggi-Vanilla-Yoghurt"),
    ("God-Morgon-Orange-Red-Grapefruit-Juice", "God-Morgon-Red-Grapefruit-Juice"),
    ("Arla-Mild-Vanilla-Yoghurt", "Arla-Natural-Yoghurt"),
    ("Alpro-Vanilla-Soyghurt", "Alpro-Blueberry-Soyghurt"),
]


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
    labels = {}  # name -> (brand, label text)
    with open(dataset / "classes.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            values = list(row.values())
            classes[int(values[1])] = (values[0], values[2], values[4].lstrip("/"))
            labels[values[0]] = _package_text(dataset / values[4].lstrip("/"))
    train = _split(dataset / "train.txt")
    val = _split(dataset / "val.txt")

    val_classes = sorted({cid for _, cid in val})
    held_out = {val_classes[i] for i in range(0, len(val_classes), HELD_OUT_EVERY)}
    products_all, products_iconic = [], []
    for cid, (name, coarse, iconic) in sorted(classes.items()):
        brand, text = labels[name]
        products_all.append([f"data/{iconic}", name, "genuine", name.replace("-", " "), brand, "catalog", text])
        products_iconic.append(products_all[-1])
    for path, cid in train:
        name, coarse, _ = classes[cid]
        brand, text = labels[name]
        products_all.append([f"data/{path}", name, "genuine", name.replace("-", " "), brand, "shelf", text])
    products_heldout = [row for row in products_all if _cid(classes, row[1]) not in held_out]
    thin_rng = random.Random(SEED + 1)
    by_product: dict[str, list[list[str]]] = {}
    for row in products_all:
        if row[5] == "shelf":
            by_product.setdefault(row[1], []).append(row)
    products_thin = {k: [row for name in sorted(by_product)
                         for row in thin_rng.sample(by_product[name], min(k, len(by_product[name])))]
                     for k in THIN_SIZES}

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

    # known-fakes proxy: each pair's look-alike leaves the catalog; its train photos become fakes
    fake_of = {lookalike: product for product, lookalike in FAKE_PAIRS}
    products_fakes = []
    for row in products_all:
        if row[1] in fake_of:
            if row[5] == "shelf":
                product = fake_of[row[1]]
                products_fakes.append([row[0], product, "counterfeit", product.replace("-", " "), labels[product][0],
                                       "seized", ""])
        else:
            products_fakes.append(row)
    queries_fakes = []
    for path, cid in val:
        name = classes[cid][0]
        if name in fake_of:
            queries_fakes.append([f"data/{path}", fake_of[name], "", name, "counterfeit"])
        elif name in dict(FAKE_PAIRS):
            queries_fakes.append([f"data/{path}", name, "", name, "genuine"])

    header_p = ["path", "product_id", "label", "name", "brand", "view", "label_text"]
    header_q = ["path", "claimed_product_id", "case_id", "true_product_id", "label"]
    write_manifest(out / "products_all.csv", header_p, products_all)
    write_manifest(out / "products_iconic.csv", header_p, products_iconic)
    write_manifest(out / "products_heldout.csv", header_p, products_heldout)
    for k, rows in products_thin.items():
        write_manifest(out / f"products_train{k}.csv", header_p, rows)
    write_manifest(out / "queries_claims.csv", header_q, claims)
    write_manifest(out / "queries_unknown.csv", header_q, unknown)
    write_manifest(out / "products_fakes.csv", header_p, products_fakes)
    write_manifest(out / "queries_fakes.csv", header_q, queries_fakes)
    print(f"{len(products_all)} references of {len(classes)} products; held out: "
          f"{', '.join(classes[c][0] for c in sorted(held_out))}; {len(val)} val photos -> {out}")


def _package_text(iconic: Path) -> tuple[str, str]:
    """(brand, printed title) from the product's ``*_Information.txt`` beside its catalog image."""
    info = next(iconic.parent.glob("*_Information.txt"), None)
    if info is None:
        return "", ""
    text = info.read_text(encoding="utf-8-sig")
    title = next((line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("Title:")), "")
    maker = next((line.split(":", 1)[1].split(",")[0].strip() for line in text.splitlines()
                  if line.startswith("Manufacturer and volume:")), "")
    return maker.title(), title


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
