#!/usr/bin/env python
"""Copy a few products of the Grocery Store Dataset into demo/ (how demo/ was made; run once).

    python scripts/make_demo_data.py [--dataset ../shared/data/grocery-store]

The demo catalog: 9 packaged products in look-alike pairs (two orange juices, two standard milks,
two vanilla yoghurts, two Alpro soyghurts, and Oatly oat milk), each with its catalog ("iconic")
image and 13 train photos, so every product is calibrated on its own references; the brand and
the package's printed title (``label_text``) from the dataset's product descriptions; GTINs that
are *invented* for the demo (valid check digits, one made-up company prefix per brand: the
dataset has no barcodes); and, as the known fakes of God Morgon orange juice, photos of another
God Morgon juice in a near-identical carton (as seized fakes would be filed).

Sample queries, from the val split (never in the catalog): true claims; substitutions (another
brand's juice claimed as God Morgon, a Garant milk claimed as Arla, an Arla yoghurt claimed as
Valio, one Alpro flavour claimed as the other); the fakes' look-alikes claimed as the product;
products not in the catalog; and three edited photos: a God Morgon carton carrying Bravo's
barcode, one carrying its own, and an Alpro pack with "ALPRA" pasted over it.
"""

import argparse
import shutil
from pathlib import Path

from PIL import Image

from index.importing.manifests import write_manifest
from photo_edits import gtin_with_check_digit, paste_barcode, paste_label

PRODUCTS = {
    "God-Morgon-Orange-Juice": ("Juice", "God Morgon"),
    "Bravo-Orange-Juice": ("Juice", "Bravo"),
    "Arla-Standard-Milk": ("Milk", "Arla"),
    "Garant-Ecological-Standard-Milk": ("Milk", "Garant"),
    "Valio-Vanilla-Yoghurt": ("Yoghurt", "Valio"),
    "Arla-Mild-Vanilla-Yoghurt": ("Yoghurt", "Arla"),
    "Alpro-Vanilla-Soyghurt": ("Soyghurt", "Alpro"),
    "Alpro-Blueberry-Soyghurt": ("Soyghurt", "Alpro"),
    "Oatly-Oat-Milk": ("Oat-Milk", "Oatly"),
}
#: Invented company prefixes (GS1 Sweden range, 9 digits), one per brand: demo GTINs only.
COMPANY = {"God Morgon": "735000101", "Bravo": "735000102", "Arla": "735000103", "Garant": "735000104",
           "Valio": "735000105", "Alpro": "735000106", "Oatly": "735000107"}
#: product -> (kind, the look-alike whose train photos are filed as its known counterfeits)
FAKES = {"God-Morgon-Orange-Juice": ("Juice", "God-Morgon-Orange-Red-Grapefruit-Juice")}
FAKE_PHOTOS = 8
#: (photo of, claimed as): substitutions a counterfeiter would make
SUBSTITUTIONS = [("Bravo-Orange-Juice", "God-Morgon-Orange-Juice"), ("Garant-Ecological-Standard-Milk", "Arla-Standard-Milk"),
                 ("Arla-Mild-Vanilla-Yoghurt", "Valio-Vanilla-Yoghurt"), ("Alpro-Blueberry-Soyghurt", "Alpro-Vanilla-Soyghurt")]
LEFT_OUT = {"Oatly-Natural-Oatghurt": "Oatghurt", "Yoggi-Strawberry-Yoghurt": "Yoghurt"}
TRAIN_PER_PRODUCT = 13
QUERIES_PER_PRODUCT = 2
ROOT = Path(__file__).resolve().parent.parent


def gtin_of(product: str) -> str:
    brand = PRODUCTS[product][1]
    item = list(PRODUCTS).index(product)
    return gtin_with_check_digit(f"{COMPANY[brand]}{item:03d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default=str(ROOT.parent / "shared" / "data" / "grocery-store"))
    args = parser.parse_args()
    dataset, demo = Path(args.dataset), ROOT / "demo"
    shutil.rmtree(demo / "references", ignore_errors=True)
    shutil.rmtree(demo / "queries", ignore_errors=True)

    def photos(split: str, kind: str, product: str) -> list[Path]:
        return sorted((dataset / split / "Packages" / kind / product).glob("*.jpg"))

    product_rows, query_rows = [], []
    for product, (kind, brand) in PRODUCTS.items():
        name, text = product.replace("-", " "), _title(dataset, kind, product)
        target = demo / "references" / product
        target.mkdir(parents=True)
        iconic = next((dataset / "iconic-images-and-descriptions" / "Packages" / kind).rglob(f"{product}_Iconic.jpg"))
        shutil.copy2(iconic, target / iconic.name)
        common = [name, brand]
        product_rows.append([f"references/{product}/{iconic.name}", product, "genuine", *common, "catalog", text,
                             gtin_of(product)])
        for photo in photos("train", kind, product)[:TRAIN_PER_PRODUCT]:
            shutil.copy2(photo, target / photo.name)
            product_rows.append([f"references/{product}/{photo.name}", product, "genuine", *common, "shelf", text,
                                 gtin_of(product)])
    for product, (kind, lookalike) in FAKES.items():
        target = demo / "references" / f"{product}-seized-fakes"
        target.mkdir(parents=True)
        for photo in photos("train", kind, lookalike)[:FAKE_PHOTOS]:
            shutil.copy2(photo, target / photo.name)
            product_rows.append([f"references/{target.name}/{photo.name}", product, "counterfeit",
                                 product.replace("-", " "), PRODUCTS[product][1], "seized", "", ""])

    queries = demo / "queries"
    queries.mkdir()

    def query(photo: Path, claimed: str, truth: str, label: str, name: str | None = None) -> None:
        shutil.copy2(photo, queries / (name or photo.name))
        query_rows.append([f"queries/{name or photo.name}", claimed, "", truth, label])

    for product, (kind, _) in PRODUCTS.items():
        for photo in photos("val", kind, product)[:QUERIES_PER_PRODUCT]:
            query(photo, product, product, "genuine")
        query_rows.append([query_rows[-1][0], "", "", product, "genuine"])  # the same photo, nothing claimed
    for shown, claimed in SUBSTITUTIONS:
        photo = photos("val", PRODUCTS[shown][0], shown)[QUERIES_PER_PRODUCT]
        query(photo, claimed, shown, "counterfeit", f"{photo.stem}_claimed-as-{claimed}.jpg")
    for product, (kind, lookalike) in FAKES.items():
        for photo in photos("val", kind, lookalike)[:QUERIES_PER_PRODUCT]:
            query(photo, product, lookalike, "counterfeit", f"{photo.stem}_claimed-as-{product}.jpg")
    for product, kind in LEFT_OUT.items():
        for photo in photos("val", kind, product)[:QUERIES_PER_PRODUCT]:
            query(photo, "", "", "genuine")
    # edited photos: what the package's own print and barcode can reveal
    god_morgon = Image.open(photos("val", "Juice", "God-Morgon-Orange-Juice")[QUERIES_PER_PRODUCT])
    edits = [
        (paste_barcode(god_morgon, gtin_of("Bravo-Orange-Juice")), "God-Morgon-Orange-Juice_edited-barcode-of-Bravo.jpg",
         "God-Morgon-Orange-Juice", "counterfeit"),
        (paste_barcode(god_morgon, gtin_of("God-Morgon-Orange-Juice")), "God-Morgon-Orange-Juice_edited-own-barcode.jpg",
         "God-Morgon-Orange-Juice", "genuine"),
        (paste_label(Image.open(photos("val", "Soyghurt", "Alpro-Blueberry-Soyghurt")[0]), "ALPRA"),
         "Alpro-Blueberry-Soyghurt_edited-label-ALPRA.jpg", "Alpro-Blueberry-Soyghurt", "counterfeit"),
    ]
    for image, name, claimed, label in edits:
        image.save(queries / name, quality=92)
        query_rows.append([f"queries/{name}", claimed, "", claimed, label])
    write_manifest(demo / "products.csv", ["path", "product_id", "label", "name", "brand", "view", "label_text", "gtin"],
                   product_rows)
    write_manifest(demo / "queries.csv", ["path", "claimed_product_id", "case_id", "true_product_id", "label"], query_rows)
    shutil.copy2(dataset / "LICENSE", demo / "LICENSE-grocery-store-dataset")
    print(f"demo: {len(product_rows)} reference photos, {len(query_rows)} query photos")


def _title(dataset: Path, kind: str, product: str) -> str:
    """The package's printed title, from the dataset's product description."""
    info = next((dataset / "iconic-images-and-descriptions" / "Packages" / kind).rglob(f"{product}_Information.txt"))
    for line in info.read_text(encoding="utf-8-sig").splitlines():
        if line.startswith("Title:"):
            return line.split(":", 1)[1].strip()
    return ""


if __name__ == "__main__":
    main()
