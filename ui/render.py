"""What a person sees of a check: the verdict badge, the evidence pictures, the region map and
the retake advice. Plain functions of a result dict (``Verdict.to_dict()``), shared by the app
and the reports."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
from PIL import Image

from index import Catalog
from index.judging.messages import ADVICE

from .i18n import TEXT as TEXT_KEYS
from .i18n import flag, outcome, t, verdict_sentence

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
.evidence .w.missing{background:#fff;color:#8c1d18;text-decoration:line-through;border:1px dashed #c88}
.evidence .legend{color:#666;font-size:.85em}
.evidence .rel.bad{color:#8c1d18} .evidence .rel.match{color:#0b4d1e}
.next-photos{background:#eef4ff;border-left:4px solid #3060c0;padding:4px 10px;margin:6px 0}
"""


def advice(quality: list[dict], language: str) -> list[str]:
    """One sentence per photo problem: [{"name":..., "issues": [...], "short_side": N}, ...]."""
    lines = []
    for photo in quality:
        for issue in photo.get("issues", []):
            lines.append(t(f"quality_{issue}", language, name=photo["name"], side=photo.get("short_side", "?")))
    return lines


def score_help(result: dict, language: str) -> str:
    """What the calibrated score means here: the cut-off that the catalog's false-alarm target sets."""
    rate = (result.get("details") or {}).get("false_alarm_rate")
    if rate is None or result.get("counterfeit_score") is None:
        return t("score_help", language)
    return t("score_cut", language, cut=1 - rate, pct=100 * rate)


def badge_html(result: dict, language: str, quality: list[dict] | None = None, check_id: int | None = None) -> str:
    verdict = result["verdict"]
    score = result.get("counterfeit_score")
    score_text = "—" if score is None else f"{score:.2f}"
    flags = [flag(f, language) for f in result.get("flags", [])]
    errors = [f"{Path(e['path']).name}: {e['reason']}" for e in result.get("errors", [])]
    tips = advice(quality or [], language)
    esc = html.escape
    identified = (result.get("details") or {}).get("identified_product_id") or result.get("product_id")
    parts = [
        f'<div class="verdict" data-verdict="{verdict}">',
        f'<span class="badge" style="background:{BADGE_COLOURS[verdict]}">{esc(outcome(verdict, language))}</span>',
        (f' <span class="check-no">{esc(t("check_no", language))} #{check_id}</span>' if check_id else ""),
        f'<p class="why">{esc(verdict_sentence(result, language))}</p>',
        f'<p>{esc(t("score", language))}: <b>{score_text}</b> <small>({esc(score_help(result, language))})</small><br>',
        # what the photos look like most (the head's first product), not the product judged: a Bravo
        # photo claimed as God Morgon must not read "identified: God Morgon"
        f'{esc(t("identified", language))}: <b>{esc(identified or t("none", language))}</b>',
    ]
    if result.get("claimed_product_id"):
        parts.append(f' · {esc(t("claimed_short", language))}: <b>{esc(result["claimed_product_id"])}</b>')
    parts.append("</p>")
    if flags:
        parts.append(f'<p>{esc(t("flags", language))}: ' + ", ".join(f'<span class="flag">{esc(f)}</span>' for f in flags) + "</p>")
    if tips:
        parts.append(f'<div class="retake"><b>{esc(t("retake", language))}</b><ul>'
                     + "".join(f"<li>{esc(tip)}</li>" for tip in tips) + "</ul></div>")
    parts.append(next_photos_html(result, language))
    if errors:
        parts.append(f'<p>{esc(t("unreadable", language))}:</p><ul>' + "".join(f"<li>{esc(e)}</li>" for e in errors) + "</ul>")
    parts.append(evidence_html(result, language))
    parts.append("</div>")
    return "".join(parts)


def next_photos_html(result: dict, language: str) -> str:
    """What to photograph next, when the photos could not settle it."""
    advice_keys = [a for a in result.get("advice", []) if a in ADVICE]
    if not advice_keys:
        return ""
    esc = html.escape
    items = "".join(f"<li>{esc(ADVICE[a].get(language, ADVICE[a]['en']))}</li>" for a in advice_keys)
    return f'<div class="next-photos"><b>{esc(t("next_photos", language))}</b><ul>{items}</ul></div>'


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
    words = text.get("words", [])
    if words:
        spans = []
        for word in words:
            if word in near:
                spans.append(f'<span class="w near" title="{esc(near[word])}">{esc(word)} ≠ {esc(near[word])}</span>')
            elif word in matched:
                spans.append(f'<span class="w match">{esc(word)}</span>')
            else:
                spans.append(f'<span class="w other">{esc(word)}</span>')
        parts.append(f'<p><b>{esc(t("words_read", language))}:</b> {" ".join(spans)}</p>')
    else:
        parts.append(f'<p><b>{esc(t("words_read", language))}:</b> <i>{esc(t("words_none", language))}</i></p>')
    target = result.get("product_id") or result.get("claimed_product_id")
    declared = sorted(expected_found | set(text.get("missing", [])))
    if declared and target:
        spans = [f'<span class="w {"match" if w in expected_found else "missing"}">{esc(w)}</span>' for w in declared]
        parts.append(f'<p><b>{esc(t("words_expected", language, product=target))}:</b> {" ".join(spans)}</p>')
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
    fakes = evidence.get("known_fakes")
    if fakes:
        parts.append(f'<p><b>{esc(t("fakes_title", language))}:</b> '
                     + esc(t("fakes_model", language, fakes=fakes["fakes"], genuine=fakes["genuine"],
                             scope=fakes["model"], pct=100 * (1 - fakes["p_value"]))) + "</p>")
    parts.append("</div>")
    return "".join(parts)


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
            caption = (f"{match['product_id']} · {t('similarity', language)} {match['similarity']:.2f}"
                       + (f" · {match['view']}" if match.get("view") else "") + f" · #{match['image_id']}")
            items.append((image.convert("RGB"), caption))
    return items


def region_overlay(regions: dict | None, photo_path: str | None = None) -> Image.Image | None:
    """The checked photo with the region map drawn over the part the model sees: green where the
    photo matches the reference, red where it does not."""
    if not regions:
        return None
    from vision import load_image

    photo = load_image(photo_path or regions["photo"], max_side=640)
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
