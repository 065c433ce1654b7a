#!/usr/bin/env python
"""Measure the project's way against the naive way, side by side in one run, and print ratios.

    python scripts/bench.py                 # the full run behind docs/benchmarks.md (~20 min, ~12 GB RAM)
    python scripts/bench.py --quick         # small sizes, a minute: checks that every part runs
    python scripts/bench.py --sizes 10000 100000 --photos 24

1. embedding throughput on 12-megapixel phone-like JPEGs: naive loop (full decode, one photo
   at a time) against the pipeline (reduced-size JPEG decoding, micro-batches, decoding in a
   thread while the model runs); embeddings compared (cosine);
1b. a tuned catalog's embedding: the tuned view alone, one draw and the ImageNet view as two
   whole networks (naive) and on the shared trunk, two draws and the ImageNet view (the product)
   both ways; vectors compared;
2. search at each size: exact flat index against the catalog's HNSW (latency, recall@10);
3. end-to-end verification of one 12 MP photo against a 100k-reference catalog: appearance only
   (the path before label text and barcodes) against reading the label and the barcodes too,
   and against that with the lines read again for their Vietnamese accents (catalogs with
   Vietnamese text);
4. memory per reference and catalog size on disk;
5. bulk import of a folder of 12 MP photos: photos/s and the time for 100k, without and with
   reading the text and barcodes of every photo;
6. a Vietnamese label read again for its accents: one Tesseract call on the stacked lines
   against one call a line;
7. the register of serials (``--only serials``, 10M serials by default): import throughput and
   bytes per serial (keyed 16-byte digests in a WITHOUT ROWID table) against a plain TEXT table
   with a UNIQUE index; look-up time against that table and a Python set (and the set's memory);
   the time a check adds beyond reading the code (register and memory of codes seen).
8. flat print aligned (``--only alignment``): a check with and without aligning the photo with the
   claimed product's genuine references (keypoints kept at import), the parts of that time (finding
   the photo's keypoints, matching 8 references of 1 and of 3 candidate products, the comparison
   drawn), and the bytes a reference's keypoints take in the catalog.

9. the dashboard (``--only dashboard``, 100k checks by default): the figures of a unit (checks per
   day by verdict, most-flagged products and places, per inspector, inconclusive and why) counted
   by SQLite (``index.storing.dashboard.count``) against loading every row into Python and
   counting there (``count_naive``); every check, a supervisor's unit and one month; both agree.

Synthetic vectors for the large indexes come from scripts/synthetic_vectors.py (shaped like real
catalog embeddings). Results are printed and written to build/bench/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from synthetic_vectors import catalog_like  # noqa: E402

#: Catalog setting of a catalog that reads the label text and barcodes of its photos.
READS_EVERYTHING = {"package_reading": json.dumps({"text": True, "codes": True, "engine": "rapidocr-ppocrv4"})}
#: ... and keeps its references' keypoints (what a new catalog does; each check below says whether
#: it aligns the photo with them).
KEEPS_KEYPOINTS = {"keypoints": json.dumps({"kind": "sift-rootsift-u8", "side": 640, "max": 800})}


def machine() -> dict:
    import faiss
    import torch

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(memory, 1), "python": platform.python_version(),
            "torch": torch.__version__, "torch_threads": torch.get_num_threads(), "faiss": faiss.__version__}


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return float("nan")


# ---- 1. embedding throughput -----------------------------------------------------------------

def make_phone_photos(folder: Path, count: int, sources: list[Path] | None = None) -> list[Path]:
    """12-megapixel JPEGs (4000 x 3000) from the demo's real photos (its references, or the
    ``sources`` given, in order), with sensor-like noise so they compress (and decode) like phone
    photos rather than smooth upscales."""
    from PIL import Image

    sources = sources or sorted((ROOT / "demo" / "references").rglob("*.jpg"))
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        with Image.open(sources[i % len(sources)]) as image:
            big = image.convert("RGB").resize((4000, 3000), Image.Resampling.BICUBIC)
        pixels = np.asarray(big, dtype=np.int16) + rng.integers(-6, 7, (3000, 4000, 1), dtype=np.int16)
        path = folder / f"phone-{i:03d}.jpg"
        Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(path, quality=92)
        paths.append(path)
    return paths


def bench_embedding(embedder, photos: list[Path]) -> dict:
    import torch
    from PIL import Image, ImageOps

    from vision.images import decode, read_bytes

    # naive: full decode, then preprocess and forward one photo at a time
    started = time.perf_counter()
    naive = []
    for path in photos:
        with Image.open(path) as image:
            image = ImageOps.exif_transpose(image).convert("RGB")
        naive.append(embedder.embed_tensors([embedder.preprocess(image)], batch_size=1)[0])
    naive_s = time.perf_counter() - started

    # the project's pipeline (the importer's): reduced-size decoding in a thread next to inference
    # (one core each), micro-batches
    def prepare(path):
        return embedder.preprocess(decode(read_bytes(path), str(path), min_side=embedder.min_decode_side))

    from vision.runtime import pipeline_threads, prefetched

    started = time.perf_counter()
    fast, tensors = [], []
    with ThreadPoolExecutor(1) as pool, pipeline_threads(1):
        for tensor in prefetched(pool, prepare, photos):
            tensors.append(tensor)
            if len(tensors) == embedder.preferred_batch:
                fast.append(embedder.embed_tensors(tensors))
                tensors = []
        if tensors:
            fast.append(embedder.embed_tensors(tensors))
    fast_s = time.perf_counter() - started
    fast = np.concatenate(fast)
    cosines = np.sum(np.stack(naive) * fast, axis=1)

    # where the naive time goes: decoding alone
    started = time.perf_counter()
    for path in photos:
        with Image.open(path) as image:
            image.convert("RGB")
    decode_full_s = time.perf_counter() - started
    started = time.perf_counter()
    for path in photos:
        decode(read_bytes(path), str(path), min_side=embedder.min_decode_side)
    decode_draft_s = time.perf_counter() - started
    del torch
    return {
        "photos": len(photos), "megapixels": 12.0,
        "naive_photos_per_s": round(len(photos) / naive_s, 2),
        "pipeline_photos_per_s": round(len(photos) / fast_s, 2),
        "speedup": round(naive_s / fast_s, 2),
        "cosine_min": round(float(cosines.min()), 4), "cosine_mean": round(float(cosines.mean()), 4),
        "decode_full_ms": round(1000 * decode_full_s / len(photos), 1),
        "decode_reduced_ms": round(1000 * decode_draft_s / len(photos), 1),
    }


def bench_tuned_views(embedder, photos: list[Path], rounds: int = 3) -> dict:
    """A tuned catalog's embedding (vision.offline): the tuned view alone (catalogs tuned before),
    one draw and the ImageNet view the naive way (two whole networks) and on the shared trunk,
    and two draws and the ImageNet view (the product now) both ways. The "tuning" here changes
    the blocks from 11 on, as the default recipe does; its cost does not depend on the values, so
    the bench perturbs them instead of training."""
    import torch

    from vision import load_image
    from vision.offline import EfficientNetLite0

    generator = torch.Generator().manual_seed(0)
    states = []
    for _ in range(2):
        state = {key: value.clone() for key, value in embedder.model.state_dict().items()}
        for key, value in state.items():
            if key.startswith(tuple(f"_blocks.{i}." for i in range(11, 16))) and "conv" in key \
                    and key.endswith(".weight"):
                state[key] = value + 0.05 * value.abs().mean() * torch.randn(value.shape, generator=generator)
        states.append(state)
    state = states[0]
    tuned_only = EfficientNetLite0(tuned_state=state)
    other_draw = EfficientNetLite0(tuned_state=states[1])
    both = EfficientNetLite0(tuned_state=state, imagenet_view=True)
    three = EfficientNetLite0(tuned_state=states, imagenet_view=True)
    tensors = [embedder.preprocess(load_image(path, min_side=embedder.min_decode_side)) for path in photos]

    def timed(run) -> tuple[float, np.ndarray]:
        best, vectors = float("inf"), None
        for _ in range(rounds):
            started = time.perf_counter()
            vectors = run()
            best = min(best, time.perf_counter() - started)
        return 1000 * best / len(tensors), vectors

    tuned_ms, _ = timed(lambda: tuned_only.embed_tensors(tensors))
    naive_ms, naive = timed(lambda: np.concatenate([tuned_only.embed_tensors(tensors), embedder.embed_tensors(tensors)],
                                                   axis=1) / np.sqrt(2))
    shared_ms, shared = timed(lambda: both.embed_tensors(tensors))
    naive3_ms, naive3 = timed(lambda: np.concatenate([tuned_only.embed_tensors(tensors), other_draw.embed_tensors(tensors),
                                                      embedder.embed_tensors(tensors)], axis=1) / np.sqrt(3))
    three_ms, shared3 = timed(lambda: three.embed_tensors(tensors))
    return {
        "photos": len(tensors), "shared_up_to_block": both.branch,
        "tuned_view_only_ms_per_photo": round(tuned_ms, 1),
        "both_views_naive_ms_per_photo": round(naive_ms, 1),
        "both_views_shared_trunk_ms_per_photo": round(shared_ms, 1),
        "shared_vs_naive": round(naive_ms / shared_ms, 2),
        "cost_over_tuned_view_only": round(shared_ms / tuned_ms, 2),
        "max_vector_difference": float(np.abs(naive - shared).max()),
        "two_draws_and_imagenet_naive_ms_per_photo": round(naive3_ms, 1),
        "two_draws_and_imagenet_shared_trunk_ms_per_photo": round(three_ms, 1),
        "two_draws_shared_vs_naive": round(naive3_ms / three_ms, 2),
        "two_draws_cost_over_tuned_view_only": round(three_ms / tuned_ms, 2),
        "two_draws_max_vector_difference": float(np.abs(naive3 - shared3).max()),
    }


# ---- 2. search ----------------------------------------------------------------------------

def bench_search(size: int, queries: int = 200) -> dict:
    import faiss

    from index.storing.store import FLAT, HNSW, FaissStore

    vectors, probes = catalog_like(size, queries, seed=size)
    ids = np.arange(1, size + 1, dtype=np.int64)

    def latencies(store) -> list[float]:
        store.search(probes[:5], 10)
        out = []
        for query in probes:
            started = time.perf_counter()
            store.search(query[None], 10)
            out.append(time.perf_counter() - started)
        return out

    exact = FaissStore(vectors.shape[1], FLAT)
    exact.add(ids, vectors)
    flat_lat = latencies(exact)
    _, truth = exact.search(probes, 10)
    del exact

    started = time.perf_counter()
    graph = FaissStore(vectors.shape[1], HNSW)
    for start in range(0, size, 100_000):
        graph.add(ids[start:start + 100_000], vectors[start:start + 100_000])
    build_s = time.perf_counter() - started
    del vectors
    def recall_of(found) -> float:
        return float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(truth, found)]))

    # the speed/recall trade of the graph's search breadth; the store's default is marked
    import index.storing.store as store_module

    chosen = store_module.HNSW_EF_SEARCH
    sweep = {}
    for ef in sorted({64, 128, 192, 256, chosen}):
        store_module.HNSW_EF_SEARCH = ef
        sweep[ef] = (statistics.median(latencies(graph)), recall_of(graph.search(probes, 10)[1]))
    store_module.HNSW_EF_SEARCH = chosen
    graph_lat = latencies(graph)
    recall = recall_of(graph.search(probes, 10)[1])
    # removal still works on the graph: remove 1% and check none comes back
    removed = ids[:: 100]
    graph.remove(removed)
    _, after = graph.search(probes, 10)
    flat_p50, graph_p50 = statistics.median(flat_lat), statistics.median(graph_lat)
    result = {
        "vectors": size,
        "flat_p50_ms": round(1000 * flat_p50, 3),
        "hnsw_p50_ms": round(1000 * graph_p50, 3),
        "hnsw_p99_ms": round(1000 * sorted(graph_lat)[int(0.99 * (len(graph_lat) - 1))], 3),
        "speedup": round(flat_p50 / graph_p50, 1),
        "recall_at_10": round(recall, 4),
        "hnsw_build_s": round(build_s, 1),
        "removed_found_after_removal": int(np.isin(after, removed).sum()),
        "faiss_threads": faiss.omp_get_max_threads(),
        "ef_search": chosen,
        "ef_sweep_p50_ms_recall": {ef: [round(1000 * t, 3), round(r, 4)] for ef, (t, r) in sweep.items()},
    }
    del graph
    return result


# ---- 3 + 4. end to end on a 100k catalog, memory and disk -----------------------------------

def build_large_catalog(folder: Path, embedder, size: int, every: int = 1) -> Path:
    """The demo catalog's real references (every ``every``-th: a quick run reads fewer labels at
    import) plus ``size`` synthetic ones (other products), with a calibration whose product head
    has the shape a fitted head would have (see the note)."""
    from index import Catalog, EmbedderRecord, NewReference, import_references, read_products
    from index.judging import calibration as calibration_module
    from index.judging.claim_model import ClaimModel
    from index.judging.evidence import FEATURES
    from index.judging.head import ProductHead

    path = folder / "catalog-100k"
    record = EmbedderRecord(embedder.name, embedder.dim, embedder.preprocessing, embedder.fingerprint())
    with Catalog.create(path, record, settings={**READS_EVERYTHING, **KEEPS_KEYPOINTS}) as catalog:
        import_references(catalog, embedder, read_products(ROOT / "demo" / "products.csv")[::every], progress=False)
        vectors, _ = catalog_like(size, 0, seed=7)
        per_product = 35
        for start in range(0, size, 20_000):
            chunk = vectors[start:start + 20_000]
            new = [NewReference(product_id=f"SYN-{(start + i) // per_product:05d}", sha256=f"synthetic-{start + i:08d}",
                                label="genuine") for i in range(len(chunk))]
            catalog.add(new, chunk)
        catalog.checkpoint()
        # A softmax head over ~2,900 products takes hours to fit on 2 cores (benchmarks.md); for
        # latency only its shape matters: class means, the same (dim x products) matrix.
        ids, stored = catalog.vectors()
        refs = catalog.references_by_id(ids)
        products = sorted({r.product_id for r in refs.values()})
        column = {p: i for i, p in enumerate(products)}
        labels = np.array([column[refs[int(i)].product_id] for i in ids])
        weight = np.zeros((embedder.dim, len(products)), np.float32)
        np.add.at(weight.T, labels, stored)
        weight /= np.linalg.norm(weight, axis=0, keepdims=True)
        head = ProductHead(tuple(products), weight, np.zeros(len(products), np.float32), catalog.generation)
        similarities = {p: tuple(np.linspace(0.6, 0.95, 20).tolist()) for p in products}
        # a claim model of the fitted shape (its weights do not change the work a check does)
        n = len(FEATURES)
        model = ClaimModel(np.zeros(n), np.ones(n), np.full(n, 0.1), 0.0, catalog.generation)
        scores = tuple(np.linspace(0.05, 0.95, 50).tolist())
        calibration_module.save(catalog, calibration_module.Calibration(
            catalog.generation, similarities=similarities, head=head, model=model,
            lookalike_scores=scores, lookalike_weights=(1.0,) * 50, unknown_scores=scores, unknown_weights=(1.0,) * 50))
    return path


def bench_end_to_end(catalog_dir: Path, embedder, photos: list[Path], rounds: int = 20) -> dict:
    from index import Catalog, Verifier
    from vision.package import PackageReader
    from vision.text import TextReader

    before = rss_mib()
    with Catalog.open(catalog_dir) as catalog:
        loaded = rss_mib()
        plain = Verifier(catalog, embedder, reader=PackageReader(text=False, codes=False), alignment=False)
        # the catalog's setting: label text and barcodes
        reading = Verifier(catalog, embedder, alignment=False)
        # a catalog whose products carry Vietnamese text: the largest lines read again for their
        # accents (one Tesseract call a photo, vision.accents), on the same photos
        accented = Verifier(catalog, embedder, reader=PackageReader(text=True, codes=True, accents=True),
                            alignment=False)
        # and the photo aligned with the product's genuine references (flat print, part 7)
        aligning = Verifier(catalog, embedder, alignment=True)
        plain.check([photos[0]])
        reading.check([photos[0]])
        accented.check([photos[0]])
        aligning.check([photos[0]])
        reads = []
        original = TextReader.read
        TextReader.read = lambda self, image: reads.append(1) or original(self, image)
        try:
            reading._readings.clear()
            reading.check([photos[1 % len(photos)]], regions=True)
        finally:
            TextReader.read = original
        times, with_regions, with_text, with_accents, with_alignment = [], [], [], [], []
        for i in range(rounds):
            photo = photos[i % len(photos)]
            started = time.perf_counter()
            plain.check([photo], regions=False)
            times.append(time.perf_counter() - started)
            started = time.perf_counter()
            plain.check([photo], regions=True)
            with_regions.append(time.perf_counter() - started)
            reading._readings.clear()  # a new photo each time: it is read, not remembered
            started = time.perf_counter()
            reading.check([photo], regions=True)
            with_text.append(time.perf_counter() - started)
            accented._readings.clear()
            started = time.perf_counter()
            accented.check([photo], regions=True)
            with_accents.append(time.perf_counter() - started)
            aligning._readings.clear()
            aligning._query_points.clear()
            started = time.perf_counter()
            aligning.check([photo], regions=True)
            with_alignment.append(time.perf_counter() - started)
        references = len(catalog)
        index = catalog.index_description
    disk = sum(f.stat().st_size for f in catalog_dir.rglob("*") if f.is_file())
    sqlite_bytes = (catalog_dir / "references.sqlite").stat().st_size
    faiss_bytes = (catalog_dir / "vectors.faiss").stat().st_size
    return {
        "references": references, "index": index,
        "p50_ms": round(1000 * statistics.median(times), 1),
        "p90_ms": round(1000 * sorted(times)[int(0.9 * (len(times) - 1))], 1),
        "p50_with_regions_ms": round(1000 * statistics.median(with_regions), 1),
        "p50_with_text_and_codes_ms": round(1000 * statistics.median(with_text), 1),
        "p90_with_text_and_codes_ms": round(1000 * sorted(with_text)[int(0.9 * (len(with_text) - 1))], 1),
        "p50_with_vietnamese_accents_ms": round(1000 * statistics.median(with_accents), 1),
        "p50_with_text_codes_and_alignment_ms": round(1000 * statistics.median(with_alignment), 1),
        "text_reads_per_photo": len(reads),
        "memory_mib_for_open_catalog": round(loaded - before, 1),
        "memory_bytes_per_reference": round((loaded - before) * 2**20 / references),
        "disk_mib": round(disk / 2**20, 1),
        "disk_bytes_per_reference": round(disk / references),
        "sqlite_bytes_per_reference": round(sqlite_bytes / references),
        "faiss_bytes_per_reference": round(faiss_bytes / references),
    }


# ---- 5. bulk import ------------------------------------------------------------------------

def bench_import(folder: Path, embedder, photos: list[Path]) -> dict:
    from PIL import Image, ImageOps

    from index import Catalog, EmbedderRecord, NewReference, ProductRow, import_references
    from vision.images import sha256_of, thumbnail_jpeg

    record = EmbedderRecord(embedder.name, embedder.dim, embedder.preprocessing, embedder.fingerprint())
    rows = [ProductRow(i, p, f"P{i % 5}") for i, p in enumerate(photos)]

    # naive: read, full decode, embed and commit one photo at a time
    naive_dir = folder / "import-naive"
    started = time.perf_counter()
    with Catalog.create(naive_dir, record) as catalog:
        for row in rows:
            data = row.path.read_bytes()
            with Image.open(row.path) as image:
                image = ImageOps.exif_transpose(image).convert("RGB")
            vector = embedder.embed([image], batch_size=1)
            catalog.add([NewReference(product_id=row.product_id, sha256=sha256_of(data), thumbnail=thumbnail_jpeg(image))],
                        vector)
        catalog.checkpoint()
    naive_s = time.perf_counter() - started

    fast_dir = folder / "import-pipeline"
    with Catalog.create(fast_dir, record) as catalog:
        summary = import_references(catalog, embedder, rows, progress=False)
    # the naive loop fits no calibration: compare the photo work alone, report the refit apart
    fast_s = summary.seconds - summary.calibration_seconds
    rate = len(rows) / fast_s
    reading_dir = folder / "import-reading"
    with Catalog.create(reading_dir, record, settings=READS_EVERYTHING) as catalog:
        read = import_references(catalog, embedder, rows, progress=False)
    read_rate = len(rows) / (read.seconds - read.calibration_seconds)
    return {
        "photos": len(rows), "megapixels": 12.0,
        "naive_photos_per_s": round(len(rows) / naive_s, 2),
        "import_photos_per_s": round(rate, 2),
        "speedup": round(naive_s / fast_s, 2),
        "calibration_refit_s": round(summary.calibration_seconds, 1),
        "hours_for_100k": round(100_000 / rate / 3600, 1),
        "with_text_and_codes_photos_per_s": round(read_rate, 2),
        "with_text_and_codes_hours_for_100k": round(100_000 / read_rate / 3600, 1),
    }


# ---- 6. Vietnamese accents ---------------------------------------------------------------------

def bench_accents(photos: list[Path], rounds: int = 3) -> dict:
    """Reading a phone photo with a Vietnamese label: RapidOCR alone (what every catalog pays), then
    the largest lines read again for their accents, stacked into one Tesseract call
    (``vision.accents``) against one Tesseract call per line (the naive way)."""
    import pytesseract

    sys.path.insert(0, str(ROOT / "scripts"))
    from photo_edits import paste_label

    from vision import load_photo
    from vision.accents import LANGUAGE, available, lines_to_read, with_accents
    from vision.package import READING_SHORT_SIDE
    from vision.text import TextReader

    if not available():
        return {"photos": 0, "note": "Tesseract with its Vietnamese model is not installed"}
    reader = TextReader()
    images = []
    for path in photos[:4]:
        image = load_photo(path, min_side=READING_SHORT_SIDE).image
        image = paste_label(image, "SỮA TƯƠI TIỆT TRÙNG", where=(0.05, 0.08), height=0.06, font="DejaVuSans-Bold.ttf")
        images.append(paste_label(image, "Sản xuất tại Việt Nam", where=(0.05, 0.3), height=0.05,
                                  font="DejaVuSans-Bold.ttf"))
    read = [reader.read(image) for image in images]  # warm
    plain, stacked, naive, agreed = [], [], [], 0
    for _ in range(rounds):
        for image, lines in zip(images, read):
            start = time.perf_counter()
            reader.read(image)
            plain.append(time.perf_counter() - start)
            start = time.perf_counter()
            accented = with_accents(image, lines)
            stacked.append(time.perf_counter() - start)
            agreed += sum(1 for line in accented if line.accented)
            start = time.perf_counter()
            for i in lines_to_read(lines):  # the same lines, one Tesseract call each
                left, top, right, bottom = lines[i].box
                crop = image.crop((round(left * image.width), round(top * image.height),
                                   round(right * image.width), max(round(bottom * image.height), 1 + round(top * image.height))))
                pytesseract.image_to_string(crop, lang=LANGUAGE, config="--psm 7")
            naive.append(time.perf_counter() - start)
    ms = lambda values: round(1000 * float(np.median(values)), 1)  # noqa: E731
    return {"photos": len(images), "lines_read_again_per_photo": round(float(np.mean([len(lines_to_read(r)) for r in read])), 1),
            "lines_accented_per_photo": round(agreed / (rounds * len(images)), 1),
            "rapidocr_ms_p50": ms(plain), "accents_one_call_ms_p50": ms(stacked),
            "accents_call_per_line_ms_p50": ms(naive), "one_call_vs_per_line": round(ms(naive) / ms(stacked), 2)}


# ---- 7. the register of serials ------------------------------------------------------------------

def bench_serials(folder: Path, size: int, lookups: int = 2000, sightings: int = 100_000) -> dict:
    """A register of ``size`` serials (10 GTINs, two batches each, an expiry) imported from CSV the
    project's way and the naive way; look-ups; the time one check spends on its unit code."""
    import csv
    import sqlite3

    from index import Catalog, EmbedderRecord
    from index.importing.serials import load_register
    from index.judging.serials import SerialJudge
    from index.storing.catalog import DB_NAME
    from index.storing.sightings import SCHEMA as SIGHTINGS, unit_digest
    from vision.codes import read_codes
    from photo_edits import digital_link, paste_qr

    folder.mkdir(parents=True, exist_ok=True)
    gtins = [f"0735000199{g:03d}" for g in range(10)]
    from biip.checksums import gs1_standard_check_digit

    gtins = [g + str(gs1_standard_check_digit(g)) for g in gtins]

    def serial(i: int) -> str:  # a bijection of 0..2^48: distinct, random-looking, 12 characters
        return format((i * 0x9E3779B97F4A7C15 + 0x1234567) % (1 << 48), "012X")

    def row(i: int) -> list:
        return [gtins[i % 10], serial(i), f"L{i % 10:02d}{(i // 1000) % 2}", "2030-12-31"]

    csv_path = folder / "serials.csv"
    with open(csv_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["gtin", "serial", "batch", "expiry"])
        for start in range(0, size, 100_000):
            writer.writerows(row(i) for i in range(start, min(size, start + 100_000)))
    record = EmbedderRecord("offline", 1280, "", [])
    catalog_dir = folder / "register-catalog"
    Catalog.create(catalog_dir, record).close()
    empty = (catalog_dir / DB_NAME).stat().st_size
    with Catalog.open(catalog_dir, writable=True) as catalog:
        summary = load_register(catalog, csv_path, progress=False)
        catalog.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    ours_bytes = ((catalog_dir / DB_NAME).stat().st_size - empty) / size

    # naive: the rows as text, a UNIQUE index for the look-up, one transaction
    naive_path = folder / "naive.sqlite"
    naive = sqlite3.connect(str(naive_path), isolation_level=None)
    naive.execute("PRAGMA journal_mode = WAL")
    naive.execute("CREATE TABLE serials (gtin TEXT NOT NULL, serial TEXT NOT NULL, batch TEXT, expiry TEXT, "
                  "UNIQUE (gtin, serial))")
    started = time.perf_counter()
    with open(csv_path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        naive.execute("BEGIN")
        batch: list = []
        for cells in reader:
            batch.append(cells)
            if len(batch) == 50_000:
                naive.executemany("INSERT INTO serials VALUES (?, ?, ?, ?)", batch)
                batch = []
        naive.executemany("INSERT INTO serials VALUES (?, ?, ?, ?)", batch)
        naive.execute("COMMIT")
    naive_s = time.perf_counter() - started
    naive.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    naive_bytes = naive_path.stat().st_size / size

    rng = np.random.default_rng(0)
    probes = [(gtins[i % 10], serial(int(i))) for i in rng.integers(0, size, lookups // 2)]
    probes += [(gtins[0], f"NOPE{i:08d}") for i in range(lookups // 2)]

    def per_probe_us(lookup) -> float:
        times = []
        for gtin, code in probes:
            start = time.perf_counter()
            lookup(gtin, code)
            times.append(time.perf_counter() - start)
        return round(1e6 * statistics.median(times), 1)

    with Catalog.open(catalog_dir) as catalog:
        from index.storing.serials import Register

        register = Register.of(catalog)
        found = sum(1 for gtin, code in probes if any(r.gtin == gtin for r in register.lookup(code)))
        ours_us = per_probe_us(lambda gtin, code: register.lookup(code))
    naive_us = per_probe_us(lambda gtin, code: naive.execute("SELECT batch, expiry FROM serials WHERE gtin = ? AND "
                                                             "serial = ?", (gtin, code)).fetchone())
    naive.close()
    before = rss_mib()
    started = time.perf_counter()
    in_memory = {f"{row(i)[0]}|{serial(i)}" for i in range(size)}
    set_build_s = time.perf_counter() - started
    set_mib = rss_mib() - before
    set_us = per_probe_us(lambda gtin, code: f"{gtin}|{code}" in in_memory)
    del in_memory

    # one check's unit code: parsed, looked up in the register, in a memory of codes already seen
    issued = serial(42)
    link = digital_link(gtins[42 % 10], issued, f"L{42 % 10:02d}0", "301231")
    from PIL import Image

    photo = paste_qr(Image.open(ROOT / "demo" / "queries" / "Oatly-Oat-Milk_001.jpg"), link)
    read_ms = []
    for _ in range(5):
        start = time.perf_counter()
        codes = read_codes(photo)
        read_ms.append(1000 * (time.perf_counter() - start))
    db = sqlite3.connect(str(catalog_dir / DB_NAME), isolation_level=None)
    db.executescript(SIGHTINGS)
    db.execute("BEGIN")
    db.executemany("INSERT INTO sightings (unit, seen_at, check_id, case_id, place, source, photos) VALUES "
                   "(?, '2026-01-01T00:00:00Z', ?, ?, '', 'app', '')",
                   ((unit_digest(f"{gtins[i % 10]}|{serial(i)}"), i, f"case-{i}") for i in range(0, sightings)))
    db.execute("COMMIT")
    db.close()
    with Catalog.open(catalog_dir) as catalog:
        judge = SerialJudge(catalog, {"P": gtins})
        judge.judge(codes, "P", "case-x")
        judge_ms = []
        for _ in range(200):
            start = time.perf_counter()
            findings = judge.judge(codes, "P", "case-x")
            judge_ms.append(1000 * (time.perf_counter() - start))
    return {
        "serials": size, "import_rows_per_s": round(summary.rows_per_s), "import_s": round(summary.seconds, 1),
        "naive_import_rows_per_s": round(size / naive_s), "import_vs_naive": round(naive_s / summary.seconds, 2),
        "bytes_per_serial": round(ours_bytes, 1), "naive_bytes_per_serial": round(naive_bytes, 1),
        "lookup_us_p50": ours_us, "naive_table_lookup_us_p50": naive_us, "python_set_lookup_us_p50": set_us,
        "python_set_mib": round(set_mib), "python_set_build_s": round(set_build_s, 1),
        "lookups_found": found, "lookups": len(probes),
        "read_codes_ms_p50": round(statistics.median(read_ms), 1),
        "added_per_check_ms_p50": round(statistics.median(judge_ms), 3),
        "added_per_check_ms_p99": round(sorted(judge_ms)[int(0.99 * (len(judge_ms) - 1))], 3),
        "check_register": findings[0].register if findings else None, "sightings": sightings,
    }


# ---- 8. flat print aligned ----------------------------------------------------------------------

def bench_alignment(folder: Path, embedder, rounds: int = 3, count: int = 12) -> dict:
    """A check of a 12 MP photo claimed as its product, with and without aligning it with the
    product's genuine references, on the demo catalog (keypoints kept at import); the parts of
    the added time; the bytes of a reference's keypoints."""
    import cv2
    from threadpoolctl import threadpool_limits

    from index import Catalog, EmbedderRecord, Verifier, import_references, read_products
    from index.judging.alignment import REFERENCES, align_product, compare_with_reference
    from index.storing import keypoints as keypoint_store
    from vision import load_photo
    from vision.alignment import extract
    from vision.package import PackageReader

    # new photos of catalog products (the demo's held-out shop photos, as 12 MP JPEGs)
    sources = [p for p in sorted((ROOT / "demo" / "queries").glob("*.jpg")) if "_edited-" not in p.name
               and "_claimed-as-" not in p.name][:count]
    photos = make_phone_photos(folder / "align-photos", len(sources), sources)
    products = [p.rsplit("_", 1)[0] for p in (s.stem for s in sources)]
    record = EmbedderRecord(embedder.name, embedder.dim, embedder.preprocessing, embedder.fingerprint())
    path = folder / "align-catalog"
    started = time.perf_counter()
    with Catalog.create(path, record, settings=KEEPS_KEYPOINTS) as catalog:
        import_references(catalog, embedder, read_products(ROOT / "demo" / "products.csv"), progress=False)
    import_s = time.perf_counter() - started
    without_s = _import_seconds(folder / "align-catalog-without", record, embedder)
    threads = cv2.getNumThreads()
    with Catalog.open(path) as catalog:
        stats = catalog.stats()
        off = PackageReader(text=False, codes=False)
        plain = Verifier(catalog, embedder, reader=off, alignment=False)
        aligning = Verifier(catalog, embedder, reader=off, alignment=True)
        plain.check([photos[0]], claimed_product_id=products[0])
        aligning.check([photos[0]], claimed_product_id=products[0])
        without, with_alignment, inliers = [], [], []
        parts = {name: ([], []) for name in ("extract", "match_1", "match_3", "compare")}  # (wall, one core's CPU)

        def timed(name, run):
            """``run()``, its wall time and the CPU time of this thread with OpenCV and BLAS on one
            thread: what one quiet core spends, whatever else shares the machine."""
            with threadpool_limits(1):
                cv2.setNumThreads(1)
                wall, cpu = time.perf_counter(), time.thread_time()
                try:
                    return run()
                finally:
                    parts[name][1].append(time.thread_time() - cpu)
                    parts[name][0].append(time.perf_counter() - wall)
                    cv2.setNumThreads(threads)

        others = sorted({p.product_id for p in catalog.products()})
        for _ in range(rounds):
            for photo, product in zip(photos, products):
                started = time.perf_counter()
                plain.check([photo], claimed_product_id=product, regions=True)
                without.append(time.perf_counter() - started)
                aligning._query_points.clear()  # a new photo each time: its keypoints are found, not remembered
                started = time.perf_counter()
                verdict = aligning.check([photo], claimed_product_id=product, regions=True)
                with_alignment.append(time.perf_counter() - started)
                inliers.append((verdict.evidence or {}).get("alignment", {}).get("inliers", 0))
                # the parts: the held photo (640 px) as a check has it
                image = load_photo(photo, min_side=embedder.min_decode_side).image
                image.thumbnail((640, 640))
                vector = embedder.embed([image])
                points = timed("extract", lambda: extract(image))
                aligned = timed("match_1", lambda: align_product(catalog, [points], vector, product))
                candidates = [product] + [p for p in others if p != product][:2]
                timed("match_3", lambda: [align_product(catalog, [points], vector, c) for c in candidates])
                if aligned is not None:
                    timed("compare", lambda: compare_with_reference(catalog, image, points, aligned))
    ms = lambda values: round(1000 * statistics.median(values), 1) if values else None  # noqa: E731
    wall = {name: ms(values[0]) for name, values in parts.items()}
    cpu = {name: ms(values[1]) for name, values in parts.items()}
    return {
        "photos": len(photos), "megapixels": 12.0, "references_per_product": REFERENCES,
        "check_without_alignment_p50_ms": ms(without), "check_with_alignment_p50_ms": ms(with_alignment),
        "added_p50_ms": round(ms(with_alignment) - ms(without), 1),
        **{f"{name}_p50_ms": value for name, value in wall.items()},
        **{f"{name}_one_core_cpu_p50_ms": value for name, value in cpu.items()},
        "extract_and_match_1_one_core_cpu_ms": round(cpu["extract"] + cpu["match_1"], 1),
        "extract_and_match_3_one_core_cpu_ms": round(cpu["extract"] + cpu["match_3"], 1),
        "inliers_p50": float(statistics.median(inliers)),
        "keypoint_bytes_per_reference": stats["keypoint_bytes_per_reference"],
        "keypoint_bytes_bound": keypoint_store.MAX_BYTES,
        "import_s_with_keypoints": round(import_s, 1), "import_s_without": round(without_s, 1),
    }


def timed(run, rounds: int = 1) -> tuple[float, object]:
    """The median milliseconds of ``rounds`` runs of ``run``, and its last answer."""
    times, answer = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        answer = run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), answer


def fill_checks(db, size: int, seed: int = 7) -> None:
    """``size`` checks over a year, shaped like a unit's: 9 products, 60 places, 40 inspectors in 5
    units, verdicts mostly genuine-looking, each with a result of the real one's size (matches,
    flags, explanation: ~2 KB of JSON)."""
    import random

    rng = random.Random(seed)
    products = [f"Product-{i}" for i in range(9)]
    places = [f"Chợ số {i}" for i in range(60)]
    flags = ["low_score_few_sessions", "unreadable_label", "claim_uncertain", "looks_like_other_product", "blurred"]
    start = time.mktime((2026, 1, 1, 0, 0, 0, 0, 0, 0))
    rows = []
    for i in range(size):
        verdict = rng.choices(["genuine", "suspicious", "counterfeit", "unknown"], [60, 15, 10, 15])[0]
        product = rng.choice(products)
        inspector = rng.randrange(40)
        result = {"verdict": verdict, "product_id": product, "flags": rng.sample(flags, rng.randint(0, 2)),
                  "explanation": "x" * 200,
                  "matches": [{"image_id": rng.randrange(10**5), "product_id": product, "label": "genuine",
                               "score": rng.random(), "source_path": f"catalog/{product}/{j}.jpg"} for j in range(10)]}
        moment = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + rng.random() * 365 * 86400))
        rows.append((moment, product if rng.random() < 0.8 else None, product, verdict, rng.random(),
                     f"QLTT-{inspector:02d}", rng.choice(places), "[]", json.dumps(result), f"inspector{inspector}",
                     f"unit{inspector % 5}"))
    with db:
        db.executemany("INSERT INTO checks (checked_at, claimed_product_id, product_id, verdict, counterfeit_score, "
                       "inspector, place, photos, result, account, unit) VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)


def bench_dashboard(folder: Path, size: int, rounds: int = 5) -> dict:
    from index.storing import dashboard
    from index.storing.history import History

    folder.mkdir(parents=True, exist_ok=True)
    history = History(folder)
    try:
        fill_checks(history.db, size)
        out = {"checks": size}
        for name, filters in (("all", dashboard.Filters(offset_minutes=420)),
                              ("unit", dashboard.Filters(unit="unit1", offset_minutes=420)),
                              ("month", dashboard.Filters(since="2026-06-01T00:00:00Z", until="2026-07-01T00:00:00Z",
                                                          offset_minutes=420))):
            sql_ms, figures = timed(lambda: dashboard.count(history.db, filters), rounds)
            naive_ms, naive = timed(lambda: dashboard.count_naive(history.db, filters), max(1, rounds // 2))
            assert figures == naive, f"the dashboard's figures differ from the naive count ({name})"
            out.update({f"{name}_checks": figures.total, f"{name}_sql_ms": round(sql_ms, 1),
                        f"{name}_naive_ms": round(naive_ms, 1), f"{name}_speedup": round(naive_ms / sql_ms, 1)})
        out["figures_equal"] = True
        return out
    finally:
        history.close()


def _import_seconds(path: Path, record, embedder) -> float:
    """The same demo import without keypoints (what keeping them costs at import)."""
    from index import Catalog, import_references, read_products

    started = time.perf_counter()
    with Catalog.create(path, record, settings={"keypoints": "off"}) as catalog:
        import_references(catalog, embedder, read_products(ROOT / "demo" / "products.csv"), progress=False)
    return time.perf_counter() - started


def table(title: str, rows: list[dict]) -> str:
    if not rows:
        return ""
    keys = list(rows[0])
    lines = [f"\n## {title}", "| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r.get(k, "")) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run of every part")
    parser.add_argument("--sizes", type=int, nargs="+", default=None, help="index sizes (default 10k 100k 1M)")
    parser.add_argument("--photos", type=int, default=None, help="12 MP photos to make (default 24)")
    parser.add_argument("--catalog-size", type=int, default=None, help="references for end-to-end (default 100k)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all cores)")
    parser.add_argument("--serials", type=int, default=None, help="serials in the register (default 10M)")
    parser.add_argument("--only", choices=["embedding", "tuned-views", "search", "end-to-end", "import", "accents",
                                           "serials", "alignment", "dashboard"],
                        nargs="+", default=None,
                        help="run only these parts")
    parser.add_argument("--checks", type=int, default=None, help="checks in the dashboard's history (default 100k)")
    parser.add_argument("--out", default=str(ROOT / "build" / "bench" / "results.json"))
    args = parser.parse_args()
    sizes = args.sizes or ([2_000, 20_000] if args.quick else [10_000, 100_000, 1_000_000])
    photos_n = args.photos or (6 if args.quick else 24)
    catalog_size = args.catalog_size or (5_000 if args.quick else 100_000)

    from vision import load_embedder
    from vision.runtime import configure_threads

    configure_threads(args.threads)
    embedder = load_embedder("offline")
    results: dict = {"machine": machine()}
    print(json.dumps(results["machine"]), flush=True)
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        parts = set(args.only or ["embedding", "tuned-views", "search", "end-to-end", "import", "accents", "serials",
                                  "alignment", "dashboard"])
        photos = make_phone_photos(work / "photos", photos_n) if parts - {"search", "serials", "alignment",
                                                                          "dashboard"} else []
        if "embedding" in parts:
            results["embedding"] = bench_embedding(embedder, photos)
            print(table("1. embedding, 12 MP JPEGs", [results["embedding"]]), flush=True)
        if "tuned-views" in parts:
            results["tuned_views"] = bench_tuned_views(embedder, photos)
            print(table("1b. a tuned catalog's embedding: tuned view; tuned + ImageNet and two draws + ImageNet, "
                        "naive and on a shared trunk",
                        [results["tuned_views"]]), flush=True)
        if "search" in parts:
            results["search"] = []
            for size in sizes:
                results["search"].append(bench_search(size))
                print(table(f"2. search, {size} vectors", [results["search"][-1]]), flush=True)
        if "end-to-end" in parts:
            catalog_dir = build_large_catalog(work, embedder, catalog_size, every=3 if args.quick else 1)
            results["end_to_end"] = bench_end_to_end(catalog_dir, embedder, photos, rounds=5 if args.quick else 20)
            print(table(f"3-4. end to end, {catalog_size} references", [results["end_to_end"]]), flush=True)
            shutil.rmtree(catalog_dir)
        if "import" in parts:
            results["import"] = bench_import(work, embedder, photos)
            print(table("5. bulk import, 12 MP JPEGs", [results["import"]]), flush=True)
        if "accents" in parts:
            results["accents"] = bench_accents(photos)
            print(table("6. a Vietnamese label read again for its accents (catalogs with Vietnamese text)",
                        [results["accents"]]), flush=True)
        if "serials" in parts:
            count = args.serials or (20_000 if args.quick else 10_000_000)
            results["serials"] = bench_serials(work / "serials", count, sightings=min(100_000, count))
            print(table(f"7. the register of serials, {count:,} serials", [results["serials"]]), flush=True)
        if "alignment" in parts:
            results["alignment"] = bench_alignment(work, embedder, rounds=1 if args.quick else 3,
                                                   count=4 if args.quick else 12)
            print(table("8. flat print aligned: a check with and without, its parts, keypoint bytes per reference",
                        [results["alignment"]]), flush=True)
        if "dashboard" in parts:
            checks = args.checks or (5_000 if args.quick else 100_000)
            results["dashboard"] = bench_dashboard(work / "dashboard", checks, rounds=2 if args.quick else 5)
            print(table(f"9. the dashboard, {checks:,} checks: SQL aggregation against every row loaded into Python",
                        [results["dashboard"]]), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    write_results(results, args.out)
    return 0


def write_results(results: dict, out: str) -> None:
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2))
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    sys.exit(main())
