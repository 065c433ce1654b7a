"""Detail vectors of references (``vision.details``), kept in the catalog database by photo.

Only the references an authenticity model is fitted on need them (the products, and brands, with
seized fakes), so they are computed when a calibration first needs them, from the photo the
catalog keeps (``Catalog.original_path``), not at import: a catalog without fakes never pays for
them. A row is keyed by the photo's SHA-256 and the features' kind, so it survives a removal and
its Undo, a tuning and a change of the catalog's model (the ImageNet weights never change), and
a kept row is never stale. 1,280 float16 (2,560 bytes) a photo.

Writing is a cache write, outside the catalog's changes: no generation, no audit. A read-only
catalog computes what is missing each time and keeps nothing.
"""

from __future__ import annotations

import sqlite3
from typing import Callable, Sequence

import numpy as np

SCHEMA = """
-- Detail vectors (vision.details) of reference photos, by content: computed when first needed.
CREATE TABLE IF NOT EXISTS detail_vectors (
    sha256 TEXT NOT NULL,
    kind   TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (sha256, kind)
) WITHOUT ROWID;
"""
#: Photos decoded and embedded together when filling in.
BATCH = 16


def has_table(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'detail_vectors'").fetchone() \
        is not None


def read(db: sqlite3.Connection, sha256s: Sequence[str], kind: str, dim: int) -> dict[str, np.ndarray]:
    """The kept vectors of these photos (float32, unit length), by SHA-256; a row of the wrong
    length (another kind's, damaged) is left out and computed again."""
    found: dict[str, np.ndarray] = {}
    if not has_table(db):
        return found
    wanted = sorted(set(sha256s))
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        rows = db.execute(f"SELECT sha256, vector FROM detail_vectors WHERE kind = ? AND sha256 IN "
                          f"({','.join('?' * len(chunk))})", [kind, *chunk]).fetchall()
        for sha, blob in rows:
            vector = np.frombuffer(blob, dtype=np.float16)
            if len(vector) == dim and np.isfinite(vector).all():
                found[sha] = vector.astype(np.float32)
    return found


def write(db: sqlite3.Connection, vectors: dict[str, np.ndarray], kind: str) -> None:
    """Keep computed vectors (one transaction)."""
    if not vectors:
        return
    with db:  # the table is made when a writable catalog is opened (``catalog.SCHEMA``)
        db.executemany("INSERT OR REPLACE INTO detail_vectors (sha256, kind, vector) VALUES (?, ?, ?)",
                       [(sha, kind, np.asarray(v, np.float16).tobytes()) for sha, v in vectors.items()])


def for_references(catalog, refs: Sequence, features_factory: Callable | None = None) -> np.ndarray | None:
    """(len(refs), dim) detail vectors of these references, in order; those not kept are computed
    from the catalog's copy of each photo (and kept, if the catalog is writable). None when any
    photo cannot be read (a catalog from before originals were kept, a file gone): the caller
    then judges without details, all alike."""
    from vision.details import DIM, KIND
    from vision.images import UnreadableImage, load_image

    db = catalog.db
    kept = read(db, [r.sha256 for r in refs], KIND, DIM)
    missing = [r for r in refs if r.sha256 not in kept]
    if missing:
        if features_factory is None:
            from vision.details import shared as features_factory
        features = features_factory()
        computed: dict[str, np.ndarray] = {}
        for start in range(0, len(missing), BATCH):
            chunk = missing[start:start + BATCH]
            images = []
            for ref in chunk:
                try:
                    images.append(load_image(catalog.original_path(ref), min_side=features.min_decode_side))
                except (UnreadableImage, OSError):
                    return None
            computed.update(zip((r.sha256 for r in chunk), features.of_images(images)))
        if catalog.writable:
            write(db, computed, KIND)
        kept.update(computed)
    if not refs:
        return np.zeros((0, DIM), np.float32)
    return np.stack([kept[r.sha256] for r in refs]).astype(np.float32)
