"""The web app: builds the demo catalog on first run and answers verifications over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import demo_photo


def test_demo_catalog_is_built_once_from_demo_folder(tmp_path):
    from app import ensure_demo_catalog
    from index import Catalog

    target = tmp_path / "demo"
    ensure_demo_catalog(target, "offline")
    with Catalog.open(target) as catalog:
        assert len(catalog) == 134 and catalog.embedder.name == "offline"
        generation = catalog.generation
    ensure_demo_catalog(target, "offline")  # second start: nothing rebuilt
    with Catalog.open(target) as catalog:
        assert catalog.generation == generation
        products = {p.product_id for p in catalog.products()}
    # the page's sample checks are real demo photos, each claimed as a catalog product (or nothing)
    from app import DEMO_EXAMPLES, DEMO_QUERIES

    assert len(DEMO_EXAMPLES) >= 5 and any(claim is None for _, claim in DEMO_EXAMPLES)
    for name, claim in DEMO_EXAMPLES:
        assert (DEMO_QUERIES / name).is_file() and (claim is None or claim in products), name


def test_a_calibration_made_by_an_older_version_is_stored_anew_when_the_app_starts(catalog_copy):
    """The app reads its catalog read-only: a stale calibration would otherwise be recomputed at
    every reload; it is recomputed and stored once at start."""
    import json

    from app import save_stale_calibration
    from index import Catalog
    from index.judging import calibration

    with Catalog.open(catalog_copy, writable=True) as catalog:
        stored = json.loads(catalog.setting(calibration.SETTING))
        catalog.save_derived(settings={calibration.SETTING: json.dumps({**stored, "format": calibration.FORMAT - 1})})
    save_stale_calibration(catalog_copy)
    with Catalog.open(catalog_copy) as catalog:
        assert json.loads(catalog.setting(calibration.SETTING))["format"] == calibration.FORMAT


def test_app_verifies_an_uploaded_photo_and_shows_the_evidence(running_app):
    from gradio_client import Client, handle_file
    from PIL import Image

    url, catalog = running_app
    client = Client(url, verbose=False)
    verdict, badge, side_by_side, gallery, fakes, report_html, report_json, raw = client.predict(
        [handle_file(str(demo_photo("God-Morgon-Orange-Juice_002.jpg")))], None, "badge 17", "stall 4, market X", "en",
        "BB-117", "Chợ Đồng Xuân", api_name="/verify")
    record = json.loads(raw)
    result = record["result"]
    # the verdict comes first, as data: the fields of verify.py and the check's number
    assert verdict["verdict"] == result["verdict"] and verdict["check_id"] == record["check_id"]
    assert verdict["product_id"] == "God-Morgon-Orange-Juice" and verdict["matches"]
    assert verdict["photos"] == ["God-Morgon-Orange-Juice_002.jpg"]
    assert result["product_id"] == "God-Morgon-Orange-Juice"
    assert f'data-verdict="{result["verdict"]}"' in badge
    assert result["details"]["product_names"]["God-Morgon-Orange-Juice"] == "God Morgon Orange Juice"
    assert "Compared with: <b>God Morgon Orange Juice (God-Morgon-Orange-Juice)</b>" in badge  # a name people know
    genuine = [m for m in result["matches"] if m["label"] == "genuine"]
    assert len(gallery) == len(genuine) >= 1
    assert gallery[0]["caption"].startswith("God Morgon Orange Juice · ")  # by name
    # the photo beside the best genuine reference, the region map drawn over it on demand
    assert "Checked photo: God-Morgon-Orange-Juice_002.jpg" in side_by_side
    assert "Best genuine reference of God Morgon Orange Juice" in side_by_side
    assert "Nearest seized fake (God Morgon Orange Juice)" in side_by_side  # the demo files fakes against it
    # the photo, its region map, the genuine reference, the fake, and the print compared (the
    # reference with the differing cells marked, and the photo laid over it on demand)
    assert side_by_side.count("data:image/jpeg;base64,") == 6 and 'class="regions"' in side_by_side
    assert 'class="print-diff"' in side_by_side and "Where the print differs from the genuine reference" in side_by_side
    assert 'data-model="offline' in badge and "weaker than the full image model" in badge
    assert "EfficientNet" not in badge and "CLIP" not in badge  # the card says which model in an inspector's words, and warns
    assert result["regions"]["rows"] == 9
    # kept in the history, with the notes, in the catalog's own database
    from index.storing.history import History

    kept = History(catalog).get(record["check_id"])
    assert kept.notes == "stall 4, market X" and kept.inspector == "badge 17" and kept.verdict == result["verdict"]
    assert (kept.case_id, kept.place, kept.source) == ("BB-117", "Chợ Đồng Xuân", "api")  # called through the API
    assert Path(kept.photos[0].path).is_file() and Path(kept.photos[0].path).is_relative_to(catalog)
    report = Path(report_html).read_text(encoding="utf-8")
    assert f"#{record['check_id']}" in report and "stall 4, market X" in report and "data:image/jpeg;base64," in report
    assert "God Morgon Orange Juice (God-Morgon-Orange-Juice)" in report
    assert json.loads(Path(report_json).read_text(encoding="utf-8"))["check_id"] == record["check_id"]


def test_batch_endpoint_checks_a_manifest_with_its_photos(running_app, tmp_path):
    from gradio_client import Client, handle_file

    url, _ = running_app
    photos = [demo_photo("God-Morgon-Orange-Juice_002.jpg"), demo_photo("Oatly-Oat-Milk_002.jpg")]
    manifest = tmp_path / "listings.csv"
    manifest.write_text("path,claimed_product_id,case_id\n"
                        f"photos/{photos[0].name},God-Morgon-Orange-Juice,listing-1\n"
                        f"photos/{photos[1].name},God-Morgon-Orange-Juice,listing-2\n"
                        "photos/missing.jpg,,listing-3\n", encoding="utf-8")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"<html>not a photo</html>")
    client = Client(url, verbose=False)
    results, summary, table, csv_path, jsonl_path = client.predict(
        handle_file(str(manifest)), [handle_file(str(p)) for p in photos], "en", api_name="/batch")
    lines = [json.loads(line) for line in Path(jsonl_path).read_text(encoding="utf-8").splitlines()]
    # the verdicts come first, as data (photos by the names they were uploaded under)
    assert [(r["case_id"], r["verdict"], r["check_id"]) for r in results] == \
        [(r["case_id"], r["verdict"], r["check_id"]) for r in lines]
    assert results[2]["errors"][0]["photo"] == "missing.jpg"
    assert [r["case_id"] for r in lines] == ["listing-1", "listing-2", "listing-3"]
    assert lines[0]["verdict"] == "genuine" and lines[0]["product_id"] == "God-Morgon-Orange-Juice"
    assert lines[1]["verdict"] in ("suspicious", "counterfeit")  # an oat drink claimed as orange juice
    assert lines[2]["verdict"] == "unknown" and lines[2]["errors"]  # the missing photo is named, the batch goes on
    rows = Path(csv_path).read_text(encoding="utf-8").splitlines()
    assert len(rows) == 4 and rows[0].startswith("case_id,")
    assert "3 cases" in summary
