"""The vector store on Milvus: the same interface as ``FaissStore``, for catalogs past one machine.

A catalog configured for Milvus keeps its references, settings, calibration, audit and history
in its SQLite file (still the source of truth) and its vectors, with the fields searches filter
on (product id, brand, label), in one Milvus collection. The collection is keyed by brand (a
partition key), so one Milvus deployment serves many brands and many catalogs.

The URI decides which Milvus answers:
- a local file ending in ``.db`` runs Milvus Lite in this process (one process at a time: Milvus
  Lite locks its data folder). A relative path is relative to the catalog folder.
- ``http://host:19530`` reaches a Milvus standalone or cluster, or ``milvus-lite server``; any
  number of processes (app servers, imports) share it.
A token for a secured deployment comes from ``VERIFIER_MILVUS_TOKEN`` (never stored in the catalog).

Index types mirror the embedded default: ``FLAT`` (exact) below 20,000 references, ``HNSW``
(M 32, efConstruction 64, ef 192 at search) from there. Milvus deletes by id, so there are no
tombstones. Changing the index type, or replacing every vector (``tune``), builds a new
collection beside the old one and switches the catalog to it in one SQLite transaction; servers
pick up the new one before their next check.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .store import HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH

#: Largest value stored in a VARCHAR field (product ids and brands are far shorter).
TEXT_LENGTH = 1024
#: Rows per insert / delete request (keeps each gRPC message a few MB).
WRITE_CHUNK = 1000
#: Milvus caps ``limit`` (top k) at 16,384.
MAX_K = 16_384
HNSW_M = 32


class MilvusError(RuntimeError):
    """Milvus could not be reached or refused a request; the message says which and what to do."""


@dataclass(frozen=True)
class RefFilter:
    """Restrict a search to references with these product ids / brands / labels (None = any)."""

    product_ids: tuple[str, ...] | None = None
    brands: tuple[str, ...] | None = None
    labels: tuple[str, ...] | None = None

    def __bool__(self) -> bool:
        return any(v is not None for v in (self.product_ids, self.brands, self.labels))

    def expression(self) -> str:
        """The Milvus boolean expression for this filter ('' when it keeps everything)."""
        clauses = []
        for field, values in (("brand", self.brands), ("product_id", self.product_ids), ("label", self.labels)):
            if values is not None:
                clauses.append(f"{field} in [{', '.join(_quote(v) for v in values)}]")
        return " and ".join(clauses)


def _quote(value: str) -> str:
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def resolve_uri(uri: str, catalog_dir: Path) -> str:
    """A local Milvus Lite file relative to the catalog folder becomes absolute; URLs stay."""
    if re.match(r"^[a-z]+://", uri) or uri.startswith("unix:"):
        return uri
    if not uri.endswith(".db"):
        raise MilvusError(f"Milvus URI {uri!r}: a local Milvus Lite file must end in .db "
                          "(e.g. vectors.milvus.db); a server is http://HOST:19530")
    path = Path(uri)
    return str(path if path.is_absolute() else (Path(catalog_dir) / path).resolve())


def is_local(uri: str) -> bool:
    return uri.endswith(".db") and not re.match(r"^[a-z]+://", uri)


def collection_name(base: str, version: int) -> str:
    """A valid Milvus collection name (letters, digits, underscores; starts with a letter)."""
    clean = re.sub(r"[^A-Za-z0-9_]", "_", base).strip("_") or "catalog"
    if not clean[0].isalpha():
        clean = "c_" + clean
    return f"{clean[:200]}_v{version}"


# One client per URI per process: Milvus Lite runs one in-process server per data folder, and
# gRPC channels are meant to be shared.
_clients: dict[str, list] = {}
_clients_lock = threading.Lock()


class _QuietUnimplemented(logging.Filter):
    """pymilvus asks for a timestamp after creating an index (AllocTimestamp), which Milvus Lite
    does not implement; the client carries on, but the server thread would log a traceback into
    the user's terminal."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        # ...and pymilvus warns when Milvus Lite cannot hand its query iterator a timestamp
        return "Method not implemented" not in message and "failed to get mvccTs" not in message


_quiet = _QuietUnimplemented()


def _client(uri: str):
    for name in ("grpc._server", "pymilvus.client.iterator.query_iterator"):
        if _quiet not in logging.getLogger(name).filters:
            logging.getLogger(name).addFilter(_quiet)
    with _clients_lock:
        entry = _clients.get(uri)
        if entry is None:
            from pymilvus import MilvusClient

            if is_local(uri) and not Path(uri).parent.is_dir():
                raise MilvusError(f"Milvus Lite file {uri}: its folder does not exist")
            try:
                client = MilvusClient(uri=uri, token=os.environ.get("VERIFIER_MILVUS_TOKEN", ""))
            except Exception as exc:
                raise MilvusError(_connect_advice(uri, exc)) from exc
            entry = _clients[uri] = [client, 0]
        entry[1] += 1
        return entry[0]


def _release(uri: str) -> None:
    with _clients_lock:
        entry = _clients.get(uri)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] > 0:
            return
        del _clients[uri]
        try:
            entry[0].close()
        except Exception:
            pass
        if is_local(uri):  # drop the in-process server and its lock on the data folder
            try:
                from milvus_lite.server_manager import server_manager_instance

                server_manager_instance.release_server(uri)
            except Exception:
                pass


def check_reachable(uri: str) -> None:
    """Raise ``MilvusError`` (with advice) unless Milvus at ``uri`` answers."""
    client = _client(uri)
    try:
        client.list_collections()
    except Exception as exc:
        raise MilvusError(_connect_advice(uri, exc)) from exc
    finally:
        _release(uri)


def _locked_elsewhere(uri: str) -> bool:
    """Whether another process holds Milvus Lite's lock on this data folder."""
    import fcntl

    lock = Path(uri) / "LOCK"
    if not lock.is_file():
        return False
    with open(lock, "a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return False


def _connect_advice(uri: str, exc: Exception) -> str:
    text = f"{type(exc).__name__}: {exc}"
    if is_local(uri):
        if _locked_elsewhere(uri):
            return (f"Milvus Lite file {uri} is open in another process (Milvus Lite allows one process at a "
                    "time). Stop that process (the app?), or serve the file with `milvus-lite server --data-dir "
                    f"{uri} --port 19530` and point the catalog at http://127.0.0.1:19530 "
                    "(`manage_catalog.py CATALOG set-store milvus --milvus-uri http://127.0.0.1:19530`).")
        return f"could not open Milvus Lite file {uri}: {text}"
    return (f"could not reach Milvus at {uri} ({text}). Check that the server runs and the address is right; "
            "a secured deployment needs VERIFIER_MILVUS_TOKEN.")


class MilvusStore:
    kind = "milvus"

    def __init__(self, uri: str, collection: str, dim: int, description: str, create: bool = False):
        self.uri = uri
        self.collection = collection
        self.dim = dim
        self.description = description
        self.client = _client(uri)
        self._closed = False
        #: True when this call made the collection (it held nothing before).
        self.created = False
        try:
            if not self.client.has_collection(collection):
                if not create:
                    raise MilvusError(
                        f"Milvus at {uri} has no collection {collection!r} (this catalog's vectors). Rebuild it from "
                        "the catalog's SQLite file: `python scripts/manage_catalog.py CATALOG rebuild-index`.")
                self._create()
                self.created = True
            else:
                self._check_dimension()
                self.client.load_collection(collection)
        except MilvusError:
            self.close()
            raise
        except Exception as exc:
            self.close()
            raise MilvusError(f"Milvus at {uri}, collection {collection!r}: {type(exc).__name__}: {exc}") from exc

    # ---- the FaissStore interface --------------------------------------------------------

    @property
    def is_graph(self) -> bool:
        return "HNSW" in self.description

    @property
    def ntotal(self) -> int:
        rows = self.client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"]) if rows else 0

    @property
    def tombstones(self) -> int:
        return 0

    def needs_rebuild(self) -> bool:
        return False

    def ids(self) -> np.ndarray:
        found: list[int] = []
        iterator = self.client.query_iterator(self.collection, batch_size=10_000, filter="", output_fields=["image_id"])
        try:
            while True:
                batch = iterator.next()
                if not batch:
                    break
                found.extend(int(row["image_id"]) for row in batch)
        finally:
            iterator.close()
        return np.sort(np.asarray(found, dtype=np.int64))

    def add(self, ids: np.ndarray, vectors: np.ndarray, rows: Sequence[dict] | None = None) -> None:
        """Upsert (an id written twice, e.g. by a resumed import, stays one row)."""
        ids = np.asarray(ids, dtype=np.int64)
        if not len(ids):
            return
        if rows is None or len(rows) != len(ids):
            raise ValueError("Milvus needs product_id, brand and label for every vector")
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        for start in range(0, len(ids), WRITE_CHUNK):
            data = [
                {"image_id": int(ids[i]), "product_id": rows[i]["product_id"], "brand": rows[i]["brand"],
                 "label": rows[i]["label"], "vector": vectors[i].tolist()}
                for i in range(start, min(start + WRITE_CHUNK, len(ids)))
            ]
            self.client.upsert(self.collection, data)

    def remove(self, ids) -> int:
        ids = [int(i) for i in ids]
        removed = 0
        for start in range(0, len(ids), WRITE_CHUNK):
            chunk = ids[start:start + WRITE_CHUNK]
            result = self.client.delete(self.collection, ids=chunk)
            removed += int(result.get("delete_count", len(chunk))) if isinstance(result, dict) else len(chunk)
        return removed

    def search(self, queries: np.ndarray, k: int, where: RefFilter | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(similarities, ids), each (n, k); missing neighbours have id -1 and similarity -inf."""
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        n = len(queries)
        k = max(1, min(int(k), MAX_K))
        params = {"metric_type": "IP", "params": {"ef": max(HNSW_EF_SEARCH, k)} if self.is_graph else {}}
        hits = self.client.search(self.collection, data=queries.tolist(), limit=k, anns_field="vector",
                                  filter=where.expression() if where else "", search_params=params,
                                  output_fields=["image_id"])  # [] would return every field, vector included
        sims = np.full((n, k), -np.inf, dtype=np.float32)
        ids = np.full((n, k), -1, dtype=np.int64)
        for row, found in enumerate(hits):
            for col, hit in enumerate(found[:k]):
                ids[row, col] = int(hit.id)
                sims[row, col] = float(hit.distance)
        return sims, ids

    def save(self, path=None) -> None:
        """Make what was written durable (Milvus has no file to write)."""
        self.client.flush(self.collection)

    def drop(self) -> None:
        self.client.drop_collection(self.collection)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            _release(self.uri)

    # ---- internals -----------------------------------------------------------------------

    def _create(self) -> None:
        from pymilvus import DataType, MilvusClient

        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("image_id", DataType.INT64, is_primary=True)
        schema.add_field("brand", DataType.VARCHAR, max_length=TEXT_LENGTH, is_partition_key=True)
        schema.add_field("product_id", DataType.VARCHAR, max_length=TEXT_LENGTH)
        schema.add_field("label", DataType.VARCHAR, max_length=16)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=self.dim)
        index = self.client.prepare_index_params()
        if self.is_graph:
            index.add_index(field_name="vector", index_type="HNSW", metric_type="IP",
                            params={"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION})
        else:
            index.add_index(field_name="vector", index_type="FLAT", metric_type="IP")
        for field in ("product_id", "label"):  # scalar indexes for the filters
            index.add_index(field_name=field, index_type="INVERTED")
        self.client.create_collection(self.collection, schema=schema, index_params=index, consistency_level="Strong")
        self.client.load_collection(self.collection)

    def _check_dimension(self) -> None:
        described = self.client.describe_collection(self.collection)
        for field in described.get("fields", []):
            if field.get("name") == "vector":
                dim = int(field.get("params", {}).get("dim", self.dim))
                if dim != self.dim:
                    raise MilvusError(f"Milvus collection {self.collection!r} at {self.uri} holds {dim}-d vectors; "
                                      f"the catalog's model makes {self.dim}-d ones")
