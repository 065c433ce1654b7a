"""What the app does, without the browser: history, review loop, catalog changes with login and
audit, batch uploads, reports, retake advice, two languages. Real catalog, model and photos."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from PIL import Image, ImageEnhance, ImageFilter

from conftest import ROOT, demo_photo




def test_every_check_is_kept_and_can_be_found_again(service):
    orange = service.check([str(demo_photo("God-Morgon-Orange-Juice_002.jpg"))], notes="stall 12, Dong Xuan market",
                           inspector="QLTT-07")
    oat = service.check([str(demo_photo("Oatly-Oat-Milk_002.jpg"))], claimed="God-Morgon-Orange-Juice")
    assert orange.check_id != oat.check_id
    assert [r.check_id for r in service.history.search("Dong Xuan")] == [orange.check_id]
    assert [r.check_id for r in service.history.search("QLTT")] == [orange.check_id]
    assert oat.check_id in [r.check_id for r in service.history.search(verdict=oat.verdict)]
    reopened = service.history.get(orange.check_id)
    assert reopened.result["details"]["identified_product_id"] == "God-Morgon-Orange-Juice"
    # the photo is kept inside the catalog folder, so the case survives the upload's temp file
    assert reopened.photos[0].path.startswith(str(service.catalog_dir))
    assert reopened.result["regions"]["photo"] == reopened.photos[0].path


def test_catalog_changes_need_a_login(service):
    from ui.service import NotAllowed

    with pytest.raises(NotAllowed):
        service.add_references(None, [str(ROOT / "tests/data/Banana_001.jpg")], "Banana")
    with pytest.raises(NotAllowed):
        service.remove_product("", "Oatly-Oat-Milk")
    assert "Banana" not in [row[0] for row in service.products()]


def test_review_overturns_a_verdict_and_teaches_the_catalog_a_known_fake(service):
    """A seized item checked as genuine-looking; the brand owner overturns it and adds its photo
    as a known counterfeit. The same photo checked again is now counterfeit, with the fake shown."""
    from index.storing.audit import entries

    photo = str(demo_photo("Arla-Standard-Milk_002.jpg"))
    first = service.check([photo], claimed="Arla-Standard-Milk")
    assert first.verdict != "counterfeit"
    summary = service.review("owner", first.check_id, "counterfeit", "lab test: fake", add_as="counterfeit")
    assert summary.added == 1
    reviewed = service.history.get(first.check_id)
    assert (reviewed.review_verdict, reviewed.reviewer, reviewed.review_note) == ("counterfeit", "owner", "lab test: fake")
    again = service.check([photo], claimed="Arla-Standard-Milk")
    assert again.verdict == "counterfeit" and "closer_to_known_counterfeit" in again.result["flags"]
    assert again.result["evidence"]["text"]["words"] == first.result["evidence"]["text"]["words"]
    fakes = [m for m in again.result["matches"] if m["label"] == "counterfeit"]
    assert fakes and fakes[0]["product_id"] == "Arla-Standard-Milk"
    actions = [(e.user, e.action) for e in entries(service.catalog_dir)]
    assert actions[:2] == [("owner", "add_from_review"), ("owner", "review_check")]


def test_a_removed_product_is_no_longer_identified_and_the_removal_is_audited(service):
    from index.storing.audit import entries

    photo = str(demo_photo("God-Morgon-Orange-Juice_002.jpg"))
    assert service.check([photo]).result["details"]["identified_product_id"] == "God-Morgon-Orange-Juice"
    removed = service.remove_product("owner", "God-Morgon-Orange-Juice")
    assert removed == 22  # 14 genuine references and the 8 seized fakes filed against it
    after = service.check([photo]).result
    assert after["details"]["identified_product_id"] != "God-Morgon-Orange-Juice" and after["verdict"] != "genuine"
    latest = entries(service.catalog_dir)[0]
    assert (latest.user, latest.action, latest.details["removed"]) == ("owner", "remove_product", 22)
    with pytest.raises(Exception, match="no product"):
        service.remove_product("owner", "God-Morgon-Orange-Juice")


def test_batch_from_a_zip_with_its_manifest_inside(service, tmp_path):
    bundle = tmp_path / "listings.zip"
    photos = [demo_photo("Oatly-Oat-Milk_001.jpg"), demo_photo("Alpro-Vanilla-Soyghurt_002.jpg")]
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("listings.csv", "path,claimed_product_id,case_id\n"
                         f"img/{photos[0].name},Oatly-Oat-Milk,L1\nimg/{photos[1].name},,L2\n")
        for photo in photos:
            archive.write(photo, f"img/{photo.name}")
        archive.writestr("../../escaped.jpg", b"outside")  # must not be written outside the work folder
    result = service.check_batch(None, [str(bundle)])
    assert [row[0] for row in result.rows] == ["L1", "L2"]
    assert result.rows[0][3] in ("genuine", "unknown") and result.rows[1][3] == "unknown"  # L2 claims nothing
    assert sum(result.counts.values()) == 2
    assert not (tmp_path / "escaped.jpg").exists() and not (service.work_dir / "escaped.jpg").exists()
    lines = [json.loads(line) for line in result.jsonl_path.read_text().splitlines()]
    assert lines[0]["claimed_product_id"] == "Oatly-Oat-Milk" and lines[0]["check_id"] > 0


def test_batch_with_a_bad_manifest_names_the_line(service, tmp_path):
    from index import ManifestError

    manifest = tmp_path / "bad.csv"
    manifest.write_text("photo,claimed\nx.jpg,y\n")
    with pytest.raises(ManifestError, match="path"):
        service.check_batch(str(manifest), [])


def test_reports_in_both_languages_hold_the_evidence(service, tmp_path):
    from ui.report import report_html

    record = service.check([str(demo_photo("Oatly-Oat-Milk_002.jpg"))], notes="ghi chú: quầy 5")
    english = report_html(record, service.catalog, "en")
    vietnamese = report_html(record, service.catalog, "vi")
    assert "Photo verification report" in english and "Báo cáo kiểm tra ảnh" in vietnamese
    assert "ghi chú: quầy 5" in vietnamese and "Oatly-Oat-Milk" in vietnamese
    assert english.count("data:image/jpeg;base64,") >= 1 + len(record.result["matches"])
    assert "http://" not in english and "https://" not in english  # opens on an air-gapped laptop
    # what was read on the package, next to what the genuine package says
    assert "What the package says" in english and "Thông tin đọc được trên bao bì" in vietnamese
    words = record.result["evidence"]["text"]["words"]
    assert words and all(word in english for word in words)
    assert "Barcodes" in english and "Mã vạch" in vietnamese


def test_retake_advice_for_blurred_dark_and_small_photos(tmp_path):
    from vision import load_image
    from vision.quality import assess

    sharp = load_image(demo_photo("Oatly-Oat-Milk_002.jpg"))
    assert assess(sharp).ok
    assert "blurred" in assess(sharp.filter(ImageFilter.GaussianBlur(4))).issues
    assert "too_dark" in assess(ImageEnhance.Brightness(sharp).enhance(0.15)).issues
    assert "too_small" in assess(sharp.resize((120, 120))).issues


def test_a_blurred_upload_gets_advice_to_retake_it(service, tmp_path):
    from ui.render import badge_html

    blurred = tmp_path / "blurred.jpg"
    with Image.open(demo_photo("Oatly-Oat-Milk_002.jpg")) as image:
        image.filter(ImageFilter.GaussianBlur(4)).save(blurred)
    record = service.check([str(blurred)])
    assert record.quality[0]["issues"] == ["blurred"]
    assert "blurred.jpg: the photo is blurred" in badge_html(record.result, "en", record.quality)
    assert "ảnh bị mờ" in badge_html(record.result, "vi", record.quality)


def test_logins_lock_after_repeated_failures_and_hashed_users_work(tmp_path):
    from ui.auth import MAX_FAILURES, Users, hash_password
    from ui.sessions import LoginRefused, Sessions

    users_file = tmp_path / "users.txt"
    users_file.write_text(f"# catalog users\nlan:{hash_password('mật khẩu', iterations=1000)}\n", encoding="utf-8")
    users = Users({"VERIFIER_USERS_FILE": str(users_file)})
    assert users.verify("lan", "mật khẩu") and not users.verify("lan", "wrong") and not users.verify("lân", "mật khẩu")
    sessions = Sessions(users)
    for _ in range(MAX_FAILURES):
        with pytest.raises(LoginRefused):
            sessions.login("lan", "wrong", "10.0.0.9")
    assert sessions.throttle.locked("10.0.0.9")
    with pytest.raises(LoginRefused, match="login_locked"):
        sessions.login("lan", "mật khẩu", "10.0.0.9")
    assert not Users({}).configured
    users_file.write_text("lan:plaintext\n")
    with pytest.raises(ValueError, match="line 1"):
        Users({"VERIFIER_USERS_FILE": str(users_file)})


def test_every_verdict_sentence_and_interface_text_exists_in_vietnamese():
    from index.judging.messages import MESSAGES
    from ui.i18n import TEXT

    for table in (MESSAGES, TEXT):
        for key, texts in table.items():
            assert texts.get("vi") and texts["vi"] != texts["en"] or key == "model", key


def test_batch_triage_names_missing_photos_sorts_by_risk_and_runs_again_with_the_same_files(service, tmp_path):
    """Before: a missing file read "none of the photos could be read" (the reason only in JSONL),
    the CSV had no errors column, JSONL paths were server temp paths, and dropping the same photos
    again failed ("two uploaded files have this name"); the Bravo photo claimed as God Morgon had
    only product_id God-Morgon-Orange-Juice (the claim), and no column said it looks like Bravo."""
    from ui.service import BATCH_COLUMNS

    look_alike = demo_photo("Bravo-Orange-Juice_003_claimed-as-God-Morgon-Orange-Juice.jpg")
    own = demo_photo("God-Morgon-Orange-Juice_001.jpg")
    manifest = tmp_path / "listings.csv"
    manifest.write_text("path,claimed_product_id,case_id\n"
                        f"shop/{own.name},God-Morgon-Orange-Juice,OWN\n"
                        "shop/gone.jpg,God-Morgon-Orange-Juice,GONE\n"
                        f"shop/{look_alike.name},God-Morgon-Orange-Juice,LOOK\n")
    files = [str(own), str(look_alike)]
    result = service.check_batch(str(manifest), files + files)  # the same photos dropped twice
    by_case = {row[0]: row for row in result.rows}
    column = {name: i for i, name in enumerate(BATCH_COLUMNS)}
    assert by_case["GONE"][3] == "unknown"
    assert by_case["GONE"][column["errors"]].startswith("shop/gone.jpg: ")
    assert "not found" in by_case["GONE"][column["errors"]]
    assert by_case["LOOK"][3] != "genuine"
    # before: the CSV held only product_id (the claim); the product the photos show was in the JSONL's details
    assert by_case["LOOK"][column["product_id"]] == "God-Morgon-Orange-Juice"
    assert by_case["LOOK"][column["looks_like_product_id"]] == "Bravo-Orange-Juice"
    assert by_case["OWN"][column["looks_like_product_id"]] == "God-Morgon-Orange-Juice"
    assert by_case["GONE"][column["looks_like_product_id"]] == ""
    order = [result.rows[i][0] for i in result.by_risk()]
    ranks = [{"counterfeit": 0, "suspicious": 1, "unknown": 2, "genuine": 3}[by_case[c][3]] for c in order]
    assert ranks == sorted(ranks)
    csv_text = result.csv_path.read_text(encoding="utf-8")
    assert csv_text.splitlines()[0].split(",")[-2:] == ["errors", "check_id"] and "shop/gone.jpg" in csv_text
    lines = [json.loads(line) for line in result.jsonl_path.read_text().splitlines()]
    assert [line["photos"] for line in lines] == [[f"shop/{own.name}"], ["shop/gone.jpg"], [f"shop/{look_alike.name}"]]
    look = lines[2]
    assert (look["judged_product_id"], look["looks_like_product_id"], look["claimed_product_id"]) == \
        ("God-Morgon-Orange-Juice", "Bravo-Orange-Juice", "God-Morgon-Orange-Juice")
    assert look["product_id"] == look["judged_product_id"]  # its meaning kept: the product judged
    table = list(csv.DictReader(io.StringIO(csv_text)))
    assert [(row["product_id"], row["looks_like_product_id"]) for row in table] == \
        [("God-Morgon-Orange-Juice", "God-Morgon-Orange-Juice"), ("", ""),
         ("God-Morgon-Orange-Juice", "Bravo-Orange-Juice")]
    assert str(tmp_path) not in result.jsonl_path.read_text() and str(service.work_dir) not in result.jsonl_path.read_text()
    assert result.thumbnails[1] is None and result.thumbnails[0] and result.thumbnails[2]
    again = service.check_batch(str(manifest), files)  # a second run with the same files
    assert [row[3] for row in again.rows] == [row[3] for row in result.rows]
    different = tmp_path / "other" / own.name
    different.parent.mkdir()
    different.write_bytes(look_alike.read_bytes())
    with pytest.raises(ValueError, match="two different uploaded files"):
        service.check_batch(str(manifest), files + [str(different)])


def test_a_removal_can_be_undone_and_product_details_are_edited_as_their_own_audited_change(service):
    from index.storing.audit import entries

    product = "Oatly-Oat-Milk"
    before = service.references(product)
    assert service.last_removal() is None
    gone = [before[0].image_id, before[1].image_id]
    assert service.remove_references("owner", gone) == 2
    assert service.last_removal() == {"products": [product], "references": 2}
    assert len(service.references(product)) == len(before) - 2
    summary = service.undo_last_removal("owner")
    assert summary.added == 2 and service.last_removal() is None
    back = service.references(product)
    assert len(back) == len(before) and {r.sha256 for r in back} == {r.sha256 for r in before}
    assert all(service.catalog.original_path(r).is_file() for r in back)
    with pytest.raises(Exception, match="no removal to undo"):
        service.undo_last_removal("owner")

    with pytest.raises(ValueError, match="nothing was saved"):
        service.edit_product("owner", product, gtins="7394376616228 123")
    changed = service.edit_product("owner", product, name="Oatly Havredryck", brand="Oatly AB",
                                   label_text="OATLY HAVREDRYCK", gtins="7394376616228")
    assert changed["name"][1] == "Oatly Havredryck" and changed["gtins"][1] == ["07394376616228"]
    details = service.product_details(product)
    assert (details["name"], details["brand"], details["gtins"]) == ("Oatly Havredryck", "Oatly AB", "07394376616228")
    assert {r.name for r in service.references(product)} == {"Oatly Havredryck"}
    assert service.edit_product("owner", product, name="Oatly Havredryck") == {}  # nothing to change
    actions = [e.action for e in entries(service.catalog_dir)]
    assert actions[0] == "edit_product" and "undo_removal" in actions[:4] and "remove_references" in actions[:6]
    with pytest.raises(Exception, match="log in"):
        service.edit_product(None, product, name="x")


def test_every_interface_text_key_is_written_once():
    """A key written twice silently replaces the first wording (the batch's "case or photos" once
    renamed History's "case" column)."""
    import ast
    from collections import Counter

    from ui import i18n

    tree = ast.parse((ROOT / "ui" / "i18n.py").read_text(encoding="utf-8"))
    tables = [node.value for node in ast.walk(tree) if isinstance(node, (ast.Assign, ast.AnnAssign))
              and isinstance(node.value, ast.Dict) and len(node.value.keys) > 50]
    assert tables, "the TEXT table was not found"
    for table in tables:
        counts = Counter(key.value for key in table.keys if isinstance(key, ast.Constant))
        assert [key for key, n in counts.items() if n > 1] == []
    assert i18n.t("col_case", "en") == "Case" and i18n.t("col_case_or_photos", "vi") == "Vụ việc hoặc ảnh"


def test_a_photo_that_cannot_be_read_is_explained_in_vietnamese():
    from ui.i18n import photo_problem

    assert photo_problem("file not found", "vi") == "không tìm thấy tệp"
    assert photo_problem("file is 60 MiB, larger than the 50 MiB limit", "vi") == "tệp nặng 60 MiB, vượt giới hạn 50 MiB"
    assert photo_problem("not an image file (HTML text)", "vi") == "không phải tệp ảnh (HTML text)"
    assert photo_problem("file not found", "en") == "file not found"
    assert photo_problem("something new", "vi") == "something new"  # no wording yet: the reason as given


def test_the_calibration_level_is_no_warning_on_a_batch_row():
    """Before (issue 26): every batch row, green ones included, listed "hiệu chỉnh theo toàn danh
    mục" under "Cảnh báo" (warnings). A check kept before still carries the flag: not shown."""
    from ui.render import triage_html

    kept = {"verdict": "genuine", "counterfeit_score": 0.2, "flags": ["calibrated_at_catalog_level"],
            "claimed_product_id": "Oatly-Oat-Milk", "case_id": "L1", "photos": ["a.jpg"], "explanation": ""}
    flagged = dict(kept, verdict="suspicious", flags=["calibrated_at_catalog_level", "looks_like_other_product"])
    page = triage_html([(kept, ""), (flagged, "")], "vi")
    assert "Cảnh báo" in page and page.count("Cảnh báo") == 1  # the suspicious row's own finding only
    assert "toàn danh mục" not in page and "toàn bộ danh mục" not in page


# issue 26: what the inspector's screen and the case file say, in the reader's words


def _sample_args(template: str) -> dict:
    """Arguments for every field of a message template: a decimal where it is formatted as one."""
    import string

    return {name: (0.75 if spec and spec.endswith("f") else "X") for _, name, spec, _ in string.Formatter().parse(template)
            if name}


def test_a_listing_is_given_steps_its_reader_can_take():
    """Before: a SUSPICIOUS card of a listing photo told a consumer to "check the item by hand"."""
    from index.judging.messages import MESSAGES, explain

    in_hand = ["by hand", "photograph the item", "Photograph the item", "Photograph it again", "photograph it again",
               "Compare the item", "compare the item", "photograph the details", "photograph its front label",
               "kiểm tra trực tiếp món hàng", "chụp lại món hàng", "chụp lại theo hướng dẫn", "đối chiếu món hàng",
               "chụp các chi tiết", "và chụp gần"]
    changed = 0
    for key, texts in MESSAGES.items():
        for language in ("en", "vi"):
            args = _sample_args(texts[language])
            listing = explain(key, args, language, "listing")
            assert not [p for p in in_hand if p in listing], (key, language, listing)
            changed += listing != explain(key, args, language)
    assert changed >= 20  # the steps of every sentence that asks for the item in hand
    assert "Ask the seller for clear photos" in explain("less_similar_than_genuine", {"target": "Oatly Oat Milk",
                                                        "percent": 97.0, "similarity": 0.61}, "en", "listing")


def test_vietnamese_sentences_write_decimals_with_a_comma():
    """Before: "(độ tương đồng 0.75)" in a sentence beside "0,75" in the figures of the same card."""
    from index.judging.messages import explain

    args = {"target": "Oatly Oat Milk", "percent": 97.0, "similarity": 0.7512}
    assert "(độ tương đồng 0,75)" in explain("less_similar_than_genuine", args, "vi")
    assert "(similarity 0.75)" in explain("less_similar_than_genuine", args, "en")
    assert ">99%" in explain("consistent_with_genuine", {"target": "X", "probability": 99.7}, "vi")
    # never "more like the fakes than 100% of its genuine photos" (a walk through the app found it)
    assert "giống hơn 99% ảnh chính hãng" in explain("matches_known_counterfeits", {"target": "X", "percent": 99.8}, "vi")


def test_chart_days_read_as_the_page_writes_dates():
    """Before: the dashboard's axis said "2026-12-08" beside date boxes that take "08/12/2026"."""
    from ui.i18n import short_day

    assert short_day("2026-12-08") == "08/12" and short_day("2026-01-31", year=True) == "31/01/2026"
    assert short_day("not a day") == "not a day"


def test_a_file_that_is_not_a_photo_is_named_with_its_reason_in_the_page_language(tmp_path):
    """Before: a PDF got Gradio's English toast on the Vietnamese page, then three red "Lỗi"."""
    from ui.tabs.common import photo_problems, photos_usable

    pdf = tmp_path / "hoa-don.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    photo = str(demo_photo("Oatly-Oat-Milk_001.jpg"))
    said = photo_problems([str(pdf), photo], "vi")
    assert list(said) == [str(pdf)]
    assert said[str(pdf)].startswith("hoa-don.pdf: không phải tệp ảnh (tài liệu PDF). Tệp này không kiểm tra được")
    assert "PDF document" in photo_problems([str(pdf)], "en")[str(pdf)]
    assert photos_usable([str(pdf)], "vi") == said[str(pdf)]  # nothing to check: said beside the photos
    assert photos_usable([str(pdf), photo], "vi") == ""  # the photo is checked, the card names the PDF
    assert photos_usable([], "vi") == "Hãy thêm ít nhất một ảnh của món hàng."


def test_a_wrong_gtin_check_digit_is_one_sentence_in_the_page_language():
    """Before: biip's English ("Invalid GTIN check digit for '…': Expected 1, got 2.") in two toasts."""
    from ui.tabs.catalog import gtin_problems

    assert gtin_problems("4006381333932 4006381333932", "vi") == [
        "Mã GTIN 4006381333932: chữ số cuối (số kiểm tra) phải là 1, không phải 2; hãy đối chiếu với dãy số in "
        "dưới mã vạch."]
    assert gtin_problems("4006381333931, 07350001070087", "en") == []
    assert gtin_problems("12345 abc", "en") == ["GTIN 12345: 5 digits; a GTIN has 8, 12, 13 or 14.",
                                                "GTIN abc: not a number. A GTIN is the 8, 12, 13 or 14 digits under "
                                                "the barcode."]


def test_the_card_and_case_file_show_no_ocr_noise_nor_raw_words_and_one_number_format(service):
    """Before: OCR noise printed as words read ("spuecredbmut"), "shelf"/"seized" in the case file,
    "0.75" beside "0,75" and "giờ Asia/Ho_Chi_Minh" on a Vietnamese case file."""
    import html
    import re

    from ui.render import badge_html
    from ui.report import report_html

    record = service.check([str(demo_photo("Bravo-Orange-Juice_003_claimed-as-God-Morgon-Orange-Juice.jpg"))],
                           claimed="God-Morgon-Orange-Juice", photos_of="listing")
    text = record.result["evidence"]["text"]
    noise = set(text["words"]) - set(text["known"])
    assert noise and "bravo" in text["known"]  # this photo's OCR reads fragments no catalog word is
    card = badge_html(record.result, "vi", record.quality, record.check_id)
    shown = re.findall(r'<span class="w [a-z]+"[^>]*>([^<]*)</span>', card)
    assert "bravo" in shown and not noise & set(shown)
    assert f"Còn {len(noise)} đoạn chữ" in card or (len(noise) == 1 and "Còn 1 đoạn chữ" in card)
    assert record.result["details"]["photos_of"] == "listing"
    document = report_html(record, service.catalog, "vi")
    visible = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"data:image/[^'\"]+", "", document)))
    assert "giờ Việt Nam" in visible and "Asia/Ho_Chi_Minh" not in visible
    assert not re.search(r"\b(shelf|seized)\b", visible) and "ảnh chụp tại cửa hàng" in visible
    assert not re.search(r"\b0\.\d", visible), re.findall(r".{30}\b0\.\d.{10}", visible)
    assert re.search(r"\b0,\d", visible)
    assert "offline" not in visible and "mô hình có sẵn, chạy không cần mạng" in visible


def test_a_refused_manifest_register_or_upload_is_said_in_the_page_language(service, tmp_path):
    """Before: a products manifest, a register of serials or a zip that could not be used was
    refused with the importer's English inside a Vietnamese toast ("3 problems, nothing was
    imported: line 3: empty product_id ...")."""
    import re

    from ui.tabs.common import user_error
    from ui.uploads import UploadError

    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    from make_demo_data import gtin_of

    GTIN = gtin_of("Oatly-Oat-Milk").rjust(14, "0")  # noqa: N806 - the demo register's GTIN
    photo = tmp_path / "a.jpg"
    photo.write_bytes(demo_photo("God-Morgon-Orange-Juice_002.jpg").read_bytes())
    manifest = tmp_path / "products.csv"
    manifest.write_text("path,product_id,label,gtin\n"
                        "a.jpg,P1,genuine,07350001070088\n"  # the check digit is 7
                        "a.jpg,,fake,\n", encoding="utf-8")
    with pytest.raises(ValueError) as refused:
        service.import_manifest("owner", str(manifest), [str(photo)])
    vi, en = user_error(refused.value, "vi"), user_error(refused.value, "en")
    assert vi.split("<br>") == [
        "products.csv: có 4 lỗi, chưa nhập gì:",
        "- dòng 2: mã GTIN 07350001070088: chữ số cuối (số kiểm tra) phải là 7, không phải 8; hãy đối chiếu với "
        "dãy số in dưới mã vạch",
        "- dòng 3: cột product_id (mã sản phẩm) để trống",
        "- dòng 3: nhãn &#x27;fake&#x27; không hợp lệ (ghi &#x27;genuine&#x27; cho hàng thật, &#x27;counterfeit&#x27; "
        "cho hàng giả)",
        "- dòng 3: trùng ảnh với dòng 2 (a.jpg)"]
    # English: the importer's own sentences, as the command line says them
    assert "products.csv: 4 problems, nothing was imported:" in en and "- line 3: empty product_id" in en
    assert "tmp" not in vi and str(tmp_path) not in en  # the server's folders are never shown

    header = tmp_path / "bang-ke.csv"
    header.write_text("ten hang,so luong\nsua,12\n", encoding="utf-8")
    with pytest.raises(ValueError) as refused:
        service.import_manifest("owner", str(header), [])
    assert user_error(refused.value, "vi").startswith("bang-ke.csv: dòng 1: thiếu cột path, product_id; dòng tiêu "
                                                      "đề phải có path, product_id (có thể thêm: label, name")
    for name, head, said in (("hoa-don.pdf", b"%PDF-1.4\n", "tài liệu PDF"),
                             ("bang-ke.xlsx", b"PK\x03\x04\x14\x00", "bảng tính Excel hoặc tệp nén zip")):
        given = tmp_path / name
        given.write_bytes(head + b"rest of the file")
        with pytest.raises(ValueError) as refused:
            service.import_manifest("owner", str(given), [])
        assert user_error(refused.value, "vi") == f"{name}: không phải tệp CSV mà là {said}; hãy lưu hoặc xuất danh " \
            "sách dưới dạng CSV UTF-8"
        with pytest.raises(ValueError) as refused:  # a register of serials, the same
            service.import_serials("owner", str(given))
        assert said in user_error(refused.value, "vi")

    register = tmp_path / "so-seri.csv"
    register.write_text(f"gtin,serial,batch,expiry\n{GTIN},GOOD1,,\n12345,BAD2,,\n{GTIN},HAS SPACE,,\n"
                        f"{GTIN},GOOD3,,2030-02-30\n{GTIN},GOOD1,,\n", encoding="utf-8")
    with pytest.raises(ValueError) as refused:
        service.import_serials("owner", str(register))
    vi = user_error(refused.value, "vi")
    assert vi.split("<br>") == [
        "so-seri.csv: 4 trên 5 dòng bị từ chối, chưa nhập gì:",
        "- dòng 3: mã GTIN 12345: có 5 chữ số; mã GTIN phải có 8, 12, 13 hoặc 14 chữ số",
        "- dòng 4: số sê-ri &#x27;HAS SPACE&#x27; có dấu cách hoặc ký tự không phải chữ, số hay dấu câu",
        "- dòng 5: hạn dùng &#x27;2030-02-30&#x27; không có trong lịch",
        "- dòng 6: trùng mã GTIN và số sê-ri với dòng 2"]
    assert not re.search(r"\b(line|refused|serial|GTIN [0-9]+ is)\b", vi)

    broken = tmp_path / "anh.zip"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(UploadError) as refused:
        service.import_manifest("owner", str(manifest), [str(broken)])
    assert user_error(refused.value, "vi") == "anh.zip: tệp zip bị hỏng hoặc không phải tệp zip; hãy nén lại ảnh rồi " \
        "tải lên lại"
    assert user_error(refused.value, "en") == "anh.zip: not a readable zip file (damaged, or not a zip); zip the " \
        "photos again and upload it"


def test_the_calibration_table_says_what_each_products_seized_fakes_measure(service):
    """A brand owner sees, per product, whether genuine-or-fake is judged at all and how well its
    seized fakes are told from its genuine photos (out of fold, at the level a check accuses at)."""
    from ui.tabs.catalog import known_fakes_words

    rows = {row[0]: row for row in service.calibration_rows()}
    fakes = rows["God-Morgon-Orange-Juice"][5]
    assert fakes["model"] == "God-Morgon-Orange-Juice" and (fakes["fakes"], fakes["genuine"]) == (8, 14)
    # reprints of the product's own photos: the model calls most of them counterfeit; with 8 fakes,
    # few genuine photos are clear of all but 5% of them (measured 0.625 and 0.167 on 2026-12-07)
    assert fakes["fakes_caught"] >= 0.5 and 0.0 < fakes["genuine_clear"] < 1.0 and fakes["auroc"] >= 0.8
    model = service.verifier.calibration.fakes.for_product("God-Morgon-Orange-Juice")
    caught = sum(model.p_value(score) < service.verifier.policy.false_alarm_rate / 2 for score in model.fake_scores)
    assert caught == round(fakes["fakes_caught"] * len(model.fake_scores))  # as a check would judge them
    clear = sum(model.fake_share(score) <= 0.05 for score in model.genuine_scores)
    assert clear == round(fakes["genuine_clear"] * len(model.genuine_scores))
    said = known_fakes_words(fakes, "vi")
    assert said.startswith("8 ảnh hàng giả: ") and "sẽ bị kết luận là hàng giả" in said and "100%" not in said
    assert rows["Oatly-Oat-Milk"][5] is None  # no seized fakes: only which product, never genuine or fake
    assert known_fakes_words(None, "vi") == "chưa có ảnh hàng giả: chỉ xác định đúng sản phẩm, chưa đánh giá được " \
        "thật hay giả"
    # one seized fake filed: too few for a model, and the table says so (it said "none filed")
    service.add_references("owner", [str(demo_photo("Oatly-Natural-Oatghurt_001.jpg"))], "Oatly-Oat-Milk",
                           "counterfeit")
    rows = {row[0]: row for row in service.calibration_rows()}
    assert rows["Oatly-Oat-Milk"][5] == {"filed": 1}
    assert known_fakes_words(rows["Oatly-Oat-Milk"][5], "vi").startswith(
        "mới có 1 ảnh hàng giả, quá ít để lập mô hình (cần 3 ảnh)")


def test_the_audit_log_reads_in_the_page_language():
    """A helper's walk: "add_from_review_skipped", "app start" and "check id: 10 · was: unknown ·
    now: unknown" on a Vietnamese page."""
    from ui.i18n import TEXT
    from ui.tabs.catalog import audit_words

    details = '{"check_id": 10, "was": "unknown", "now": "genuine", "labels": ["counterfeit"], "photos": 1}'
    assert audit_words(details, "vi") == ("lần kiểm tra: 10 · kết luận cũ: CHƯA ĐỦ CĂN CỨ · kết luận mới: GIỐNG HÀNG "
                                          "THẬT · loại: hàng giả · số ảnh: 1")
    assert audit_words(details, "en") == "check: 10 · was: INCONCLUSIVE · now: GENUINE-LOOKING · as: counterfeit · photos: 1"
    for action in ("add_from_review_skipped", "add_references_skipped", "import_manifest", "keypoints"):
        assert TEXT[f"action_{action}"]["vi"]


def test_a_reviewed_check_reads_as_overturned_or_confirmed_on_its_own_line(service):
    """A helper's walk on a phone: "God Morgon ĐÁNG NGỜ → GIỐNG HÀNG THẬT / Orange Juice" (the reviewed
    verdict floated into the product's name), and a review that kept the verdict still drew an arrow."""
    from ui.tabs.history import history_cards, verdict_words

    record = service.check([str(demo_photo("God-Morgon-Orange-Juice_002.jpg"))], claimed="God-Morgon-Orange-Juice")
    verdict = record.result["verdict"]
    other = "suspicious" if verdict != "suspicious" else "genuine"
    service.review("owner", record.check_id, other, "")
    overturned = service.history.get(record.check_id)
    assert verdict_words(overturned, "en").endswith("→ " + {"suspicious": "SUSPICIOUS", "genuine": "GENUINE-LOOKING"}[other])
    card = history_cards([overturned], "vi")
    assert '<div class="top"><b>#' in card and '<div class="verdict"' in card  # its own line, not floated
    service.review("owner", record.check_id, verdict, "")
    kept = service.history.get(record.check_id)
    assert "→" not in verdict_words(kept, "vi") and verdict_words(kept, "vi").endswith("(đã xác nhận khi thẩm định)")
