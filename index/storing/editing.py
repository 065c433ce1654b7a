"""Catalog changes as one step each: take the writer lock, change (each transaction with its audit
row), recompute calibration. Used by the app (after login) and by the review loop.

A process that checks photos keeps its own read-only catalog; after a change it calls
``Verifier.reload()`` to see the new references.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Sequence

from vision import Embedder

from . import audit
from ..judging import calibration
from .catalog import Catalog, CatalogError, ProductInfo
from ..importing.importer import ImportSummary, import_references
from ..importing.manifests import ProductRow
from ..importing.tuning import tune_in_background_if_due


#: How long a product's fields may be (characters; GTINs: how many), checked before anything is
#: saved (``check_product_fields``). Before (issue 25) a 5 MB label text and a 2 MB name were
#: accepted, and every page load, anonymous ones included, became 17-18 MB (the product pickers
#: and tables carry every name).
FIELD_LIMITS = {"product_id": 200, "name": 200, "brand": 200, "view": 200, "label_text": 4000, "gtins_text": 1000,
                "gtins": 32}


class FieldTooLong(ValueError):
    """A product field over its limit: ``field``, ``length`` and ``limit`` give the sentence."""

    def __init__(self, field: str, length: int, limit: int):
        self.field, self.length, self.limit = field, length, limit
        unit = "codes" if field == "gtins" else "characters"
        super().__init__(f"the product's {field.replace('_', ' ')} holds {length} {unit}; at most {limit} are kept "
                         "(nothing was saved)")


def check_product_fields(**fields) -> None:
    """Raise FieldTooLong for the first field over its ``FIELD_LIMITS`` (None: not given). ``gtins``
    is a list of codes; ``gtins_text`` the codes as typed, before they are parsed."""
    for field, value in fields.items():
        if value is None:
            continue
        length = len(value)
        if length > FIELD_LIMITS[field]:
            raise FieldTooLong("gtins" if field == "gtins_text" else field, length, FIELD_LIMITS[field])


def add_references(catalog_dir: str | Path, embedder: Embedder, rows: Sequence[ProductRow], user: str,
                   action: str = "add_references", extra: dict | None = None) -> ImportSummary:
    for row in rows:
        check_product_fields(product_id=row.product_id, name=row.name, brand=row.brand, view=row.view)
    details = {"products": sorted({row.product_id for row in rows}), "labels": sorted({row.label for row in rows}),
               "photos": len(rows), **(extra or {})}
    with Catalog.open(catalog_dir, writable=True) as catalog, catalog.audited(user, action, details):
        catalog.check_embedder(embedder.name, embedder.dim, embedder.fingerprint())
        summary = import_references(catalog, embedder, rows, progress=False)
    if summary.unreadable or summary.already_present:  # what was not added: told, not a change
        audit.record(catalog_dir, user, f"{action}_skipped", {
            "already_present": summary.already_present,
            "unreadable": [Path(path).name for path, _ in summary.unreadable], **(extra or {})})
    if summary.added:
        tune_in_background_if_due(catalog_dir)
    return summary


#: The last removal's photos and rows, kept so it can be undone (one removal deep).
UNDO_DIR = ".last-removal"
UNDO_MANIFEST = "removed.json"


def remove_references(catalog_dir: str | Path, image_ids: Sequence[int], user: str) -> int:
    with Catalog.open(catalog_dir, writable=True) as catalog:
        known = catalog.references_by_id(image_ids)
        missing = sorted(set(int(i) for i in image_ids) - set(known))
        if missing:
            raise CatalogError(f"no reference with image id {', '.join(map(str, missing))} in this catalog")
        _keep_for_undo(catalog, list(known.values()))
        with catalog.audited(user, "remove_references", {"image_ids": sorted(known),
                                                          "products": sorted({r.product_id for r in known.values()})}):
            removed = catalog.remove_images(image_ids)
        calibration.refresh(catalog)
    tune_in_background_if_due(catalog_dir)
    return removed


def remove_product(catalog_dir: str | Path, product_id: str, user: str) -> int:
    with Catalog.open(catalog_dir, writable=True) as catalog:
        refs = catalog.references(product_id=product_id)
        if not refs:
            raise CatalogError(f"no product {product_id!r} in this catalog")
        _keep_for_undo(catalog, refs)
        with catalog.audited(user, "remove_product", {"product_id": product_id}):
            removed = catalog.remove_product(product_id)
        calibration.refresh(catalog)
    tune_in_background_if_due(catalog_dir)
    return removed


def last_removal(catalog_dir: str | Path) -> dict | None:
    """What the last removal took out (``products``, ``references``), or None when there is
    nothing to undo."""
    manifest = Path(catalog_dir) / UNDO_DIR / UNDO_MANIFEST
    try:
        kept = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return {"products": sorted({r["product_id"] for r in kept["references"]}),
            "references": len(kept["references"])}


def undo_last_removal(catalog_dir: str | Path, embedder: Embedder, user: str) -> ImportSummary:
    """Put the last removal's references back (photos re-read and re-embedded with the catalog's
    model as it is now; new image ids), with the products' declared label text and GTINs; audited
    as ``undo_removal``. The kept copy is dropped only once they are back."""
    folder = Path(catalog_dir) / UNDO_DIR
    try:
        kept = json.loads((folder / UNDO_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise CatalogError("there is no removal to undo (only the last removal can be undone)") from None
    rows = [ProductRow(i + 1, folder / r["file"], r["product_id"], r["label"], r["name"], r["brand"], r["view"])
            for i, r in enumerate(kept["references"])]
    summary = add_references(catalog_dir, embedder, rows, user, "undo_removal",
                             {"products": sorted({r.product_id for r in rows})})
    declared = [ProductInfo(p, d["label_text"], tuple(d["gtins"])) for p, d in kept.get("declared", {}).items()]
    if declared:
        with Catalog.open(catalog_dir, writable=True) as catalog, \
                catalog.audited(user, "undo_removal", {"declared": sorted(d.product_id for d in declared)}):
            catalog.declare(declared)
        with Catalog.open(catalog_dir, writable=True) as catalog:
            calibration.refresh(catalog)
    shutil.rmtree(folder, ignore_errors=True)
    return summary


def edit_product(catalog_dir: str | Path, product_id: str, user: str, name: str | None = None,
                 brand: str | None = None, label_text: str | None = None, gtins: Sequence[str] | None = None) -> dict:
    """Change a product's name, brand, declared label text or GTINs (None: unchanged) as its own
    audited action (``edit_product``); returns what changed (field -> [before, after])."""
    check_product_fields(name=name, brand=brand, label_text=label_text, gtins=None if gtins is None else list(gtins))
    with Catalog.open(catalog_dir, writable=True) as catalog:
        with catalog.audited(user, "edit_product", {"product_id": product_id}):
            changed = catalog.edit_product(product_id, name, brand, label_text, gtins)
        if changed:
            calibration.refresh(catalog)
    return changed


def _keep_for_undo(catalog: Catalog, refs) -> None:
    """Copy the photos and rows about to be removed beside the catalog (replacing the previous
    removal's), before the removal commits: an undo re-imports them."""
    root = catalog.path / UNDO_DIR
    staging = Path(tempfile.mkdtemp(prefix=".removal-", dir=catalog.path))
    try:
        rows = []
        for ref in refs:
            name = f"{ref.image_id}{Path(ref.source_path).suffix.lower() or '.jpg'}"
            try:
                shutil.copyfile(catalog.original_path(ref), staging / name)
            except OSError:
                # a catalog from before originals were kept, whose source photo is gone: the
                # removal goes ahead, this reference cannot come back with an undo
                continue
            rows.append({"file": name, "product_id": ref.product_id, "label": ref.label, "name": ref.name,
                         "brand": ref.brand, "view": ref.view, "image_id": ref.image_id})
        info = catalog.product_info()
        removed = {ref.image_id for ref in refs}
        gone = {p for p in {ref.product_id for ref in refs}
                if all(r.image_id in removed for r in catalog.references(product_id=p))}
        declared = {p: {"label_text": info[p].label_text, "gtins": list(info[p].gtins)} for p in gone if p in info}
        (staging / UNDO_MANIFEST).write_text(json.dumps({"references": rows, "declared": declared}, ensure_ascii=False),
                                             encoding="utf-8")
        shutil.rmtree(root, ignore_errors=True)
        staging.rename(root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
