"""Verdicts on real photos: evidence, flags and the outcomes the foundation promises."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw, ImageOps

from conftest import DEMO, demo_photo
from index import Catalog, ProductRow, Verifier, import_references


def verifier_for(catalog_dir, embedder, writable=False):
    return Verifier(Catalog.open(catalog_dir, writable=writable), embedder)


def test_identifies_a_held_out_shelf_photo_with_evidence(demo_catalog_dir, offline_embedder):
    verdict = verifier_for(demo_catalog_dir, offline_embedder).check([demo_photo("God-Morgon-Orange-Juice_001.jpg")])
    assert verdict.details["identified_product_id"] == "God-Morgon-Orange-Juice"
    assert verdict.product_id in ("God-Morgon-Orange-Juice", None)  # named only if the evidence earns it
    assert verdict.matches[0].product_id == "God-Morgon-Orange-Juice" and verdict.matches[0].label == "genuine"
    assert verdict.explanation and verdict.model == "offline"


def _copies(photo):
    """What a seller does to a brand's catalog photo before posting it."""
    image = Image.open(photo).convert("RGB")
    w, h = image.size
    recompressed = io.BytesIO()
    image.save(recompressed, "JPEG", quality=20)
    watermarked = image.copy()
    draw = ImageDraw.Draw(watermarked)
    for y in range(0, h, 40):
        draw.text((10, y), "BEST PRICE www.shop.example", fill=(255, 255, 255))
    return {
        "resized": image.resize((int(w * 0.6), int(h * 0.6))),
        "recompressed": Image.open(io.BytesIO(recompressed.getvalue())),
        "cropped": image.crop((int(w * 0.12), int(h * 0.12), int(w * 0.88), int(h * 0.88))),
        "watermarked": watermarked,
        "mirrored": ImageOps.mirror(image),
    }


@pytest.mark.parametrize("edit", ["as-is", "resized", "recompressed", "cropped", "watermarked", "mirrored"])
def test_a_reused_catalog_photo_is_flagged_and_the_item_left_unverified(demo_catalog_dir, offline_embedder, tmp_path, edit):
    original = DEMO / "references" / "Oatly-Oat-Milk" / "Oatly-Oat-Milk_003.jpg"
    listing = tmp_path / "listing.jpg"
    if edit == "as-is":
        listing.write_bytes(original.read_bytes())
    else:
        _copies(original)[edit].save(listing, quality=90)
    verdict = verifier_for(demo_catalog_dir, offline_embedder).check([listing], claimed_product_id="Oatly-Oat-Milk")
    assert "reused_catalog_photo" in verdict.flags
    assert verdict.verdict == "unknown" and verdict.product_id == "Oatly-Oat-Milk"
    assert "item itself is unverified" in verdict.explanation
    copied = verdict.details["copied_reference_id"]
    assert Catalog.open(demo_catalog_dir).reference(copied).source_path == str(original)


def test_a_new_photo_of_a_catalog_product_is_not_taken_for_a_copy(demo_catalog_dir, offline_embedder):
    verifier = verifier_for(demo_catalog_dir, offline_embedder)
    for name in ("Oatly-Oat-Milk_001.jpg", "Oatly-Oat-Milk_002.jpg", "God-Morgon-Orange-Juice_001.jpg"):
        assert "reused_catalog_photo" not in verifier.check([demo_photo(name)]).flags


def test_a_photo_closer_to_a_known_fake_is_counterfeit_with_the_fake_shown(catalog_copy, offline_embedder):
    # Stand-in for seized fakes: photos of a look-alike carton filed as counterfeits of Arla-Standard-Milk.
    fakes = sorted((DEMO / "references" / "Garant-Ecological-Standard-Milk").glob("*_00[1-4].jpg"))
    catalog = Catalog.open(catalog_copy, writable=True)
    catalog.remove_product("Garant-Ecological-Standard-Milk")
    rows = [ProductRow(0, path, "Arla-Standard-Milk", "counterfeit", view="seized") for path in fakes]
    import_references(catalog, offline_embedder, rows, progress=False)
    verifier = Verifier(catalog, offline_embedder)

    verdict = verifier.check([demo_photo("Garant-Ecological-Standard-Milk_002.jpg")], claimed_product_id="Arla-Standard-Milk")
    assert verdict.verdict == "counterfeit"
    assert {"closer_to_known_counterfeit", "matches_known_counterfeits"} & set(verdict.flags)
    assert any(m.product_id == "Arla-Standard-Milk" and m.label == "counterfeit" for m in verdict.matches)
    assert verdict.counterfeit_score >= 0.5


def test_photos_of_one_item_give_one_decision(demo_catalog_dir, offline_embedder):
    photos = [demo_photo("God-Morgon-Orange-Juice_001.jpg"), demo_photo("God-Morgon-Orange-Juice_002.jpg")]
    verifier = verifier_for(demo_catalog_dir, offline_embedder)
    verdict = verifier.check(photos, case_id="item-1")
    assert verdict.case_id == "item-1" and len(verdict.photos) == 2
    assert verdict.details["identified_product_id"] == "God-Morgon-Orange-Juice"
    key = ("God-Morgon-Orange-Juice", "genuine")
    singles = [{(m.product_id, m.label): m.similarity for m in verifier.check([p]).matches}[key] for p in photos]
    top = {(m.product_id, m.label): m.similarity for m in verdict.matches}[key]
    assert abs(top - sum(singles) / 2) < 1e-3  # the case combines both photos' evidence


def test_a_claim_for_a_product_not_in_the_catalog_is_unknown(demo_catalog_dir, offline_embedder):
    verdict = verifier_for(demo_catalog_dir, offline_embedder).check(
        [demo_photo("Oatly-Natural-Oatghurt_001.jpg")], claimed_product_id="Oatly-Natural-Oatghurt")
    assert verdict.verdict == "unknown" and "claimed_product_not_in_catalog" in verdict.flags
    assert verdict.counterfeit_score is None


def test_a_claim_the_photo_looks_unlike_is_never_green_and_names_what_it_shows(demo_catalog_dir, offline_embedder):
    """An oat-milk photo claimed to be another brand's milk: not genuine, and the sentence (in
    both languages) names the product the photo looks like."""
    from index.judging.messages import explain

    verdict = verifier_for(demo_catalog_dir, offline_embedder).check(
        [demo_photo("Oatly-Oat-Milk_002.jpg")], claimed_product_id="Arla-Standard-Milk")
    assert verdict.details["identified_product_id"] == "Oatly-Oat-Milk"
    assert "looks_like_other_product" in verdict.flags and verdict.verdict in ("unknown", "suspicious")
    data = verdict.to_dict()  # the product judged and the product shown, each in a field of its own
    assert (data["product_id"], data["judged_product_id"], data["looks_like_product_id"]) == \
        ("Arla-Standard-Milk", "Arla-Standard-Milk", "Oatly-Oat-Milk")
    assert "Oatly-Oat-Milk" in verdict.explanation
    message = verdict.details["message"]
    assert "Oatly-Oat-Milk" in explain(message["key"], message["args"], "vi")


def test_unreadable_photos_are_listed_and_the_rest_still_decide(demo_catalog_dir, offline_embedder, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really")
    verifier = verifier_for(demo_catalog_dir, offline_embedder)
    verdict = verifier.check([broken, demo_photo("Oatly-Oat-Milk_002.jpg")])
    assert [e.path for e in verdict.errors] == [str(broken)]
    assert verdict.details["identified_product_id"] is not None and verdict.counterfeit_score is not None
    nothing = verifier.check([broken])
    assert nothing.verdict == "unknown" and "no_readable_photo" in nothing.flags


def test_verdicts_serialise_to_the_contract(demo_catalog_dir, offline_embedder):
    data = verifier_for(demo_catalog_dir, offline_embedder).check([demo_photo("Oatly-Oat-Milk_002.jpg")]).to_dict()
    assert list(data)[:11] == ["case_id", "path", "verdict", "counterfeit_score", "product_id", "claimed_product_id",
                               "flags", "matches", "errors", "judged_product_id", "looks_like_product_id"]
