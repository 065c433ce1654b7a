"""Development fakes (issue 24): a counterfeiter's reprint of a real demo photo changes what it
says it changed, where it says, and a photo with no readable words is still reprinted."""

from __future__ import annotations

import csv
import re
import sys

import numpy as np
import pytest
from PIL import Image

from conftest import DEMO, ROOT, demo_photo

sys.path.insert(0, str(ROOT / "scripts"))
from reprints import OPS, PRINT_OPS, CatalogWords, Product, choose_ops, fold, MAKERS, reprint  # noqa: E402


@pytest.fixture(scope="module")
def catalog_words():
    with open(DEMO / "products.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    products = {}
    for row in rows:
        products.setdefault(row["product_id"], Product(row["product_id"], row["name"], row["brand"], row["label_text"]))
    return CatalogWords(products.values())


@pytest.fixture(scope="module")
def reader():
    from vision.text import TextReader

    return TextReader(threads=1)


def _product(catalog_words, product_id):
    return catalog_words.products[product_id]


def _read_in(reader, image, box):
    """Folded words OCR reads on lines overlapping ``box`` (fractions of the photo)."""
    out = []
    for line in reader.read(image):
        left, top, right, bottom = line.box
        if left < box[2] and right > box[0] and top < box[3] and bottom > box[1]:
            out += [fold(w) for w in line.text.split()]
    return out


def _read_crop(reader, image, box):
    """Folded words OCR reads on the photo cut to ``box`` (fractions) with a margin, enlarged."""
    w, h = image.size
    margin = 0.5 * (box[3] - box[1]) * h
    crop = image.crop((max(0, box[0] * w - margin), max(0, box[1] * h - margin),
                       min(w, box[2] * w + margin), min(h, box[3] * h + margin)))
    crop = crop.resize((crop.width * 3, crop.height * 3), Image.Resampling.BICUBIC)
    return [fold(word) for line in reader.read(crop) for word in re.findall(r"[^\W_]+", line.text)]


def test_a_reprint_misspells_the_brand_in_place_and_ocr_reads_the_misspelling(catalog_words, reader):
    photo = Image.open(demo_photo("Alpro-Vanilla-Soyghurt_001.jpg")).convert("RGB")
    image, ops = reprint(photo, _product(catalog_words, "Alpro-Vanilla-Soyghurt"), catalog_words,
                         np.random.default_rng(2), ops=["misspell_brand"])
    (op,) = ops
    assert op["op"] == "misspell_brand" and "skipped" not in op, op
    assert fold(op["from"]) == "alpro" and fold(op["to"]) != "alpro"
    box = op["boxes"][0]
    read = _read_in(reader, image, box)
    assert fold(op["to"]) in read, (op, read)
    assert "alpro" not in read
    # the edit stays where the word was: far from it the photo is unchanged (up to resampling)
    before, after = np.asarray(photo, float), np.asarray(image, float)
    h, w = before.shape[:2]
    x0, y0, x1, y1 = box
    pad = 0.1
    far = np.ones((h, w), bool)
    far[max(0, int((y0 - pad) * h)):int((y1 + pad) * h), max(0, int((x0 - pad) * w)):int((x1 + pad) * w)] = False
    inside = ~far
    assert np.abs(after - before)[far].mean() < 2.0
    assert np.abs(after - before)[inside].mean() > 4 * np.abs(after - before)[far].mean()


def test_a_swapped_variant_word_names_another_product_of_the_brand(catalog_words, reader):
    photo = Image.open(demo_photo("Alpro-Vanilla-Soyghurt_002.jpg")).convert("RGB")
    product = _product(catalog_words, "Alpro-Vanilla-Soyghurt")
    image, (op,) = reprint(photo, product, catalog_words, np.random.default_rng(0), ops=["swap_variant"])
    assert "skipped" not in op, op
    assert fold(op["from"]) in catalog_words.variant_words(product)
    blueberry = catalog_words.variant_words(_product(catalog_words, "Alpro-Blueberry-Soyghurt"))
    assert fold(op["to"]) in blueberry  # the only other Alpro product of the demo catalog
    # read where the word was drawn (on the whole shelf photo the detector merges it with its
    # neighbours' lines)
    read = _read_crop(reader, image, op["boxes"][0])
    assert fold(op["to"]) in read, (op, read)
    assert fold(op["from"]) not in read


def test_every_op_is_applied_in_order_and_the_same_seed_gives_the_same_reprint(catalog_words):
    photo = Image.open(demo_photo("Bravo-Orange-Juice_001.jpg")).convert("RGB")
    product = _product(catalog_words, "Bravo-Orange-Juice")
    first, ops = reprint(photo, product, catalog_words, np.random.default_rng(7), ops=list(OPS), maker="inkjet")
    again, ops_again = reprint(photo, product, catalog_words, np.random.default_rng(7), ops=list(OPS), maker="inkjet")
    other, _ = reprint(photo, product, catalog_words, np.random.default_rng(8), ops=list(OPS), maker="inkjet")
    assert [op["op"] for op in ops] == list(OPS)
    assert ops == ops_again and np.array_equal(np.asarray(first), np.asarray(again))
    assert not np.array_equal(np.asarray(first), np.asarray(other))
    assert first.size == photo.size
    assert np.abs(np.asarray(first, float) - np.asarray(photo, float)).mean() > 5
    # a maker's random recipe always prints (at least one print op) and photographs again
    for seed in range(20):
        for maker in MAKERS.values():
            chosen = choose_ops(maker, np.random.default_rng(seed))
            assert chosen[-1] == "rephotograph" and any(op in PRINT_OPS for op in chosen), chosen
    with pytest.raises(ValueError, match="unknown reprint op"):
        reprint(photo, product, catalog_words, np.random.default_rng(0), ops=["laminate"])


def test_a_photo_without_readable_words_is_reprinted_with_the_word_ops_skipped(catalog_words):
    # fresh produce has no print; a large photo is edited at the working size and returned at its own
    photo = Image.open(ROOT / "tests" / "data" / "Banana_001.jpg").convert("RGB")
    photo = photo.resize((photo.width * 5, photo.height * 4), Image.Resampling.BICUBIC)
    image, ops = reprint(photo, _product(catalog_words, "Alpro-Vanilla-Soyghurt"), catalog_words,
                         np.random.default_rng(1), ops=["misspell_brand", "swap_variant", "move_logo", "halftone",
                                                        "rephotograph"])
    skipped = {op["op"]: op.get("skipped", "") for op in ops}
    assert all("not found" in skipped[op] for op in ("misspell_brand", "swap_variant", "move_logo")), ops
    assert skipped["halftone"] == "" and skipped["rephotograph"] == ""
    assert image.size == photo.size
    assert np.abs(np.asarray(image, float) - np.asarray(photo, float)).mean() > 2
