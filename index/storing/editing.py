"""Catalog changes as one step each: take the writer lock, change (each transaction with its audit
row), recompute calibration. Used by the app (after login) and by the review loop.

A process that checks photos keeps its own read-only catalog; after a change it calls
``Verifier.reload()`` to see the new references.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from vision import Embedder

from . import audit
from ..judging import calibration
from .catalog import Catalog, CatalogError
from ..importing.importer import ImportSummary, import_references
from ..importing.manifests import ProductRow
from ..importing.tuning import tune_in_background_if_due


def add_references(catalog_dir: str | Path, embedder: Embedder, rows: Sequence[ProductRow], user: str,
                   action: str = "add_references", extra: dict | None = None) -> ImportSummary:
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


def remove_references(catalog_dir: str | Path, image_ids: Sequence[int], user: str) -> int:
    with Catalog.open(catalog_dir, writable=True) as catalog:
        known = catalog.references_by_id(image_ids)
        missing = sorted(set(int(i) for i in image_ids) - set(known))
        if missing:
            raise CatalogError(f"no reference with image id {', '.join(map(str, missing))} in this catalog")
        with catalog.audited(user, "remove_references", {"image_ids": sorted(known),
                                                          "products": sorted({r.product_id for r in known.values()})}):
            removed = catalog.remove_images(image_ids)
        calibration.refresh(catalog)
    tune_in_background_if_due(catalog_dir)
    return removed


def remove_product(catalog_dir: str | Path, product_id: str, user: str) -> int:
    with Catalog.open(catalog_dir, writable=True) as catalog:
        with catalog.audited(user, "remove_product", {"product_id": product_id}):
            removed = catalog.remove_product(product_id)
        if not removed:
            raise CatalogError(f"no product {product_id!r} in this catalog")
        calibration.refresh(catalog)
    tune_in_background_if_due(catalog_dir)
    return removed
