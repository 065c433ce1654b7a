"""Concurrent use: checks keep being answered, and answered the same, while an import or a
removal runs in another process; many concurrent requests through the app's API are all answered."""

from __future__ import annotations

import json
import subprocess

from PIL import Image, ImageEnhance

from conftest import DEMO, PYTHON, ROOT, demo_photo


def new_reference_photos(folder, count: int = 24):
    """Real photos made new (crops, flips, colour): content hashes the catalog does not hold yet."""
    folder.mkdir(parents=True)
    sources = sorted((DEMO / "references" / "Oatly-Oat-Milk").glob("*.jpg"))
    lines = ["path,product_id,label"]
    for i in range(count):
        with Image.open(sources[i % len(sources)]) as image:
            image = image.convert("RGB")
            w, h = image.size
            crop = image.crop((i % 7, i % 5, w - i % 3, h - i % 4))
            crop = ImageEnhance.Color(crop).enhance(0.8 + 0.01 * i)
            if i % 2:
                crop = crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
            crop.save(folder / f"new-{i:03d}.jpg", quality=90)
        lines.append(f"new-{i:03d}.jpg,Oatly-Oat-Milk,genuine")
    (folder / "products.csv").write_text("\n".join(lines) + "\n")
    return folder / "products.csv"


def checks_while(process: subprocess.Popen, service, photo) -> list:
    seen = []
    while process.poll() is None or not seen:
        record = service.check([str(photo)])
        seen.append((record.result["product_id"], record.verdict, len(service.catalog)))
    return seen


def test_checks_are_answered_alike_while_an_import_and_a_removal_run(catalog_copy, offline_embedder, tmp_path):
    from index import Catalog, Verifier
    from ui.service import Service

    manifest = new_reference_photos(tmp_path / "new")
    service = Service(Verifier(Catalog.open(catalog_copy), offline_embedder), work_dir=tmp_path / "work")
    photo = demo_photo("God-Morgon-Orange-Juice_002.jpg")
    before = service.check([str(photo)])

    importing = subprocess.Popen([PYTHON, "scripts/index_catalog.py", str(catalog_copy), "--manifest", str(manifest),
                                  "--batch-size", "4", "--no-progress"], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    during_import = checks_while(importing, service, photo)
    assert importing.wait() == 0, importing.stderr.read()
    assert len(during_import) >= 3
    assert {(p, v) for p, v, _ in during_import} == {(before.result["product_id"], before.verdict)}
    sizes = [n for _, _, n in during_import]
    assert sizes == sorted(sizes), "a reader saw the catalog shrink during an import"
    after_import = service.check([str(photo)])
    assert len(service.catalog) == 134 + 24 and service.catalog.store.ntotal == 158

    removing = subprocess.Popen([PYTHON, "scripts/manage_catalog.py", str(catalog_copy), "remove-product",
                                 "Oatly-Oat-Milk"], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    during_removal = checks_while(removing, service, photo)
    assert removing.wait() == 0, removing.stderr.read()
    assert {p for p, _, _ in during_removal} == {"God-Morgon-Orange-Juice"}
    service.check([str(photo)])
    assert len(service.catalog) == 120 and service.catalog.store.ntotal == 120
    assert after_import.result["product_id"] == "God-Morgon-Orange-Juice"
    service.catalog.close()


def test_many_concurrent_requests_through_the_api_are_all_answered(running_app):
    url, _ = running_app
    result = subprocess.run([PYTHON, "scripts/load_test.py", url, "--requests", "24", "--concurrency", "6"],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["answered"] == 24 and figures["failed"] == 0, figures
    assert figures["answered_with_a_readable_photo"] == 24
    assert figures["latency_s"]["p50"] is not None
