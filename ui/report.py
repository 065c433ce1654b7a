"""A check as a case-file document: one self-contained HTML file (pictures embedded, no network,
prints on A4) and one JSON file, in the user's language, each signed with the deployment's key
(``ui.signing``): case or seizure number, place, local time, the verdict and its evidence, a
signature block for the inspector and a witness, and a verification code as text and QR."""

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

from .i18n import flag, local_time, number, outcome, t, verdict_sentence
from .signing import HTML_PLACEHOLDER, SigningKey, sign_html, sign_json
from .render import (BADGE_COLOURS, EVIDENCE_CSS, advice, evidence_html, model_html, model_words, next_photos_html,
                     product_label, region_overlay, score_help, side_by_side_html, strength_html, view_words)

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;max-width:960px;margin:24px auto;
padding:0 16px;color:#1f1f1f;line-height:1.45}
h1{font-size:1.5em;margin-bottom:4px} h2{font-size:1.15em;margin-top:28px;border-bottom:1px solid #ddd}
.badge{color:#fff;padding:4px 12px;border-radius:6px;font-weight:700;font-size:1.3em}
table{border-collapse:collapse;width:100%} td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4} .pics{display:flex;flex-wrap:wrap;gap:10px} figure{margin:0;max-width:220px}
figure img{max-width:220px;max-height:220px;border:1px solid #ccc} figcaption{font-size:.85em;color:#444}
.note{white-space:pre-wrap;background:#fafafa;border:1px solid #eee;padding:8px} .small{color:#555;font-size:.9em}
.signatures{display:flex;gap:24px;flex-wrap:wrap;margin-top:8px} .signatures>div{flex:1;min-width:240px}
.signatures .line{border-bottom:1px solid #333;height:64px} .verify-row{display:flex;gap:16px;align-items:flex-start}
.verification .code{font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all;font-size:.9em}
@page{size:A4;margin:14mm}
@media print{body{margin:0;max-width:none} h2{break-after:avoid} figure,table,.verification,.signatures{break-inside:avoid}}
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


def report_json(record: CheckRecord, catalog: Catalog, key: SigningKey | None = None) -> str:
    """The check as JSON, signed when ``key`` is given (the ``verification`` field)."""
    data = record.to_dict()
    data["catalog"] = {"path": str(catalog.path), "generation": record.result.get("catalog_generation"),
                       "model": record.result.get("model")}
    data["verification"] = None
    text = json_text(data)
    return sign_json(text, key) if key is not None else text


def json_text(data) -> str:
    """JSON as a report writes it: readable (indented, letters as they are), with ``<``, ``>`` and
    ``&`` escaped (``\\u003c``...), so that no text a check holds (notes, names) is markup, whatever
    a browser takes the file for."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def report_html(record: CheckRecord, catalog: Catalog, language: str = "en", key: SigningKey | None = None) -> str:
    """The case file in ``language``; signed when ``key`` is given."""
    esc = html.escape
    result = record.result
    verdict = result["verdict"]
    score = result.get("counterfeit_score")
    rows = [
        (t("check_no", language), f"#{record.check_id}"),
        (t("case_no", language), record.case_id or "—"),
        (t("place", language), record.place or "—"),
        (t("checked_local", language), f"{local_time(record.checked_at, language)} · UTC {record.checked_at}"),
        (t("report_inspector", language), record.inspector or "—"),
        (t("claimed_short", language), product_label(result, record.claimed_product_id)),
        (t("identified", language), product_label(result, (result.get("details") or {}).get("identified_product_id")
                                                  or result.get("product_id"))),
        (t("score", language), ("—" if score is None else number(score, language)) + f" ({score_help(result, language)})"),
        (t("flags", language), ", ".join(flag(f, language) for f in result.get("flags", [])) or "—"),
        (t("catalog_version", language), f"{catalog.path.name} ({result.get('catalog_generation')})"),
        (t("model", language), model_words(result.get("model"), language)),
    ]
    parts = [
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(t('report_title', language))} #{record.check_id}</title><style>{CSS}</style></head><body>",
        f"<h1>{esc(t('report_title', language))} #{record.check_id}</h1>",
        f'<p><span class="badge" style="background:{BADGE_COLOURS[verdict]}">{esc(outcome(verdict, language))}</span></p>',
        f"<p><b>{esc(t('why', language))}:</b> {esc(verdict_sentence(result, language))}</p>",
        strength_html(result, language),
        model_html(result.get("model"), language),
        "<table>" + "".join(f"<tr><th>{esc(k)}</th><td>{esc(str(v))}</td></tr>" for k, v in rows) + "</table>",
    ]
    tips = advice(record.quality, language)
    if tips:
        parts.append(f"<h2>{esc(t('retake', language))}</h2><ul>" + "".join(f"<li>{esc(x)}</li>" for x in tips) + "</ul>")
    parts.append(next_photos_html(result, language))
    if result.get("evidence"):
        parts.append(f"<h2>{esc(t('evidence_title', language))}</h2>{evidence_html(result, language, heading=False)}")
    parts.append(side_by_side_html(catalog, result, [(p.path, p.name) for p in record.photos], language, side=300,
                                   heading="h2"))
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
                                 f"{esc(t('similarity', language))} {number(match['similarity'], language)} · #{match['image_id']}"
                                 "</figcaption></figure>")
        parts.append("</div><table><tr>" + "".join(
            f"<th>{esc(t(k, language))}</th>" for k in ("col_product", "col_label", "col_similarity", "col_view", "col_image"))
            + "</tr>")
        for match in matches:
            parts.append(f"<tr><td>{esc(match['product_id'])}</td><td>{esc(t('label_' + match['label'], language))}</td>"
                         f"<td>{number(match['similarity'], language, 3)}</td>"
                         f"<td>{esc(view_words(match['view'], language) if match.get('view') else '')}</td>"
                         f"<td>{match['image_id']}</td></tr>")
        parts.append("</table>")
    if record.notes:
        parts.append(f"<h2>{esc(t('notes', language))}</h2><div class='note'>{esc(record.notes)}</div>")
    if record.review_verdict:
        parts.append(f"<h2>{esc(t('review', language))}</h2><p><b>{esc(outcome(record.review_verdict, language))}</b>"
                     f" — {esc(record.reviewer or '')}, {esc(record.reviewed_at or '')}</p>"
                     f"<div class='note'>{esc(record.review_note or '')}</div>")
    parts.append(f"<h2>{esc(t('sign_title', language))}</h2><div class='signatures'>"
                 + "".join(f"<div><p>{esc(t(who, language))}</p><div class='line'></div>"
                           f"<p class='small'>{esc(t('sign_date', language))}: ……/……/……</p></div>"
                           for who in ("sign_inspector", "sign_witness")) + "</div>")
    parts.append(f"<p class='small'>{esc(t('disclaimer', language))}</p>")
    parts.append(HTML_PLACEHOLDER if key is not None else "")
    parts.append("</body></html>")
    document = "".join(parts)
    return sign_html(document, key, language) if key is not None else document


def write_reports(record: CheckRecord, catalog: Catalog, language: str, folder: str | Path,
                  key: SigningKey | None = None) -> tuple[Path, Path]:
    """Both files of a check; written as bytes (no newline translation: the signature covers the
    exact bytes)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    html_path = folder / f"check-{record.check_id}-{language}.html"
    json_path = folder / f"check-{record.check_id}.json"
    html_path.write_bytes(report_html(record, catalog, language, key).encode("utf-8"))
    json_path.write_bytes(report_json(record, catalog, key).encode("utf-8"))
    return html_path, json_path
