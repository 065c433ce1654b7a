"""The Batch tab: a manifest and its photos checked as triage, riskiest first (and the ``/batch`` API)."""

from __future__ import annotations


import gradio as gr

from ui.i18n import t
from ui.render import thumbnail_html, triage_html
from ui.limits import LimitExceeded
from ui.tabs.common import BROWSE, Page, _error, _limit_message, _os_sentence, _paths, api_result, user_error


def build(page: Page, **shared):
    """Lay out the tab inside the page's ``gr.Tabs`` and wire its events; returns what other tabs and the page use."""
    service = page.service
    tr = page.tr
    localized = page.localized
    language = page.language
    anonymous_client = page.anonymous_client
    def run_batch(manifest, files, language, request: gr.Request, progress=gr.Progress()):
        paths = _paths(files)
        if not paths and not manifest:
            raise _error(t("batch_empty", language), language)
        try:
            result = service.check_batch(manifest if isinstance(manifest, str) or manifest is None else manifest.name,
                                         paths, progress=lambda done, total: progress((done, total), unit="cases"),
                                         client=anonymous_client(request), account=page.session_user(request) or "")
        except LimitExceeded as exc:
            raise _error(_limit_message(exc, language), language) from None
        except (ValueError, RuntimeError) as exc:  # manifest and upload errors name the file and the reason
            raise _error(user_error(exc, language), language, lasting=True) from None
        except OSError as exc:  # a file that cannot be read or written: its name and why, no path, no traceback
            raise _error(user_error(_os_sentence(exc, language)), language) from None
        counts = ", ".join(f"{t('outcome_' + k, language).lower()} {v}" for k, v in sorted(result.counts.items()))
        return ([api_result(r) for r in result.results], t("batch_summary", language, cases=len(result.rows), counts=counts),
                batch_triage(result, language), str(result.csv_path), str(result.jsonl_path))

    def batch_triage(result, language):
        """The batch as triage: riskiest first, a thumbnail, the verdict and its reason in words,
        and each unreadable or missing photo with its reason."""
        cases = [(result.results[i], thumbnail_html(result.thumbnails[i])) for i in result.by_risk()]
        return triage_html(cases, language)

    with tr(gr.Tab(t("tab_batch"), id="batch"), "tab_batch"):
        batch_intro = gr.Markdown(t("batch_intro"))
        localized.append((batch_intro, "batch_intro", "value", "{}"))
        with gr.Row():
            batch_manifest = tr(gr.File(label=t("batch_manifest"), type="filepath",  # a CSV: PHOTO_PICKER_JS
                                        elem_id="batch-manifest"),
                                "batch_manifest")
            batch_files = tr(gr.File(label=t("batch_files"), file_count="multiple",
                                     type="filepath", elem_id="batch-files"),  # photos or zips: PHOTO_PICKER_JS
                             "batch_files")
        batch_button = tr(gr.Button(t("batch_run"), variant="primary", elem_id="batch-run"), "batch_run", "value")
        batch_summary = gr.Markdown()
        batch_table = gr.HTML(elem_id="batch-table")
        with gr.Row():
            # greyed out until a run has results to download (a helper's walk: they looked ready before)
            batch_csv = tr(gr.DownloadButton(t("batch_csv"), elem_id="batch-csv", interactive=False), "batch_csv")
            batch_jsonl = tr(gr.DownloadButton(t("batch_jsonl"), elem_id="batch-jsonl", interactive=False),
                             "batch_jsonl")
        batch_results = gr.JSON(visible=False)  # the API's first output: every case's verdict as data
        run = batch_button.click(run_batch, [batch_manifest, batch_files, language],
                                 [batch_results, batch_summary, batch_table, batch_csv, batch_jsonl], api_name="batch",
                                 concurrency_id="batch", concurrency_limit=1)  # its own lane (ui.fairness)
        # the downloads open once a run has results (the API's outputs stay the files' paths)
        run.success(lambda: (gr.update(interactive=True),) * 2, None, [batch_csv, batch_jsonl], **BROWSE)
    return dict(batch_manifest=batch_manifest, batch_files=batch_files)
