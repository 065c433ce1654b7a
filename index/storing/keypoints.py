"""Each reference's local features (``vision.alignment.Keypoints``), kept in the catalog database.

One row per reference (image id -> the serialised keypoints), written in the transaction that adds
the reference and deleted in the one that removes it, so a reference never exists without its
keypoints being either complete or absent. A row is bounded: at most ``MAX_BYTES`` (the header and
``MAX_FEATURES`` keypoints of 132 bytes: about 106 KB); ``write`` refuses anything larger.

Whether a catalog keeps keypoints is its setting ``keypoints`` (on for new catalogs, off with
``--no-keypoints``). A catalog made before keypoints existed gets them from its kept originals with
``fill_missing`` (``scripts/manage_catalog.py CATALOG keypoints``), which also turns the setting on.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Iterable

from vision.alignment import EXTRACT_SIDE, MAX_FEATURES, Keypoints, KeypointsError

SCHEMA = """
-- Local features of each reference (vision.alignment: SIFT/RootSIFT, bounded), for alignment.
CREATE TABLE IF NOT EXISTS keypoints (image_id INTEGER PRIMARY KEY, data BLOB NOT NULL);
"""
#: Catalog setting: how references' keypoints are found, or absent/"off" when they are not kept.
SETTING = "keypoints"
#: The largest record: header (14 bytes) and MAX_FEATURES keypoints of 4 + 128 bytes.
MAX_BYTES = 14 + MAX_FEATURES * 132
#: References whose keypoints are computed and committed together when filling a catalog in.
FILL_BATCH = 64


def describe() -> str:
    """The setting's value for a catalog that keeps keypoints."""
    return json.dumps({"kind": "sift-rootsift-u8", "side": EXTRACT_SIDE, "max": MAX_FEATURES})


def kept(setting: str | None) -> bool:
    """Whether a catalog with this ``keypoints`` setting keeps keypoints for its references."""
    return bool(setting) and setting != "off"


def check_record(data: bytes) -> None:
    """Refuse a record too large to keep (``KeypointsError``) before it is written."""
    if len(data) > MAX_BYTES:
        raise KeypointsError(f"keypoints record of {len(data)} bytes is larger than the {MAX_BYTES}-byte limit")


def insert(db: sqlite3.Connection, image_id: int, data: bytes) -> None:
    """Inside the caller's transaction: keep a reference's keypoints."""
    check_record(data)
    db.execute("INSERT OR REPLACE INTO keypoints (image_id, data) VALUES (?, ?)", (int(image_id), data))


def remove(db: sqlite3.Connection, image_ids: list[int]) -> None:
    """Inside the caller's transaction: forget the keypoints of removed references."""
    if image_ids and has_table(db):
        db.execute(f"DELETE FROM keypoints WHERE image_id IN ({','.join('?' * len(image_ids))})", image_ids)


def has_table(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'keypoints'").fetchone() is not None


def read(db: sqlite3.Connection, image_ids: Iterable[int]) -> tuple[dict[int, Keypoints], dict[int, str]]:
    """(image id -> keypoints, image id -> why its record cannot be used) for the references that
    have a record; a damaged or oversized record is reported, never raised mid-check."""
    ids = sorted({int(i) for i in image_ids})
    found: dict[int, Keypoints] = {}
    problems: dict[int, str] = {}
    if not ids or not has_table(db):
        return found, problems
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = db.execute(f"SELECT image_id, data FROM keypoints WHERE image_id IN ({','.join('?' * len(chunk))})",
                          chunk).fetchall()
        for image_id, data in rows:
            try:
                if len(data) > MAX_BYTES:
                    raise KeypointsError(f"keypoints record of {len(data)} bytes is larger than the "
                                         f"{MAX_BYTES}-byte limit")
                found[image_id] = Keypoints.from_bytes(data)
            except KeypointsError as exc:
                problems[image_id] = str(exc)
    return found, problems


def missing(db: sqlite3.Connection) -> list[int]:
    """Image ids of references without a keypoints row, or with one of an impossible size (a
    record damaged in another way is reported when it is read, and replaced by ``fill_missing``
    once ``read`` has named it)."""
    if not has_table(db):
        return [row[0] for row in db.execute("SELECT image_id FROM refs ORDER BY image_id")]
    rows = db.execute("SELECT r.image_id FROM refs r LEFT JOIN keypoints k USING (image_id) "
                      "WHERE k.image_id IS NULL OR length(k.data) > ? OR length(k.data) < 14 ORDER BY r.image_id",
                      (MAX_BYTES,)).fetchall()
    return [row[0] for row in rows]


def summary(db: sqlite3.Connection) -> dict:
    """How many references have keypoints and what they take (bytes per reference)."""
    if not has_table(db):
        return {"references_with_keypoints": 0, "keypoint_bytes_per_reference": 0}
    count, total = db.execute("SELECT COUNT(*), COALESCE(SUM(length(data)), 0) FROM keypoints").fetchone()
    return {"references_with_keypoints": count, "keypoint_bytes_per_reference": round(total / count) if count else 0}


def fill_missing(catalog, progress: bool = False) -> tuple[int, list[tuple[int, str]]]:
    """Compute and keep the keypoints of every reference lacking them (or whose record is
    damaged), from the photos the catalog keeps (``Catalog.original_path``), a batch per
    transaction, and turn the catalog's setting on. Returns (filled, [(image id, why not)]) for
    references whose photo could not be read. Interrupted, it keeps what it committed."""
    from tqdm import tqdm

    from vision.alignment import extract
    from vision.images import UnreadableImage, load_photo

    catalog._require_writable()
    if not kept(catalog.setting(SETTING)):
        catalog.save_derived(settings={SETTING: describe()}, audit={"setting": SETTING, "value": "on"})
    todo = missing(catalog.db)
    refs = catalog.references_by_id(todo)
    filled, failed = 0, []
    bar = tqdm(total=len(todo), unit="img", desc="keypoints", disable=not progress, dynamic_ncols=True)
    try:
        for start in range(0, len(todo), FILL_BATCH):
            batch = []
            for image_id in todo[start : start + FILL_BATCH]:
                ref = refs.get(image_id)
                if ref is None:
                    continue
                path = catalog.original_path(ref)
                try:
                    image = load_photo(path, min_side=EXTRACT_SIDE).image
                    batch.append((image_id, extract(image).to_bytes()))
                except UnreadableImage as exc:
                    failed.append((image_id, f"{path}: {exc.reason}"))
                except OSError as exc:
                    failed.append((image_id, f"{path}: {exc}"))
            with catalog.db:
                catalog.db.execute("BEGIN IMMEDIATE")
                for image_id, data in batch:
                    # a reference removed meanwhile gets no orphan row
                    if catalog.db.execute("SELECT 1 FROM refs WHERE image_id = ?", (image_id,)).fetchone():
                        insert(catalog.db, image_id, data)
                        filled += 1
            bar.update(len(todo[start : start + FILL_BATCH]))
    finally:
        bar.close()
    return filled, failed
