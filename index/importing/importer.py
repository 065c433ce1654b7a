"""Bulk import of reference photos: decode in a background thread while the model embeds,
commit each batch in one transaction, skip photos already in the catalog.

An import killed at any moment loses at most the batch in flight; running the same import
again skips everything already committed (by content hash) and finishes the rest.
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Sequence

import torch
from tqdm import tqdm

from vision import Embedder, UnreadableImage, thumbnail_jpeg
from vision.alignment import extract
from vision.images import decode, read_bytes, sha256_of
from vision.package import PackageReader
from vision.runtime import pipeline_threads, prefetched

from ..judging import calibration
from ..storing.catalog import Catalog, NewReference, ProductInfo
from .manifests import ProductRow

CHECKPOINT_EVERY_S = 60.0


@dataclass
class ImportSummary:
    added: int = 0
    already_present: int = 0
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    #: Of ``seconds``: refitting the product head and calibration at the end.
    calibration_seconds: float = 0.0
    #: On Ray: from the first batch an embedder actor started to the last it finished (the
    #: pipeline's steady work, without starting Ray and loading the models).
    embedding_seconds: float = 0.0
    #: After the import: products with too few photo sessions for the green badge -> their sessions.
    thin_products: dict[str, int] = field(default_factory=dict)
    #: How many photo sessions a product needs before its checks can earn the green badge, and
    #: how many the sentence asks for.
    min_sessions: int = 0
    ask_sessions: int = 0

    def to_dict(self) -> dict:
        return {
            "added": self.added,
            "already_present": self.already_present,
            "unreadable": [{"path": path, "reason": reason} for path, reason in self.unreadable],
            "seconds": round(self.seconds, 2),
            "thin_products": self.thin_products,
        }

    def format(self) -> str:
        rate = (self.added / self.seconds) if self.seconds else 0.0
        lines = [
            f"added {self.added}, already present {self.already_present}, unreadable {len(self.unreadable)} "
            f"in {self.seconds:.1f} s ({rate:.1f} new photos/s)"
        ]
        lines += [f"  unreadable: {path}: {reason}" for path, reason in self.unreadable]
        if self.thin_products:
            from ..judging.messages import thin_catalog_sentence

            lines += [thin_catalog_sentence(self, "en"), thin_catalog_sentence(self, "vi")]
        return "\n".join(lines)


@dataclass
class _Prepared:
    row: ProductRow
    sha256: str = ""
    tensor: torch.Tensor | None = None
    thumbnail: bytes = b""
    reading: str = ""
    keypoints: bytes = b""
    error: str | None = None
    duplicate: bool = False


def import_references(
    catalog: Catalog,
    embedder: Embedder,
    rows: Sequence[ProductRow],
    batch_size: int = 32,
    progress: bool = True,
    decode_workers: int | None = None,
    reader: PackageReader | None = None,
    keypoints: bool | None = None,
) -> ImportSummary:
    """``decode_workers``: threads decoding (and reading the text and codes of) photos next to
    inference; torch keeps the other cores (at least one). Default: half the cores, at least 2 (on
    2 cores, 2 decoders + 1 inference thread measured 20 photos/s on 12 MP JPEGs against 17 with
    1 + 1, docs/benchmarks.md). ``reader``: default, what the catalog's settings ask for; so does
    ``keypoints`` (keep each reference's local features, ``vision.alignment``, found on the photo
    already decoded)."""
    if decode_workers is None:
        from vision.runtime import available_cores

        cores = available_cores()
        decode_workers = max(1, min(cores, max(2, cores // 2)))
    if reader is None:
        from ..connect import reader_for

        reader = reader_for(catalog, threads=1)  # one engine per decode thread, one core each
    if keypoints is None:
        keypoints = catalog.keeps_keypoints
    started = time.monotonic()
    summary = ImportSummary()
    known = catalog.known_hashes()
    catalog.declare(declarations(rows))
    catalog.keep_missing_originals()  # catalogs made before originals were kept migrate here

    def prepare(row: ProductRow) -> _Prepared:
        try:
            data = read_bytes(row.path)
            sha = sha256_of(data)
            if sha in known:
                return _Prepared(row, sha, duplicate=True)
            image = decode(data, str(row.path), min_side=max(embedder.min_decode_side, reader.min_side))
            catalog.keep_original(sha, data)
            reading = reader.read(image).to_json() if reader.enabled else ""
            points = extract(image).to_bytes() if keypoints else b""
            return _Prepared(row, sha, embedder.preprocess(image), thumbnail_jpeg(image), reading, points)
        except UnreadableImage as exc:
            return _Prepared(row, error=exc.reason)
        except Exception as exc:  # one odd file must never abort an import of thousands
            return _Prepared(row, error=f"unexpected error while reading: {type(exc).__name__}: {exc}")

    bar = tqdm(total=len(rows), unit="img", desc="importing", disable=not progress, file=sys.stderr, dynamic_ncols=True)
    try:
        # Photos decode in the background, a few dozen ahead, while each batch is embedded and
        # committed; torch gets the cores the decoders do not use.
        with ThreadPoolExecutor(max_workers=max(1, decode_workers), thread_name_prefix="decode") as pool, \
                pipeline_threads(max(1, decode_workers)):
            prepared: list[_Prepared] = []
            for item in prefetched(pool, prepare, rows, ahead=2 * batch_size):
                prepared.append(item)
                if len(prepared) < batch_size:
                    continue
                _commit(catalog, embedder, prepared, summary, known)
                bar.update(len(prepared))
                bar.set_postfix(added=summary.added, present=summary.already_present, unreadable=len(summary.unreadable))
                prepared = []
                if catalog.seconds_since_checkpoint() > CHECKPOINT_EVERY_S:
                    catalog.checkpoint()
            if prepared:
                _commit(catalog, embedder, prepared, summary, known)
                bar.update(len(prepared))
    finally:
        bar.close()
    return finish_import(catalog, summary, started)


def declarations(rows: Sequence[ProductRow]) -> list[ProductInfo]:
    """What the manifest declares per product: its label text (the last given) and its GTINs."""
    texts: dict[str, str] = {}
    gtins: dict[str, list[str]] = {}
    for row in rows:
        if row.label_text:
            texts[row.product_id] = row.label_text
        if row.gtins:
            gtins.setdefault(row.product_id, []).extend(row.gtins)
    return [ProductInfo(p, texts.get(p, ""), tuple(dict.fromkeys(gtins.get(p, ())))) for p in sorted({*texts, *gtins})]


def note_thin_products(summary: ImportSummary, refitted) -> None:
    """Tell the brand owner which products cannot earn the green badge yet (issue 28)."""
    thin = refitted.thin_products(sorted(refitted.session_counts))
    summary.thin_products = {p: refitted.session_counts.get(p, 0) for p in thin}
    summary.min_sessions, summary.ask_sessions = calibration.MIN_SESSIONS, calibration.ASK_SESSIONS


def finish_import(catalog: Catalog, summary: ImportSummary, started: float) -> ImportSummary:
    """After the last batch: write the search index, refit head and calibration (when anything
    was added), and time the import."""
    if summary.added:
        catalog.checkpoint()
        refit_started = time.monotonic()
        refitted = calibration.refresh(catalog)
        summary.calibration_seconds = time.monotonic() - refit_started
        note_thin_products(summary, refitted)
    summary.seconds = time.monotonic() - started
    return summary


def _commit(catalog: Catalog, embedder: Embedder, prepared: list[_Prepared], summary: ImportSummary, known: set[str]) -> None:
    fresh: dict[str, _Prepared] = {}
    for item in prepared:
        if item.error is not None:
            summary.unreadable.append((str(item.row.path), item.error))
        elif item.duplicate or item.sha256 in fresh:
            summary.already_present += 1
        else:
            fresh[item.sha256] = item
    if not fresh:
        return
    items = list(fresh.values())
    vectors = embedder.embed_tensors([item.tensor for item in items])
    new = [
        NewReference(
            product_id=item.row.product_id, sha256=item.sha256, label=item.row.label, name=item.row.name,
            brand=item.row.brand, view=item.row.view, source_path=str(item.row.path), thumbnail=item.thumbnail,
            reading=item.reading, keypoints=item.keypoints,
        )
        for item in items
    ]
    ids = catalog.add(new, vectors)
    for item, image_id in zip(items, ids):
        known.add(item.sha256)
        if image_id is None:
            summary.already_present += 1
        else:
            summary.added += 1
