"""The brand's register of the serial numbers it issued, in the catalog's own database.

    serial_register   serial (16-byte keyed digest, or the serial itself), gtin_no, batch,
                      expiry (YYYYMMDD), state (sold or seen: the decommission list), state_date;
                      primary key (serial, gtin_no), WITHOUT ROWID: the key is the table
    serial_gtins      each registered GTIN, its number in the table above and its counts
    serial_stamps     the URL templates of brands' anti-counterfeit stamps

**Hashed by default.** A register is the list of codes a counterfeiter would love to print: every
serial not yet seen in a shop is a code that would pass. A copy of the catalog folder (a field
laptop, a backup) must not hand it over. Serials are stored as HMAC-SHA256 under a 256-bit key
made for the catalog and kept outside it, beside the report-signing key (``VERIFIER_KEY_DIR``,
else ``~/.config/counterfeit-verifier``, in ``serial-keys/<key id>.key``). A keyed hash, because
serials are often sequential or short: an unkeyed SHA-256 of each would be reversed by trying
them all in minutes. A generated key, rather than one the brand types at import: a pass phrase
is weaker than 256 random bits, and checks need the key on every machine anyway (a file to copy
is what they can use). A machine without the key reads the catalog as before and says the
register cannot be read there; it never calls a serial "not issued" for it. ``plain`` (a catalog
setting, chosen before the first import) stores the serial itself, for registers that are public.

Digests are cut to 16 bytes: at 10 million serials, the chance that two of them share a
digest is ~1e-25. Stored as the table's key (a WITHOUT ROWID table needs no separate index), the
register takes 40 bytes a serial with batch and expiry, against 93 for a text table with a
UNIQUE index (10M serials, ``scripts/bench.py --only serials``).

An import stages its rows in temporary tables without holding the database's write lock (checks
keep being recorded meanwhile), sorts them once and merges them in one transaction with its audit
row: all of it or none of it.
"""

from __future__ import annotations

import hmac
import os
import secrets
import sqlite3
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from vision.unit_codes import StampPattern

from ..problems import Problem
from .catalog import Catalog, CatalogError

SCHEMA = """
CREATE TABLE IF NOT EXISTS serial_gtins (
    gtin_no  INTEGER PRIMARY KEY,
    gtin     TEXT NOT NULL UNIQUE,
    serials  INTEGER NOT NULL DEFAULT 0,
    sold     INTEGER NOT NULL DEFAULT 0,
    seen     INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS serial_register (
    serial      BLOB NOT NULL,
    gtin_no     INTEGER NOT NULL,
    batch       TEXT,
    expiry      INTEGER,
    state       INTEGER,
    state_date  INTEGER,
    PRIMARY KEY (serial, gtin_no)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS serial_stamps (
    template  TEXT PRIMARY KEY,
    brand     TEXT NOT NULL DEFAULT '',
    added_at  TEXT NOT NULL
);
"""
STORAGE_SETTING = "serial_storage"
KEY_ID_SETTING = "serial_key_id"
KEY_CHECK_SETTING = "serial_key_check"
#: Bumped by every change of the register: readers refresh their small caches (GTINs, stamps, key).
VERSION_SETTING = "serial_register_version"
HASHED, PLAIN = "hashed", "plain"
STORAGES = (HASHED, PLAIN)
DIGEST_BYTES = 16
KEY_FOLDER = "serial-keys"
#: The decommission list: a serial marked sold (left the supply chain) or seen (already verified).
STATES = {1: "sold", 2: "seen"}
STATE_CODES = {name: code for code, name in STATES.items()}
#: Rows passed to SQLite at a time while staging.
CHUNK = 50_000


def key_dir() -> Path:
    """Where this deployment keeps its keys (the same folder as the report-signing key)."""
    return Path(os.environ.get("VERIFIER_KEY_DIR") or Path.home() / ".config" / "counterfeit-verifier")


@dataclass(frozen=True)
class SerialKey:
    key_id: str
    secret: bytes

    def digest(self, serial: str) -> bytes:
        return hmac.digest(self.secret, serial.encode("utf-8"), "sha256")[:DIGEST_BYTES]

    @property
    def check(self) -> str:
        """A short value stored in the catalog that tells the right key file from a wrong one."""
        return hmac.digest(self.secret, b"counterfeit-verifier serial key check", "sha256")[:8].hex()

    @staticmethod
    def path_for(key_id: str) -> Path:
        return key_dir() / KEY_FOLDER / f"{key_id}.key"

    @classmethod
    def create(cls) -> "SerialKey":
        key = cls(secrets.token_hex(8), secrets.token_bytes(32))
        path = cls.path_for(key.key_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key.secret.hex() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        return key

    @classmethod
    def load(cls, key_id: str, check: str | None) -> "SerialKey | None":
        """The key, or None when its file is not on this machine."""
        path = cls.path_for(key_id)
        try:
            secret = bytes.fromhex(path.read_text().strip())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise CatalogError(f"{path}: not a serial register key ({exc})") from None
        key = cls(key_id, secret)
        if check and key.check != check:
            raise CatalogError(f"{path}: this key is not the one the catalog's serial register was made with")
        return key


@dataclass(frozen=True)
class Issued:
    """One register row for a serial: the GTIN it was issued for and what the brand recorded."""

    gtin: str
    batch: str | None = None
    expiry: date | None = None
    state: str | None = None
    state_date: date | None = None


class Register:
    """The register as checks read it, through a catalog's connection (read-only is fine).

    ``readable`` is False when the catalog has a hashed register whose key is not on this machine
    (``key_missing``): nothing can then be looked up, and nothing is called not issued."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db
        self._version: str | None = "unread"
        self._refresh()

    @classmethod
    def of(cls, catalog: Catalog) -> "Register":
        return cls(catalog.db)

    def _refresh(self) -> None:
        version = _setting(self.db, VERSION_SETTING)
        if version == self._version:
            return
        self._version = version
        self.storage = _setting(self.db, STORAGE_SETTING) or HASHED
        self.gtins: dict[str, tuple[int, int]] = {}  # gtin -> (gtin_no, serials)
        self.stamps: tuple[StampPattern, ...] = ()
        self.key: SerialKey | None = None
        self.key_id = _setting(self.db, KEY_ID_SETTING)
        self.key_missing = False
        try:
            rows = self.db.execute("SELECT gtin_no, gtin, serials FROM serial_gtins").fetchall()
            stamps = self.db.execute("SELECT template, brand FROM serial_stamps ORDER BY template").fetchall()
        except sqlite3.OperationalError:  # a catalog without a register
            rows, stamps = [], []
        self.gtins = {gtin: (number, count) for number, gtin, count in rows}
        self._gtin_of = {number: gtin for number, gtin, _ in rows}
        self.stamps = tuple(StampPattern(template, brand) for template, brand in stamps)
        if self.storage == HASHED and self.key_id:
            try:
                self.key = SerialKey.load(self.key_id, _setting(self.db, KEY_CHECK_SETTING))
            except CatalogError:  # a wrong key file: as good as none (the command line says why)
                self.key = None
            self.key_missing = self.key is None

    def refresh(self) -> None:
        """Pick up a change another process committed (one small read)."""
        self._refresh()

    @property
    def exists(self) -> bool:
        return any(count for _, count in self.gtins.values())

    @property
    def readable(self) -> bool:
        return not self.key_missing

    def has_register(self, gtin: str | None) -> bool:
        """Whether the brand registered serials for this GTIN (14 digits)."""
        return bool(gtin) and self.gtins.get(gtin, (0, 0))[1] > 0

    def token(self, serial: str) -> bytes | None:
        """The serial as stored (its keyed digest, or itself); None when the key is missing."""
        if self.storage == PLAIN:
            return serial.encode("utf-8")
        return self.key.digest(serial) if self.key is not None else None

    def lookup(self, serial: str) -> list[Issued] | None:
        """Every GTIN this serial was issued for, with batch, expiry and state; None when the
        register cannot be read here."""
        token = self.token(serial)
        if token is None:
            return None
        try:
            rows = self.db.execute("SELECT gtin_no, batch, expiry, state, state_date FROM serial_register "
                                   "WHERE serial = ?", (token,)).fetchall()
        except sqlite3.OperationalError:
            return []
        return [Issued(self._gtin_of.get(number, "?"), batch, _date(expiry), STATES.get(state), _date(when))
                for number, batch, expiry, state, when in rows]

    def summary(self) -> dict:
        """What a brand owner wants to know of the register: how serials are stored (and where
        the key lives), each GTIN with its serials, sold and seen, and the stamp templates."""
        try:
            rows = self.db.execute("SELECT gtin, serials, sold, seen FROM serial_gtins ORDER BY gtin").fetchall()
        except sqlite3.OperationalError:
            rows = []
        summary = {"storage": self.storage, "serials": sum(r[1] for r in rows),
                   "gtins": [{"gtin": g, "serials": n, "sold": s, "seen": v} for g, n, s, v in rows],
                   "stamps": [{"template": s.template, "brand": s.brand} for s in self.stamps]}
        if self.storage == HASHED and self.key_id:
            summary["key_file"] = str(SerialKey.path_for(self.key_id))
            summary["key_on_this_machine"] = not self.key_missing
        return summary


def has_register(catalog: Catalog) -> bool:
    """Whether the catalog holds serials or stamp templates (its checks then read unit codes)."""
    try:
        return catalog.db.execute("SELECT EXISTS (SELECT 1 FROM serial_gtins WHERE serials > 0) "
                                  "OR EXISTS (SELECT 1 FROM serial_stamps)").fetchone()[0] == 1
    except sqlite3.OperationalError:
        return False


# ---- writing -----------------------------------------------------------------------------------

class RegisterWriter:
    """One import (issued serials) or one decommission list (sold or seen), on a writable catalog:
    rows are staged in temporary tables while the file is read (no write lock held), then
    ``commit`` merges them in one transaction with its audit row. ``abandon`` drops them."""

    def __init__(self, catalog: Catalog, decommission: bool = False):
        if not catalog.writable:
            raise CatalogError(f"{catalog.path}: catalog was opened read-only")
        self.catalog = catalog
        self.db = catalog.db
        self.decommission = decommission
        self.db.executescript(SCHEMA)
        self.storage = _setting(self.db, STORAGE_SETTING) or HASHED
        self.new_settings: dict[str, str] = {}
        self.key: SerialKey | None = None
        if self.storage == HASHED:
            key_id = _setting(self.db, KEY_ID_SETTING)
            held = self.db.execute("SELECT COALESCE(SUM(serials), 0) FROM serial_gtins").fetchone()[0]
            if key_id and (held or decommission):
                self.key = SerialKey.load(key_id, _setting(self.db, KEY_CHECK_SETTING))
                if self.key is None:
                    raise CatalogError(
                        f"{catalog.path}: the serial register's key is not on this machine "
                        f"({SerialKey.path_for(key_id)}); copy it from the machine the register was made on")
            elif not decommission:
                self.key = SerialKey.create()  # written before any digest made with it is committed
                self.new_settings = {KEY_ID_SETTING: self.key.key_id, KEY_CHECK_SETTING: self.key.check,
                                     STORAGE_SETTING: HASHED}
        self.gtin_numbers = {gtin: number for number, gtin in self.db.execute("SELECT gtin_no, gtin FROM serial_gtins")}
        self.new_gtins: dict[str, int] = {}
        self.staged = 0
        self.db.execute("DROP TABLE IF EXISTS temp.staged")
        self.db.execute("DROP TABLE IF EXISTS temp.merged")
        self.db.execute("CREATE TEMP TABLE staged (serial BLOB, gtin_no INTEGER, batch TEXT, expiry INTEGER, "
                        "state INTEGER, state_date INTEGER, line INTEGER)")

    def token(self, serial: str) -> bytes:
        return self.key.digest(serial) if self.key is not None else serial.encode("utf-8")

    def gtin_number(self, gtin: str, create: bool = True) -> int | None:
        number = self.gtin_numbers.get(gtin) or self.new_gtins.get(gtin)
        if number is None and create:
            number = self.new_gtins[gtin] = max([0, *self.gtin_numbers.values(), *self.new_gtins.values()]) + 1
        return number

    def stage(self, rows: list[tuple]) -> None:
        """Rows of (serial token, gtin_no, batch, expiry, state, state_date, line); dates as
        YYYYMMDD integers, the state as its code (``STATE_CODES``)."""
        self.db.executemany("INSERT INTO temp.staged (serial, gtin_no, batch, expiry, state, state_date, line) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        self.staged += len(rows)

    def sort(self) -> tuple[list[str], int]:
        """Sort the staged rows by key, each (serial, GTIN) once. Returns the problems found (the
        first 20, each with its line) and how many rows have one: a serial listed twice for the
        same GTIN (an import), or one the register does not hold (a decommission list)."""
        self.db.execute("CREATE TEMP TABLE merged (serial BLOB, gtin_no INTEGER, batch TEXT, expiry INTEGER, "
                        "state INTEGER, state_date INTEGER, PRIMARY KEY (serial, gtin_no)) WITHOUT ROWID")
        verb = "INSERT OR REPLACE" if self.decommission else "INSERT OR IGNORE"  # a decommission: the last line wins
        kept = self.db.execute(f"{verb} INTO temp.merged SELECT serial, gtin_no, batch, expiry, state, state_date "
                               "FROM temp.staged WHERE true ORDER BY serial, gtin_no, line").rowcount
        if self.decommission:
            absent = ("FROM temp.staged s WHERE NOT EXISTS (SELECT 1 FROM main.serial_register r "
                      "WHERE r.serial = s.serial AND r.gtin_no = s.gtin_no)")
            lines = self.db.execute(f"SELECT line {absent} ORDER BY line LIMIT 20").fetchall()
            total = self.db.execute(f"SELECT COUNT(*) {absent}").fetchone()[0] if lines else 0
            return [Problem("file_serial_not_registered", f"line {line}: this GTIN and serial are not in the register",
                            line=line) for (line,) in lines], total
        if kept == self.staged:
            return [], 0
        rows = self.db.execute(
            "SELECT line, first FROM (SELECT line, FIRST_VALUE(line) OVER (PARTITION BY serial, gtin_no ORDER BY line) "
            "AS first FROM temp.staged) WHERE line != first ORDER BY line LIMIT 20").fetchall()
        return [Problem("file_serial_twice", f"line {line}: the same GTIN and serial as line {first}", line=line,
                        other=first) for line, first in rows], self.staged - kept

    def commit(self, details: dict) -> dict:
        """Merge in one transaction, with the audit row (``catalog.audited`` names who); returns
        what changed: ``new`` and ``updated`` serials (an import), ``marked`` (a decommission)."""
        db = self.db
        match = "r.serial = m.serial AND r.gtin_no = m.gtin_no"
        if self.decommission:
            transitions = db.execute(f"SELECT m.gtin_no, r.state, m.state, COUNT(*) FROM temp.merged m "
                                     f"JOIN main.serial_register r ON {match} GROUP BY 1, 2, 3").fetchall()
        else:
            fresh = dict(db.execute(f"SELECT gtin_no, COUNT(*) FROM temp.merged m WHERE NOT EXISTS "
                                    f"(SELECT 1 FROM main.serial_register r WHERE {match}) GROUP BY gtin_no").fetchall())
            listed = db.execute("SELECT COUNT(*) FROM temp.merged").fetchone()[0]
        with db:
            db.execute("BEGIN IMMEDIATE")
            for key, value in self.new_settings.items():
                _set(db, key, value)
            if not _setting(db, STORAGE_SETTING):
                _set(db, STORAGE_SETTING, self.storage)
            db.executemany("INSERT INTO serial_gtins (gtin_no, gtin) VALUES (?, ?)",
                           [(number, gtin) for gtin, number in self.new_gtins.items()])
            if self.decommission:
                db.execute("UPDATE serial_register SET state = m.state, state_date = m.state_date FROM temp.merged m "
                           "WHERE serial_register.serial = m.serial AND serial_register.gtin_no = m.gtin_no")
                for number, was, now, count in transitions:
                    if was == now:
                        continue
                    for state, step in ((was, -count), (now, count)):
                        if state in STATES:
                            column = STATES[state]
                            db.execute(f"UPDATE serial_gtins SET {column} = {column} + ? WHERE gtin_no = ?",
                                       (step, number))
                change = {"marked": sum(row[3] for row in transitions)}
            else:
                db.execute("INSERT INTO serial_register (serial, gtin_no, batch, expiry) SELECT serial, gtin_no, batch, "
                           "expiry FROM temp.merged WHERE true ON CONFLICT (serial, gtin_no) DO UPDATE SET "
                           "batch = excluded.batch, expiry = excluded.expiry")
                for number, count in fresh.items():
                    db.execute("UPDATE serial_gtins SET serials = serials + ? WHERE gtin_no = ?", (count, number))
                new = sum(fresh.values())
                change = {"new": new, "updated": listed - new}
            _bump(db, VERSION_SETTING)
            _bump(db, "derived_version")  # a checking process reloads (and reads unit codes from now on)
            self.catalog._write_audit({**details, **change, "storage": self.storage})
        self.abandon()
        return change

    def abandon(self) -> None:
        self.db.execute("DROP TABLE IF EXISTS temp.staged")
        self.db.execute("DROP TABLE IF EXISTS temp.merged")


def set_storage(catalog: Catalog, storage: str) -> None:
    """How the register stores serials (audited when the catalog's changes are). Refused once it
    holds serials stored the other way: they would have to be imported again."""
    if storage not in STORAGES:
        raise ValueError(f"serial storage is one of {STORAGES}, not {storage!r}")
    catalog.db.executescript(SCHEMA)
    current = _setting(catalog.db, STORAGE_SETTING) or HASHED
    held = catalog.db.execute("SELECT COALESCE(SUM(serials), 0) FROM serial_gtins").fetchone()[0]
    if storage != current and held:
        raise CatalogError(f"{catalog.path}: the serial register holds {held} serials stored {current}; to store them "
                           f"{storage}, clear the register (clear-serials) and import them again")
    with catalog.db:
        catalog.db.execute("BEGIN IMMEDIATE")
        _set(catalog.db, STORAGE_SETTING, storage)
        _bump(catalog.db, VERSION_SETTING)
        catalog._write_audit({"storage": storage})


def clear(catalog: Catalog) -> int:
    """Remove every serial (stamp templates stay); returns how many went."""
    catalog.db.executescript(SCHEMA)
    with catalog.db:
        catalog.db.execute("BEGIN IMMEDIATE")
        held = catalog.db.execute("SELECT COALESCE(SUM(serials), 0) FROM serial_gtins").fetchone()[0]
        catalog.db.execute("DELETE FROM serial_register")
        catalog.db.execute("DELETE FROM serial_gtins")
        catalog.db.execute("DELETE FROM meta WHERE key IN (?, ?)", (KEY_ID_SETTING, KEY_CHECK_SETTING))  # a new key next time
        _bump(catalog.db, VERSION_SETTING)
        _bump(catalog.db, "derived_version")
        catalog._write_audit({"removed": held})
    return held


def add_stamp(catalog: Catalog, template: str, brand: str = "") -> bool:
    """Register a stamp URL template (ValueError when it is not usable); False if already there."""
    StampPattern(template.strip(), brand.strip())  # checked before anything is written
    catalog.db.executescript(SCHEMA)
    with catalog.db:
        catalog.db.execute("BEGIN IMMEDIATE")
        added = catalog.db.execute("INSERT INTO serial_stamps (template, brand, added_at) VALUES (?, ?, ?) "
                                   "ON CONFLICT (template) DO NOTHING",
                                   (template.strip(), brand.strip(), _now())).rowcount
        if added:
            _bump(catalog.db, VERSION_SETTING)
            _bump(catalog.db, "derived_version")
            catalog._write_audit({"template": template.strip(), "brand": brand.strip()})
    return bool(added)


def remove_stamp(catalog: Catalog, template: str) -> bool:
    catalog.db.executescript(SCHEMA)
    with catalog.db:
        catalog.db.execute("BEGIN IMMEDIATE")
        removed = catalog.db.execute("DELETE FROM serial_stamps WHERE template = ?", (template.strip(),)).rowcount
        if removed:
            _bump(catalog.db, VERSION_SETTING)
            catalog._write_audit({"template": template.strip()})
    return bool(removed)


def _setting(db: sqlite3.Connection, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def _set(db: sqlite3.Connection, key: str, value: str) -> None:
    db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
               (key, value))


def _bump(db: sqlite3.Connection, key: str) -> None:
    db.execute("INSERT INTO meta (key, value) VALUES (?, '1') "
               "ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1", (key,))


def _date(value: int | None) -> date | None:
    if not value:
        return None
    return date(value // 10000, value // 100 % 100, value % 100)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


__all__ = ["HASHED", "PLAIN", "Issued", "Register", "RegisterWriter", "SerialKey", "add_stamp", "clear", "has_register",
           "key_dir", "remove_stamp", "set_storage"]
