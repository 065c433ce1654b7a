"""Past one machine: the catalog on Milvus (Milvus Lite, the real engine, in-process or as a
server) and bulk import on Ray (a real local Ray), compared with the embedded default (FAISS +
plain import) on the same photos: same neighbours, same verdicts, same references and vectors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import numpy as np
import pytest

from conftest import DEMO, PYTHON, ROOT, build_catalog, copy_catalog, demo_photo

SCRIPTS = ROOT / "scripts"
QUERIES = sorted((DEMO / "queries").glob("*.jpg"))


def run_script(*args, check=True, timeout=600, env=None):
    result = subprocess.run([PYTHON, *map(str, args)], capture_output=True, text=True, cwd=ROOT, timeout=timeout,
                            env=dict(os.environ, **(env or {})))
    if check:
        assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def milvus_catalog_dir(tmp_path_factory, offline_embedder, demo_rows):
    """The demo photos imported by the plain import into a catalog whose vectors live in Milvus
    Lite (a .db folder inside the catalog), with the demo's register of serials as the FAISS demo
    catalog has it: the two differ only in where the vectors live."""
    from index import Catalog, StoreConfig
    from index.importing.serials import load_register

    path = build_catalog(tmp_path_factory.mktemp("milvus") / "demo-milvus", offline_embedder, demo_rows,
                         StoreConfig("milvus"))
    with Catalog.open(path, writable=True) as catalog:
        load_register(catalog, DEMO / "serials.csv", progress=False)
    return path


@pytest.fixture
def milvus_copy(milvus_catalog_dir, tmp_path):
    return copy_catalog(milvus_catalog_dir, tmp_path / "catalog")


def query_vectors(embedder, catalog):
    from vision import load_image

    photos = np.stack(embedder.embed([load_image(p) for p in QUERIES]))
    _, references = catalog.vectors()
    return np.concatenate([photos, references[::5]])


def test_milvus_catalog_finds_the_same_neighbours_as_faiss(demo_catalog_dir, milvus_catalog_dir, offline_embedder):
    from index import Catalog, RefFilter

    with Catalog.open(demo_catalog_dir) as faiss_cat, Catalog.open(milvus_catalog_dir) as milvus_cat:
        assert milvus_cat.stats()["vector_store"] == "milvus" and faiss_cat.stats()["vector_store"] == "faiss"
        assert milvus_cat.store.ntotal == faiss_cat.store.ntotal == 134
        # the same photos got the same ids and the same vectors either way
        assert [r.sha256 for r in milvus_cat.references()] == [r.sha256 for r in faiss_cat.references()]
        queries = query_vectors(offline_embedder, faiss_cat)
        sims_f, ids_f = faiss_cat.search(queries, 20)
        sims_m, ids_m = milvus_cat.search(queries, 20)
        assert np.array_equal(ids_f, ids_m)
        assert np.abs(sims_f - sims_m).max() < 1e-5

        refs = {r.image_id: r for r in faiss_cat.references()}
        brand = refs[1].brand
        filters = [RefFilter(brands=(brand,)), RefFilter(product_ids=("Oatly-Oat-Milk", "Arla-Standard-Milk")),
                   RefFilter(labels=("genuine",), brands=(brand, "no such brand")), RefFilter(product_ids=("nothing",))]
        for where in filters:
            sims_f, ids_f = faiss_cat.search(queries, 8, where=where)
            sims_m, ids_m = milvus_cat.search(queries, 8, where=where)
            assert np.array_equal(ids_f, ids_m), where
            found = ids_f[ids_f >= 0]
            for image_id in found:
                ref = refs[int(image_id)]
                assert where.brands is None or ref.brand in where.brands
                assert where.product_ids is None or ref.product_id in where.product_ids
            expected = sum(1 for r in refs.values() if (where.brands is None or r.brand in where.brands)
                           and (where.product_ids is None or r.product_id in where.product_ids))
            assert (ids_f[0] >= 0).sum() == min(8, expected), where
            assert np.abs(sims_f[ids_f >= 0] - sims_m[ids_m >= 0]).max(initial=0) < 1e-5


def test_same_verdicts_on_milvus_and_faiss(demo_catalog_dir, milvus_catalog_dir, offline_embedder):
    from index import Case, Catalog, Verifier

    with Catalog.open(demo_catalog_dir) as faiss_cat, Catalog.open(milvus_catalog_dir) as milvus_cat:
        on_faiss, on_milvus = Verifier(faiss_cat, offline_embedder), Verifier(milvus_cat, offline_embedder)
        cases = [Case((str(p),)) for p in QUERIES]
        cases.append(Case((str(demo_photo("Oatly-Oat-Milk_002.jpg")),), claimed_product_id="Arla-Standard-Milk"))
        cases.append(Case((str(demo_photo("Oatly-Oat-Milk_002.jpg")),), claimed_product_id="No-Such-Product"))
        cases.append(Case(tuple(str(p) for p in QUERIES[:2]), claimed_product_id="Alpro-Blueberry-Soyghurt"))
        verdicts = []
        for case in cases:
            a = on_faiss.check(case.photos, case.claimed_product_id)
            b = on_milvus.check(case.photos, case.claimed_product_id)
            verdicts.append(a.verdict)
            assert (a.verdict, a.product_id, a.flags) == (b.verdict, b.product_id, b.flags), case
            assert a.counterfeit_score == pytest.approx(b.counterfeit_score, abs=1e-4)
            assert [(m.product_id, m.image_id) for m in a.matches] == [(m.product_id, m.image_id) for m in b.matches]
        assert {"genuine", "unknown"} <= set(verdicts)


def test_removal_on_milvus_sticks_across_reopen(milvus_copy):
    from index import Catalog

    with Catalog.open(milvus_copy, writable=True) as catalog:
        gone = [r.image_id for r in catalog.references(product_id="Oatly-Oat-Milk")]
        _, vectors = catalog.vectors(gone)
        assert catalog.remove_product("Oatly-Oat-Milk") == len(gone) > 0
        _, ids = catalog.search(vectors, 10)
        assert not set(ids.ravel().tolist()) & set(gone)
    with Catalog.open(milvus_copy) as catalog:
        assert catalog.store.ntotal == len(catalog) == 134 - len(gone)
        _, ids = catalog.search(vectors, 134)
        assert not set(ids.ravel().tolist()) & set(gone)
        assert np.array_equal(catalog.store.ids(), catalog.image_ids())


def test_a_brand_edit_moves_the_products_references_to_the_new_brand_on_milvus(milvus_copy):
    """Milvus filters by the brand stored with each vector: an edited brand must be found there."""
    from index import Catalog
    from index.storing.milvus_store import RefFilter

    with Catalog.open(milvus_copy, writable=True) as catalog:
        mine = [r.image_id for r in catalog.references(product_id="Oatly-Oat-Milk")]
        _, vectors = catalog.vectors(mine)
        assert catalog.edit_product("Oatly-Oat-Milk", brand="Oatly Sverige AB")["brand"][1] == "Oatly Sverige AB"
    with Catalog.open(milvus_copy) as catalog:
        _, ids = catalog.search(vectors, 200, where=RefFilter(brands=("Oatly Sverige AB",)))
        assert set(ids.ravel().tolist()) - {-1} == set(mine)
        _, ids = catalog.search(vectors, 200, where=RefFilter(brands=("Oatly",)))
        assert not set(ids.ravel().tolist()) & set(mine)
        assert catalog.store.ntotal == len(catalog) == 134


def test_milvus_is_reconciled_with_sqlite_after_an_interrupted_write(milvus_copy):
    """A writer killed between its SQLite commit and its Milvus write leaves the two apart; the
    next writer to open the catalog finds out (the synced generation is behind) and repairs it."""
    from index import Catalog

    with Catalog.open(milvus_copy, writable=True) as catalog:
        truth = catalog.image_ids()
        ids, vectors = catalog.vectors(truth[:7])
        catalog.store.remove(ids)  # as if the Milvus write of an add never happened...
        catalog.store.add(np.array([999_999]), vectors[:1], [{"product_id": "ghost", "brand": "", "label": "genuine"}])
        catalog._set_plain_setting("store_synced_generation", "0")  # ...so nothing recorded the sync
        catalog._dirty = False
        assert catalog.store.ntotal == len(truth) - 7 + 1
    with Catalog.open(milvus_copy) as reader:  # a reader leaves the shared store alone
        assert reader.store.ntotal == len(truth) - 6
    with Catalog.open(milvus_copy, writable=True) as catalog:
        assert np.array_equal(catalog.store.ids(), truth)
        _, found = catalog.search(vectors, 1)
        assert found[:, 0].tolist() == ids.tolist()
        catalog.store.drop()  # the collection lost altogether (dropped by hand on the server)
        catalog._dirty = False
    with pytest.raises(Exception, match="rebuild-index"):
        Catalog.open(milvus_copy)  # a reader cannot repair it, and says how
    with Catalog.open(milvus_copy, writable=True) as catalog:  # a writer refills it from SQLite
        assert np.array_equal(catalog.store.ids(), truth)


def test_import_killed_midway_on_milvus_resumes(tmp_path):
    catalog = tmp_path / "killed"
    manifest = DEMO / "products.csv"
    process = subprocess.Popen([PYTHON, SCRIPTS / "index_catalog.py", catalog, "--manifest", manifest, "--model",
                                "offline", "--store", "milvus", "--batch-size", "4", "--no-text", "--no-codes",
                                "--no-progress"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    from index import Catalog

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        time.sleep(0.3)
        try:
            import sqlite3

            with sqlite3.connect(catalog / "references.sqlite") as db:
                if db.execute("SELECT COUNT(*) FROM refs").fetchone()[0] >= 12:
                    break
        except sqlite3.Error:
            pass
    process.send_signal(signal.SIGKILL)
    process.wait()
    result = run_script(SCRIPTS / "index_catalog.py", catalog, "--manifest", manifest, "--json", "--no-progress")
    assert '"already_present"' in result.stdout
    with Catalog.open(catalog) as opened:
        assert len(opened) == 134 and opened.store.ntotal == 134
        assert np.array_equal(opened.store.ids(), opened.image_ids())


def recall(found: np.ndarray, exact: np.ndarray) -> float:
    """Share of the exact k nearest that a search found (row by row)."""
    return float(np.mean([len(set(f) & set(e)) / len(e) for f, e in zip(found.tolist(), exact.tolist())]))


def test_index_types_and_moving_between_stores_keep_the_answers(milvus_copy, offline_embedder):
    from index import Catalog, StoreConfig

    with Catalog.open(milvus_copy) as catalog:
        queries = query_vectors(offline_embedder, catalog)
        before = catalog.search(queries, 10)
        first = catalog.setting("milvus_collection")
    run_script(SCRIPTS / "manage_catalog.py", milvus_copy, "rebuild-index", "--mode", "hnsw")
    with Catalog.open(milvus_copy) as catalog:
        assert catalog.store.is_graph and catalog.stats()["index"] == "Milvus HNSW (M 32)"
        assert catalog.setting("milvus_collection") != first
        assert not catalog.store.client.has_collection(first)  # the old collection is dropped
        assert recall(catalog.search(queries, 10)[1], before[1]) >= 0.95  # a graph: nearly the exact answers
    out = run_script(SCRIPTS / "manage_catalog.py", milvus_copy, "set-store", "faiss").stdout
    assert "vectors now in faiss: 134 of 134" in out
    with Catalog.open(milvus_copy) as catalog:
        assert catalog.store_kind == "faiss" and catalog.store.is_graph
        assert recall(catalog.search(queries, 10)[1], before[1]) >= 0.95
    with Catalog.open(milvus_copy, writable=True) as catalog:
        catalog.rebuild_index("flat", store=StoreConfig("milvus", "moved.milvus.db"))
    with Catalog.open(milvus_copy) as catalog:
        assert catalog.store_kind == "milvus" and (milvus_copy / "moved.milvus.db").is_dir()
        assert np.array_equal(catalog.search(queries, 10)[1], before[1])
    from index.storing import audit

    assert any(e.action == "set_store" for e in audit.entries(milvus_copy))


def test_commands_explain_store_mistakes(demo_catalog_dir, milvus_copy, tmp_path):
    copy = copy_catalog(demo_catalog_dir, tmp_path / "faiss-copy")
    wrong = run_script(SCRIPTS / "index_catalog.py", copy, "--folder", DEMO / "references", "--store", "milvus",
                       check=False)
    assert wrong.returncode == 2 and "keeps its vectors in faiss" in wrong.stderr and "set-store milvus" in wrong.stderr
    bad_uri = run_script(SCRIPTS / "index_catalog.py", tmp_path / "new", "--folder", DEMO / "references",
                         "--store", "milvus", "--milvus-uri", "vectors.bin", check=False)
    assert bad_uri.returncode == 2 and "must end in .db" in bad_uri.stderr
    unreachable = run_script(SCRIPTS / "index_catalog.py", tmp_path / "new2", "--folder", DEMO / "references",
                             "--store", "milvus", "--milvus-uri", "http://127.0.0.1:9", check=False, timeout=180)
    assert unreachable.returncode == 2 and "could not reach Milvus at http://127.0.0.1:9" in unreachable.stderr

    # Milvus Lite: one process at a time; a second one is told what to do instead
    holder = subprocess.Popen([PYTHON, "-c", "import sys, time; sys.path.insert(0, '.'); from index import Catalog; "
                               f"c = Catalog.open({str(milvus_copy)!r}); print('open', flush=True); time.sleep(60)"],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        locked = run_script(SCRIPTS / "manage_catalog.py", milvus_copy, "stats", check=False)
        assert locked.returncode == 2 and "open in another process" in locked.stderr
        assert "milvus-lite server" in locked.stderr
    finally:
        holder.kill()
        holder.wait()


@pytest.fixture(scope="module")
def milvus_server(tmp_path_factory):
    """`milvus-lite server`: Milvus Lite behind the Milvus gRPC protocol on a loopback port, as a
    Milvus standalone would be; any number of processes share it."""
    import socket

    from conftest import _free_port

    folder = tmp_path_factory.mktemp("milvus-server")
    port = _free_port()
    log = open(folder / "milvus.log", "w")
    server = subprocess.Popen([PYTHON, "-m", "milvus_lite", "server", "--data-dir", str(folder / "milvus-data"),
                               "--host", "127.0.0.1", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, (folder / "milvus.log").read_text()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.3)
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=20)
    log.close()


@pytest.fixture(scope="module")
def ray_import_on_server(milvus_server, tmp_path_factory):
    """The demo photos imported with `index_catalog.py --ray` (a local Ray: decode tasks + an
    embedder actor) into a catalog on the Milvus server, in two runs: the first 20 photos, then
    all of them and an empty file. Returns the catalog and both runs' output."""
    folder = tmp_path_factory.mktemp("ray-import")
    header, *rows = (DEMO / "products.csv").read_text().splitlines()
    absolute = [f"{DEMO / row.split(',', 1)[0]},{row.split(',', 1)[1]}" for row in rows]
    (folder / "broken.jpg").write_bytes(b"")
    partial_abs, full = folder / "first.csv", folder / "all.csv"
    partial_abs.write_text("\n".join([header, *absolute[:20]]) + "\n")
    full.write_text("\n".join([header, *absolute, f"{folder / 'broken.jpg'},Broken-Product"]) + "\n")
    catalog = folder / "shared"
    first = run_script(SCRIPTS / "index_catalog.py", catalog, "--manifest", partial_abs, "--model", "offline",
                       "--store", "milvus", "--milvus-uri", milvus_server, "--ray", "--allow-outside-paths",
                       "--no-text", "--no-codes",
                       "--no-progress")  # reading on Ray: test_ray_decode_reads_text_and_codes_like_the_plain_import
    second = run_script(SCRIPTS / "index_catalog.py", catalog, "--manifest", full, "--ray", "--allow-outside-paths",
                        "--no-progress")
    return catalog, first.stdout, second.stdout, full


def test_ray_import_gives_the_same_references_and_vectors_as_the_plain_import(demo_catalog_dir, ray_import_on_server):
    """`index_catalog.py --ray` into a Milvus catalog gives the plain import's references and
    bit-identical vectors; resumable: a second run over more photos adds only the new ones."""
    from index import Catalog

    catalog, first, second, full = ray_import_on_server
    assert "added 20, already present 0" in first
    assert "added 114, already present 20, unreadable 1" in second
    assert "broken.jpg: file is empty (0 bytes)" in second
    # checked before a local Ray starts: its CPUs are known
    too_many = run_script(SCRIPTS / "index_catalog.py", catalog, "--manifest", full, "--ray", "--ray-actors", "999",
                          "--allow-outside-paths", "--no-progress", check=False)
    assert too_many.returncode == 2 and "leave no CPU for decoding" in too_many.stderr

    with Catalog.open(demo_catalog_dir) as plain, Catalog.open(catalog) as on_ray:
        key = lambda r: (r.image_id, r.sha256, r.product_id, r.label, r.name, r.brand, r.view)  # noqa: E731
        assert [key(r) for r in on_ray.references()] == [key(r) for r in plain.references()]
        ids_p, vec_p = plain.vectors()
        ids_r, vec_r = on_ray.vectors()
        assert np.array_equal(ids_p, ids_r) and np.array_equal(vec_p, vec_r)  # bit-identical vectors
        assert on_ray.store.ntotal == 134 and on_ray.store_kind == "milvus"
        assert on_ray.setting("calibration") is not None
        # keypoints found in the decode tasks, from the photo they decoded: the plain import's
        kept_p, _ = plain.keypoints(ids_p)
        kept_r, _ = on_ray.keypoints(ids_r)
        assert len(kept_r) == 134 and all(kept_r[i].to_bytes() == kept_p[i].to_bytes() for i in kept_p)
    from index.storing import audit

    assert audit.entries(catalog)[0].details.get("ray") == "local"


def test_two_app_servers_share_one_milvus_catalog_filled_through_ray(ray_import_on_server, milvus_server, tmp_path):
    """The same commands end to end: a catalog on a Milvus server filled on Ray (the fixture),
    served from two app processes at once, changed through one (in a browser, logged in): the
    change is seen in the other's verdicts and in the command-line verify. (It changes the
    catalog: the last test of this module to use it.)"""
    import json

    from gradio_client import Client, handle_file

    from browser_steps import VERDICT_TIMEOUT_MS, chromium, fill_new_reference, log_in
    from conftest import ADMIN_USER, app_server

    catalog = ray_import_on_server[0]
    banana = ROOT / "tests" / "data" / "Banana_001.jpg"

    def verify_on(url, photo):
        client = Client(url, verbose=False)
        *_, raw = client.predict([handle_file(str(photo))], None, "", "", "en", api_name="/verify")
        return json.loads(raw)["result"]

    with app_server(catalog, tmp_path / "app-a.log") as url_a, app_server(catalog, tmp_path / "app-b.log") as url_b:
        juice = demo_photo("God-Morgon-Orange-Juice_002.jpg")
        a, b = verify_on(url_a, juice), verify_on(url_b, juice)
        assert a["details"]["identified_product_id"] == b["details"]["identified_product_id"] == "God-Morgon-Orange-Juice"
        assert (a["verdict"], a["counterfeit_score"], [m["image_id"] for m in a["matches"]]) == \
            (b["verdict"], b["counterfeit_score"], [m["image_id"] for m in b["matches"]])
        before = verify_on(url_b, banana)
        assert all(m["product_id"] != "Banana-Shared" for m in before["matches"])

        with chromium() as browser:  # the change, through server A
            page = browser.new_page()
            page.goto(url_a)
            page.wait_for_selector("#photos")
            fill_new_reference(page, banana, "Banana-Shared")
            log_in(page)
            page.get_by_text(f"Logged in as {ADMIN_USER}.").wait_for(timeout=10_000)
            page.click("#add-button")
            page.get_by_text("Added 1 reference photo to Banana-Shared").wait_for(timeout=VERDICT_TIMEOUT_MS)
            page.get_by_role("tab", name="Status").click()
            # Status says where the vectors live in a reader's words (no server address on the page)
            page.get_by_text("in the shared vector database (Milvus)").wait_for(timeout=10_000)

        after = verify_on(url_b, banana)  # ...seen by server B
        assert after["matches"][0]["product_id"] == "Banana-Shared"
        assert after["matches"][0]["similarity"] > 0.99
        # the command-line verify works against the same catalog while both servers run
        cli = run_script(SCRIPTS / "verify.py", catalog, banana)
        assert json.loads(cli.stdout)["matches"][0]["product_id"] == "Banana-Shared"


def test_ray_decode_tells_a_hash_prefix_collision_from_a_known_photo(catalog_copy, offline_embedder):
    """Decode tasks skip photos whose 8-byte hash prefix is known; the writer confirms against
    SQLite and embeds a new photo that merely shares a prefix, instead of dropping it."""
    import pandas as pd

    from index import Catalog, ProductRow
    from index.importing.importer import ImportSummary
    from index.importing.ray_import import _commit, _decode
    from vision.package import PackageReader
    from vision.images import read_bytes, sha256_of

    banana = ROOT / "tests" / "data" / "Banana_001.jpg"
    known_photo = sorted((DEMO / "references" / "Oatly-Oat-Milk").glob("*.jpg"))[0]  # in the catalog
    prefixes = np.sort(np.array([int(sha256_of(read_bytes(p))[:16], 16) for p in (banana, known_photo)],
                                dtype=np.uint64))
    batch = _decode(pd.DataFrame({"i": [0, 1], "path": [str(banana), str(known_photo)]}), prefixes,
                    offline_embedder.min_decode_side, {"text": False, "codes": False})
    assert batch["status"].tolist() == ["duplicate", "duplicate"]
    batch["vector"] = [np.zeros(0, np.float32)] * 2
    rows = [ProductRow(0, banana, "Banana-Collision"), ProductRow(1, known_photo, "Oatly-Oat-Milk")]
    summary = ImportSummary()
    with Catalog.open(catalog_copy, writable=True) as catalog:
        assert not catalog.has_hash(batch["sha256"][0]) and catalog.has_hash(batch["sha256"][1])
        _commit(catalog, offline_embedder, rows, batch, summary, PackageReader(False, False))
        (added,) = catalog.references(product_id="Banana-Collision")
        _, vector = catalog.vectors([added.image_id])
    assert (summary.added, summary.already_present) == (1, 1)
    from vision import load_image

    expected = offline_embedder.embed([load_image(banana, min_side=offline_embedder.min_decode_side)])
    assert np.abs(vector - expected.astype(np.float16)).max() < 1e-3


def test_ray_decode_reads_text_and_codes_like_the_plain_import():
    """The Ray decode task reads a new photo's label text and barcodes with the same reader as
    the plain import, so a reference carries the same reading either way."""
    import pandas as pd

    from index.importing.ray_import import _decode
    from vision import load_image
    from vision.package import PackageReader

    photo = demo_photo("God-Morgon-Orange-Juice_002.jpg")
    batch = _decode(pd.DataFrame({"i": [0], "path": [str(photo)]}), np.zeros(0, np.uint64), 224,
                    {"text": True, "codes": True})
    assert batch["status"].tolist() == ["ok"]
    reader = PackageReader(True, True, threads=1)
    plain = reader.read(load_image(photo, min_side=max(224, reader.min_side))).to_json()
    assert batch["reading"][0] == plain and json.loads(plain)["text"]


def test_ray_decode_finds_keypoints_like_the_plain_import():
    """The Ray decode task finds a new photo's keypoints (flat print alignment) on the photo it
    decoded, as the plain import does, when the catalog keeps them; none when it does not."""
    import pandas as pd

    from index.importing.ray_import import _decode
    from vision import load_image
    from vision.alignment import Keypoints, extract

    photo = demo_photo("Garant-Ecological-Standard-Milk_002.jpg")
    frame = pd.DataFrame({"i": [0], "path": [str(photo)]})
    batch = _decode(frame, np.zeros(0, np.uint64), 224, {"text": False, "codes": False}, keypoints=True)
    assert batch["status"].tolist() == ["ok"]
    assert batch["keypoints"][0] == extract(load_image(photo, min_side=224)).to_bytes()
    assert len(Keypoints.from_bytes(batch["keypoints"][0])) > 100
    assert _decode(frame, np.zeros(0, np.uint64), 224, {"text": False, "codes": False})["keypoints"][0] == b""
