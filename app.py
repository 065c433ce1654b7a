#!/usr/bin/env python
"""Counterfeit product photo verifier: verify, batch-check and manage the catalog in the browser,
in English and Vietnamese.

    python app.py [--catalog CATALOG_DIR] [--host 127.0.0.1] [--port 7860]

With no --catalog, the demo catalog (catalogs/demo) is built from demo/ on the first run.
Accounts and roles (inspector, supervisor, brand owner, administrator) live in the catalog
(ui/accounts.py); VERIFIER_ADMIN_USER and VERIFIER_ADMIN_PASSWORD (or VERIFIER_USERS_FILE, see
ui/auth.py) make the first administrator. VERIFIER_ANONYMOUS_CHECKS=0: checks need a login. The model and the catalog are loaded once
per process; this file only lays out the page; ui/service.py does the work.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import gradio as gr
from fastapi import Request  # at module level: FastAPI resolves the routes' annotations by name

from index import Catalog, Verifier, connect, import_references, read_products
from index.connect import READING_SETTING
from index.importing.tuning import tune_in_background_if_due
from ui.auth import Users
from ui.gradio_text import EN as GRADIO_EN, LOCALE_JS, TOAST_CSS, VI as GRADIO_VI, theme as gradio_theme
from ui.i18n import LANGUAGE_CHOICES, t
from ui.render import EVIDENCE_CSS, serial_register_html
from ui.service import Service
from ui.fairness import JoinLimiter
from ui.guard import Guard
from ui.sessions import COOKIE, LoginRefused, address_of, token_of, uvicorn_proxy_settings
from ui.accounts import Accounts
from ui.tabs import accounts, batch, catalog as catalog_tab, dashboard, history, login, status, verify
from ui.tabs.common import BROWSE, PHOTO_PICKER_JS, Page, api_result, user_error, utc_window  # noqa: F401 - the app's API, as before

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
.dash-legend{display:flex;flex-wrap:wrap;gap:4px 16px;margin:-4px 0 8px 4px;font-size:.9em}
.dash-key{white-space:nowrap}
.dash-key i{display:inline-block;width:12px;height:12px;margin-right:6px;vertical-align:-1px;border-radius:2px}
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
/* History: a table on a wide screen, cards on a phone (issue 26: at 390 px the table showed number,
   time and a cut verdict); a tap on a card opens its check (EARLIER_CHECK_JS) */
#history-cards{display:none}
#history-cards .history-cards{list-style:none;padding:0;margin:0}
#history-cards li{border:1px solid #ddd;border-radius:8px;padding:8px 10px;margin:0 0 8px;cursor:pointer;
  overflow-wrap:anywhere;line-height:1.35}
#history-cards .verdict{font-weight:700;white-space:nowrap} #history-cards .top .verdict{float:right}
#history-cards .product{font-weight:600} #history-cards .where, #history-cards .who{color:#444}
#history-cards .photos{color:#555;font-size:.9em}
@media (max-width:640px){
  #history-table{display:none !important}
  #history-cards{display:block}
}
/* the names of the photos added, in full: Gradio cuts each to its first letters and the extension,
   and a phone showed three identical "God-Morgo… .jpg" */
#photos .file-preview .filename, #add-photos .file-preview .filename, #batch-files .file-preview .filename{
  white-space:normal !important}
#photos .file-preview .stem, #add-photos .file-preview .stem, #batch-files .file-preview .stem{
  white-space:normal !important;overflow:visible !important;text-overflow:clip !important;overflow-wrap:anywhere;
  max-width:none !important}
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

#: A click on the earlier check a card names (a unit code read before), or on a History card (a
#: phone), opens that check in History.
EARLIER_CHECK_JS = """
() => {
  if (window.earlierCheckLinks) return;
  window.earlierCheckLinks = true;
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("#verdict .earlier-check[data-check-id], "
      + "#history-badge .earlier-check[data-check-id], #history-cards li[data-check-id]");
    if (!link) return;
    if (!link.closest("#history-cards")) document.querySelector("#history-tab-button")?.click();
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


def build_app(service: Service) -> gr.Blocks:
    """The page: a title, the language switch and one tab per module of ``ui.tabs``; the language
    switch and the page's first load redraw what every tab shows."""
    page = Page(service)
    tr, localized, localized_choices = page.tr, page.localized, page.localized_choices

    def page_data(query, language, request: gr.Request):
        """What a page shows of the catalog, read now: a product imported by another process since
        the app started is in the claim box and the tables of every page opened after it."""
        return (*the_catalog["catalog_choices"](), the_catalog["products_table"](query, language),
                the_catalog["calibration_table"](language), the_catalog["audit_table"](language, request),
                the_status["status_text"](language), the_login["login_status_text"](language, request),
                *the_catalog["undo_state"](language), serial_register_html(service.serial_register(), language),
                the_status["tuning_text"](language).strip())

    def tabs_shown(request: gr.Request):
        """The Dashboard and Users tabs, for the roles that may use them (issue 26: every visitor saw
        them, to be told to log in; the server refuses the others whatever the page shows)."""
        user = page.session_user(request)
        return (gr.update(visible=service.allowed(user, "dashboard")),
                gr.update(visible=service.allowed(user, "accounts")))

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

    with gr.Blocks(title="Counterfeit photo verifier / Kiểm tra ảnh sản phẩm nghi giả",
                   delete_cache=(1800, 3600)) as demo:
        current_check, checked_language = gr.State(None), gr.State(None)
        with gr.Row(equal_height=True):
            with gr.Column(scale=4):
                title = gr.Markdown(f"# {t('title')}", elem_id="title")
                intro = gr.Markdown(t("intro"), elem_id="intro")
            language = tr(gr.Radio(LANGUAGE_CHOICES, value="en", label=t("language"), elem_id="language", scale=1),
                          "language")
        page.language = language
        the_login = login.build(page)
        localized += [(title, "title", "value", "# {}"), (intro, "intro", "value", "{}")]
        examples = [(name, claim) for name, claim in DEMO_EXAMPLES if (DEMO_QUERIES / name).is_file()] \
            if service.catalog.path.resolve() == DEMO_CATALOG.resolve() else []

        with gr.Tabs():
            the_verify = verify.build(page, current_check=current_check, checked_language=checked_language,
                                      examples=examples, queries=DEMO_QUERIES)
            the_history = history.build(page)
            the_batch = batch.build(page)
            the_catalog = catalog_tab.build(page, claimed=the_verify["claimed"])
            the_status = status.build(page)
            the_dashboard = dashboard.build(page)
            the_accounts = accounts.build(page)

        components = [c for c, _, _, _ in localized] + [c for c, _ in localized_choices]
        # the language is remembered per browser; everything a page shows is read when it opens
        saved_language = gr.BrowserState("en", storage_key="verifier-language")
        c = the_catalog
        page_outputs = [the_verify["claimed"], c["product_to_show"], c["remove_pid"], c["products"], c["calibration"],
                        c["audit"], the_status["status"], the_login["login_status"], c["undo_button"], c["undo_text"],
                        c["serials_status"], c["tuning_note"]]
        # Gradio words its upload areas when they are drawn: the ones already drawn are drawn again
        uploads = [the_verify["photos"], the_batch["batch_manifest"], the_batch["batch_files"], *c["uploads"]]
        history_table, history_inputs, history_frame = (the_history["history_table"], the_history["history_inputs"],
                                                        the_history["history"])
        role_tabs = [the_dashboard["tab"], the_accounts["tab"]]
        the_login["wire"]([(tabs_shown, None, role_tabs),
                           (history_table, history_inputs, history_frame), (c["audit_table"], [language], c["audit"]),
                           (the_accounts["accounts_table"], [language], the_accounts["accounts"]),
                           (the_dashboard["dashboard_show"], the_dashboard["dashboard_inputs"],
                            the_dashboard["dashboard_outputs"])])
        language.change(relabel, language, components, js=LOCALE_JS, **BROWSE) \
            .then(lambda chosen: chosen, language, saved_language, **BROWSE) \
            .then(lambda: [gr.update(visible=False)] * len(uploads), None, uploads, **BROWSE) \
            .then(lambda: [gr.update(visible=True)] * len(uploads), None, uploads, **BROWSE) \
            .then(c["show_references"], [c["product_to_show"], language], [c["ref_gallery"], c["ref_table"],
                                                                         c["shown_ids"]], **BROWSE) \
            .then(page_data, [c["product_query"], language], page_outputs, **BROWSE) \
            .then(history_table, history_inputs, history_frame, **BROWSE)
        demo.load(None, None, None, js=EARLIER_CHECK_JS, **BROWSE)
        demo.load(None, None, None, js=PHOTO_PICKER_JS, **BROWSE)
        demo.load(tabs_shown, None, role_tabs, **BROWSE)  # a page reloaded while logged in
        demo.load(the_login["fields_shown"], None, the_login["fields"], **BROWSE)
        demo.load(lambda saved: saved if saved in ("en", "vi") else "en", saved_language, language, **BROWSE) \
            .then(page_data, [c["product_query"], language], page_outputs, **BROWSE) \
            .then(history_table, history_inputs, history_frame, **BROWSE)
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
    # the agency's accounts live in the catalog; the environment's users become its administrators
    service = Service(Verifier(catalog, embedder), Accounts(catalog_dir, bootstrap=Users()))
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
                              show_error=True, css=CSS, theme=gradio_theme(), max_file_size=f"{args.max_upload_mb}mb",
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
