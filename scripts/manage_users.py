#!/usr/bin/env python
"""The agency's user accounts, kept in the catalog (ui/accounts.py): the administrator's tools on
the command line, the same as the app's Users tab.

    python scripts/manage_users.py CATALOG_DIR list
    python scripts/manage_users.py CATALOG_DIR create NAME --role inspector|supervisor|brand_owner|administrator
                                                      [--unit UNIT] [--brands "Oatly, Arla"]
    python scripts/manage_users.py CATALOG_DIR change NAME --role ROLE [--unit UNIT] [--brands BRANDS]
    python scripts/manage_users.py CATALOG_DIR reset NAME
    python scripts/manage_users.py CATALOG_DIR disable NAME
    python scripts/manage_users.py CATALOG_DIR enable NAME

`create` and `reset` ask for the password twice (or read one line from standard input with
--password-stdin, for scripts). Every change is audited in the catalog as the operating system's
user "(command line)". Passwords are stored as PBKDF2 hashes, never as typed.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.cli import run  # noqa: E402
from index.storing import audit  # noqa: E402
from index.storing import accounts as store  # noqa: E402
from index.storing.accounts import ROLES, AccountError  # noqa: E402
from index.storing.catalog import DB_NAME  # noqa: E402
from ui.accounts import MIN_PASSWORD  # noqa: E402
from ui.auth import hash_password  # noqa: E402
from ui.i18n import t  # noqa: E402


def _password(args) -> str:
    if args.password_stdin:
        secret = sys.stdin.readline().rstrip("\n")
    else:
        secret = getpass.getpass(f"password for {args.name}: ")
        if getpass.getpass("again: ") != secret:
            raise AccountError("passwords differ")
    if len(secret) < MIN_PASSWORD:
        raise AccountError("account_short_password", limit=MIN_PASSWORD)
    return secret


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("catalog")
    parser.add_argument("action", choices=["list", "create", "change", "reset", "disable", "enable"])
    parser.add_argument("name", nargs="?", default="")
    parser.add_argument("--role", choices=ROLES)
    parser.add_argument("--unit", default="")
    parser.add_argument("--brands", default="")
    parser.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    args = parser.parse_args()
    catalog = Path(args.catalog)
    if not (catalog / DB_NAME).is_file():
        print(f"error: {catalog}: no catalog here ({DB_NAME} is missing)", file=sys.stderr)
        return 2
    if args.action != "list" and not args.name.strip():
        parser.error(f"{args.action} needs a user name")
    if args.action in ("create", "change") and not args.role:
        parser.error(f"{args.action} needs --role")
    by = audit.command_line_user()
    try:
        if args.action == "list":
            for a in store.all_accounts(catalog):
                state = "disabled" if a.disabled else "active"
                print(f"{a.name}\t{a.role}\t{a.unit or '-'}\t{', '.join(a.brands) or '-'}\t{state}")
            return 0
        if args.action == "create":
            account = store.create(catalog, by, args.name, args.role, hash_password(_password(args)), args.unit,
                                   args.brands)
        elif args.action == "change":
            account = store.update(catalog, by, args.name, args.role, args.unit, args.brands)
        elif args.action == "reset":
            if store.get(catalog, args.name) is None:
                raise AccountError("account_unknown", name=args.name)
            account = store.set_password(catalog, by, args.name, hash_password(_password(args)))
        else:
            account = store.set_disabled(catalog, by, args.name, args.action == "disable")
    except AccountError as exc:
        message = t(exc.key, "en", **exc.args_) if exc.key.startswith("account") else exc.key
        print(f"error: {message}", file=sys.stderr)
        return 2
    print(f"{args.action}: {account.name} ({account.role}{', disabled' if account.disabled else ''})")
    return 0


if __name__ == "__main__":
    run(main)
