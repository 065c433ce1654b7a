#!/usr/bin/env python
"""Send many concurrent verify requests to a running app through gradio_client; report answered,
failed and latency percentiles.

    python scripts/load_test.py http://127.0.0.1:7860/ --requests 200 --concurrency 8

Photos: the demo queries (demo/queries/*.jpg) by default. A request that raises or times out
counts as failed; every answer must hold a verdict for a readable photo.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(url: str, requests: int, concurrency: int, photos: list[Path]) -> dict:
    from gradio_client import Client, handle_file

    local = threading.local()

    def client() -> Client:
        if not hasattr(local, "client"):
            local.client = Client(url, verbose=False)
        return local.client

    def one(i: int):
        photo = photos[i % len(photos)]
        started = time.perf_counter()
        try:
            *_, raw = client().predict([handle_file(str(photo))], None, "", f"load test {i}", "en", api_name="/verify")
            result = json.loads(raw)["result"]
            return time.perf_counter() - started, None, result
        except Exception as exc:  # counted, not raised: the figure is how many fail
            return time.perf_counter() - started, f"{type(exc).__name__}: {exc}", None

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        outcomes = list(pool.map(one, range(requests)))
    wall = time.perf_counter() - started
    answered = [(seconds, result) for seconds, error, result in outcomes if error is None]
    latencies = sorted(seconds for seconds, _ in answered)
    errors = [error for _, error, _ in outcomes if error is not None]
    readable = [r for _, r in answered if not r["errors"]]
    return {
        "requests": requests,
        "concurrency": concurrency,
        "answered": len(answered),
        "failed": len(errors),
        "answered_with_a_readable_photo": len(readable),
        "first_errors": errors[:3],
        "latency_s": {
            "p50": round(statistics.median(latencies), 3) if latencies else None,
            "p90": round(latencies[int(0.9 * (len(latencies) - 1))], 3) if latencies else None,
            "p99": round(latencies[int(0.99 * (len(latencies) - 1))], 3) if latencies else None,
            "max": round(latencies[-1], 3) if latencies else None,
        },
        "throughput_per_s": round(len(answered) / wall, 2),
        "wall_s": round(wall, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--photos", default=str(ROOT / "demo" / "queries"), help="folder of photos to send")
    args = parser.parse_args()
    photos = sorted(p for p in Path(args.photos).iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if not photos:
        print(f"error: no photos in {args.photos}", file=sys.stderr)
        return 2
    print(json.dumps(run(args.url, args.requests, args.concurrency, photos), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
