"""The agency's user accounts, in the catalog's own database (table ``accounts``): a name, a role, a
password hash (PBKDF2, made by ``ui.auth.hash_password``: this module stores it and never sees a
password), the unit a supervisor or an inspector belongs to, the brands a brand owner may change,
and whether the account is disabled. Every change is one SQLite transaction, and each writes its
audit row (``index.storing.audit``) with the user who made it.

Roles (what each may do is ``ui.accounts``'s to enforce):

- ``inspector``: checks; their own History and case files;
- ``supervisor``: every check of their unit; reviews; the dashboard;
- ``brand_owner``: the catalog rows of their own brands;
- ``administrator``: everything, users and settings included.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from . import audit
from .catalog import DB_NAME

ROLES = ("inspector", "supervisor", "brand_owner", "administrator")
#: Longest name, unit or brand list kept (a name is a login, not a paragraph).
NAME_CHARS = 64
FIELD_CHARS = 400

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    name        TEXT PRIMARY KEY,
    role        TEXT NOT NULL,
    password    TEXT NOT NULL,
    unit        TEXT NOT NULL DEFAULT '',
    brands      TEXT NOT NULL DEFAULT '',
    disabled    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    changed_at  TEXT NOT NULL
);
"""


class AccountError(ValueError):
    """A change to the accounts that cannot be made, with the reason (a key of ``ui.i18n`` and its
    arguments, so the page says it in the reader's language)."""

    def __init__(self, key: str, **args):
        self.key, self.args_ = key, args
        super().__init__(f"{key}: {args}" if args else key)


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    unit: str
    brands: tuple[str, ...]
    disabled: bool
    created_at: str
    changed_at: str

    def to_dict(self) -> dict:
        return {"name": self.name, "role": self.role, "unit": self.unit, "brands": list(self.brands),
                "disabled": self.disabled, "created_at": self.created_at, "changed_at": self.changed_at}


def _connect(catalog_dir: str | Path) -> sqlite3.Connection:
    db = sqlite3.connect(str(Path(catalog_dir) / DB_NAME), timeout=30, isolation_level=None)
    db.execute("PRAGMA synchronous = FULL")
    db.executescript(SCHEMA)
    return db


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def brand_list(text: str | list | tuple | None) -> tuple[str, ...]:
    """Brands as typed ("Oatly, Arla" or a list): trimmed, no empties, no repeats (case kept)."""
    items = text if isinstance(text, (list, tuple)) else (text or "").split(",")
    seen, out = set(), []
    for item in items:
        item = str(item).strip()
        if item and item.casefold() not in seen:
            seen.add(item.casefold())
            out.append(item)
    return tuple(out)


def _account(row) -> Account:
    return Account(row[0], row[1], row[3], brand_list(row[4]), bool(row[5]), row[6], row[7])


_SELECT = "SELECT name, role, password, unit, brands, disabled, created_at, changed_at FROM accounts"


def _check(name: str, role: str | None, unit: str, brands: tuple[str, ...]) -> None:
    if not name or len(name) > NAME_CHARS or any(not c.isprintable() or c in ":\\" for c in name):
        raise AccountError("account_bad_name", limit=NAME_CHARS)
    if role is not None and role not in ROLES:
        raise AccountError("account_bad_role", role=role)
    if len(unit) > FIELD_CHARS or len(", ".join(brands)) > FIELD_CHARS:
        raise AccountError("account_field_too_long", limit=FIELD_CHARS)
    if role == "brand_owner" and not brands:
        raise AccountError("account_needs_brand")


def create(catalog_dir: str | Path, by: str, name: str, role: str, password_hash: str, unit: str = "",
           brands=None) -> Account:
    name, unit, brands = (name or "").strip(), (unit or "").strip(), brand_list(brands)
    _check(name, role, unit, brands)
    db = _connect(catalog_dir)
    try:
        now = _now()
        with db:
            if db.execute("SELECT 1 FROM accounts WHERE name = ?", (name,)).fetchone():
                raise AccountError("account_exists", name=name)
            db.execute("INSERT INTO accounts VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
                       (name, role, password_hash, unit, ", ".join(brands), now, now))
    finally:
        db.close()
    audit.record(catalog_dir, by, "create_account", {"name": name, "role": role, "unit": unit,
                                                      "brands": list(brands)})
    return get(catalog_dir, name)


def _change(catalog_dir, by: str, name: str, action: str, sets: dict, details: dict) -> Account:
    db = _connect(catalog_dir)
    try:
        with db:
            if not db.execute("SELECT 1 FROM accounts WHERE name = ?", (name,)).fetchone():
                raise AccountError("account_unknown", name=name)
            assignments = ", ".join(f"{column} = ?" for column in sets)
            db.execute(f"UPDATE accounts SET {assignments}, changed_at = ? WHERE name = ?",
                       (*sets.values(), _now(), name))
    finally:
        db.close()
    audit.record(catalog_dir, by, action, {"name": name, **details})
    return get(catalog_dir, name)


def set_password(catalog_dir: str | Path, by: str, name: str, password_hash: str) -> Account:
    return _change(catalog_dir, by, (name or "").strip(), "reset_password", {"password": password_hash}, {})


def set_disabled(catalog_dir: str | Path, by: str, name: str, disabled: bool) -> Account:
    return _change(catalog_dir, by, (name or "").strip(), "disable_account" if disabled else "enable_account",
                   {"disabled": int(bool(disabled))}, {})


def update(catalog_dir: str | Path, by: str, name: str, role: str, unit: str = "", brands=None) -> Account:
    name, unit, brands = (name or "").strip(), (unit or "").strip(), brand_list(brands)
    _check(name, role, unit, brands)
    return _change(catalog_dir, by, name, "change_account", {"role": role, "unit": unit, "brands": ", ".join(brands)},
                   {"role": role, "unit": unit, "brands": list(brands)})


def get(catalog_dir: str | Path, name: str) -> Account | None:
    db = _connect(catalog_dir)
    try:
        row = db.execute(_SELECT + " WHERE name = ?", ((name or "").strip(),)).fetchone()
    finally:
        db.close()
    return _account(row) if row else None


def password_hash(catalog_dir: str | Path, name: str) -> str | None:
    """The stored hash of an enabled account, or None (unknown or disabled)."""
    db = _connect(catalog_dir)
    try:
        row = db.execute("SELECT password FROM accounts WHERE name = ? AND disabled = 0",
                         ((name or "").strip(),)).fetchone()
    finally:
        db.close()
    return row[0] if row else None


def all_accounts(catalog_dir: str | Path) -> list[Account]:
    db = _connect(catalog_dir)
    try:
        rows = db.execute(_SELECT + " ORDER BY role, name").fetchall()
    finally:
        db.close()
    return [_account(r) for r in rows]


def count(catalog_dir: str | Path) -> int:
    db = _connect(catalog_dir)
    try:
        return db.execute("SELECT COUNT(*) FROM accounts").fetchone()[0]
    finally:
        db.close()
