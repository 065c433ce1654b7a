"""Who may change the catalog. Credentials come from the environment, never from code:

- ``VERIFIER_ADMIN_USER`` and ``VERIFIER_ADMIN_PASSWORD``: one user; and/or
- ``VERIFIER_USERS_FILE``: a file of ``name:pbkdf2_sha256$iterations$salt_hex$hash_hex`` lines,
  made with ``python -m ui.auth NAME`` (asks for the password, prints the line).

Passwords are compared in constant time; five failures from one client address lock that address
out for a minute (per address, not per name: nobody can lock the real user out by guessing wrongly
in their name from elsewhere).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sys
import threading
import time
from pathlib import Path

ITERATIONS = 200_000
MAX_FAILURES = 5
LOCK_SECONDS = 60.0


def hash_password(password: str, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}"


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
        self._plain: dict[str, str] = {}
        user, password = env.get("VERIFIER_ADMIN_USER", "").strip(), env.get("VERIFIER_ADMIN_PASSWORD", "")
        if user and password:
            self._plain[user] = password
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
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    @property
    def configured(self) -> bool:
        return bool(self._hashes or self._plain)

    def locked(self, client: str) -> bool:
        """Whether ``client`` (an address; a name where no address is known) failed too often lately."""
        with self._lock:
            recent = [t for t in self._failures.get(client, []) if time.monotonic() - t < LOCK_SECONDS]
            self._failures[client] = recent
            return len(recent) >= MAX_FAILURES

    def check(self, name: str, password: str, client: str | None = None) -> bool:
        name = (name or "").strip()
        client = client or name
        if not name or self.locked(client):
            return False
        ok = False
        if name in self._plain:
            ok = hmac.compare_digest(self._plain[name].encode(), (password or "").encode())
        elif name in self._hashes:
            ok = _matches(password or "", self._hashes[name])
        if not ok:
            with self._lock:
                self._failures.setdefault(client, []).append(time.monotonic())
        return ok


if __name__ == "__main__":
    import getpass

    if len(sys.argv) != 2:
        sys.exit("usage: python -m ui.auth NAME   (prints a line for VERIFIER_USERS_FILE)")
    secret = getpass.getpass(f"password for {sys.argv[1]}: ")
    print(f"{sys.argv[1]}:{hash_password(secret)}")
