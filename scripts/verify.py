#!/usr/bin/env python
"""Check photos against a catalog.

    python scripts/verify.py CATALOG_DIR PHOTO [PHOTO ...] [--claimed PRODUCT_ID]   # one JSON object on stdout
    python scripts/verify.py CATALOG_DIR --manifest QUERIES.csv --out RESULTS.jsonl

Several photos on the command line are one item seen from several angles: one result.
QUERIES.csv has a header row with the column path and optionally claimed_product_id and
case_id; rows sharing a case_id are photos of one item and get one result line.

The unit codes a check reads (serial numbers in GS1 DataMatrix, GS1 Digital Link QR codes,
registered stamps) join the catalog's memory of codes seen, with the case, --place and time, as
checks from the app do: the same code read later on another item, anywhere, is flagged
(serial_seen_before). The command line keeps no History of its own (no photos are stored).
"""

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path

from index import Verifier, cases_from_queries, connect, read_queries
from index.cli import run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("catalog", help="catalog folder")
    parser.add_argument("photos", nargs="*", help="photos of one item")
    parser.add_argument("--claimed", default=None, help="the product the item is claimed to be")
    parser.add_argument("--case-id", default=None, help="an id for this check, echoed in the result")
    parser.add_argument("--place", default="", help="where the items were checked (kept with the codes they carry)")
    parser.add_argument("--manifest", help="CSV of photos to check: path[, claimed_product_id, case_id]")
    parser.add_argument("--out", help="JSON lines file for --manifest results (default: stdout)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: VERIFIER_THREADS or all cores)")
    parser.add_argument("--confine-paths", action="store_true",
                        help="refuse manifest paths outside the manifest's folder (as the app does for uploads; "
                             "on the command line, your own paths are trusted by default)")
    parser.add_argument("--allow-outside-paths", action="store_true", help=argparse.SUPPRESS)  # the old default
    parser.add_argument("--regions", action="store_true",
                        help="with --manifest: include region evidence (always on for a single check; ~2x slower)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args()
    if bool(args.photos) == bool(args.manifest):
        parser.error("give either PHOTO arguments or --manifest QUERIES.csv")

    cases = None
    if args.manifest:
        rows = read_queries(args.manifest, allow_outside=not args.confine_paths)
        cases = [case for case, _ in cases_from_queries(rows, args.manifest)]
    catalog, embedder = connect(args.catalog, threads=args.threads)
    with catalog:
        verifier = Verifier(catalog, embedder)
        if cases is None:
            verdict = verifier.check(args.photos, claimed_product_id=args.claimed, case_id=args.case_id)
            _remember(args.catalog, verdict, args.place)
            print(json.dumps(verdict.to_dict(), ensure_ascii=False, indent=2))
            return 0
        counts = Counter()
        out = _open_atomic(args.out) if args.out else None
        try:
            for verdict in verifier.check_many(cases, progress=not args.no_progress, regions=args.regions):
                counts[verdict.verdict] += 1
                _remember(args.catalog, verdict, args.place)  # before the next case is judged
                line = json.dumps(verdict.to_dict(), ensure_ascii=False)
                (out or sys.stdout).write(line + "\n")
        except BaseException:
            if out:
                out.abandon()
            raise
        if out:
            out.commit()
        summary = ", ".join(f"{counts[k]} {k}" for k in ("genuine", "suspicious", "counterfeit", "unknown"))
        print(f"{sum(counts.values())} cases: {summary}" + (f"; results in {args.out}" if args.out else ""), file=sys.stderr)
    return 0


def _remember(catalog_dir: str, verdict, place: str) -> None:
    """The unit codes the check read, into the catalog's memory of codes seen."""
    from index.storing.sightings import remember_now, units_of
    from vision.images import read_bytes, sha256_of

    result = verdict.to_dict()
    if not units_of(result):
        return
    hashes = []
    for photo in verdict.photos:
        try:
            hashes.append(sha256_of(read_bytes(photo)))
        except Exception:  # noqa: BLE001 - an unreadable photo is named in the result already
            continue
    try:
        remember_now(catalog_dir, result, hashes, place, source="cli")
    except Exception as exc:  # noqa: BLE001 - a read-only catalog folder: checks go on, unremembered
        print(f"warning: the codes read were not remembered in {catalog_dir} ({exc})", file=sys.stderr)


class _open_atomic:
    """Write results to a temporary file and move it into place only when complete."""

    def __init__(self, path: str):
        self.path = Path(path)
        self.tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = open(self.tmp, "w", encoding="utf-8")

    def write(self, text: str) -> None:
        self.handle.write(text)

    def commit(self) -> None:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        os.replace(self.tmp, self.path)

    def abandon(self) -> None:
        self.handle.close()
        self.tmp.unlink(missing_ok=True)


if __name__ == "__main__":
    run(main)
