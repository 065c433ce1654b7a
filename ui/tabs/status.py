"""The Status tab: what the catalog holds and how it is calibrated; a case file checked."""

from __future__ import annotations

import json

from pathlib import Path

import gradio as gr

from ui.i18n import index_words, local_time, outcome, t
from ui.signing import ReportNotVerified
from ui.tabs.common import BROWSE, Page, _plain


def build(page: Page, **shared):
    """Lay out the tab inside the page's ``gr.Tabs`` and wire its events; returns what other tabs and the page use."""
    service = page.service
    tr = page.tr
    localized = page.localized
    language = page.language
    history_open = page.history_open
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
            if exc.reason == "bad_name":  # a photo or a document, not a case file: nothing was tampered with
                return _plain(t("report_not_case_file", language, name=name))
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

    def status_text(language):
        status = service.status()
        # in a reader's words: the catalog's folder name (not the server's path), the kind of search
        # (not FAISS's index string), the model as a sentence (not its name and vector size)
        model = status["model"]
        words = t("model_plain_tuned" if model == "offline-tuned" else "model_plain_offline"
                  if model.startswith("offline") else "model_plain_full", language)
        text = t("status_body", language, **{**status, "catalog": Path(status["catalog"]).name,
                                              "index": index_words(status["index"], language).split(" · ")[0]
                                              + (t("store_shared", language) if status.get("store", "").startswith(
                                                  "Milvus") else ""),
                                              "model": words})
        thin = status["thin"]
        if thin:
            shown = ", ".join(thin[:12]) + (" …" if len(thin) > 12 else "")
            text += "\n\n" + t("status_thin", language, count=len(thin), products=shown)
        return text + tuning_text(language)

    def tuning_text(language):
        """The background fitting of the model, in plain sight (Status and the Catalog tab): that it
        runs, since when, its progress, what changes when it is committed; the last one committed."""
        text = ""
        tuning = service.tuning_state()
        if tuning["running"]:
            text += "\n\n" + t("tuning_running", language,
                                since=local_time(tuning["since"], language, short=True) if tuning["since"] else "—",
                                progress=tuning["progress"] or t("tuning_progress_unknown", language))
        if tuning["last"]:
            details = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in tuning["last"]["details"].items()
                                if isinstance(v, (int, float, str)))
            text += "\n\n" + t("tuning_last", language, at=local_time(tuning["last"]["at"], language, short=True),
                                details=details or "—")
        state = json.loads(service.catalog.setting("tuned_state") or "null")
        if state and state.get("calibrated_after") is not None:
            # what the last tuning changed in calibration: products compared with their own photos
            text += "\n\n" + t("tuning_calibration_change", language, when=local_time(state["at"], language, short=True),
                                before=state["calibrated_before"], after=state["calibrated_after"])
        return text

    with tr(gr.Tab(t("tab_status"), id="status"), "tab_status") as status_tab:
        status = gr.Markdown(status_text("en"), elem_id="status")
        status_refresh = tr(gr.Button(t("refresh")), "refresh", "value")
        status_refresh.click(status_text, [language], status, **BROWSE)
        status_tab.select(status_text, [language], status, **BROWSE)  # never stale when opened
        with tr(gr.Accordion(t("check_report_title"), open=False, elem_id="check-report-accordion"),
                "check_report_title"):
            check_report_help = gr.Markdown(t("check_report_help"))
            localized.append((check_report_help, "check_report_help", "value", "{}"))
            report_file = tr(gr.File(label=t("check_report_file"), type="filepath",  # .html/.json: PHOTO_PICKER_JS
                                     elem_id="check-report-file"), "check_report_file")
            report_verdict = gr.HTML(elem_id="check-report-result")  # escaped text, never markup
        report_file.upload(check_report, [report_file, language], report_verdict, **BROWSE)
    return dict(status=status, status_text=status_text, tuning_text=tuning_text)
