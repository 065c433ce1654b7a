"""Steps in the real app through headless Chromium (Debian's package) driven by Playwright,
shared by the browser tests."""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path

from conftest import ADMIN_PASSWORD, ADMIN_USER

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VERDICT_TIMEOUT_MS = 90_000


@contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).is_file(), (
        "Chromium is missing: `make test` installs it (apt-get install chromium); see scripts/ensure_chromium.sh")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def log_in(page, password: str = ADMIN_PASSWORD) -> None:
    page.fill("#login-name input, #login-name textarea", ADMIN_USER)
    page.fill("#login-password input", password)
    page.click("#login-button")


def fill_new_reference(page, photo: Path, product_id: str) -> None:
    page.get_by_role("tab", name="Catalog").click()
    page.locator("#add-accordion").click()
    page.set_input_files("#add-photos input[type=file]", str(photo))
    page.fill("#add-product textarea, #add-product input", product_id)
