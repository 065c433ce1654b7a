"""The Dashboard tab (supervisors, administrators): checks per day by verdict and the most-flagged
products as plots (Gradio's own Vega-Lite plots: where a person would rather look than read), the
most-flagged places, checks per inspector and why checks were inconclusive as tables; filters by
dates, place, product and inspector; the figures as a CSV. Counted by SQLite in
``ui.service.Service.dashboard``, which refuses other roles whatever route the request comes by."""

from __future__ import annotations

import html
from datetime import datetime

import gradio as gr
import pandas as pd

from index.storing.accounts import AccountError
from index.storing.dashboard import VERDICTS
from ui.i18n import flag, number, outcome, short_day, t, timezone_name
from ui.service import NotAllowed
from ui.tabs.common import BROWSE, Page, _frame, utc_window

#: The verdicts' colours on the plots: the badge's own.
COLOURS = {"genuine": "#1e7d32", "suspicious": "#b26a00", "counterfeit": "#c62828", "unknown": "#6b6b6b"}


def offset_minutes() -> int:
    """Minutes from UTC to the deployment's time zone now (days are counted in local time)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        offset = datetime.now(ZoneInfo(timezone_name())).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return 0
    return int(offset.total_seconds() // 60) if offset else 0


def legend_html(language: str) -> str:
    """The verdicts' colours on the per-day plot, in the reader's words."""
    keys = "".join(f'<span class="dash-key"><i style="background:{COLOURS[v]}"></i>{html.escape(outcome(v, language))}'
                   f'</span>' for v in VERDICTS)
    return f'<div class="dash-legend">{keys}</div>'


#: The longest product id written whole under the products plot: a longer one, slanted, ran out of
#: the plot's frame on a phone (a helper's walk: "d-Morgon-Orange-Juice").
AXIS_LABEL_CHARS = 16


def short_labels(names: list[str], chars: int = AXIS_LABEL_CHARS) -> dict[str, str]:
    """Each name as the axis writes it: cut to ``chars`` with "…", or as much longer as it takes to
    tell it from another name that starts the same (two names must never become one bar)."""
    shown = {}
    for name in names:
        keep = chars - 1
        while keep < len(name) and any(other != name and other[:keep] == name[:keep] for other in names):
            keep += 1
        shown[name] = name if len(name) <= max(keep, chars) else name[:keep] + "…"
    return shown


def build(page: Page, **shared):
    """Lay out the tab inside the page's ``gr.Tabs`` and wire its events; returns what other tabs and the page use."""
    service, tr, language = page.service, page.tr, page.language

    def empty(language, key):
        # the plots are not given an empty table: Gradio's plot drawn empty once draws no bars afterwards
        return (t(key, language), gr.update(), legend_html(language), gr.update(),
                _frame([], [t("dash_place", language), t("dash_checks", language)]),
                _frame([], [t("dash_inspector", language), t("dash_checks", language)]),
                _frame([], [t("dash_reason", language), t("dash_checks", language)]),
                gr.update(value=None, interactive=False))

    def show(since, until, place, product, inspector, language, request: gr.Request):
        user = page.session_user(request)
        if not service.allowed(user, "dashboard"):
            return empty(language, "dash_login")
        try:
            window = utc_window(since, until)
        except ValueError:
            return empty(language, "history_bad_date")
        try:
            figures = service.dashboard(user, window[0], window[1], place or "", product or "", inspector or "",
                                        offset_minutes())
        except (NotAllowed, AccountError):  # a role that lost the right since the page opened
            return empty(language, "dash_login")
        day, checks = t("dash_day", language), t("dash_checks", language)
        # the plots' columns keep fixed names (the plot is drawn with them); the titles are the reader's
        # days as the page's date boxes write them (01/12), in the order they came
        days = sorted({d for d, _, _ in figures.per_day})
        spans_years = len({d[:4] for d in days}) > 1
        axis = {d: short_day(d, spans_years) for d in days}
        per_day = pd.DataFrame([[axis[d], outcome(v, language), n] for d, v, n in figures.per_day],
                               columns=["day", "verdict", "checks"])
        product_col = t("claimed_short", language)
        axis_products = short_labels([p for p, _ in figures.flagged_products])
        products = pd.DataFrame([[axis_products.get(p, p), n] for p, n in figures.flagged_products],
                                columns=["product", "checks"])
        places = _frame(figures.flagged_places, [t("dash_place", language), checks])
        # on a phone four columns: who, checks, flagged (suspicious or counterfeit), inconclusive
        inspectors = _frame([[who, n, suspicious + counterfeit, unknown]
                             for who, n, _, suspicious, counterfeit, unknown in figures.per_inspector],
                            [t("dash_inspector", language), checks, t("dash_flagged", language),
                             t("dash_inconclusive", language)])
        why = _frame([[flag(f, language), n] for f, n in figures.inconclusive_why], [t("dash_reason", language), checks])
        share = 100 * figures.inconclusive / figures.total if figures.total else 0.0
        summary = t("dash_summary", language, total=figures.total, inconclusive=figures.inconclusive,
                    share=number(share, language, 1))
        names = {"total": t("dash_total", language), "inconclusive": outcome("unknown", language),
                 "per_day": t("dash_per_day", language), "flagged_products": t("dash_products", language),
                 "flagged_places": t("dash_places", language), "per_inspector": t("dash_inspectors", language),
                 "inconclusive_why": t("dash_why", language)}
        csv_path = service.dashboard_csv(figures, names)
        # an empty table is sent as no table (Gradio's plot drawn empty once draws no bars afterwards)
        per_day, products = (per_day if len(per_day) else None), (products if len(products) else None)
        return (summary, gr.update(value=per_day, x_title=day, y_title=checks, sort=[axis[d] for d in days] or None),
                legend_html(language),
                gr.update(value=products, x_title=product_col, y_title=checks),
                places, inspectors, why, gr.update(value=str(csv_path), interactive=True))

    # shown to the roles that may read it, from login to logout (app.py: ``tabs_shown``)
    with tr(gr.Tab(t("tab_dashboard"), id="dashboard", elem_id="dashboard-tab", visible=False), "tab_dashboard") as tab:
        with gr.Row():
            since = tr(gr.Textbox(label=t("history_since"), placeholder="01/12/2026", min_width=120,
                                  elem_id="dash-since"), "history_since")
            until = tr(gr.Textbox(label=t("history_until"), placeholder="31/12/2026", min_width=120,
                                  elem_id="dash-until"), "history_until")
            place = tr(gr.Textbox(label=t("dash_place"), min_width=120, elem_id="dash-place"), "dash_place")
            product = tr(gr.Textbox(label=t("claimed_short"), min_width=120, elem_id="dash-product"), "claimed_short")
            inspector = tr(gr.Textbox(label=t("dash_inspector"), min_width=120, elem_id="dash-inspector"),
                           "dash_inspector")
        with gr.Row():
            refresh = tr(gr.Button(t("dash_show"), variant="primary", elem_id="dash-show", min_width=120), "dash_show",
                         "value")
            csv = tr(gr.DownloadButton(t("dash_csv"), interactive=False, elem_id="dash-csv", min_width=120), "dash_csv")
        summary = gr.Markdown(elem_id="dash-summary")
        per_day = tr(gr.BarPlot(None, x="day", y="checks",
                                # the verdicts in both languages: a colour map sent again with the other
                                # language's words left the bars uncoloured, so none were drawn (a helper's
                                # walk: the page switched to Vietnamese after a first draw in English)
                                color="verdict", color_map={outcome(v, lang): COLOURS[v] for v in VERDICTS
                                                            for lang in ("en", "vi")},
                                label=t("dash_per_day"), x_label_angle=-45, elem_id="dash-per-day", height=280,
                                y_lim=[0, None], colors_in_legend=[]),
                     "dash_per_day")
        # the plot's own legend sat below its frame, cut off (a helper's walk: only its title showed)
        legend = gr.HTML(legend_html("en"), elem_id="dash-legend")
        products = tr(gr.BarPlot(None, x="product", y="checks",
                                 label=t("dash_products"), x_label_angle=-45, elem_id="dash-products", height=280,
                                 sort="-y", y_lim=[0, None]), "dash_products")
        with gr.Row():
            places = tr(gr.Dataframe(label=t("dash_places"), interactive=False, wrap=True, elem_id="dash-places"),
                        "dash_places")
            why = tr(gr.Dataframe(label=t("dash_why"), interactive=False, wrap=True, elem_id="dash-why"), "dash_why")
        inspectors = tr(gr.Dataframe(label=t("dash_inspectors"), interactive=False, wrap=True,
                                     elem_id="dash-inspectors"), "dash_inspectors")
        inputs = [since, until, place, product, inspector, language]
        outputs = [summary, per_day, legend, products, places, inspectors, why, csv]
        for event in (refresh.click, tab.select, *(box.submit for box in (since, until, place, product, inspector))):
            event(show, inputs, outputs, **BROWSE)
    return dict(dashboard_show=show, dashboard_inputs=inputs, dashboard_outputs=outputs, tab=tab)
