"""The verification engine: calibration, unknown products, region evidence and evaluation."""

from __future__ import annotations

import csv
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
    assert {"no_close_match", "insufficient_evidence"} & set(verdict.flags) and verdict.advice
    assert verdict.matches, "the nearest references are still shown as evidence"


def test_calibration_is_stored_per_product_with_fallbacks_and_follows_changes(catalog_copy):
    with Catalog.open(catalog_copy, writable=True) as catalog:
        stored = json.loads(catalog.setting(calibration.SETTING))
        assert stored["generation"] == catalog.generation
        genuine = {p.product_id for p in catalog.products() if p.genuine}
        assert set(stored["claim_scores"]) == genuine
        summary = calibration.current(catalog).summary(0.05)
        # 14 references each: every demo product is calibrated on its own references
        assert {info["level"] for info in summary.values()} == {"product"}
        assert catalog.artifact(calibration.HEAD_ARTIFACT) and catalog.artifact(calibration.CLAIM_MODEL_ARTIFACT)

        # too few left: an Arla product pools with its brand, a lone brand with the catalog
        for product in ("Arla-Standard-Milk", "Oatly-Oat-Milk"):
            catalog.remove_images([r.image_id for r in catalog.references(product_id=product)][:7])
        fresh = calibration.current(catalog)  # stale: recomputed for the new generation
        assert fresh.generation == catalog.generation
        summary = fresh.summary(0.05)
        assert summary["Arla-Standard-Milk"]["level"] == "brand"
        assert summary["Oatly-Oat-Milk"]["level"] == "catalog"
        catalog.remove_product("Oatly-Oat-Milk")
        fresh = calibration.current(catalog)
        assert "Oatly-Oat-Milk" not in fresh.claim_scores and "Oatly-Oat-Milk" not in fresh.head.products


def test_calibration_counts_each_photo_session_once(catalog_copy):
    """Burst shots of one shelf are one session: each weighs 1 / the session's size."""
    with Catalog.open(catalog_copy) as catalog:
        current = calibration.current(catalog)
    for product, weights in current.claim_weights.items():
        assert len(weights) == len(current.claim_scores[product])
        assert all(0 < w <= 1 for w in weights)
    total_refs = sum(len(v) for v in current.claim_scores.values())
    sessions = sum(sum(w) for w in current.claim_weights.values())
    assert sessions < total_refs  # the demo photos include sessions of several shots
    report = current.fit_report
    assert 0 < report["true_claims_accepted"] <= 1 and report["weights"]


def test_the_false_alarm_target_sets_how_many_genuine_photos_are_flagged(demo_catalog_dir, offline_embedder):
    rows = [r for r in csv.DictReader(open(DEMO / "queries.csv")) if r["claimed_product_id"] and r["label"] == "genuine"]

    verifier = verifier_for(demo_catalog_dir, offline_embedder)  # one verifier: each photo is read once

    def flagged(rate):
        verifier.policy = Policy(false_alarm_rate=rate)
        return sum("less_similar_than_genuine_photos" in verifier.check([DEMO / r["path"]], r["claimed_product_id"],
                                                                        regions=False).flags for r in rows)

    none, some, most = flagged(0.0), flagged(0.2), flagged(0.9)
    assert none == 0
    assert none <= some <= most
    assert most > none


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
    rows = list(csv.DictReader(open(DEMO / "queries.csv")))
    out = tmp_path / "report"
    result = subprocess.run([PYTHON, "scripts/evaluate.py", str(demo_catalog_dir), "--manifest", str(DEMO / "queries.csv"),
                             "--out", str(out), "--no-progress"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    figures = json.loads((out / "figures.json").read_text())
    claims = figures["claims"]
    assert claims["true_claims"] == sum(r["claimed_product_id"] != "" and r["label"] == "genuine" for r in rows)
    assert claims["false_claims"] == sum(r["label"] == "counterfeit" for r in rows)
    assert 0.5 < claims["auroc"] <= 1
    assert 0 <= claims["false_claims_genuine"] <= claims["true_claims_genuine"] <= 1
    assert figures["unknown_products"]["unknown_queries"] == 4
    assert figures["unknown_products"]["verdict_genuine_rate_on_unknown"] == 0
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
