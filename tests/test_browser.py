"""The app in a real browser: headless Chromium (Debian's package) driven by Playwright.

Screenshots land in tests/artifacts/ after each run; look at them, not only at the asserts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from browser_steps import (VERDICT_TIMEOUT_MS, choose_claim, chromium, english_left, fill_new_reference, log_in,
                           sized_page)
from conftest import ADMIN_USER, ARTIFACTS, PYTHON, ROOT, demo_photo


@pytest.fixture(scope="module")
def browser():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser, running_app):
    url, _ = running_app
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("#photos")
    yield page
    context.close()


def verify(page, photo: Path):
    page.set_input_files("#photos input[type=file]", str(photo))
    page.wait_for_selector("#photos .file-preview, #photos table", timeout=20_000)
    page.click("#verify-button")
    page.wait_for_selector("#verdict .badge", timeout=VERDICT_TIMEOUT_MS)
    page.wait_for_selector("#evidence img", timeout=20_000)


def test_upload_a_photo_and_see_the_verdict_and_the_evidence(page):
    verify(page, demo_photo("God-Morgon-Orange-Juice_002.jpg"))
    verdict = page.locator("#verdict .verdict")
    assert verdict.get_attribute("data-verdict") == "genuine"
    assert "GENUINE-LOOKING" in page.locator("#verdict .badge").inner_text()
    assert "God-Morgon-Orange-Juice" in verdict.inner_text()
    assert page.locator("#evidence img").count() >= 1
    assert page.locator("#verdict .strength").get_attribute("data-zone") == "supports"
    assert "weaker than the full image model" in page.locator("#verdict .model-warning").inner_text()  # the offline model says so
    # side by side: the photo, the best genuine reference of the product, the nearest seized fake
    side = page.locator("#side-by-side")
    assert "Checked photo: God-Morgon-Orange-Juice_002.jpg" in side.inner_text()
    assert "Best genuine reference of God Morgon Orange Juice" in side.inner_text()
    assert "Nearest seized fake (God Morgon Orange Juice)" in side.inner_text()
    overlay = side.locator("details.regions img")
    assert not overlay.is_visible()  # the region map is an overlay on demand
    side.locator("details.regions summary").click()
    overlay.wait_for(state="visible", timeout=5_000)
    page.screenshot(path=str(ARTIFACTS / "verify-desktop.png"), full_page=True)


def test_download_the_report_and_check_its_content(page):
    verify(page, demo_photo("Oatly-Oat-Milk_002.jpg"))
    check_no = page.locator("#verdict .check-no").inner_text().split("#")[-1].strip()
    with page.expect_download() as download:
        page.click("#report-html")
    html = Path(download.value.path()).read_text(encoding="utf-8")
    assert f"#{check_no}" in html and "Oatly-Oat-Milk" in html
    assert "data:image/jpeg;base64," in html  # self-contained: the photos travel inside the file
    assert "cannot prove" in html
    # the case file downloaded from the page: its verification code checks with this deployment's
    # public key, and fails after a one-byte edit or with another deployment's key
    import os
    import subprocess

    from ui.signing import PUBLIC_NAME, SigningKey

    def checked(path, key):
        return subprocess.run([PYTHON, str(ROOT / "scripts" / "verify_report.py"), str(path), "--public-key", str(key)],
                              capture_output=True, text=True, timeout=120)

    public = Path(os.environ["VERIFIER_KEY_DIR"]) / PUBLIC_NAME
    saved = Path(download.value.path()).with_name(download.value.suggested_filename)  # as a browser saves it
    download.value.save_as(saved)
    assert saved.suffix == ".html"  # the format it is checked in
    accepted = checked(saved, public)
    assert accepted.returncode == 0 and "verified" in accepted.stdout, accepted.stdout + accepted.stderr
    edited = Path(download.value.path()).with_name("edited.html")
    edited.write_bytes(html.encode("utf-8").replace(b"Oatly-Oat-Milk", b"Oatly-Oat-Milx", 1))
    assert checked(edited, public).returncode == 1
    other = SigningKey.load_or_create(Path(download.value.path()).with_name("other-deployment"))
    assert checked(saved, other.public_path).returncode == 1

    def checked_in_app(path):  # Status tab, Check a case file: the same check in the app
        tab = page.context.new_page()
        try:
            tab.goto(page.url)
            tab.wait_for_selector("#photos")
            tab.get_by_role("tab", name="Status").click()
            tab.locator("#check-report-accordion").click()
            tab.set_input_files("#check-report-file input[type=file]", str(path))
            result = tab.locator("#check-report-result")
            result.get_by_text(Path(path).name).wait_for(timeout=20_000)
            return result.inner_text()
        finally:
            tab.close()

    case_file = Path(download.value.path()).with_name("case-file.html")  # the name a browser saves it under
    case_file.write_bytes(Path(download.value.path()).read_bytes())
    assert "issued by this system" in checked_in_app(case_file)
    assert "NOT VERIFIED: the signature does not match the content" in checked_in_app(edited)
    with page.expect_download() as download:
        page.click("#report-json")
    report = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert str(report["check_id"]) == check_no
    assert report["verdict"] == page.locator("#verdict .verdict").get_attribute("data-verdict")
    assert report["result"]["matches"][0]["product_id"]


def test_new_item_starts_empty_and_reports_wait_for_a_check(page):
    """Photos stay in the box after a check (photos added now join the same item, as the advice
    asks); New item empties the box, the claim and the verdict for the next item. The report
    buttons have nothing to download before a check."""
    assert page.locator("#report-html").is_disabled() and page.locator("#report-json").is_disabled()
    choose_claim(page, "Oatly-Oat-Milk", "Oatly")
    verify(page, demo_photo("Oatly-Oat-Milk_002.jpg"))
    page.locator("#new-item-hint").get_by_text("Photos added now are judged together with these").wait_for(
        timeout=10_000)
    page.wait_for_function("!document.querySelector('#report-html').disabled", timeout=10_000)
    assert page.locator("#photos").get_by_text("Oatly-Oat-Milk_002").count() >= 1
    page.click("#new-item-button")
    page.wait_for_function("document.querySelector('#verdict').innerText.trim() === ''", timeout=10_000)
    page.wait_for_function("!document.querySelector('#photos').innerText.includes('Oatly-Oat-Milk_002')",
                           timeout=10_000)
    assert page.locator("#claimed input").input_value() == ""
    assert page.locator("#report-html").is_disabled()
    assert not page.locator("#new-item-hint").is_visible()


def test_log_in_and_add_a_reference(page, running_app):
    _, catalog = running_app
    fill_new_reference(page, ROOT / "tests" / "data" / "Banana_001.jpg", "Banana-Test")
    page.click("#add-button")
    page.get_by_text("Log in (top of the page) to change the catalog.").first.wait_for(timeout=20_000)

    log_in(page, "wrong password")
    page.get_by_text("Wrong user name or password.").wait_for(timeout=10_000)
    log_in(page)
    page.get_by_text(f"Logged in as {ADMIN_USER}.").wait_for(timeout=10_000)

    page.click("#add-button")
    page.get_by_text("Added 1 reference photo to Banana-Test").wait_for(timeout=VERDICT_TIMEOUT_MS)
    # a product id the catalog did not hold: said, in case it is a typing mistake
    page.get_by_text("Banana-Test is a new product: no product had this id before.").wait_for(timeout=10_000)
    page.locator("#products-table").get_by_text("Banana-Test").first.wait_for(timeout=20_000)
    page.screenshot(path=str(ARTIFACTS / "catalog-after-add.png"), full_page=True)
    # switching the language keeps the login and translates the tables too
    page.get_by_text("Tiếng Việt").click()
    page.get_by_text(f"Đã đăng nhập: {ADMIN_USER}.").wait_for(timeout=10_000)
    page.locator("#products-table").get_by_text("Mã sản phẩm").first.wait_for(timeout=10_000)

    from index import Catalog
    from index.storing.audit import entries

    with Catalog.open(catalog) as opened:
        assert [r.product_id for r in opened.references(product_id="Banana-Test")] == ["Banana-Test"]
    latest = entries(catalog)[0]
    assert latest.user == ADMIN_USER and latest.action == "add_references" and latest.details["added"] == 1


def test_switch_to_vietnamese(page):
    page.get_by_text("Tiếng Việt").click()
    page.get_by_role("tab", name="Lịch sử").wait_for(timeout=10_000)
    assert page.locator("#verify-button").inner_text().strip() == "Kiểm tra"
    assert page.locator("#title h1").inner_text().strip() == "Kiểm tra ảnh sản phẩm nghi giả"
    assert page.locator("#report-html").inner_text().strip() == "Biên bản (HTML)"
    # the upload areas are drawn again in Vietnamese after the switch: a file set before that is lost
    page.locator("#photos").get_by_text("Thả tệp vào đây").first.wait_for(timeout=20_000)
    page.wait_for_timeout(500)
    verify(page, demo_photo("Arla-Standard-Milk_001.jpg"))
    badge = page.locator("#verdict .badge").inner_text()
    assert badge in {"GIỐNG HÀNG THẬT", "ĐÁNG NGỜ", "HÀNG GIẢ", "CHƯA ĐỦ CĂN CỨ"}
    assert "Căn cứ cho thấy" in page.locator("#verdict").inner_text()
    page.locator("#verdict details.technical summary").click()
    assert "Điểm rủi ro" in page.locator("#verdict").inner_text()  # the calibration figures, on demand
    page.screenshot(path=str(ARTIFACTS / "verify-vietnamese.png"), full_page=True)


def test_a_phone_sized_screen_stays_usable(browser, running_app):
    url, _ = running_app
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    try:
        page.goto(url)
        page.wait_for_selector("#photos")
        verify(page, demo_photo("Alpro-Vanilla-Soyghurt_001.jpg"))
        # nothing wider than the screen: no sideways scrolling to read the verdict
        assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
        box = page.locator("#verdict .badge").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        button = page.locator("#verify-button").bounding_box()
        assert button["height"] >= 36  # big enough for a thumb
        page.screenshot(path=str(ARTIFACTS / "verify-phone.png"), full_page=True)
    finally:
        context.close()


def test_history_finds_and_reopens_a_past_check(page):
    page.fill("#inspector input, #inspector textarea", "Nguyễn Garant-Ecological")
    verify(page, demo_photo("Garant-Ecological-Standard-Milk_002.jpg"))
    check_no = page.locator("#verdict .check-no").inner_text().split("#")[-1].strip()
    page.get_by_role("tab", name="History").click()
    page.fill("#check-number input", check_no)
    page.get_by_role("button", name="Open").click()  # closed to visitors: inspectors' names, notes, photos
    page.locator("#history-badge", has_text="Log in (top of the page) to see past checks").wait_for(timeout=20_000)
    assert not page.locator("#history-badge .badge").count()
    page.get_by_role("tab", name="Catalog").click()
    log_in(page)
    page.get_by_text(f"Logged in as {ADMIN_USER}.").wait_for(timeout=10_000)
    # the login boxes go once logged in, and the password does not stay in its field
    page.locator("#login-password").wait_for(state="hidden", timeout=10_000)
    assert page.locator("#login-password input").evaluate_all("boxes => boxes.map(b => b.value)") in ([], [""])
    page.get_by_role("tab", name="History").click()
    page.get_by_role("button", name="Open").click()
    page.locator("#history-badge .badge").wait_for(timeout=30_000)
    assert f"#{check_no}" in page.locator("#history-badge").inner_text()
    page.fill("#history-query textarea, #history-query input", "Garant-Ecological")
    page.get_by_role("button", name="Search").first.click()
    table = page.locator("#history-table")
    page.wait_for_function(
        "() => { const t = document.querySelector('#history-table'); return t && t.innerText.includes('Garant-Ecological')"
        " && !t.innerText.includes('God-Morgon'); }", timeout=20_000)
    rows = table.locator("tbody tr")
    assert rows.count() >= 1
    assert check_no in [cell.strip() for cell in table.inner_text().split()]
    page.screenshot(path=str(ARTIFACTS / "history.png"), full_page=True)


def run_batch(page, photos: list[Path], manifest: str | None = None) -> None:
    """Upload a batch (a manifest written to a temporary file, and photos) and wait for the table."""
    import tempfile

    if manifest is not None:
        folder = Path(tempfile.mkdtemp(prefix="batch-test-"))
        (folder / "listings.csv").write_text(manifest, encoding="utf-8")
        page.set_input_files("#batch-manifest input[type=file]", str(folder / "listings.csv"))
    page.set_input_files("#batch-files input[type=file]", [str(p) for p in photos])
    page.wait_for_selector("#batch-files .file-preview, #batch-files table", timeout=20_000)
    page.click("#batch-run")
    page.wait_for_selector("#batch-table img.thumb", timeout=VERDICT_TIMEOUT_MS)


def click_text(page, locator) -> None:
    """Click where a text is drawn (Gradio's table cells report no size of their own)."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    page.mouse.click(box["x"] + 4, box["y"] + box["height"] / 2)


def test_a_product_imported_by_another_process_appears_in_a_new_page(browser, running_app, tmp_path):
    import subprocess

    from index import Catalog

    url, catalog = running_app
    from PIL import Image, ImageOps

    photo = tmp_path / "kiwi.jpg"  # a photo no earlier test imported (the catalog keeps one copy of each)
    with Image.open(ROOT / "tests" / "data" / "Banana_001.jpg") as banana:
        ImageOps.mirror(banana.convert("RGB")).save(photo, quality=90)
    manifest = tmp_path / "new.csv"
    manifest.write_text(f"path,product_id,name,brand\n{photo},Kiwi-Imported-Elsewhere,Kiwi Juice Elsewhere,Zespri\n",
                        encoding="utf-8")
    done = subprocess.run([PYTHON, str(ROOT / "scripts" / "index_catalog.py"), str(catalog), "--manifest",
                           str(manifest), "--no-progress"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr  # an absolute path in a manifest is fine on the command line
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(url)
        page.wait_for_selector("#photos")
        page.get_by_role("tab", name="Catalog").click()
        page.locator("#products-table").get_by_text("Kiwi-Imported-Elsewhere").first.wait_for(timeout=20_000)
        page.get_by_role("tab", name="Verify").click()
        page.click("#claimed input")
        page.keyboard.type("Kiwi Juice")
        page.get_by_role("option", name="Kiwi Juice Elsewhere · Zespri (Kiwi-Imported-Elsewhere)").wait_for(
            timeout=20_000)
        page.keyboard.press("Escape")
        page.get_by_role("tab", name="Status").click()
        with Catalog.open(catalog) as opened:
            products = opened.stats()["products"]
        page.locator("#status", has_text=f"{products} products").wait_for(timeout=20_000)
    finally:
        context.close()


def test_history_row_opens_on_click_and_filters_narrow_it(page):
    page.fill("#inspector input, #inspector textarea", "HQ-Lao-Cai-09")
    page.fill("#place input, #place textarea", "Cửa khẩu Lào Cai")
    verify(page, demo_photo("Oatly-Oat-Milk_002.jpg"))
    check_no = page.locator("#verdict .check-no").inner_text().split("#")[-1].strip()
    page.get_by_role("tab", name="Catalog").click()
    log_in(page)
    page.get_by_text(f"Logged in as {ADMIN_USER}.").wait_for(timeout=10_000)
    page.get_by_role("tab", name="History").click()
    table = page.locator("#history-table")
    table.get_by_text("HQ-Lao-Cai-09").filter(visible=True).first.wait_for(timeout=20_000)  # open at login
    page.fill("#history-who input, #history-who textarea", "Lao-Cai")
    page.press("#history-who input, #history-who textarea", "Enter")
    page.wait_for_function("() => { const t = document.querySelector('#history-table tbody');"
                           " return t && t.querySelectorAll('tr').length === 1; }", timeout=20_000)
    page.fill("#history-since input, #history-since textarea", "01/01/2999")
    page.press("#history-since input, #history-since textarea", "Enter")
    page.wait_for_function("() => !document.querySelector('#history-table').innerText.includes('HQ-Lao-Cai-09')",
                           timeout=20_000)
    page.fill("#history-since input, #history-since textarea", "")
    page.press("#history-since input, #history-since textarea", "Enter")
    click_text(page, table.get_by_text("HQ-Lao-Cai-09").filter(visible=True).first)
    page.locator("#history-badge .badge").wait_for(timeout=30_000)
    assert f"#{check_no}" in page.locator("#history-badge").inner_text()
    assert page.input_value("#check-number input") == check_no
    page.screenshot(path=str(ARTIFACTS / "history-filtered.png"), full_page=True)


@pytest.mark.parametrize("size", [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_every_tab_in_vietnamese_has_no_english_left(browser, running_app, size, tmp_path):
    url, _ = running_app
    pdf = tmp_path / "hoa-don.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    with sized_page(browser, url, size) as page:
        page.get_by_text("Tiếng Việt").click()
        page.get_by_role("tab", name="Lịch sử").first.wait_for(timeout=10_000)
        page.get_by_text("Thả tệp vào đây").first.wait_for(timeout=10_000)  # Gradio's own words follow
        page.locator("#verify-button").click()  # no photo: said beside the photos, no red "Lỗi" anywhere
        page.locator("#photos", has_text="Hãy thêm ít nhất một ảnh").wait_for(timeout=10_000)
        assert not page.locator("[data-testid=status-tracker] span.error").filter(visible=True).count()
        page.set_input_files("#photos input[type=file]", str(pdf))  # not a photo: a toast, titled in Vietnamese
        page.locator(".toast-body").first.wait_for(timeout=10_000)
        assert "hoa-don.pdf: không phải tệp ảnh (tài liệu PDF)" in page.locator(".toast-body").first.inner_text()
        title = "document.querySelector('.toast-title')"
        assert page.evaluate(f"getComputedStyle({title}, '::before').content") == '"Cảnh báo"'
        assert page.evaluate(f"getComputedStyle({title}).fontSize") == "0px"
        page.locator("[data-testid=toast-close]").first.click()
        page.fill("#case-id input, #case-id textarea", "BB-01")
        verify(page, demo_photo("Alpro-Blueberry-Soyghurt_003_claimed-as-Alpro-Vanilla-Soyghurt.jpg"))
        check_no = page.locator("#verdict .check-no").inner_text().split("#")[-1].strip()
        for summary in page.locator("#verdict details summary, #side-by-side details summary").all():
            summary.click()  # what is folded away is Vietnamese too
        seen = {"Kiểm tra": page.inner_text("body")}
        page.screenshot(path=str(ARTIFACTS / f"vietnamese-verify-{size[0]}.png"), full_page=True)
        page.get_by_role("tab", name="Hàng loạt").click()
        run_batch(page, [demo_photo("Oatly-Oat-Milk_001.jpg")],
                  f"path,claimed_product_id\n{demo_photo('Oatly-Oat-Milk_001.jpg').name},Oatly-Oat-Milk\nmat.jpg,\n")
        seen["Hàng loạt (kết quả)"] = page.inner_text("body")
        assert "mat.jpg: không tìm thấy tệp" in seen["Hàng loạt (kết quả)"]  # the reason, in Vietnamese
        page.screenshot(path=str(ARTIFACTS / f"vietnamese-batch-{size[0]}.png"), full_page=True)
        page.get_by_role("tab", name="Danh mục").click()
        log_in(page)
        page.get_by_text(f"Đã đăng nhập: {ADMIN_USER}.").wait_for(timeout=10_000)
        for accordion in page.locator("#add-accordion, button.label-wrap").all():
            if accordion.is_visible():
                accordion.click()
        page.wait_for_timeout(1500)
        seen["Danh mục"] = page.inner_text("body")
        page.get_by_role("tab", name="Lịch sử").click()
        if size[0] < 640:  # a phone: each check is a card, a tap opens it
            card = page.locator(f"#history-cards li[data-check-id='{check_no}']")
            card.wait_for(timeout=20_000)
            card.click()
        else:
            cell = page.locator("#history-table").get_by_text(check_no, exact=True).filter(visible=True).first
            cell.wait_for(timeout=20_000)
            click_text(page, cell)  # the row's first cell
        page.locator("#history-badge .badge").wait_for(timeout=30_000)
        seen["Lịch sử"] = page.inner_text("body")
        for tab in ("Hàng loạt", "Trạng thái"):
            page.get_by_role("tab", name=tab).click()
            page.wait_for_timeout(1000)
            seen[tab] = page.inner_text("body")
        page.screenshot(path=str(ARTIFACTS / f"vietnamese-{size[0]}.png"), full_page=True)
        left = {tab: english_left(text) for tab, text in seen.items()}
        assert not any(left.values()), left
        page.reload()  # remembered in this browser
        page.get_by_role("tab", name="Lịch sử").first.wait_for(timeout=20_000)


@pytest.mark.parametrize("size", [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_a_look_alike_claim_shows_no_green_and_sits_beside_the_genuine_product(browser, running_app, size):
    """Bravo orange juice claimed as God Morgon: before issue 12 a green badge. The card, its
    strength scale and the side-by-side must not read green anywhere."""
    url, _ = running_app
    with sized_page(browser, url, size) as page:
        choose_claim(page, "God-Morgon-Orange-Juice", "God Morgon Orange")
        verify(page, demo_photo("Bravo-Orange-Juice_003_claimed-as-God-Morgon-Orange-Juice.jpg"))
        card = page.locator("#verdict .verdict")
        assert card.get_attribute("data-verdict") != "genuine"
        assert "GENUINE" not in page.locator("#verdict .badge").inner_text()
        green = "rgb(27, 127, 59)"  # the genuine badge's colour
        assert page.locator("#verdict .badge").evaluate("e => getComputedStyle(e).backgroundColor") != green
        assert page.locator("#verdict .strength").get_attribute("data-zone") != "supports"
        assert float(page.locator("#verdict .strength").get_attribute("data-position")) < 0.7
        # products by name, with the catalog id after it
        assert "looks most like: Bravo Orange Juice (Bravo-Orange-Juice)" in card.inner_text()
        assert "Compared with: God Morgon Orange Juice (God-Morgon-Orange-Juice)" in card.inner_text(), card.inner_text()
        side = page.locator("#side-by-side").inner_text()
        assert "Best genuine reference of God Morgon Orange Juice" in side
        assert page.locator("#side-by-side figure.genuine img").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= size[0] + 1
        page.screenshot(path=str(ARTIFACTS / f"look-alike-{size[0]}.png"), full_page=True)


def test_a_batch_is_sorted_by_risk_and_names_a_missing_photo(page):
    page.get_by_role("tab", name="Batch").click()
    own, look_alike = demo_photo("Valio-Vanilla-Yoghurt_001.jpg"), \
        demo_photo("Bravo-Orange-Juice_003_claimed-as-God-Morgon-Orange-Juice.jpg")
    manifest = ("path,claimed_product_id,case_id\n"
                f"shop/{own.name},Valio-Vanilla-Yoghurt,OWN\n"
                "shop/gone.jpg,God-Morgon-Orange-Juice,GONE\n"
                f"shop/{look_alike.name},God-Morgon-Orange-Juice,LOOK\n")
    run_batch(page, [own, look_alike], manifest)
    rows = page.locator("#batch-table tbody tr")
    cases = [rows.nth(i).locator("td.case").inner_text().strip() for i in range(rows.count())]
    assert cases == ["LOOK", "GONE", "OWN"], cases  # suspicious, then inconclusive, then genuine-looking
    verdicts = [rows.nth(i).get_attribute("data-verdict") for i in range(rows.count())]
    assert verdicts[0] in ("suspicious", "counterfeit") and verdicts[1:] == ["unknown", "genuine"]
    # the missing photo's reason in its row, not only "none of the photos could be read"
    assert "✗ shop/gone.jpg: file not found" in rows.nth(1).locator("td.why").inner_text()
    assert [rows.nth(i).locator("img.thumb").count() for i in range(3)] == [1, 0, 1]
    page.screenshot(path=str(ARTIFACTS / "batch-triage.png"), full_page=True)
    # the same photos dropped again: a second run works
    page.click("#batch-run")
    page.get_by_text("3 cases checked").first.wait_for(timeout=VERDICT_TIMEOUT_MS)
    with page.expect_download() as download:
        page.click("#batch-csv")
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.splitlines()[0].endswith("explanation,errors,check_id") and "shop/gone.jpg: file not found" in text


def test_a_removal_asks_first_and_can_be_undone(page, running_app):
    _, catalog = running_app
    page.get_by_role("tab", name="Catalog").click()
    log_in(page)
    page.get_by_text(f"Logged in as {ADMIN_USER}.").wait_for(timeout=10_000)
    page.click("#product-to-show input")
    page.keyboard.type("Valio")
    page.get_by_role("option", name="Valio Vanilla Yoghurt (Valio-Vanilla-Yoghurt)").click()
    page.locator("#ref-gallery .gallery-item").nth(1).wait_for(timeout=20_000)
    from index import Catalog

    with Catalog.open(catalog) as opened:
        before = [r.image_id for r in opened.references(product_id="Valio-Vanilla-Yoghurt")]
    page.locator("#remove-accordion").click()
    page.locator("#ref-gallery .gallery-item").nth(0).click()  # picked from the gallery, not typed
    page.locator("#ref-gallery .gallery-item").nth(1).click()
    picked = page.locator("#remove-ids textarea, #remove-ids input").input_value()
    assert picked == f"{before[0]}, {before[1]}"
    page.click("#remove-refs")
    confirm = page.locator("#confirm-removal").first
    confirm.wait_for(state="visible", timeout=10_000)
    assert f"Remove 2 references (#{before[0]}, #{before[1]}) of Valio-Vanilla-Yoghurt?" in confirm.inner_text()
    page.locator("#confirm-cancel").first.click()  # nothing happens without a yes
    confirm.wait_for(state="hidden", timeout=10_000)
    with Catalog.open(catalog) as opened:
        assert len(opened.references(product_id="Valio-Vanilla-Yoghurt")) == len(before)
    page.click("#remove-refs")
    confirm.wait_for(state="visible", timeout=10_000)
    page.locator("#confirm-yes").first.click()
    undo = page.locator("#undo-removal").first
    undo.wait_for(state="visible", timeout=VERDICT_TIMEOUT_MS)
    assert "Last removal: 2 references of Valio-Vanilla-Yoghurt." in page.locator("#undo-text").inner_text()
    page.wait_for_function(f"!document.querySelector('#ref-gallery').innerText.includes('#{before[0]} ')",
                           timeout=20_000)  # the gallery shows the product as it is now
    with Catalog.open(catalog) as opened:
        assert len(opened.references(product_id="Valio-Vanilla-Yoghurt")) == len(before) - 2
    page.screenshot(path=str(ARTIFACTS / "catalog-removed.png"), full_page=True)
    undo.click()
    page.get_by_text("Put back 2 references of Valio-Vanilla-Yoghurt.").wait_for(timeout=VERDICT_TIMEOUT_MS)
    undo.wait_for(state="hidden", timeout=20_000)
    with Catalog.open(catalog) as opened:  # the same references, under their own numbers (issue 26)
        assert [r.image_id for r in opened.references(product_id="Valio-Vanilla-Yoghurt")] == before
    from index.storing.audit import entries

    assert [e.action for e in entries(catalog)[:3]][0] == "undo_removal"


def test_a_barcode_on_the_photo_preselects_the_claimed_product(page):
    """Guided capture: the checklist says what to photograph; the barcode photo picks the claim."""
    assert "the barcode, flat and sharp" in page.locator("#capture-checklist").inner_text()
    page.set_input_files("#photos input[type=file]", str(demo_photo("God-Morgon-Orange-Juice_edited-own-barcode.jpg")))
    page.wait_for_function("document.querySelector('#claimed input').value.endsWith('(God-Morgon-Orange-Juice)')",
                           timeout=30_000)
    assert "belongs to God-Morgon-Orange-Juice: chosen as the claimed product" in \
        page.locator("#scan-note").inner_text()
    page.click("#verify-button")
    page.wait_for_selector("#verdict .badge", timeout=VERDICT_TIMEOUT_MS)
    assert "Compared with: God Morgon Orange Juice (God-Morgon-Orange-Juice)" in page.locator("#verdict").inner_text()


def test_a_brand_owner_imports_a_register_of_serials_in_the_catalog_tab(page, running_app, tmp_path):
    """The register from the Catalog tab: a file with a bad row is refused with its line, a good
    one is imported with its audit row, and the tab says what the register now holds."""
    from index.storing.audit import entries

    _, catalog = running_app
    gtin = "07350001070087"  # the demo's Oatly GTIN
    bad = tmp_path / "serials-bad.csv"
    bad.write_text(f"gtin,serial\n{gtin},GOOD1\n07350001070088,BAD2\n", encoding="utf-8")
    good = tmp_path / "serials-2027.csv"
    good.write_text("gtin,serial,batch,expiry\n" + "".join(f"{gtin},WEB{i:06d},L2701A,2031-06-30\n" for i in range(50)),
                    encoding="utf-8")
    page.get_by_role("tab", name="Catalog").click()
    log_in(page)
    page.get_by_text(f"Logged in as {ADMIN_USER}.").wait_for(timeout=10_000)
    page.locator("#serials-accordion").click()
    page.locator("#serials-status").get_by_text("The register holds").wait_for(timeout=10_000)
    page.set_input_files("#serials-file input[type=file]", str(bad))
    page.locator("#serials-file").get_by_text("serials-bad.csv").first.wait_for(timeout=20_000)
    page.click("#serials-import")
    toast = page.locator(".toast-body").first
    toast.wait_for(timeout=30_000)
    assert "1 of 2 rows refused, nothing was imported" in toast.inner_text() and "line 3: GTIN" in toast.inner_text()
    page.locator("[data-testid=toast-close]").first.click()
    page.locator("#serials-file button[aria-label='Clear']").first.click()
    page.set_input_files("#serials-file input[type=file]", str(good))
    page.locator("#serials-file").get_by_text("serials-2027.csv").first.wait_for(timeout=20_000)
    page.click("#serials-import")
    page.locator("#serials-status").get_by_text("serials-2027.csv: 50 serials added").wait_for(timeout=60_000)
    assert "Oatly-Oat-Milk" in page.locator("#serials-status").inner_text()
    page.screenshot(path=str(ARTIFACTS / "catalog-serials.png"), full_page=True)
    latest = [e for e in entries(catalog) if e.action == "import_serials"][0]
    assert (latest.user, latest.details["file"], latest.details["new"]) == (ADMIN_USER, "serials-2027.csv", 50)


def test_the_earlier_check_a_card_names_for_a_copied_code_opens_in_history(page, running_app, tmp_path):
    """A unit code read before on another item: the card names that check, and a click opens it."""
    import sys

    from gradio_client import Client, handle_file
    from PIL import Image

    sys.path.insert(0, str(ROOT / "scripts"))
    from make_demo_data import demo_serial, gtin_of
    from photo_edits import digital_link, paste_qr

    url, _ = running_app
    link = digital_link(gtin_of("Oatly-Oat-Milk"), demo_serial(101), "L2611A", "301130")
    first, second = tmp_path / "stall-1.jpg", tmp_path / "stall-2.jpg"
    paste_qr(Image.open(demo_photo("Oatly-Oat-Milk_001.jpg")), link, where=(0.1, 0.1)).save(first, quality=92)
    paste_qr(Image.open(demo_photo("Oatly-Oat-Milk_002.jpg")), link, where=(0.55, 0.55)).save(second, quality=92)
    earlier, *_ = Client(url, verbose=False).predict([handle_file(str(first))], "Oatly-Oat-Milk", "", "", "en",
                                                     "BB-2026/611", "Chợ Bến Thành", api_name="/verify")
    page.get_by_role("tab", name="Catalog").click()
    log_in(page)  # History is open to a logged-in user
    page.get_by_text(f"Logged in as {ADMIN_USER}.").wait_for(timeout=10_000)
    page.get_by_role("tab", name="Verify").click()
    page.fill("#case-id input, #case-id textarea", "BB-2026/612")
    verify(page, second)
    card = page.locator("#verdict .verdict")
    assert card.get_attribute("data-verdict") == "suspicious"
    assert "already read on another item" in card.inner_text() and "Chợ Bến Thành" in card.inner_text()
    page.screenshot(path=str(ARTIFACTS / "verify-copied-code.png"), full_page=True)
    card.locator(f'.earlier-check[data-check-id="{earlier["check_id"]}"]').first.click()
    page.locator("#history-badge .badge").wait_for(timeout=30_000)
    assert f"#{earlier['check_id']}" in page.locator("#history-badge").inner_text()
