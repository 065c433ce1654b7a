"""Who may change the catalog: the user store. Credentials come from the environment, never
from code:

- ``VERIFIER_ADMIN_USER`` and ``VERIFIER_ADMIN_PASSWORD``: one user; and/or
- ``VERIFIER_USERS_FILE``: a file of ``name:pbkdf2_sha256$iterations$salt_hex$hash_hex`` lines,
  made with ``python -m ui.auth NAME`` (asks for the password, prints the line).

A store answers one question, ``verify(name, password)``, at the same cost for a name it knows
and one it does not (one PBKDF2 either way: an unknown name is checked against a stand-in hash,
and the environment's password is hashed when the store is made), so the time of a failed login
does not tell which names exist (before, issue 25: 100 ms against 3 ms). Logging in, the lockout
after repeated failures and the session cookie are ``ui.sessions``'s: a store kept elsewhere (a
database of accounts and roles) slots in under it by offering ``configured`` and ``verify``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sys
from pathlib import Path

ITERATIONS = 200_000
#: Failed logins from one client address that lock that address out, and for how long (``ui.sessions``).
MAX_FAILURES = 5
LOCK_SECONDS = 60.0


def hash_password(password: str, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}"


def _iterations(stored: str) -> int:
    try:
        return int(stored.split("$")[1])
    except (IndexError, ValueError):
        return ITERATIONS


def _matches(password: str, stored: str) -> bool:
    try:
        scheme, iterations, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "pbkdf2_sha256":
        return False
    candidate = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), int(iterations))
    return hmac.compare_digest(candidate.hex(), digest)


class Users:
    def __init__(self, env: dict | None = None):
        env = os.environ if env is None else env
        self._hashes: dict[str, str] = {}
        users_file = env.get("VERIFIER_USERS_FILE", "").strip()
        if users_file:
            for number, line in enumerate(Path(users_file).read_text(encoding="utf-8").splitlines(), 1):
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                name, sep, stored = line.partition(":")
                if not sep or not stored.startswith("pbkdf2_sha256$"):
                    raise ValueError(f"{users_file}, line {number}: expected NAME:pbkdf2_sha256$... "
                                     "(make one with `python -m ui.auth NAME`)")
                self._hashes[name.strip()] = stored.strip()
        user, password = env.get("VERIFIER_ADMIN_USER", "").strip(), env.get("VERIFIER_ADMIN_PASSWORD", "")
        if user and password:  # hashed now: checking it costs what checking any other name costs
            self._hashes[user] = hash_password(password)
        #: What a name nobody has is checked against: as costly as the costliest real one.
        iterations = max([_iterations(h) for h in self._hashes.values()] or [ITERATIONS])
        self._stand_in = hash_password(secrets.token_hex(16), iterations)

    @property
    def configured(self) -> bool:
        return bool(self._hashes)

    def hashes(self) -> dict[str, str]:
        """Name -> stored hash of every user of the environment (``ui.accounts`` makes them
        administrators of the catalog's accounts when it starts)."""
        return dict(self._hashes)

    def verify(self, name: str, password: str) -> bool:
        """Whether ``password`` is ``name``'s: one PBKDF2, known name or not (it may take 0.1 s:
        call it off the event loop)."""
        stored = self._hashes.get((name or "").strip())
        ok = _matches(password or "", stored or self._stand_in)
        return ok and stored is not None


if __name__ == "__main__":
    import getpass

    if len(sys.argv) != 2:
        sys.exit("usage: python -m ui.auth NAME   (prints a line for VERIFIER_USERS_FILE)")
    secret = getpass.getpass(f"password for {sys.argv[1]}: ")
    print(f"{sys.argv[1]}:{hash_password(secret)}")
