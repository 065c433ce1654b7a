#!/usr/bin/env python
"""Check that a report (HTML or JSON) was issued by a deployment and not edited since.

    python scripts/verify_report.py REPORT [REPORT ...] [--public-key KEY.pem]

Every report the app writes is signed with its deployment's Ed25519 private key. The public key
(``report-signing-key.pub.pem`` in VERIFIER_KEY_DIR, default ~/.config/counterfeit-verifier) is
what a court, a brand owner or another office needs to check it; without --public-key this
machine's own deployment key is used. Prints one line per report; exits 1 if any fails.

A report verifies only in the format it was issued in, as its name says (``.html`` or
``.json``; ``--format`` for a file saved without either): a JSON report renamed ``.html`` is
refused (a browser would render what its text holds).
The check is linear in the file's size, and a file larger than any report (32 MB) is refused
before it is read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ui.signing import (MAX_REPORT_BYTES, PUBLIC_NAME, ReportNotVerified, default_key_dir,  # noqa: E402
                        format_of, load_public_key, verify_report)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("reports", nargs="+", help="report files (.html or .json) as the app wrote them")
    parser.add_argument("--public-key", default=None,
                        help=f"the issuing deployment's public key (default: {default_key_dir() / PUBLIC_NAME})")
    parser.add_argument("--format", choices=("html", "json"), default=None,
                        help="the format of reports saved without .html or .json in their name (a name that says "
                             "its format is always checked as that format)")
    args = parser.parse_args(argv)
    key_path = Path(args.public_key) if args.public_key else default_key_dir() / PUBLIC_NAME
    if not key_path.is_file():
        print(f"error: {key_path}: no public key there; pass the issuing deployment's key with --public-key",
              file=sys.stderr)
        return 2
    try:
        key = load_public_key(key_path)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    failed = 0
    for name in args.reports:
        path = Path(name)
        try:
            if path.stat().st_size > MAX_REPORT_BYTES:  # refused before it is read
                raise ReportNotVerified(f"{path}: {path.stat().st_size / 1024**2:.1f} MB, larger than any report "
                                        f"({MAX_REPORT_BYTES / 1024**2:.0f} MB limit)", "too_large")
            fingerprint = verify_report(path.read_bytes(), key, str(path), format_of(path) or args.format).fingerprint
        except OSError as exc:
            print(f"NOT VERIFIED  {path}: cannot read it ({exc.strerror or exc})")
            failed += 1
        except ReportNotVerified as exc:
            hint = " (or say its format with --format html or --format json)" if exc.reason == "bad_name" else ""
            print(f"NOT VERIFIED  {exc}{hint}")
            failed += 1
        else:
            print(f"verified      {path}: issued by the deployment with key {fingerprint}, unchanged since")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
