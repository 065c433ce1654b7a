"""Logins of the catalog's users, bound to a cookie the browser holds and scripts cannot read.

Before (docs/reliability.md): the login lived in Gradio's session state, keyed by the session id
that appears in URLs (`/gradio_api/queue/data?session_hash=…`, so in any proxy's log); a second
client replaying it could change the catalog, also after the admin closed the browser; five wrong
passwords locked the real admin out; the password stayed in its field.

Now: ``POST /session/login`` checks the password (it never goes through Gradio's queue) and sets a
random token as an ``HttpOnly``, ``SameSite=Strict`` cookie (``Secure`` over HTTPS); every handler
that needs a user reads that cookie from the request. A session ends after ``IDLE_S`` without use;
logging out ends every session of that user; failed logins are counted per client address, so
nobody can lock another user out by guessing wrongly in their name.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

from .auth import Users

COOKIE = "verifier_session"
#: A session unused this long ends (30 minutes: a break away from the laptop).
IDLE_S = 30 * 60


@dataclass
class _Session:
    user: str
    address: str
    last_seen: float


class Sessions:
    def __init__(self, users: Users, idle_s: float = IDLE_S):
        self.users = users
        self.idle_s = idle_s
        self._sessions: dict[str, _Session] = {}
        self._lock = threading.Lock()

    def login(self, name: str, password: str, address: str) -> str:
        """A new session token for ``name``; raises ``LoginRefused`` with the reason."""
        name = (name or "").strip()
        if not self.users.configured:
            raise LoginRefused("login_disabled")
        if self.users.locked(address):
            raise LoginRefused("login_locked")
        if not self.users.check(name, password or "", client=address):
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
    client = getattr(request, "client", None)
    return getattr(client, "host", None) or "unknown"
