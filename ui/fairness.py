"""One client cannot take the app from the others.

Before (docs/reliability.md): 80 quick requests filled the queue (64 places), so that other users'
catalog searches, login and History got "503 Queue is full"; a 200-photo check held the only
check slot for 95 s.

Now: browsing (History, the catalog tables, Status, login) does not use the queue at all; single
checks and batches queue in lanes of their own, and a batch gives the checker up every few cases
(``ui.service.BATCH_TURN``); photos per check are capped (``ui.limits``); and each client address
may put at most ``JOBS_PER_WINDOW`` jobs into the queue per ``WINDOW_S`` seconds, the rest
answered 429 with a sentence to wait.

Issue 25: the limit watched ``/queue/join`` only; ``/gradio_api/call/{api}`` and
``/call/v2/{api}`` joined the same queue unlimited (the queue stayed full for 40 s, another user
got 503 on 37 of 40 tries), and ``/gradio_api/run/predict`` ran a check beside the queue. Now
``ui.guard`` counts every route that joins the queue (``joins_queue``), the queue is started with
``api_open=False``, and scanning the barcodes of new photos is a queued job of its own lane, so it
counts against the same budget. The address is the client's own, or the one a trusted proxy names
(``ui.sessions.trusted_proxies``): an ``X-Forwarded-For`` from anyone else is ignored.
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


#: The routes of Gradio 6.31 (gradio/routes.py) that put a job into the queue: ``/queue/join``
#: (the page), ``/call/{api_name}`` and ``/call/v2/{api_name}`` (the REST API), each under the
#: ``/gradio_api`` prefix, with or without a trailing slash. ``/run/{api_name}`` and
#: ``/api/{api_name}`` run a function directly, without the queue: the app starts the queue with
#: ``api_open=False``, so there they run only the quick browsing events (History, tables, login),
#: never a check, a batch or a catalog change (404).
def joins_queue(path: str) -> bool:
    """Whether a POST to ``path`` joins the queue (and so counts against the client's budget)."""
    path = path.rstrip("/")
    if path == "/gradio_api/queue/join":
        return True
    if path.startswith("/gradio_api/call/"):
        rest = path[len("/gradio_api/call/"):].split("/")
        return len(rest) == 1 or (len(rest) == 2 and rest[0] == "v2")
    return False
