"""Logins of the catalog's users, bound to a cookie the browser holds and scripts cannot read.

Before (docs/reliability.md): the login lived in Gradio's session state, keyed by the session id
that appears in URLs (`/gradio_api/queue/data?session_hash=…`, so in any proxy's log); a second
client replaying it could change the catalog, also after the admin closed the browser; five wrong
passwords locked the real admin out; the password stayed in its field.

Now: ``POST /session/login`` checks the password (it never goes through Gradio's queue, and the
check runs off the event loop) and sets a random token as an ``HttpOnly``, ``SameSite=Strict``
cookie (``Secure`` over HTTPS); every handler that needs a user reads that cookie from the
request. A session ends after ``IDLE_S`` without use; logging out ends every session of that
user; failed logins are counted per client address (``LoginThrottle``), so nobody can lock
another user out by guessing wrongly in their name. Who the users are is the store's
(``ui.auth.Users``, or any object with ``configured`` and ``verify(name, password)``).

The client address is the connection's, unless the operator names the proxies in front of the
app (``VERIFIER_TRUSTED_PROXIES``): only then is ``X-Forwarded-For`` read, and only from them.
Before (issue 25) uvicorn trusted it from loopback by default, so a client rotating the header
made 200 guesses in 14.5 s with no lockout, and could lock out an address of its choosing.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass

from .auth import LOCK_SECONDS, MAX_FAILURES, Users

COOKIE = "verifier_session"
#: A session unused this long ends (30 minutes: a break away from the laptop).
IDLE_S = 30 * 60


@dataclass
class _Session:
    user: str
    address: str
    last_seen: float


class LoginThrottle:
    """Failed logins per client address: ``max_failures`` within ``lock_s`` lock the address out
    until the oldest of them is that old. Attempts still being checked count as failures until
    they are decided, so a burst of guesses sent at once cannot all pass before the first fails."""

    def __init__(self, max_failures: int = MAX_FAILURES, lock_s: float = LOCK_SECONDS):
        self.max_failures = max_failures
        self.lock_s = lock_s
        self._failures: dict[str, deque] = {}
        self._pending: dict[str, int] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str) -> deque:
        times = self._failures.setdefault(client, deque())
        now = time.monotonic()
        while times and now - times[0] >= self.lock_s:
            times.popleft()
        return times

    def locked(self, client: str) -> bool:
        with self._lock:
            return len(self._recent(client)) >= self.max_failures

    def begin(self, client: str) -> bool:
        """Start an attempt from ``client``; False when it is locked out."""
        with self._lock:
            if len(self._recent(client)) + self._pending.get(client, 0) >= self.max_failures:
                return False
            self._pending[client] = self._pending.get(client, 0) + 1
            if len(self._failures) > 10_000:  # forget addresses with nothing recent
                for key in [k for k, v in self._failures.items() if not v and not self._pending.get(k)]:
                    del self._failures[key]
            return True

    def end(self, client: str, failed: bool) -> None:
        with self._lock:
            left = self._pending.get(client, 1) - 1
            if left > 0:
                self._pending[client] = left
            else:
                self._pending.pop(client, None)
            if failed:
                self._failures.setdefault(client, deque()).append(time.monotonic())


class Sessions:
    def __init__(self, users: Users, idle_s: float = IDLE_S, throttle: LoginThrottle | None = None):
        self.users = users
        self.idle_s = idle_s
        self.throttle = throttle or LoginThrottle()
        self._sessions: dict[str, _Session] = {}
        self._lock = threading.Lock()

    def login(self, name: str, password: str, address: str) -> str:
        """A new session token for ``name``; raises ``LoginRefused`` with the reason. Takes one
        password check (about 0.1 s, the same for a name that does not exist): call it off the
        event loop."""
        name = (name or "").strip()
        if not self.users.configured:
            raise LoginRefused("login_disabled")
        if not self.throttle.begin(address):
            raise LoginRefused("login_locked")
        ok = False
        try:
            ok = self.users.verify(name, password or "") and bool(name)
        finally:
            self.throttle.end(address, failed=not ok)
        if not ok:
            raise LoginRefused("login_failed")
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._sessions[token] = _Session(name, address, time.monotonic())
        return token

    def user(self, token: str | None) -> str | None:
        """The user of a live session (its idle clock restarts), or None."""
        if not token:
            return None
        with self._lock:
            session = self._sessions.get(token)
            if session is None:
                return None
            if time.monotonic() - session.last_seen > self.idle_s:
                del self._sessions[token]
                return None
            session.last_seen = time.monotonic()
            return session.user

    def logout(self, token: str | None) -> None:
        """End every session of the token's user (logout everywhere)."""
        with self._lock:
            session = self._sessions.get(token or "")
            if session is None:
                return
            for other in [t for t, s in self._sessions.items() if s.user == session.user]:
                del self._sessions[other]


class LoginRefused(Exception):
    """Why a login failed: a key of ``ui.i18n`` (login_failed, login_locked, login_disabled)."""

    def __init__(self, key: str):
        self.key = key
        super().__init__(key)


def token_of(request) -> str | None:
    """The session cookie of a Gradio or Starlette request, if any."""
    if request is None:
        return None
    cookies = getattr(request, "cookies", None)
    if cookies is None and getattr(request, "request", None) is not None:
        cookies = request.request.cookies
    return (cookies or {}).get(COOKIE)


def address_of(request) -> str:
    """The client's address as the server resolved it (a trusted proxy's ``X-Forwarded-For``
    only where ``VERIFIER_TRUSTED_PROXIES`` names that proxy: ``uvicorn_proxy_settings``)."""
    client = getattr(request, "client", None)
    return getattr(client, "host", None) or "unknown"


def trusted_proxies(environ=os.environ) -> list[str]:
    """``VERIFIER_TRUSTED_PROXIES``: the addresses or networks (comma separated, e.g.
    ``127.0.0.1`` for nginx on the same host, ``10.0.0.0/24``) of the reverse proxies in front of
    the app, whose ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are believed. Empty (the
    default): no forwarded header is believed from anyone."""
    proxies = []
    for item in environ.get("VERIFIER_TRUSTED_PROXIES", "").split(","):
        item = item.strip()
        if not item:
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ValueError(f"VERIFIER_TRUSTED_PROXIES: {item!r} is not an IP address or network") from None
        proxies.append(item)
    return proxies


def uvicorn_proxy_settings(environ=os.environ) -> dict:
    """What ``uvicorn.run`` is given: proxy headers read only from the trusted proxies (uvicorn's
    own default believes them from 127.0.0.1)."""
    proxies = trusted_proxies(environ)
    if not proxies:
        return {"proxy_headers": False, "forwarded_allow_ips": ""}
    return {"proxy_headers": True, "forwarded_allow_ips": ",".join(proxies)}
