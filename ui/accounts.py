"""Who may do what: the agency's accounts (``index.storing.accounts``, in the catalog's database) as
the login's user store, and the rules of each role, checked by ``ui.service`` on the server for
every route (the page, the API), never only by hiding a button.

- inspector: checks; their own checks in the History and their case files;
- supervisor: the checks of their unit (every check where the supervisor has no unit); reviews;
  the dashboard;
- brand owner: adds, edits and removes the catalog rows of their own brands, and nothing else;
- administrator: everything, the accounts included.

The users of the environment (``VERIFIER_ADMIN_USER``/``VERIFIER_ADMIN_PASSWORD``,
``VERIFIER_USERS_FILE``: ``ui.auth.Users``) become administrator accounts when the app starts
(once: after that the stored account is the one that counts, and is reset like any other).

A login costs one PBKDF2 whether the name exists, is disabled or not (a stand-in hash), as
``ui.auth.Users`` does, so the time of a failed login does not tell which names exist.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from index.storing import accounts as store
from index.storing.accounts import ROLES, Account, AccountError

from .auth import ITERATIONS, Users, _matches, hash_password

#: What each role may do, beyond checking photos (everyone who may check).
RIGHTS = {
    "inspector": {"history_own"},
    "supervisor": {"history_unit", "review", "dashboard"},
    "brand_owner": {"catalog_brand"},
    "administrator": {"history_all", "review", "dashboard", "catalog_all", "accounts", "serials"},
}


def anonymous_checks_allowed(environ=os.environ) -> bool:
    """``VERIFIER_ANONYMOUS_CHECKS=0``: only logged-in users may check photos (the default lets a
    consumer check a listing without an account)."""
    return environ.get("VERIFIER_ANONYMOUS_CHECKS", "1").strip().lower() not in ("0", "no", "false", "off")


class Accounts:
    """The login's user store (``configured``, ``verify``) over the catalog's accounts."""

    def __init__(self, catalog_dir: str | Path, bootstrap: Users | None = None, by: str = "app start"):
        self.catalog_dir = Path(catalog_dir)
        if bootstrap is not None:
            for name, stored in bootstrap.hashes().items():
                if store.get(self.catalog_dir, name) is None:
                    try:
                        store.create(self.catalog_dir, by, name, "administrator", stored)
                    except AccountError:  # made a moment ago by another process: theirs counts
                        pass
        self._stand_in = hash_password(secrets.token_hex(16), ITERATIONS)

    @property
    def configured(self) -> bool:
        return store.count(self.catalog_dir) > 0

    def verify(self, name: str, password: str) -> bool:
        stored = store.password_hash(self.catalog_dir, name)
        ok = _matches(password or "", stored or self._stand_in)
        return ok and stored is not None

    def account(self, name: str | None) -> Account | None:
        """The account of a logged-in name (None for nobody, an unknown or a disabled account)."""
        if not name:
            return None
        account = store.get(self.catalog_dir, name)
        return None if account is None or account.disabled else account

    # ---- changes (an administrator's) ------------------------------------------------------

    def create(self, by: str, name: str, role: str, password: str, unit: str = "", brands="") -> Account:
        _password_ok(password)
        return store.create(self.catalog_dir, by, name, role, hash_password(password), unit, brands)

    def reset(self, by: str, name: str, password: str) -> Account:
        _password_ok(password)
        return store.set_password(self.catalog_dir, by, name, hash_password(password))

    def disable(self, by: str, name: str, disabled: bool = True) -> Account:
        if disabled and name == by:
            raise AccountError("account_not_self")
        return store.set_disabled(self.catalog_dir, by, name, disabled)

    def change(self, by: str, name: str, role: str, unit: str = "", brands="") -> Account:
        return store.update(self.catalog_dir, by, name, role, unit, brands)

    def all(self) -> list[Account]:
        return store.all_accounts(self.catalog_dir)


#: Shortest password an administrator may set (NIST SP 800-63B asks for at least 8).
MIN_PASSWORD = 8


def _password_ok(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise AccountError("account_short_password", limit=MIN_PASSWORD)


def may(account: Account | None, right: str) -> bool:
    return account is not None and right in RIGHTS.get(account.role, set())


def owns_brand(account: Account | None, brand: str) -> bool:
    """Whether ``account`` may change a product of ``brand`` (an administrator: any)."""
    if may(account, "catalog_all"):
        return True
    if not may(account, "catalog_brand"):
        return False
    return bool(brand) and brand.strip().casefold() in {b.casefold() for b in account.brands}


__all__ = ["Account", "AccountError", "Accounts", "RIGHTS", "ROLES", "anonymous_checks_allowed", "may", "owns_brand"]
