"""The benchmark runs end to end at small sizes, and its fast paths stay equivalent to the naive
ones (no timing asserted: speed is measured by scripts/bench.py, not tested)."""

from __future__ import annotations

import json
import subprocess

from conftest import PYTHON, ROOT


def test_bench_quick_run_reports_every_part_with_equivalent_results(tmp_path):
    out = tmp_path / "results.json"
    run = subprocess.run([PYTHON, "scripts/bench.py", "--quick", "--sizes", "3000", "--photos", "8",
                          "--catalog-size", "1000", "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                         timeout=900)
    assert run.returncode == 0, run.stderr[-2000:]
    results = json.loads(out.read_text())
    assert results["embedding"]["cosine_min"] >= 0.99  # reduced-size decoding keeps the embedding
    views = results["tuned_views"]  # both views on a shared trunk: the same vectors as two whole networks
    assert views["shared_up_to_block"] == 11 and views["max_vector_difference"] < 1e-4
    assert views["two_draws_max_vector_difference"] < 1e-4  # two tuned draws and ImageNet's, shared trunk
    search = results["search"][0]
    assert search["recall_at_10"] >= 0.99 and search["removed_found_after_removal"] == 0
    assert results["end_to_end"]["references"] == 45 + 1000  # a third of the demo's real references, 1000 synthetic
    assert results["end_to_end"]["text_reads_per_photo"] == 1  # the label is read once per photo
    assert results["end_to_end"]["p50_with_vietnamese_accents_ms"] > 0
    assert results["import"]["photos"] == 8
    assert results["accents"]["lines_accented_per_photo"] > 0  # the pasted Vietnamese label, with its accents
    serials = results["serials"]  # the register: every issued probe found, none of the made-up ones
    assert serials["serials"] == 20_000 and serials["lookups_found"] == serials["lookups"] // 2
    assert serials["check_register"] == "issued" and serials["bytes_per_serial"] < serials["naive_bytes_per_serial"]
    aligned = results["alignment"]  # photos claimed as their own product line up with its references
    assert aligned["inliers_p50"] >= 10 and 0 < aligned["keypoint_bytes_per_reference"] <= aligned["keypoint_bytes_bound"]
    assert results["end_to_end"]["p50_with_text_codes_and_alignment_ms"] > 0
    assert results["dashboard"]["figures_equal"] and results["dashboard"]["checks"] == 5_000  # SQL = naive count
    for part in ("9. the dashboard", "1. embedding", "1b. a tuned catalog's embedding", "2. search", "3-4. end to end", "5. bulk import",
                 "6. a Vietnamese label", "7. the register of serials", "8. flat print aligned"):
        assert part in run.stdout


def test_scaling_bench_quick_run_compares_ray_and_milvus_with_the_embedded_default(tmp_path):
    out = tmp_path / "scaling.json"
    run = subprocess.run([PYTHON, "scripts/bench_scaling.py", "--quick", "--photos", "4", "--sizes", "1000",
                          "--queries", "10", "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-2000:]
    results = json.loads(out.read_text())
    imports = {row["import"]: row for row in results["import"]}
    assert set(imports) == {"plain, FAISS", "Ray local, FAISS", "Ray local, Milvus Lite"}
    assert all(row["max_vector_difference"] == 0.0 for row in imports.values())  # the same vectors every way
    assert [row["store"] for row in results["writer"]] == ["FAISS", "Milvus Lite in-process"]
    stores = {row["store"]: row for row in results["search"]}
    assert len(stores) == 6 and all(row["recall_at_10"] >= 0.99 for row in stores.values())
    assert all(row["filtered_recall_at_10"] >= 0.99 for row in stores.values())
    assert results["sizing"]["references"] == 50_000_000
    for part in ("1. bulk import", "2. search", "3. sizing"):
        assert part in run.stdout
