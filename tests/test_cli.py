"""The command-line contract, run as a user runs it: real scripts, real photos, real catalogs."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from conftest import DEMO, PYTHON, ROOT, demo_photo

CONTRACT_FIELDS = {"case_id", "path", "verdict", "counterfeit_score", "product_id", "claimed_product_id", "flags",
                   "matches", "errors", "judged_product_id", "looks_like_product_id"}


def run(*args, check=True):
    result = subprocess.run([PYTHON, *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}")
    return result


def test_index_a_manifest_then_rerun_adds_nothing(tmp_path):
    catalog = tmp_path / "catalog"
    # (reading text and codes is on by default; the demo catalog fixture covers it, this one is quick)
    first = run("scripts/index_catalog.py", catalog, "--manifest", DEMO / "products.csv", "--model", "offline",
                "--batch-size", "16", "--json", "--no-text", "--no-codes")
    summary = json.loads(first.stdout)
    assert (summary["added"], summary["already_present"], summary["unreadable"]) == (134, 0, [])
    assert summary["catalog"]["products"] == 9 and summary["catalog"]["reading"] == "nothing (appearance only)"
    assert "img/s" in first.stderr  # the progress bar shows images per second
    again = json.loads(run("scripts/index_catalog.py", catalog, "--manifest", DEMO / "products.csv", "--json").stdout)
    assert (again["added"], again["already_present"]) == (0, 134)


def test_index_a_folder_reports_unreadable_photos_and_goes_on(tmp_path):
    photos = tmp_path / "photos"
    for product in ("Oatly-Oat-Milk", "God-Morgon-Orange-Juice"):
        shutil.copytree(DEMO / "references" / product, photos / product)
    (photos / "Oatly-Oat-Milk" / "broken.jpg").write_bytes(b"<html>not a photo</html>")
    result = run("scripts/index_catalog.py", tmp_path / "catalog", "--folder", photos, "--model", "offline", "--no-text")
    assert "added 28, already present 0, unreadable 1" in result.stdout
    assert "broken.jpg: not an image file (HTML page" in result.stdout


def test_verify_one_photo_prints_one_json_object(demo_catalog_dir):
    photo = demo_photo("Garant-Ecological-Standard-Milk_001.jpg")
    result = json.loads(run("scripts/verify.py", demo_catalog_dir, photo).stdout)
    assert CONTRACT_FIELDS <= set(result)
    assert result["verdict"] in {"genuine", "suspicious", "counterfeit", "unknown"}
    assert 0.0 <= result["counterfeit_score"] <= 1.0
    assert result["details"]["identified_product_id"] == "Garant-Ecological-Standard-Milk"
    assert result["evidence"]["text"]["words"] and result["evidence"]["codes"] == []
    assert 1 <= len(result["matches"]) <= 5
    assert {"product_id", "label", "similarity", "image_id"} <= set(result["matches"][0])
    # best first: in the order of identification (the catalog's product head)
    probabilities = [m["probability"] for m in result["matches"] if m["label"] == "genuine"]
    assert probabilities == sorted(probabilities, reverse=True)


def test_verify_with_a_claim_judges_the_claimed_product(demo_catalog_dir):
    photo = demo_photo("Arla-Standard-Milk_002.jpg")
    result = json.loads(run("scripts/verify.py", demo_catalog_dir, photo, "--claimed", "God-Morgon-Orange-Juice").stdout)
    assert result["claimed_product_id"] == "God-Morgon-Orange-Juice"
    assert result["verdict"] != "genuine"
    assert (result["judged_product_id"], result["looks_like_product_id"]) == \
        ("God-Morgon-Orange-Juice", "Arla-Standard-Milk")
    assert "looks_like_other_product" in result["flags"]
    honest = json.loads(run("scripts/verify.py", demo_catalog_dir, photo, "--claimed", "Arla-Standard-Milk").stdout)
    assert honest["counterfeit_score"] < result["counterfeit_score"]


def test_verify_a_manifest_gives_one_line_per_case(demo_catalog_dir, tmp_path):
    (tmp_path / "broken.jpg").write_bytes(b"")
    for name in ("Oatly-Oat-Milk_002.jpg", "Valio-Vanilla-Yoghurt_001.jpg", "Valio-Vanilla-Yoghurt_002.jpg"):
        shutil.copy(demo_photo(name), tmp_path / name)
    (tmp_path / "queries.csv").write_text(
        "path,claimed_product_id,case_id\n"
        "Valio-Vanilla-Yoghurt_001.jpg,Valio-Vanilla-Yoghurt,case-7\n"
        "Valio-Vanilla-Yoghurt_002.jpg,,case-7\n"
        "Oatly-Oat-Milk_002.jpg,,\n"
        "broken.jpg,,\n"
    )
    out = tmp_path / "results.jsonl"
    result = run("scripts/verify.py", demo_catalog_dir, "--manifest", tmp_path / "queries.csv", "--out", out)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 3 and "3 cases" in result.stderr
    case, single, broken = lines
    assert case["case_id"] == "case-7" and len(case["photos"]) == 2
    assert case["claimed_product_id"] == "Valio-Vanilla-Yoghurt" and case["product_id"] == "Valio-Vanilla-Yoghurt"
    assert case["verdict"] == "genuine"  # two photos of the claimed product, both clear (a product without known fakes: God Morgon's
    # demo fakes are another brand's juice, which its authenticity model cannot tell clearly apart)
    assert single["case_id"] is None and single["path"].endswith("Oatly-Oat-Milk_002.jpg")
    assert broken["verdict"] == "unknown" and broken["errors"][0]["reason"].startswith("file is empty")
    assert all(CONTRACT_FIELDS <= set(line) for line in lines)


def test_bad_manifest_is_refused_with_line_numbers_and_nothing_imported(tmp_path, demo_catalog_dir):
    shutil.copytree(demo_catalog_dir, tmp_path / "catalog", ignore=shutil.ignore_patterns(".write.lock"))
    photo = DEMO / "references" / "Oatly-Oat-Milk" / "Oatly-Oat-Milk_001.jpg"
    shutil.copy(photo, tmp_path / "a.jpg")
    (tmp_path / "products.csv").write_text(
        "path,product_id,label\n"
        "a.jpg,New-Product,genuine\n"
        "a.jpg,,genuine\n"
        "b.jpg,New-Product,fake\n"
        "../escape.jpg,New-Product,genuine\n"
    )
    result = run("scripts/index_catalog.py", tmp_path / "catalog", "--manifest", tmp_path / "products.csv",
                 "--confine-paths", check=False)
    assert result.returncode == 2
    for expected in ("line 3: empty product_id", "line 3: the same photo as line 2", "line 4: unknown label 'fake'",
                     "line 5: path '../escape.jpg' is outside the manifest's folder"):
        assert expected in result.stderr
    assert "Traceback" not in result.stderr
    listing = run("scripts/manage_catalog.py", tmp_path / "catalog", "stats").stdout
    assert json.loads(listing)["references"] == 134


def test_existing_catalog_refuses_another_model(demo_catalog_dir):
    result = run("scripts/index_catalog.py", demo_catalog_dir, "--manifest", DEMO / "products.csv",
                 "--model", "clip:ViT-B-32/laion2b_s34b_b79k", check=False)
    assert result.returncode == 2
    assert "built with the model 'offline'" in result.stderr and "Traceback" not in result.stderr


def test_missing_catalog_is_explained(tmp_path):
    result = run("scripts/verify.py", tmp_path / "nothing", demo_photo("Oatly-Oat-Milk_001.jpg"), check=False)
    assert result.returncode == 2 and "no catalog here" in result.stderr


def test_manage_lists_products_and_removes(tmp_path, demo_catalog_dir):
    shutil.copytree(demo_catalog_dir, tmp_path / "catalog", ignore=shutil.ignore_patterns(".write.lock"))
    products = json.loads(run("scripts/manage_catalog.py", tmp_path / "catalog", "products").stdout)
    assert {p["product_id"] for p in products} >= {"Oatly-Oat-Milk", "Arla-Standard-Milk"}
    removed = run("scripts/manage_catalog.py", tmp_path / "catalog", "remove-product", "Oatly-Oat-Milk")
    assert "removed 14 references" in removed.stdout
    stats = json.loads(run("scripts/manage_catalog.py", tmp_path / "catalog", "stats").stdout)
    assert stats["references"] == 120 and stats["products"] == 8
    assert stats["reading"] == "label text and barcodes" and stats["references_read"] == 120
    assert stats["keypoints"] == "kept" and stats["references_with_keypoints"] == 120  # removed with their references
    run("scripts/manage_catalog.py", tmp_path / "catalog", "set-false-alarm-rate", "0.02")
    calibration = json.loads(run("scripts/manage_catalog.py", tmp_path / "catalog", "calibration").stdout)
    assert calibration["policy"]["false_alarm_rate"] == 0.02
    assert "Oatly-Oat-Milk" not in calibration["products"] and len(calibration["products"]) == 8
    refused = run("scripts/manage_catalog.py", tmp_path / "catalog", "set-false-alarm-rate", "5", check=False)
    assert refused.returncode == 2 and "must lie in [0, 1)" in refused.stderr
    from index.storing.audit import entries

    logged = [(e.action, e.details) for e in entries(tmp_path / "catalog")]  # newest first; the refusal is not logged
    assert [action for action, _ in logged] == ["set_false_alarm_rate", "remove_product"]
    assert logged[0][1]["false_alarm_rate"] == 0.02 and '"false_alarm_rate": 0.02' in logged[0][1]["value"]
    assert logged[1][1] == {"products": ["Oatly-Oat-Milk"], "removed": 14}
    assert entries(tmp_path / "catalog")[0].user.endswith("(command line)")


@pytest.mark.parametrize("script", ["index_catalog.py", "verify.py", "fetch_weights.py", "manage_catalog.py", "evaluate.py"])
def test_every_script_explains_itself(script):
    assert "usage:" in run(f"scripts/{script}", "--help").stdout
