"""Bulk import on Ray: the same references and vectors as ``import_references``, embedded by a
pool of model actors across a Ray cluster (or a local Ray on this machine).

    rows ─► Ray Data: read + hash + decode + thumbnail     parallel tasks, photos already in the
                                                            catalog skipped after hashing
         ─► map_batches(embedder actors)                    each actor loads the catalog's model
                                                            once and checks its fingerprint
         ─► this process: commit batch by batch             the one writer (SQLite + FAISS/Milvus)

The photos go through the same functions as the plain import (``vision.images.decode`` at the
same reduced size, the embedder's own ``preprocess`` and ``embed_tensors``), so a reference gets
the same vector either way. Resumable like the plain import: a rerun skips, by content hash,
every photo already committed. On a cluster, the photo paths must be readable from every node
(shared storage); the project's packages travel to the workers with the job.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path
from typing import Sequence

import numpy as np
from tqdm import tqdm

from ..storing.catalog import Catalog, NewReference
from .importer import CHECKPOINT_EVERY_S, ImportSummary, declarations, finish_import
from .manifests import ProductRow

ROOT = Path(__file__).resolve().parents[2]  # the repository: vision/ and index/ travel to workers
#: Photos per decode task; small, so that work spreads over the cluster from the start.
DECODE_BATCH = 8
#: CPU share of a decode task. Not a whole CPU: a different share keeps Ray Data from fusing the
#: decoding into the embedder actors (it would then decode and embed in turn, on one core), and
#: two decoders next to one inference thread per core was the best split measured for the plain
#: import (docs/benchmarks.md).
DECODE_CPUS = 0.5


class RayImportError(RuntimeError):
    """Ray could not be started or joined; the message says why and what to do."""


def start_ray(address: str | None, cpus: int | None = None):
    """Join the cluster at ``address`` ('auto' = the one this machine belongs to), or start a
    local Ray on this machine. Returns a function that leaves it again (a no-op when Ray was
    already running in this process). Start Ray before opening a Milvus Lite file in-process."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise RayImportError("--ray needs Ray Data: `.venv/bin/pip install -e '.[scale]'` "
                             "(every node of a cluster needs the same Ray version)") from None
    if ray.is_initialized():
        return lambda: None
    # Ray waits 30 s for its control process to bind a port; a loaded 2-core machine can need more.
    os.environ.setdefault("RAY_gcs_server_port_wait_time_s", "120")
    runtime_env = {
        # The project's packages travel to the workers, which may be other machines.
        "py_modules": [str(ROOT / "vision"), str(ROOT / "index")],
        "env_vars": {key: os.environ[key] for key in ("VERIFIER_WEIGHTS_DIR", "HF_HUB_OFFLINE", "VERIFIER_OFFLINE",
                                                      "HF_HOME", "XDG_CACHE_HOME") if key in os.environ},
    }
    options = dict(include_dashboard=False, log_to_driver=False, runtime_env=runtime_env,
                   logging_level=logging.WARNING, configure_logging=True)
    try:
        if address:
            ray.init(address=address, **options)
        else:
            from vision.runtime import available_cores

            ray.init(num_cpus=cpus or available_cores(), object_store_memory=_object_store_bytes(), **options)
    except Exception as exc:
        where = f"the Ray cluster at {address}" if address else "a local Ray"
        raise RayImportError(f"could not start {where}: {type(exc).__name__}: {exc}. "
                             "Check the address (ray://HOST:10001 or HOST:6379, or 'auto' on a cluster node) "
                             "or leave --ray without an address to run on this machine.") from exc
    return ray.shutdown


def check_actors(actors: int, cpus: int, threads_per_actor: int = 1) -> None:
    """Refuse embedder actors that would leave a Ray cluster of ``cpus`` no CPU to decode on (a
    local Ray's CPUs are known before it starts: the command line checks then, not after a start)."""
    if actors * threads_per_actor + DECODE_CPUS > cpus:
        raise RayImportError(f"{actors} embedder actors of {threads_per_actor} CPU leave no CPU for decoding on "
                             f"a Ray cluster of {cpus} CPUs; use --ray-actors {max(1, (cpus - 1) // threads_per_actor)} "
                             "or fewer")


def _object_store_bytes() -> int:
    """A modest object store for a local Ray: decoded photos pass through it a few hundred at a time."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        total = 8 << 30
    return int(min(2 << 30, max(256 << 20, total // 8)))


def import_references_ray(
    catalog: Catalog,
    embedder,
    rows: Sequence[ProductRow],
    address: str | None = None,
    batch_size: int = 32,
    actors: int | None = None,
    threads_per_actor: int = 1,
    progress: bool = True,
) -> ImportSummary:
    """``embedder``: the model this process loaded for the catalog (its name, weights for a tuned
    model and fingerprint tell the actors what to load). ``actors``: embedder actors of
    ``threads_per_actor`` CPUs each (default: half the cluster's CPUs, at least 1; the rest decode)."""
    import warnings

    warnings.filterwarnings("ignore", message=".*ray_remote_args.*deprecated")
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # "progress bars disabled": ours is on
    started = time.monotonic()
    summary = ImportSummary()
    if not rows:
        return summary
    leave = start_ray(address)
    import ray
    import ray.data

    try:
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.execution_options.preserve_order = True  # ids follow the manifest, like the plain import
        context.execution_options.verbose_progress = False
        cpus = int(ray.cluster_resources().get("CPU", 1))
        if actors is None:  # half the CPUs embed, the other half decode
            actors = max(1, (cpus // 2) // max(1, threads_per_actor))
        check_actors(actors, cpus, threads_per_actor)
        from ..connect import reader_for

        catalog.declare(declarations(rows))
        known = ray.put(catalog.known_hash_prefixes())
        model = ray.put(_model_spec(catalog, embedder))
        here = reader_for(catalog)  # for the rare photo embedded in this process (a hash-prefix collision)
        reading = here.describe()
        items = [{"i": i, "path": str(row.path)} for i, row in enumerate(rows)]
        dataset = (
            ray.data.from_items(items, override_num_blocks=max(1, min(len(items) // DECODE_BATCH, 200)))
            .map_batches(_decode, fn_kwargs={"known": known, "min_side": embedder.min_decode_side,
                                             "reading": reading, "keypoints": catalog.keeps_keypoints},
                         batch_size=DECODE_BATCH, batch_format="pandas", num_cpus=DECODE_CPUS)
            .map_batches(_Embed, fn_constructor_args=(model, threads_per_actor), batch_size=batch_size,
                         batch_format="pandas", num_cpus=threads_per_actor, max_restarts=0,
                         compute=ray.data.ActorPoolStrategy(size=actors))
        )
        first_embed, last_embed = float("inf"), 0.0
        bar = tqdm(total=len(rows), unit="img", desc=f"importing on Ray ({actors} embedders)", disable=not progress,
                   file=sys.stderr, dynamic_ncols=True)
        try:
            for batch in dataset.iter_batches(batch_size=batch_size, batch_format="pandas", prefetch_batches=2):
                _commit(catalog, embedder, rows, batch, summary, here)
                first_embed = min(first_embed, float(batch["embed_started"].min()))
                last_embed = max(last_embed, float(batch["embed_finished"].max()))
                bar.update(len(batch))
                bar.set_postfix(added=summary.added, present=summary.already_present, unreadable=len(summary.unreadable))
                if catalog.seconds_since_checkpoint() > CHECKPOINT_EVERY_S:
                    catalog.checkpoint()
        finally:
            bar.close()
    finally:
        leave()
    summary.embedding_seconds = max(0.0, last_embed - first_embed)
    return finish_import(catalog, summary, started)


def _model_spec(catalog: Catalog, embedder) -> dict:
    spec = {"name": embedder.name, "dim": embedder.dim, "fingerprint": catalog.embedder.fingerprint}
    if embedder.name == "offline-tuned":
        from .tuning import BACKBONE_ARTIFACT

        spec["tuned_weights"] = catalog.artifact(BACKBONE_ARTIFACT)
    return spec


def _commit(catalog: Catalog, embedder, rows: Sequence[ProductRow], batch, summary: ImportSummary, reader) -> None:
    fresh: dict[str, tuple[ProductRow, bytes, np.ndarray]] = {}
    for record in batch.itertuples(index=False):
        row = rows[int(record.i)]
        if record.status == "error":
            summary.unreadable.append((str(row.path), record.error))
        elif record.status == "duplicate" and not catalog.has_hash(record.sha256):
            # a new photo whose hash shares its first 8 bytes with a known one: done here
            item = _embed_here(embedder, row, reader, catalog.keeps_keypoints)
            if item is None:
                summary.unreadable.append((str(row.path), "could not be read a second time"))
            elif record.sha256 not in fresh:
                fresh[record.sha256] = item
                catalog.keep_original(record.sha256, Path(row.path).read_bytes())
        elif record.status == "duplicate" or record.sha256 in fresh:
            summary.already_present += 1
        else:
            fresh[record.sha256] = (row, bytes(record.thumbnail), np.asarray(record.vector, dtype=np.float32),
                                    record.reading, bytes(record.keypoints))
            catalog.keep_original(record.sha256, Path(row.path).read_bytes())  # the workers may be other machines
    if not fresh:
        return
    new = [
        NewReference(product_id=row.product_id, sha256=sha, label=row.label, name=row.name, brand=row.brand,
                     view=row.view, source_path=str(row.path), thumbnail=thumb, reading=reading, keypoints=points)
        for sha, (row, thumb, _, reading, points) in fresh.items()
    ]
    vectors = np.stack([vector for _, _, vector, _, _ in fresh.values()])
    for image_id in catalog.add(new, vectors):
        if image_id is None:
            summary.already_present += 1
        else:
            summary.added += 1


def _embed_here(embedder, row: ProductRow, reader, keypoints: bool):
    from vision import UnreadableImage, thumbnail_jpeg
    from vision.alignment import extract
    from vision.images import decode, read_bytes

    try:
        data = read_bytes(row.path)
        image = decode(data, str(row.path), min_side=max(embedder.min_decode_side, reader.min_side))
    except (UnreadableImage, OSError):
        return None
    vector = embedder.embed_tensors([embedder.preprocess(image)])[0]
    return (row, thumbnail_jpeg(image), vector, reader.read(image).to_json() if reader.enabled else "",
            extract(image).to_bytes() if keypoints else b"")


_READERS: dict = {}


def _decode(batch, known, min_side: int, reading: dict, keypoints: bool = False):
    """Read, hash, decode, read the text and codes of photos and find their keypoints (a Ray task
    per batch): the same calls as the plain import, so a reference gets the same vector, reading
    and keypoints either way."""
    import pandas as pd
    import ray

    from vision import UnreadableImage, thumbnail_jpeg
    from vision.alignment import extract
    from vision.images import decode, read_bytes, sha256_of
    from vision.package import PackageReader

    if isinstance(known, ray.ObjectRef):
        known = ray.get(known)
    key = (bool(reading.get("text")), bool(reading.get("codes")))
    reader = _READERS.get(key) or _READERS.setdefault(key, PackageReader(*key, threads=1))  # one per worker process
    out = []
    for i, path in zip(batch["i"], batch["path"]):
        record = {"i": int(i), "status": "ok", "error": "", "sha256": "", "pixels": b"", "width": 0, "height": 0,
                  "thumbnail": b"", "reading": "", "keypoints": b""}
        try:
            data = read_bytes(path)
            record["sha256"] = sha = sha256_of(data)
            prefix = np.uint64(int(sha[:16], 16))
            at = int(np.searchsorted(known, prefix))
            if at < len(known) and known[at] == prefix:
                record["status"] = "duplicate"
            else:
                image = decode(data, path, min_side=max(min_side, reader.min_side))
                if reader.enabled:
                    record["reading"] = reader.read(image).to_json()
                if keypoints:
                    record["keypoints"] = extract(image).to_bytes()
                record.update(pixels=image.tobytes(), width=image.width, height=image.height,
                              thumbnail=thumbnail_jpeg(image))
        except UnreadableImage as exc:
            record.update(status="error", error=exc.reason)
        except Exception as exc:  # one odd file must never abort an import of thousands
            record.update(status="error", error=f"unexpected error while reading: {type(exc).__name__}: {exc}")
        out.append(record)
    return pd.DataFrame(out)


class _Embed:
    """One model per actor, loaded once: the catalog's own model, checked by its fingerprint."""

    def __init__(self, model_ref, threads: int):
        import ray

        spec = ray.get(model_ref) if isinstance(model_ref, ray.ObjectRef) else model_ref
        from vision.runtime import configure_threads

        configure_threads(threads)
        if spec.get("tuned_weights") is not None:
            from safetensors.torch import load

            from vision.offline import EfficientNetLite0, split_draws, views_of

            draws = split_draws(load(spec["tuned_weights"]))
            self.embedder = EfficientNetLite0(tuned_state=draws, imagenet_view=views_of(spec["dim"], len(draws)))
        else:
            from vision import load_embedder

            self.embedder = load_embedder(spec["name"], threads=threads, allow_download=False)
        if spec["fingerprint"]:
            similarity = float(np.dot(np.asarray(self.embedder.fingerprint(), np.float32),
                                      np.asarray(spec["fingerprint"], np.float32)))
            if similarity < 0.99:
                raise RuntimeError(f"a Ray worker loaded other weights for '{spec['name']}' than the catalog's "
                                   f"(fingerprint similarity {similarity:.3f}); give every node the same weights/ folder")

    def __call__(self, batch):
        from PIL import Image

        started = time.time()
        ok = [k for k, status in enumerate(batch["status"]) if status == "ok"]
        vectors = [np.zeros(0, dtype=np.float32)] * len(batch)
        if ok:
            tensors = []
            for k in ok:
                image = Image.frombytes("RGB", (int(batch["width"].iloc[k]), int(batch["height"].iloc[k])),
                                        bytes(batch["pixels"].iloc[k]))
                tensors.append(self.embedder.preprocess(image))
            for k, vector in zip(ok, self.embedder.embed_tensors(tensors)):
                vectors[k] = vector
        batch = batch.drop(columns=["pixels", "width", "height"])
        batch["vector"] = vectors
        # wall-clock span of this batch in the actor: the import reports how long the embedders
        # worked, apart from starting Ray and loading the models
        batch["embed_started"], batch["embed_finished"] = started, time.time()
        return batch
