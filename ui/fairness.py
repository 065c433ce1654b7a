"""One client cannot take the app from the others.

Before (docs/reliability.md): 80 quick requests filled the queue (64 places), so that other users'
catalog searches, login and History got "503 Queue is full"; a 200-photo check held the only
check slot for 95 s.

Now: browsing (History, the catalog tables, Status, login) does not use the queue at all; single
checks and batches queue in lanes of their own, and a batch gives the checker up every few cases
(``ui.service.BATCH_TURN``); photos per check are capped (``ui.limits``); and each client address
may put at most ``JOBS_PER_WINDOW`` jobs into the queue per ``WINDOW_S`` seconds, the rest
answered 429 with a sentence to wait.
"""

from __future__ import annotations

import threading
import time
from collections import deque

JOBS_PER_WINDOW = 20  # the default of ui.limits.Limits.queue_jobs
WINDOW_S = 30.0


class JoinLimiter:
    def __init__(self, jobs: int = JOBS_PER_WINDOW, window_s: float = WINDOW_S):
        self.jobs = jobs
        self.window_s = window_s
        self._seen: dict[str, deque] = {}
        self._lock = threading.Lock()

    def allow(self, address: str) -> bool:
        now = time.monotonic()
        with self._lock:
            times = self._seen.setdefault(address, deque())
            while times and now - times[0] > self.window_s:
                times.popleft()
            if len(times) >= self.jobs:
                return False
            times.append(now)
            if len(self._seen) > 10_000:  # forget idle addresses
                for key in [k for k, v in self._seen.items() if not v]:
                    del self._seen[key]
            return True


def add_queue_limit(app, limiter: JoinLimiter) -> None:
    """Answer 429 to a client that joins the queue too often (a Starlette middleware)."""
    from starlette.responses import JSONResponse

    @app.middleware("http")
    async def limit_queue_joins(request, call_next):
        if request.method == "POST" and request.url.path.endswith("/queue/join"):
            address = request.client.host if request.client else "unknown"
            if not limiter.allow(address):
                return JSONResponse({"detail": f"Too many checks from this address: at most {limiter.jobs} every "
                                               f"{limiter.window_s:.0f} s. Wait a moment and try again."},
                                    status_code=429, headers={"Retry-After": str(int(limiter.window_s))})
        return await call_next(request)
