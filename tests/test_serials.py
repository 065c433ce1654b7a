"""The unit, not only the product: serial numbers read on real photos (GS1 Digital Link QR codes
pasted on real demo photos), judged against the brand's register of the serials it issued and
against the memory of every code already read, from the app, the API and the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from conftest import DEMO, PYTHON, ROOT, copy_catalog, demo_photo

sys.path.insert(0, str(ROOT / "scripts"))
from make_demo_data import ISSUED_SERIAL, demo_serial, gtin_of  # noqa: E402
from photo_edits import digital_link, paste_qr  # noqa: E402

OATLY = "Oatly-Oat-Milk"
GTIN = gtin_of(OATLY).rjust(14, "0")
ISSUED = demo_serial(ISSUED_SERIAL)
#: Serials added to the demo register for these tests: (serial, batch, expiry) as the brand issued them.
EXTRA = [("BATCH00001", "L2611A", "2030-11-30"), ("EXPIRED001", "L2001A", "2020-01-31"),
         ("SOLD000001", "L2611A", "2030-11-30")]


def unit_photo(folder: Path, name: str, serial: str, batch: str, expiry: str, source: str = "Oatly-Oat-Milk_001.jpg"):
    """A real demo photo with a GS1 Digital Link QR code of one unit pasted on it (expiry YYMMDD)."""
    path = folder / name
    paste_qr(Image.open(demo_photo(source)), digital_link(GTIN, serial, batch, expiry)).save(path, quality=92)
    return path


@pytest.fixture(scope="module")
def register_catalog(demo_catalog_dir, tmp_path_factory):
    """A copy of the demo catalog whose register also holds the serials above, one marked sold."""
    from index.importing.serials import import_register

    folder = tmp_path_factory.mktemp("serials")
    catalog = copy_catalog(demo_catalog_dir, folder / "catalog")
    issued = folder / "more-serials.csv"
    issued.write_text("gtin,serial,batch,expiry\n" + "".join(f"{GTIN},{s},{b},{e}\n" for s, b, e in EXTRA))
    import_register(catalog, issued, "brand-owner", progress=False)
    sold = folder / "sold.csv"
    sold.write_text(f"gtin,serial,state,date\n{GTIN},SOLD000001,sold,2026-03-01\n")
    import_register(catalog, sold, "brand-owner", decommission=True, progress=False)
    return catalog


@pytest.fixture(scope="module")
def verifier(register_catalog, offline_embedder):
    from index import Catalog, Verifier

    return Verifier(Catalog.open(register_catalog), offline_embedder)


def serial_of(verdict) -> dict:
    [serial] = verdict.evidence["serials"]
    return serial


def test_unit_codes_are_read_from_gs1_element_strings_digital_links_and_registered_stamps():
    from datetime import date

    from vision.unit_codes import StampPattern, parse_unit

    link = parse_unit("https://id.gs1.org/01/07350001070087/10/L2611A/21/7K3Q9X0042?17=301200")
    assert (link.kind, link.gtin, link.batch, link.serial, link.expiry) == \
        ("digital_link", "07350001070087", "L2611A", "7K3Q9X0042", date(2030, 12, 31))  # day 00: the month's last
    # a GS1 DataMatrix as zxing-cpp gives it: human-readable, or raw with its GS separators
    assert parse_unit("(01)07350001070087(17)261231(10)AB12(21)XYZ9").serial == "XYZ9"
    raw = parse_unit("]d20107350001070087172612311012AB<GS>21XYZ9")
    assert (raw.kind, raw.batch, raw.serial) == ("gs1", "12AB", "XYZ9") and raw.unit_key == "07350001070087|XYZ9"
    assert parse_unit("(01)07350001070087(17)200131").serial is None  # no serial: it can still be expired
    assert parse_unit("7350001070087") is None and parse_unit("https://example.com/p/ABC123") is None
    stamp = StampPattern("https://xacthuc.vinamilk.vn/c/{serial}", "Vinamilk")
    read = parse_unit("HTTP://XACTHUC.VINAMILK.VN/c/Ab12Cd34", [stamp])
    assert (read.kind, read.serial, read.template) == ("stamp", "Ab12Cd34", stamp.template)
    assert parse_unit("https://xacthuc.vinamilk.vn/c/Ab12Cd34/../x", [stamp]) is None
    assert parse_unit("https://evil.example/?u=https://xacthuc.vinamilk.vn/c/Ab12Cd34", [stamp]) is None
    with pytest.raises(ValueError, match="exactly once"):
        StampPattern("https://xacthuc.vinamilk.vn/c/")


def test_an_issued_serial_supports_the_product_and_one_never_issued_is_counterfeit(verifier):
    from ui.i18n import verdict_sentence
    from ui.render import badge_html

    issued = verifier.check([DEMO / "queries" / "Oatly-Oat-Milk_001_unit-code-issued.jpg"], OATLY)
    serial = serial_of(issued)
    assert (serial["serial"], serial["register"], serial["issued"]["batch"]) == (ISSUED, "issued", "L2611A")
    assert not serial["flags"] and not {"serial_not_issued", "serial_seen_before"} & set(issued.flags)
    assert issued.verdict in ("genuine", "unknown")
    if issued.verdict == "genuine":
        assert issued.details["message"]["key"] == "consistent_with_genuine_serial"

    made_up = verifier.check([DEMO / "queries" / "Oatly-Oat-Milk_002_unit-code-never-issued.jpg"], OATLY)
    assert made_up.verdict == "counterfeit" and "serial_not_issued" in made_up.flags
    assert serial_of(made_up)["register"] == "not_issued"
    result = made_up.to_dict()
    assert "was never issued" in made_up.explanation and GTIN in made_up.explanation
    assert "chưa từng được cấp" in verdict_sentence(result, "vi")
    card = badge_html(result, "vi")
    assert "CHƯA TỪNG ĐƯỢC CẤP" in card and serial_of(made_up)["serial"] in card


def test_a_batch_other_than_the_register_s_is_suspicious(verifier, tmp_path):
    photo = unit_photo(tmp_path, "other-batch.jpg", "BATCH00001", "L9999Z", "301130")
    verdict = verifier.check([photo], OATLY)
    assert verdict.verdict == "suspicious" and "batch_mismatch" in verdict.flags
    serial = serial_of(verdict)
    assert serial["batch_mismatch"] and not serial["expiry_mismatch"] and serial["issued"]["batch"] == "L2611A"
    assert "L9999Z" in verdict.explanation and "L2611A" in verdict.explanation


def test_past_its_expiry_is_flagged_expired_and_is_not_a_counterfeit_sign(verifier, tmp_path):
    photo = unit_photo(tmp_path, "expired.jpg", "EXPIRED001", "L2001A", "200131")
    verdict = verifier.check([photo], OATLY)
    assert "expired" in verdict.flags and serial_of(verdict)["expired"]
    assert serial_of(verdict)["register"] == "issued" and not serial_of(verdict)["flags"]
    assert verdict.verdict not in ("counterfeit", "suspicious")  # an old genuine pack is not a fake
    from ui.render import badge_html

    assert "đã quá hạn sử dụng (31/01/2020)" in badge_html(verdict.to_dict(), "vi")


def test_a_serial_the_brand_marked_sold_is_suspicious(verifier, tmp_path):
    photo = unit_photo(tmp_path, "sold.jpg", "SOLD000001", "L2611A", "301130")
    verdict = verifier.check([photo], OATLY)
    assert verdict.verdict == "suspicious" and "serial_decommissioned" in verdict.flags
    assert serial_of(verdict)["issued"]["state"] == "sold"
    assert "already sold" in verdict.explanation


def test_only_gtins_the_brand_registers_are_judged_and_a_copied_serial_names_its_gtin(register_catalog):
    from index import Catalog
    from index.judging.serials import SerialJudge

    other = gtin_of("Arla-Standard-Milk").rjust(14, "0")
    with Catalog.open(register_catalog) as catalog:
        judge = SerialJudge(catalog, {OATLY: [GTIN], "Arla-Standard-Milk": [other]})

        def register(gtin, serial):
            [finding] = judge.judge([{"format": "QRCode", "text": digital_link(gtin, serial)}], None)
            return finding

        # Arla registers no serials: its serials are neither issued nor "not issued"
        assert register(other, "ANYTHING42").register == "no_register"
        # Oatly's serial printed with Arla's GTIN: issued, but for another product
        copied = register(other, ISSUED)
        assert copied.register == "other_gtin" and copied.issued.gtin == GTIN
        assert copied.contradictions == ("serial_issued_for_other_gtin",)


def test_a_brands_stamp_is_read_by_its_registered_template(register_catalog, tmp_path):
    from index import Catalog
    from index.importing.serials import import_register
    from index.judging.serials import SerialJudge
    from index.storing import serials as register

    catalog_dir = copy_catalog(register_catalog, tmp_path / "catalog")
    with Catalog.open(catalog_dir, writable=True) as catalog, catalog.audited("brand-owner", "add_stamp_pattern"):
        register.add_stamp(catalog, "https://xacthuc.oatly.example/c/{serial}", "Oatly")
    stamps = tmp_path / "stamps.csv"
    stamps.write_text(f"gtin,serial\n{GTIN},STAMP7777\n")
    import_register(catalog_dir, stamps, "brand-owner", progress=False)
    with Catalog.open(catalog_dir) as catalog:
        judge = SerialJudge(catalog, {OATLY: [GTIN]})
        [good] = judge.judge([{"format": "QRCode", "text": "https://xacthuc.oatly.example/c/STAMP7777"}], OATLY)
        [fake] = judge.judge([{"format": "QRCode", "text": "https://xacthuc.oatly.example/c/STAMP0000"}], OATLY)
    assert (good.kind, good.register, fake.register) == ("stamp", "issued", "not_issued")


def test_a_malformed_register_file_is_refused_whole_with_its_line_numbers(tmp_path):
    from index import Catalog, EmbedderRecord
    from index.storing import audit
    from index.storing.serials import Register

    catalog = tmp_path / "catalog"
    Catalog.create(catalog, EmbedderRecord("offline", 1280, "", [])).close()
    bad = tmp_path / "serials.csv"
    bad.write_text("gtin,serial,batch,expiry\n"
                   f"{GTIN},GOOD000001,L1,2030-12-31\n"
                   "07350001070088,GOOD000002,,\n"  # the check digit is 7
                   f"{GTIN},HAS SPACE,,\n"
                   "\n"
                   f"{GTIN},GOOD000001,,\n"  # the same serial again
                   f"{GTIN},GOOD000003,,2030-02-30\n"
                   f"{GTIN},GOOD000004\n"
                   f"{GTIN},GOOD000005,L1,2031-01-31\n", encoding="utf-8")
    run = subprocess.run([PYTHON, "scripts/manage_catalog.py", str(catalog), "import-serials", str(bad)], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 2, run.stderr
    lines = [line.strip() for line in run.stderr.splitlines()]
    assert "serials.csv: 5 of 7 rows refused, nothing was imported" in run.stderr
    assert [line.split(":")[0] for line in lines if line.startswith("line ")] == \
        ["line 3", "line 4", "line 6", "line 7", "line 8"]
    assert "line 3: GTIN 07350001070088" in run.stderr and "line 6: the same GTIN and serial as line 2" in run.stderr
    assert "line 8: 2 fields, the header has 4" in run.stderr
    with Catalog.open(catalog) as opened:
        assert Register.of(opened).summary()["serials"] == 0
        assert opened.db.execute("SELECT COUNT(*) FROM serial_register").fetchone()[0] == 0
    assert not [e for e in audit.entries(catalog) if e.action == "import_serials"]


def test_a_hashed_register_keeps_the_serials_out_of_the_catalog_folder(tmp_path, monkeypatch):
    from index import Catalog, EmbedderRecord
    from index.importing.serials import import_register
    from index.judging.serials import SerialJudge
    from index.storing import serials as register
    from index.storing.serials import Register, key_dir

    serials = [f"SECRET{i:05d}" for i in range(300)]
    csv_file = tmp_path / "serials.csv"
    csv_file.write_text("gtin,serial,batch,expiry\n" + "".join(f"{GTIN},{s},L1,2030-12-31\n" for s in serials))

    def leaked(folder: Path) -> list[str]:
        data = b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
        return [s for s in serials if s.encode() in data]

    for storage in ("hashed", "plain"):
        catalog = tmp_path / storage
        Catalog.create(catalog, EmbedderRecord("offline", 1280, "", [])).close()
        with Catalog.open(catalog, writable=True) as opened, opened.audited("brand-owner", "set_serial_storage"):
            register.set_storage(opened, storage)
        done = import_register(catalog, csv_file, "brand-owner", progress=False)
        assert (done.new, done.storage) == (300, storage)
        assert len(leaked(catalog)) == (0 if storage == "hashed" else 300)  # a plain register is readable as it is
    key_files = list((key_dir() / "serial-keys").glob("*.key"))
    assert key_files and not any(f.is_relative_to(tmp_path) for f in key_files)  # the key lives elsewhere

    def read(folder):
        with Catalog.open(folder) as opened:
            judge = SerialJudge(opened, {OATLY: [GTIN]})
            found = [judge.judge([{"format": "QRCode", "text": digital_link(GTIN, s)}], OATLY)[0].register
                     for s in ("SECRET00007", "NEVER00001")]
            return found, Register.of(opened).summary()

    assert read(tmp_path / "hashed")[0] == ["issued", "not_issued"]
    copy = copy_catalog(tmp_path / "hashed", tmp_path / "laptop")  # the folder alone, on a machine without the key
    monkeypatch.setenv("VERIFIER_KEY_DIR", str(tmp_path / "another-machine"))
    found, summary = read(copy)
    assert found == ["register_unreadable", "register_unreadable"]  # never "not issued" for want of the key
    assert summary["key_on_this_machine"] is False and summary["serials"] == 300


def test_a_code_copied_onto_another_item_is_flagged_across_the_app_and_the_command_line(running_app, tmp_path):
    """An inspector checks an item in the app; the same unit code is then read on another item,
    from the command line: flagged, naming the app's check, its place and its time. The same case
    checked again with one more photo does not flag itself."""
    from gradio_client import Client, handle_file

    from index.storing.history import History

    url, catalog = running_app
    client = Client(url, verbose=False)
    issued = DEMO / "queries" / "Oatly-Oat-Milk_001_unit-code-issued.jpg"
    cloned = DEMO / "queries" / "Oatly-Oat-Milk_002_unit-code-cloned.jpg"

    def app_check(photos, case, place, language="en"):
        verdict, badge, _, _, _, report, *_ = client.predict([handle_file(str(p)) for p in photos], OATLY, "QLTT-12",
                                                             "", language, case, place, api_name="/verify")
        return verdict, badge, report

    first, _, _ = app_check([issued], "BB-2026/501", "Chợ Đồng Xuân")
    assert "serial_seen_before" not in first["flags"] and first["evidence"]["serials"][0]["register"] == "issued"
    again, _, _ = app_check([issued, demo_photo("Oatly-Oat-Milk_002.jpg")], "", "Chợ Đồng Xuân")  # a re-check
    assert "serial_seen_before" not in again["flags"]

    run = subprocess.run([PYTHON, "scripts/verify.py", str(catalog), str(cloned), "--claimed", OATLY,
                          "--case-id", "BB-2026/502", "--place", "Cửa khẩu Hữu Nghị"], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    copy = json.loads(run.stdout)
    assert copy["verdict"] == "suspicious" and "serial_seen_before" in copy["flags"]
    seen = copy["evidence"]["serials"][0]["seen_before"]
    assert (seen["check_id"], seen["place"], seen["case_id"]) == (first["check_id"], "Chợ Đồng Xuân", "BB-2026/501")
    assert f"check #{first['check_id']} at Chợ Đồng Xuân" in copy["explanation"]

    # a third item with the same code, in the app: the card names the first check (its number opens
    # it in History); the re-check without a case number and the command line's check count too
    third_item = unit_photo(tmp_path, "third.jpg", ISSUED, "L2611A", "301130", source="Oatly-Oat-Milk_002.jpg")
    third, badge, report = app_check([third_item], "BB-2026/503", "", "vi")
    assert "serial_seen_before" in third["flags"]
    assert third["evidence"]["serials"][0]["seen_before"]["check_id"] == first["check_id"]
    assert f'data-check-id="{first["check_id"]}"' in badge and "Chợ Đồng Xuân" in badge
    assert "đã được đọc trên một món hàng khác: lần kiểm tra #" in badge  # in the inspector's language
    case_file = Path(report).read_text(encoding="utf-8")  # the case file carries the same evidence
    assert "Mã định danh đơn vị hàng (số sê-ri)" in case_file and ISSUED in case_file
    assert f'data-check-id="{first["check_id"]}"' in case_file
    kept = History(catalog).get(third["check_id"])
    assert kept.result["evidence"]["serials"][0]["seen_count"] == 3


def test_a_batch_groups_the_listings_that_carry_the_same_code(service, tmp_path):
    from ui.render import triage_html

    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("Oatly-Oat-Milk_001_unit-code-issued.jpg", "Oatly-Oat-Milk_002_unit-code-cloned.jpg"):
        (photos / name).write_bytes((DEMO / "queries" / name).read_bytes())
    (photos / "God-Morgon-Orange-Juice_002.jpg").write_bytes(demo_photo("God-Morgon-Orange-Juice_002.jpg").read_bytes())
    manifest = tmp_path / "listings.csv"
    manifest.write_text("path,claimed_product_id,case_id\n"
                        f"photos/Oatly-Oat-Milk_001_unit-code-issued.jpg,{OATLY},shop-a/listing-1\n"
                        "photos/God-Morgon-Orange-Juice_002.jpg,God-Morgon-Orange-Juice,shop-b/listing-2\n"
                        f"photos/Oatly-Oat-Milk_002_unit-code-cloned.jpg,{OATLY},shop-c/listing-3\n")
    result = service.check_batch(str(manifest), [str(p) for p in photos.iterdir()])
    by_case = {r["case_id"]: r for r in result.results}
    assert "serial_seen_before" in by_case["shop-c/listing-3"]["flags"]  # within one batch
    assert by_case["shop-c/listing-3"]["evidence"]["serials"][0]["seen_before"]["check_id"] == \
        by_case["shop-a/listing-1"]["check_id"]
    html = triage_html([(result.results[i], "") for i in result.by_risk()], "en")
    clones = html.split('<table class="triage">')[0]
    assert "The same unit code on several listings" in clones and ISSUED in clones
    assert "shop-a/listing-1" in clones and "shop-c/listing-3" in clones and "shop-b/listing-2" not in clones
    rows = html.split("<tbody>")[1].split("</tr>")
    cases = [next(c for c in by_case if f'<td class="case">{c}</td>' in row) for row in rows if "<td" in row]
    assert abs(cases.index("shop-a/listing-1") - cases.index("shop-c/listing-3")) == 1  # side by side


def test_what_a_code_says_is_escaped_wherever_it_is_shown():
    from ui.render import badge_html, triage_html

    hostile = '<img src=x onerror=alert(1)>'
    serial = {"format": "DataMatrix", "text": f"(01){GTIN}(10)<b>L1</b>(21){hostile}", "kind": "gs1",
              "serial": hostile, "gtin": GTIN, "batch": "<b>L1</b>", "expiry": None, "template": None,
              "register": "issued", "issued": {"gtin": GTIN, "product_id": OATLY, "batch": "<i>L2</i>", "expiry": None,
                                               "state": None, "state_date": None},
              "batch_mismatch": True, "expiry_mismatch": False, "expired": False,
              "seen_before": {"check_id": 7, "checked_at": "2026-12-01T02:31:00Z", "case_id": "<u>case</u>",
                              "place": "<script>x()</script>", "source": "app"},
              "seen_count": 1, "unit": "ab" * 16, "flags": ["serial_seen_before", "batch_mismatch"]}
    result = {"verdict": "suspicious", "counterfeit_score": 0.6, "product_id": OATLY, "claimed_product_id": OATLY,
              "flags": ["serial_seen_before"], "matches": [], "errors": [], "photos": ["a.jpg"], "case_id": "c1",
              "check_id": 8, "explanation": "", "advice": [],
              "details": {"message": {"key": "serial_seen_before", "args": {
                  "code": hostile, "check": 7, "place": "<script>x()</script>", "when": "2026-12-01T02:31:00Z"}}},
              "evidence": {"serials": [serial]}}
    for language in ("en", "vi"):
        card = badge_html(result, language)
        assert "<img" not in card and "<script>" not in card and "<b>L1" not in card and "<u>" not in card
        assert "&lt;img src=x onerror=alert(1)&gt;" in card and 'data-check-id="7"' in card
        assert "09:31" in card  # the earlier check's time where the reader is (Asia/Ho_Chi_Minh)
    triage = triage_html([(result, ""), (dict(result, case_id="c2", check_id=9), "")], "en")
    assert "<img" not in triage and "<script>" not in triage and "c1 (#8), c2 (#9)" in triage


def test_a_register_is_imported_from_the_catalog_tab_by_a_logged_in_owner(service, tmp_path):
    from index.storing import audit
    from ui.render import serial_register_html
    from ui.service import NotAllowed

    upload = tmp_path / "register-2027.csv"
    upload.write_text("gtin,serial,batch,expiry\n" + "".join(f"{GTIN},NEW{i:07d},L2701A,2031-06-30\n"
                                                             for i in range(500)))
    with pytest.raises(NotAllowed):
        service.import_serials(None, str(upload))
    seen = []
    done = service.import_serials("owner", str(upload), progress=lambda read, size: seen.append((read, size)))
    assert (done.new, done.updated) == (500, 0) and seen[-1][0] == seen[-1][1] == upload.stat().st_size
    summary = service.serial_register()
    assert summary["serials"] == 400 + 500 and summary["gtins"][0]["product_id"] == OATLY
    [entry] = [e for e in audit.entries(service.catalog_dir) if e.details.get("file") == "register-2027.csv"]
    assert (entry.user, entry.action, entry.details["new"]) == ("owner", "import_serials", 500)
    page = serial_register_html(summary, "vi")
    assert "900 số sê-ri" in page and "mã băm có khóa" in page
    # the next check reads the new serials (the checker picks up the change)
    photo = unit_photo(tmp_path, "new.jpg", "NEW0000123", "L2701A", "310630")
    record = service.check([str(photo)], OATLY)
    assert record.result["evidence"]["serials"][0]["register"] == "issued"
