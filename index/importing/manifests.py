"""CSV manifests: the catalog's products (``PRODUCTS.csv``) and photos to check (``QUERIES.csv``).

A manifest is checked whole before anything is imported, so a bad row never leaves a catalog
half-imported; every problem is reported with its line number.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..ids import clean
from ..storing.catalog import LABELS
from ..problems import Problem, at_line, gtin_problem, not_csv

#: Longest manifest cell accepted: paths, ids and a package's text fit well within it.
MAX_CELL_CHARS = 4000
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff", ".heic", ".heif", ".avif"}


class ManifestError(ValueError):
    """A manifest that cannot be used; lists every problem found, each with its line."""

    def __init__(self, manifest: str, problems: list[str]):
        self.manifest = manifest
        self.problems = problems
        shown = problems[:20]
        more = f"\n  ... and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        if len(problems) == 1:
            text = problems[0]
        else:
            text = f"{len(problems)} problems, nothing was imported:\n  " + "\n  ".join(shown) + more
        super().__init__(f"{manifest}: {text}")


@dataclass(frozen=True)
class ProductRow:
    line: int
    path: Path
    product_id: str
    label: str = "genuine"
    name: str = ""
    brand: str = ""
    view: str = ""
    #: What the genuine package says (its printed name, claims, maker), as the brand owner knows it.
    label_text: str = ""
    #: The product's GTINs (EAN/UPC), check digits verified when the manifest is read.
    gtins: tuple[str, ...] = ()


@dataclass(frozen=True)
class QueryRow:
    line: int
    path: Path
    claimed_product_id: str | None = None
    case_id: str | None = None
    true_product_id: str | None = None
    label: str | None = None


def read_products(manifest: str | Path, allow_outside: bool = False) -> list[ProductRow]:
    manifest = Path(manifest)
    rows, problems = [], []
    seen: dict[Path, int] = {}
    for line, record in _records(manifest, required=("path", "product_id"),
                                 optional=("label", "name", "brand", "view", "label_text", "gtin")):
        path, problem = _resolve(manifest, record.get("path", ""), allow_outside)
        product_id = clean(record.get("product_id"))
        label = (record.get("label") or "genuine").strip().lower()
        gtins, gtin_problems = parse_gtins(record.get("gtin", ""))
        problems += [at_line(line, p) for p in gtin_problems]
        if problem:
            problems.append(at_line(line, problem))
        if not product_id:
            problems.append(Problem("file_empty_product_id", f"line {line}: empty product_id", line=line))
        if label not in LABELS:
            problems.append(_unknown_label(line, record.get("label")))
        if path is not None and path in seen:
            problems.append(Problem("file_same_photo",
                                    f"line {line}: the same photo as line {seen[path]} ({path.name})",
                                    line=line, other=seen[path], name=path.name))
        if path is not None:
            seen.setdefault(path, line)
        if path is not None and product_id and label in LABELS:
            rows.append(ProductRow(line, path, product_id, label, clean(record.get("name")), clean(record.get("brand")),
                                   clean(record.get("view")), " ".join(clean(record.get("label_text")).split()), gtins))
    if problems:
        raise ManifestError(str(manifest), problems)
    if not rows:
        raise ManifestError(str(manifest), [NO_PHOTOS])
    return rows


def read_queries(manifest: str | Path, allow_outside: bool = False) -> list[QueryRow]:
    manifest = Path(manifest)
    rows, problems = [], []
    for line, record in _records(manifest, required=("path",),
                                 optional=("claimed_product_id", "case_id", "true_product_id", "label")):
        path, problem = _resolve(manifest, record.get("path", ""), allow_outside)
        label = (record.get("label") or "").strip().lower() or None
        if problem:
            problems.append(at_line(line, problem))
        if label is not None and label not in LABELS:
            problems.append(_unknown_label(line, record.get("label")))
        if path is not None and not problem:
            rows.append(QueryRow(line, path, _blank_to_none(record.get("claimed_product_id")),
                                 _blank_to_none(record.get("case_id")), _blank_to_none(record.get("true_product_id")), label))
    if problems:
        raise ManifestError(str(manifest), problems)
    if not rows:
        raise ManifestError(str(manifest), [NO_PHOTOS])
    return rows


NO_PHOTOS = Problem("file_no_photos", "no photos listed")


def _unknown_label(line: int, label) -> Problem:
    return Problem("file_unknown_label", f"line {line}: unknown label {label!r} (use 'genuine' or 'counterfeit')",
                   line=line, label=str(label or "")[:40])


def parse_gtins(cell: str) -> tuple[tuple[str, ...], list[str]]:
    """GTINs from a manifest cell (several separated by spaces, commas, ``;`` or ``|``), each
    checked by biip (length, check digit): (GTINs as 14 digits, GS1's canonical form, problems)."""
    from biip.gtin import Gtin

    found, problems = [], []
    for raw in re.split(r"[\s,;|]+", cell or ""):
        if not raw:
            continue
        if not raw.isdigit():
            problems.append(gtin_problem(raw))
            continue
        try:
            gtin = Gtin.parse(raw)
        except Exception as exc:  # biip explains: wrong length, wrong check digit
            problems.append(gtin_problem(raw, str(exc)))
            continue
        found.append(gtin.as_gtin_14())
    return tuple(dict.fromkeys(found)), problems


def product_rows_from_folder(folder: str | Path, label: str = "genuine") -> list[ProductRow]:
    """``PHOTOS_DIR/<product_id>/**/photo``: one subfolder per product."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ManifestError(str(folder), ["not a folder"])
    rows = []
    for product_dir in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for path in sorted(product_dir.rglob("*")):
            if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith("."):
                rows.append(ProductRow(0, path, clean(product_dir.name), label, view=""))
    if not rows:
        raise ManifestError(str(folder), ["no photos found (expected one subfolder of photos per product_id)"])
    return rows


def spreadsheet_safe(value):
    """A CSV cell that a spreadsheet shows as text, never runs as a formula: text starting with
    ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe (OWASP's
    advice against CSV injection). Numbers stay numbers."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def write_manifest(path: str | Path, header: list[str], rows: list[list[str]]) -> None:
    """Write a CSV manifest (UTF-8, header row) that ``read_products``/``read_queries`` accept;
    every cell safe to open in a spreadsheet."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([[spreadsheet_safe(cell) for cell in row] for row in rows])


def _records(manifest: Path, required: tuple[str, ...], optional: tuple[str, ...]):
    try:
        raw = manifest.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ManifestError(str(manifest), [Problem("file_unreadable", f"cannot read the file ({reason})",
                                                    reason=reason)]) from None
    kind = not_csv(raw[:8])
    if kind is not None:
        raise ManifestError(str(manifest), [kind])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ManifestError(str(manifest), [Problem("file_not_utf8",
                                                    f"line {line}: not UTF-8 text; save the CSV as UTF-8",
                                                    line=line)]) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [column for column in required if column not in header]
    if missing:
        raise ManifestError(
            str(manifest),
            [Problem("file_missing_columns", f"line 1: missing column(s) {', '.join(missing)}; the header must include "
                     f"{', '.join(required)} (optional: {', '.join(optional)})", line=1, missing=", ".join(missing),
                     required=", ".join(required), optional=", ".join(optional))],
        )
    reader.fieldnames = header
    line = 1
    try:
        for record in reader:
            line = reader.line_num
            if not any((value or "").strip() for key, value in record.items() if key is not None):
                continue  # blank line
            too_long = [key for key, value in record.items() if key is not None and len(value or "") > MAX_CELL_CHARS]
            if too_long:
                raise ManifestError(str(manifest), [Problem(
                    "file_cell_too_long", f"line {line}: the {too_long[0]} cell is longer than {MAX_CELL_CHARS} "
                    "characters; is this the right file?", line=line, column=too_long[0], limit=MAX_CELL_CHARS)])
            yield reader.line_num, {key: (value or "") for key, value in record.items() if key is not None}
    except csv.Error as exc:  # e.g. a cell over the csv module's 128 KiB field limit
        raise ManifestError(str(manifest), [Problem("file_not_csv", f"line {line + 1}: not a readable CSV row ({exc}); "
                                                    "is this the right file?", line=line + 1)]) from None


def _resolve(manifest: Path, raw: str, allow_outside: bool) -> tuple[Path | None, str | None]:
    raw = (raw or "").strip()
    if not raw:
        return None, Problem("file_empty_path", "empty path")
    # Containment is judged on the written path with ".." folded, not on symlink targets: a link
    # the folder's owner placed inside it is deliberate; "../../etc/x" is not.
    base = Path(os.path.abspath(manifest.parent))
    path = Path(os.path.abspath(base / raw))
    if not allow_outside and not path.is_relative_to(base):
        return None, Problem("file_path_outside", f"path {raw!r} is outside the manifest's folder {base}; "
                             "move the photos under it, or allow it explicitly with --allow-outside-paths",
                             path=raw[:200])
    return path, None


def _blank_to_none(value: str | None) -> str | None:
    return clean(value) or None
