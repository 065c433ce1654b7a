"""The agency's memory of unit codes: every serial a check read, with the check, its case, place
and time, so that one genuine code copied onto many fakes is noticed on the second item.

Checks from the app, the API and batches write their sightings in the same transaction as the
check itself (``History.record``); the command line, which keeps no History, writes them on its
own (``remember_now``), without a check number. A unit is kept as 16 bytes of the SHA-256 of its
identity (GTIN and serial, or the stamp template and serial), indexed for look-up. It is not
keyed like the register (``index.storing.serials``): the memory works in catalogs without a
register, and what it holds, codes read on items in the field, is in the checks' results anyway.

"Another case" is told from the same case checked again (a re-check with one more photo): the
same case number given by a person, or a photo in common. A case number that is only a photo's
file name (a batch of photos without a manifest) is not taken for one: listings of two
marketplaces both called ``1.jpg`` are not one case.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

SCHEMA = """
CREATE TABLE IF NOT EXISTS sightings (
    unit      BLOB NOT NULL,
    seen_at   TEXT NOT NULL,
    check_id  INTEGER,
    case_id   TEXT,
    place     TEXT NOT NULL DEFAULT '',
    source    TEXT NOT NULL DEFAULT 'app',
    photos    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS sightings_unit ON sightings (unit, seen_at);
"""
UNIT_BYTES = 16
#: Hex characters kept of each photo's SHA-256: enough to tell photos apart, short to store.
PHOTO_PREFIX = 16
#: Earlier sightings read for one unit: a code copied onto more items than this is flagged all the same.
MAX_SIGHTINGS = 1000


def unit_digest(unit_key: str) -> bytes:
    return hashlib.sha256(unit_key.encode("utf-8")).digest()[:UNIT_BYTES]


@dataclass(frozen=True)
class Sighting:
    """Where and when a unit code was read before."""

    check_id: int | None
    seen_at: str
    case_id: str | None
    place: str
    source: str

    def to_dict(self) -> dict:
        return {"check_id": self.check_id, "checked_at": self.seen_at, "case_id": self.case_id, "place": self.place,
                "source": self.source}


def case_of(case_id: str | None, photos: Iterable[str] = ()) -> str | None:
    """The case number a person gave, or None (none given, or only a photo's file name)."""
    case_id = (case_id or "").strip()
    if not case_id or case_id in {Path(str(p)).name for p in photos}:
        return None
    return case_id


def _photos(hashes: Iterable[str]) -> str:
    return " ".join(sorted({h[:PHOTO_PREFIX] for h in hashes if h}))


def units_of(result: dict) -> list[bytes]:
    """The units a check's result read (``evidence.serials``), each once."""
    found = []
    for serial in (result.get("evidence") or {}).get("serials") or []:
        unit = serial.get("unit")
        if unit and bytes.fromhex(unit) not in found:
            found.append(bytes.fromhex(unit))
    return found


def remember(db: sqlite3.Connection, result: dict, photo_hashes: Iterable[str], check_id: int | None = None,
             place: str = "", source: str = "app") -> int:
    """Inside the caller's transaction: one sighting per unit the result read; how many."""
    units = units_of(result)
    if not units:
        return 0
    case = case_of(result.get("case_id"), result.get("photos") or ())
    at = result.get("checked_at") or _now()
    db.executemany("INSERT INTO sightings (unit, seen_at, check_id, case_id, place, source, photos) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)",
                   [(unit, at, check_id, case, place or "", source, _photos(photo_hashes)) for unit in units])
    return len(units)


def remember_now(catalog_dir: str | Path, result: dict, photo_hashes: Iterable[str], place: str = "",
                 source: str = "cli") -> int:
    """A check that keeps no History (the command line): its sightings in a transaction of their own."""
    if not units_of(result):
        return 0
    from .catalog import DB_NAME

    db = sqlite3.connect(str(Path(catalog_dir) / DB_NAME), timeout=30, isolation_level=None)
    try:
        db.execute("PRAGMA synchronous = FULL")
        db.executescript(SCHEMA)
        with db:
            db.execute("BEGIN IMMEDIATE")
            return remember(db, result, photo_hashes, None, place, source)
    finally:
        db.close()


class Memory:
    """Earlier sightings, read through a catalog's connection (read-only is fine)."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def earlier(self, unit: bytes, case_id: str | None, photo_hashes: Iterable[str]) -> tuple[Sighting | None, int]:
        """The first sighting of ``unit`` in another case, and how many there are."""
        mine = {h[:PHOTO_PREFIX] for h in photo_hashes if h}
        try:
            rows = self.db.execute("SELECT check_id, seen_at, case_id, place, source, photos FROM sightings "
                                   "WHERE unit = ? ORDER BY seen_at, rowid LIMIT ?", (unit, MAX_SIGHTINGS)).fetchall()
        except sqlite3.OperationalError:  # no sightings table yet: nothing remembered
            return None, 0
        first, count = None, 0
        for check_id, seen_at, case, place, source, photos in rows:
            if (case_id and case == case_id) or mine & set(photos.split()):
                continue
            count += 1
            first = first or Sighting(check_id, seen_at, case, place, source)
        return first, count


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
