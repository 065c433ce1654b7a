#!/usr/bin/env python
"""Write the development counterfeit set of reprinted labels (issue 24): reprints of Grocery Store
pack photos (``scripts/reprints.py``) as known counterfeits and as fakes to check.

    python scripts/make_grocery_eval.py                 # build/grocery, once
    python scripts/make_reprints.py [--grocery build/grocery] [--out build/reprints]
    python scripts/index_catalog.py build/cat_reprints --manifest build/reprints/products_reprints.csv
    VERIFIER_AUTO_TUNE=0 python scripts/evaluate.py build/cat_reprints \\
        --manifest build/reprints/queries_reprints.csv --out build/reports/reprints

For each product of ``PRODUCTS`` (packaged, with a brand, label text and val photos):
- up to ``--fakes-per-product`` of its **train** photos reprinted by its *catalog maker* are filed
  as its known counterfeits (``label=counterfeit``, ``view=seized``), photos whose brand or
  variant word OCR can locate first (a seized fake is photographed so its label shows);
- each of its **val** photos reprinted by its *query maker* is checked claimed as the product
  (``label=counterfeit``), and the val photo itself claimed as the product (``label=genuine``).
Catalog makers alternate between ``press`` and ``inkjet``. For half the products (``seen``) the
query maker is the catalog maker; for the other half (``unseen``) it is ``copyshop``, a recipe that
made none of the catalog's fakes: those products are judged on fakes unlike any they were shown.

Writes into OUT (a link OUT/data to the dataset, as build/grocery has, so paths stay inside OUT):
  products_reprints.csv       every product's train photos + catalog image (products_all.csv) and
                              the reprinted known counterfeits
  queries_reprints.csv        the reprinted val photos and the products' own val photos
  queries_reprints_seen.csv   the same, only products whose query maker made their catalog fakes
  queries_reprints_unseen.csv the same, only products judged on the unseen maker's fakes
  queries_rephotographed.csv  a control: the products' own val photos only photographed again
                              (perspective, light, white balance, noise; no print op), as genuine
  reprints.csv                each image made: source, maker, role, the ops applied or skipped
  contact_sheet.png           genuine photos beside reprints, with a close-up of a changed word
  ocr_cache.json              the OCR lines of each source photo (by SHA-256), read once
Images are written under OUT/fakes and OUT/queries. The Grocery Store Dataset is MIT-licensed
(Klasson, Zhang, Kjellström, WACV 2019); its photos and these reprints stay under build/, never
in git.
"""

import argparse
import csv
import hashlib
import json
import os
import sys
import time
import zlib
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's packages first
sys.path.insert(0, str(Path(__file__).resolve().parent))
from reprints import CatalogWords, Product, read_text, readable_words, reprint  # noqa: E402

from index.importing.manifests import write_manifest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEED = 20261224
#: Packaged products with a brand, label text and val photos; brands with several products (so a
#: variant word can be swapped) and one without (Valio).
PRODUCTS = [
    "Alpro-Blueberry-Soyghurt", "Alpro-Vanilla-Soyghurt", "Arla-Medium-Fat-Milk", "Arla-Mild-Vanilla-Yoghurt",
    "Arla-Standard-Milk", "Bravo-Apple-Juice", "Bravo-Orange-Juice", "God-Morgon-Apple-Juice",
    "God-Morgon-Orange-Juice", "Garant-Ecological-Standard-Milk", "Oatly-Natural-Oatghurt", "Oatly-Oat-Milk",
    "Valio-Vanilla-Yoghurt", "Yoggi-Strawberry-Yoghurt",
]
CATALOG_MAKERS = ("press", "inkjet")
UNSEEN_MAKER = "copyshop"
HEADER_P = ["path", "product_id", "label", "name", "brand", "view", "label_text"]
HEADER_Q = ["path", "claimed_product_id", "case_id", "true_product_id", "label"]
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grocery", default=str(ROOT / "build" / "grocery"),
                        help="the folder scripts/make_grocery_eval.py wrote (default build/grocery)")
    parser.add_argument("--out", default=str(ROOT / "build" / "reprints"))
    parser.add_argument("--fakes-per-product", type=int, default=14,
                        help="train photos of each product reprinted as its known counterfeits (default 14)")
    parser.add_argument("--products", nargs="*", default=PRODUCTS)
    args = parser.parse_args()
    grocery, out = Path(args.grocery), Path(args.out)
    if not (grocery / "products_all.csv").exists():
        parser.error(f"{grocery / 'products_all.csv'}: not found; run scripts/make_grocery_eval.py first")
    out.mkdir(parents=True, exist_ok=True)
    link = out / "data"
    if not link.exists():
        link.symlink_to((grocery / "data").resolve(), target_is_directory=True)

    catalog_rows = _read(grocery / "products_all.csv")
    products: dict[str, Product] = {}
    train: dict[str, list[str]] = {}
    for row in catalog_rows:
        products.setdefault(row["product_id"], Product(row["product_id"], row["name"], row["brand"], row["label_text"]))
        if row["view"] == "shelf":
            train.setdefault(row["product_id"], []).append(row["path"])
    val: dict[str, list[str]] = {}
    for row in _read(grocery / "queries_claims.csv"):
        if row["label"] == "genuine" and row["claimed_product_id"] == row["true_product_id"]:
            val.setdefault(row["true_product_id"], []).append(row["path"])
    missing = [p for p in args.products if p not in products or not val.get(p) or not train.get(p)]
    if missing:
        parser.error(f"not in {grocery / 'products_all.csv'} with train and val photos: {', '.join(missing)}")
    words = CatalogWords(products.values())
    ocr = _OcrCache(out / "ocr_cache.json")

    started = time.perf_counter()
    made, fakes_rows, queries, rephotographed = [], [], {"seen": [], "unseen": []}, []
    for index, product_id in enumerate(sorted(args.products)):
        product = products[product_id]
        catalog_maker = CATALOG_MAKERS[(index // 2) % len(CATALOG_MAKERS)]
        group = "seen" if index % 2 == 0 else "unseen"
        query_maker = catalog_maker if group == "seen" else UNSEEN_MAKER
        chosen = _choose(sorted(train[product_id]), args.fakes_per_product, product, words, ocr, out)
        for path in chosen:
            target = out / "fakes" / product_id / f"{Path(path).stem}__{catalog_maker}.jpg"
            record = _make(out, path, target, product, words, catalog_maker, ocr)
            made.append({**record, "role": "catalog_fake", "group": group})
            fakes_rows.append([record["path"], product_id, "counterfeit", product.name, product.brand, "seized", ""])
        for path in sorted(val[product_id]):
            target = out / "queries" / product_id / f"{Path(path).stem}__{query_maker}.jpg"
            record = _make(out, path, target, product, words, query_maker, ocr)
            made.append({**record, "role": "query_fake", "group": group})
            queries[group].append([record["path"], product_id, "", product_id, "counterfeit"])
            queries[group].append([path, product_id, "", product_id, "genuine"])
            target = out / "queries" / product_id / f"{Path(path).stem}__rephotographed.jpg"
            record = _make(out, path, target, product, words, query_maker, ocr, ops=["rephotograph"])
            made.append({**record, "role": "rephotographed_genuine", "group": group})
            rephotographed.append([record["path"], product_id, "", product_id, "genuine"])
        print(f"{product_id}: {len(chosen)} catalog fakes ({catalog_maker}), {len(val[product_id])} queries "
              f"({query_maker}, {group})", flush=True)
    ocr.save()
    seconds = time.perf_counter() - started

    write_manifest(out / "products_reprints.csv", HEADER_P,
                   [[row[c] for c in HEADER_P] for row in catalog_rows] + fakes_rows)
    write_manifest(out / "queries_reprints.csv", HEADER_Q, queries["seen"] + queries["unseen"])
    write_manifest(out / "queries_reprints_seen.csv", HEADER_Q, queries["seen"])
    write_manifest(out / "queries_reprints_unseen.csv", HEADER_Q, queries["unseen"])
    write_manifest(out / "queries_rephotographed.csv", HEADER_Q, rephotographed)
    with open(out / "reprints.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "product_id", "role", "group", "maker", "source", "ops", "ops_json"])
        for record in made:
            writer.writerow([record["path"], record["product_id"], record["role"], record["group"], record["maker"],
                             record["source"], _short(record["ops"]), json.dumps(record["ops"], ensure_ascii=False)])
    sheet = _contact_sheet(out, made)
    _summary(made, seconds, out, sheet)
    return 0


def _choose(sources: list[str], count: int, product: Product, words: CatalogWords, ocr: "_OcrCache",
            out: Path) -> list[str]:
    """The train photos to reprint as known counterfeits: those where a word op can rewrite the
    brand or the variant word first (a seized fake is photographed so its label shows), then the
    rest, in order."""
    readable = []
    for path in sources:
        photo = Image.open(out / path)
        readable.append(readable_words(ocr.read(out / path, photo), photo.size, product, words) > 0)
    ranked = [p for p, r in zip(sources, readable) if r] + [p for p, r in zip(sources, readable) if not r]
    return sorted(ranked[:count])


def _make(out: Path, source: str, target: Path, product: Product, words: CatalogWords, maker: str,
          ocr: "_OcrCache", ops=None) -> dict:
    """One reprint, seeded by the maker and the source photo's path (the same every run)."""
    photo = Image.open(out / source)
    photo.load()
    reading = ocr.read(out / source, photo)
    rng = np.random.default_rng([SEED, zlib.crc32(maker.encode()), zlib.crc32(source.encode()),
                                 0 if ops is None else 1])
    image, applied = reprint(photo, product, words, rng, ops=ops, reading=reading, maker=maker)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".tmp")
    image.save(temporary, "JPEG", quality=90)
    os.replace(temporary, target)
    return {"path": str(target.relative_to(out)), "product_id": product.product_id, "maker": maker,
            "source": source, "ops": applied}


class _OcrCache:
    """OCR lines of each source photo by the SHA-256 of its bytes: read once, kept between runs."""

    def __init__(self, path: Path):
        self.path = path
        self.lines = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        self.fresh = 0

    def read(self, path: Path, photo: Image.Image):
        from vision.text import TextLine

        key = hashlib.sha256(path.read_bytes()).hexdigest()
        if key not in self.lines:
            self.lines[key] = [line.to_dict() for line in read_text(photo)]
            self.fresh += 1
            if self.fresh % 50 == 0:
                self.save()
        return tuple(TextLine.from_dict(line) for line in self.lines[key])

    def save(self) -> None:
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.lines), encoding="utf-8")
        os.replace(temporary, self.path)


def _read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _short(ops: list[dict]) -> str:
    parts = []
    for op in ops:
        if "skipped" in op:
            parts.append(f"{op['op']} skipped")
        elif "to" in op:
            parts.append(f"{op['op']} {op['from']}->{op['to']}")
        else:
            parts.append(op["op"])
    return "; ".join(parts)


def _summary(made: list[dict], seconds: float, out: Path, sheet: Path) -> None:
    roles = Counter(r["role"] for r in made)
    print(f"\n{len(made)} images in {seconds:.0f} s: " + ", ".join(f"{n} {role}" for role, n in sorted(roles.items())))
    for role in ("catalog_fake", "query_fake"):
        subset = [r for r in made if r["role"] == role]
        makers = Counter(r["maker"] for r in subset)
        applied = Counter(op["op"] for r in subset for op in r["ops"] if "skipped" not in op)
        skipped = Counter(f"{op['op']}: {op['skipped']}" for r in subset for op in r["ops"] if "skipped" in op)
        print(f"{role}: makers " + ", ".join(f"{m} {n}" for m, n in sorted(makers.items())))
        print("  ops applied: " + ", ".join(f"{op} {applied[op]}" for op in sorted(applied, key=lambda o: -applied[o])))
        if role == "query_fake":
            groups = Counter(r["group"] for r in subset)
            print("  groups: " + ", ".join(f"{g} {n}" for g, n in sorted(groups.items())))
        for reason, n in skipped.most_common():
            print(f"  skipped {n}: {reason}")
    print(f"manifests in {out}; contact sheet {sheet}")


def _contact_sheet(out: Path, made: list[dict], rows: int = 10, width: int = 360) -> Path:
    """Genuine photo | reprint | close-ups of the first changed word (or the centre), with the ops."""
    def changed(record):
        return [op for op in record["ops"] if op.get("boxes")]

    fakes = [r for r in made if r["role"] in ("catalog_fake", "query_fake")]
    swapped = [r for r in fakes if any(op["op"] == "swap_variant" and op.get("boxes") for op in r["ops"])]
    with_words = [r for r in fakes if changed(r)]
    others = [r for r in fakes if not changed(r)]
    picked, seen = [], set()
    for record in swapped[:2] + with_words + others:  # a swapped word, then one per product, words changed first
        if record["product_id"] not in seen:
            picked.append(record)
            seen.add(record["product_id"])
        if len(picked) == rows:
            break
    font = ImageFont.truetype(FONT, 13) if Path(FONT).exists() else ImageFont.load_default()
    tiles = []
    for record in picked:
        genuine = Image.open(out / record["source"]).convert("RGB")
        fake = Image.open(out / record["path"]).convert("RGB")
        h = round(genuine.height * width / genuine.width)
        boxes = changed(record)
        box = boxes[0]["boxes"][0] if boxes else (0.35, 0.35, 0.65, 0.65)
        zoom = _zoom_box(box, genuine.size)
        tile = Image.new("RGB", (4 * width + 30, h + 40), "white")
        tile.paste(genuine.resize((width, h)), (0, 0))
        tile.paste(fake.resize((width, h)), (width + 10, 0))
        for i, image in enumerate((genuine, fake)):
            crop = image.crop(tuple(round(v) for v in zoom))
            crop = crop.resize((width, round(crop.height * width / max(1, crop.width))), Image.Resampling.LANCZOS)
            tile.paste(crop.crop((0, 0, width, min(h, crop.height))), (2 * width + 20 + i * (width + 10), 0))
        text = f"{record['product_id']} · {record['maker']} · {record['role']}: {_short(record['ops'])}"
        ImageDraw.Draw(tile).text((4, h + 4), text[:230], fill="black", font=font)
        tiles.append(tile)
    sheet = Image.new("RGB", (tiles[0].width, sum(t.height for t in tiles)), "white")
    y = 0
    for tile in tiles:
        sheet.paste(tile, (0, y))
        y += tile.height
    path = out / "contact_sheet.png"
    sheet.save(path)
    return path


def _zoom_box(box, size):
    """A square around a word box (fractions), twice as wide as the word, in pixels."""
    w, h = size
    cx, cy = (box[0] + box[2]) / 2 * w, (box[1] + box[3]) / 2 * h
    side = max((box[2] - box[0]) * w * 1.6, (box[3] - box[1]) * h * 3, 40)
    return (max(0, cx - side / 2), max(0, cy - side / 2), min(w, cx + side / 2), min(h, cy + side / 2))


if __name__ == "__main__":
    sys.exit(main())
