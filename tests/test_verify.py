"""Verdicts on real photos: evidence, flags and the outcomes the foundation promises."""

from __future__ import annotations

from conftest import DEMO, demo_photo
from index import Catalog, ProductRow, Verifier, import_references


def verifier_for(catalog_dir, embedder, writable=False):
    return Verifier(Catalog.open(catalog_dir, writable=writable), embedder)


def test_identifies_a_held_out_shelf_photo_with_evidence(demo_catalog_dir, offline_embedder):
    verdict = verifier_for(demo_catalog_dir, offline_embedder).check([demo_photo("God-Morgon-Orange-Juice_001.jpg")])
    assert verdict.product_id == "God-Morgon-Orange-Juice"
    assert verdict.matches[0].product_id == "God-Morgon-Orange-Juice" and verdict.matches[0].label == "genuine"
    assert verdict.explanation and verdict.model == "offline"


def test_a_catalog_photo_posted_as_is_is_flagged_as_reused(demo_catalog_dir, offline_embedder, tmp_path):
    listing = tmp_path / "listing.jpg"
    listing.write_bytes((DEMO / "references" / "Oatly-Oat-Milk" / "Oatly-Oat-Milk_Iconic.jpg").read_bytes())
    verdict = verifier_for(demo_catalog_dir, offline_embedder).check([listing])
    assert "reused_catalog_photo" in verdict.flags
    assert verdict.product_id == "Oatly-Oat-Milk" and verdict.matches[0].similarity > 0.99
    assert "not necessarily the item" in verdict.explanation


def test_a_photo_closer_to_a_known_fake_is_counterfeit_with_the_fake_shown(catalog_copy, offline_embedder):
    # Stand-in for seized fakes: photos of a look-alike carton filed as counterfeits of Arla-Standard-Milk.
    fakes = sorted((DEMO / "references" / "Arla-Ecological-Medium-Fat-Milk").glob("*_00[1-4].jpg"))
    catalog = Catalog.open(catalog_copy, writable=True)
    catalog.remove_product("Arla-Ecological-Medium-Fat-Milk")
    rows = [ProductRow(0, path, "Arla-Standard-Milk", "counterfeit", view="seized") for path in fakes]
    import_references(catalog, offline_embedder, rows, progress=False)
    verifier = Verifier(catalog, offline_embedder)

    verdict = verifier.check([demo_photo("Arla-Ecological-Medium-Fat-Milk_002.jpg")], claimed_product_id="Arla-Standard-Milk")
    assert verdict.verdict == "counterfeit"
    assert "closer_to_known_counterfeit" in verdict.flags
    assert any(m.product_id == "Arla-Standard-Milk" and m.label == "counterfeit" for m in verdict.matches)
    assert verdict.counterfeit_score >= 0.5


def test_photos_of_one_item_give_one_decision(demo_catalog_dir, offline_embedder):
    photos = [demo_photo("Alpro-Vanilla-Soyghurt_001.jpg"), demo_photo("Alpro-Vanilla-Soyghurt_002.jpg")]
    verifier = verifier_for(demo_catalog_dir, offline_embedder)
    verdict = verifier.check(photos, case_id="item-1")
    assert verdict.case_id == "item-1" and len(verdict.photos) == 2 and verdict.product_id == "Alpro-Vanilla-Soyghurt"
    singles = [verifier.check([p]).matches[0].similarity for p in photos]
    top = {(m.product_id, m.label): m.similarity for m in verdict.matches}[("Alpro-Vanilla-Soyghurt", "genuine")]
    assert abs(top - sum(singles) / 2) < 1e-3  # the case combines both photos' evidence


def test_a_claim_for_a_product_not_in_the_catalog_is_unknown(demo_catalog_dir, offline_embedder):
    verdict = verifier_for(demo_catalog_dir, offline_embedder).check(
        [demo_photo("Oatly-Natural-Oatghurt_001.jpg")], claimed_product_id="Oatly-Natural-Oatghurt")
    assert verdict.verdict == "unknown" and "claimed_product_not_in_catalog" in verdict.flags
    assert verdict.counterfeit_score is None


def test_unreadable_photos_are_listed_and_the_rest_still_decide(demo_catalog_dir, offline_embedder, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really")
    verifier = verifier_for(demo_catalog_dir, offline_embedder)
    verdict = verifier.check([broken, demo_photo("Oatly-Oat-Milk_002.jpg")])
    assert [e.path for e in verdict.errors] == [str(broken)]
    assert verdict.product_id is not None and verdict.counterfeit_score is not None
    nothing = verifier.check([broken])
    assert nothing.verdict == "unknown" and "no_readable_photo" in nothing.flags


def test_verdicts_serialise_to_the_contract(demo_catalog_dir, offline_embedder):
    data = verifier_for(demo_catalog_dir, offline_embedder).check([demo_photo("Oatly-Oat-Milk_002.jpg")]).to_dict()
    assert list(data)[:9] == ["case_id", "path", "verdict", "counterfeit_score", "product_id", "claimed_product_id",
                              "flags", "matches", "errors"]
