#!/usr/bin/env python
"""Counterfeit product photo verifier: verify, batch-check and manage the catalog in the browser,
in English and Vietnamese.

    python app.py [--catalog CATALOG_DIR] [--host 127.0.0.1] [--port 7860]

With no --catalog, the demo catalog (catalogs/demo) is built from demo/ on the first run.
Catalog changes need a login: set VERIFIER_ADMIN_USER and VERIFIER_ADMIN_PASSWORD (or
VERIFIER_USERS_FILE, see ui/auth.py) before starting. The model and the catalog are loaded once
per process; this file only lays out the page; ui/service.py does the work.
"""

from __future__ import annotations

import argparse
import html
import inspect
import json
import logging
import re
import sys
import tempfile
import time
from pathlib import Path

import gradio as gr
from fastapi import Request  # at module level: FastAPI resolves the routes' annotations by name
import pandas as pd

from index import Catalog, Verifier, connect, import_references, read_products
from index.connect import READING_SETTING
from index.importing.tuning import tune_in_background_if_due
from index.storing.editing import FieldTooLong
from ui.auth import Users
from index.storing.history import SOURCES
from index.verdict import OUTCOMES
from ui.gradio_text import EN as GRADIO_EN, LOCALE_JS, TOAST_CSS, VI as GRADIO_VI
from ui.i18n import LANGUAGE_CHOICES, TEXT, index_words, local_time, number, outcome, t, timezone_name, zone_words
from ui.render import (EVIDENCE_CSS, badge_html, evidence_items, product_label, serial_register_html, side_by_side_html,
                       thumbnail_html, triage_html)
from ui.service import LimitExceeded, Service
from ui.fairness import JoinLimiter
from ui.guard import Guard
from ui.sessions import COOKIE, LoginRefused, address_of, token_of, uvicorn_proxy_settings
from ui.signing import ReportNotVerified

ROOT = Path(__file__).resolve().parent
DEMO_MANIFEST = ROOT / "demo" / "products.csv"
DEMO_CATALOG = ROOT / "catalogs" / "demo"
DEMO_QUERIES = ROOT / "demo" / "queries"
#: The demo's sample checks (photo, claimed product): a true claim, substitutions of a look-alike
#: brand, edited packages (another product's barcode, a misspelt brand), and one with no claim.
DEMO_EXAMPLES = [
    ("God-Morgon-Orange-Juice_002.jpg", "God-Morgon-Orange-Juice"),
    ("Bravo-Orange-Juice_003_claimed-as-God-Morgon-Orange-Juice.jpg", "God-Morgon-Orange-Juice"),
    ("Garant-Ecological-Standard-Milk_003_claimed-as-Arla-Standard-Milk.jpg", "Arla-Standard-Milk"),
    ("God-Morgon-Orange-Juice_edited-barcode-of-Bravo.jpg", "God-Morgon-Orange-Juice"),
    ("Alpro-Blueberry-Soyghurt_edited-label-ALPRA.jpg", "Alpro-Blueberry-Soyghurt"),
    ("Oatly-Oat-Milk_001.jpg", None),
    # unit codes against Oatly's register: issued, never issued, and the issued code again on another pack
    ("Oatly-Oat-Milk_001_unit-code-issued.jpg", "Oatly-Oat-Milk"),
    ("Oatly-Oat-Milk_002_unit-code-never-issued.jpg", "Oatly-Oat-Milk"),
    ("Oatly-Oat-Milk_002_unit-code-cloned.jpg", "Oatly-Oat-Milk"),
]
DEMO_SERIALS = ROOT / "demo" / "serials.csv"

CSS = """
.badge{color:#fff;padding:4px 12px;border-radius:6px;font-weight:700;font-size:1.3em;display:inline-block}
.verdict .why{font-size:1.08em;margin:.5em 0}
.verdict .flag{background:#eef;border-radius:4px;padding:1px 6px;margin-right:4px;white-space:nowrap}
.verdict .retake{background:#fff4e5;border-left:4px solid #b26a00;padding:4px 10px;margin:6px 0}
.check-no{color:#666;margin-left:8px;white-space:nowrap}
#verdict .earlier-check, #history-badge .earlier-check{cursor:pointer;color:#1a55b0;text-decoration:underline}
/* every tab stays in sight on a phone (two rows), none hidden behind Gradio's "more" menu: Gradio
   measures its hidden copy of the tab row to decide what overflows */
.tab-wrapper{height:auto !important}
.tab-wrapper .tab-container.visually-hidden button{font-size:1px !important;padding:0 !important;min-width:0 !important}
.tab-wrapper [role=tablist]{flex-wrap:wrap !important;height:auto !important;row-gap:2px}
/* tables in the page's own font: Gradio's bold monospace headers break Vietnamese diacritics */
.table-wrap table, .table-wrap th, .table-wrap td, .table-wrap th *, .table-wrap td *,
.header-table, .header-table *, .virtual-row, .virtual-row *{
  font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif !important}
/* History on a phone: number, time, verdict, product and case; inspector, source and notes on a
   wider screen (and in the check opened by a click) */
@media (max-width:640px){
  #history-table [aria-colindex="6"], #history-table [aria-colindex="7"], #history-table [aria-colindex="8"]{
    display:none !important}
}
/* galleries as tall as their pictures (Gradio keeps a 450 px box even for one row) */
.fit-gallery .grid-wrap.fixed-height{height:auto !important;min-height:0 !important;max-height:none !important}
/* gallery captions in full (Gradio cuts them to one line with an ellipsis) */
.gallery-item .caption-label{white-space:normal !important;max-width:100% !important;left:0;overflow-wrap:anywhere}
/* on a phone: two pictures a row, each caption under its picture instead of over it */
@media (max-width:640px){
  .fit-gallery .grid-container{grid-template-columns:repeat(2,minmax(0,1fr)) !important;
    grid-template-rows:none !important;grid-auto-rows:auto !important}
  .fit-gallery .thumbnail-item{aspect-ratio:auto !important;height:auto !important;overflow:visible !important;
    display:flex !important;flex-direction:column}
  .fit-gallery .thumbnail-item img{aspect-ratio:1/1;width:100% !important;height:auto !important;object-fit:cover}
  .fit-gallery .caption-label{position:static !important;max-width:none !important;border:0 !important;
    border-radius:0 !important;font-size:.8em !important}
}
""" + EVIDENCE_CSS + TOAST_CSS

#: A click on the earlier check a card names (a unit code read before) opens that check in History.
EARLIER_CHECK_JS = """
() => {
  if (window.earlierCheckLinks) return;
  window.earlierCheckLinks = true;
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("#verdict .earlier-check[data-check-id], #history-badge .earlier-check[data-check-id]");
    if (!link) return;
    document.querySelector("#history-tab-button")?.click();
    setTimeout(() => {
      const box = document.querySelector("#check-number input");
      if (!box) return;
      box.value = link.dataset.checkId;
      box.dispatchEvent(new Event("input", {bubbles: true}));
      setTimeout(() => document.querySelector("#open-check")?.click(), 300);
    }, 300);
  });
}
"""

log = logging.getLogger("app")

#: Browsing (History, catalog tables, Status, login): quick, not through the queue, so it never
#: waits behind checks nor counts against a client's queue allowance (ui.fairness).
BROWSE = dict(api_visibility="private", queue=False)

#: The password goes from the page to /session/login (which sets the HttpOnly session cookie), never
#: through Gradio's queue; the Python handler after it only learns how the login went.
LOGIN_JS = """
async (name, password, language) => {
  let outcome = "login_failed";
  try {
    const response = await fetch(new URL("session/login", window.location.href), {
      method: "POST", credentials: "same-origin", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({name: name, password: password})});
    outcome = (await response.json()).outcome || outcome;
  } catch (error) {}
  return [name, outcome, language];
}
"""
LOGOUT_JS = """
async (language) => {
  try { await fetch(new URL("session/logout", window.location.href), {method: "POST", credentials: "same-origin"}); }
  catch (error) {}
  return [language];
}
"""


def save_stale_calibration(catalog_dir: Path) -> None:
    """The app reads its catalog read-only: a calibration made by an older version (or for an
    older generation) would be recomputed at every reload. Recompute and store it once here,
    unless another writer holds the catalog (then the app computes it in memory, as before)."""
    from index.judging import calibration

    if not Catalog.exists(catalog_dir):
        return
    try:
        with Catalog.open(catalog_dir, writable=True) as catalog:
            calibration.current(catalog)  # saves when stale
    except Exception as exc:  # noqa: BLE001 - busy or unwritable: serve as before
        log.warning("calibration not refreshed in %s: %s", catalog_dir, exc)


def ensure_demo_catalog(catalog_dir: Path = DEMO_CATALOG, model: str | None = None) -> None:
    """Build the demo catalog from demo/products.csv unless it is already complete."""
    rows = read_products(DEMO_MANIFEST)
    if Catalog.exists(catalog_dir):
        with Catalog.open(catalog_dir) as catalog:
            current = len(catalog) >= len(rows) and catalog.setting(READING_SETTING) is not None
        if current:
            ensure_demo_register(catalog_dir)
            return
        # made by an earlier version (other demo photos, no label reading): set aside, not lost
        aside = catalog_dir.with_name(f"{catalog_dir.name}.earlier-{time.strftime('%Y%m%d-%H%M%S')}")
        catalog_dir.rename(aside)
        log.warning("the demo catalog was made by an earlier version; kept in %s", aside)
    log.warning("building the demo catalog in %s (first run only: reads the label of every photo, about a minute)",
                catalog_dir)
    catalog, embedder = connect(catalog_dir, model, create=True, writable=True)
    with catalog:
        summary = import_references(catalog, embedder, rows, progress=True)
    log.warning("demo catalog: %s", summary.format())
    ensure_demo_register(catalog_dir)
    if tune_in_background_if_due(catalog_dir):
        log.warning("fitting the model to the demo catalog in the background (a few minutes; checks use the "
                    "current model until it is done; progress in %s/tuning.log)", catalog_dir)


def ensure_demo_register(catalog_dir: Path) -> None:
    """The demo product's register of serials (demo/serials.csv), imported once."""
    from index.importing.serials import import_register
    from index.storing.serials import has_register

    with Catalog.open(catalog_dir) as catalog:
        if has_register(catalog):
            return
    import_register(catalog_dir, DEMO_SERIALS, "demo", progress=False)


#: A product field as the reader's language names it (index.storing.editing.FieldTooLong).
PRODUCT_FIELDS = {"name": "field_name", "brand": "field_brand", "label_text": "field_label_text", "gtins": "field_gtins",
                  "product_id": "product_id", "view": "view"}
FIELD_LABELS = {"claimed": "claimed_short", "inspector": "col_inspector", "notes": "col_notes", "case_id": "col_case"}


def user_error(exc: BaseException) -> str:
    """An error as a sentence for the page: the server's temporary folders cut down to the file's
    own name, and nothing in it rendered as HTML (a manifest's cells come from the uploader)."""
    text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
    temp = re.escape(tempfile.gettempdir().rstrip("/"))
    text = re.sub(temp + r"/[^\s:'\"]*/([^/\s:'\"]+)", r"\1", str(text))
    return html.escape(text)


def _plain(*lines: str) -> str:
    """Sentences shown as text in an HTML component: every character escaped (a file name or a
    code read from a photo is never markup), one paragraph a line."""
    return "".join(f'<p class="plain">{html.escape(line)}</p>' for line in lines if line)


#: A code's text is shown up to this many characters (a GTIN has 14; the rest of a long payload
#: is a counterfeiter's to write, not the inspector's to read).
CODE_SHOWN_CHARS = 64


def _code_text(text: str) -> str:
    """What a barcode says, for a sentence: printable characters only, cut at ``CODE_SHOWN_CHARS``."""
    text = "".join(c if c.isprintable() else " " for c in text or "")
    return text if len(text) <= CODE_SHOWN_CHARS else text[:CODE_SHOWN_CHARS] + "…"


def _os_sentence(exc: OSError) -> str:
    """An OS error as a sentence: the file's own name and the reason, no server path."""
    name = Path(str(exc.filename)).name if exc.filename else ""
    reason = (exc.strerror or type(exc).__name__).lower()
    return f"{name}: {reason}" if name else reason


def _error(message: str, language: str) -> gr.Error:
    """An error toast in the reader's language, title included (Gradio's own says "Error"); the
    message is the user's to act on, not a fault of the server, so no traceback is logged."""
    return gr.Error(message, title=t("error_title", language), print_exception=False)


def _limit_message(exc: LimitExceeded, language: str) -> str:
    args = dict(exc.args_)
    if "field" in args:
        args["field"] = t(FIELD_LABELS.get(args["field"], args["field"]), language)
    return t(exc.key, language, **args)


def _similar_id(product_id: str, known: list[str]) -> str | None:
    """The catalog product id that a new id is most likely a typing mistake of, or None: compared
    without case and punctuation ("Oatly-Oatmilk" and "Oatly-Oat-Milk" are the same letters)."""
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    def letters(text: str) -> str:
        return re.sub(r"[\W_]+", "", text.casefold())

    match = process.extractOne(letters(product_id), {pid: letters(pid) for pid in known if pid != product_id},
                               scorer=Levenshtein.normalized_similarity, score_cutoff=0.75)
    return match[2] if match else None


def _paths(files) -> list[str]:
    return [f if isinstance(f, str) else f.name for f in (files or [])]


def _ids(text: str | None) -> list[int]:
    """Image ids typed or picked: "12, 15 17" -> [12, 15, 17] (ValueError on anything else)."""
    ids = []
    for part in (text or "").replace(",", " ").split():
        value = int(part.lstrip("#"))
        if value not in ids:
            ids.append(value)
    return ids


def _frame(rows: list[list], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def api_result(result: dict, check_id: int | None = None) -> dict:
    """A verdict as the API returns it: the fields of ``verify.py`` and the check's number, with
    photos named as they were uploaded. No key is called ``path``: Gradio would take such a dict for
    a file and send the photo instead of the verdict."""
    data = {k: v for k, v in result.items() if k != "path"}
    data["photos"] = [Path(p).name for p in result.get("photos") or []]
    data["errors"] = [{"photo": Path(e.get("path") or "").name, "reason": e.get("reason", "")}
                      for e in result.get("errors") or []]
    if data.get("regions"):
        data["regions"] = {k: v for k, v in data["regions"].items() if k != "photo"}
    if check_id is not None:
        data["check_id"] = check_id
    return data


# Options shown in words of the reader's language; the values stay the stored English keys.
def verdict_choices(language: str) -> list[tuple[str, str]]:
    return [(t("any_verdict", language), "")] + [(outcome(v, language), v) for v in OUTCOMES]


def review_choices(language: str) -> list[tuple[str, str]]:
    return [(outcome(v, language), v) for v in OUTCOMES]


def source_choices(language: str) -> list[tuple[str, str]]:
    return [(t("any_source", language), "")] + [(t("source_" + s, language), s) for s in SOURCES]


def add_as_choices(language: str) -> list[tuple[str, str]]:
    return [(t("review_add_none", language), "none"), (t("label_genuine", language), "genuine"),
            (t("label_counterfeit", language), "counterfeit")]


def serial_kind_choices(language: str) -> list[tuple[str, str]]:
    return [(t("serials_kind_issued", language), "issued"), (t("serials_kind_decommission", language), "decommission")]


def label_choices(language: str) -> list[tuple[str, str]]:
    return [(t("label_genuine", language), "genuine"), (t("label_counterfeit", language), "counterfeit")]


def utc_window(since: str | None, until: str | None) -> tuple[str | None, str | None]:
    """History's date filter: days in the deployment's time zone (``2026-12-01`` or ``01/12/2026``),
    ``until`` included, as a UTC range; raises ValueError for a date it cannot read."""
    from datetime import datetime, timedelta, timezone
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        zone = ZoneInfo(timezone_name())
    except (ZoneInfoNotFoundError, ValueError):
        zone = timezone.utc

    def day(text: str | None) -> datetime | None:
        text = (text or "").strip()
        if not text:
            return None
        for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
            try:
                return datetime.strptime(text, pattern).replace(tzinfo=zone)
            except ValueError:
                continue
        raise ValueError(text)

    def utc(moment: datetime | None) -> str | None:
        return None if moment is None else moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    start, end = day(since), day(until)
    return utc(start), utc(None if end is None else end + timedelta(days=1))


def build_app(service: Service) -> gr.Blocks:
    catalog = service.catalog
    # (component, text key, attribute, format): what the language switch rewrites
    localized: list[tuple[gr.components.Component | gr.Tab, str, str, str]] = []
    #: (component, language -> choices): radios and dropdowns whose options are words
    localized_choices: list[tuple[gr.components.Component, object]] = []

    def tr(component, key: str, attr: str = "label", fmt: str = "{}"):
        localized.append((component, key, attr, fmt))
        return component

    # ---- handlers --------------------------------------------------------------------------

    def show_check(record, language):
        result = record.result
        genuine = evidence_items(catalog, result, language, "genuine")
        fakes = evidence_items(catalog, result, language, "counterfeit")
        compared = side_by_side_html(catalog, result, [(p.path, p.name) for p in record.photos], language)
        html_path, json_path = service.report_files(record, language)
        return (badge_html(result, language, record.quality, record.check_id), compared, genuine,
                fakes, str(html_path), str(json_path),
                json.dumps(record.to_dict(), indent=2, ensure_ascii=False))

    def verify(files, claimed, inspector, notes, language, case_id, place, views="", request: gr.Request = None):
        """The Verify button and the ``/verify`` API: the verdict as structured JSON first (the
        fields of ``verify.py``, with ``check_id``), then what the page shows. ``views``: the view
        of each photo, comma-separated, as the inspector corrects them (empty: the catalog assigns)."""
        paths = _paths(files)
        if not paths:
            raise _error(t("need_photo", language), language)
        source = "api" if request is not None and request.headers.get("x-gradio-user") == "api" else "app"
        given = [v.strip() for v in (views or "").split(",")] if (views or "").strip() else None
        try:
            record = service.check(paths, claimed, notes or "", inspector or "", case_id=case_id or None,
                                   place=place or "", source=source, client=anonymous_client(request), views=given)
        except LimitExceeded as exc:
            raise _error(_limit_message(exc, language), language) from None
        return (api_result(record.result, record.check_id), *show_check(record, language), record.check_id)

    def views_used(check_id):
        """After a check, the views box shows the view each photo was compared as (the inspector
        may correct them and check again). A step of its own, so the API's outputs stay the
        verdict and what the page shows."""
        record = service.history.get(check_id) if check_id else None
        used = ", ".join(record.result.get("details", {}).get("views", [])) if record else ""
        return gr.update(value=used, visible=bool(used) or views_shown())

    def views_shown() -> bool:
        """The views box is shown when the catalog knows the views of its items (several, learnt)."""
        return service.verifier.calibration.view_head is not None

    def scan_photos(files, claimed_now, language):
        """Guided capture: read the barcodes of the photos just added; a code that names one catalog
        product preselects it as the claim (a claim already chosen is kept). What a code says is a
        counterfeiter's text: shown escaped and cut short, never as Markdown or HTML (a QR code
        holding a Markdown link or image put a link or a tracking image on the inspector's page)."""
        paths = _paths(files)
        if not paths:
            return gr.update(), ""
        findings, named = service.scan_codes(paths)
        if not findings:
            return gr.update(), _plain(t("scan_none", language))
        lines = []
        for finding in findings:
            code = _code_text(finding.gtin or finding.text)
            if finding.check_digit_ok is False:
                lines.append(t("scan_bad", language, code=code))
            elif finding.product_id:
                key = "scan_named" if finding.product_id == named and not claimed_now else "scan_kept"
                lines.append(t(key, language, code=code, product=finding.product_id))
            else:
                lines.append(t("scan_unlisted", language, code=code))
        choice = named if named and not claimed_now else gr.update()
        return choice, _plain(*(f"• {line}" for line in lines))

    async def check_report(path, language, request: gr.Request):
        """A case file this deployment issued: unchanged since, or why not (its signature); and
        whether its check was reviewed since, overturned or confirmed, by which review. Checked in
        a small pool of its own (ui.casefile), awaited here: one hostile file delays nobody."""
        if not path:
            return ""
        name = Path(path).name
        try:
            checked = await service.case_files.check(path)
        except ReportNotVerified as exc:
            return _plain(t("report_bad", language, name=name, reason=t("report_" + exc.reason, language,
                                                                          **exc.details)))
        lines = [t("report_ok", language, name=name, fingerprint=checked.verified.fingerprint)]
        record = service.history.get(checked.check_id) if checked.check_id and 0 < checked.check_id < 2**62 else None
        if record is not None and record.checked_at == checked.checked_at and record.review_verdict:
            overturned = record.review_verdict != record.verdict
            lines.append(t("report_overturned" if overturned else "report_confirmed", language,
                           check_id=record.check_id, verdict=outcome(record.verdict, language),
                           review=outcome(record.review_verdict, language),
                           date=local_time(record.reviewed_at, language),
                           entry=service.history.review_entry(record.check_id) or "—"))
            if history_open(request):  # who reviewed it and why: for those who may read the History
                lines.append(t("report_review_by", language, reviewer=record.reviewer or "—",
                               note=record.review_note or "—"))
            else:
                lines.append(t("report_review_login", language))
        return _plain(*lines)

    def reports_ready():
        """After a check: its reports can be downloaded; photos added now join the same item."""
        return gr.update(interactive=True), gr.update(interactive=True), gr.update(visible=True)

    def new_item():
        """Another item: its photos, claim and notes start empty and the last verdict goes away (the
        case number, place and inspector stay: one inspection, several items)."""
        cleared = gr.update(value=None, interactive=False)
        return (None, None, "", "", "", "", [], gr.update(value=[], visible=False), cleared, cleared, "",
                gr.update(visible=False), "")

    def fakes_gallery_shown(items):
        """The known-fakes gallery, when there is more to see than the side by side shows (its
        nearest fake): a single fake is not repeated as one large picture."""
        return gr.update(visible=bool(items) and len(items) > 1)

    def history_open(request) -> bool:
        """Who may see the History: its checks hold inspectors' names, notes, case ids and photos.
        Logged-in users; everyone where no user is configured (a single-user laptop) or
        VERIFIER_OPEN_HISTORY=1 says so."""
        return service.history_is_open or session_user(request) is not None

    def history_table(text, verdict, since, until, who, source, language, request: gr.Request):
        if not history_open(request):
            return _frame([[t("history_login", language)]], [t("history_table", language)])
        try:
            window = utc_window(since, until)
        except ValueError:
            return _frame([[t("history_bad_date", language)]], [t("history_table", language)])
        rows = [[r.check_id, local_time(r.checked_at, language, short=True),
                 outcome(r.verdict, language) + (f" → {outcome(r.review_verdict, language)}" if r.review_verdict else ""),
                 product_label(r.result, r.claimed_product_id) if r.claimed_product_id else "", r.case_id or "",
                 r.inspector, t("source_" + r.source, language),
                 r.notes[:80]]
                for r in service.history.search(text or "", verdict or None, since=window[0], until=window[1],
                                                inspector=who or None, source=source or None)]
        columns = ["#", t("col_checked_local", language, zone=zone_words(language)), t("verdict", language),
                   t("claimed_short", language), t("col_case", language), t("col_inspector", language), t("col_source", language),
                   t("col_notes", language)]
        return _frame(rows, columns)

    def history_row_picked(language, evt: gr.SelectData, request: gr.Request):
        """A click on a History row opens that check."""
        row = evt.row_value or []
        try:
            number = int(row[0])
        except (IndexError, TypeError, ValueError):
            return (gr.update(),) * 9
        return (number, *open_check(number, language, request))

    def open_check(check_id, language, request: gr.Request):
        def refused(sentence):  # in the badge's place: browsing events show no error toast, only a red "Error"
            return (f'<p class="history-notice">{html.escape(sentence)}</p>', "", [], [], None, None, "", "")

        if not history_open(request):
            return refused(t("history_login", language))
        try:
            number = int(check_id or 0)
        except (TypeError, ValueError, OverflowError):  # NaN, infinity
            number = 0
        record = service.history.get(number) if 0 < number < 2**62 else None  # 1e30: no such check, no traceback
        if record is None:
            return refused(t("no_check", language, check_id=check_id))
        # the review form's product: the one the verdict names when it names one (genuine: that
        # product; counterfeit: its fakes). For a flagged or inconclusive check it is left for the
        # reviewer to type: a Bravo photo claimed as God Morgon must not be one click from being
        # filed as genuine God Morgon.
        named = record.result.get("verdict") in ("genuine", "counterfeit")
        return (*show_check(record, language), (record.product_id or "") if named else "")

    def save_review(check_id, verdict, note, add_as, product_id, language, request: gr.Request):
        user = session_user(request)
        if not user:
            raise _error(t("need_login", language), language)
        if verdict not in OUTCOMES:
            raise _error(t("review_pick", language), language)
        try:
            summary = service.review(user, int(check_id or 0), verdict, note or "", add_as if add_as != "none" else None,
                                     product_id)
        except (KeyError, ValueError) as exc:
            raise _error(str(exc), language) from None
        message = t("reviewed", language, check_id=int(check_id), verdict=outcome(verdict, language), user=user)
        if summary is not None:
            message += " " + t("added_ref" if summary.added == 1 else "added_refs", language, added=summary.added,
                               product=product_id, present=summary.already_present)
        return message

    def anonymous_client(request) -> str:
        """The address of a client that is not logged in (its kept photos count against the
        anonymous quotas), or "" for a logged-in user."""
        return "" if session_user(request) else address_of(request)

    def run_batch(manifest, files, language, request: gr.Request, progress=gr.Progress()):
        paths = _paths(files)
        if not paths and not manifest:
            raise _error(t("batch_empty", language), language)
        try:
            result = service.check_batch(manifest if isinstance(manifest, str) or manifest is None else manifest.name,
                                         paths, progress=lambda done, total: progress((done, total), unit="cases"),
                                         client=anonymous_client(request))
        except LimitExceeded as exc:
            raise _error(_limit_message(exc, language), language) from None
        except (ValueError, RuntimeError) as exc:  # manifest and upload errors name the file and the reason
            raise _error(user_error(exc), language) from None
        except OSError as exc:  # a file that cannot be read or written: its name and why, no path, no traceback
            raise _error(user_error(_os_sentence(exc)), language) from None
        counts = ", ".join(f"{t('outcome_' + k, language).lower()} {v}" for k, v in sorted(result.counts.items()))
        return ([api_result(r) for r in result.results], t("batch_summary", language, cases=len(result.rows), counts=counts),
                batch_triage(result, language), str(result.csv_path), str(result.jsonl_path))

    def batch_triage(result, language):
        """The batch as triage: riskiest first, a thumbnail, the verdict and its reason in words,
        and each unreadable or missing photo with its reason."""
        cases = [(result.results[i], thumbnail_html(result.thumbnails[i])) for i in result.by_risk()]
        return triage_html(cases, language)

    def session_user(request) -> str | None:
        return service.sessions.user(token_of(request))

    def login_done(name, outcome, language, request: gr.Request):
        """After the page posted the password to /session/login (never through the queue): say how
        it went, and empty the password field."""
        user = session_user(request)
        if user:
            return t("logged_in", language, user=user), ""
        return t(outcome if outcome in ("login_failed", "login_locked", "login_disabled") else "login_failed",
                 language), ""

    def login_status_text(language, request: gr.Request):
        user = session_user(request)
        return t("logged_in", language, user=user) if user else t("logged_out", language)

    def products_table(query, language):
        return _frame(service.products(query), [t("product_id", language), t("product_name", language),
                                                t("brand", language), t("label_genuine", language),
                                                t("label_counterfeit", language)])

    def show_references(product_id, language):
        refs = service.references(product_id)
        items, shown = [], []
        for ref in refs:
            thumb = catalog.thumbnail_path(ref.sha256)
            if thumb.is_file():
                items.append((str(thumb), f"#{ref.image_id} · {t('label_' + ref.label, language)}"
                                          + (f" · {ref.view}" if ref.view else "")))
                shown.append(ref.image_id)
        rows = [[r.image_id, t("label_" + r.label, language), r.view, r.name, r.brand, Path(r.source_path).name,
                 local_time(r.added_at, language, short=True)] for r in refs]
        return items, _frame(rows, [t("col_image", language), t("label", language), t("view", language),
                                    t("product_name", language), t("brand", language), t("col_file", language),
                                    t("col_added", language, zone=zone_words(language))]), shown

    def show_product(product_id, language):
        """The product's references (gallery and table) and its details in the edit form."""
        items, table, shown = show_references(product_id, language)
        details = service.product_details(product_id) or {}
        return (items, table, shown, details.get("name", ""), details.get("brand", ""),
                details.get("label_text", ""), details.get("gtins", ""), product_id or None)

    def pick_reference(shown, ids_text, language, evt: gr.SelectData):
        """A click on a reference photo adds its id to the removal box (a second click takes it out)."""
        if evt.index is None or not shown or evt.index >= len(shown):
            return gr.update(), gr.update()
        ids = _ids(ids_text)
        image_id = shown[evt.index]
        ids = [i for i in ids if i != image_id] if image_id in ids else ids + [image_id]
        text = ", ".join(map(str, ids))
        return text, t("picked", language, ids=text or "—")

    def guarded(action):
        """Run a catalog change for the logged-in user; errors become messages a person can act on."""
        def handler(*args):
            *inputs, request = args  # Gradio passes the request last (the signature below says so)
            language = inputs[-1]
            user = session_user(request)
            if not user:
                raise _error(t("need_login", language), language)
            try:
                return action(user, *inputs)
            except FieldTooLong as exc:
                raise _error(t("product_field_too_long", language, field=t(PRODUCT_FIELDS[exc.field], language),
                               length=exc.length, limit=exc.limit), language) from None
            except (ValueError, KeyError, RuntimeError) as exc:
                raise _error(user_error(exc), language) from None
            except OSError as exc:
                raise _error(user_error(_os_sentence(exc)), language) from None
        # Gradio finds special arguments by signature and type hints: the action's inputs, then the request
        inputs = list(inspect.signature(action).parameters.values())[1:]
        handler.__signature__ = inspect.Signature(
            inputs + [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=gr.Request)])
        handler.__annotations__ = {"request": gr.Request}
        return handler

    @guarded
    def add_photos(user, files, product_id, name, brand, label, view, language):
        known = [pid for _, pid in service.product_choices()]
        summary = service.add_references(user, _paths(files), product_id, label, name or "", brand or "", view or "")
        message = _import_message(summary, language, product_id)
        product_id = (product_id or "").strip()
        if summary.added and product_id not in known:
            # a free-text id: a typing mistake would quietly start a product of its own
            similar = _similar_id(product_id, known)
            message += "\n\n" + (t("new_product_similar", language, product=product_id, similar=similar) if similar
                                 else t("new_product", language, product=product_id))
        return message

    @guarded
    def import_products(user, manifest, files, language):
        if not manifest:
            raise ValueError("upload a products manifest (CSV)")
        summary = service.import_manifest(user, manifest if isinstance(manifest, str) else manifest.name, _paths(files))
        return _import_message(summary, language, "")

    def ask_remove_refs(ids_text, language):
        """First step of a removal: say what would go, and wait for a yes."""
        try:
            ids = _ids(ids_text)
        except ValueError:
            raise _error(t("bad_ids", language, text=ids_text), language) from None
        if not ids:
            raise _error(t("no_ids", language), language)
        known = catalog.references_by_id(ids)
        missing = sorted(set(ids) - set(known))
        if missing:
            raise _error(t("unknown_ids", language, ids=", ".join(f"#{i}" for i in missing)), language)
        products = ", ".join(sorted({r.product_id for r in known.values()}))
        sentence = t("confirm_remove_refs", language, count=len(ids), ids=", ".join(f"#{i}" for i in ids),
                     products=products)
        return {"refs": ids}, gr.update(value=f"**{sentence}**"), gr.update(visible=True)

    def ask_remove_product(product_id, language):
        product_id = (product_id or "").strip()
        refs = service.references(product_id)
        if not refs:
            raise _error(t("unknown_product", language, product=product_id or "—"), language)
        sentence = t("confirm_remove_product", language, product=product_id, count=len(refs))
        return {"product": product_id}, gr.update(value=f"**{sentence}**"), gr.update(visible=True)

    def cancel_removal(language):
        return None, t("removal_cancelled", language), gr.update(visible=False)

    @guarded
    def confirm_removal(user, pending, language):
        if not pending:
            raise ValueError("nothing to remove: choose references or a product first")
        if "refs" in pending:
            removed = service.remove_references(user, pending["refs"])
        else:
            removed = service.remove_product(user, pending["product"])
        return None, t("removed", language, removed=removed), gr.update(visible=False)

    @guarded
    def undo_removal(user, language):
        last = service.last_removal() or {}
        summary = service.undo_last_removal(user)
        return t("undone", language, added=summary.added, products=", ".join(last.get("products", [])) or "—")

    def undo_state(language):
        """The undo button, offered while there is a removal to undo."""
        last = service.last_removal()
        if not last:
            return gr.update(visible=False), ""
        return gr.update(visible=True), t("undo_what", language, count=last["references"],
                                          products=", ".join(last["products"]))

    @guarded
    def save_product(user, product_id, name, brand, label_text, gtins, language):
        changed = service.edit_product(user, product_id, name, brand, label_text, gtins)
        if not changed:
            return t("product_unchanged", language, product=product_id)
        fields = ", ".join(t("field_" + f, language) for f in changed)
        return t("product_saved", language, product=product_id, fields=fields)

    def _import_message(summary, language, product_id):
        message = t("added_ref" if summary.added == 1 else "added_refs", language, added=summary.added,
                    product=product_id or "—", present=summary.already_present)
        if summary.unreadable:
            message += "\n" + "\n".join(f"- {Path(p).name}: {reason}" for p, reason in summary.unreadable)
        if summary.thin_products:
            from index.judging.messages import thin_catalog_sentence

            message += "\n\n" + thin_catalog_sentence(summary, language)
        return message

    def import_serials(path, kind, language, request: gr.Request, progress=gr.Progress()):
        """A register of serials (or a list of serials sold or checked), for a logged-in brand owner."""
        user = session_user(request)
        if not user:
            raise _error(t("need_login", language), language)
        try:
            done = service.import_serials(user, path, kind == "decommission",
                                          lambda read, size: progress((read, size), unit="bytes"))
        except (ValueError, KeyError, RuntimeError, OSError) as exc:
            raise _error(user_error(exc), language) from None
        message = t("serials_marked", language, file=done.file, marked=done.marked) if kind == "decommission" else \
            t("serials_imported", language, file=done.file, new=done.new, updated=done.updated, rows=done.rows,
              seconds=number(done.seconds, language, 1))
        return serial_register_html(service.serial_register(), language, message)

    @guarded
    def add_stamp(user, template, language):
        added = service.add_stamp_pattern(user, template)
        message = t("stamp_added", language, template=template.strip()) if added else t("stamp_known", language)
        return serial_register_html(service.serial_register(), language, message)

    def calibration_table(language):
        """How each product is calibrated, in words a brand owner reads."""
        rows = []
        pct = 100 * (1 - service.verifier.policy.false_alarm_rate)
        for product, references, sessions, level, more in service.calibration_rows():
            meaning = t("calibration_own", language, pct=pct) if level == "product" else \
                t("calibration_thin", language, more=more) if level == "thin" else \
                t("calibration_add", language, more=more)
            rows.append([product, references, sessions, t("level_" + level, language) if "level_" + level in TEXT
                         else level, meaning])
        return _frame(rows, [t("product_id", language), t("references", language), t("col_sessions", language),
                             t("col_calibrated_on", language), t("col_meaning", language)])

    def audit_table(language, request: gr.Request = None):
        """Who changed what, when: user names and review notes, so for those who may read the
        History (issue 25: page_data and this table served it to every visitor)."""
        if not history_open(request):
            return _frame([[t("audit_login", language)]], [t("audit_title", language)])
        rows = [[entry_id, local_time(at, language, short=True), user,
                 t("action_" + action, language) if "action_" + action in TEXT else action, details]
                for entry_id, at, user, action, details in service.audit_rows()]
        return _frame(rows, ["#", t("col_at", language, zone=zone_words(language)), t("username", language), t("col_action", language),
                             t("col_details", language)])

    def status_text(language):
        status = service.status()
        text = t("status_body", language, **{**status, "index": index_words(status["index"], language)})
        thin = status["thin"]
        if thin:
            shown = ", ".join(thin[:12]) + (" …" if len(thin) > 12 else "")
            text += "\n\n" + t("status_thin", language, count=len(thin), products=shown)
        return text

    def claim_choices():
        return gr.update(choices=service.product_choices())

    def catalog_choices():
        """The claim box and the catalog tab's product pickers read the catalog now."""
        choices = service.product_choices()
        return gr.update(choices=choices), gr.update(choices=choices), gr.update(choices=choices)

    def page_data(query, language, request: gr.Request):
        """What a page shows of the catalog, read now: a product imported by another process since
        the app started is in the claim box and the tables of every page opened after it."""
        return (*catalog_choices(), products_table(query, language), calibration_table(language),
                audit_table(language, request), status_text(language), login_status_text(language, request),
                *undo_state(language), serial_register_html(service.serial_register(), language))

    def relabel(language):
        updates = []
        for component, key, attr, fmt in localized:
            if attr == "label+info":  # a box with a hint under its label: both in the language
                updates.append(gr.update(label=t(key, language), info=t(key + "_info", language)))
                continue
            updates.append(gr.update(**{attr: fmt.format(t(key, language))}))
        for component, choices in localized_choices:
            updates.append(gr.update(choices=choices(language)))
        return updates

    # ---- layout ----------------------------------------------------------------------------

    with gr.Blocks(title="Counterfeit photo verifier / Kiểm tra ảnh sản phẩm nghi giả",
                   delete_cache=(1800, 3600)) as demo:
        current_check = gr.State(None)
        with gr.Row(equal_height=True):
            with gr.Column(scale=4):
                title = gr.Markdown(f"# {t('title')}", elem_id="title")
                intro = gr.Markdown(t("intro"), elem_id="intro")
            language = tr(gr.Radio(LANGUAGE_CHOICES, value="en", label=t("language"), elem_id="language", scale=1),
                          "language")
        localized += [(title, "title", "value", "# {}"), (intro, "intro", "value", "{}")]

        with gr.Tabs():
            with tr(gr.Tab(t("tab_verify"), id="verify"), "tab_verify"):
                with gr.Row():
                    with gr.Column(scale=1, min_width=300):
                        photos = tr(gr.File(label=t("photos"), file_count="multiple", file_types=["image"],
                                            type="filepath", elem_id="photos"), "photos")
                        checklist = gr.Markdown(t("capture_checklist"), elem_id="capture-checklist")
                        localized.append((checklist, "capture_checklist", "value", "{}"))
                        scan_note = gr.HTML(elem_id="scan-note")  # escaped text only: codes are anyone's to write
                        claimed = tr(gr.Dropdown(service.product_choices(), value=None, label=t("claimed"),
                                                 filterable=True, allow_custom_value=True, elem_id="claimed"), "claimed")
                        with gr.Row():
                            # value="": optional for API callers too (a 5-argument /verify call still works)
                            case_id = tr(gr.Textbox("", label=t("case_no"), elem_id="case-id", min_width=140),
                                         "case_no")
                            place = tr(gr.Textbox("", label=t("place"), elem_id="place", min_width=140), "place")
                        inspector = tr(gr.Textbox(label=t("inspector"), elem_id="inspector"), "inspector")
                        notes = tr(gr.Textbox(label=t("notes"), lines=3, elem_id="notes"), "notes")
                        # the view of each photo (label, insole, cap ...): assigned by the catalog, corrected here
                        views = tr(gr.Textbox("", label=t("photo_views"), info=t("photo_views_info"),
                                              elem_id="photo-views", visible=views_shown()), "photo_views",
                               "label+info")
                        with gr.Row():
                            verify_button = tr(gr.Button(t("verify"), variant="primary", elem_id="verify-button",
                                                         scale=1, min_width=120), "verify", "value")
                            new_item_button = tr(gr.Button(t("new_item"), elem_id="new-item-button", scale=1,
                                                           min_width=120), "new_item", "value")
                        # after a check: photos added now join the same item (as the advice asks);
                        # another item starts with New item
                        new_item_hint = gr.Markdown(t("new_item_hint"), visible=False, elem_id="new-item-hint")
                        localized.append((new_item_hint, "new_item_hint", "value", "{}"))
                    with gr.Column(scale=2, min_width=300):
                        verify_result = gr.JSON(visible=False)  # the API's first output: the verdict as data
                        badge = gr.HTML(elem_id="verdict")
                        # the checked photo beside the best genuine reference (and the nearest seized fake)
                        compared = gr.HTML(elem_id="side-by-side")
                        gallery = tr(gr.Gallery(label=t("evidence"), columns=4, rows=1, height="auto", preview=False, elem_classes=["fit-gallery"], elem_id="evidence"),
                                     "evidence")
                        fakes = tr(gr.Gallery(label=t("fakes"), columns=4, rows=1, height="auto", preview=False, elem_classes=["fit-gallery"], visible=False,
                                              elem_id="fakes"), "fakes")
                        with gr.Row():
                            # nothing to download before a check: greyed out until one is made
                            report_html = tr(gr.DownloadButton(t("report_html"), elem_id="report-html",
                                                               interactive=False), "report_html")
                            report_json = tr(gr.DownloadButton(t("report_json"), elem_id="report-json",
                                                               interactive=False), "report_json")
                        with tr(gr.Accordion(t("raw_title"), open=False), "raw_title"):
                            raw = tr(gr.Code(label=t("raw"), language="json"), "raw")
                shown = [(name, claim) for name, claim in DEMO_EXAMPLES if (DEMO_QUERIES / name).is_file()] \
                    if catalog.path.resolve() == DEMO_CATALOG.resolve() else []
                if shown:
                    # short chips in no one's language: the photo, an arrow, the product claimed (— none)
                    labels = [f"{Path(name).stem.split('_claimed-as-')[0]} → {claim or '—'}" for name, claim in shown]
                    demo_photos = gr.Examples([[[str(DEMO_QUERIES / name)], claim] for name, claim in shown],
                                              inputs=[photos, claimed], label=t("demo_examples"), example_labels=labels)
                    # Gradio sends each input's build-time settings with a sample's value (gradio
                    # 6.x: ``input_component_props``): the English label and the choices of when the
                    # page was built would come back. A sample sets the values only.
                    demo_photos.input_component_props = [{} for _ in demo_photos.input_component_props]
                    tr(demo_photos.dataset, "demo_examples")
                verify_outputs = [badge, compared, gallery, fakes, report_html, report_json, raw]
                # reading codes is a queued job of its own lane: it counts against the client's budget
                # (ui.fairness) and never runs beside another scan
                photos.upload(scan_photos, [photos, claimed, language], [claimed, scan_note], api_visibility="private",
                              concurrency_id="scan", concurrency_limit=1)
                checked = verify_button.click(verify, inputs=[photos, claimed, inspector, notes, language, case_id,
                                                              place, views],
                                              outputs=[verify_result, *verify_outputs, current_check],
                                              api_name="verify", concurrency_id="check", concurrency_limit=1)
                checked.success(views_used, current_check, views, **BROWSE)
                checked.then(fakes_gallery_shown, fakes, fakes, **BROWSE)  # the API gets the list, never an update
                checked.success(reports_ready, None, [report_html, report_json, new_item_hint], **BROWSE)
                new_item_button.click(new_item, None, [photos, claimed, notes, scan_note, *verify_outputs,
                                                       new_item_hint, views], **BROWSE)

            with tr(gr.Tab(t("tab_history"), id="history", elem_id="history-tab"), "tab_history") as history_tab:
                with gr.Row():
                    history_query = tr(gr.Textbox(label=t("history_search"), scale=3, elem_id="history-query"),
                                       "history_search")
                    history_verdict = tr(gr.Dropdown(verdict_choices("en"), value="", label=t("history_verdict"),
                                                     scale=1), "history_verdict")
                    localized_choices.append((history_verdict, verdict_choices))
                    history_button = tr(gr.Button(t("search"), scale=1), "search", "value")
                with gr.Row():
                    history_since = tr(gr.Textbox(label=t("history_since"), placeholder="01/12/2026", min_width=120,
                                                  elem_id="history-since"), "history_since")
                    history_until = tr(gr.Textbox(label=t("history_until"), placeholder="31/12/2026", min_width=120,
                                                  elem_id="history-until"), "history_until")
                    history_who = tr(gr.Textbox(label=t("history_who"), min_width=120, elem_id="history-who"),
                                     "history_who")
                    history_source = tr(gr.Dropdown(source_choices("en"), value="", label=t("history_source"),
                                                    min_width=120, elem_id="history-source"), "history_source")
                    localized_choices.append((history_source, source_choices))
                history = tr(gr.Dataframe(label=t("history_table"), interactive=False, wrap=True,
                                          elem_id="history-table"), "history_table")
                history_hint = gr.Markdown(t("history_click"))
                localized.append((history_hint, "history_click", "value", "{}"))
                with gr.Row():
                    check_number = tr(gr.Number(label=t("open_check"), value=None, precision=0, elem_id="check-number"),
                                      "open_check")
                    open_button = tr(gr.Button(t("open"), elem_id="open-check"), "open", "value")
                with gr.Row():
                    with gr.Column(scale=2):
                        h_badge = gr.HTML(elem_id="history-badge")
                        h_compared = gr.HTML(elem_id="history-side-by-side")
                        h_gallery = tr(gr.Gallery(label=t("evidence"), columns=4, rows=1, height="auto", preview=False, elem_classes=["fit-gallery"]), "evidence")
                        h_fakes = tr(gr.Gallery(label=t("fakes"), columns=4, rows=1, height="auto", preview=False, elem_classes=["fit-gallery"], visible=False), "fakes")
                        with gr.Row():
                            h_report_html = tr(gr.DownloadButton(t("report_html"), interactive=False), "report_html")
                            h_report_json = tr(gr.DownloadButton(t("report_json"), interactive=False), "report_json")
                        h_raw = gr.Code(language="json", visible=False)
                    with gr.Column(scale=1):
                        review_title = gr.Markdown(f"### {t('review_title')}")
                        localized.append((review_title, "review_title", "value", "### {}"))
                        review_verdict = tr(gr.Radio(review_choices("en"), value=None, label=t("review_verdict")),
                                            "review_verdict")
                        localized_choices.append((review_verdict, review_choices))
                        review_note = tr(gr.Textbox(label=t("review_note"), lines=2), "review_note")
                        review_add = tr(gr.Radio(add_as_choices("en"), value="none", label=t("review_add")),
                                        "review_add")
                        localized_choices.append((review_add, add_as_choices))
                        review_product = tr(gr.Textbox(label=t("review_product")), "review_product")
                        review_button = tr(gr.Button(t("save_review"), variant="primary"), "save_review", "value")
                        review_message = gr.Markdown()
                history_inputs = [history_query, history_verdict, history_since, history_until, history_who,
                                  history_source, language]
                history_button.click(history_table, history_inputs, history, **BROWSE)
                history_tab.select(history_table, history_inputs, history, **BROWSE)  # the checks made since
                for box in (history_query, history_since, history_until, history_who):
                    box.submit(history_table, history_inputs, history, **BROWSE)
                for box in (history_verdict, history_source):
                    box.input(history_table, history_inputs, history, **BROWSE)
                opened = [h_badge, h_compared, h_gallery, h_fakes, h_report_html, h_report_json, h_raw, review_product]
                for event in (open_button.click(open_check, [check_number, language], opened, **BROWSE),
                              history.select(history_row_picked, [language], [check_number, *opened], **BROWSE)):
                    event.then(fakes_gallery_shown, h_fakes, h_fakes, **BROWSE)
                    event.success(lambda: (gr.update(interactive=True),) * 2, None, [h_report_html, h_report_json],
                                  **BROWSE)
                review_button.click(save_review, [check_number, review_verdict, review_note, review_add,
                                                  review_product, language], review_message,
                                    api_visibility="private", concurrency_id="change", concurrency_limit=1)

            with tr(gr.Tab(t("tab_batch"), id="batch"), "tab_batch"):
                batch_intro = gr.Markdown(t("batch_intro"))
                localized.append((batch_intro, "batch_intro", "value", "{}"))
                with gr.Row():
                    batch_manifest = tr(gr.File(label=t("batch_manifest"), file_types=[".csv"], type="filepath",
                                                elem_id="batch-manifest"),
                                        "batch_manifest")
                    batch_files = tr(gr.File(label=t("batch_files"), file_count="multiple",
                                             file_types=["image", ".zip"], type="filepath", elem_id="batch-files"),
                                     "batch_files")
                batch_button = tr(gr.Button(t("batch_run"), variant="primary", elem_id="batch-run"), "batch_run", "value")
                batch_summary = gr.Markdown()
                batch_table = gr.HTML(elem_id="batch-table")
                with gr.Row():
                    batch_csv = tr(gr.DownloadButton(t("batch_csv"), elem_id="batch-csv"), "batch_csv")
                    batch_jsonl = tr(gr.DownloadButton(t("batch_jsonl")), "batch_jsonl")
                batch_results = gr.JSON(visible=False)  # the API's first output: every case's verdict as data
                batch_button.click(run_batch, [batch_manifest, batch_files, language],
                                   [batch_results, batch_summary, batch_table, batch_csv, batch_jsonl], api_name="batch",
                                   concurrency_id="batch", concurrency_limit=1)  # its own lane (ui.fairness)

            with tr(gr.Tab(t("tab_catalog"), id="catalog"), "tab_catalog"):
                with gr.Row(equal_height=True):
                    login_name = tr(gr.Textbox(label=t("username"), elem_id="login-name", scale=2), "username")
                    login_password = tr(gr.Textbox(label=t("password"), type="password", elem_id="login-password",
                                                   scale=2), "password")
                    login_button = tr(gr.Button(t("login"), elem_id="login-button", scale=1), "login", "value")
                    logout_button = tr(gr.Button(t("logout"), scale=1), "logout", "value")
                login_status = gr.Markdown(t("logged_out"), elem_id="login-status")
                with gr.Row():
                    product_query = tr(gr.Textbox(label=t("product_search"), scale=3), "product_search")
                    product_search = tr(gr.Button(t("search"), scale=1), "search", "value")
                products = tr(gr.Dataframe(products_table("", "en"), label=t("products_table"), interactive=False,
                                           elem_id="products-table"), "products_table")
                with gr.Row():
                    product_to_show = tr(gr.Dropdown(service.product_choices(), value=None, label=t("product_to_show"),
                                                     filterable=True, allow_custom_value=True, scale=3,
                                                     elem_id="product-to-show"), "product_to_show")
                    show_button = tr(gr.Button(t("show"), scale=1, elem_id="show-button"), "show", "value")
                shown_ids = gr.State([])
                ref_gallery = tr(gr.Gallery(label=t("references"), columns=6, height="auto", allow_preview=False,
                                            elem_classes=["fit-gallery"],
                                            elem_id="ref-gallery"), "references")
                ref_table = tr(gr.Dataframe(show_references("", "en")[1], label=t("references_table"),
                                            interactive=False), "references_table")
                with tr(gr.Accordion(t("edit_title"), open=False, elem_id="edit-accordion"), "edit_title"):
                    with gr.Row():
                        edit_name = tr(gr.Textbox(label=t("product_name"), elem_id="edit-name"), "product_name")
                        edit_brand = tr(gr.Textbox(label=t("brand"), elem_id="edit-brand"), "brand")
                    edit_label_text = tr(gr.Textbox(label=t("label_text"), lines=2), "label_text")
                    edit_gtins = tr(gr.Textbox(label=t("gtins"), elem_id="edit-gtins"), "gtins")
                    edit_button = tr(gr.Button(t("save_product"), elem_id="save-product"), "save_product", "value")
                with tr(gr.Accordion(t("add_title"), open=False, elem_id="add-accordion"), "add_title"):
                    add_files = tr(gr.File(label=t("add_photos"), file_count="multiple", file_types=["image"],
                                           type="filepath", elem_id="add-photos"), "add_photos")
                    with gr.Row():
                        add_product = tr(gr.Textbox(label=t("product_id"), elem_id="add-product"), "product_id")
                        add_name = tr(gr.Textbox(label=t("product_name")), "product_name")
                        add_brand = tr(gr.Textbox(label=t("brand")), "brand")
                    with gr.Row():
                        add_label = tr(gr.Radio(label_choices("en"), value="genuine", label=t("label")), "label")
                        localized_choices.append((add_label, label_choices))
                        add_view = tr(gr.Textbox(label=t("view")), "view")
                    add_button = tr(gr.Button(t("add"), variant="primary", elem_id="add-button"), "add", "value")
                with tr(gr.Accordion(t("import_title"), open=False), "import_title"):
                    import_manifest = tr(gr.File(label=t("import_manifest"), file_types=[".csv"], type="filepath"),
                                         "import_manifest")
                    import_files = tr(gr.File(label=t("import_files"), file_count="multiple",
                                              file_types=["image", ".zip"], type="filepath"), "import_files")
                    import_button = tr(gr.Button(t("import")), "import", "value")
                with tr(gr.Accordion(t("serials_title"), open=False, elem_id="serials-accordion"), "serials_title"):
                    serials_help = gr.Markdown(t("serials_help"))
                    localized.append((serials_help, "serials_help", "value", "{}"))
                    with gr.Row():
                        serials_file = tr(gr.File(label=t("serials_file"), file_types=[".csv"], type="filepath",
                                                  elem_id="serials-file"), "serials_file")
                        serials_kind = tr(gr.Radio(serial_kind_choices("en"), value="issued", label=t("serials_kind")),
                                          "serials_kind")
                        localized_choices.append((serials_kind, serial_kind_choices))
                    serials_button = tr(gr.Button(t("serials_import"), elem_id="serials-import"), "serials_import",
                                        "value")
                    with gr.Row():
                        stamp_template = tr(gr.Textbox(label=t("stamp_template"), scale=3), "stamp_template")
                        stamp_button = tr(gr.Button(t("stamp_add"), scale=1), "stamp_add", "value")
                    serials_status = gr.HTML(elem_id="serials-status")
                with tr(gr.Accordion(t("remove_title"), open=False, elem_id="remove-accordion"), "remove_title"):
                    with gr.Row():
                        remove_ids = tr(gr.Textbox(label=t("remove_ids"), scale=3, elem_id="remove-ids"), "remove_ids")
                        remove_ids_button = tr(gr.Button(t("remove_refs"), variant="stop", scale=1,
                                                         elem_id="remove-refs"), "remove_refs", "value")
                    with gr.Row():
                        remove_pid = tr(gr.Dropdown(service.product_choices(), value=None, label=t("remove_product"),
                                                    filterable=True, allow_custom_value=True, scale=3),
                                        "remove_product")
                        remove_pid_button = tr(gr.Button(t("remove_product_button"), variant="stop", scale=1),
                                               "remove_product_button", "value")
                pending_removal = gr.State(None)
                with gr.Group(visible=False, elem_id="confirm-removal") as confirm_box:
                    confirm_text = gr.Markdown()
                    with gr.Row():
                        confirm_button = tr(gr.Button(t("confirm_yes"), variant="stop", elem_id="confirm-yes"),
                                            "confirm_yes", "value")
                        cancel_button = tr(gr.Button(t("cancel"), elem_id="confirm-cancel"), "cancel", "value")
                with gr.Row():
                    undo_text = gr.Markdown(elem_id="undo-text")
                    undo_button = tr(gr.Button(t("undo_removal"), visible=False, elem_id="undo-removal"),
                                     "undo_removal", "value")
                change_message = gr.Markdown(elem_id="change-message")
                with tr(gr.Accordion(t("calibration_title"), open=False), "calibration_title"):
                    calibration = gr.Dataframe(calibration_table("en"), interactive=False)
                with tr(gr.Accordion(t("audit_title"), open=False), "audit_title"):
                    audit_refresh = tr(gr.Button(t("refresh"), elem_id="audit-refresh"), "refresh", "value")
                    audit = gr.Dataframe(audit_table("en"), interactive=False, wrap=True, elem_id="audit-table")

                private = dict(api_visibility="private")
                login = dict(fn=login_done, inputs=[login_name, login_password, language],
                             outputs=[login_status, login_password], js=LOGIN_JS, **BROWSE)
                # History opens to a logged-in user at once, and closes at logout
                for event in (login_button.click(**login), login_password.submit(**login),
                              logout_button.click(login_status_text, [language], login_status, js=LOGOUT_JS,
                                                  **BROWSE)):
                    event.then(history_table, history_inputs, history, **BROWSE) \
                        .then(audit_table, [language], audit, **BROWSE)
                product_search.click(products_table, [product_query, language], products, **BROWSE)
                product_query.submit(products_table, [product_query, language], products, **BROWSE)
                shown_product = [ref_gallery, ref_table, shown_ids, edit_name, edit_brand, edit_label_text, edit_gtins,
                                 remove_pid]
                show_button.click(show_product, [product_to_show, language], shown_product, **BROWSE)
                product_to_show.input(show_product, [product_to_show, language], shown_product, **BROWSE)
                ref_gallery.select(pick_reference, [shown_ids, remove_ids, language], [remove_ids, change_message],
                                   **BROWSE)
                change = dict(concurrency_id="change", concurrency_limit=1, **private)
                after_change = [(products_table, [product_query, language], products),
                                (calibration_table, [language], calibration), (audit_table, [language], audit),
                                (show_references, [product_to_show, language], [ref_gallery, ref_table, shown_ids]),
                                (undo_state, [language], [undo_button, undo_text])]
                remove_ids_button.click(ask_remove_refs, [remove_ids, language],
                                        [pending_removal, confirm_text, confirm_box], **BROWSE)
                remove_pid_button.click(ask_remove_product, [remove_pid, language],
                                        [pending_removal, confirm_text, confirm_box], **BROWSE)
                cancel_button.click(cancel_removal, [language], [pending_removal, change_message, confirm_box],
                                    **BROWSE)
                confirmed = confirm_button.click(confirm_removal, [pending_removal, language],
                                                 [pending_removal, change_message, confirm_box], **change)
                confirmed = confirmed.success(lambda: "", None, remove_ids, **BROWSE)
                for event in (
                    add_button.click(add_photos, [add_files, add_product, add_name, add_brand, add_label,
                                                  add_view, language], change_message, **change),
                    import_button.click(import_products, [import_manifest, import_files, language],
                                        change_message, **change),
                    confirmed,
                    undo_button.click(undo_removal, [language], change_message, **change),
                    edit_button.click(save_product, [product_to_show, edit_name, edit_brand, edit_label_text,
                                                     edit_gtins, language], change_message, **change),
                ):
                    for fn, inputs, output in after_change:
                        event = event.success(fn, inputs, output, **BROWSE)
                    event.success(catalog_choices, None, [claimed, product_to_show, remove_pid], **BROWSE)
                audit_refresh.click(audit_table, [language], audit, **BROWSE)
                for event in (serials_button.click(import_serials, [serials_file, serials_kind, language], serials_status,
                                                   **change),
                              stamp_button.click(add_stamp, [stamp_template, language], serials_status, **change)):
                    event.success(audit_table, [language], audit, **BROWSE)

            with tr(gr.Tab(t("tab_status"), id="status"), "tab_status") as status_tab:
                status = gr.Markdown(status_text("en"), elem_id="status")
                status_refresh = tr(gr.Button(t("refresh")), "refresh", "value")
                status_refresh.click(status_text, [language], status, **BROWSE)
                status_tab.select(status_text, [language], status, **BROWSE)  # never stale when opened
                with tr(gr.Accordion(t("check_report_title"), open=False, elem_id="check-report-accordion"),
                        "check_report_title"):
                    check_report_help = gr.Markdown(t("check_report_help"))
                    localized.append((check_report_help, "check_report_help", "value", "{}"))
                    report_file = tr(gr.File(label=t("check_report_file"), file_types=[".html", ".json"],
                                             type="filepath", elem_id="check-report-file"), "check_report_file")
                    report_verdict = gr.HTML(elem_id="check-report-result")  # escaped text, never markup
                report_file.upload(check_report, [report_file, language], report_verdict, **BROWSE)

        components = [c for c, _, _, _ in localized] + [c for c, _ in localized_choices]
        # the language is remembered per browser; everything a page shows is read when it opens
        saved_language = gr.BrowserState("en", storage_key="verifier-language")
        page_outputs = [claimed, product_to_show, remove_pid, products, calibration, audit, status, login_status,
                        undo_button, undo_text, serials_status]
        # Gradio words its upload areas when they are drawn: the ones already drawn are drawn again
        uploads = [photos, batch_manifest, batch_files, add_files, import_manifest, import_files, serials_file]
        language.change(relabel, language, components, js=LOCALE_JS, **BROWSE) \
            .then(lambda chosen: chosen, language, saved_language, **BROWSE) \
            .then(lambda: [gr.update(visible=False)] * len(uploads), None, uploads, **BROWSE) \
            .then(lambda: [gr.update(visible=True)] * len(uploads), None, uploads, **BROWSE) \
            .then(show_references, [product_to_show, language], [ref_gallery, ref_table, shown_ids], **BROWSE) \
            .then(page_data, [product_query, language], page_outputs, **BROWSE) \
            .then(history_table, history_inputs, history, **BROWSE)
        demo.load(None, None, None, js=EARLIER_CHECK_JS, **BROWSE)
        demo.load(lambda saved: saved if saved in ("en", "vi") else "en", saved_language, language, **BROWSE) \
            .then(page_data, [product_query, language], page_outputs, **BROWSE) \
            .then(history_table, history_inputs, history, **BROWSE)
    return demo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--catalog", default=None, help="catalog folder (default: the demo catalog, built on first run)")
    parser.add_argument("--model", default=None, help="model for building the demo catalog (default auto)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all cores)")
    parser.add_argument("--max-upload-mb", type=int, default=64, help="largest upload accepted (default 64 MB)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")

    catalog_dir = Path(args.catalog) if args.catalog else DEMO_CATALOG
    if args.catalog is None:
        ensure_demo_catalog(catalog_dir, args.model)
    save_stale_calibration(catalog_dir)
    catalog, embedder = connect(catalog_dir, threads=args.threads)
    import atexit
    import os
    import shutil
    import signal

    from ui.service import sweep_work_dirs

    if sweep_work_dirs():
        log.warning("removed work folders left by earlier runs that did not stop cleanly")
    service = Service(Verifier(catalog, embedder), Users())
    atexit.register(shutil.rmtree, service.work_dir, True)  # reports and batch files of this run
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stopped by a service manager: clean up too
    keep_days = float(os.environ.get("VERIFIER_KEEP_CHECKS_DAYS", "365"))
    if keep_days > 0 and (pruned := service.history.prune(keep_days)):
        log.warning("removed %d checks older than %g days (VERIFIER_KEEP_CHECKS_DAYS)", pruned, keep_days)
    if not service.users.configured:
        log.warning("no catalog users configured (VERIFIER_ADMIN_USER/VERIFIER_ADMIN_PASSWORD or "
                    "VERIFIER_USERS_FILE): the catalog can be browsed, not changed")
    demo = build_app(service)
    # api_open=False: /gradio_api/run/{api} runs only the browsing events directly; a check, a batch
    # or a change joins the queue (and its per-client budget, ui.fairness), whatever route it comes by
    demo.queue(default_concurrency_limit=1, max_size=64, api_open=False)
    import uvicorn

    # Only Gradio's own upload cache and the app's download folder are served: nothing else on disk.
    app = gr.mount_gradio_app(web_app(service), demo, path="/", allowed_paths=[str(service.work_dir / "downloads"),
                                                                              str(catalog_dir / "thumbs")],
                              show_error=True, css=CSS, max_file_size=f"{args.max_upload_mb}mb",
                              i18n=gr.I18n(vi=GRADIO_VI, en=GRADIO_EN), footer_links=["api"])
    # one layer around everything served: body sizes, origins, the queue budget, closed routes
    app = Guard(app, service.limits, JoinLimiter(jobs=service.limits.queue_jobs))
    log.warning("serving at http://%s:%d/", args.host, args.port)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", **uvicorn_proxy_settings())


def web_app(service: Service):
    """The routes beside the Gradio page: logging in and out, with the session in a cookie."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from fastapi import FastAPI
    from fastapi.responses import JSONResponse

    api = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    login_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="login")

    @api.post("/session/login")
    async def session_login(request: Request):
        # JSON only: a page of another site can send text/plain or a form without asking first,
        # never JSON (ui.guard refuses what a browser marks as another site's anyway); the body is
        # at most 4 KB (ui.guard, counted as it arrives)
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            return JSONResponse({"outcome": "login_failed"}, status_code=415)
        body = await request.body()
        if len(body) > service.limits.login_body_kb * 1024:  # ui.guard cut it off already when it wraps the app
            return JSONResponse({"outcome": "login_failed"}, status_code=413)
        try:
            data = json.loads(body or b"{}")
            name, password = str(data.get("name", "")), str(data.get("password", ""))
        except (ValueError, AttributeError):
            return JSONResponse({"outcome": "login_failed"}, status_code=400)
        try:  # the password check (PBKDF2, ~0.1 s) in a small pool of its own, off the event loop
            token = await asyncio.get_running_loop().run_in_executor(
                login_pool, service.sessions.login, name, password, address_of(request))
        except LoginRefused as refused:
            return JSONResponse({"outcome": refused.key}, status_code=429 if refused.key == "login_locked" else 401)
        response = JSONResponse({"outcome": "ok"})
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https",
                            path="/")
        return response

    @api.post("/session/logout")
    async def session_logout(request: Request):
        service.sessions.logout(token_of(request))
        response = JSONResponse({"outcome": "logged_out"})
        response.delete_cookie(COOKIE, path="/")
        return response

    return api


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:  # a clear line for the person who started the app
        from index.cli import USER_ERRORS

        if isinstance(exc, USER_ERRORS):
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(2)
        raise
