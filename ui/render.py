"""What a person sees of a check: the verdict badge, the evidence pictures, the region map and
the retake advice. Plain functions of a result dict (``Verdict.to_dict()``), shared by the app
and the reports."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import numpy as np
from PIL import Image

from index import Catalog
from index.judging.authenticity import GENUINE_FAKE_SHARE, MIN_FAKES
from index.judging.messages import advice_text

from .i18n import TEXT as TEXT_KEYS
from .i18n import day, flag, local_time, number, outcome, percent, photo_problem, t, verdict_sentence

#: Region similarity drawn fully red / fully green. Measured on the demo queries (in-store photos
#: against genuine references of the same product): 10th percentile of cells 0.19-0.34, median
#: 0.34-0.46, 90th percentile 0.42-0.62; a pasted-in foreign patch scores below 0.2.
RED_AT, GREEN_AT = 0.2, 0.55
BADGE_COLOURS = {"genuine": "#1b7f3b", "suspicious": "#9a5b00", "counterfeit": "#b3261e", "unknown": "#5f6368"}
#: Styles of the evidence section, shared by the app and the reports.
EVIDENCE_CSS = """
.evidence{border-top:1px solid #ddd;margin-top:8px;padding-top:4px}
.evidence h4{margin:4px 0}
.evidence .w{display:inline-block;border-radius:4px;padding:0 5px;margin:1px 2px;font-family:inherit}
.evidence .w.match{background:#d7f0dd;color:#0b4d1e}
.evidence .w.near{background:#fbd5d2;color:#8c1d18;font-weight:700}
.evidence .w.other{background:#eee;color:#555}
.evidence .w.missing{background:#fff;color:#666;text-decoration:line-through;border:1px dashed #999}
.evidence .legend{color:#666;font-size:.85em}
.evidence .rel.bad{color:#8c1d18} .evidence .rel.match{color:#0b4d1e}
.evidence ul.units code{overflow-wrap:anywhere} .evidence ul.units .earlier-check{font-weight:700}
.clones{background:#fdecea;border-left:4px solid #b3261e;padding:4px 10px;margin:6px 0}
.triage tr.clone td.case::before{content:"⧉ ";color:#b3261e}
.next-photos{background:#eef4ff;border-left:4px solid #3060c0;padding:4px 10px;margin:6px 0}
.strength{margin:8px 0}
.strength .scale{display:flex;height:14px;border-radius:7px;overflow:hidden;position:relative;margin:4px 0}
.strength .scale span{flex:1}
.strength .z-against{background:#f4c7c3} .strength .z-unclear{background:#dadce0} .strength .z-supports{background:#b7e1c1}
.strength .marker{position:absolute;top:-3px;width:6px;height:20px;margin-left:-3px;background:#202124;border-radius:3px}
.strength .labels{display:flex;font-size:.8em;color:#444} .strength .labels span{flex:1;text-align:center}
.strength .labels span.on{font-weight:700;color:#202124}
.model-warning{background:#fff4e5;border-left:4px solid #9a5b00;padding:3px 8px;font-size:.9em}
.sbs{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:8px;margin:6px 0}
.sbs figure{margin:0} .sbs img{width:100%;height:auto;border-radius:4px;border:1px solid #ddd}
.sbs figcaption{font-size:.85em;overflow-wrap:anywhere}
.sbs .fake img{border:2px solid #b3261e}
.sbs .print-diff img{border:2px solid #3060c0}
.triage{width:100%;border-collapse:collapse;font-size:.95em}
.triage th{text-align:left;border-bottom:2px solid #ccc;padding:4px 6px}
.triage td{border-bottom:1px solid #e3e3e3;padding:6px;vertical-align:top;overflow-wrap:anywhere}
.triage img.thumb{width:72px;height:72px;object-fit:cover;border-radius:4px}
.triage .errors{color:#b3261e} .triage small{color:#555}
.triage td.verdict, .triage td.check{white-space:nowrap;overflow-wrap:normal}
@media (max-width:640px){
  .triage thead{display:none}
  .triage tr{display:grid;grid-template-columns:80px 1fr;column-gap:8px;border-bottom:1px solid #ddd;padding:6px 0}
  .triage td{border:0;padding:1px 0}
  .triage td.thumb{grid-row:span 6}
  .triage td[data-label]::before{content:attr(data-label) ": ";color:#666}
}
details.technical{margin-top:6px;font-size:.95em} details.technical small{font-size:.95em;color:#555} details.technical summary{cursor:pointer;color:#444}
"""
#: Flags that describe how a verdict was calibrated, not what the photos show: the details section.
#: Leaning genuine, photos that look more like the known fakes than this share of genuine photos
#: do are worth a closer look (said on the card); below it the model reads them as genuine photos.
FAKES_WORTH_A_LOOK = 90.0
TECHNICAL_FLAGS = {"calibrated_at_brand_level", "calibrated_at_catalog_level", "uncalibrated", "insufficient_evidence"}
#: Flags that say how a verdict was calibrated: shown as a plain sentence (``calibration_note_*``).
CALIBRATION_NOTES = {"calibrated_at_brand_level", "calibrated_at_catalog_level", "uncalibrated"}
ZONES = {"counterfeit": "against", "suspicious": "against", "unknown": "unclear", "genuine": "supports"}


def product_label(result: dict, product_id: str | None) -> str:
    """A product as people know it: its name, with the catalog id after it when they differ."""
    if not product_id:
        return "—"
    name = ((result.get("details") or {}).get("product_names") or {}).get(product_id)
    return f"{name} ({product_id})" if name else product_id


def product_name(result: dict, product_id: str | None) -> str:
    """A product's name alone (its id when the catalog gives none): for running text, where the id
    after it would only get in the way."""
    if not product_id:
        return "—"
    return ((result.get("details") or {}).get("product_names") or {}).get(product_id) or product_id


def view_words(view: str, language: str) -> str:
    """The photo's view as the manifest gave it, in the reader's words when it is one we know."""
    key = f"view_{view}"
    return t(key, language) if key in TEXT_KEYS else view


#: At most this many of a product's views in its capture checklist (one photo each is a lot already).
CHECKLIST_VIEWS = 5


def plain_markdown(text: str) -> str:
    """A brand owner's words (a product or view name) as plain text inside Markdown."""
    return "".join("\\" + c if c in "\\`*_{}[]()#+-.!|<>~" else c for c in str(text))


#: The general items of the capture checklist, as the advice after a check names them.
CHECKLIST_GENERAL = (("photo_label", "capture_label"), ("photo_barcode", "capture_barcode"),
                     ("photo_batch_code", "capture_batch"), ("photo_logo", "capture_logo"))


def capture_checklist(product: str, views: list[tuple[str, bool]], language: str) -> str:
    """What to photograph of the item, one photo each: the whole item, then the claimed ``product``'s
    views as its references show them (``views``: (view, whether its known fakes differ there),
    those first), then the label, barcode, batch code and logo where no view already asks for them
    (as the advice after a check does, ``index.judging.views.covered_advice``). With no product
    chosen, or one whose references name no part of it (shop and catalog photos), the general list."""
    from index.judging.views import covered_advice

    views = list(views)[:CHECKLIST_VIEWS]
    covered = covered_advice(view for view, _ in views)
    items = [t("capture_whole", language)]
    items += [t("capture_view_separates" if separates else "capture_view", language,
                view=plain_markdown(view_words(view, language))) for view, separates in views]
    items += [t(key, language) for advice_key, key in CHECKLIST_GENERAL if advice_key not in covered]
    heading = t("capture_heading_for", language, product=plain_markdown(product)) if views \
        else t("capture_heading", language)
    return heading + " " + " · ".join(f"{i}. {item}" for i, item in enumerate(items, 1))


def advice_words(key: str, language: str) -> str | None:
    """What to photograph next, in the reader's words (a ``photo_view:NAME`` with its view as
    ``view_words`` says it)."""
    name, _, view = key.partition(":")
    return advice_text(f"{name}:{view_words(view, language)}" if view else key, language)


def view_key(text: str) -> str:
    """A view as typed back by the inspector (in the words ``view_words`` showed, either language)
    -> the catalog's name for it; any other text as it is."""
    from .i18n import LANGUAGE_CHOICES

    typed = text.strip().casefold()
    for key in TEXT_KEYS:
        if key.startswith("view_") and typed in {t(key, code).casefold() for _, code in LANGUAGE_CHOICES}:
            return key[len("view_"):]
    return text.strip()


def advice(quality: list[dict], language: str) -> list[str]:
    """One sentence per photo problem: [{"name":..., "issues": [...], "short_side": N}, ...]."""
    lines = []
    for photo in quality:
        for issue in photo.get("issues", []):
            lines.append(t(f"quality_{issue}", language, name=photo["name"], side=photo.get("short_side", "?")))
    return lines


def score_help(result: dict, language: str) -> str:
    """What the score means here: 1 - the claim model's probability when the catalog has one."""
    if (result.get("details") or {}).get("claim_probability") is not None and result.get("counterfeit_score") is not None:
        return t("score_from_claim", language)
    return t("score_help", language)


def evidence_strength(result: dict) -> tuple[str, float]:
    """Where the verdict sits on one scale, 0 (points to a fake) to 1 (supports the genuine
    product): the zone is the verdict's own (a green badge is always in the green zone), the
    position within it how strongly the calibrated figures say so."""
    details = result.get("details") or {}
    zone = ZONES[result["verdict"]]
    claim, accept = details.get("claim_probability"), details.get("accept_at")
    if zone == "against":
        if result["verdict"] == "counterfeit":
            return zone, 0.05
        p, alpha = details.get("genuine_p_value"), details.get("false_alarm_rate")
        share = min(1.0, p / alpha) if p is not None and alpha else 0.5
        return zone, 0.05 + 0.25 * share
    if zone == "unclear":
        if "resembles_known_fakes" in result.get("flags", ()):
            return zone, 0.38  # it leans toward the fakes: the fake side of "not enough to tell"
        if "not_clear_of_known_fakes" in result.get("flags", ()):
            return zone, 0.45  # leaning genuine, not clear of the fakes: short of the middle
        share = min(1.0, claim / accept) if claim is not None and accept else 0.5
        return zone, 0.38 + 0.24 * share
    share = min(1.0, max(0.0, (claim - accept) / (1 - accept))) if claim is not None and accept is not None \
        and accept < 1 else 0.5
    return zone, 0.72 + 0.25 * share


def strength_html(result: dict, language: str) -> str:
    zone, position = evidence_strength(result)
    esc = html.escape
    labels = "".join(f'<span class="{"on" if z == zone else ""}">{esc(t("zone_" + z, language))}</span>'
                     for z in ("against", "unclear", "supports"))
    return (f'<div class="strength" data-zone="{zone}" data-position="{position:.2f}">'
            f'<b>{esc(t("strength_title", language))}:</b> {esc(t("zone_" + zone, language))}'
            '<div class="scale"><span class="z-against"></span><span class="z-unclear"></span>'
            f'<span class="z-supports"></span><i class="marker" style="left:{100 * position:.0f}%"></i></div>'
            f'<div class="labels">{labels}</div></div>')


def model_words(model: str | None, language: str) -> str:
    """The model in an inspector's words (its identifier stays in the record)."""
    model = model or "?"
    if model.startswith("offline"):
        return t("model_plain_tuned" if model == "offline-tuned" else "model_plain_offline", language)
    return t("model_plain_full", language)


def model_html(model: str | None, language: str) -> str:
    """Which model made the verdict, in plain words (its identifier in ``data-model``); a warning
    when it is the offline fallback rather than the full image model."""
    esc = html.escape
    model = model or "?"
    if model.startswith("offline"):
        words = t("model_offline", language, tuned=t("model_tuned", language) if model == "offline-tuned" else "")
        return f'<p class="model-warning" data-model="{esc(model)}">⚠ {esc(t("model_line", language, model=words))}</p>'
    return f'<p class="model" data-model="{esc(model)}">{esc(t("model_line", language, model=t("model_plain_full", language)))}</p>'


def technical_html(result: dict, language: str) -> str:
    """The calibration figures behind the verdict, folded away: the score, the claim model's
    probability against the acceptance threshold, the p-value and what it was calibrated on."""
    esc = html.escape
    details = result.get("details") or {}
    target = product_label(result, result.get("product_id") or result.get("claimed_product_id")
                           or (result.get("details") or {}).get("identified_product_id"))
    score = result.get("counterfeit_score")
    lines = [f'{esc(t("score", language))}: <b>{"—" if score is None else number(score, language)}</b> '
             f'<small>({esc(score_help(result, language))})</small>']
    if details.get("claim_probability") is not None and details.get("accept_at") is not None:
        lines.append(esc(t("claim_line", language, prob=number(details["claim_probability"], language),
                           product=target, accept=number(details["accept_at"], language))))
    if details.get("genuine_p_value") is not None:
        level = details.get("calibration_level") or "none"
        level_words = t("level_" + level, language) if "level_" + level in TEXT_KEYS else level
        lines.append(esc(t("p_line", language, pct=percent(details["genuine_p_value"], language), product=target,
                           level=level_words)))
    lines += [esc(t("calibration_note_" + f, language)) for f in result.get("flags", []) if f in CALIBRATION_NOTES]
    technical = [flag(f, language) for f in result.get("flags", []) if f in TECHNICAL_FLAGS - CALIBRATION_NOTES]
    if technical:
        lines.append(f'{esc(t("flags", language))}: ' + esc(", ".join(technical)))
    return (f'<details class="technical"><summary>{esc(t("technical_details", language))}</summary>'
            + "".join(f"<p>{line}</p>" for line in lines) + "</details>")


def badge_html(result: dict, language: str, quality: list[dict] | None = None, check_id: int | None = None) -> str:
    """One verdict card: the badge, one sentence, the strength of the evidence on the badge's own
    scale, what was compared, the model; calibration figures in a details section."""
    verdict = result["verdict"]
    flags = [flag(f, language) for f in result.get("flags", []) if f not in TECHNICAL_FLAGS]
    errors = [f"{Path(e['path']).name}: {photo_problem(e['reason'], language)}" for e in result.get("errors", [])]
    tips = advice(quality or [], language)
    esc = html.escape
    # nothing was compared with a claimed product the catalog lacks: the photos only look like one
    target = None if "claimed_product_not_in_catalog" in result.get("flags", []) \
        else result.get("product_id") or result.get("claimed_product_id")
    # what the photos look like most (the head's first product), shown only when it is not the
    # product judged: a Bravo photo claimed as God Morgon must not read "identified: God Morgon"
    identified = (result.get("details") or {}).get("identified_product_id") or result.get("product_id")
    parts = [
        f'<div class="verdict" data-verdict="{verdict}">',
        f'<span class="badge" style="background:{BADGE_COLOURS[verdict]}">{esc(outcome(verdict, language))}</span>',
        (f' <span class="check-no">{esc(t("check_no", language))} #{check_id}</span>' if check_id else ""),
        f'<p class="why">{esc(verdict_sentence(result, language))}</p>',
        strength_html(result, language),
    ]
    compared = []
    if target:
        compared.append(f'{esc(t("compared_with", language))}: <b>{esc(product_label(result, target))}</b>')
    if identified and identified != target:
        words = t("looks_most_like", language)
        words = words if compared else words[:1].upper() + words[1:]
        compared.append(f'{esc(words)}: <b>{esc(product_label(result, identified))}</b>')
    if compared:
        parts.append('<p class="compared">' + " · ".join(compared) + "</p>")
    if flags:
        # chips side by side, no commas between them (a comma hung at the line's end on a phone)
        parts.append(f'<p>{esc(t("flags", language))}: ' + " ".join(f'<span class="flag">{esc(f)}</span>' for f in flags) + "</p>")
    if tips:
        parts.append(f'<div class="retake"><b>{esc(t("retake", language))}</b><ul>'
                     + "".join(f"<li>{esc(tip)}</li>" for tip in tips) + "</ul></div>")
    parts.append(next_photos_html(result, language))
    if errors:
        parts.append(f'<p>{esc(t("unreadable", language))}:</p><ul>' + "".join(f"<li>{esc(e)}</li>" for e in errors) + "</ul>")
    parts.append(evidence_html(result, language))
    parts.append(model_html(result.get("model"), language))
    parts.append(technical_html(result, language))
    parts.append("</div>")
    return "".join(parts)


def triage_html(cases: list[tuple[dict, str]], language: str) -> str:
    """A batch as a triage table, in the order given (riskiest first): thumbnail, verdict, case,
    why (with each photo that could not be checked and its reason, and the flags), claimed
    product, score, check number. Listings that carry the same unit code (a copied code) are one
    group: named together above the table, and next to each other in it. On a phone each case
    becomes a card."""
    esc = html.escape
    head = [t("col_photo", language), t("verdict", language), t("col_case_or_photos", language), t("why", language),
            t("claimed_short", language), t("score", language), "#"]

    def name(case):
        return case.get("case_id") or ", ".join(case.get("photos", [])) or "?"

    # a copied unit code: its listings as one group, placed where the riskiest of them is
    groups = clone_groups([case for case, _ in cases])
    group_of = {position: members for _, members in groups for position in members}
    order, placed = [], set()
    for position in range(len(cases)):
        if position not in placed:
            members = group_of.get(position, [position])
            order += [m for m in members if m not in placed]
            placed.update(members)
    clones = ""
    if groups:
        lines = []
        for code, members in groups:
            listings = ", ".join(esc(name(cases[m][0])) + (f" (#{int(cases[m][0]['check_id'])})"
                                                           if cases[m][0].get("check_id") else "") for m in members)
            lines.append(f"<li><code>{esc(code[:SHOWN_CODE])}</code>: {listings}</li>")
        clones = f'<div class="clones"><b>{esc(t("clones_title", language))}</b><ul>' + "".join(lines) + "</ul></div>"
    rows = []
    for position in order:
        case, thumb = cases[position]
        members = group_of.get(position)
        clone_note, css = "", ' class="clone"' if members else ""
        if members and position != members[0]:
            clone_note = f'<br><small class="errors">{esc(t("clone_of", language, case=name(cases[members[0]][0])))}</small>'
        verdict = case["verdict"]
        score = case.get("counterfeit_score")
        errors = "".join(f'<br><span class="errors">✗ {esc(e["path"])}: {esc(photo_problem(e["reason"], language))}</span>'
                         for e in case.get("errors", []))
        # how the verdict was calibrated is no warning on a row (a green row "calibrated at catalog
        # level" read as "Cảnh báo": issue 26); checks kept before still carry it as a flag: not shown
        # here, the card's technical details say it in a sentence
        flags = [flag(f, language) for f in case.get("flags", []) if f not in TECHNICAL_FLAGS]
        flag_text = f'<br><small>{esc(t("flags", language))}: {esc(", ".join(flags))}</small>' if flags else ""
        # the sentence ends "as advised below": the advice is in the row, as on the card
        tips = [text for text in (advice_words(a, language) for a in case.get("advice", [])) if text]
        if tips:
            heading = "next_photos_listing" if (case.get("details") or {}).get("photos_of") == "listing" \
                else "next_photos"
            flag_text += (f'<br><small class="next-photos">{esc(t(heading, language))} '
                          f'{esc("; ".join(tips))}</small>')
        rows.append(
            f'<tr data-verdict="{verdict}"{css}><td class="thumb">{thumb}</td>'
            f'<td class="verdict"><b style="color:{BADGE_COLOURS[verdict]}">{esc(outcome(verdict, language))}</b></td>'
            f'<td class="case">{esc(case.get("case_id") or ", ".join(case.get("photos", [])))}</td>'
            f'<td class="why">{esc(verdict_sentence(case, language))}{errors}{flag_text}{clone_note}</td>'
            f'<td data-label="{esc(head[4])}">{esc(product_label(case, case.get("claimed_product_id")))}</td>'
            f'<td data-label="{esc(head[5])}">{"—" if score is None else number(score, language)}</td>'
            f'<td class="check" data-label="{esc(t("check_no", language))}">'
            f'{"#" + str(case["check_id"]) if case.get("check_id") else ""}</td></tr>')
    return (clones + '<table class="triage"><thead><tr>' + "".join(f"<th>{esc(h)}</th>" for h in head)
            + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def side_by_side_html(catalog: Catalog, result: dict, photos: list[tuple[str, str]], language: str,
                      max_photos: int = 4, side: int = 360, heading: str = "h4") -> str:
    """Each checked photo next to the best genuine reference of the product judged and, when the
    catalog has one, the nearest seized fake; the region map of the first photo on demand.
    ``photos``: (path, name) of the photos kept with the check."""
    esc = html.escape
    # the product judged; with no product judged (inconclusive, nothing claimed), the one the
    # photos look most like
    target = result.get("product_id") or result.get("claimed_product_id") \
        or (result.get("details") or {}).get("identified_product_id")
    matches = result.get("matches", [])
    genuine = next((m for m in matches if m["label"] == "genuine" and m["product_id"] == target), None)
    # a seized fake of the product judged only: another product's fake beside this photo would mislead
    fake = next((m for m in matches if m["label"] == "counterfeit" and m["product_id"] == target), None)
    refs = catalog.references_by_id(m["image_id"] for m in (genuine, fake) if m is not None)

    def reference_figure(match, css, caption):
        ref = refs.get(match["image_id"]) if match else None
        thumb = catalog.thumbnail_path(ref.sha256) if ref else None
        if thumb is None or not thumb.is_file():
            return ""
        with Image.open(thumb) as image:
            uri = data_uri(image, side)
        return (f'<figure class="{css}"><img src="{uri}" alt=""><figcaption>{esc(caption)}<br>'
                f'{esc(t("similarity", language))} {number(match["similarity"], language)} · #{match["image_id"]}'
                "</figcaption></figure>")

    right = ""
    if genuine is not None:
        right += reference_figure(genuine, "genuine", t("sbs_genuine", language, product=product_name(result, genuine["product_id"])))
    if fake is not None:
        right += reference_figure(fake, "fake", t("sbs_fake", language, product=product_name(result, fake["product_id"])))
    rows = []
    regions = result.get("regions")
    aligned_at = _aligned_photo_index(result, photos[:max_photos])
    for index, (path, name) in enumerate(photos[:max_photos]):
        try:
            from vision import load_image

            uri = data_uri(load_image(path, max_side=2 * side), side)
        except Exception:  # noqa: BLE001 - a photo that cannot be drawn is left out
            continue
        figure = (f'<figure class="photo"><img src="{uri}" alt="">'
                  f'<figcaption>{esc(t("sbs_photo", language, name=name))}</figcaption>')
        if index == 0 and regions:
            overlay = region_overlay(regions, path)
            if overlay is not None:
                figure += (f'<details class="regions"><summary>{esc(t("sbs_regions", language))}</summary>'
                           f'<img src="{data_uri(overlay, side)}" alt="" title="{esc(t("heatmap", language))}">'
                           f'<br><small>{esc(t("heatmap", language))}</small></details>')
        printed = print_difference_html(catalog, result, path, language, side) if index == aligned_at else ""
        rows.append(f'<div class="sbs">{figure}</figure>{right}{printed}</div>')
    if not rows:
        return ""
    missing = "" if genuine is not None or not target else \
        f'<p>{esc(t("sbs_no_genuine", language, product=product_name(result, target)))}</p>'
    return (f'<div class="side-by-side"><{heading}>{esc(t("side_by_side", language))}</{heading}>{missing}'
            + "".join(rows) + "</div>")


def _aligned_photo_index(result: dict, photos: list[tuple[str, str]]) -> int:
    """Which of the kept photos was aligned with the genuine print (the first when unknown)."""
    aligned = (result.get("evidence") or {}).get("alignment") or {}
    target = aligned.get("photo")
    for index, (path, name) in enumerate(photos):
        if target and (path == target or name == Path(target).name):
            return index
    return 0


def print_difference_html(catalog: Catalog, result: dict, photo_path: str | None, language: str, side: int = 360) -> str:
    """The flat print compared (``evidence.alignment``): the best-aligned genuine reference with
    the cells where the photo's print differs outlined in red (green where it matches, grey where
    the photo does not reach), and the photo laid over the reference on demand. Empty when
    nothing aligned."""
    from vision.alignment import Alignment, draw_overlay, warp_onto_reference

    aligned = (result.get("evidence") or {}).get("alignment") or {}
    grid = aligned.get("difference")
    if not grid or aligned.get("reference_id") is None:
        return ""
    image = reference_picture(catalog, aligned["reference_id"], 2 * side)
    if image is None:
        return ""
    esc = html.escape
    kinds = [kind for row in grid["kinds"] for kind in row]
    found = [k for k in ("print", "colour", "missing", "moved") if k in kinds]
    differing = grid.get("differing_share", 0.0)
    caption = t("print_diff_caption", language, points=aligned.get("inliers", 0),
                share=percent(differing, language) if differing else "0%", image_id=aligned["reference_id"])
    if found:
        caption += " " + t("print_diff_kinds", language, kinds=", ".join(t(f"print_kind_{k}", language) for k in found))
    laid = ""
    if photo_path and grid.get("alignment"):
        try:
            from vision import load_image

            warped = warp_onto_reference(load_image(photo_path, max_side=1024), Alignment.from_dict(grid["alignment"]))
            laid = (f'<details class="aligned"><summary>{esc(t("print_aligned", language))}</summary>'
                    f'<img src="{data_uri(draw_overlay(warped, grid, 2 * side, matching=False), side)}" alt=""></details>')
        except Exception:  # noqa: BLE001 - a photo that cannot be drawn leaves the reference view alone
            laid = ""
    return (f'<figure class="print-diff" data-differing="{grid.get("differing_share", 0.0)}">'
            f'<img src="{data_uri(draw_overlay(image, grid, 2 * side), side)}" alt="">'
            f'<figcaption><b>{esc(t("print_diff", language))}</b><br>{esc(caption)}</figcaption>{laid}</figure>')


def reference_picture(catalog: Catalog, image_id: int, max_side: int = 720) -> Image.Image | None:
    """A reference's photo as the catalog keeps it (its thumbnail when the photo is gone)."""
    from vision import UnreadableImage, load_image

    ref = catalog.reference(int(image_id))
    if ref is None:  # removed since the check
        return None
    try:
        return load_image(catalog.original_path(ref), max_side=max_side)
    except (UnreadableImage, OSError):
        thumb = catalog.thumbnail_path(ref.sha256)
        if not thumb.is_file():
            return None
        with Image.open(thumb) as picture:
            return picture.convert("RGB")


def next_photos_html(result: dict, language: str) -> str:
    """What to photograph next, when the photos could not settle it."""
    tips = [text for text in (advice_words(a, language) for a in result.get("advice", [])) if text]
    if not tips:
        return ""
    esc = html.escape
    items = "".join(f"<li>{esc(tip)}</li>" for tip in tips)
    heading = "next_photos_listing" if (result.get("details") or {}).get("photos_of") == "listing" else "next_photos"
    return f'<div class="next-photos"><b>{esc(t(heading, language))}</b><ul>{items}</ul></div>'


#: A check kept before the catalog's words were recorded with it: its words read at least this
#: confidently are shown (the engine's own threshold is 0.5; gibberish such as "spuecredbmut" came
#: from lines read at 0.6-0.8 on the demo photos).
SHOWN_CONFIDENCE = 0.9


def shown_words(text: dict) -> list[str]:
    """The words read that a person is shown as evidence: those the comparison used (matched, a
    brand's near miss, another product's word) and the words of the catalog's profiles
    (``known``); OCR noise is counted, not printed (issue 26: "spuecredbmut" was shown as read).
    A check kept before ``known`` was recorded: the words of lines read very confidently."""
    from index.judging.text import words as split

    used = {read for _, read in text.get("matched", [])} | {read for read, _ in text.get("near_misses", [])} \
        | {read for read, _ in text.get("names_other_product", []) + text.get("mentions_other_product", [])}
    if "known" in text:
        keep = set(text["known"]) | used
    else:
        keep = used | {w for line in text.get("read", []) if line.get("confidence", 0) >= SHOWN_CONFIDENCE
                       for w in split(line.get("text", ""))}
    return [w for w in text.get("words", []) if w in keep]


def evidence_html(result: dict, language: str, heading: bool = True) -> str:
    """The words read next to the words expected (matches, near misses, misses), each barcode with
    what it says, and the known-fakes comparison: what a person can check by eye."""
    evidence = result.get("evidence") or {}
    if not evidence:
        return ""
    esc = html.escape
    text = evidence.get("text") or {}
    matched = {read for _, read in text.get("matched", [])}
    expected_found = {expected for expected, _ in text.get("matched", [])}
    near = {read: expected for read, expected in text.get("near_misses", [])}
    parts = ['<div class="evidence">' + (f'<h4>{esc(t("evidence_title", language))}</h4>' if heading else "")]
    words = shown_words(text)
    noise = len(text.get("words", [])) - len(words)
    printed = text.get("accented") or {}  # Vietnamese words as printed (read with their accents)
    if words:
        spans = []
        for word in words:
            shown = esc(printed.get(word, word))
            if word in near:
                spans.append(f'<span class="w near" title="{esc(near[word])}">{shown} ≠ {esc(near[word])}</span>')
            elif word in matched:
                spans.append(f'<span class="w match">{shown}</span>')
            else:
                spans.append(f'<span class="w other">{shown}</span>')
        parts.append(f'<p><b>{esc(t("words_read", language))}:</b> {" ".join(spans)}</p>')
    else:
        parts.append(f'<p><b>{esc(t("words_read", language))}:</b> <i>{esc(t("words_none", language))}</i></p>')
    if noise:
        parts.append(f'<p class="legend noise">{esc(t("words_noise", language, count=noise))}</p>')
    target = result.get("product_id") or result.get("claimed_product_id")
    declared = sorted(expected_found | set(text.get("missing", [])))
    if declared and target:
        spans = [f'<span class="w {"match" if w in expected_found else "missing"}">{esc(printed.get(w, w))}</span>'
                 for w in declared]
        parts.append(f'<p><b>{esc(t("words_expected", language, product=product_name(result, target)))}:</b> {" ".join(spans)}</p>')
    if words or declared:
        parts.append(f'<p class="legend">{esc(t("words_legend", language))}</p>')
    codes = evidence.get("codes", [])
    parts.append(f'<p><b>{esc(t("codes_title", language))}:</b> ')
    if not codes:
        parts.append(f'<i>{esc(t("codes_none", language))}</i></p>')
    else:
        parts.append("</p><ul class='codes'>")
        for code in codes:
            bits = [f'<code>{esc(code["text"])}</code> ({esc(code["format"])})']
            if code.get("gtin"):
                bits.append(f'{esc(t("code_gtin", language))} {esc(code["gtin"])}')
            if code.get("check_digit_ok") is not None:
                bits.append(esc(t("code_check_ok" if code["check_digit_ok"] else "code_check_bad", language)))
            if code.get("issuer"):
                bits.append(esc(t("code_issuer", language, issuer=code["issuer"])))
            if code.get("product_id"):
                bits.append(esc(t("code_belongs", language, product=code["product_id"])))
            relation = code.get("relation", "")
            css = "bad" if relation in ("other_product", "bad_check_digit", "foreign_company") else \
                ("match" if relation == "supports" else "other")
            bits.append(f'<b class="rel {css}">{esc(t("relation_" + relation, language))}</b>'
                        if f"relation_{relation}" in TEXT_KEYS else esc(relation))
            parts.append("<li>" + " · ".join(bits) + "</li>")
        parts.append("</ul>")
    parts.append(serials_html(result, language))
    fakes = evidence.get("known_fakes")
    if fakes:
        parts.append(f'<p><b>{esc(t("fakes_title", language))}:</b> {esc(fakes_sentence(result, fakes, language))}</p>')
    elif evidence.get("known_fakes_filed"):
        # fakes on file, too few for a model: neither "none" nor a model's reading
        parts.append(f'<p><b>{esc(t("fakes_title", language))}:</b> '
                     f'{esc(t("fakes_too_few", language, fakes=evidence["known_fakes_filed"], needed=MIN_FAKES))}</p>')
    elif result.get("product_id") and result.get("verdict") in ("genuine", "unknown"):
        # identity is not authenticity: without known fakes of the product, say what was not judged
        parts.append(f'<p><b>{esc(t("fakes_title", language))}:</b> {esc(t("fakes_none", language))}</p>')
    parts.append("</div>")
    return "".join(parts)


def fakes_sentence(result: dict, fakes: dict, language: str) -> str:
    """What the authenticity model says, on the verdict's side: a green card says how far the
    photos sit from the known fakes, never that they lean toward them (the badge requires them to
    look more genuine than all but a few of the fakes)."""
    scope = fakes["model"]
    scope = t("fakes_scope_brand", language, brand=scope.split(":", 1)[1]) if scope.startswith("brand:") \
        else product_name(result, scope)
    common = dict(fakes=fakes["fakes"], genuine=fakes["genuine"], scope=scope)
    fake_share = fakes.get("fake_share")
    if result.get("verdict") == "genuine" and fake_share is not None:
        return t("fakes_model_clear", language, clear=min(99.0, 100 * (1 - fake_share)), **common)
    leans_fake = fakes.get("log_odds", 0.0) > 0
    # 99.7% would print as 100%: "more than every genuine photo" is more than was measured
    pct = min(99.0, 100 * (1 - fakes["p_value"]))
    if leans_fake:
        key = "fakes_model"
    elif fake_share is not None and fake_share > GENUINE_FAKE_SHARE:
        return t("fakes_model_unclear", language, fake_pct=100 * fake_share, **common)
    else:
        # leaning genuine: the share of genuine photos it out-fakes is worth saying only when it is
        # unusual; "more like the fakes than 40% of genuine photos" beside a green badge misleads
        key = "fakes_model_however" if pct >= FAKES_WORTH_A_LOOK else "fakes_model_typical"
    return t(key, language, side=t("fakes_side_fake" if leans_fake else "fakes_side_genuine", language), pct=pct,
             **common)


#: Longest code text shown: a QR code holds thousands of characters, a unit code far fewer.
SHOWN_CODE = 160
#: Stands for the earlier check's number while its sentence is escaped (then the number's own markup).
CHECK_TOKEN = "\x00check\x00"


def serials_html(result: dict, language: str) -> str:
    """Each unit code read: what it says (serial, GTIN, batch, expiry), what the brand's register
    says of it, and where the same code was read before (the earlier check's number, to open it
    in History). Everything in it comes from the code or the register: all of it escaped."""
    serials = (result.get("evidence") or {}).get("serials") or []
    if not serials:
        return ""
    esc = html.escape

    def product(pid):
        return f", {product_label(result, pid)}" if pid else ""

    items = []
    for unit in serials:
        text = unit.get("text") or ""
        shown = text if len(text) <= SHOWN_CODE else text[:SHOWN_CODE - 1] + "…"
        kind = f"unit_kind_{unit.get('kind')}"
        read = [f'<code>{esc(shown)}</code> ({esc(t(kind, language) if kind in TEXT_KEYS else str(unit.get("kind")))})']
        if unit.get("serial"):
            read.append(f'{esc(t("unit_serial", language))} <b>{esc(unit["serial"])}</b>')
        if unit.get("gtin"):
            read.append(f'GTIN {esc(unit["gtin"])}')
        if unit.get("batch"):
            read.append(f'{esc(t("unit_batch", language))} {esc(unit["batch"])}')
        if unit.get("expiry"):
            read.append(f'{esc(t("unit_expiry", language))} {esc(day(unit["expiry"], language))}')
        lines = [" · ".join(read)]
        status, issued = unit.get("register"), unit.get("issued") or {}
        if status == "issued":
            says = [t("unit_issued", language, gtin=issued.get("gtin", "?"), product=product(issued.get("product_id")))]
            if issued.get("batch"):
                says.append(t("unit_issued_batch", language, batch=issued["batch"]))
            if issued.get("expiry"):
                says.append(t("unit_issued_expiry", language, date=day(issued["expiry"], language)))
            css = "match"
            if issued.get("state") in ("sold", "seen"):
                says.append(t(f"unit_state_{issued['state']}", language, date=day(issued.get("state_date"), language)))
                css = "bad"
            for what, mismatch, read_value, expected in (
                    ("unit_batch", unit.get("batch_mismatch"), unit.get("batch"), issued.get("batch")),
                    ("unit_expiry", unit.get("expiry_mismatch"), day(unit.get("expiry"), language),
                     day(issued.get("expiry"), language))):
                if mismatch:
                    says.append(t("unit_differs", language, what=t(what, language), read=read_value, expected=expected))
                    css = "bad"
        elif status == "not_issued":
            says, css = [t("unit_not_issued", language, gtin=unit.get("gtin") or "?")], "bad"
        elif status == "other_gtin":
            says, css = [t("unit_other_gtin", language, gtin=issued.get("gtin", "?"),
                           product=product(issued.get("product_id")))], "bad"
        else:
            key = f"unit_{status}"
            says, css = [t(key, language) if key in TEXT_KEYS else str(status)], "other"
        lines.append(f'{esc(t("unit_register", language))}: <b class="rel {css}">{esc("; ".join(says))}</b>')
        if unit.get("expired"):
            lines.append(f'<b class="rel bad">{esc(t("unit_expired", language, date=day(unit.get("expiry") or issued.get("expiry"), language)))}</b>')
        seen = unit.get("seen_before")
        if seen:
            place = f", {seen['place']}" if seen.get("place") else ""
            case = t("unit_seen_case", language, case=seen["case_id"]) if seen.get("case_id") else ""
            when = local_time(seen.get("checked_at"), language)
            if seen.get("check_id") is not None:  # its number opens it in History
                check = int(seen["check_id"])
                sentence = esc(t("unit_seen_check", language, check=CHECK_TOKEN, place=place, when=when, case=case))
                sentence = sentence.replace(CHECK_TOKEN, f'<span class="earlier-check" data-check-id="{check}">{check}</span>', 1)
            else:
                sentence = esc(t("unit_seen_cli", language, place=place, when=when, case=case))
            if unit.get("seen_count", 0) > 1:
                sentence += esc(t("unit_seen_more", language, count=unit["seen_count"]))
            lines.append(f'{esc(t("unit_memory", language))}: <b class="rel bad">{sentence}</b>')
        elif unit.get("unit"):
            lines.append(f'{esc(t("unit_memory", language))}: {esc(t("unit_not_seen", language))}')
        items.append("<li>" + "<br>".join(lines) + "</li>")
    return f'<p><b>{esc(t("units_title", language))}:</b></p><ul class="units">' + "".join(items) + "</ul>"


def serial_register_html(summary: dict, language: str, message: str = "") -> str:
    """The register of serials as a brand owner reads it (the Catalog tab), after ``message``
    (the last import's outcome). Escaped throughout: file names and templates come from users."""
    esc = html.escape
    storage = t(f"serials_storage_{summary.get('storage', 'hashed')}", language)
    parts = [f"<p>{esc(message)}</p>" if message else "",
             f"<p>{esc(t('serials_summary', language, serials=summary.get('serials', 0), storage=storage))}</p>"]
    if summary.get("key_on_this_machine") is False:
        parts.append(f'<p class="model-warning">{esc(t("serials_key_missing", language, path=summary.get("key_file")))}</p>')
    lines = [t("serials_gtin_line", language, gtin=g["gtin"], serials=g["serials"], sold=g["sold"], seen=g["seen"],
               product=f" ({g['product_id']})" if g.get("product_id") else "") for g in summary.get("gtins", [])]
    if lines:
        parts.append("<ul>" + "".join(f"<li>{esc(line)}</li>" for line in lines) + "</ul>")
    if summary.get("stamps"):
        templates = ", ".join(s["template"] for s in summary["stamps"])
        parts.append(f"<p>{esc(t('stamps_line', language, templates=templates))}</p>")
    return '<div class="serial-register">' + "".join(parts) + "</div>"


def clone_groups(results: list[dict]) -> list[tuple[str, list[int]]]:
    """The unit codes carried by several of the results (a copied code): (the serial, the
    positions of its results in the order given), in the order of their first result."""
    by_unit: dict[str, tuple[str, list[int]]] = {}
    for position, result in enumerate(results):
        for serial in (result.get("evidence") or {}).get("serials") or []:
            unit = serial.get("unit")
            if unit and position not in by_unit.setdefault(unit, (serial.get("serial") or "", []))[1]:
                by_unit[unit][1].append(position)
    groups = [(code, members) for code, members in by_unit.values() if len(members) > 1]
    return sorted(groups, key=lambda group: group[1][0])


def evidence_items(catalog: Catalog, result: dict, language: str, label: str) -> list[tuple[Image.Image, str]]:
    """(thumbnail, caption) of each match with ``label`` (genuine or counterfeit), best first."""
    matches = [m for m in result.get("matches", []) if m["label"] == label]
    refs = catalog.references_by_id(m["image_id"] for m in matches)
    items = []
    for match in matches:
        ref = refs.get(match["image_id"])
        if ref is None:  # removed since the check
            continue
        thumb = catalog.thumbnail_path(ref.sha256)
        if not thumb.is_file():
            continue
        with Image.open(thumb) as image:
            caption = (f"{match.get('name') or match['product_id']} · {t('similarity', language)} "
                       f"{number(match['similarity'], language)}"
                       + (f" · {view_words(match['view'], language)}" if match.get("view") else "")
                       + f" · #{match['image_id']}")
            items.append((image.convert("RGB"), caption))
    return items


def data_uri(image: Image.Image, max_side: int) -> str:
    """A picture small enough to travel inside the page (tables, reports): a JPEG data URI."""
    picture = image.convert("RGB")
    picture.thumbnail((max_side, max_side))
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def thumbnail_html(path: str | None, max_side: int = 72) -> str:
    """An ``<img>`` of a kept photo for a table cell; empty when there is no photo to show."""
    if not path:
        return ""
    try:
        from vision import load_image

        return f'<img src="{data_uri(load_image(path, max_side=max_side * 2), max_side)}" alt="" class="thumb">'
    except Exception:  # noqa: BLE001 - a photo that cannot be drawn leaves its cell empty
        return ""


def region_overlay(regions: dict | None, photo_path: str | None = None) -> Image.Image | None:
    """The checked photo with the region map drawn over the part the model sees: green where the
    photo matches the reference, red where it does not."""
    if not regions:
        return None
    from vision import UnreadableImage, load_image

    try:
        photo = load_image(photo_path or regions["photo"], max_side=640)
    except (UnreadableImage, OSError):  # a photo no longer kept (an anonymous check past its quota)
        return None
    width, height = photo.size
    left, top, right, bottom = regions["box"]
    grid = np.clip(np.array(regions["similarity"], dtype=np.float32), 0.0, 1.0)
    # RED_AT (or less) -> red, GREEN_AT (or more) -> green
    tone = np.clip((grid - RED_AT) / (GREEN_AT - RED_AT), 0.0, 1.0)
    colours = np.stack([255 * (1 - tone), 200 * tone, np.zeros_like(tone), np.full_like(tone, 110)], axis=-1).astype(np.uint8)
    cells = Image.fromarray(colours, mode="RGBA")
    box = (round(left * width), round(top * height), round(right * width), round(bottom * height))
    heat = cells.resize((max(1, box[2] - box[0]), max(1, box[3] - box[1])), Image.Resampling.BILINEAR)
    canvas = photo.convert("RGBA")
    canvas.alpha_composite(heat, dest=box[:2])
    return canvas.convert("RGB")
