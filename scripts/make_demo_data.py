#!/usr/bin/env python
"""Copy a few products of the Grocery Store Dataset into demo/ (how demo/ was made; run once).

    python scripts/make_demo_data.py [--dataset ../shared/data/grocery-store]

Reference photos come from the dataset's catalog ("iconic") images and its train split; sample
query photos from its val split, plus photos of a product left out of the demo catalog.
"""

import argparse
import shutil
from pathlib import Path

from index.importing.manifests import write_manifest

PRODUCTS = {
    "Arla-Standard-Milk": ("Milk", "Arla"),
    "Arla-Ecological-Medium-Fat-Milk": ("Milk", "Arla"),
    "Alpro-Vanilla-Soyghurt": ("Soyghurt", "Alpro"),
    "Alpro-Blueberry-Soyghurt": ("Soyghurt", "Alpro"),
    "God-Morgon-Orange-Juice": ("Juice", "God Morgon"),
    "Oatly-Oat-Milk": ("Oat-Milk", "Oatly"),
}
LEFT_OUT = {"Oatly-Natural-Oatghurt": "Oatghurt"}
TRAIN_PER_PRODUCT = 8
QUERIES_PER_PRODUCT = 2
ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default=str(ROOT.parent / "shared" / "data" / "grocery-store"))
    args = parser.parse_args()
    dataset, demo = Path(args.dataset), ROOT / "demo"
    shutil.rmtree(demo / "references", ignore_errors=True)
    shutil.rmtree(demo / "queries", ignore_errors=True)
    product_rows, query_rows = [], []
    for product, (kind, brand) in PRODUCTS.items():
        name = product.replace("-", " ")
        target = demo / "references" / product
        target.mkdir(parents=True)
        iconic = next((dataset / "iconic-images-and-descriptions" / "Packages" / kind).rglob(f"{product}_Iconic.jpg"))
        shutil.copy2(iconic, target / iconic.name)
        product_rows.append([f"references/{product}/{iconic.name}", product, "genuine", name, brand, "catalog"])
        for photo in sorted((dataset / "train" / "Packages" / kind / product).glob("*.jpg"))[:TRAIN_PER_PRODUCT]:
            shutil.copy2(photo, target / photo.name)
            product_rows.append([f"references/{product}/{photo.name}", product, "genuine", name, brand, "shelf"])
    queries = demo / "queries"
    queries.mkdir()
    for product, kind in {**{p: k for p, (k, _) in PRODUCTS.items()}, **LEFT_OUT}.items():
        for photo in sorted((dataset / "val" / "Packages" / kind / product).glob("*.jpg"))[:QUERIES_PER_PRODUCT]:
            shutil.copy2(photo, queries / photo.name)
            true_id = product if product in PRODUCTS else ""
            query_rows.append([f"queries/{photo.name}", "", "", true_id, "genuine"])
    write_manifest(demo / "products.csv", ["path", "product_id", "label", "name", "brand", "view"], product_rows)
    write_manifest(demo / "queries.csv", ["path", "claimed_product_id", "case_id", "true_product_id", "label"], query_rows)
    shutil.copy2(dataset / "LICENSE", demo / "LICENSE-grocery-store-dataset")
    print(f"demo: {len(product_rows)} reference photos, {len(query_rows)} query photos")


if __name__ == "__main__":
    main()
