#!/usr/bin/env python
"""Counterfeit product photo verifier: a web page that checks photos against a catalog.

    python app.py [--catalog CATALOG_DIR] [--host 127.0.0.1] [--port 7860]

With no --catalog, the demo catalog (catalogs/demo) is built from demo/ on the first run.
The model and the catalog are loaded once per process; the page only renders Verdicts.
"""

from __future__ import annotations

import argparse
import html
import json
import logging
import sys
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

from index import Catalog, Verdict, Verifier, connect, import_references, read_products

ROOT = Path(__file__).resolve().parent
DEMO_MANIFEST = ROOT / "demo" / "products.csv"
DEMO_CATALOG = ROOT / "catalogs" / "demo"
DEMO_QUERIES = ROOT / "demo" / "queries"

BADGE_COLOURS = {"genuine": "#1b7f3b", "suspicious": "#b26a00", "counterfeit": "#b3261e", "unknown": "#5f6368"}

log = logging.getLogger("app")


def ensure_demo_catalog(catalog_dir: Path = DEMO_CATALOG, model: str | None = None) -> None:
    """Build the demo catalog from demo/products.csv unless it is already complete."""
    rows = read_products(DEMO_MANIFEST)
    if Catalog.exists(catalog_dir):
        with Catalog.open(catalog_dir) as catalog:
            if len(catalog) >= len(rows):
                return
    log.warning("building the demo catalog in %s (first run only)", catalog_dir)
    catalog, embedder = connect(catalog_dir, model, create=True, writable=True)
    with catalog:
        summary = import_references(catalog, embedder, rows, progress=True)
    log.warning("demo catalog: %s", summary.format())


def render_badge(verdict: Verdict) -> str:
    colour = BADGE_COLOURS[verdict.verdict]
    score = "n/a" if verdict.counterfeit_score is None else f"{verdict.counterfeit_score:.2f}"
    flags = "".join(f"<li>{html.escape(flag.replace('_', ' '))}</li>" for flag in verdict.flags)
    errors = "".join(f"<li>{html.escape(Path(e.path).name)}: {html.escape(e.reason)}</li>" for e in verdict.errors)
    return (
        f'<div class="verdict"><span class="badge" style="background:{colour}">{verdict.verdict.upper()}</span>'
        f"<p>{html.escape(verdict.explanation)}</p>"
        f"<p>Counterfeit score: <b>{score}</b> (0 = typical of genuine photos, 1 = unlike them). "
        f"Identified product: <b>{html.escape(verdict.product_id or 'none')}</b>.</p>"
        + (f"<p>Flags:</p><ul>{flags}</ul>" if flags else "")
        + (f"<p>Photos that could not be read:</p><ul>{errors}</ul>" if errors else "")
        + "</div>"
    )


def evidence_gallery(catalog: Catalog, verdict: Verdict) -> list[tuple[Image.Image, str]]:
    items = []
    refs = catalog.references_by_id(m.image_id for m in verdict.matches)
    for match in verdict.matches:
        ref = refs.get(match.image_id)
        if ref is None:
            continue
        thumb = catalog.thumbnail_path(ref.sha256)
        if not thumb.is_file():
            continue
        with Image.open(thumb) as image:
            caption = f"{match.product_id} · {match.label} · similarity {match.similarity:.2f}" + (
                f" · {match.view}" if match.view else "")
            items.append((image.convert("RGB"), caption))
    return items


def region_overlay(verdict: Verdict) -> Image.Image | None:
    """The checked photo with the region map drawn over the part the model sees: green where the
    photo matches the reference, red where it does not."""
    regions = verdict.regions
    if not regions:
        return None
    from vision import load_image

    photo = load_image(regions["photo"])
    photo.thumbnail((640, 640))
    width, height = photo.size
    left, top, right, bottom = regions["box"]
    grid = np.clip(np.array(regions["similarity"], dtype=np.float32), 0.0, 1.0)
    # 0.3 (or less) -> red, 0.9 (or more) -> green: the range where genuine and altered regions fall
    t = np.clip((grid - 0.3) / 0.6, 0.0, 1.0)
    colours = np.stack([255 * (1 - t), 200 * t, np.zeros_like(t), np.full_like(t, 110)], axis=-1).astype(np.uint8)
    cells = Image.fromarray(colours, mode="RGBA")
    box = (round(left * width), round(top * height), round(right * width), round(bottom * height))
    heat = cells.resize((box[2] - box[0], box[3] - box[1]), Image.Resampling.BILINEAR)
    canvas = photo.convert("RGBA")
    canvas.alpha_composite(heat, dest=box[:2])
    return canvas.convert("RGB")


def build_app(verifier: Verifier) -> gr.Blocks:
    catalog = verifier.catalog
    stats = catalog.stats()

    def check(files, claimed):
        paths = [f if isinstance(f, str) else f.name for f in (files or [])]
        if not paths:
            raise gr.Error("Add at least one photo of the item.")
        verdict = verifier.check(paths, claimed_product_id=(claimed or "").strip() or None)
        # As text, not gr.JSON: Gradio treats any dict with a "path" key as a file to serve.
        return (render_badge(verdict), evidence_gallery(catalog, verdict), region_overlay(verdict),
                json.dumps(verdict.to_dict(), indent=2, ensure_ascii=False))

    with gr.Blocks(title="Counterfeit photo verifier") as demo:
        gr.Markdown(
            "# Counterfeit product photo verifier\n"
            "Upload one or several photos of **one item**. The photos are compared with the catalog's genuine "
            "references; the verdict shows the nearest matches as evidence. A photo comparison cannot prove "
            "authenticity: it tells whether the item looks like the genuine references.\n\n"
            f"Catalog: {stats['references']} references of {stats['products']} products · model `{stats['model']}`"
        )
        with gr.Row():
            with gr.Column(scale=1):
                photos = gr.File(label="Photos of the item", file_count="multiple", file_types=["image"], type="filepath")
                claimed = gr.Textbox(label="Claimed product id (optional)", placeholder="e.g. Arla-Standard-Milk")
                button = gr.Button("Verify", variant="primary")
            with gr.Column(scale=2):
                badge = gr.HTML(label="Verdict")
                gallery = gr.Gallery(label="Nearest catalog references (evidence)", columns=5, height="auto")
                heatmap = gr.Image(label="Where the photo matches the best reference (green) and where not (red)",
                                   type="pil", interactive=False)
                raw = gr.Code(label="Full result (JSON)", language="json")
        examples = sorted(str(p) for p in DEMO_QUERIES.glob("*.jpg"))[:6] if catalog.path.resolve() == DEMO_CATALOG.resolve() else []
        if examples:
            gr.Examples([[[p], ""] for p in examples], inputs=[photos, claimed], label="Demo photos")
        button.click(check, inputs=[photos, claimed], outputs=[badge, gallery, heatmap, raw], api_name="verify")
    return demo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--catalog", default=None, help="catalog folder (default: the demo catalog, built on first run)")
    parser.add_argument("--model", default=None, help="model for building the demo catalog (default auto)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all cores)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")

    catalog_dir = Path(args.catalog) if args.catalog else DEMO_CATALOG
    if args.catalog is None:
        ensure_demo_catalog(catalog_dir, args.model)
    catalog, embedder = connect(catalog_dir, threads=args.threads)
    verifier = Verifier(catalog, embedder)
    demo = build_app(verifier)
    # Two cores: one verification at a time keeps each answer fast instead of all of them slow.
    demo.queue(default_concurrency_limit=1, max_size=64)
    demo.launch(server_name=args.host, server_port=args.port, allowed_paths=[], show_error=True,
                css=".badge{color:#fff;padding:4px 12px;border-radius:6px;font-weight:700;font-size:1.3em}")


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:  # a clear line for the person who started the app
        from index.cli import USER_ERRORS

        if isinstance(exc, USER_ERRORS):
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(2)
        raise
