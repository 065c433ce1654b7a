"""A check as a case file (issue 13): case number, place, local time, signature block, and a
verification code that `scripts/verify_report.py` accepts, and rejects after a one-byte edit or
with another deployment's key. Real catalog, model, photos, keys and QR reading."""

from __future__ import annotations

import base64
import io
import re
import sqlite3
import subprocess

from PIL import Image

from conftest import PYTHON, ROOT, demo_photo


def verify_report(*args) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, str(ROOT / "scripts" / "verify_report.py"), *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def test_case_file_is_signed_and_any_edit_or_other_key_is_refused(service, tmp_path):
    import zxingcpp

    from ui.signing import SigningKey

    record = service.check([str(demo_photo("God-Morgon-Orange-Juice_002.jpg"))], claimed="God-Morgon-Orange-Juice",
                           inspector="QLTT-07 Nguyễn Văn An", case_id="BB-2026/117", place="Chợ Đồng Xuân, Hà Nội")
    html_path, json_path = service.report_files(record, "vi")
    page = html_path.read_text(encoding="utf-8")
    for expected in ("BB-2026/117", "Chợ Đồng Xuân, Hà Nội", "Nguyễn Văn An", "giờ Việt Nam, UTC+07:00",
                     "Cán bộ kiểm tra (ký, ghi rõ họ tên)", "Mã xác thực báo cáo"):
        assert expected in page, expected
    public = service.signing_key.public_path
    accepted = verify_report(html_path, json_path, "--public-key", public)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert accepted.stdout.count("verified") == 2

    # the QR code printed on the report reads back as the verification code
    uri = re.search(r'<img alt="QR" width="180" src="data:image/png;base64,([^"]+)"', page).group(1)
    qr = zxingcpp.read_barcodes(Image.open(io.BytesIO(base64.b64decode(uri))).convert("L"))
    signature = re.search(r'data-signature="([^"]+)"', page).group(1)
    assert [code.text for code in qr] == [f"CPV2:{service.signing_key.fingerprint}:{signature}"]

    # one byte changed in the body (the place), in the JSON (the verdict), in the code itself
    for name, original, edited in (
        ("place.html", page.encode(), page.encode().replace("Đồng Xuân".encode(), "Đồng Xuăn".encode(), 1)),
        ("verdict.json", json_path.read_bytes(), json_path.read_bytes().replace(b'"verdict": "', b'"verdict":  "', 1)),
        ("code.html", page.encode(), page.encode().replace(signature.encode(), (signature[:-1] + (
            "A" if signature[-1] != "A" else "B")).encode(), 1)),
    ):
        assert edited != original and len(edited) - len(original) in (0, 1)
        target = tmp_path / name
        target.write_bytes(edited)
        refused = verify_report(target, "--public-key", public)
        assert refused.returncode == 1 and "NOT VERIFIED" in refused.stdout, (name, refused.stdout)

    # another deployment's key: refused, naming both keys
    other = SigningKey.load_or_create(tmp_path / "other-deployment")
    assert other.fingerprint != service.signing_key.fingerprint
    wrong = verify_report(html_path, "--public-key", other.public_path)
    assert wrong.returncode == 1 and other.fingerprint in wrong.stdout and service.signing_key.fingerprint in wrong.stdout


def test_the_key_is_made_once_and_kept_private(tmp_path):
    from ui.signing import PRIVATE_NAME, SigningKey

    first = SigningKey.load_or_create(tmp_path / "keys")
    again = SigningKey.load_or_create(tmp_path / "keys")
    assert first.fingerprint == again.fingerprint
    assert (tmp_path / "keys" / PRIVATE_NAME).stat().st_mode & 0o077 == 0


def test_history_filters_by_date_inspector_and_source(service):
    photo = str(demo_photo("God-Morgon-Orange-Juice_002.jpg"))
    mine = service.check([photo], inspector="QLTT-07", place="Lạng Sơn")
    other = service.check([photo], inspector="HQ-22")
    batch = service.check_batch(None, [photo])
    batch_id = batch.rows[0][-1]
    history = service.history
    assert [r.check_id for r in history.search(inspector="qltt")] == [mine.check_id]
    assert [r.check_id for r in history.search("Lạng Sơn")] == [mine.check_id]
    assert [r.check_id for r in history.search(source="batch")] == [batch_id]
    assert {r.check_id for r in history.search(source="app")} == {mine.check_id, other.check_id}
    assert history.search(since="2999-01-01T00:00:00Z") == []
    assert len(history.search(since="2000-01-01T00:00:00Z", until="2999-01-01T00:00:00Z")) == 3


def test_a_history_kept_by_an_earlier_version_gains_place_and_source(tmp_path):
    from index.storing.history import History

    old = tmp_path / "catalog"
    old.mkdir()
    from index.storing.catalog import DB_NAME

    db = sqlite3.connect(old / DB_NAME)
    db.executescript("""CREATE TABLE checks (check_id INTEGER PRIMARY KEY AUTOINCREMENT, checked_at TEXT NOT NULL,
        case_id TEXT, claimed_product_id TEXT, product_id TEXT, verdict TEXT NOT NULL, counterfeit_score REAL,
        inspector TEXT NOT NULL DEFAULT '', notes TEXT NOT NULL DEFAULT '', photos TEXT NOT NULL, result TEXT NOT NULL,
        quality TEXT NOT NULL DEFAULT '[]', review_verdict TEXT, review_note TEXT, reviewer TEXT, reviewed_at TEXT);
        INSERT INTO checks (checked_at, verdict, photos, result) VALUES ('2026-01-02T03:04:05Z', 'unknown', '[]', '{}');""")
    db.commit()
    db.close()
    history = History(old)
    (record,) = history.search()
    assert (record.place, record.source, record.verdict) == ("", "app", "unknown")
    history.close()
