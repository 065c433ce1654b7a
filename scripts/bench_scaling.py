#!/usr/bin/env python
"""Measure the scaling paths against the embedded default, side by side in one run:

    python scripts/bench_scaling.py                # the run behind docs/scaling.md
    python scripts/bench_scaling.py --quick        # small sizes: checks that every part runs

1. bulk import of 12 MP photos: the plain import against `--ray` (local Ray: decode tasks + an
   actor pool of embedders) into a FAISS catalog, and `--ray` into a Milvus Lite catalog; the
   vectors are compared (they must be identical);
2. search at each size (catalog-like synthetic vectors, scripts/synthetic_vectors.py): FAISS
   (exact flat, HNSW32) against Milvus Lite in-process (FLAT, HNSW M32) and Milvus Lite behind
   its gRPC server (`milvus-lite server`, as app servers reach a Milvus deployment): latency per
   query, recall@10 against exact search, and a brand-filtered search;
3. the sizing estimate for 50 million references built from those figures.

Results are printed and written to build/bench/scaling.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench import machine, make_phone_photos, table, write_results  # noqa: E402
from synthetic_vectors import catalog_like  # noqa: E402


# ---- 1. import -------------------------------------------------------------------------------

def bench_import(work: Path, photos: list[Path], threads: int | None) -> list[dict]:
    """Photos per second over the whole import, and (on Ray) over the embedders' working span:
    from the first batch an actor started to the last it finished, without Ray's start-up and
    the model loading in each actor, which a long import pays once."""
    from index import ProductRow, StoreConfig, connect, import_references
    from index.importing.ray_import import import_references_ray, start_ray

    rows = [ProductRow(i, p, f"P{i % 5}", brand=f"B{i % 2}") for i, p in enumerate(photos)]
    results, vectors = [], {}

    def run(label: str, store: StoreConfig | None, ray: bool) -> None:
        folder = work / label.replace(" ", "_").replace(",", "")
        catalog, embedder = connect(folder, "offline", create=True, writable=True, store=store,
                                    threads=1 if ray else threads)
        with catalog:
            started = time.perf_counter()
            if ray:
                summary = import_references_ray(catalog, embedder, rows, progress=False)
            else:
                summary = import_references(catalog, embedder, rows, progress=False)
            seconds = time.perf_counter() - started - summary.calibration_seconds  # the photo work alone
            vectors[label] = catalog.vectors()[1]
        shutil.rmtree(folder, ignore_errors=True)
        working = summary.embedding_seconds or seconds
        results.append({"import": label, "photos": len(rows), "seconds": round(seconds, 1),
                        "photos_per_s": round(len(rows) / seconds, 2),
                        "working_span_s": round(working, 1),
                        "photos_per_s_while_working": round(len(rows) / working, 2),
                        "start_up_s": round(seconds - working, 1)})

    run("plain, FAISS", None, ray=False)
    ray_started = time.perf_counter()
    leave = start_ray(None)  # started once and reused: its start-up is reported apart
    startup = time.perf_counter() - ray_started
    try:
        run("Ray local, FAISS", None, ray=True)
        run("Ray local, Milvus Lite", StoreConfig("milvus"), ray=True)
    finally:
        leave()
    base, base_working = results[0]["photos_per_s"], results[0]["photos_per_s_while_working"]
    for row in results:
        row["vs_plain"] = round(row["photos_per_s"] / base, 2)
        row["while_working_vs_plain"] = round(row["photos_per_s_while_working"] / base_working, 2)
        row["max_vector_difference"] = float(np.abs(vectors[row["import"]] - vectors["plain, FAISS"]).max())
    results[1]["ray_init_s"] = round(startup, 1)
    return results


def bench_writer(work: Path, references: int) -> list[dict]:
    """The one writer's ceiling: committing embedded references (SQLite row + thumbnail + store)
    in batches of 32, without any photo work; what a Ray cluster's embedders can feed at most."""
    from index import Catalog, EmbedderRecord, NewReference, StoreConfig

    vectors, _ = catalog_like(references, seed=7)
    thumbnail = bytes(np.random.default_rng(0).integers(0, 256, 12_000, dtype=np.uint8))  # ~ a 256-px JPEG
    record = EmbedderRecord("offline", vectors.shape[1], "synthetic", [])
    out = []
    for label, store in (("FAISS", None), ("Milvus Lite in-process", StoreConfig("milvus"))):
        folder = work / f"writer-{label.split()[0]}"
        with Catalog.create(folder, record, store) as catalog:
            started = time.perf_counter()
            for start in range(0, references, 32):
                batch = range(start, min(start + 32, references))
                new = [NewReference(product_id=f"P{i // 35}", sha256=f"{i:064x}", brand=f"B{i % 20}",
                                    thumbnail=thumbnail) for i in batch]
                catalog.add(new, vectors[list(batch)])
            catalog.checkpoint()
            seconds = time.perf_counter() - started
        shutil.rmtree(folder, ignore_errors=True)
        out.append({"store": label, "references": references, "references_per_s": round(references / seconds),
                    "millions_per_day": round(references / seconds * 86_400 / 1e6, 1)})
    return out


# ---- 2. search -------------------------------------------------------------------------------

def _latencies(search, queries: np.ndarray) -> tuple[list[float], np.ndarray]:
    found, times = [], []
    search(queries[:5])  # warm up
    for query in queries:
        started = time.perf_counter()
        found.append(search(query[None, :])[1][0])
        times.append((time.perf_counter() - started) * 1000)
    return times, np.stack(found)


def _recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f[:10]) & set(t[:10])) / 10 for f, t in zip(found, truth)]))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_search(work: Path, size: int, queries_n: int, server: str | None, milvus: bool = True) -> list[dict]:
    from index.storing.milvus_store import MilvusStore, RefFilter
    from index.storing.store import FLAT, HNSW, FaissStore

    references, queries = catalog_like(size, queries=queries_n, seed=size)
    ids = np.arange(1, size + 1, dtype=np.int64)
    brands = [f"brand-{i % 20}" for i in range(size)]
    rows = [{"product_id": f"P{i // 35}", "brand": brands[i], "label": "genuine"} for i in range(size)]
    exact = FaissStore(references.shape[1], FLAT)
    exact.add(ids, references)
    truth = exact.search(queries, 10)[1]
    allowed = ids[np.array([b == "brand-3" for b in brands])]
    where = RefFilter(brands=("brand-3",))
    filtered_truth = exact.search(queries, 10, allowed=allowed)[1]
    out = []

    def measure(label: str, store, build_s: float) -> None:
        times, found = _latencies(lambda q: store.search(q, 10), queries)
        if store.kind == "faiss":
            ftimes, ffound = _latencies(lambda q: store.search(q, 10, allowed=allowed), queries)
        else:
            ftimes, ffound = _latencies(lambda q: store.search(q, 10, where=where), queries)
        out.append({"size": size, "store": label, "build_s": round(build_s, 1),
                    "p50_ms": round(statistics.median(times), 2),
                    "p90_ms": round(float(np.percentile(times, 90)), 2),
                    "recall_at_10": round(_recall(found, truth), 3),
                    "filtered_p50_ms": round(statistics.median(ftimes), 2),
                    "filtered_recall_at_10": round(_recall(ffound, filtered_truth), 3)})

    measure("FAISS flat", exact, 0.0)
    started = time.perf_counter()
    graph = FaissStore(references.shape[1], HNSW)
    graph.add(ids, references)
    measure("FAISS HNSW32", graph, time.perf_counter() - started)
    del graph
    targets = [("Milvus Lite in-process", str(work / f"search-{size}.db"))] if milvus else []
    if server and milvus:
        targets.append(("Milvus Lite server (gRPC)", server))
    for where_label, uri in targets:
        for description, kind in ((FLAT, "FLAT"), (HNSW, "HNSW M32")):
            name = f"bench_{size}_{kind.split()[0].lower()}"
            started = time.perf_counter()
            store = MilvusStore(uri, name, references.shape[1], description, create=True)
            if store.ntotal:
                store.drop()
                store.close()
                store = MilvusStore(uri, name, references.shape[1], description, create=True)
            for start in range(0, size, 20_000):
                store.add(ids[start:start + 20_000], references[start:start + 20_000], rows[start:start + 20_000])
            store.save()
            build = time.perf_counter() - started
            measure(f"{where_label}, {kind}", store, build)
            store.drop()
            store.close()
    exact_p50 = out[0]["p50_ms"]
    for row in out:
        row["vs_faiss_flat"] = round(row["p50_ms"] / exact_p50, 2)
    return out


def start_milvus_server(work: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(work / "server-data"),
                               "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise RuntimeError("milvus-lite server did not start")


# ---- 3. sizing -------------------------------------------------------------------------------

def sizing(imports: list[dict] | None, searches: list[dict] | None, references: int = 50_000_000) -> dict:
    """Memory for the vectors and the graph, disk for SQLite, cores to embed a day's photos."""
    out: dict = {"references": references}
    for name, dim in (("offline (1280-d)", 1280), ("CLIP ViT-B-32 (512-d)", 512), ("CLIP ViT-L-14 (768-d)", 768)):
        vector = 4 * dim
        graph = 2 * 32 * 4 + 8  # HNSW M=32: 64 links of 4 bytes at level 0, plus the id
        out[f"memory_hnsw_gb {name}"] = round(references * (vector + graph) / 1e9)
        out[f"sqlite_disk_gb {name}"] = round(references * (2 * dim + 400) / 1e9)  # float16 vector + row
    if imports:
        per_core = imports[0]["photos_per_s"] / 2  # measured on 2 cores
        out["photos_per_s_per_core (plain import, measured)"] = round(per_core, 1)
        out["cores to embed 1M photos/day"] = int(np.ceil(1_000_000 / 86_400 / per_core))
        out["core-hours to embed 50M references"] = round(references / per_core / 3600)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run of every part")
    parser.add_argument("--sizes", type=int, nargs="+", default=None, help="search sizes (default 10k 100k)")
    parser.add_argument("--photos", type=int, default=None, help="12 MP photos to import (default 48)")
    parser.add_argument("--queries", type=int, default=None, help="search queries per store (default 200)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads for the plain import")
    parser.add_argument("--only", choices=["import", "writer", "search"], nargs="+", default=None)
    parser.add_argument("--faiss-only", action="store_true", help="search: FAISS alone (no Milvus)")
    parser.add_argument("--out", default=str(ROOT / "build" / "bench" / "scaling.json"))
    args = parser.parse_args()
    sizes = args.sizes or ([2_000] if args.quick else [10_000, 100_000])
    photos_n = args.photos or (6 if args.quick else 48)
    queries_n = args.queries or (30 if args.quick else 200)
    parts = set(args.only or ["import", "writer", "search"])

    from vision.runtime import configure_threads

    configure_threads(args.threads)
    results: dict = {"machine": machine()}
    print(json.dumps(results["machine"]), flush=True)
    work = Path(tempfile.mkdtemp(prefix="bench-scaling-"))
    server = None
    try:
        if "import" in parts:
            photos = make_phone_photos(work / "photos", photos_n)
            results["import"] = bench_import(work, photos, args.threads)
            print(table("1. bulk import, 12 MP JPEGs, this machine", results["import"]), flush=True)
        if "writer" in parts:
            results["writer"] = bench_writer(work, 1_000 if args.quick else 10_000)
            print(table("1b. the writer alone (batches of 32, no photo work)", results["writer"]), flush=True)
        if "search" in parts:
            server, uri = (None, None) if args.faiss_only else start_milvus_server(work)
            results["search"] = []
            for size in sizes:
                results["search"] += bench_search(work, size, queries_n, uri, milvus=not args.faiss_only)
                print(table(f"2. search, {size} vectors, top 10", [r for r in results["search"] if r["size"] == size]),
                      flush=True)
        results["sizing"] = sizing(results.get("import"), results.get("search"))
        print(table("3. sizing for 50 million references", [results["sizing"]]), flush=True)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        shutil.rmtree(work, ignore_errors=True)
    write_results(results, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
