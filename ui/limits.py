"""What one request may ask of the app: each limit a setting (an environment variable) with a
safe default, and a sentence for the user when a request goes past it.

Why they exist (docs/reliability.md): one unauthenticated check with 8 photos of 10000 x 9900
pixels took the app to 5.7 GB before photos were reduced on decoding and checks were capped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields


class LimitExceeded(ValueError):
    """A request larger than a limit allows; ``key`` and ``args`` give the user's sentence."""

    def __init__(self, key: str, **args):
        self.key = key
        self.args_ = args
        super().__init__(f"{key}: {args}")


@dataclass(frozen=True)
class Limits:
    #: Photos in one check (one item, several angles): an inspector rarely needs more than 6.
    photos_per_check: int = 12
    #: Characters in an id or a name typed with a check (claimed product, case id, inspector).
    #: Measured before: three checks with 10 MB in these fields made every History page load
    #: fetch 60 MB and render after 39 s.
    id_chars: int = 200
    #: Characters in an inspector's notes (a page of text).
    notes_chars: int = 4000
    #: Rows (photos) in one batch manifest, and files in one uploaded zip.
    batch_rows: int = 2000
    zip_files: int = 2000
    #: Bytes a zip may expand to (1 GiB: 2,000 phone photos of 0.5 MB).
    zip_bytes: int = 1024**3
    #: Jobs (checks, batches, catalog changes, barcode scans) one client address may queue per 30
    #: seconds, through any route that joins the queue (``ui.fairness``).
    queue_jobs: int = 20
    #: Request bodies, per route (``ui.guard``), counted as they arrive: the login routes (a name
    #: and a password), file uploads (written to disk as they come; each file is also held to the
    #: app's ``--max-upload-mb``), and every other route (queue joins, API calls, browsing events:
    #: file paths and form fields, never files). Before: an 800 MB body to /session/login cost
    #: +1.53 GB before its size was looked at.
    login_body_kb: int = 4
    upload_body_mb: int = 2048
    request_body_kb: int = 1024
    #: A case file checked in the app (Status -> Check a case file); a report with 12 photos is ~2 MB.
    report_mb: int = 32
    #: Photos kept in History for checks made without a login: per client address and for all such
    #: clients together; past either, the oldest such checks lose their photos first (the checks
    #: stay). A kept photo is at most 2,048 px: ~0.3-1 MB from a phone, ~3.5 MB of noise. Before
    #: (issue 25) nothing bounded them: 12 noise photos kept 42 MB, for 365 days.
    anonymous_client_mb: int = 100
    anonymous_total_mb: int = 2048

    @classmethod
    def from_env(cls, environ=os.environ) -> "Limits":
        """``VERIFIER_MAX_<FIELD>`` overrides each default, e.g. ``VERIFIER_MAX_PHOTOS_PER_CHECK=20``."""
        values = {}
        for spec in fields(cls):
            raw = environ.get(f"VERIFIER_MAX_{spec.name.upper()}")
            if raw:
                try:
                    values[spec.name] = max(1, int(raw))
                except ValueError:
                    raise ValueError(f"VERIFIER_MAX_{spec.name.upper()} must be a whole number, not {raw!r}") from None
        return cls(**values)
