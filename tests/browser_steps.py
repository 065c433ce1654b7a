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
        "Chromium is missing: `make test` installs it (apt-get install chromium); see scripts/ensure_system_packages.sh")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def sized_page(browser, url: str, size: tuple[int, int]):
    """A new page of the app at ``size`` (width, height), its upload area drawn; closed afterwards."""
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    try:
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector("#photos")
        yield page
    finally:
        context.close()


def choose_claim(page, product_id: str, typed: str) -> None:
    """Pick the claimed product in the search box: type ``typed``, choose the option of
    ``product_id``, and wait until the box shows it (Gradio's option list is drawn anew as one
    types, so a click can land while it redraws: tried again up to three times)."""
    shows = f"document.querySelector('#claimed input').value.endsWith('({product_id})')"
    for _ in range(3):
        page.fill("#claimed input", "")
        page.click("#claimed input")
        page.keyboard.type(typed)
        option = page.get_by_role("option").filter(has_text=f"({product_id})").first
        option.wait_for(timeout=10_000)
        option.click()
        try:
            page.wait_for_function(shows, timeout=5_000)
            return
        except Exception:  # noqa: BLE001 - the list was redrawn under the click: again
            continue
    page.wait_for_function(shows, timeout=5_000)


def log_in(page, password: str = ADMIN_PASSWORD, name: str = ADMIN_USER) -> None:
    page.fill("#login-name input, #login-name textarea", name)
    page.fill("#login-password input", password)
    page.click("#login-button")


def fill_new_reference(page, photo: Path, product_id: str) -> None:
    page.get_by_role("tab", name="Catalog").click()
    page.locator("#add-accordion").click()
    page.set_input_files("#add-photos input[type=file]", str(photo))
    page.fill("#add-product textarea, #add-product input", product_id)


#: Gradio's own words that a Vietnamese page must not show (its English table, lang/en.json).
GRADIO_ENGLISH = ["Drop File Here", "Click to Upload", "Drop Image Here", "Drop CSV Here", "Drop Media Here",
                  "Paste from Clipboard", "Use via API", "Built with Gradio", "Uploading...", "Download All",
                  "Error", "Loading", "Settings", "Sort ascending", "common.complete"]


def english_table() -> tuple[set[str], set[str]]:
    """What an English page says and a Vietnamese one must not: (whole lines, fragments). Every
    app text, verdict sentence, advice and Gradio built-in whose English differs from its
    Vietnamese; a template contributes its fixed parts of 12 characters or more as fragments."""
    import re

    from index.judging.messages import ADVICE, MESSAGES
    from ui.i18n import TEXT

    lines, fragments = set(GRADIO_ENGLISH), set()
    for table in (TEXT, MESSAGES, ADVICE):
        for texts in table.values():
            english, vietnamese = texts["en"], texts.get("vi", "")
            if english == vietnamese:
                continue
            parts = [p.strip(" .,:;()") for p in re.split(r"\{[^}]*\}", english)]
            if len(parts) == 1 and len(parts[0]) >= 3:
                lines.add(parts[0])
            fragments.update(p for p in parts if len(p) >= 12)
    return lines, fragments


def english_left(text: str) -> list[str]:
    """Lines of a page's text that are English from the app's own tables."""
    lines, fragments = english_table()
    found = []
    for line in (raw.strip() for raw in text.splitlines()):
        if not line:
            continue
        if line.strip(" .,:;()") in lines or any(fragment in line for fragment in fragments):
            found.append(line)
    return found
