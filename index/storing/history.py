"""Every check kept: the verdict, the photos, the inspector's notes and a later review.

Stored in the catalog's own database (table ``checks``) so a catalog folder carries its case
history; the photos of each check are kept by content under ``CATALOG_DIR/checks/``. History
writes do not take the catalog's writer lock: SQLite (WAL) orders them, so checks are recorded
while an import runs.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from vision.images import read_bytes, sha256_of

from .catalog import DB_NAME, CatalogError, write_atomic
from ..verdict import OUTCOMES
from .audit import SCHEMA as AUDIT_SCHEMA
from . import sightings

CHECKS_DIR = "checks"
#: Kept check photos are reduced to this long side: enough to see the item in a case file.
KEPT_SIDE = 2048
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
    place               TEXT NOT NULL DEFAULT '',
    source              TEXT NOT NULL DEFAULT 'app',
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
    #: Where the item was checked (a shop, a warehouse, a border post), as the inspector wrote it.
    place: str = ""
    #: How the check came: ``app`` (the Verify tab), ``batch`` or ``api``.
    source: str = "app"
    #: The account logged in when the check was made ("" for an anonymous check), and its unit.
    account: str = ""
    unit: str = ""

    def to_dict(self) -> dict:
        return {
            "check_id": self.check_id, "checked_at": self.checked_at, "verdict": self.verdict,
            "counterfeit_score": self.counterfeit_score, "product_id": self.product_id,
            "claimed_product_id": self.claimed_product_id, "case_id": self.case_id, "inspector": self.inspector,
            "place": self.place, "source": self.source, "notes": self.notes, "photos": [p.to_dict() for p in self.photos], "quality": self.quality,
            "review": None if self.review_verdict is None else {
                "verdict": self.review_verdict, "note": self.review_note, "reviewer": self.reviewer,
                "reviewed_at": self.reviewed_at},
            "result": self.result,
        }


class History:
    def __init__(self, catalog_dir: str | Path):
        self.root = Path(catalog_dir)
        if not os.access(self.root, os.W_OK):
            raise CatalogError(f"{self.root}: the catalog folder is read-only, and every check is kept in it; copy "
                               "the folder to a writable disk to serve it")
        self.db = sqlite3.connect(str(self.root / DB_NAME), timeout=30, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = FULL")
        self.db.executescript(SCHEMA + AUDIT_SCHEMA + sightings.SCHEMA)
        self._add_missing_columns()
        # the checks whose photos count against the anonymous quotas: a few thousand at most
        self.db.execute("CREATE INDEX IF NOT EXISTS checks_kept ON checks (client, check_id) WHERE kept_bytes > 0")
        # an inspector's History and a supervisor's unit, read without a scan of every check
        self.db.execute("CREATE INDEX IF NOT EXISTS checks_account ON checks (account, check_id)")
        self.db.execute("CREATE INDEX IF NOT EXISTS checks_unit ON checks (unit, check_id)")
        # the dashboard's figures read this index alone, never the rows with their results (index.storing.dashboard)
        self.db.execute("CREATE INDEX IF NOT EXISTS checks_figures ON checks (checked_at, verdict, unit, account, "
                        "inspector, place, claimed_product_id, product_id)")

    def _add_missing_columns(self) -> None:
        """Histories kept by earlier versions gain the newer columns (empty for their checks)."""
        have = {row[1] for row in self.db.execute("PRAGMA table_info(checks)")}
        for column, ddl in NEWER_COLUMNS.items():
            if column not in have:
                try:
                    self.db.execute(f"ALTER TABLE checks ADD COLUMN {ddl}")
                except sqlite3.OperationalError as exc:  # another process added it a moment ago
                    if "duplicate column" not in str(exc):
                        raise

    def close(self) -> None:
        self.db.close()

    def keep_photo(self, source: str | Path) -> StoredPhoto:
        """Keep a checked photo in the catalog folder: named by the SHA-256 of the bytes uploaded
        (what the report cites), the same photo kept once, and at most ``KEPT_SIDE`` pixels as a
        JPEG (an upload of 60 MB, or one padded with trailing bytes, is kept as ~1 MB)."""
        from vision import UnreadableImage, decode

        data = read_bytes(source)
        sha = sha256_of(data)
        target = self.root / CHECKS_DIR / sha[:2] / f"{sha}.jpg"
        if not target.exists():
            try:
                image = decode(data, str(source), max_side=KEPT_SIDE)
            except UnreadableImage:
                raise
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=90)
            write_atomic(target, buffer.getvalue())
        return StoredPhoto(Path(source).name, sha, str(target))

    def prune(self, older_than_days: float) -> int:
        """Delete checks older than this many days, and their kept photos no newer check uses;
        returns how many checks went (the retention setting, ``VERIFIER_KEEP_CHECKS_DAYS``)."""
        cutoff = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - older_than_days * 86400))
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            old = self.db.execute("SELECT check_id, photos FROM checks WHERE checked_at < ?", (cutoff,)).fetchall()
            self.db.execute("DELETE FROM checks WHERE checked_at < ?", (cutoff,))
            self.db.execute("DELETE FROM sightings WHERE seen_at < ?", (cutoff,))  # the codes they read
            kept = {p["path"] for (photos,) in self.db.execute("SELECT photos FROM checks") for p in json.loads(photos)}
        for _, photos in old:
            for photo in json.loads(photos):
                if photo["path"] not in kept:
                    Path(photo["path"]).unlink(missing_ok=True)
        return len(old)

    def record(self, result: dict, photos: list[StoredPhoto], inspector: str = "", notes: str = "",
               quality: list | None = None, place: str = "", source: str = "app", client: str = "",
               account: str = "", unit: str = "") -> int:
        """Keep one check: ``result`` is ``Verdict.to_dict()``, with paths pointing at kept photos. The
        unit codes it read join the memory of codes seen (``sightings``) in the same transaction.
        ``client``: the address of a client that was not logged in (its photos count against the
        anonymous quotas, ``drop_anonymous_photos``); empty for a user's check."""
        kept = sum(_size(p.path) for p in photos) if client else 0
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            cursor = self.db.execute(
                """INSERT INTO checks (checked_at, case_id, claimed_product_id, product_id, verdict, counterfeit_score,
                                       inspector, notes, photos, result, quality, place, source, client, kept_bytes,
                                       account, unit)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (result.get("checked_at") or _now(), result.get("case_id"), result.get("claimed_product_id"),
                 result.get("product_id"), result["verdict"], result.get("counterfeit_score"), inspector, notes,
                 json.dumps([p.to_dict() for p in photos]), json.dumps(result), json.dumps(quality or []), place,
                 source, client, kept, account, unit))
            sightings.remember(self.db, result, [p.sha256 for p in photos], cursor.lastrowid, place, source)
        return int(cursor.lastrowid)

    def drop_anonymous_photos(self, client: str, per_client_bytes: int, total_bytes: int) -> int:
        """Keep the photos of checks made without a login within quotas, one per client address and
        one for all of them together, by deleting the photos of the oldest such checks first (the
        checks themselves stay, with their verdicts and the photos' names and SHA-256). A photo
        that a user's check, or a check still within quota, also holds is kept. Returns how many
        checks lost their photos."""
        dropped: list[tuple[int, str]] = []
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            for where, params, limit in (("client = ?", (client,), per_client_bytes), ("client > ''", (), total_bytes)):
                rows = self.db.execute(f"SELECT check_id, photos, kept_bytes FROM checks INDEXED BY checks_kept "
                                       f"WHERE {where} AND kept_bytes > 0 ORDER BY check_id", params).fetchall()
                held = sum(row[2] for row in rows)
                for check_id, photos, size in rows:
                    if held <= limit:
                        break
                    self.db.execute("UPDATE checks SET kept_bytes = 0 WHERE check_id = ?", (check_id,))
                    dropped.append((check_id, photos))
                    held -= size
            gone = []
            for _, photos in dropped:
                for photo in json.loads(photos):
                    still = self.db.execute("SELECT 1 FROM checks WHERE (client = '' OR kept_bytes > 0) AND "
                                            "instr(photos, ?) > 0 LIMIT 1", (photo["path"],)).fetchone()
                    if still is None:
                        gone.append(photo["path"])
        for path in gone:  # after the commit: a crash in between leaves a file, never a row without one
            Path(path).unlink(missing_ok=True)
        return len(dropped)

    def anonymous_bytes(self, client: str | None = None) -> int:
        """Bytes of photos held for checks made without a login (of one client, or of all)."""
        where, params = ("client = ?", (client,)) if client else ("client > ''", ())
        return int(self.db.execute(f"SELECT COALESCE(SUM(kept_bytes), 0) FROM checks INDEXED BY checks_kept "
                                   f"WHERE {where} AND kept_bytes > 0", params).fetchone()[0])

    def set_notes(self, check_id: int, notes: str) -> None:
        with self.db:
            self.db.execute("UPDATE checks SET notes = ? WHERE check_id = ?", (notes, check_id))

    def review(self, check_id: int, verdict: str, note: str, reviewer: str) -> None:
        """Record a reviewer's verdict, and its audit row in the same transaction."""
        if verdict not in REVIEW_OUTCOMES:
            raise ValueError(f"review verdict must be one of {REVIEW_OUTCOMES}, not {verdict!r}")
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            was = self.db.execute("SELECT verdict FROM checks WHERE check_id = ?", (check_id,)).fetchone()
            if was is None:
                raise KeyError(f"no check #{check_id} in the history")
            self.db.execute(
                "UPDATE checks SET review_verdict = ?, review_note = ?, reviewer = ?, reviewed_at = ? WHERE check_id = ?",
                (verdict, note, reviewer, _now(), check_id))
            self.db.execute("INSERT INTO audit (at, user, action, details) VALUES (?, ?, ?, ?)",
                            (_now(), reviewer, "review_check", json.dumps(
                                {"check_id": check_id, "was": was[0], "now": verdict, "note": note}, ensure_ascii=False)))

    def review_entry(self, check_id: int) -> int | None:
        """The audit entry of the check's latest review (``review_check``), or None."""
        rows = self.db.execute("SELECT entry_id, details FROM audit WHERE action = 'review_check' AND details LIKE ? "
                               "ORDER BY entry_id DESC", (f'%"check_id": {int(check_id)},%',)).fetchall()
        for entry_id, details in rows:
            try:
                if json.loads(details).get("check_id") == int(check_id):
                    return int(entry_id)
            except ValueError:
                continue
        return None

    def get(self, check_id: int) -> CheckRecord | None:
        row = self.db.execute(f"SELECT {_COLUMNS} FROM checks WHERE check_id = ?", (check_id,)).fetchone()
        return _record(row) if row else None

    def search(self, text: str = "", verdict: str | None = None, limit: int = 200, *, since: str | None = None,
               until: str | None = None, inspector: str | None = None, source: str | None = None,
               account: str | None = None, unit: str | None = None) -> list[CheckRecord]:
        """Newest first; ``text`` matches product ids, case id, place, notes, inspector or the check
        number; ``since``/``until`` are UTC ISO times (``until`` excluded), ``inspector`` matches a
        part of the name, ``source`` is app, batch or api; ``account`` and ``unit`` (exact) keep the
        checks of one account or one unit (what an inspector and a supervisor may see)."""
        clauses, params = [], []
        text = (text or "").strip()
        if "\x00" in text:
            return []  # nothing kept holds a NUL; SQLite would cut the pattern short and match everything
        if text:
            # % and _ are what the person typed, not wildcards
            like = "%" + _escape_like(text) + "%"
            clauses.append("(product_id LIKE ? ESCAPE '\\' OR claimed_product_id LIKE ? ESCAPE '\\' OR case_id LIKE ? "
                           "ESCAPE '\\' OR notes LIKE ? ESCAPE '\\' OR inspector LIKE ? ESCAPE '\\' "
                           "OR place LIKE ? ESCAPE '\\' OR CAST(check_id AS TEXT) = ?)")
            params += [like, like, like, like, like, like, text.lstrip("#")]
        if verdict:
            clauses.append("(verdict = ? OR review_verdict = ?)")
            params += [verdict, verdict]
        if since:
            clauses.append("checked_at >= ?")
            params.append(since)
        if until:
            clauses.append("checked_at < ?")
            params.append(until)
        if inspector and inspector.strip() and "\x00" not in inspector:
            clauses.append("inspector LIKE ? ESCAPE '\\'")
            params.append("%" + _escape_like(inspector.strip()) + "%")
        if source:
            clauses.append("source = ?")
            params.append(source)
        for column, value in (("account", account), ("unit", unit)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self.db.execute(f"SELECT {_COLUMNS} FROM checks {where} ORDER BY check_id DESC LIMIT ?",
                               (*params, limit)).fetchall()
        return [_record(r) for r in rows]

    def __len__(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM checks").fetchone()[0]


_COLUMNS = ("check_id, checked_at, verdict, counterfeit_score, product_id, claimed_product_id, case_id, inspector, "
            "notes, photos, result, quality, review_verdict, review_note, reviewer, reviewed_at, place, source, account, unit")
#: Columns added after the first release, with their definitions (``History._add_missing_columns``).
NEWER_COLUMNS = {"place": "place TEXT NOT NULL DEFAULT ''", "source": "source TEXT NOT NULL DEFAULT 'app'",
                 "client": "client TEXT NOT NULL DEFAULT ''", "kept_bytes": "kept_bytes INTEGER NOT NULL DEFAULT 0",
                 "account": "account TEXT NOT NULL DEFAULT ''", "unit": "unit TEXT NOT NULL DEFAULT ''"}
SOURCES = ("app", "batch", "api")


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _record(row) -> CheckRecord:
    photos = tuple(StoredPhoto(**p) for p in json.loads(row[9]))
    return CheckRecord(*row[:9], photos, json.loads(row[10]), json.loads(row[11]), *row[12:])


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
