#!/usr/bin/env python
"""Copy a few products of the Grocery Store Dataset into demo/ (how demo/ was made; run once).

    python scripts/make_demo_data.py [--dataset ../shared/data/grocery-store]

The demo catalog: 9 packaged products in look-alike pairs (two orange juices, two standard milks,
two vanilla yoghurts, two Alpro soyghurts, and Oatly oat milk), each with its catalog ("iconic")
image and 13 train photos, so every product is calibrated on its own references; the brand and
the package's printed title (``label_text``) from the dataset's product descriptions; GTINs that
are *invented* for the demo (valid check digits, one made-up company prefix per brand: the
dataset has no barcodes); and, as the known fakes of God Morgon orange juice, reprints of its
own train photos not among its references (``scripts/reprints.py``, the ``press`` maker: the
artwork copied with a word or the logo changed, printed again and photographed again), filed as
seized fakes would be. They were photos of another God Morgon juice in a near-identical carton
until issue 24: a look-alike (a question of identity), which the authenticity model could not tell
clearly from God Morgon's own shop photos, so the genuine God Morgon photos were never green.

Sample queries, from the val split (never in the catalog): true claims; substitutions (another
brand's juice claimed as God Morgon, a Garant milk claimed as Arla, an Arla yoghurt claimed as
Valio, one Alpro flavour claimed as the other); two more reprints of God Morgon (of val photos:
one by the maker of its seized fakes, one by a maker it has never seen) claimed as the product;
products not in the catalog; and three edited photos: a God Morgon carton carrying Bravo's
barcode, one carrying its own, and an Alpro pack with "ALPRA" pasted over it.

The unit codes (``--only serials``, from the Oatly photos already in demo/queries, no dataset
needed): Oatly's register of issued serials (``demo/serials.csv``: invented serials, batches and
expiry dates for its demo GTIN) and three Oatly photos carrying a GS1 Digital Link QR code: a
serial the brand issued, one it never issued, and the issued one again on another pack (a copied
code: checked after the first, it is flagged as seen before).
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
#: product -> the makers (``scripts/reprints.py``) of its known counterfeits and of the reprints
#: checked: the one that made the seized fakes, then one the catalog never saw
FAKES = {"God-Morgon-Orange-Juice": ("press", "copyshop")}
FAKE_PHOTOS = 8
FAKES_SEED = 20261207
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


#: The demo's register of serials: Oatly's (a product with no look-alike in the catalog, so its photos
#: are judged on their unit code), with invented serials, two batches and their expiry dates.
SERIAL_PRODUCT = "Oatly-Oat-Milk"
SERIALS = 400
#: (batch, expiry YYYY-MM-DD) of the first and the second half of the serials
BATCHES = (("L2611A", "2030-11-30"), ("L2612B", "2030-12-31"))
#: photo in demo/queries -> (its name with the code, the serial on it)
ISSUED_SERIAL = 42
UNIT_CODE_PHOTOS = [("Oatly-Oat-Milk_001.jpg", "Oatly-Oat-Milk_001_unit-code-issued.jpg", ISSUED_SERIAL),
                    ("Oatly-Oat-Milk_002.jpg", "Oatly-Oat-Milk_002_unit-code-never-issued.jpg", None),
                    ("Oatly-Oat-Milk_002.jpg", "Oatly-Oat-Milk_002_unit-code-cloned.jpg", ISSUED_SERIAL)]


def demo_serial(index: int) -> str:
    """An invented 10-character serial (letters and digits, none that read alike: no I, O, 0, 1)."""
    import hashlib

    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    digest = hashlib.sha256(f"demo-serial-{index}".encode()).digest()
    return "".join(alphabet[b % len(alphabet)] for b in digest[:10])


def make_serials(demo: Path) -> None:
    """demo/serials.csv and the three photos carrying a unit code."""
    from photo_edits import digital_link, paste_qr

    gtin = gtin_of(SERIAL_PRODUCT)
    rows = []
    for i in range(SERIALS):
        batch, expiry = BATCHES[i * len(BATCHES) // SERIALS]
        rows.append([gtin, demo_serial(i), batch, expiry])
    write_manifest(demo / "serials.csv", ["gtin", "serial", "batch", "expiry"], rows)
    for source, name, index in UNIT_CODE_PHOTOS:
        serial = demo_serial(index) if index is not None else demo_serial(SERIALS + 7)  # never issued
        batch, expiry = BATCHES[(index or 0) * len(BATCHES) // SERIALS]
        link = digital_link(gtin, serial, batch, expiry[2:4] + expiry[5:7] + expiry[8:10])
        paste_qr(Image.open(demo / "queries" / source), link, where=(0.62, 0.62), width=0.3).save(
            demo / "queries" / name, quality=92)
    print(f"demo: {len(rows)} serials of {SERIAL_PRODUCT} in serials.csv, {len(UNIT_CODE_PHOTOS)} photos with a unit code")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default=str(ROOT.parent / "shared" / "data" / "grocery-store"))
    parser.add_argument("--only", choices=["serials"], default=None, help="only the register and its photos")
    args = parser.parse_args()
    dataset, demo = Path(args.dataset), ROOT / "demo"
    if args.only == "serials":
        make_serials(demo)
        return
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
    for product, (maker, _) in FAKES.items():
        target = demo / "references" / f"{product}-seized-fakes"
        target.mkdir(parents=True)
        sources = photos("train", PRODUCTS[product][0], product)[TRAIN_PER_PRODUCT:TRAIN_PER_PRODUCT + FAKE_PHOTOS]
        for photo in sources:
            name = f"{photo.stem}_reprint-{maker}.jpg"
            reprinted(photo, product, maker, dataset).save(target / name, quality=90)
            product_rows.append([f"references/{target.name}/{name}", product, "counterfeit",
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
    for product, makers in FAKES.items():  # val photos not used above (the first two, the edits' third)
        for photo, maker in zip(photos("val", PRODUCTS[product][0], product)[QUERIES_PER_PRODUCT + 1:], makers):
            name = f"{photo.stem}_reprint-{maker}.jpg"
            reprinted(photo, product, maker, dataset).save(queries / name, quality=90)
            query_rows.append([f"queries/{name}", product, "", product, "counterfeit"])
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
    make_serials(demo)


def reprinted(photo: Path, product: str, maker: str, dataset: Path) -> Image.Image:
    """A counterfeiter's reprint of a genuine photo of ``product`` (``scripts/reprints.py``), the
    same every run (seeded by the maker and the photo's name)."""
    import zlib

    import numpy as np
    from reprints import CatalogWords, Product, reprint

    catalog = [Product(p, p.replace("-", " "), brand, _title(dataset, kind, p)) for p, (kind, brand) in PRODUCTS.items()]
    rng = np.random.default_rng([FAKES_SEED, zlib.crc32(maker.encode()), zlib.crc32(photo.name.encode())])
    image, ops = reprint(Image.open(photo), next(p for p in catalog if p.product_id == product), CatalogWords(catalog),
                         rng, maker=maker)
    print(f"{photo.name} reprinted by {maker}: " + ", ".join(
        op["op"] + (" (skipped)" if "skipped" in op else "") for op in ops))
    return image


def _title(dataset: Path, kind: str, product: str) -> str:
    """The package's printed title, from the dataset's product description."""
    info = next((dataset / "iconic-images-and-descriptions" / "Packages" / kind).rglob(f"{product}_Information.txt"))
    for line in info.read_text(encoding="utf-8-sig").splitlines():
        if line.startswith("Title:"):
            return line.split(":", 1)[1].strip()
    return ""


if __name__ == "__main__":
    main()
