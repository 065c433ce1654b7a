"""SIGKILL at random moments: during an import (20 trials), while calibration is being saved, and
while a product is being removed. Every time the catalog opens, FAISS ids equal SQLite ids, every
reference has its thumbnail and its audit row, calibration is whole and current, and rerunning
finishes the job with no duplicates and nothing committed lost."""

from __future__ import annotations

import random
import shutil
import signal
import sqlite3
import subprocess
import time

import numpy as np

from conftest import DEMO, PYTHON, ROOT
from index import Catalog
from index.storing.catalog import DB_NAME


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
         "--model", "offline", "--batch-size", "2", "--no-progress", "--no-text", "--no-codes"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def assert_consistent(catalog_dir, audited: bool = False) -> int:
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
        if not audited:
            return len(sql_ids)
        # every committed change carries its audit row (written in the same transaction)
        audited = catalog.db.execute("SELECT COALESCE(SUM(json_extract(details, '$.added')), 0) - "
                                     "COALESCE(SUM(json_extract(details, '$.removed')), 0) FROM audit").fetchone()[0]
        assert audited == len(sql_ids), f"{len(sql_ids)} references, audit accounts for {audited}"
        return len(sql_ids)


def test_import_killed_at_random_moments_resumes_without_duplicates_or_losses(tmp_path):
    catalog_dir = tmp_path / "catalog"
    rng = random.Random(20261129)
    # Kill points: before the catalog exists, then after a rising number of committed references,
    # each with a random extra delay so the kill lands anywhere in a batch (embedding, thumbnail
    # writes, the SQLite commit, the FAISS checkpoint).
    thresholds = [0] + sorted(rng.sample(range(1, 52), 11))  # 12 trials
    previous = 0
    for threshold in thresholds:
        process = start_import(catalog_dir)
        deadline = time.monotonic() + 120
        while process.poll() is None and committed(catalog_dir) < threshold and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.4) if threshold else rng.uniform(0.5, 2.5))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        count = assert_consistent(catalog_dir, audited=True)
        assert count >= previous, "references committed before a crash were lost"
        previous = count

    finish = subprocess.run(
        [PYTHON, "scripts/index_catalog.py", str(catalog_dir), "--manifest", str(DEMO / "products.csv"), "--no-progress"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert finish.returncode == 0, finish.stderr
    assert f"already present {previous}" in finish.stdout
    assert assert_consistent(catalog_dir, audited=True) == 134


def assert_calibration_whole(catalog_dir) -> None:
    """The stored calibration parses, its head loads, and it is (or is made) current."""
    from index.judging import calibration

    with Catalog.open(catalog_dir) as catalog:
        current = calibration.current(catalog)
        assert current.generation == catalog.generation
        products = {p.product_id for p in catalog.products() if any(r.label == "genuine" for r in catalog.references(p.product_id))}
        assert set(current.similarities) == products
        if current.head is not None:
            assert set(current.head.products) == products


def kill_after(command, delay: float) -> None:
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


SAVE_CALIBRATION_FOREVER = (
    "import sys; from index import Catalog\nfrom index.judging import calibration\n"
    "with Catalog.open(sys.argv[1], writable=True) as c:\n"
    "    while True:\n"
    "        calibration.save(c, calibration.compute(c))\n"
)


def test_killed_while_saving_calibration_the_catalog_stays_whole(demo_catalog_dir, tmp_path):
    catalog_dir = tmp_path / "catalog"
    shutil.copytree(demo_catalog_dir, catalog_dir, ignore=shutil.ignore_patterns(".write.lock"))
    rng = random.Random(7)
    for _ in range(8):
        kill_after([PYTHON, "-c", SAVE_CALIBRATION_FOREVER, str(catalog_dir)], rng.uniform(1.0, 5.0))
        assert assert_consistent(catalog_dir) == 134
        assert_calibration_whole(catalog_dir)


def test_killed_while_removing_a_product_it_is_all_or_nothing_and_a_rerun_finishes(demo_catalog_dir, tmp_path):
    outcomes = []
    for trial in range(6):
        catalog_dir = tmp_path / f"catalog-{trial}"
        shutil.copytree(demo_catalog_dir, catalog_dir, ignore=shutil.ignore_patterns(".write.lock"))
        command = [PYTHON, "scripts/manage_catalog.py", str(catalog_dir), "remove-product", "Oatly-Oat-Milk"]
        kill_after(command, 0.5 + 2.0 * trial / 5)  # from before the commit (~1.5 s) to the calibration after it
        count = assert_consistent(catalog_dir)
        assert count in (134, 120), "a product was half removed"
        with Catalog.open(catalog_dir) as catalog:  # the removal is on disk only with its audit row
            logged = catalog.db.execute("SELECT COUNT(*) FROM audit WHERE action = 'remove_product'").fetchone()[0]
        assert logged == (1 if count == 120 else 0)
        outcomes.append(count)
        assert_calibration_whole(catalog_dir)
        rerun = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert rerun.returncode == 0, rerun.stderr
        assert assert_consistent(catalog_dir) == 120
        assert_calibration_whole(catalog_dir)
    print(f"removal trials: killed before the commit {outcomes.count(134)}, after it {outcomes.count(120)}")
