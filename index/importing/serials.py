"""A brand's register of serial numbers from a CSV file, and its decommission list.

    gtin,serial,batch,expiry          issued serials (batch and expiry optional; expiry YYYY-MM-DD)
    07350001070087,7K3Q9X0042,L2611A,2030-12-31
    gtin,serial,state,date            serials marked sold or seen (state and date optional:
    07350001070087,7K3Q9X0042,sold,2026-03-01        sold, today)

The file is streamed (millions of rows in constant memory, a progress bar over its bytes), every
row checked: GTIN length and check digit (biip), serial and batch as GS1 allows them (printable
characters, no spaces; a serial up to 64 characters for stamp codes, a batch up to 20), dates
that exist, the same serial not twice for one GTIN. A file with any bad row is refused whole,
each bad row with its line number (the first 20 listed, and how many in all), and nothing is
imported; a good one is merged in one transaction with its audit row (``index.storing.serials``).
A serial imported again keeps its state and takes the file's batch and expiry (a correction).
"""

from __future__ import annotations

import csv
import re
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable

from ..problems import Problem, at_line, gtin_problem, not_csv
from ..storing.catalog import Catalog
from ..storing.serials import CHUNK, STATE_CODES, RegisterWriter
from .manifests import ManifestError

ISSUED_COLUMNS = (("gtin", "serial"), ("batch", "expiry"))
DECOMMISSION_COLUMNS = (("gtin", "serial"), ("state", "date"))
#: A GS1 serial (AI 21) has up to 20 characters; stamp codes seen in the field up to 32.
MAX_SERIAL = 64
#: A GS1 batch (AI 10): up to 20 characters.
MAX_BATCH = 20
SHOWN = 20
_PRINTABLE = re.compile(r"[\x21-\x7e]+")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class RegisterFileError(ManifestError):
    """A register file refused whole: its bad rows, each with its line (the first ``SHOWN``)."""

    def __init__(self, path: str, problems: list[str], bad: int, rows: int):
        self.bad, self.rows = bad, rows
        shown = problems[:SHOWN]
        more = f"\n  ... and {bad - len(shown)} more" if bad > len(shown) else ""
        ValueError.__init__(self, f"{path}: {bad} of {rows} rows refused, nothing was imported:\n  "
                            + "\n  ".join(shown) + more)
        self.manifest, self.problems = path, problems


@dataclass(frozen=True)
class RegisterImport:
    file: str
    rows: int
    seconds: float
    storage: str
    new: int = 0
    updated: int = 0
    marked: int = 0

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds else float("inf")

    def format(self) -> str:
        if self.marked or not (self.new or self.updated):
            return f"{self.file}: {self.marked} serials marked sold or seen ({self.rows} rows, {self.seconds:.1f} s)"
        return (f"{self.file}: {self.new} serials added, {self.updated} already in the register (batch and expiry "
                f"updated); {self.rows} rows in {self.seconds:.1f} s ({self.rows_per_s:,.0f} rows/s), stored "
                f"{self.storage}")

    def to_dict(self) -> dict:
        return {"file": self.file, "rows": self.rows, "new": self.new, "updated": self.updated, "marked": self.marked,
                "storage": self.storage, "seconds": round(self.seconds, 2), "rows_per_s": round(self.rows_per_s)}


def import_register(catalog_dir: str | Path, path: str | Path, user: str, decommission: bool = False,
                    progress: bool | Callable[[int, int], None] = True, name: str | None = None,
                    allowed_gtins: frozenset[str] | None = None) -> RegisterImport:
    """Import a register file (or a decommission list) into the catalog as ``user``, under the
    catalog's writer lock; ``name``: the file's name as the user knows it (an upload's);
    ``allowed_gtins`` (GTIN-14s): the only GTINs the user may register serials for (a brand
    owner's products'), every other row refused with its line; None: any."""
    action = "decommission_serials" if decommission else "import_serials"
    with Catalog.open(catalog_dir, writable=True) as catalog, \
            catalog.audited(user, action, {"file": name or Path(path).name}):
        return load_register(catalog, path, decommission, progress, name, allowed_gtins)


def load_register(catalog: Catalog, path: str | Path, decommission: bool = False,
                  progress: bool | Callable[[int, int], None] = True, name: str | None = None,
                  allowed_gtins: frozenset[str] | None = None) -> RegisterImport:
    """Into a catalog opened writable (audited when the catalog's changes are)."""
    path = Path(path)
    name = name or path.name
    if not path.is_file():
        raise ManifestError(name, [Problem("file_not_found", "file not found")])
    started = time.perf_counter()
    writer = RegisterWriter(catalog, decommission)
    writer.allowed_gtins = allowed_gtins
    try:
        problems, bad, rows = _stage(writer, path, name, decommission, progress)
        if rows:
            more, more_bad = writer.sort()  # the same serial twice; a decommission: serials not in the register
            problems = sorted(problems + more, key=lambda p: int(p.split(":")[0].split()[1]))[:SHOWN]
            bad += more_bad
        if problems:
            raise RegisterFileError(name, problems, bad, rows)
        if not rows:
            raise ManifestError(name, [Problem("file_no_rows", "no rows under the header: nothing to import")])
        change = writer.commit({"rows": rows})
    except BaseException:
        writer.abandon()
        raise
    return RegisterImport(name, rows, time.perf_counter() - started, writer.storage, change.get("new", 0),
                          change.get("updated", 0), change.get("marked", 0))


def _stage(writer: RegisterWriter, path: Path, name: str, decommission: bool, progress) -> tuple[list[str], int, int]:
    """Read and check every row, staging the good ones; (problems (the first ``SHOWN``), bad rows, rows)."""
    required, optional = DECOMMISSION_COLUMNS if decommission else ISSUED_COLUMNS
    size = path.stat().st_size
    bar = None
    if progress is True:
        from tqdm import tqdm

        bar = tqdm(total=size, unit="B", unit_scale=True, desc=name, file=sys.stderr, dynamic_ncols=True)
    report = progress if callable(progress) else None
    problems: list[str] = []
    bad = rows = 0
    # GTINs, batches and dates repeat over millions of rows: each distinct one is checked once
    seen: dict[tuple[str, str], tuple] = {}
    today = date.today()
    raw = open(path, "rb")
    try:
        kind = not_csv(raw.read(8))
        if kind is not None:
            raise ManifestError(name, [kind])
        raw.seek(0)
        text = _lines(raw)
        try:
            first = next(text, "").lstrip("\ufeff")
        except _NotText:
            raise ManifestError(name, [Problem("file_not_utf8", "line 1: not UTF-8 text (save the file as CSV UTF-8)",
                                               line=1)]) from None
        if not first.strip():
            raise ManifestError(name, [Problem("file_empty_header", "the file is empty: the first line must be the "
                                               "header " + ",".join(required + optional),
                                               header=",".join(required + optional))])
        # a spreadsheet set to a comma-decimal locale saves CSV with semicolons
        delimiter = ";" if ";" in first and "," not in first else ","
        header = [cell.strip().lower() for cell in next(csv.reader([first], delimiter=delimiter))]
        reader = csv.reader(text, delimiter=delimiter)
        missing = [c for c in required if c not in header]
        unknown = [c for c in header if c not in required + optional]
        if missing or unknown or len(set(header)) != len(header):
            raise ManifestError(name, [Problem("file_register_header", f"line 1: the header must be {','.join(required)} "
                                               f"with {' and '.join(optional)} optional, not {','.join(header)}",
                                               line=1, required=",".join(required), optional=", ".join(optional),
                                               header=",".join(header)[:200])])
        width = len(header)
        at = {column: header.index(column) for column in header}
        chunk: list[tuple] = []
        line = 1
        try:
            for row in reader:
                line = reader.line_num + 1  # the header was read before the reader started
                if not "".join(row).strip():  # a blank line, or only commas (a spreadsheet's empty row)
                    continue
                rows += 1
                staged, problem = _row(writer, row, width, at, seen, decommission, today)
                if problem:
                    bad += 1
                    if len(problems) < SHOWN:
                        problems.append(at_line(line, problem))
                else:  # staged even after a bad row: a serial listed twice is found among them
                    chunk.append((*staged, line))
                    if len(chunk) >= CHUNK:
                        writer.stage(chunk)
                        chunk = []
                if rows % CHUNK == 0:
                    if bar is not None:
                        bar.update(raw.tell() - bar.n)
                        bar.set_postfix(rows=f"{rows:,}")
                    if report is not None:
                        report(raw.tell(), size)
        except _NotText as exc:
            bad, rows = bad + 1, rows + 1
            problems.append(Problem("file_not_utf8_further", f"line {exc.line}: not UTF-8 text (save the file as CSV "
                                    "UTF-8); not read further", line=exc.line))
        except csv.Error as exc:
            bad += 1
            problems.append(Problem("file_not_csv", f"line {reader.line_num + 1}: {exc}", line=reader.line_num + 1))
        if chunk:
            writer.stage(chunk)
    finally:
        raw.close()
        if bar is not None:
            bar.update(size - bar.n)
            bar.set_postfix(rows=f"{rows:,}")
            bar.close()
    if report is not None:
        report(size, size)
    return problems, bad, rows


class _NotText(Exception):
    def __init__(self, line: int):
        self.line = line


def _lines(raw):
    """The file's lines as text, each decoded on its own: a byte that is not UTF-8 is named by its line."""
    for number, data in enumerate(raw, 1):
        try:
            yield data.decode("utf-8")
        except UnicodeDecodeError:
            raise _NotText(number) from None


def _row(writer: RegisterWriter, row: list[str], width: int, at: dict[str, int], seen: dict, decommission: bool,
         today: date) -> tuple[tuple | None, str | None]:
    """The staging tuple of one row (without its line), or the problem with it."""
    if len(row) != width:
        return None, Problem("file_fields", f"{len(row)} fields, the header has {width}", fields=len(row), width=width)
    raw = row[at["gtin"]].strip()
    number, problem = _cached(seen, ("gtin", raw), lambda: _gtin(raw, writer, decommission))
    if problem:
        return None, problem
    serial = row[at["serial"]].strip()
    if not serial:
        return None, Problem("file_serial_empty", "the serial is empty")
    if len(serial) > MAX_SERIAL:
        return None, Problem("file_serial_long", f"the serial is {len(serial)} characters long, more than {MAX_SERIAL}",
                             length=len(serial), limit=MAX_SERIAL)
    if not _PRINTABLE.fullmatch(serial):
        return None, Problem("file_serial_characters", f"the serial {serial[:40]!r} holds a space or a character other "
                             "than letters, digits and punctuation", serial=serial[:40])
    if decommission:
        state = (row[at["state"]].strip().lower() if "state" in at else "") or "sold"
        if state not in STATE_CODES:
            return None, Problem("file_state", f"state {state!r} is not one of {', '.join(STATE_CODES)}",
                                 state=state[:40], states=", ".join(STATE_CODES))
        cell = row[at["date"]].strip() if "date" in at else ""
        when, problem = _cached(seen, ("date", cell), lambda: _day(cell, "date"))
        if problem:
            return None, problem
        return (writer.token(serial), number, None, None, STATE_CODES[state], when or _number(today)), None
    batch = row[at["batch"]].strip() if "batch" in at else ""
    if batch:
        (problem,) = _cached(seen, ("batch", batch), lambda: (_batch_problem(batch),))
        if problem:
            return None, problem
    cell = row[at["expiry"]].strip() if "expiry" in at else ""
    expiry, problem = _cached(seen, ("expiry", cell), lambda: _day(cell, "expiry"))
    if problem:
        return None, problem
    return (writer.token(serial), number, batch or None, expiry, None, None), None


#: Distinct GTINs, batches and dates remembered as checked (a file with a batch per row gets no cache).
CACHED = 100_000


def _cached(seen: dict, key: tuple, check) -> tuple:
    found = seen.get(key)
    if found is None:
        found = check()
        if len(seen) < CACHED:
            seen[key] = found
    return found


def _batch_problem(batch: str) -> str | None:
    if len(batch) > MAX_BATCH or not _PRINTABLE.fullmatch(batch):
        return Problem("file_batch", f"batch {batch[:40]!r} is not a GS1 batch (up to {MAX_BATCH} letters, digits or "
                       "punctuation)", batch=batch[:40], limit=MAX_BATCH)
    return None


def _gtin(raw: str, writer: RegisterWriter, decommission: bool) -> tuple[int | None, str | None]:
    from biip.gtin import Gtin

    if not raw.isdigit() or len(raw) not in (8, 12, 13, 14):
        return None, gtin_problem(raw)
    try:
        gtin = Gtin.parse(raw).as_gtin_14()
    except Exception as exc:  # biip says why: the check digit
        return None, gtin_problem(raw, str(exc))
    allowed = getattr(writer, "allowed_gtins", None)
    if allowed is not None and gtin not in allowed:
        return None, Problem("file_gtin_not_yours", f"GTIN {gtin} is not the GTIN of a product of your brands in the "
                             "catalog", gtin=gtin)
    number = writer.gtin_number(gtin, create=not decommission)
    if number is None:
        return None, Problem("file_gtin_no_serials", f"GTIN {gtin} has no serials in the register", gtin=gtin)
    return number, None


def _day(cell: str, what: str) -> tuple[int | None, str | None]:
    """A date cell as YYYYMMDD (None when empty), or the problem with it."""
    if not cell:
        return None, None
    if not _DATE.fullmatch(cell):
        return None, Problem("file_date", f"{what} {cell[:40]!r} is not a date written YYYY-MM-DD", what=what,
                             value=cell[:40])
    try:
        return _number(date.fromisoformat(cell)), None
    except ValueError:  # written right, but 30 February
        return None, Problem("file_no_such_day", f"{what} {cell!r} is no day of the calendar", what=what, value=cell)


def _number(day: date) -> int:
    return day.year * 10000 + day.month * 100 + day.day
