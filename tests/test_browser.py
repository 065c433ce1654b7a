"""The app in a real browser: headless Chromium (Debian's package) driven by Playwright.

Screenshots land in tests/artifacts/ after each run; look at them, not only at the asserts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from browser_steps import VERDICT_TIMEOUT_MS, chromium, fill_new_reference, log_in
from conftest import ADMIN_USER, ARTIFACTS, ROOT, demo_photo


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
    assert page.locator("#heatmap img").count() == 1
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
    with page.expect_download() as download:
        page.click("#report-json")
    report = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert str(report["check_id"]) == check_no
    assert report["verdict"] == page.locator("#verdict .verdict").get_attribute("data-verdict")
    assert report["result"]["matches"][0]["product_id"]


def test_log_in_and_add_a_reference(page, running_app):
    _, catalog = running_app
    fill_new_reference(page, ROOT / "tests" / "data" / "Banana_001.jpg", "Banana-Test")
    page.click("#add-button")
    page.get_by_text("Log in (Catalog tab) to change the catalog.").first.wait_for(timeout=20_000)

    log_in(page, "wrong password")
    page.get_by_text("Wrong user name or password.").wait_for(timeout=10_000)
    log_in(page)
    page.get_by_text(f"Logged in as {ADMIN_USER}.").wait_for(timeout=10_000)

    page.click("#add-button")
    page.get_by_text("Added 1 references to Banana-Test").wait_for(timeout=VERDICT_TIMEOUT_MS)
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
    assert page.locator("#report-html").inner_text().strip() == "Báo cáo (HTML)"
    verify(page, demo_photo("Arla-Standard-Milk_001.jpg"))
    badge = page.locator("#verdict .badge").inner_text()
    assert badge in {"GIỐNG HÀNG THẬT", "ĐÁNG NGỜ", "HÀNG GIẢ", "CHƯA ĐỦ CĂN CỨ"}
    assert "Điểm nghi giả" in page.locator("#verdict").inner_text()
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
    page.locator("#history-badge", has_text="Log in (Catalog tab) to see past checks").wait_for(timeout=20_000)
    assert not page.locator("#history-badge .badge").count()
    page.get_by_role("tab", name="Catalog").click()
    log_in(page)
    page.get_by_text(f"Logged in as {ADMIN_USER}.").wait_for(timeout=10_000)
    assert page.input_value("#login-password input") == ""  # the password does not stay in the field
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
