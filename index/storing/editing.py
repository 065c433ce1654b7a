"""Catalog changes as one step each: take the writer lock, change (each transaction with its audit
row), recompute calibration. Used by the app (after login) and by the review loop.

A process that checks photos keeps its own read-only catalog; after a change it calls
``Verifier.reload()`` to see the new references.
"""

from __future__ import annotations

import base64
import json
import shutil
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from vision import Embedder

from . import audit
from . import keypoints as keypoint_store
from ..judging import calibration
from .catalog import Catalog, CatalogError, NewReference, ProductInfo, write_atomic
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
    """Put the last removal's references back as they were: the same image id, file name, time
    added, metadata, what was read on them and their keypoints, their photo and thumbnail, and
    their vector (re-embedded from the kept photo only when the catalog's model changed since, by a
    tuning), with the products' declared label text and GTINs; one transaction, audited as
    ``undo_removal``. The kept copy is dropped only once they are back, and an undo cut short
    (killed after the commit) only finds them back on the next try.

    Before (issue 26) an undo re-imported the kept photos: each came back under a new number, its
    file name became the number (``137.jpg``) and its time the undo's."""
    folder = Path(catalog_dir) / UNDO_DIR
    try:
        kept = json.loads((folder / UNDO_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise CatalogError("there is no removal to undo (only the last removal can be undone)") from None
    whole = [r for r in kept["references"] if "sha256" in r]
    older = [r for r in kept["references"] if "sha256" not in r]  # kept by a version before issue 26
    products = sorted({r["product_id"] for r in kept["references"]})
    summary = ImportSummary()
    if older:
        rows = [ProductRow(i + 1, folder / r["file"], r["product_id"], r["label"], r["name"], r["brand"], r["view"])
                for i, r in enumerate(older)]
        summary = add_references(catalog_dir, embedder, rows, user, "undo_removal", {"products": products})
    declared = [ProductInfo(p, d["label_text"], tuple(d["gtins"])) for p, d in kept.get("declared", {}).items()]
    with Catalog.open(catalog_dir, writable=True) as catalog:
        same_model = kept.get("vectors") == _vectors_state(catalog)
        if not same_model and whole:
            catalog.check_embedder(embedder.name, embedder.dim, embedder.fingerprint())
        new, vectors = [], []
        for r in whole:
            photo = folder / r["file"]
            data = photo.read_bytes()
            catalog.keep_original(r["sha256"], data)  # named by content: harmless twice
            thumbnail = (folder / r["thumbnail"]).read_bytes() if r.get("thumbnail") else b""
            keypoints = (folder / r["keypoints"]).read_bytes() if r.get("keypoints") else b""
            new.append(NewReference(r["product_id"], r["sha256"], r["label"], r["name"], r["brand"], r["view"],
                                    r["source_path"], thumbnail, r.get("reading", ""), keypoints,
                                    image_id=int(r["image_id"]), added_at=r["added_at"]))
            vectors.append(np.frombuffer(base64.b64decode(r["vector"]), dtype=np.float16) if same_model
                           else _embed_photo(embedder, catalog, photo))
        if new or declared:
            details = {"products": products, "image_ids": sorted(int(r["image_id"]) for r in whole)}
            with catalog.audited(user, "undo_removal", details):
                ids = catalog.add(new, np.stack(vectors) if vectors else np.zeros((0, catalog.embedder.dim)), declared)
            catalog.checkpoint()
            summary.added += sum(1 for i in ids if i is not None)
            summary.already_present += sum(1 for i in ids if i is None)
            calibration.refresh(catalog)
    shutil.rmtree(folder, ignore_errors=True)
    if summary.added:
        tune_in_background_if_due(catalog_dir)
    return summary


def _vectors_state(catalog: Catalog) -> dict:
    """What a kept vector is valid for: the model (name, size) and the vectors' version (a tuning
    re-embeds every reference and bumps it)."""
    return {"model": catalog.embedder.name, "dim": catalog.embedder.dim,
            "version": catalog.setting("vectors_version") or "0"}


def _embed_photo(embedder: Embedder, catalog: Catalog, photo: Path) -> np.ndarray:
    """A kept photo embedded by the catalog's model as it is now, decoded as the import decodes it."""
    from vision import load_image

    from ..connect import reader_for

    side = max(embedder.min_decode_side, reader_for(catalog).min_side)
    return np.asarray(embedder.embed([load_image(photo, min_side=side)])[0], dtype=np.float16)


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
    """Copy the references about to be removed beside the catalog, whole (replacing the previous
    removal's), before the removal commits: each one's photo, thumbnail and keypoints as files, and
    its row (number, metadata, file name, time added, what was read on it, its vector) in the
    manifest, so that an undo puts back the same reference."""
    root = catalog.path / UNDO_DIR
    staging = Path(tempfile.mkdtemp(prefix=".removal-", dir=catalog.path))
    try:
        ids = [ref.image_id for ref in refs]
        readings = catalog.readings(ids)
        stored = _raw_rows(catalog, ids)
        rows = []
        for ref in refs:
            name = f"{ref.image_id}{Path(ref.source_path).suffix.lower() or '.jpg'}"
            try:
                shutil.copyfile(catalog.original_path(ref), staging / name)
            except OSError:
                # a catalog from before originals were kept, whose source photo is gone: the
                # removal goes ahead, this reference cannot come back with an undo
                continue
            row = {"file": name, "product_id": ref.product_id, "label": ref.label, "name": ref.name,
                   "brand": ref.brand, "view": ref.view, "image_id": ref.image_id, "sha256": ref.sha256,
                   "source_path": ref.source_path, "added_at": ref.added_at,
                   "vector": base64.b64encode(stored[ref.image_id][0]).decode("ascii")}
            if ref.image_id in readings:
                row["reading"] = readings[ref.image_id]
            if stored[ref.image_id][1]:
                row["keypoints"] = f"{ref.image_id}.keypoints"
                (staging / row["keypoints"]).write_bytes(stored[ref.image_id][1])
            thumbnail = catalog.thumbnail_path(ref.sha256)
            if thumbnail.is_file():
                row["thumbnail"] = f"{ref.image_id}.thumbnail.jpg"
                shutil.copyfile(thumbnail, staging / row["thumbnail"])
            rows.append(row)
        info = catalog.product_info()
        removed = {ref.image_id for ref in refs}
        gone = {p for p in {ref.product_id for ref in refs}
                if all(r.image_id in removed for r in catalog.references(product_id=p))}
        declared = {p: {"label_text": info[p].label_text, "gtins": list(info[p].gtins)} for p in gone if p in info}
        write_atomic(staging / UNDO_MANIFEST, json.dumps({"references": rows, "declared": declared,
                                                          "vectors": _vectors_state(catalog)},
                                                         ensure_ascii=False).encode("utf-8"))
        shutil.rmtree(root, ignore_errors=True)
        staging.rename(root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _raw_rows(catalog: Catalog, image_ids: list[int]) -> dict[int, tuple[bytes, bytes]]:
    """image id -> (its stored vector's bytes, its keypoints record or b"")."""
    out: dict[int, tuple[bytes, bytes]] = {}
    keypoints = keypoint_store.has_table(catalog.db)
    for start in range(0, len(image_ids), 500):
        chunk = [int(i) for i in image_ids[start:start + 500]]
        marks = ",".join("?" * len(chunk))
        vectors = dict(catalog.db.execute(f"SELECT image_id, vector FROM refs WHERE image_id IN ({marks})", chunk))
        records = dict(catalog.db.execute(f"SELECT image_id, data FROM keypoints WHERE image_id IN ({marks})",
                                          chunk)) if keypoints else {}
        for image_id in chunk:
            out[image_id] = (bytes(vectors[image_id]), bytes(records.get(image_id, b"")))
    return out
