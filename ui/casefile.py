"""Status -> Check a case file: a signed report uploaded to the app, checked against this
deployment's key in a small pool of its own, so that one hostile file delays nobody else.

Before (docs/reliability.md, issue 25): the check ran a backtracking regex on the event loop's
thread pool with no limit of size or time; a 708 KB file of section openers froze the whole
server for 20 s, and each 60 MB file cost +744 MB. Now the check is linear (``ui.signing``), a
file over ``ui.signing.MAX_REPORT_BYTES`` is refused before it is read, at most ``workers`` files
are checked at once and ``waiting`` more wait their turn (the rest are told to try again), and a
check that takes longer than ``time_limit_s`` is answered "took too long".
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .signing import MAX_REPORT_BYTES, TIME_LIMIT_S, ReportNotVerified, Verified, verify_report

#: Where an HTML report names its check (``<title>… #12</title>``) and its time (its "checked"
#: row: ``<th>Checked (local time)</th><td>… · UTC …Z</td>``): in its first part, before any
#: photo. Text a person typed (case id, place) is escaped in a report, so it can hold neither.
HEAD_BYTES = 64 * 1024
_TITLE_CHECK = re.compile(rb"#([0-9]{1,18})</title>")


def _checked_row(language: str) -> re.Pattern:
    import html

    from .i18n import t

    label = html.escape(t("checked_local", language)).encode("utf-8")
    return re.compile(rb"<tr><th>" + re.escape(label) + rb"</th><td>[^<]{0,200} \xc2\xb7 UTC "
                      rb"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)</td></tr>")


@dataclass(frozen=True)
class CheckedFile:
    verified: Verified
    #: The check the report is of, and when it was made (UTC), as the signed report says.
    check_id: int | None
    checked_at: str | None


class CaseFileChecker:
    def __init__(self, public_key, workers: int = 2, waiting: int = 8, time_limit_s: float = TIME_LIMIT_S,
                 max_bytes: int = MAX_REPORT_BYTES):
        self.public_key = public_key
        self.workers = workers
        self.waiting = waiting
        self.time_limit_s = time_limit_s
        self.max_bytes = max_bytes
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="case-file")
        self._in_flight = 0
        self._lock = threading.Lock()

    def check_now(self, path: str | Path, deadline: float | None = None) -> CheckedFile:
        """The check itself (in the calling thread): size first, then the signature."""
        path = Path(path)
        name = path.name
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise ReportNotVerified(f"{name}: cannot read it ({exc.strerror or exc})", "unreadable") from None
        if size > self.max_bytes:  # refused before a byte is read
            raise ReportNotVerified(f"{name}: {size / 1024**2:.1f} MB, larger than any report", "too_large",
                                    size=f"{size / 1024**2:.1f}", limit=f"{self.max_bytes / 1024**2:.0f}")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ReportNotVerified(f"{name}: cannot read it ({exc.strerror or exc})", "unreadable") from None
        verified = verify_report(data, self.public_key, name, deadline=deadline, max_bytes=self.max_bytes)
        check_id, checked_at = _which_check(data, verified.format)
        return CheckedFile(verified, check_id, checked_at)

    async def check(self, path: str | Path) -> CheckedFile:
        """``check_now`` in the pool, awaited without holding the event loop or a server thread;
        raises ReportNotVerified (``busy``, ``timeout`` or the file's own reason)."""
        with self._lock:
            if self._in_flight >= self.workers + self.waiting:
                raise ReportNotVerified("the case-file check is busy; try again in a moment", "busy")
            self._in_flight += 1
        deadline = time.monotonic() + self.time_limit_s
        try:
            future = self._pool.submit(self._guarded, path, deadline)
        except BaseException:
            self._done()
            raise
        future.add_done_callback(lambda _: self._done())
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout=self.time_limit_s)
        except asyncio.TimeoutError:
            raise ReportNotVerified("the check took too long and was given up", "timeout") from None

    def _guarded(self, path, deadline):
        if time.monotonic() > deadline:  # waited its whole time for a turn
            raise ReportNotVerified("the check took too long and was given up", "timeout")
        return self.check_now(path, deadline)

    def _done(self) -> None:
        with self._lock:
            self._in_flight -= 1


def _which_check(data: bytes, report_format: str) -> tuple[int | None, str | None]:
    """The check number and time a verified report states (None where it cannot be read)."""
    if report_format == "json":
        import json

        try:
            report = json.loads(data)
            return int(report["check_id"]), str(report["checked_at"])
        except (ValueError, KeyError, TypeError):
            return None, None
    from .i18n import LANGUAGE_CHOICES

    head = data[:HEAD_BYTES]
    number = _TITLE_CHECK.search(head)
    moment = next((m for _, language in LANGUAGE_CHOICES if (m := _checked_row(language).search(head))), None)
    return (int(number.group(1)) if number else None), (moment.group(1).decode() if moment else None)
