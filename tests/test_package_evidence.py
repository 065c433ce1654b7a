"""What the package says, as evidence: label text read offline and compared with diacritics
folded and OCR noise tolerated (but a misspelt brand noticed), barcodes read and interpreted
(GTIN, check digit, GS1 issuer, the catalog product they belong to)."""

from __future__ import annotations

import sys

import pytest
from PIL import Image

from conftest import ROOT, demo_photo

sys.path.insert(0, str(ROOT / "scripts"))
from photo_edits import gtin_with_check_digit, paste_barcode, paste_label  # noqa: E402


def test_text_is_compared_without_diacritics():
    from index.judging.text import fold, words

    assert fold("Sữa tươi Vinamilk ĐẶC BIỆT") == "sua tuoi vinamilk dac biet"
    assert fold("MJÖLK Gräddfil") == "mjolk graddfil"
    assert words("Mild & Creamy 1,5% 750g") == ["mild", "creamy", "750g"]


def test_a_brand_one_letter_off_is_a_near_miss_but_ocr_noise_seen_on_genuine_packs_is_not():
    from index.judging.text import ReadWord, TextIndex, build_profile

    genuine_reads = [["alpro", "mild", "creamy"], ["alpro", "vanilla"], ["alpr0", "creamy"]]
    index = TextIndex([build_profile("Alpro-Vanilla", "Alpro Vanilla", "Alpro", "Mild & Creamy Vanilla", genuine_reads),
                       build_profile("Oatly-Oat-Milk", "Oat milk", "Oatly", "Havredryck", [["havre", "dryck"], ["havre", "dryck"]])])
    fake = index.compare([ReadWord("alpra", 0.99), ReadWord("creamy", 0.95)], "Alpro-Vanilla")
    assert fake.near_misses == (("alpra", "alpro"),)
    assert ("creamy", "creamy") in fake.matched
    # the engine's own misreading on the genuine references is not a misspelling
    assert index.compare([ReadWord("alpr0", 0.99)], "Alpro-Vanilla").near_misses == ()
    # read confidently and correctly somewhere else on the photos: a stray near miss is noise
    assert index.compare([ReadWord("alpra", 0.99), ReadWord("alpro", 0.9)], "Alpro-Vanilla").near_misses == ()
    # ... also inside a line read without its spaces (seen on a genuine Arla pack: ARIA beside
    # FRANSVENSKAARLAGARDAR); a three-letter brand inside a longer word is chance, not a reading
    assert index.compare([ReadWord("alpra", 0.99), ReadWord("alprodrink", 0.9)], "Alpro-Vanilla").near_misses == ()
    ica = TextIndex([build_profile("Ica-Milk", "Milk", "Ica", "Mellanmjolk")])
    assert ica.compare([ReadWord("ika", 0.99), ReadWord("bicarbonat", 0.9)], "Ica-Milk").near_misses == (("ika", "ica"),)
    # unsure reads do not accuse anyone
    assert index.compare([ReadWord("alpra", 0.6)], "Alpro-Vanilla").near_misses == ()
    supports = index.supports([ReadWord("havre"), ReadWord("dryck")])
    assert supports.get("Oatly-Oat-Milk", 0) > supports.get("Alpro-Vanilla", 0) == 0


def test_barcodes_are_judged_against_the_claimed_product():
    from index.judging.codes import BAD_CHECK_DIGIT, FOREIGN_COMPANY, OTHER_PRODUCT, SUPPORTS, CodeBook

    arla_milk, arla_yoghurt = gtin_with_check_digit("735000103001"), gtin_with_check_digit("735000103002")
    vietnam = gtin_with_check_digit("893460000001")
    book = CodeBook({"Arla-Milk": [arla_milk], "Arla-Yoghurt": [arla_yoghurt]},
                    {"Arla-Milk": "Arla", "Arla-Yoghurt": "Arla"})

    def relation(text, product, valid=True, format_="EAN13"):
        [finding] = book.judge([{"format": format_, "text": text, "valid": valid}], product)
        return finding

    assert relation(arla_milk, "Arla-Milk").relation == SUPPORTS
    other = relation(arla_milk, "Arla-Yoghurt")
    assert other.relation == OTHER_PRODUCT and other.product_id == "Arla-Milk" and other.issuer == "GS1 Sweden"
    wrong = arla_milk[:-1] + str((int(arla_milk[-1]) + 1) % 10)
    assert relation(wrong, "Arla-Milk", valid=False).relation == BAD_CHECK_DIGIT
    foreign = relation(vietnam, "Arla-Milk")
    assert foreign.relation == FOREIGN_COMPANY and foreign.issuer == "GS1 Vietnam"
    # GS1 Digital Link and element strings carry GTINs too
    assert relation(f"https://id.gs1.org/01/0{arla_yoghurt}/10/LOT42", "Arla-Milk", format_="QRCode").product_id \
        == "Arla-Yoghurt"
    assert relation(f"(01)0{arla_milk}(10)LOT42", "Arla-Milk", format_="Code128").relation == SUPPORTS
    assert book.identify(book.judge([{"format": "EAN13", "text": arla_yoghurt}], None)) == "Arla-Yoghurt"


def test_manifest_gtins_are_checked_when_the_manifest_is_read(tmp_path):
    from index import ManifestError, read_products

    photo = tmp_path / "a.jpg"
    Image.new("RGB", (64, 64)).save(photo)
    good = gtin_with_check_digit("735000103001")
    (tmp_path / "ok.csv").write_text(f"path,product_id,gtin,label_text\na.jpg,P,{good} 96385074,Mjölk 3%\n")
    [row] = read_products(tmp_path / "ok.csv")
    assert row.gtins == ("0" + good, "00000096385074") and row.label_text == "Mjölk 3%"
    (tmp_path / "bad.csv").write_text(f"path,product_id,gtin\na.jpg,P,{good[:-1]}0\n")
    with pytest.raises(ManifestError, match="line 2: GTIN .*check digit"):
        read_products(tmp_path / "bad.csv")


def test_text_and_barcodes_are_read_off_a_real_photo():
    from vision.package import PackageReader

    reader = PackageReader(threads=2)
    photo = Image.open(demo_photo("Alpro-Vanilla-Soyghurt_001.jpg"))
    reading = reader.read(photo)
    words = {line.text.lower() for line in reading.text}
    assert {"alpro", "vanilla"} <= {w for text in words for w in text.split()} | words
    number = gtin_with_check_digit("735000106006")
    coded = reader.read(paste_barcode(photo, number))
    assert [(c.format, c.text, c.valid) for c in coded.codes] == [("EAN13", number, True)]
    assert "ALPRA" in {line.text for line in reader.read(paste_label(photo, "ALPRA")).text}
    assert PackageReader(text=False, codes=False).read(photo).text == ()


def test_vietnamese_label_text_is_shown_with_its_accents(catalog_copy, offline_embedder):
    """RapidOCR reads Vietnamese without its accents (``SUA TUOI``): enough to compare, not what an
    inspector should read in a case file. In a catalog whose products carry Vietnamese text, the
    largest lines are read again by Tesseract's Vietnamese model; a reading that says the same
    thing, accents folded, is what the card shows. A catalog without Vietnamese text is not re-read."""
    from index import Catalog, Verifier
    from index.storing.catalog import ProductInfo
    from ui.render import evidence_html

    photo = Image.open(demo_photo("Arla-Standard-Milk_001.jpg"))
    photo = photo.resize((photo.width * 3, photo.height * 3))
    photo = paste_label(photo, "SỮA TƯƠI TIỆT TRÙNG", where=(0.05, 0.08), height=0.06, font="DejaVuSans-Bold.ttf")
    path = catalog_copy.parent / "sua-tuoi.jpg"
    photo.save(path, quality=92)

    with Catalog.open(catalog_copy) as catalog:
        plain = Verifier(catalog, offline_embedder).check([path], claimed_product_id="Arla-Standard-Milk")
    read = plain.evidence["text"]["read"]
    assert any(line["text"].upper() == "SUA TUOI TIET TRUNG" for line in read), read
    assert not any("accented" in line for line in read) and "sua" not in plain.evidence["text"].get("accented", {})

    with Catalog.open(catalog_copy, writable=True) as catalog:
        catalog.declare([ProductInfo("Arla-Standard-Milk", "Sữa tươi tiệt trùng Arla")])
    with Catalog.open(catalog_copy) as catalog:
        assert catalog.has_vietnamese_text()
        result = Verifier(catalog, offline_embedder).check([path], claimed_product_id="Arla-Standard-Milk")
    lines = {line["text"].upper(): line.get("accented") for line in result.evidence["text"]["read"]}
    assert lines["SUA TUOI TIET TRUNG"] == "SỮA TƯƠI TIỆT TRÙNG", lines
    assert {"sua": "sữa", "tuoi": "tươi", "tiet": "tiệt", "trung": "trùng"}.items() <= \
        result.evidence["text"]["accented"].items()
    card = evidence_html(result.to_dict(), "vi")
    assert "sữa" in card and "tươi" in card and ">sua<" not in card
    # the comparison itself is unchanged: the declared words were read (accents folded)
    assert {"sua", "tuoi"} <= {read for _, read in result.evidence["text"]["matched"]}
