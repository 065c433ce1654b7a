"""A check as a case-file document: one self-contained HTML file (pictures embedded, no network,
prints well) and one JSON file, in the user's language."""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

from PIL import Image

from index import Catalog
from index.storing.history import CheckRecord
from vision import UnreadableImage, load_image

from .i18n import flag, outcome, t, verdict_sentence
from .render import BADGE_COLOURS, EVIDENCE_CSS, advice, evidence_html, next_photos_html, region_overlay, score_help

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;max-width:960px;margin:24px auto;
padding:0 16px;color:#1f1f1f;line-height:1.45}
h1{font-size:1.5em;margin-bottom:4px} h2{font-size:1.15em;margin-top:28px;border-bottom:1px solid #ddd}
.badge{color:#fff;padding:4px 12px;border-radius:6px;font-weight:700;font-size:1.3em}
table{border-collapse:collapse;width:100%} td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4} .pics{display:flex;flex-wrap:wrap;gap:10px} figure{margin:0;max-width:220px}
figure img{max-width:220px;max-height:220px;border:1px solid #ccc} figcaption{font-size:.85em;color:#444}
.note{white-space:pre-wrap;background:#fafafa;border:1px solid #eee;padding:8px} .small{color:#555;font-size:.9em}
@media print{body{margin:0}}
""" + EVIDENCE_CSS


def _data_uri(image: Image.Image, max_side: int = 640) -> str:
    image = image.copy()
    image.thumbnail((max_side, max_side))
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=85)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


def _photo(path: str) -> Image.Image | None:
    try:
        return load_image(path, max_side=640)  # shown at most 640 px wide
    except (UnreadableImage, OSError):
        return None


def report_json(record: CheckRecord, catalog: Catalog) -> str:
    data = record.to_dict()
    data["catalog"] = {"path": str(catalog.path), "generation": record.result.get("catalog_generation"),
                       "model": record.result.get("model")}
    return json.dumps(data, indent=2, ensure_ascii=False)


def report_html(record: CheckRecord, catalog: Catalog, language: str = "en") -> str:
    esc = html.escape
    result = record.result
    verdict = result["verdict"]
    score = result.get("counterfeit_score")
    rows = [
        (t("check_no", language), f"#{record.check_id}"),
        (t("checked_at", language), record.checked_at),
        (t("claimed_short", language), record.claimed_product_id or "—"),
        (t("identified", language), result.get("product_id") or "—"),
        (t("score", language), ("—" if score is None else f"{score:.2f}") + f" ({score_help(result, language)})"),
        (t("flags", language), ", ".join(flag(f, language) for f in result.get("flags", [])) or "—"),
        (t("catalog_version", language), f"{catalog.path.name} ({result.get('catalog_generation')})"),
        (t("model", language), result.get("model", "")),
        (t("inspector", language), record.inspector or "—"),
    ]
    parts = [
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(t('report_title', language))} #{record.check_id}</title><style>{CSS}</style></head><body>",
        f"<h1>{esc(t('report_title', language))} #{record.check_id}</h1>",
        f'<p><span class="badge" style="background:{BADGE_COLOURS[verdict]}">{esc(outcome(verdict, language))}</span></p>',
        f"<p><b>{esc(t('why', language))}:</b> {esc(verdict_sentence(result, language))}</p>",
        "<table>" + "".join(f"<tr><th>{esc(k)}</th><td>{esc(str(v))}</td></tr>" for k, v in rows) + "</table>",
    ]
    tips = advice(record.quality, language)
    if tips:
        parts.append(f"<h2>{esc(t('retake', language))}</h2><ul>" + "".join(f"<li>{esc(x)}</li>" for x in tips) + "</ul>")
    parts.append(next_photos_html(result, language))
    if result.get("evidence"):
        parts.append(f"<h2>{esc(t('evidence_title', language))}</h2>{evidence_html(result, language, heading=False)}")
    parts.append(f"<h2>{esc(t('photos_checked', language))}</h2><div class='pics'>")
    for photo in record.photos:
        image = _photo(photo.path)
        if image is not None:
            parts.append(f"<figure><img src='{_data_uri(image)}' alt=''><figcaption>{esc(photo.name)}<br>"
                         f"<span class='small'>SHA-256 {photo.sha256[:16]}…</span></figcaption></figure>")
    parts.append("</div>")
    regions = result.get("regions")
    if regions and record.photos:
        overlay = region_overlay(regions, record.photos[0].path)
        if overlay is not None:
            parts.append(f"<h2>{esc(t('heatmap', language))}</h2><img src='{_data_uri(overlay)}' alt=''>")
    matches = result.get("matches", [])
    if matches:
        refs = catalog.references_by_id(m["image_id"] for m in matches)
        parts.append(f"<h2>{esc(t('matches_table', language))}</h2><div class='pics'>")
        for match in matches:
            ref = refs.get(match["image_id"])
            thumb = catalog.thumbnail_path(ref.sha256) if ref else None
            if thumb is not None and thumb.is_file():
                with Image.open(thumb) as image:
                    parts.append(f"<figure><img src='{_data_uri(image.convert('RGB'), 220)}' alt=''><figcaption>"
                                 f"{esc(match['product_id'])} · {esc(t('label_' + match['label'], language))}<br>"
                                 f"{esc(t('similarity', language))} {match['similarity']:.2f} · #{match['image_id']}"
                                 "</figcaption></figure>")
        parts.append("</div><table><tr>" + "".join(
            f"<th>{esc(t(k, language))}</th>" for k in ("col_product", "col_label", "col_similarity", "col_view", "col_image"))
            + "</tr>")
        for match in matches:
            parts.append(f"<tr><td>{esc(match['product_id'])}</td><td>{esc(t('label_' + match['label'], language))}</td>"
                         f"<td>{match['similarity']:.3f}</td><td>{esc(match.get('view') or '')}</td>"
                         f"<td>{match['image_id']}</td></tr>")
        parts.append("</table>")
    if record.notes:
        parts.append(f"<h2>{esc(t('notes', language))}</h2><div class='note'>{esc(record.notes)}</div>")
    if record.review_verdict:
        parts.append(f"<h2>{esc(t('review', language))}</h2><p><b>{esc(outcome(record.review_verdict, language))}</b>"
                     f" — {esc(record.reviewer or '')}, {esc(record.reviewed_at or '')}</p>"
                     f"<div class='note'>{esc(record.review_note or '')}</div>")
    parts.append(f"<h2>&nbsp;</h2><p class='small'>{esc(t('disclaimer', language))}</p></body></html>")
    return "".join(parts)


def write_reports(record: CheckRecord, catalog: Catalog, language: str, folder: str | Path) -> tuple[Path, Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    html_path = folder / f"check-{record.check_id}-{language}.html"
    json_path = folder / f"check-{record.check_id}.json"
    html_path.write_text(report_html(record, catalog, language), encoding="utf-8")
    json_path.write_text(report_json(record, catalog), encoding="utf-8")
    return html_path, json_path
