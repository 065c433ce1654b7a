"""The app's outer layer: one ASGI middleware around everything it serves (the login routes and
the mounted Gradio app), which looks at a request before any route does.

- **Body size** (issue 25): every route has a limit (``ui.limits``); a ``Content-Length`` over it
  is answered 413 before a byte of the body is read, and a body sent without one (chunked) is
  counted as it arrives and cut off with a 413 the moment it passes the limit. Before, an 800 MB
  body to ``/session/login`` cost +1.53 GB and a 400 MB one to ``/gradio_api/run/predict``
  +1.19 GB before any check looked at its size.
- **Origin** (cross-site request forgery): a state-changing request (POST, PUT, PATCH, DELETE)
  that a browser marks as coming from another site or origin (``Sec-Fetch-Site``, ``Origin``)
  is refused with 403. Same-site is not enough: a page on another port of the same host is
  same-site, and the session cookie's ``SameSite=Strict`` went with its requests. Scripts and API
  clients send neither header and are not affected.
- **Queue fairness** (``ui.fairness``): every route that joins Gradio's queue counts against the
  client's budget.
- **Closed routes**: Gradio's deep links (``/gradio_api/deep_link`` saved a session's rendered
  page, History included, where anyone could fetch it by the session id) and the audio-recording
  route this app has no use for answer 404.
"""

from __future__ import annotations

import json
import os
from urllib.parse import parse_qs, urlsplit

from .fairness import JoinLimiter, joins_queue
from .limits import Limits

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
#: Routes of Gradio this app does not use and does not serve.
CLOSED = ("/gradio_api/deep_link", "/gradio_api/process_recording")


class BodyTooLarge(Exception):
    pass


def body_limit(path: str, limits: Limits) -> int:
    """Bytes a request body to ``path`` may hold."""
    path = path.rstrip("/")
    if path in ("/session/login", "/session/logout"):
        return limits.login_body_kb * 1024
    if path in ("/gradio_api/upload", "/upload"):
        return limits.upload_body_mb * 1024**2
    return limits.request_body_kb * 1024


def allowed_origins(environ=os.environ) -> set[str]:
    """Origins besides the app's own that may send changes (``VERIFIER_ALLOWED_ORIGINS``, comma
    separated, e.g. ``https://verifier.example.org`` where a proxy rewrites the Host header)."""
    return {o.strip().rstrip("/").lower() for o in environ.get("VERIFIER_ALLOWED_ORIGINS", "").split(",") if o.strip()}


class Guard:
    def __init__(self, app, limits: Limits, limiter: JoinLimiter | None = None, origins: set[str] | None = None):
        self.app = app
        self.limits = limits
        self.limiter = limiter
        self.origins = allowed_origins() if origins is None else origins

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        method = scope.get("method", "GET")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if path.rstrip("/") in CLOSED or "/deep_links/" in path or (
                "deep_link" in parse_qs(scope.get("query_string", b"").decode("latin-1"))):
            return await _answer(send, 404, {"detail": "Not found."})
        if method in UNSAFE_METHODS and not self._same_origin(headers):
            return await _answer(send, 403, {"detail": "Refused: this request comes from another site. Use the "
                                                       "app's own page."})
        if self.limiter is not None and method == "POST" and joins_queue(path):
            client = scope.get("client")
            if not self.limiter.allow(client[0] if client else "unknown"):
                return await _answer(send, 429, {"detail": f"Too many checks from this address: at most "
                                                           f"{self.limiter.jobs} every {self.limiter.window_s:.0f} s. "
                                                           "Wait a moment and try again."},
                                     {"retry-after": str(int(self.limiter.window_s))})
        limit = body_limit(path, self.limits)
        declared = headers.get("content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                too_big = False  # the server itself refuses a malformed length
            if too_big:
                return await _too_large(send, limit)

        received = 0
        exceeded = False
        started = False

        async def counted_receive():
            nonlocal received, exceeded
            if exceeded:
                raise BodyTooLarge()
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge()
            return message

        async def guarded_send(message):
            nonlocal started
            if exceeded:
                return  # the route's own answer to the cut-off body is replaced by the 413
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except BodyTooLarge:
            pass
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await _too_large(send, limit)

    def _same_origin(self, headers: dict[str, str]) -> bool:
        """Whether a browser says the request comes from this app's own page (or says nothing, as
        scripts and API clients do)."""
        site = headers.get("sec-fetch-site")
        if site in ("cross-site", "same-site"):
            return False
        origin = headers.get("origin")
        if origin is None:
            return True
        origin = origin.strip().rstrip("/").lower()
        if origin in self.origins:
            return True
        if origin == "null":
            return False
        host = headers.get("host", "").strip().lower()
        return bool(host) and urlsplit(origin).netloc == host


async def _answer(send, status: int, body: dict, extra: dict | None = None) -> None:
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
               (b"connection", b"close")]
    headers += [(k.encode(), v.encode()) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


async def _too_large(send, limit: int) -> None:
    size = f"{limit // 1024**2} MB" if limit >= 1024**2 else f"{limit // 1024} KB"
    await _answer(send, 413, {"detail": f"Request too large: at most {size} on this route.",
                              "outcome": "login_failed"})
