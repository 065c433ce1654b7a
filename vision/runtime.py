"""Torch thread settings: set once, explicitly, before the first forward pass.

On a 2-core laptop, letting torch and a decode pool oversubscribe the cores makes inference
many times slower, so the number of threads is always chosen, never left to defaults.
"""

from __future__ import annotations

import os

_configured: int | None = None


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def configure_threads(threads: int | None = None) -> int:
    """Set torch's intra-op threads (default: ``VERIFIER_THREADS`` or the machine's cores)."""
    global _configured
    import torch

    if threads is None:
        threads = int(os.environ.get("VERIFIER_THREADS", "0")) or available_cores()
    threads = max(1, int(threads))
    if _configured != threads:
        torch.set_num_threads(threads)
        if _configured is None:
            try:  # may only be set before any inter-op work has started
                torch.set_num_interop_threads(1)
            except RuntimeError:
                pass
        _configured = threads
    return threads
