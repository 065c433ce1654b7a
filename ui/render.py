"""What a person sees of a check: the verdict badge, the evidence pictures, the region map and
the retake advice. Plain functions of a result dict (``Verdict.to_dict()``), shared by the app
and the reports."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
from PIL import Image

from index import Catalog

from .i18n import flag, outcome, t, verdict_sentence

#: Region similarity drawn fully red / fully green. Measured on the demo queries (in-store photos
#: against genuine references of the same product): 10th percentile of cells 0.19-0.34, median
#: 0.34-0.46, 90th percentile 0.42-0.62; a pasted-in foreign patch scores below 0.2.
RED_AT, GREEN_AT = 0.2, 0.55
BADGE_COLOURS = {"genuine": "#1b7f3b", "suspicious": "#9a5b00", "counterfeit": "#b3261e", "unknown": "#5f6368"}


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
    parts = [
        f'<div class="verdict" data-verdict="{verdict}">',
        f'<span class="badge" style="background:{BADGE_COLOURS[verdict]}">{esc(outcome(verdict, language))}</span>',
        (f' <span class="check-no">{esc(t("check_no", language))} #{check_id}</span>' if check_id else ""),
        f'<p class="why">{esc(verdict_sentence(result, language))}</p>',
        f'<p>{esc(t("score", language))}: <b>{score_text}</b> <small>({esc(score_help(result, language))})</small><br>',
        f'{esc(t("identified", language))}: <b>{esc(result.get("product_id") or t("none", language))}</b>',
    ]
    if result.get("claimed_product_id"):
        parts.append(f' · {esc(t("claimed_short", language))}: <b>{esc(result["claimed_product_id"])}</b>')
    parts.append("</p>")
    if flags:
        parts.append(f'<p>{esc(t("flags", language))}: ' + ", ".join(f'<span class="flag">{esc(f)}</span>' for f in flags) + "</p>")
    if tips:
        parts.append(f'<div class="retake"><b>{esc(t("retake", language))}</b><ul>'
                     + "".join(f"<li>{esc(tip)}</li>" for tip in tips) + "</ul></div>")
    if errors:
        parts.append(f'<p>{esc(t("unreadable", language))}:</p><ul>' + "".join(f"<li>{esc(e)}</li>" for e in errors) + "</ul>")
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
