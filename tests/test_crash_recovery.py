"""An import killed with SIGKILL at any moment leaves a catalog that opens, agrees with itself,
and finishes on a rerun with no duplicates."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import time

import numpy as np

from conftest import DEMO, PYTHON, ROOT
from index import Catalog
from index.catalog import DB_NAME


def committed(catalog_dir) -> int:
    if not (catalog_dir / DB_NAME).exists():
        return 0
    try:
        db = sqlite3.connect(f"file:{catalog_dir / DB_NAME}?mode=ro", uri=True, timeout=1)
        try:
            return db.execute("SELECT COUNT(*) FROM refs").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def start_import(catalog_dir):
    return subprocess.Popen(
        [PYTHON, "scripts/index_catalog.py", str(catalog_dir), "--manifest", str(DEMO / "products.csv"),
         "--model", "offline", "--batch-size", "2", "--no-progress"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def assert_consistent(catalog_dir) -> int:
    """The catalog opens; FAISS holds exactly SQLite's references; every reference has its thumbnail."""
    if not (catalog_dir / DB_NAME).exists():
        return 0  # killed before the catalog existed: nothing to check, nothing lost
    with Catalog.open(catalog_dir) as catalog:
        sql_ids = catalog.image_ids()
        assert np.array_equal(np.sort(catalog.store.ids()), sql_ids)
        ids, vectors = catalog.vectors()
        if len(ids):
            sims, found = catalog.search(vectors, 1)
            assert np.array_equal(found[:, 0], ids), "an index entry points at the wrong vector"
        for ref in catalog.references():
            assert catalog.thumbnail_path(ref.sha256).is_file()
        hashes = [ref.sha256 for ref in catalog.references()]
        assert len(hashes) == len(set(hashes))
        return len(sql_ids)


def test_import_killed_at_random_moments_resumes_without_duplicates_or_losses(tmp_path):
    catalog_dir = tmp_path / "catalog"
    rng = random.Random(20261129)
    # Kill points: before the catalog exists, then after a rising number of committed references,
    # each with a random extra delay so the kill lands anywhere in a batch (embedding, thumbnail
    # writes, the SQLite commit, the FAISS checkpoint).
    thresholds = [0, 1, 8, 20, 33, 47]
    previous = 0
    for threshold in thresholds:
        process = start_import(catalog_dir)
        deadline = time.monotonic() + 120
        while process.poll() is None and committed(catalog_dir) < threshold and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.4) if threshold else rng.uniform(0.5, 2.5))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        count = assert_consistent(catalog_dir)
        assert count >= previous, "references committed before a crash were lost"
        previous = count

    finish = subprocess.run(
        [PYTHON, "scripts/index_catalog.py", str(catalog_dir), "--manifest", str(DEMO / "products.csv"), "--no-progress"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert finish.returncode == 0, finish.stderr
    assert f"already present {previous}" in finish.stdout
    assert assert_consistent(catalog_dir) == 54
