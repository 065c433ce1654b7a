"""Flat print aligned and compared: keypoints kept per reference, a photo aligned with its
product's genuine print (and hardly with a look-alike's), and the places where a reprinted label
differs shown on the reference. Real photos (demo/, Grocery Store), real SQLite, real OpenCV."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import numpy as np
import pytest

from conftest import DEMO, PYTHON, ROOT, build_catalog, demo_photo

sys.path.insert(0, str(ROOT / "scripts"))

GARANT = "Garant-Ecological-Standard-Milk"


def _photo_evidence(catalog, embedder, image, product):
    """The photo aligned with the product's genuine references, and the comparison drawn."""
    from index.judging.alignment import align_product, compare_with_reference
    from vision.alignment import extract

    points = extract(image)
    vectors = embedder.embed([image])
    aligned = align_product(catalog, [points], vectors, product)
    return aligned, compare_with_reference(catalog, image, points, aligned) if aligned is not None else None


def test_keypoints_are_kept_at_import_bounded_and_removed_with_their_reference(catalog_copy):
    from index import Catalog
    from index.storing import keypoints as keypoint_store

    with Catalog.open(catalog_copy, writable=True) as catalog:
        stats = catalog.stats()
        assert stats["keypoints"] == "kept"
        assert stats["references_with_keypoints"] == len(catalog)  # every reference, at import
        assert 0 < stats["keypoint_bytes_per_reference"] <= keypoint_store.MAX_BYTES
        ref = catalog.references(product_id=GARANT)[0]
        found, problems = catalog.keypoints([ref.image_id])
        assert not problems and len(found[ref.image_id]) > 100
        catalog.remove_images([ref.image_id])
        assert catalog.keypoints([ref.image_id]) == ({}, {})
        assert catalog.db.execute("SELECT COUNT(*) FROM keypoints").fetchone()[0] == len(catalog)


def test_a_genuine_photo_aligns_with_its_product_and_hardly_with_a_look_alike(demo_catalog_dir, offline_embedder):
    """A held-out shop photo of Garant milk lines up with many points of Garant's genuine photos
    and with few of Arla's milk (same kind of carton, another print)."""
    from index import Catalog
    from vision import load_image

    image = load_image(demo_photo(f"{GARANT}_001.jpg"))
    with Catalog.open(demo_catalog_dir) as catalog:
        own, _ = _photo_evidence(catalog, offline_embedder, image, GARANT)
        other, _ = _photo_evidence(catalog, offline_embedder, image, "Arla-Standard-Milk")
        garant = {r.image_id for r in catalog.references(product_id=GARANT)}
    assert own.score >= 40 and own.coverage > 0.1 and own.compared == 8 and own.reference_id in garant
    assert other.score <= 10 and own.to_dict()["inliers"] == own.inliers


def _edit_cells(grid, edited_box, image_size, alignment):
    """Which cells of the reference's grid the edited box of the photo falls on (half or more)."""
    import cv2

    from vision.alignment import Alignment, warp_matrix

    aligned = Alignment.from_dict(alignment)
    x0, y0, x1, y1 = edited_box
    corners = np.array([[[x0, y0]], [[x1, y0]], [[x1, y1]], [[x0, y1]]], np.float64)
    polygon = cv2.perspectiveTransform(corners, warp_matrix(image_size, aligned)).reshape(-1, 2)
    width, height = aligned.reference_size
    mask = np.zeros((height, width), np.uint8)
    cv2.fillConvexPoly(mask, np.round(polygon).astype(np.int32), 1)
    rows, cols = grid["rows"], grid["cols"]
    share = np.array([[mask[round(r * height / rows):round((r + 1) * height / rows),
                            round(c * width / cols):round((c + 1) * width / cols)].mean() for c in range(cols)]
                      for r in range(rows)])
    return share


def _reprinted(image, text, grid):
    """The photo with ``text`` printed on a label pasted over the middle of the pack that was
    aligned (``grid["alignment"]``: its inliers' hull, mapped back into the photo), and the box
    the label covers."""
    import cv2

    from photo_edits import paste_label
    from vision.alignment import Alignment

    aligned = Alignment.from_dict(grid["alignment"])
    hull = cv2.perspectiveTransform(aligned.hull.reshape(-1, 1, 2).astype(np.float64),
                                    np.linalg.inv(aligned.homography)).reshape(-1, 2)
    cx, cy = hull.mean(axis=0) / aligned.query_size
    probe = paste_label(image, text, where=(0, 0), height=0.07)  # how large the label comes out
    ys, xs = np.nonzero(np.any(np.asarray(probe) != np.asarray(image), axis=2))
    w, h = (xs.max() + 1) / image.width, (ys.max() + 1) / image.height
    edited = paste_label(image, text, where=(float(np.clip(cx - w / 2, 0, 1 - w)), float(np.clip(cy - h / 2, 0, 1 - h))),
                         height=0.07)
    ys, xs = np.nonzero(np.any(np.asarray(edited) != np.asarray(image), axis=2))
    return edited, (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)


def test_the_overlay_marks_the_edited_part_of_a_reprinted_label_and_not_the_rest(demo_catalog_dir, offline_embedder):
    """A shop photo of Alpro Vanilla against its nearest genuine reference (another photo of the
    same pack) matches where it is compared; the same photo with the brand reprinted one letter
    off on the pack ("ALPRA") lights up where the label was pasted, and hardly elsewhere."""
    from index import Catalog
    from vision import load_image

    product = "Alpro-Vanilla-Soyghurt"
    image = load_image(demo_photo(f"{product}_002.jpg"))
    with Catalog.open(demo_catalog_dir) as catalog:
        _, genuine = _photo_evidence(catalog, offline_embedder, image, product)
        assert genuine is not None
        edited, box = _reprinted(image, "ALPRA", genuine)
        _, reprint = _photo_evidence(catalog, offline_embedder, edited, product)
    assert reprint is not None
    kinds = np.array(genuine["kinds"])
    assert (kinds != "outside").sum() >= 6 and genuine["differing_share"] <= 0.2

    kinds = np.array(reprint["kinds"])
    compared = kinds != "outside"
    differs = compared & (kinds != "match")
    on_label = _edit_cells(reprint, box, edited.size, reprint["alignment"])
    inside, outside = compared & (on_label >= 0.5), compared & (on_label == 0)
    assert inside.sum() >= 2 and differs[inside].mean() >= 0.6  # the reprinted label lights up
    assert differs[outside].mean() <= 0.25  # the untouched print does not
    assert reprint["differing_share"] > genuine["differing_share"]


def test_a_damaged_or_oversized_keypoints_record_is_a_clear_error_not_a_crash(catalog_copy, offline_embedder):
    from index import Catalog, NewReference, Verifier
    from vision.alignment import Keypoints, KeypointsError, extract
    from vision import load_image

    record = extract(load_image(demo_photo(f"{GARANT}_001.jpg"))).to_bytes()
    assert Keypoints.from_bytes(record).to_bytes() == record
    for damaged, reason in ((record[:-7], "bytes;"), (b"not keypoints at all", "wrong magic"),
                            (record[:4] + b"\x09\x00" + record[6:], "format 9"), (b"VKP", "shorter than")):
        with pytest.raises(KeypointsError, match=reason):
            Keypoints.from_bytes(damaged)
    with pytest.raises(KeypointsError, match="more than the limit"):
        Keypoints.from_bytes(record, max_features=10)

    with Catalog.open(catalog_copy, writable=True) as catalog:
        refs = catalog.references(product_id=GARANT)
        before = len(catalog)
        oversized = record + b"\0" * 200_000
        with pytest.raises(KeypointsError, match="larger than"):  # refused before anything is written
            catalog.add([NewReference(GARANT, "f" * 64, keypoints=oversized)], np.zeros((1, catalog.embedder.dim)))
        assert len(catalog) == before
    db = sqlite3.connect(catalog_copy / "references.sqlite")
    with db:
        for ref in refs:  # every genuine reference of the product damaged on disk
            db.execute("UPDATE keypoints SET data = ? WHERE image_id = ?", (record[:100], ref.image_id))
    db.close()
    with Catalog.open(catalog_copy) as catalog:
        _, problems = catalog.keypoints([refs[0].image_id])
        assert "keypoints record is 100 bytes" in problems[refs[0].image_id]
        verdict = Verifier(catalog, offline_embedder).check([demo_photo(f"{GARANT}_001.jpg")], claimed_product_id=GARANT)
    assert verdict.verdict in ("genuine", "suspicious", "unknown", "counterfeit")
    assert "alignment" not in (verdict.evidence or {})  # nothing usable to align with: no evidence, no crash


def test_an_older_catalog_gets_keypoints_from_its_kept_photos(tmp_path, offline_embedder, demo_rows):
    """A catalog made without keypoints (``--no-keypoints``, or before they existed) keeps none at
    import; ``manage_catalog.py CATALOG keypoints`` computes them from the photos it keeps, and the
    next import keeps them too."""
    from index import Catalog, import_references

    rows = [row for row in demo_rows if row.product_id in (GARANT, "Arla-Standard-Milk")]
    path = build_catalog(tmp_path / "old", offline_embedder, rows[:-2], read=False, keypoints=False)
    with Catalog.open(path) as catalog:
        assert catalog.stats()["references_with_keypoints"] == 0 and not catalog.keeps_keypoints
    run = subprocess.run([PYTHON, "scripts/manage_catalog.py", str(path), "keypoints"], cwd=ROOT, capture_output=True,
                         text=True, timeout=600, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert run.returncode == 0, run.stderr[-2000:]
    assert f"keypoints kept for {len(rows) - 2} more references" in run.stdout
    with Catalog.open(path, writable=True) as catalog:
        assert catalog.keeps_keypoints
        assert catalog.stats()["references_with_keypoints"] == len(rows) - 2
        import_references(catalog, offline_embedder, rows, progress=False)
        assert catalog.stats()["references_with_keypoints"] == len(rows)
    from index.storing import audit

    assert any(entry.action == "keypoints" for entry in audit.entries(path))


def test_a_check_carries_the_print_comparison_into_the_card_and_the_case_file(service):
    """A reprinted Alpro label checked in the app: the verdict's evidence names the genuine
    reference it was aligned with and the differing share; the side by side and the case file show
    the print comparison, captioned in English and Vietnamese."""
    from photo_edits import paste_label
    from ui.render import side_by_side_html
    from ui.report import report_html
    from vision import load_image

    product = "Alpro-Vanilla-Soyghurt"
    edited = service.work_dir / "reprint.jpg"
    edited.parent.mkdir(parents=True, exist_ok=True)
    paste_label(load_image(demo_photo(f"{product}_002.jpg")), "ALPRA", where=(0.24, 0.3), height=0.07).save(edited)
    record = service.check([str(edited)], claimed=product)
    aligned = record.result["evidence"]["alignment"]
    assert aligned["product_id"] == product and aligned["inliers"] >= 20 and aligned["reference_id"]
    assert "difference" in aligned and aligned["photo"] == record.photos[0].path
    page = side_by_side_html(service.catalog, record.result, [(p.path, p.name) for p in record.photos], "en")
    assert "Where the print differs from the genuine reference" in page and 'class="print-diff"' in page
    case_file = report_html(record, service.catalog, "vi")
    assert "Chỗ in khác với mẫu hàng thật" in case_file and "Khác biệt thấy được" in case_file
