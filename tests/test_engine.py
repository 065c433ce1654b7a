"""The verification engine: calibration, unknown products, region evidence and evaluation."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import DEMO, PYTHON, ROOT
from index import Catalog, Policy, Verifier
from index.judging import calibration
from index.evaluation import auroc, tpr_at_fpr

DATA = Path(__file__).parent / "data"


def verifier_for(catalog_dir, embedder, **kwargs):
    return Verifier(Catalog.open(catalog_dir), embedder, **kwargs)


@pytest.mark.parametrize("photo", ["Banana_001.jpg", "Cabbage_001.jpg"])
def test_a_product_left_out_of_the_catalog_is_unknown_not_a_guess(demo_catalog_dir, offline_embedder, photo):
    verdict = verifier_for(demo_catalog_dir, offline_embedder).check([DATA / photo])
    assert verdict.verdict == "unknown" and verdict.product_id is None
    assert "no_close_match" in verdict.flags
    assert verdict.matches, "the nearest references are still shown as evidence"


def test_calibration_is_stored_per_product_with_fallbacks_and_follows_changes(catalog_copy):
    with Catalog.open(catalog_copy, writable=True) as catalog:
        stored = json.loads(catalog.setting(calibration.SETTING))
        assert stored["generation"] == catalog.generation
        assert set(stored["claim_scores"]) == {p.product_id for p in catalog.products()}
        summary = calibration.current(catalog).summary(0.05)
        # 9 references each: too few alone; two Arla products pool at brand level, a lone brand at catalog level
        assert summary["Arla-Standard-Milk"]["level"] == "brand"
        assert summary["God-Morgon-Orange-Juice"]["level"] == "catalog"
        assert catalog.artifact(calibration.HEAD_ARTIFACT)

        catalog.remove_product("Oatly-Oat-Milk")
        fresh = calibration.current(catalog)  # stale: recomputed for the new generation
        assert fresh.generation == catalog.generation and "Oatly-Oat-Milk" not in fresh.claim_scores
        assert "Oatly-Oat-Milk" not in fresh.head.products


def test_product_with_enough_references_is_calibrated_on_its_own(catalog_copy, offline_embedder):
    from index import ProductRow, import_references

    extra = sorted((DEMO / "queries").glob("God-Morgon-Orange-Juice_*.jpg"))
    with Catalog.open(catalog_copy, writable=True) as catalog:
        import_references(catalog, offline_embedder, [ProductRow(0, p, "God-Morgon-Orange-Juice") for p in extra],
                          progress=False)
        assert calibration.current(catalog).summary(0.05)["God-Morgon-Orange-Juice"]["level"] == "product"


def test_the_false_alarm_target_sets_how_many_genuine_photos_are_flagged(demo_catalog_dir, offline_embedder):
    photos = sorted(str(p) for p in (DEMO / "queries").glob("*.jpg") if "Natural-Oatghurt" not in p.name)
    claims = [Path(p).name.rsplit("_", 1)[0] for p in photos]

    def flagged(rate):
        verifier = verifier_for(demo_catalog_dir, offline_embedder, policy=Policy(false_alarm_rate=rate))
        return sum(verifier.check([p], claimed_product_id=c, regions=False).verdict == "suspicious"
                   for p, c in zip(photos, claims))

    assert flagged(0.0) == 0
    assert flagged(0.0) <= flagged(0.2) <= flagged(0.9)
    assert flagged(0.9) > flagged(0.0)


def test_region_evidence_shows_where_a_photo_differs_from_the_reference(demo_catalog_dir, offline_embedder, tmp_path):
    original = Image.open(DEMO / "references" / "God-Morgon-Orange-Juice" / "God-Morgon-Orange-Juice_003.jpg").convert("RGB")
    other = Image.open(DEMO / "references" / "Alpro-Vanilla-Soyghurt" / "Alpro-Vanilla-Soyghurt_003.jpg").convert("RGB")
    tampered = original.copy()
    w, h = tampered.size
    tampered.paste(other.resize((w // 2, h // 2)), (0, 0))  # top-left quarter replaced
    path = tmp_path / "tampered.jpg"
    tampered.save(path, quality=95)

    verdict = verifier_for(demo_catalog_dir, offline_embedder).check([path], claimed_product_id="God-Morgon-Orange-Juice")
    regions = verdict.regions
    assert regions["rows"] == regions["cols"] == 9 and len(regions["similarity"]) == 9
    assert 0 <= regions["box"][0] < regions["box"][2] <= 1
    assert Catalog.open(demo_catalog_dir).reference(regions["reference_image_id"]).source_path.endswith("_003.jpg")
    grid = np.array(regions["similarity"])
    changed, untouched = grid[:4, :4].mean(), grid[5:, 5:].mean()
    assert untouched > 0.85 and changed < untouched - 0.3, f"changed {changed:.2f}, untouched {untouched:.2f}"


def test_evaluation_writes_figures_and_plots(demo_catalog_dir, tmp_path):
    rows = ["path,claimed_product_id,case_id,true_product_id,label"]
    for photo in sorted((DEMO / "queries").glob("*.jpg")):
        product = photo.name.rsplit("_", 1)[0]
        true_id = "" if product == "Oatly-Natural-Oatghurt" else product
        rows.append(f"{photo},,,{true_id},genuine")
        if true_id:
            rows.append(f"{photo},{product},,{product},genuine")
            lookalike = "Arla-Standard-Milk" if product != "Arla-Standard-Milk" else "Arla-Ecological-Medium-Fat-Milk"
            rows.append(f"{photo},{lookalike},,{product},counterfeit")
    manifest = tmp_path / "queries.csv"
    manifest.write_text("\n".join(rows) + "\n")
    out = tmp_path / "report"
    result = subprocess.run([PYTHON, "scripts/evaluate.py", str(demo_catalog_dir), "--manifest", str(manifest),
                             "--out", str(out), "--allow-outside-paths", "--no-progress"],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    figures = json.loads((out / "figures.json").read_text())
    assert 0 <= figures["identification"]["recall_at_1"] <= figures["identification"]["recall_at_5"] <= 1
    assert figures["claims"]["true_claims"] == 12 and figures["claims"]["false_claims"] == 12
    assert 0.5 < figures["claims"]["auroc"] <= 1
    assert figures["unknown_products"]["unknown_queries"] == 2
    assert (out / "scores.png").stat().st_size > 10_000
    assert len((out / "results.jsonl").read_text().splitlines()) == figures["cases"]


def test_auroc_and_true_positive_rate_match_hand_computed_values():
    assert auroc(np.array([0.1, 0.2, 0.3]), np.array([0.4, 0.5])) == 1.0
    assert auroc(np.array([0.5, 0.5]), np.array([0.5])) == 0.5
    assert auroc(np.array([0.1, 0.4]), np.array([0.3, 0.5])) == 0.75
    negatives = np.arange(100) / 100.0  # 0.00 .. 0.99
    positives = np.array([0.995, 0.97, 0.5])
    assert tpr_at_fpr(negatives, positives, 0.01) == pytest.approx(1 / 3)
    assert tpr_at_fpr(negatives, positives, 0.05) == pytest.approx(2 / 3)
