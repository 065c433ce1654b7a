"""A catalog of one packshot a product (a brand owner's e-commerce images) cannot tell its
products from their neighbours: it gives no green badge, least of all on the wrong product, says
why and what photos would let it decide, and the import says so to the brand owner (issue 28)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from conftest import DEMO, build_catalog


@pytest.fixture(scope="module")
def packshot_catalog(tmp_path_factory, offline_embedder, demo_rows):
    """The demo products, each with its catalog image only."""
    rows = [row for row in demo_rows if row.view == "catalog"]
    assert len(rows) == 9
    return build_catalog(tmp_path_factory.mktemp("thin") / "packshots", offline_embedder, rows)


def test_a_one_packshot_catalog_gives_no_green_badge_and_says_what_it_needs(packshot_catalog, offline_embedder):
    from index import Catalog, Verifier
    from index.judging.messages import explain

    verifier = Verifier(Catalog.open(packshot_catalog), offline_embedder)
    queries = sorted((DEMO / "queries").glob("*_00[12].jpg"))
    assert len(queries) >= 12
    for photo in queries:
        product = photo.name.rsplit("_", 1)[0]
        for claim in (None, product):
            verdict = verifier.check([photo], claimed_product_id=claim, regions=False)
            assert verdict.verdict != "genuine", (photo.name, claim, verdict.explanation)
            if verdict.verdict == "unknown" and "too_few_references" in verdict.flags:
                key = verdict.details["message"]["key"]
                assert key == "too_few_references"
                english = explain(key, verdict.details["message"]["args"])
                assert "at least 2 more photos" in english and "different days" in english
                assert "ít nhất 2 ảnh" in explain(key, verdict.details["message"]["args"], "vi")
    # a true claim on a thin catalog is inconclusive for want of references, named as such
    claimed = verifier.check([DEMO / "queries" / "God-Morgon-Orange-Juice_001.jpg"],
                             claimed_product_id="God-Morgon-Orange-Juice", regions=False)
    assert claimed.verdict == "unknown" and "too_few_references" in claimed.flags
    assert "God-Morgon-Orange-Juice" in claimed.explanation


def test_the_import_names_the_thin_products_in_both_languages(tmp_path, offline_embedder, demo_rows):
    from index import Catalog, EmbedderRecord, import_references

    record = EmbedderRecord(offline_embedder.name, offline_embedder.dim, offline_embedder.preprocessing,
                            offline_embedder.fingerprint())
    product = "God-Morgon-Orange-Juice"
    packshots = [row for row in demo_rows if row.view == "catalog"]
    with Catalog.create(tmp_path / "cat", record) as catalog:
        summary = import_references(catalog, offline_embedder, packshots, progress=False)
        assert len(summary.thin_products) == 9 and set(summary.thin_products.values()) == {1}
        text = summary.format()
        assert "9 products have photos from fewer than 2 sessions" in text and "at least 3 photos" in text
        assert "9 sản phẩm có ảnh từ dưới 2 lần chụp" in text
        # photos of the product from other sessions: it leaves the list, the others stay
        shelf = [row for row in demo_rows if row.product_id == product and row.view == "shelf"]
        more = import_references(catalog, offline_embedder, shelf, progress=False)
        assert product not in more.thin_products and len(more.thin_products) == 8
        assert more.to_dict()["thin_products"] == more.thin_products


def test_a_product_with_one_photo_session_never_earns_the_badge_whatever_its_score():
    """The rule itself: claim probability far above the badge's level, own and neighbour products
    thin or not."""
    from index.judging.calibration import Calibration
    from index.judging.decision import Evidence, decide

    genuine = tuple(float(v) for v in np.linspace(0.5, 0.999, 40))
    calibration = Calibration(
        1, claim_scores={"Rich": genuine}, claim_weights={"Rich": (1.0,) * 40},
        lookalike_scores=tuple(float(v) for v in np.linspace(0.0, 0.7, 100)), lookalike_weights=(1.0,) * 100,
        session_counts={"Rich": 12, "Thin": 1, "Neighbour": 1})

    def judged(product, neighbours=()):
        return decide(Evidence(1, product, product, True, 0.8, target_claim_score=0.99, identified_claim_score=0.99,
                               neighbours=neighbours), calibration)

    assert judged("Rich").verdict == "genuine"
    # a few sessions: the badge needs a margin five times as strict (0.99 clears it here)
    few = dataclasses.replace(calibration, session_counts={"Rich": 4})
    assert few.margin("Rich") == 5.0 and calibration.margin("Rich") == 1.0
    assert few.accept_threshold(0.01) > calibration.accept_threshold(0.05)
    thin = judged("Thin")
    assert thin.verdict == "unknown" and "too_few_references" in thin.flags and thin.message_args["products"] == ["Thin"]
    # the product is well covered, but the one it is most like is not: the catalog cannot tell them apart
    beside = judged("Rich", neighbours=("Neighbour", "Other"))
    assert beside.verdict == "unknown" and beside.message_args["products"] == ["Neighbour"]
