"""Who changed the catalog, when, and what: an append-only table in the catalog's database.

Every change made through ``index.storing.editing`` (the app's catalog tab, the review loop and the
command-line tools) writes one row after the change has committed.
"""

from __future__ import annotations

import getpass
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from .catalog import AUDIT_SCHEMA as SCHEMA
from .catalog import DB_NAME


@dataclass(frozen=True)
class AuditEntry:
    entry_id: int
    at: str
    user: str
    action: str
    details: dict


def _connect(catalog_dir: str | Path) -> sqlite3.Connection:
    db = sqlite3.connect(str(Path(catalog_dir) / DB_NAME), timeout=30, isolation_level=None)
    db.execute("PRAGMA synchronous = FULL")
    db.executescript(SCHEMA)
    return db


def record(catalog_dir: str | Path, user: str, action: str, details: dict) -> None:
    db = _connect(catalog_dir)
    try:
        with db:
            db.execute("INSERT INTO audit (at, user, action, details) VALUES (?, ?, ?, ?)",
                       (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), user, action,
                        json.dumps(details, ensure_ascii=False)))
    finally:
        db.close()


def entries(catalog_dir: str | Path, limit: int = 200) -> list[AuditEntry]:
    db = _connect(catalog_dir)
    try:
        rows = db.execute("SELECT entry_id, at, user, action, details FROM audit ORDER BY entry_id DESC LIMIT ?",
                          (limit,)).fetchall()
    finally:
        db.close()
    return [AuditEntry(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows]


def command_line_user() -> str:
    """The user of a command-line change: the OS account (there is no login on a terminal)."""
    try:
        return f"{getpass.getuser()} (command line)"
    except Exception:
        return "unknown (command line)"
