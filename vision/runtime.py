"""Torch thread settings: set once, explicitly, before the first forward pass.

On a 2-core laptop, letting torch and a decode pool oversubscribe the cores makes inference
many times slower, so the number of threads is always chosen, never left to defaults.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

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


@contextmanager
def pipeline_threads(decode_workers: int):
    """While photos decode in ``decode_workers`` threads next to inference, give torch the other
    cores: on 2 cores, 1 decoding + 1 inference thread keeps both busy, where 1 + 2 fight over
    them. Measured on 12 MP JPEGs: decoding ~22 ms, inference 24 ms (1 thread) or 16 ms (2),
    so the pair runs at ~25 ms per photo instead of ~41 ms in sequence (docs/benchmarks.md)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(max(1, before - max(0, decode_workers)))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def prefetched(pool, function, items, ahead: int = 16):
    """``map(function, items)`` in order, computed in ``pool`` up to ``ahead`` items in advance:
    the caller's work (inference) overlaps the pool's (decoding) item by item, not batch by batch."""
    from collections import deque

    iterator = iter(items)
    pending = deque()
    for item in iterator:
        pending.append(pool.submit(function, item))
        if len(pending) >= ahead:
            break
    while pending:
        result = pending.popleft().result()
        for item in iterator:
            pending.append(pool.submit(function, item))
            break
        yield result
