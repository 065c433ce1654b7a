"""The Verify tab: photos, the claim, case and place in; the verdict card, the side by side, the evidence
and the case files out (and the ``/verify`` API)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import gradio as gr

from index.judging.messages import PHOTO_SOURCES
from index.judging.views import CAPTURE_CONTEXTS
from ui.i18n import t
from ui.render import capture_checklist, view_key, view_words
from ui.limits import LimitExceeded
from ui.tabs.common import (BROWSE, Page, _code_text, _error, _limit_message, _paths, _plain, api_result,
                            photo_problems, photos_usable)


#: Seconds within which the same check sent again from the same page is the same check.
REPEAT_S = 15.0

def photos_of_choices(language: str) -> list[tuple[str, str]]:
    return [(t("photos_of_" + kind, language), kind) for kind in PHOTO_SOURCES]


def build(page: Page, **shared):
    """Lay out the tab inside the page's ``gr.Tabs`` and wire its events; returns what other tabs and the page use."""
    service = page.service
    tr = page.tr
    localized = page.localized
    localized_choices = page.localized_choices
    language = page.language
    anonymous_client = page.anonymous_client
    show_check = page.show_check
    fakes_gallery_shown = page.fakes_gallery_shown
    #: (session, what was sent) -> (time, check id) of the last check of each page: the same request
    #: again within REPEAT_S (a double click, a second tap while the first runs) answers with the same
    #: check instead of keeping a second one (issue 26: a double click kept two checks)
    recent: dict = {}
    recent_lock = threading.Lock()

    def verify(files, claimed, inspector, notes, language, case_id, place, views="", photos_of="item",
               request: gr.Request = None):
        """The Verify button and the ``/verify`` API: the verdict as structured JSON first (the
        fields of ``verify.py``, with ``check_id``), then what the page shows. ``views``: the view
        of each photo, comma-separated, as the inspector corrects them (empty: the catalog assigns).
        ``photos_of``: "item" (in hand) or "listing" (a seller's photos): the steps the card gives."""
        paths = _paths(files)
        if not paths:  # the validator says so on the page; an API call without photos gets it here
            raise _error(t("need_photo", language), language)
        source = "api" if request is not None and request.headers.get("x-gradio-user") == "api" else "app"
        given = [view_key(v) for v in (views or "").split(",")] if (views or "").strip() else None
        session = getattr(request, "session_hash", None)
        key = (session, tuple(paths), claimed, inspector, notes, case_id, place, views, photos_of)
        with recent_lock:
            now = time.monotonic()
            for old in [k for k, (at, _) in recent.items() if now - at > REPEAT_S]:
                del recent[old]
            seen = recent.get(key) if session else None
        if seen is not None and (record := service.history.get(seen[1])) is not None:
            return (api_result(record.result, record.check_id), *show_check(record, language), record.check_id,
                    language)
        try:
            record = service.check(paths, claimed, notes or "", inspector or "", case_id=case_id or None,
                                   place=place or "", source=source, client=anonymous_client(request), views=given,
                                   account=page.session_user(request) or "", photos_of=photos_of or "item")
        except LimitExceeded as exc:
            raise _error(_limit_message(exc, language), language) from None
        if session:
            with recent_lock:
                recent[key] = (time.monotonic(), record.check_id)
        return (api_result(record.result, record.check_id), *show_check(record, language), record.check_id,
                language)

    def photos_checked(files, claimed, inspector, notes, language, case_id, place, views="", photos_of="item"):
        """Before a check: no photo, or only files that are not photos, is said beside the photos in
        the page's language (a validation message, not an error: no red "Error" on every output)."""
        message = photos_usable(_paths(files), language)
        return [gr.validate(not message, message)] + [gr.validate(True, "")] * 8

    def views_used(check_id, language):
        """After a check, the views box shows the view each photo was compared as, in the reader's
        words ("box label", "nhãn hộp"; typed back, ``view_key`` reads them), for the inspector
        to correct and check again. A step of its own, so the /verify API's outputs stay the verdict
        and what the page shows (the README's example unpacks them)."""
        record = service.history.get(int(check_id)) if check_id else None
        # a shop or catalog photo names no part of the item: left empty (the catalog assigns it again)
        assigned = [("" if v in CAPTURE_CONTEXTS else view_words(v, language))
                    for v in (record.result.get("details", {}).get("views", []) if record else [])]
        used = ", ".join(assigned) if any(assigned) else ""
        return gr.update(value=used, visible=bool(used) or views_shown())

    def redraw_if_switched(check_id, started_in, language):
        """A language switched while the check ran: its card is drawn again in the page's language."""
        record = service.history.get(int(check_id)) if check_id and started_in and started_in != language else None
        if record is None:
            return (gr.update(),) * 7
        return show_check(record, language)

    def views_shown() -> bool:
        """The views box is shown when the catalog has learnt views of its items (box label, insole
        ...), not only how photos were taken (shop, catalog, seized: nothing to correct there)."""
        head = service.verifier.calibration.view_head
        return head is not None and any(view not in CAPTURE_CONTEXTS for view in head.views)

    def scan_photos(files, claimed_now, language):
        """Guided capture: read the barcodes of the photos just added; a code that names one catalog
        product preselects it as the claim (a claim already chosen is kept). What a code says is a
        counterfeiter's text: shown escaped and cut short, never as Markdown or HTML (a QR code
        holding a Markdown link or image put a link or a tracking image on the inspector's page)."""
        paths = _paths(files)
        if not paths:
            return gr.update(), ""
        problems = photo_problems(paths, language)
        if problems:  # said at once, in the page's language, next to the photos and in a toast
            gr.Warning(" ".join(problems.values()))  # titled in the page's language by ui.gradio_text.TOAST_CSS
            paths = [p for p in paths if p not in problems]
        problem_lines = [f"⚠ {line}" for line in problems.values()]
        if not paths:
            return gr.update(), _plain(*problem_lines)
        findings, named = service.scan_codes(paths)
        if not findings:
            return gr.update(), _plain(*problem_lines, t("scan_none", language))
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
        return choice, _plain(*problem_lines, *(f"• {line}" for line in lines))

    def checklist_for(product_id, language):
        """The capture checklist of the claimed product: its views, those where its known fakes
        differ first (issue 24); the general one for no claim or a product whose references name no
        part of it."""
        name, views = service.capture_views(product_id)
        return capture_checklist(name, views, language)

    def reports_ready():
        """After a check: its reports can be downloaded; photos added now join the same item."""
        return gr.update(interactive=True), gr.update(interactive=True), gr.update(visible=True)

    def new_item():
        """Another item: its photos, claim and notes start empty and the last verdict goes away (the
        case number, place and inspector stay: one inspection, several items)."""
        cleared = gr.update(value=None, interactive=False)
        return (None, None, "", "", "", "", [], gr.update(value=[], visible=False), cleared, cleared, "",
                gr.update(visible=False), "")

    current_check = shared['current_check']
    checked_language = shared['checked_language']  # the language a check was started in
    with tr(gr.Tab(t("tab_verify"), id="verify"), "tab_verify"):
        with gr.Row():
            with gr.Column(scale=1, min_width=300):
                photos = tr(gr.File(label=t("photos"), file_count="multiple", type="filepath", elem_id="photos"),
                            "photos")  # photos only: PHOTO_PICKER_JS, photo_problems
                # what to photograph: the claimed product's views once it is chosen (checklist_for)
                checklist = gr.Markdown(capture_checklist("", [], "en"), elem_id="capture-checklist")
                scan_note = gr.HTML(elem_id="scan-note")  # escaped text only: codes are anyone's to write
                claimed = tr(gr.Dropdown(service.product_choices(), value=None, label=t("claimed"),
                                         filterable=True, allow_custom_value=True, elem_id="claimed"), "claimed")
                # an item in hand or a seller's listing: a consumer cannot "check the item by hand"
                photos_of = tr(gr.Radio(photos_of_choices("en"), value="item", label=t("photos_of"),
                                        elem_id="photos-of"), "photos_of")
                localized_choices.append((photos_of, photos_of_choices))
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
        shown, queries = shared.get("examples") or [], shared.get("queries")
        if shown:
            # short chips in no one's language: the photo, an arrow, the product claimed (— none)
            labels = [f"{Path(name).stem.split('_claimed-as-')[0]} → {claim or '—'}" for name, claim in shown]
            demo_photos = gr.Examples([[[str(queries / name)], claim] for name, claim in shown],
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
                                                      place, views, photos_of],
                                      outputs=[verify_result, *verify_outputs, current_check, checked_language],
                                      api_name="verify", concurrency_id="check", concurrency_limit=1,
                                      validator=photos_checked)
        checked.success(views_used, [current_check, language], views, **BROWSE)
        checked.success(redraw_if_switched, [current_check, checked_language, language], verify_outputs, **BROWSE)
        checked.then(fakes_gallery_shown, fakes, fakes, **BROWSE)  # the API gets the list, never an update
        checked.success(reports_ready, None, [report_html, report_json, new_item_hint], **BROWSE)
        new_item_button.click(new_item, None, [photos, claimed, notes, scan_note, *verify_outputs,
                                               new_item_hint, views], **BROWSE)
        # the checklist follows the claim (chosen, read off a barcode, cleared) and the language
        claimed.change(checklist_for, [claimed, language], checklist, **BROWSE)
        language.change(checklist_for, [claimed, language], checklist, **BROWSE)
    return dict(photos=photos, claimed=claimed)
