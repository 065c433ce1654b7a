"""Every check kept: the verdict, the photos, the inspector's notes and a later review.

Stored in the catalog's own database (table ``checks``) so a catalog folder carries its case
history; the photos of each check are kept by content under ``CATALOG_DIR/checks/``. History
writes do not take the catalog's writer lock: SQLite (WAL) orders them, so checks are recorded
while an import runs.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from vision.images import read_bytes, sha256_of

from .catalog import DB_NAME, write_atomic
from ..verdict import OUTCOMES

CHECKS_DIR = "checks"
REVIEW_OUTCOMES = OUTCOMES

SCHEMA = """
CREATE TABLE IF NOT EXISTS checks (
    check_id            INTEGER PRIMARY KEY AUTOINCREMENT,
    checked_at          TEXT NOT NULL,
    case_id             TEXT,
    claimed_product_id  TEXT,
    product_id          TEXT,
    verdict             TEXT NOT NULL,
    counterfeit_score   REAL,
    inspector           TEXT NOT NULL DEFAULT '',
    notes               TEXT NOT NULL DEFAULT '',
    photos              TEXT NOT NULL,
    result              TEXT NOT NULL,
    quality             TEXT NOT NULL DEFAULT '[]',
    review_verdict      TEXT,
    review_note         TEXT,
    reviewer            TEXT,
    reviewed_at         TEXT
);
CREATE INDEX IF NOT EXISTS checks_time ON checks (checked_at);
"""


@dataclass(frozen=True)
class StoredPhoto:
    name: str
    sha256: str
    path: str  # the kept copy, inside the catalog folder

    def to_dict(self) -> dict:
        return {"name": self.name, "sha256": self.sha256, "path": self.path}


@dataclass(frozen=True)
class CheckRecord:
    check_id: int
    checked_at: str
    verdict: str
    counterfeit_score: float | None
    product_id: str | None
    claimed_product_id: str | None
    case_id: str | None
    inspector: str
    notes: str
    photos: tuple[StoredPhoto, ...]
    result: dict
    quality: list
    review_verdict: str | None = None
    review_note: str | None = None
    reviewer: str | None = None
    reviewed_at: str | None = None

    def to_dict(self) -> dict:
        return {
            "check_id": self.check_id, "checked_at": self.checked_at, "verdict": self.verdict,
            "counterfeit_score": self.counterfeit_score, "product_id": self.product_id,
            "claimed_product_id": self.claimed_product_id, "case_id": self.case_id, "inspector": self.inspector,
            "notes": self.notes, "photos": [p.to_dict() for p in self.photos], "quality": self.quality,
            "review": None if self.review_verdict is None else {
                "verdict": self.review_verdict, "note": self.review_note, "reviewer": self.reviewer,
                "reviewed_at": self.reviewed_at},
            "result": self.result,
        }


class History:
    def __init__(self, catalog_dir: str | Path):
        self.root = Path(catalog_dir)
        self.db = sqlite3.connect(str(self.root / DB_NAME), timeout=30, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = FULL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def keep_photo(self, source: str | Path) -> StoredPhoto:
        """Copy a checked photo into the catalog folder (by content: the same photo is kept once)."""
        data = read_bytes(source)
        sha = sha256_of(data)
        suffix = Path(source).suffix.lower()[:8] or ".img"
        target = self.root / CHECKS_DIR / sha[:2] / f"{sha}{suffix}"
        write_atomic(target, data)
        return StoredPhoto(Path(source).name, sha, str(target))

    def record(self, result: dict, photos: list[StoredPhoto], inspector: str = "", notes: str = "",
               quality: list | None = None) -> int:
        """Keep one check: ``result`` is ``Verdict.to_dict()``, with paths pointing at kept photos."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            cursor = self.db.execute(
                """INSERT INTO checks (checked_at, case_id, claimed_product_id, product_id, verdict, counterfeit_score,
                                       inspector, notes, photos, result, quality)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (result.get("checked_at") or _now(), result.get("case_id"), result.get("claimed_product_id"),
                 result.get("product_id"), result["verdict"], result.get("counterfeit_score"), inspector, notes,
                 json.dumps([p.to_dict() for p in photos]), json.dumps(result), json.dumps(quality or [])))
        return int(cursor.lastrowid)

    def set_notes(self, check_id: int, notes: str) -> None:
        with self.db:
            self.db.execute("UPDATE checks SET notes = ? WHERE check_id = ?", (notes, check_id))

    def review(self, check_id: int, verdict: str, note: str, reviewer: str) -> None:
        if verdict not in REVIEW_OUTCOMES:
            raise ValueError(f"review verdict must be one of {REVIEW_OUTCOMES}, not {verdict!r}")
        with self.db:
            cursor = self.db.execute(
                "UPDATE checks SET review_verdict = ?, review_note = ?, reviewer = ?, reviewed_at = ? WHERE check_id = ?",
                (verdict, note, reviewer, _now(), check_id))
        if not cursor.rowcount:
            raise KeyError(f"no check #{check_id} in the history")

    def get(self, check_id: int) -> CheckRecord | None:
        row = self.db.execute(f"SELECT {_COLUMNS} FROM checks WHERE check_id = ?", (check_id,)).fetchone()
        return _record(row) if row else None

    def search(self, text: str = "", verdict: str | None = None, limit: int = 200) -> list[CheckRecord]:
        """Newest first; ``text`` matches product ids, case id, notes, inspector or the check number."""
        clauses, params = [], []
        text = (text or "").strip()
        if text:
            like = f"%{text}%"
            clauses.append("(product_id LIKE ? OR claimed_product_id LIKE ? OR case_id LIKE ? OR notes LIKE ? "
                           "OR inspector LIKE ? OR CAST(check_id AS TEXT) = ?)")
            params += [like, like, like, like, like, text.lstrip("#")]
        if verdict:
            clauses.append("(verdict = ? OR review_verdict = ?)")
            params += [verdict, verdict]
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self.db.execute(f"SELECT {_COLUMNS} FROM checks {where} ORDER BY check_id DESC LIMIT ?",
                               (*params, limit)).fetchall()
        return [_record(r) for r in rows]

    def __len__(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM checks").fetchone()[0]


_COLUMNS = ("check_id, checked_at, verdict, counterfeit_score, product_id, claimed_product_id, case_id, inspector, "
            "notes, photos, result, quality, review_verdict, review_note, reviewer, reviewed_at")


def _record(row) -> CheckRecord:
    photos = tuple(StoredPhoto(**p) for p in json.loads(row[9]))
    return CheckRecord(*row[:9], photos, json.loads(row[10]), json.loads(row[11]), *row[12:])


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
