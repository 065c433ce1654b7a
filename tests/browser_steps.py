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
