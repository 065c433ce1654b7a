"""Single-photo verification latency, file to result (not a benchmark suite; see issue 6).

    python scripts/experiments/latency.py CATALOG_DIR PHOTO_GLOB [N]
"""
import glob
import sys
import time

import numpy as np

from index import Verifier, connect

catalog, embedder = connect(sys.argv[1])
verifier = Verifier(catalog, embedder)
photos = sorted(glob.glob(sys.argv[2]))[: int(sys.argv[3]) if len(sys.argv) > 3 else 30]
verifier.check([photos[0]])  # warm-up
plain, with_regions = [], []
for photo in photos:
    start = time.perf_counter()
    verifier.check([photo], regions=False)
    plain.append(time.perf_counter() - start)
    start = time.perf_counter()
    verifier.check([photo], regions=True)
    with_regions.append(time.perf_counter() - start)
print(f"{len(photos)} photos, {len(catalog)} references: p50 {np.median(plain) * 1000:.0f} ms without regions, "
      f"{np.median(with_regions) * 1000:.0f} ms with regions (p90 {np.percentile(with_regions, 90) * 1000:.0f} ms)")
