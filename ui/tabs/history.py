"""The History tab: past checks searched and opened, and their review."""

from __future__ import annotations

import html

import gradio as gr

from index.storing.accounts import AccountError
from ui.service import NotAllowed
from ui.tabs.common import added_words, refusal, user_error

from index.verdict import OUTCOMES
from ui.i18n import local_time, outcome, t, zone_words
from ui.render import BADGE_COLOURS, product_label
from ui.tabs.common import (BROWSE, Page, _error, _frame, _plain, add_as_choices, review_choices, source_choices,
                            utc_window, verdict_choices)


#: Photo names shown on a History card: enough to tell the item's photos apart.
CARD_PHOTOS = 4


def verdict_words(record, language: str) -> str:
    """The verdict, and what a review made of it: "SUSPICIOUS → GENUINE-LOOKING" when overturned,
    "SUSPICIOUS (confirmed on review)" when kept (an arrow to the same verdict read as a change)."""
    said = outcome(record.verdict, language)
    if not record.review_verdict:
        return said
    if record.review_verdict == record.verdict:
        return f"{said} ({t('review_confirmed', language)})"
    return f"{said} → {outcome(record.review_verdict, language)}"


def history_cards(records, language: str) -> str:
    """The checks as cards, for a phone (issue 26: at 390 px the table showed number, time and a
    cut verdict): number and time, the verdict, the product, case and place, the photos' names in
    full (three "God-Morgo… .jpg" told nothing apart), the inspector. A tap opens the check
    (``app.EARLIER_CHECK_JS``). Everything in it comes from users: escaped."""
    esc = html.escape
    if not records:
        return _plain(t("history_none", language))
    cards = []
    for r in records:
        verdict = esc(verdict_words(r, language))
        product = product_label(r.result, r.claimed_product_id or r.product_id) \
            if (r.claimed_product_id or r.product_id) else ""
        names = [p.name for p in r.photos[:CARD_PHOTOS]] + ([f"+{len(r.photos) - CARD_PHOTOS}"]
                                                             if len(r.photos) > CARD_PHOTOS else [])
        colour = BADGE_COLOURS.get(r.review_verdict or r.verdict, "#333")
        top = f'<b>#{r.check_id}</b> · {esc(local_time(r.checked_at, language, short=True))}'
        if r.review_verdict:  # a reviewed verdict is long: a line of its own, not floated into the product's
            lines = [f'<div class="top">{top}</div>', f'<div class="verdict" style="color:{colour}">{verdict}</div>']
        else:
            lines = [f'<div class="top">{top} <span class="verdict" style="color:{colour}">{verdict}</span></div>']
        if product:
            lines.append(f'<div class="product">{esc(product)}</div>')
        where = " · ".join(esc(x) for x in (r.case_id, r.place) if x)
        if where:
            lines.append(f'<div class="where">{where}</div>')
        if names:
            lines.append('<div class="photos">' + ", ".join(esc(n) for n in names) + "</div>")
        who = " · ".join(esc(x) for x in (r.inspector, r.account) if x)
        if who:
            lines.append(f'<div class="who">{who}</div>')
        cards.append(f'<li data-check-id="{int(r.check_id)}" role="button" tabindex="0">' + "".join(lines) + "</li>")
    return '<ul class="history-cards">' + "".join(cards) + "</ul>"


def build(page: Page, **shared):
    """Lay out the tab inside the page's ``gr.Tabs`` and wire its events; returns what other tabs and the page use."""
    service = page.service
    tr = page.tr
    localized = page.localized
    localized_choices = page.localized_choices
    language = page.language
    session_user = page.session_user
    history_open = page.history_open
    show_check = page.show_check
    fakes_gallery_shown = page.fakes_gallery_shown
    def history_table(text, verdict, since, until, who, source, language, request: gr.Request):
        """The checks found, as a table (a wide screen) and as cards (a phone: ``history_cards``)."""
        def notice(key):
            return _frame([[t(key, language)]], [t("history_table", language)]), _plain(t(key, language))

        if not history_open(request):
            return notice("history_login")
        try:
            window = utc_window(since, until)
        except ValueError:
            return notice("history_bad_date")
        records = service.visible_checks(session_user(request), text=text or "", verdict=verdict or None,
                                         since=window[0], until=window[1], inspector=who or None,
                                         source=source or None)
        rows = [[r.check_id, local_time(r.checked_at, language, short=True),
                 verdict_words(r, language),
                 product_label(r.result, r.claimed_product_id) if r.claimed_product_id else "", r.case_id or "",
                 r.inspector, t("source_" + r.source, language),
                 r.notes[:80]]
                for r in records]
        columns = ["#", t("col_checked_local", language, zone=zone_words(language)), t("verdict", language),
                   t("claimed_short", language), t("col_case", language), t("col_inspector", language), t("col_source", language),
                   t("col_notes", language)]
        return _frame(rows, columns), history_cards(records, language)

    def history_row_picked(language, evt: gr.SelectData, request: gr.Request):
        """A click on a History row opens that check."""
        row = evt.row_value or []
        try:
            number = int(row[0])
        except (IndexError, TypeError, ValueError):
            return (gr.update(),) * 13
        return (number, *open_check(number, language, request))

    def open_check(check_id, language, request: gr.Request):
        return (*shown_check(check_id, language, request), None, "", "none", "")  # the review form, emptied

    def shown_check(check_id, language, request: gr.Request):
        def refused(sentence):  # in the badge's place: browsing events show no error toast, only a red "Error"
            return (f'<p class="history-notice">{html.escape(sentence)}</p>', "", [], [], None, None, "", "")

        if not history_open(request):
            return refused(t("history_login", language))
        try:
            number = int(check_id or 0)
        except (TypeError, ValueError, OverflowError):  # NaN, infinity
            number = 0
        record = service.history.get(number) if 0 < number < 2**62 else None  # 1e30: no such check, no traceback
        # another inspector's check (or another unit's) reads as one that does not exist
        if record is None or not service.may_see(session_user(request), record):
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
            raise _error(t("review_login", language), language)
        if verdict not in OUTCOMES:
            raise _error(t("review_pick", language), language)
        try:
            summary = service.review(user, int(check_id or 0), verdict, note or "", add_as if add_as != "none" else None,
                                     product_id)
        except (NotAllowed, AccountError) as exc:
            raise _error(refusal(exc, language), language) from None
        except (KeyError, ValueError) as exc:  # no such check, no product to add its photos to: said in the page's language
            raise _error(user_error(exc, language), language) from None
        message = t("reviewed", language, check_id=int(check_id), verdict=outcome(verdict, language), user=user)
        if summary is not None:  # the product the photos went to, by name (the box may have been left empty)
            record = service.history.get(int(check_id))
            message += " " + added_words(summary, service.review_target(record, product_id, add_as), language)
        return message

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
        cards = gr.HTML(elem_id="history-cards")  # the same checks on a phone (app.CSS shows one or the other)
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
                review_verdict = tr(gr.Radio(review_choices("en"), value=None, label=t("review_verdict"),
                                             elem_id="review-verdict"),
                                    "review_verdict")
                localized_choices.append((review_verdict, review_choices))
                review_note = tr(gr.Textbox(label=t("review_note"), lines=2, elem_id="review-note"), "review_note")
                review_add = tr(gr.Radio(add_as_choices("en"), value="none", label=t("review_add")),
                                "review_add")
                localized_choices.append((review_add, add_as_choices))
                review_product = tr(gr.Textbox(label=t("review_product")), "review_product")
                review_button = tr(gr.Button(t("save_review"), variant="primary", elem_id="review-save"), "save_review", "value")
                review_message = gr.Markdown(elem_id="review-message")
        history_inputs = [history_query, history_verdict, history_since, history_until, history_who,
                          history_source, language]
        shown = [history, cards]
        history_button.click(history_table, history_inputs, shown, **BROWSE)
        history_tab.select(history_table, history_inputs, shown, **BROWSE)  # the checks made since
        for box in (history_query, history_since, history_until, history_who):
            box.submit(history_table, history_inputs, shown, **BROWSE)
        for box in (history_verdict, history_source):
            box.input(history_table, history_inputs, shown, **BROWSE)
        # the review form starts empty for each check opened, in the same update (a helper's walk: the
        # last check's choices and "check #10 reviewed" stayed beside "no check #99999")
        opened = [h_badge, h_compared, h_gallery, h_fakes, h_report_html, h_report_json, h_raw, review_product,
                  review_verdict, review_note, review_add, review_message]
        for event in (open_button.click(open_check, [check_number, language], opened, **BROWSE),
                      history.select(history_row_picked, [language], [check_number, *opened], **BROWSE)):
            event.then(fakes_gallery_shown, h_fakes, h_fakes, **BROWSE)
            event.success(lambda: (gr.update(interactive=True),) * 2, None, [h_report_html, h_report_json],
                          **BROWSE)
        review_button.click(save_review, [check_number, review_verdict, review_note, review_add,
                                          review_product, language], review_message,
                            api_visibility="private", concurrency_id="change", concurrency_limit=1)
    return dict(history=shown, history_inputs=history_inputs, history_table=history_table)
