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
from ui.auth import Users
from ui.i18n import LANGUAGE_CHOICES, t
from ui.render import EVIDENCE_CSS, badge_html, evidence_items, region_overlay
from ui.service import LimitExceeded, Service
from ui.fairness import JoinLimiter, add_queue_limit
from ui.sessions import COOKIE, LoginRefused, address_of, token_of

ROOT = Path(__file__).resolve().parent
DEMO_MANIFEST = ROOT / "demo" / "products.csv"
DEMO_CATALOG = ROOT / "catalogs" / "demo"
DEMO_QUERIES = ROOT / "demo" / "queries"

CSS = """
.badge{color:#fff;padding:4px 12px;border-radius:6px;font-weight:700;font-size:1.3em;display:inline-block}
.verdict .why{font-size:1.08em;margin:.5em 0}
.verdict .flag{background:#eef;border-radius:4px;padding:1px 6px;margin-right:4px;white-space:nowrap}
.verdict .retake{background:#fff4e5;border-left:4px solid #b26a00;padding:4px 10px;margin:6px 0}
.check-no{color:#666;margin-left:8px}
""" + EVIDENCE_CSS

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


def ensure_demo_catalog(catalog_dir: Path = DEMO_CATALOG, model: str | None = None) -> None:
    """Build the demo catalog from demo/products.csv unless it is already complete."""
    rows = read_products(DEMO_MANIFEST)
    if Catalog.exists(catalog_dir):
        with Catalog.open(catalog_dir) as catalog:
            current = len(catalog) >= len(rows) and catalog.setting(READING_SETTING) is not None
        if current:
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
    if tune_in_background_if_due(catalog_dir):
        log.warning("fitting the model to the demo catalog in the background (a few minutes; checks use the "
                    "current model until it is done; progress in %s/tuning.log)", catalog_dir)


FIELD_LABELS = {"claimed": "claimed_short", "inspector": "col_inspector", "notes": "col_notes", "case_id": "col_case"}


def user_error(exc: BaseException) -> str:
    """An error as a sentence for the page: the server's temporary folders cut down to the file's
    own name, and nothing in it rendered as HTML (a manifest's cells come from the uploader)."""
    text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
    temp = re.escape(tempfile.gettempdir().rstrip("/"))
    text = re.sub(temp + r"/[^\s:'\"]*/([^/\s:'\"]+)", r"\1", str(text))
    return html.escape(text)


def _limit_message(exc: LimitExceeded, language: str) -> str:
    args = dict(exc.args_)
    if "field" in args:
        args["field"] = t(FIELD_LABELS.get(args["field"], args["field"]), language)
    return t(exc.key, language, **args)


def _paths(files) -> list[str]:
    return [f if isinstance(f, str) else f.name for f in (files or [])]


def _frame(rows: list[list], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def build_app(service: Service) -> gr.Blocks:
    catalog = service.catalog
    # (component, text key, attribute, format): what the language switch rewrites
    localized: list[tuple[gr.components.Component | gr.Tab, str, str, str]] = []

    def tr(component, key: str, attr: str = "label", fmt: str = "{}"):
        localized.append((component, key, attr, fmt))
        return component

    # ---- handlers --------------------------------------------------------------------------

    def show_check(record, language):
        result = record.result
        genuine = evidence_items(catalog, result, language, "genuine")
        fakes = evidence_items(catalog, result, language, "counterfeit")
        photo = record.photos[0].path if record.photos else None
        overlay = region_overlay(result.get("regions"), photo) if result.get("regions") else None
        html_path, json_path = service.report_files(record, language)
        return (badge_html(result, language, record.quality, record.check_id), genuine,
                gr.update(value=fakes, visible=bool(fakes)), overlay, str(html_path), str(json_path),
                json.dumps(record.to_dict(), indent=2, ensure_ascii=False))

    def verify(files, claimed, inspector, notes, language):
        paths = _paths(files)
        if not paths:
            raise gr.Error(t("need_photo", language))
        try:
            record = service.check(paths, claimed, notes or "", inspector or "")
        except LimitExceeded as exc:
            raise gr.Error(_limit_message(exc, language)) from None
        return (*show_check(record, language), record.check_id)

    def history_open(request) -> bool:
        """Who may see the History: its checks hold inspectors' names, notes, case ids and photos.
        Logged-in users; everyone where no user is configured (a single-user laptop) or
        VERIFIER_OPEN_HISTORY=1 says so."""
        return service.history_is_open or session_user(request) is not None

    def history_table(text, verdict, language, request: gr.Request):
        if not history_open(request):
            return _frame([[t("history_login", language)]], [t("history_table", language)])
        rows = [[r.check_id, r.checked_at, r.verdict + (f" → {r.review_verdict}" if r.review_verdict else ""),
                 r.product_id or "", r.claimed_product_id or "", r.case_id or "", r.inspector, r.notes[:80]]
                for r in service.history.search(text or "", verdict or None)]
        columns = ["#", t("col_checked", language), t("verdict", language), t("identified", language),
                   t("claimed_short", language), t("col_case", language), t("col_inspector", language),
                   t("col_notes", language)]
        return _frame(rows, columns)

    def open_check(check_id, language, request: gr.Request):
        def refused(sentence):  # in the badge's place: browsing events show no error toast, only a red "Error"
            return (f'<p class="history-notice">{html.escape(sentence)}</p>', [], gr.update(value=[], visible=False),
                    None, None, None, "", "")

        if not history_open(request):
            return refused(t("history_login", language))
        try:
            number = int(check_id or 0)
        except (TypeError, ValueError, OverflowError):  # NaN, infinity
            number = 0
        record = service.history.get(number) if 0 < number < 2**62 else None  # 1e30: no such check, no traceback
        if record is None:
            return refused(t("no_check", language, check_id=check_id))
        return (*show_check(record, language), record.claimed_product_id or record.product_id or "")

    def save_review(check_id, verdict, note, add_as, product_id, language, request: gr.Request):
        user = session_user(request)
        if not user:
            raise gr.Error(t("need_login", language))
        try:
            summary = service.review(user, int(check_id or 0), verdict, note or "", add_as if add_as != "none" else None,
                                     product_id)
        except (KeyError, ValueError) as exc:
            raise gr.Error(str(exc)) from None
        message = t("reviewed", language, check_id=int(check_id), verdict=verdict, user=user)
        if summary is not None:
            message += " " + t("added_refs", language, added=summary.added, product=product_id,
                               present=summary.already_present)
        return message

    def run_batch(manifest, files, language, progress=gr.Progress()):
        paths = _paths(files)
        if not paths and not manifest:
            raise gr.Error(t("batch_empty", language))
        try:
            result = service.check_batch(manifest if isinstance(manifest, str) or manifest is None else manifest.name,
                                         paths, progress=lambda done, total: progress((done, total), unit="cases"))
        except LimitExceeded as exc:
            raise gr.Error(_limit_message(exc, language)) from None
        except (ValueError, RuntimeError) as exc:  # manifest and upload errors name the file and the reason
            raise gr.Error(user_error(exc)) from None
        counts = ", ".join(f"{t('outcome_' + k, language).lower()} {v}" for k, v in sorted(result.counts.items()))
        table = _frame([r[:8] for r in result.rows], ["case_id", "photos", t("claimed_short", language),
                                                      t("verdict", language), t("score", language),
                                                      t("identified", language), t("flags", language), t("why", language)])
        return (t("batch_summary", language, cases=len(result.rows), counts=counts), table, str(result.csv_path),
                str(result.jsonl_path))

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
        items = []
        for ref in refs:
            thumb = catalog.thumbnail_path(ref.sha256)
            if thumb.is_file():
                items.append((str(thumb), f"#{ref.image_id} · {t('label_' + ref.label, language)}"
                                          + (f" · {ref.view}" if ref.view else "")))
        rows = [[r.image_id, r.label, r.view, r.name, r.brand, Path(r.source_path).name, r.added_at] for r in refs]
        return items, _frame(rows, [t("col_image", language), t("label", language), t("view", language),
                                    t("product_name", language), t("brand", language), "file", "added"])

    def guarded(action):
        """Run a catalog change for the logged-in user; errors become messages a person can act on."""
        def handler(*args):
            *inputs, request = args  # Gradio passes the request last (the signature below says so)
            language = inputs[-1]
            user = session_user(request)
            if not user:
                raise gr.Error(t("need_login", language))
            try:
                return action(user, *inputs)
            except (ValueError, KeyError, RuntimeError, OSError) as exc:
                raise gr.Error(user_error(exc)) from None
        # Gradio finds special arguments by signature and type hints: the action's inputs, then the request
        inputs = list(inspect.signature(action).parameters.values())[1:]
        handler.__signature__ = inspect.Signature(
            inputs + [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=gr.Request)])
        handler.__annotations__ = {"request": gr.Request}
        return handler

    @guarded
    def add_photos(user, files, product_id, name, brand, label, view, language):
        summary = service.add_references(user, _paths(files), product_id, label, name or "", brand or "", view or "")
        return _import_message(summary, language, product_id)

    @guarded
    def import_products(user, manifest, files, language):
        if not manifest:
            raise ValueError("upload a products manifest (CSV)")
        summary = service.import_manifest(user, manifest if isinstance(manifest, str) else manifest.name, _paths(files))
        return _import_message(summary, language, "")

    @guarded
    def remove_refs(user, ids_text, language):
        try:
            ids = [int(x) for x in (ids_text or "").replace(" ", ",").split(",") if x.strip()]
        except ValueError:
            raise ValueError(f"image ids are whole numbers separated by commas, not {ids_text!r}") from None
        if not ids:
            raise ValueError("no image ids given")
        return t("removed", language, removed=service.remove_references(user, ids))

    @guarded
    def remove_product(user, product_id, language):
        return t("removed", language, removed=service.remove_product(user, product_id))

    def _import_message(summary, language, product_id):
        message = t("added_refs", language, added=summary.added, product=product_id or "—",
                    present=summary.already_present)
        if summary.unreadable:
            message += "\n" + "\n".join(f"- {Path(p).name}: {reason}" for p, reason in summary.unreadable)
        return message

    def calibration_table(language):
        return _frame(service.calibration_rows(), [t("product_id", language), t("references", language), "level",
                                                   "claim threshold"])

    def audit_table(language):
        return _frame(service.audit_rows(), ["#", "at (UTC)", t("username", language), "action", "details"])

    def status_text(language):
        return t("status_body", language, **service.status())

    def claim_choices():
        return gr.update(choices=service.product_choices())

    def relabel(language):
        updates = []
        for component, key, attr, fmt in localized:
            updates.append(gr.update(**{attr: fmt.format(t(key, language))}))
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
                        claimed = tr(gr.Dropdown(service.product_choices(), value=None, label=t("claimed"),
                                                 filterable=True, allow_custom_value=True, elem_id="claimed"), "claimed")
                        inspector = tr(gr.Textbox(label=t("inspector"), elem_id="inspector"), "inspector")
                        notes = tr(gr.Textbox(label=t("notes"), lines=3, elem_id="notes"), "notes")
                        verify_button = tr(gr.Button(t("verify"), variant="primary", elem_id="verify-button"),
                                           "verify", "value")
                    with gr.Column(scale=2, min_width=300):
                        badge = gr.HTML(elem_id="verdict")
                        gallery = tr(gr.Gallery(label=t("evidence"), columns=4, height="auto", elem_id="evidence"),
                                     "evidence")
                        fakes = tr(gr.Gallery(label=t("fakes"), columns=4, height="auto", visible=False,
                                              elem_id="fakes"), "fakes")
                        heatmap = tr(gr.Image(label=t("heatmap"), type="pil", interactive=False, elem_id="heatmap"),
                                     "heatmap")
                        with gr.Row():
                            report_html = tr(gr.DownloadButton(t("report_html"), elem_id="report-html"),
                                             "report_html")
                            report_json = tr(gr.DownloadButton(t("report_json"), elem_id="report-json"),
                                             "report_json")
                        with gr.Accordion("JSON", open=False):
                            raw = tr(gr.Code(label=t("raw"), language="json"), "raw")
                examples = sorted(str(p) for p in DEMO_QUERIES.glob("*.jpg"))[:6] \
                    if catalog.path.resolve() == DEMO_CATALOG.resolve() else []
                if examples:
                    gr.Examples([[[p]] for p in examples], inputs=[photos], label="Demo")
                verify_outputs = [badge, gallery, fakes, heatmap, report_html, report_json, raw]
                verify_button.click(verify, inputs=[photos, claimed, inspector, notes, language],
                                    outputs=[*verify_outputs, current_check], api_name="verify",
                                    concurrency_id="check", concurrency_limit=1)

            with tr(gr.Tab(t("tab_history"), id="history"), "tab_history"):
                with gr.Row():
                    history_query = tr(gr.Textbox(label=t("history_search"), scale=3, elem_id="history-query"),
                                       "history_search")
                    history_verdict = tr(gr.Dropdown(["", "genuine", "suspicious", "counterfeit", "unknown"], value="",
                                                     label=t("history_verdict"), scale=1), "history_verdict")
                    history_button = tr(gr.Button(t("search"), scale=1), "search", "value")
                history = tr(gr.Dataframe(label=t("history_table"), interactive=False, wrap=True,
                                          elem_id="history-table"), "history_table")
                with gr.Row():
                    check_number = tr(gr.Number(label=t("open_check"), precision=0, minimum=1, elem_id="check-number"),
                                      "open_check")
                    open_button = tr(gr.Button(t("open")), "open", "value")
                with gr.Row():
                    with gr.Column(scale=2):
                        h_badge = gr.HTML(elem_id="history-badge")
                        h_gallery = tr(gr.Gallery(label=t("evidence"), columns=4, height="auto"), "evidence")
                        h_fakes = tr(gr.Gallery(label=t("fakes"), columns=4, height="auto", visible=False), "fakes")
                        h_heatmap = tr(gr.Image(label=t("heatmap"), type="pil", interactive=False), "heatmap")
                        with gr.Row():
                            h_report_html = tr(gr.DownloadButton(t("report_html")), "report_html")
                            h_report_json = tr(gr.DownloadButton(t("report_json")), "report_json")
                        h_raw = gr.Code(language="json", visible=False)
                    with gr.Column(scale=1):
                        review_title = gr.Markdown(f"### {t('review_title')}")
                        localized.append((review_title, "review_title", "value", "### {}"))
                        review_verdict = tr(gr.Radio(["genuine", "suspicious", "counterfeit", "unknown"], value="genuine",
                                                     label=t("review_verdict")), "review_verdict")
                        review_note = tr(gr.Textbox(label=t("review_note"), lines=2), "review_note")
                        review_add = tr(gr.Radio(["none", "genuine", "counterfeit"], value="none",
                                                 label=t("review_add")), "review_add")
                        review_product = tr(gr.Textbox(label=t("review_product")), "review_product")
                        review_button = tr(gr.Button(t("save_review"), variant="primary"), "save_review", "value")
                        review_message = gr.Markdown()
                history_button.click(history_table, [history_query, history_verdict, language], history,
                                     **BROWSE)
                history_query.submit(history_table, [history_query, history_verdict, language], history,
                                     **BROWSE)
                open_button.click(open_check, [check_number, language],
                                  [h_badge, h_gallery, h_fakes, h_heatmap, h_report_html, h_report_json, h_raw,
                                   review_product], **BROWSE)
                review_button.click(save_review, [check_number, review_verdict, review_note, review_add,
                                                  review_product, language], review_message,
                                    api_visibility="private", concurrency_id="change", concurrency_limit=1)

            with tr(gr.Tab(t("tab_batch"), id="batch"), "tab_batch"):
                batch_intro = gr.Markdown(t("batch_intro"))
                localized.append((batch_intro, "batch_intro", "value", "{}"))
                with gr.Row():
                    batch_manifest = tr(gr.File(label=t("batch_manifest"), file_types=[".csv"], type="filepath"),
                                        "batch_manifest")
                    batch_files = tr(gr.File(label=t("batch_files"), file_count="multiple",
                                             file_types=["image", ".zip"], type="filepath"), "batch_files")
                batch_button = tr(gr.Button(t("batch_run"), variant="primary"), "batch_run", "value")
                batch_summary = gr.Markdown()
                batch_table = tr(gr.Dataframe(label=t("batch_table"), interactive=False, wrap=True), "batch_table")
                with gr.Row():
                    batch_csv = tr(gr.DownloadButton(t("batch_csv")), "batch_csv")
                    batch_jsonl = tr(gr.DownloadButton(t("batch_jsonl")), "batch_jsonl")
                batch_button.click(run_batch, [batch_manifest, batch_files, language],
                                   [batch_summary, batch_table, batch_csv, batch_jsonl], api_name="batch",
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
                    product_to_show = tr(gr.Textbox(label=t("product_to_show"), scale=3), "product_to_show")
                    show_button = tr(gr.Button(t("show"), scale=1), "show", "value")
                ref_gallery = tr(gr.Gallery(label=t("references"), columns=6, height="auto"), "references")
                ref_table = tr(gr.Dataframe(show_references("", "en")[1], label=t("references_table"),
                                            interactive=False), "references_table")
                with tr(gr.Accordion(t("add_title"), open=False, elem_id="add-accordion"), "add_title"):
                    add_files = tr(gr.File(label=t("add_photos"), file_count="multiple", file_types=["image"],
                                           type="filepath", elem_id="add-photos"), "add_photos")
                    with gr.Row():
                        add_product = tr(gr.Textbox(label=t("product_id"), elem_id="add-product"), "product_id")
                        add_name = tr(gr.Textbox(label=t("product_name")), "product_name")
                        add_brand = tr(gr.Textbox(label=t("brand")), "brand")
                    with gr.Row():
                        add_label = tr(gr.Radio(["genuine", "counterfeit"], value="genuine", label=t("label")), "label")
                        add_view = tr(gr.Textbox(label=t("view")), "view")
                    add_button = tr(gr.Button(t("add"), variant="primary", elem_id="add-button"), "add", "value")
                with tr(gr.Accordion(t("import_title"), open=False), "import_title"):
                    import_manifest = tr(gr.File(label=t("import_manifest"), file_types=[".csv"], type="filepath"),
                                         "import_manifest")
                    import_files = tr(gr.File(label=t("import_files"), file_count="multiple",
                                              file_types=["image", ".zip"], type="filepath"), "import_files")
                    import_button = tr(gr.Button(t("import")), "import", "value")
                with tr(gr.Accordion(t("remove_title"), open=False), "remove_title"):
                    with gr.Row():
                        remove_ids = tr(gr.Textbox(label=t("remove_ids"), scale=3), "remove_ids")
                        remove_ids_button = tr(gr.Button(t("remove_refs"), variant="stop", scale=1), "remove_refs", "value")
                    with gr.Row():
                        remove_pid = tr(gr.Textbox(label=t("remove_product"), scale=3), "remove_product")
                        remove_pid_button = tr(gr.Button(t("remove_product_button"), variant="stop", scale=1),
                                               "remove_product_button", "value")
                change_message = gr.Markdown(elem_id="change-message")
                with tr(gr.Accordion(t("calibration_title"), open=False), "calibration_title"):
                    calibration = gr.Dataframe(calibration_table("en"), interactive=False)
                with tr(gr.Accordion(t("audit_title"), open=False), "audit_title"):
                    audit_refresh = tr(gr.Button(t("refresh")), "refresh", "value")
                    audit = gr.Dataframe(audit_table("en"), interactive=False, wrap=True, elem_id="audit-table")

                private = dict(api_visibility="private")
                login = dict(fn=login_done, inputs=[login_name, login_password, language],
                             outputs=[login_status, login_password], js=LOGIN_JS, **BROWSE)
                login_button.click(**login)
                login_password.submit(**login)
                logout_button.click(login_status_text, [language], login_status, js=LOGOUT_JS, **BROWSE)
                product_search.click(products_table, [product_query, language], products, **BROWSE)
                product_query.submit(products_table, [product_query, language], products, **BROWSE)
                show_button.click(show_references, [product_to_show, language], [ref_gallery, ref_table], **BROWSE)
                change = dict(concurrency_id="change", concurrency_limit=1, **private)
                after_change = [(products_table, [product_query, language], products),
                                (calibration_table, [language], calibration), (audit_table, [language], audit)]
                for event in (
                    add_button.click(add_photos, [add_files, add_product, add_name, add_brand, add_label,
                                                  add_view, language], change_message, **change),
                    import_button.click(import_products, [import_manifest, import_files, language],
                                        change_message, **change),
                    remove_ids_button.click(remove_refs, [remove_ids, language], change_message, **change),
                    remove_pid_button.click(remove_product, [remove_pid, language], change_message, **change),
                ):
                    for fn, inputs, output in after_change:
                        event = event.success(fn, inputs, output, **BROWSE)
                    event.success(claim_choices, None, claimed, **BROWSE)
                audit_refresh.click(audit_table, [language], audit, **BROWSE)

            with tr(gr.Tab(t("tab_status"), id="status"), "tab_status"):
                status = gr.Markdown(status_text("en"), elem_id="status")
                status_refresh = tr(gr.Button(t("refresh")), "refresh", "value")
                status_refresh.click(status_text, [language], status, **BROWSE)

        components = [c for c, _, _, _ in localized]
        language.change(relabel, language, components, **BROWSE) \
            .then(status_text, language, status, **BROWSE) \
            .then(login_status_text, [language], login_status, **BROWSE) \
            .then(products_table, [product_query, language], products, **BROWSE) \
            .then(history_table, [history_query, history_verdict, language], history, **BROWSE) \
            .then(show_references, [product_to_show, language], [ref_gallery, ref_table], **BROWSE) \
            .then(calibration_table, [language], calibration, **BROWSE) \
            .then(audit_table, [language], audit, **BROWSE)
        demo.load(history_table, [history_query, history_verdict, language], history, **BROWSE)
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
    demo.queue(default_concurrency_limit=1, max_size=64)
    import uvicorn

    # Only Gradio's own upload cache and the app's download folder are served: nothing else on disk.
    app = gr.mount_gradio_app(web_app(service), demo, path="/", allowed_paths=[str(service.work_dir / "downloads"),
                                                                              str(catalog_dir / "thumbs")],
                              show_error=True, css=CSS, max_file_size=f"{args.max_upload_mb}mb")
    log.warning("serving at http://%s:%d/", args.host, args.port)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


def web_app(service: Service):
    """The routes beside the Gradio page: logging in and out, with the session in a cookie."""
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse

    api = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    add_queue_limit(api, JoinLimiter(jobs=service.limits.queue_jobs))

    @api.post("/session/login")
    async def session_login(request: Request):
        body = await request.body()
        if len(body) > 4096:
            return JSONResponse({"outcome": "login_failed"}, status_code=413)
        try:
            data = json.loads(body or b"{}")
            token = service.sessions.login(str(data.get("name", "")), str(data.get("password", "")),
                                           address_of(request))
        except LoginRefused as refused:
            return JSONResponse({"outcome": refused.key}, status_code=429 if refused.key == "login_locked" else 401)
        except (ValueError, AttributeError):
            return JSONResponse({"outcome": "login_failed"}, status_code=400)
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
