"""A catalog: one folder a brand owner can back up, copy to a field laptop or serve.

    CATALOG_DIR/
      references.sqlite   source of truth: references, their vectors (float16), catalog settings
      vectors.faiss       search index over the same vectors; a checkpoint, rebuilt from SQLite
      thumbs/ab/<sha256>.jpg   a small copy of each reference photo, for evidence

Crash safety: a reference exists once its SQLite transaction commits (thumbnail written before,
vector stored in the row). The FAISS file is a checkpoint written atomically now and then; on
open it is reconciled with SQLite by id, so a process killed at any moment leaves a catalog
that opens with FAISS ids equal to SQLite ids. Image ids are never reused (AUTOINCREMENT), so
an id in an old checkpoint always means the same vector.
"""

from __future__ import annotations

import fcntl
import json
from contextlib import contextmanager
import os
import sqlite3
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ..ids import clean
from . import details as detail_store
from . import keypoints as keypoint_store
from .milvus_store import MilvusStore, RefFilter, check_reachable, collection_name, resolve_uri
from .store import DEFAULT_DESCRIPTION, FLAT, HNSW, HNSW_FROM, FaissStore, choose_description, fsync_dir

FORMAT_VERSION = 1
DB_NAME = "references.sqlite"
INDEX_NAME = "vectors.faiss"
THUMBS = "thumbs"
#: Each reference's photo as imported, by content: tuning and re-embedding never depend on a
#: folder the catalog does not own (an upload's temporary copy is gone within the hour).
ORIGINALS = "originals"
LABELS = ("genuine", "counterfeit")
STORES = ("faiss", "milvus")
#: Where a new Milvus-backed catalog keeps its vectors unless told otherwise: Milvus Lite, in-process.
DEFAULT_MILVUS_URI = "vectors.milvus.db"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS refs (
    image_id    INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id  TEXT NOT NULL,
    label       TEXT NOT NULL CHECK (label IN ('genuine', 'counterfeit')),
    name        TEXT NOT NULL DEFAULT '',
    brand       TEXT NOT NULL DEFAULT '',
    view        TEXT NOT NULL DEFAULT '',
    source_path TEXT NOT NULL DEFAULT '',
    sha256      TEXT NOT NULL UNIQUE,
    added_at    TEXT NOT NULL,
    vector      BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS refs_product ON refs (product_id);
CREATE TABLE IF NOT EXISTS artifacts (name TEXT PRIMARY KEY, data BLOB NOT NULL);
-- What was read on each reference at import (vision.package: text lines, barcodes), as JSON.
CREATE TABLE IF NOT EXISTS readings (image_id INTEGER PRIMARY KEY, reading TEXT NOT NULL);
-- Per product, what the brand owner declares: the package's text and its GTINs (JSON list).
CREATE TABLE IF NOT EXISTS product_info (
    product_id TEXT PRIMARY KEY,
    label_text TEXT NOT NULL DEFAULT '',
    gtins      TEXT NOT NULL DEFAULT '[]'
);
"""
#: Who changed the catalog, when and what (index.storing.audit): written in the same transaction
#: as the change it records.
AUDIT_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    entry_id  INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,
    user      TEXT NOT NULL,
    action    TEXT NOT NULL,
    details   TEXT NOT NULL
);
"""
SCHEMA += AUDIT_SCHEMA
SCHEMA += keypoint_store.SCHEMA
SCHEMA += detail_store.SCHEMA


class CatalogError(RuntimeError):
    """A catalog that cannot be used as asked; the message says why and what to do."""


class ModelMismatch(CatalogError):
    """The catalog was built with another embedder: its vectors would be meaningless."""


@dataclass(frozen=True)
class Reference:
    image_id: int
    product_id: str
    label: str
    name: str
    brand: str
    view: str
    source_path: str
    sha256: str
    added_at: str


@dataclass(frozen=True)
class NewReference:
    """A reference about to be added: metadata plus the content hash of its photo."""

    product_id: str
    sha256: str
    label: str = "genuine"
    name: str = ""
    brand: str = ""
    view: str = ""
    source_path: str = ""
    thumbnail: bytes = field(default=b"", repr=False)
    #: What was read on the photo (``vision.PackageReading.to_json()``), or "" when not read.
    reading: str = field(default="", repr=False)
    #: The photo's local features (``vision.alignment.Keypoints.to_bytes()``), or b"" when not kept.
    keypoints: bytes = field(default=b"", repr=False)
    #: A reference put back by an undo (``editing.undo_last_removal``): the number and time it had
    #: before it was removed (ids are never reused, so its own number is free). None/"": a new one.
    image_id: int | None = None
    added_at: str = ""


@dataclass(frozen=True)
class ProductInfo:
    """What the brand owner declares of a product beyond its photos."""

    product_id: str
    label_text: str = ""
    gtins: tuple[str, ...] = ()


@dataclass(frozen=True)
class Product:
    product_id: str
    name: str
    brand: str
    genuine: int
    counterfeit: int


@dataclass(frozen=True)
class StoreConfig:
    """Where a catalog keeps its search vectors: ``faiss`` (a file in the catalog folder, the
    default) or ``milvus`` (a collection at ``milvus_uri``: a local ``.db`` file runs Milvus Lite
    in-process, ``http://host:19530`` reaches a Milvus server or cluster)."""

    kind: str = "faiss"
    milvus_uri: str = ""

    def __post_init__(self):
        if self.kind not in STORES:
            raise ValueError(f"vector store must be one of {STORES}, not {self.kind!r}")
        if self.kind == "milvus" and not self.milvus_uri:
            object.__setattr__(self, "milvus_uri", DEFAULT_MILVUS_URI)


@dataclass(frozen=True)
class EmbedderRecord:
    """What a catalog remembers of the model that built it."""

    name: str
    dim: int
    preprocessing: str
    fingerprint: list[float]


class Catalog:
    def __init__(self, path: Path, db: sqlite3.Connection, writable: bool, lock_handle=None):
        self.path = path
        self.db = db
        self.writable = writable
        self._lock_handle = lock_handle
        self.embedder = EmbedderRecord(**json.loads(self._meta("embedder")))
        self.index_description = self._meta("index_description")
        self._store_failed = False
        self.store = self._load_store()
        self._dirty = False
        self._checkpointed_at = time.monotonic()
        #: (user, action, details) while changes are audited (``audited``)
        self._audit: tuple[str, str, dict] | None = None

    # ---- opening -------------------------------------------------------------------------

    @classmethod
    def create(cls, path: str | Path, embedder: EmbedderRecord, store: StoreConfig | None = None,
               settings: dict[str, str] | None = None) -> "Catalog":
        path = Path(path)
        store = store or StoreConfig()
        if (path / DB_NAME).exists():
            raise CatalogError(f"{path}: a catalog already exists here")
        if store.kind == "milvus":  # a wrong URI or an unreachable server: refused before anything is written
            path.mkdir(parents=True, exist_ok=True)
            check_reachable(resolve_uri(store.milvus_uri, path))
        path.mkdir(parents=True, exist_ok=True)
        lock = _acquire_write_lock(path)
        (path / THUMBS).mkdir(exist_ok=True)
        # Built under a temporary name and renamed: a catalog either exists whole or not at all.
        tmp = path / f".{DB_NAME}.{os.getpid()}.tmp"
        tmp.unlink(missing_ok=True)
        db = sqlite3.connect(str(tmp), isolation_level=None)
        db.executescript(SCHEMA)
        settings = {
            "format_version": str(FORMAT_VERSION),
            "embedder": json.dumps(asdict(embedder)),
            "index_description": DEFAULT_DESCRIPTION,
            "created_at": _now(),
            "generation": "0",
            "vector_store": store.kind,
            **(settings or {}),
        }
        if store.kind == "milvus":
            settings.update(_milvus_settings(path, store.milvus_uri, version=1))
        with db:
            db.execute("BEGIN")
            db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", settings.items())
        db.close()
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path / DB_NAME)
        fsync_dir(path)
        return cls(path, _connect(path / DB_NAME), writable=True, lock_handle=lock)

    @classmethod
    def open(cls, path: str | Path, writable: bool = False) -> "Catalog":
        path = Path(path)
        if not (path / DB_NAME).is_file():
            raise CatalogError(
                f"{path}: no catalog here (no {DB_NAME}); create one with "
                f"`python scripts/index_catalog.py {path} --manifest PRODUCTS.csv`"
            )
        if writable and not os.access(path, os.W_OK):
            raise CatalogError(f"{path}: the catalog folder is read-only (a read-only disk or mount?): checks can use "
                               "it as it is, but to change it copy the folder to a writable disk")
        lock = _acquire_write_lock(path) if writable else None
        try:
            db, version = _connect(path / DB_NAME, read_only_folder=not os.access(path, os.W_OK), existing=True)
            if version > FORMAT_VERSION:
                raise CatalogError(f"{path}: catalog format {version} is newer than this program understands")
            if writable:
                db.executescript(SCHEMA)  # adds tables introduced since the catalog was made
        except BaseException:
            if lock is not None:
                lock.close()
            raise
        return cls(path, db, writable=writable, lock_handle=lock)

    @classmethod
    def exists(cls, path: str | Path) -> bool:
        return (Path(path) / DB_NAME).is_file()

    def check_embedder(self, name: str, dim: int, fingerprint: Sequence[float] | None = None) -> None:
        """Refuse to use this catalog with vectors from another model."""
        record = self.embedder
        if name != record.name or dim != record.dim:
            raise ModelMismatch(
                f"{self.path}: this catalog was built with the model '{record.name}' ({record.dim}-d vectors); "
                f"it cannot be used with '{name}' ({dim}-d). Use --model {record.name}, or build a new catalog "
                f"for '{name}' in another folder."
            )
        if fingerprint is not None and record.fingerprint:
            cosine = float(np.dot(np.asarray(fingerprint, np.float32), np.asarray(record.fingerprint, np.float32)))
            if cosine < 0.99:
                raise ModelMismatch(
                    f"{self.path}: the weights loaded for '{name}' are not the ones that built this catalog "
                    f"(fingerprint similarity {cosine:.3f}); restore the original checkpoint or rebuild the catalog."
                )

    def close(self) -> None:
        try:
            if self.writable and self._dirty:
                self.checkpoint()
        finally:
            self.store.close()
            self.db.close()
        if self._lock_handle is not None:
            self._lock_handle.close()
            self._lock_handle = None

    def reload(self) -> None:
        """See changes another writer committed: rebuild the search index from the checkpoint and
        SQLite, then swap it in whole (a search in flight keeps the old one)."""
        self.index_description = self._meta("index_description")
        self.embedder = EmbedderRecord(**json.loads(self._meta("embedder")))  # `tune` may have replaced the model
        old, self.store = self.store, self._load_store()
        old.close()

    def __enter__(self) -> "Catalog":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- reading -------------------------------------------------------------------------

    @property
    def generation(self) -> int:
        return int(self._meta("generation"))

    def __len__(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM refs").fetchone()[0]

    def image_ids(self) -> np.ndarray:
        rows = self.db.execute("SELECT image_id FROM refs ORDER BY image_id").fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def reference(self, image_id: int) -> Reference | None:
        row = self.db.execute(f"SELECT {_REF_COLUMNS} FROM refs WHERE image_id = ?", (int(image_id),)).fetchone()
        return Reference(*row) if row else None

    def references(self, product_id: str | None = None, label: str | None = None) -> list[Reference]:
        clauses, params = [], []
        if product_id is not None:
            clauses.append("product_id = ?")
            params.append(clean(product_id))
        if label is not None:
            clauses.append("label = ?")
            params.append(label)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self.db.execute(f"SELECT {_REF_COLUMNS} FROM refs {where} ORDER BY image_id", params).fetchall()
        return [Reference(*row) for row in rows]

    def references_by_id(self, image_ids: Iterable[int]) -> dict[int, Reference]:
        ids = sorted({int(i) for i in image_ids if int(i) >= 0})
        found: dict[int, Reference] = {}
        for chunk in _chunks(ids, 500):
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(f"SELECT {_REF_COLUMNS} FROM refs WHERE image_id IN ({marks})", chunk):
                found[row[0]] = Reference(*row)
        return found

    def known_hashes(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT sha256 FROM refs")}

    def has_hash(self, sha256: str) -> bool:
        return self.db.execute("SELECT 1 FROM refs WHERE sha256 = ?", (sha256,)).fetchone() is not None

    def known_hash_prefixes(self) -> np.ndarray:
        """The first 8 bytes of every reference's SHA-256 as sorted uint64: a compact stand-in for
        the set of known photos (400 MB at 50 million references, against gigabytes of strings)."""
        count = len(self)
        rows = self.db.execute("SELECT sha256 FROM refs")
        prefixes = np.fromiter((int(row[0][:16], 16) for row in rows), dtype=np.uint64, count=count)
        prefixes.sort()
        return prefixes

    def products(self) -> list[Product]:
        rows = self.db.execute(
            """SELECT product_id, MAX(name), MAX(brand),
                      SUM(label = 'genuine'), SUM(label = 'counterfeit')
               FROM refs GROUP BY product_id ORDER BY product_id"""
        ).fetchall()
        return [Product(*row) for row in rows]

    def product(self, product_id: str) -> Product | None:
        """One product's row of ``products()``; None when the catalog has no photo of it."""
        row = self.db.execute(
            """SELECT product_id, MAX(name), MAX(brand), SUM(label = 'genuine'), SUM(label = 'counterfeit')
               FROM refs WHERE product_id = ? GROUP BY product_id""", (product_id,)).fetchone()
        return Product(*row) if row else None

    def reference_views(self, product_id: str) -> list[tuple[str, int]]:
        """(view, photos) of ``product_id``'s genuine references, the most photographed first (views
        as the manifests name them, case-folded)."""
        counts: dict[str, int] = {}
        for view, count in self.db.execute(
                "SELECT view, COUNT(*) FROM refs WHERE product_id = ? AND label = 'genuine' GROUP BY view",
                (product_id,)):
            key = (view or "").strip().casefold()  # in Python: SQLite's LOWER folds ASCII only
            counts[key] = counts.get(key, 0) + count
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    def vectors(self, image_ids: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) from SQLite, the source of truth; all of them when no ids are given."""
        if image_ids is None:
            rows = self.db.execute("SELECT image_id, vector FROM refs ORDER BY image_id").fetchall()
        else:
            rows = []
            for chunk in _chunks(sorted({int(i) for i in image_ids}), 500):
                marks = ",".join("?" * len(chunk))
                rows += self.db.execute(f"SELECT image_id, vector FROM refs WHERE image_id IN ({marks})", chunk).fetchall()
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        vectors = np.empty((len(rows), self.embedder.dim), dtype=np.float32)
        for i, (_, blob) in enumerate(rows):
            vectors[i] = np.frombuffer(blob, dtype=np.float16)
        return ids, vectors

    @property
    def store_kind(self) -> str:
        return self.setting("vector_store") or "faiss"

    def search(self, queries: np.ndarray, k: int, where: RefFilter | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(similarities, ids) of the k nearest references, optionally only those matching
        ``where`` (product ids, brands, labels); the same answer from either store."""
        if not where:
            return self.store.search(queries, k)
        if self.store.kind == "milvus":
            return self.store.search(queries, k, where=where)
        return self.store.search(queries, k, allowed=self._filtered_ids(where))

    def _filtered_ids(self, where: RefFilter) -> np.ndarray:
        clauses, params = [], []
        for column, values in (("product_id", where.product_ids), ("brand", where.brands), ("label", where.labels)):
            if values is not None:
                clauses.append(f"{column} IN ({','.join('?' * len(values))})" if values else "0")
                params += list(values)
        rows = self.db.execute(f"SELECT image_id FROM refs WHERE {' AND '.join(clauses)}", params).fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def thumbnail_path(self, sha256: str) -> Path:
        return self.path / THUMBS / sha256[:2] / f"{sha256}.jpg"

    def keep_original(self, sha256: str, data: bytes) -> Path:
        """Keep a reference's photo bytes in the catalog (before its row commits; harmless twice)."""
        path = self.path / ORIGINALS / sha256[:2] / sha256
        write_atomic(path, data)
        return path

    def keep_missing_originals(self) -> tuple[int, int]:
        """Migrate a catalog made before originals were kept: copy in each reference's photo whose
        recorded source is still readable and still the same photo (its SHA-256). Returns
        (copied, still missing)."""
        from vision.images import sha256_of

        copied = missing = 0
        for ref in self.references():
            kept = self.path / ORIGINALS / ref.sha256[:2] / ref.sha256
            if kept.is_file():
                continue
            try:
                data = Path(ref.source_path).read_bytes() if ref.source_path else b""
            except OSError:
                data = b""
            if data and sha256_of(data) == ref.sha256:
                self.keep_original(ref.sha256, data)
                copied += 1
            else:
                missing += 1
        return copied, missing

    def original_path(self, ref: Reference) -> Path:
        """Where the reference's photo can be read: the catalog's own copy, else its source path
        (catalogs made before copies were kept)."""
        kept = self.path / ORIGINALS / ref.sha256[:2] / ref.sha256
        return kept if kept.is_file() else Path(ref.source_path)

    def stats(self) -> dict:
        counts = dict(self.db.execute("SELECT label, COUNT(*) FROM refs GROUP BY label").fetchall())
        return {
            "catalog": str(self.path),
            "model": self.embedder.name,
            "dimension": self.embedder.dim,
            "preprocessing": self.embedder.preprocessing,
            "index": describe_index(self.store_kind, self.index_description),
            "vector_store": self.store_kind,
            **({"milvus_uri": self.setting("milvus_uri"), "milvus_collection": self.setting("milvus_collection")}
               if self.store_kind == "milvus" else {}),
            "products": self.db.execute("SELECT COUNT(DISTINCT product_id) FROM refs").fetchone()[0],
            "references": len(self),
            "genuine_references": counts.get("genuine", 0),
            "counterfeit_references": counts.get("counterfeit", 0),
            "indexed_vectors": self.store.ntotal,
            "index_mode": self.index_mode,
            "index_tombstones": self.store.tombstones,
            "reading": _describe_reading(self.setting("package_reading")),
            "references_read": self.db.execute("SELECT COUNT(*) FROM readings").fetchone()[0]
            if self._has_table("readings") else 0,
            "keypoints": "kept" if self.keeps_keypoints else "not kept",
            **keypoint_store.summary(self.db),
            "generation": self.generation,
            "created_at": self._meta("created_at"),
        }

    def setting(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    # ---- writing -------------------------------------------------------------------------

    def add(self, new: Sequence[NewReference], vectors: np.ndarray,
            products: Sequence[ProductInfo] = ()) -> list[int | None]:
        """Add references (with what was read on them) and product declarations in one
        transaction; returns each reference's image id, or None if its photo (same content hash) is
        already in the catalog. A declaration's label text replaces the stored one when given; its
        GTINs are added to the product's."""
        self._require_writable()
        if len(new) != len(vectors):
            raise ValueError("one vector per reference is needed")
        for ref in new:
            if ref.label not in LABELS:
                raise ValueError(f"label must be one of {LABELS}, not {ref.label!r}")
            if not ref.product_id.strip():
                raise ValueError("product_id must not be empty")
            if ref.keypoints:
                keypoint_store.check_record(ref.keypoints)
        # Thumbnails first: they are named by content, so writing one twice is harmless, and a
        # committed row never points at a missing thumbnail.
        for ref in new:
            if ref.thumbnail:
                write_atomic(self.thumbnail_path(ref.sha256), ref.thumbnail)
        stored = np.asarray(vectors, dtype=np.float16)
        ids: list[int | None] = []
        added_ids, added_rows = [], []
        now = _now()
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            for i, ref in enumerate(new):
                values = (clean(ref.product_id), ref.label, clean(ref.name), clean(ref.brand), clean(ref.view),
                          ref.source_path, ref.sha256, ref.added_at or now, stored[i].tobytes())
                if ref.image_id is None:
                    cursor = self.db.execute(
                        """INSERT INTO refs (product_id, label, name, brand, view, source_path, sha256, added_at, vector)
                           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING""", values)
                else:  # put back under its own number (taken already: the same photo, put back before)
                    cursor = self.db.execute(
                        """INSERT INTO refs (image_id, product_id, label, name, brand, view, source_path, sha256,
                                             added_at, vector)
                           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING""", (int(ref.image_id), *values))
                if cursor.rowcount:
                    ids.append(cursor.lastrowid)
                    added_ids.append(cursor.lastrowid)
                    added_rows.append(i)
                    if ref.reading:
                        self.db.execute("INSERT OR REPLACE INTO readings (image_id, reading) VALUES (?, ?)",
                                        (cursor.lastrowid, ref.reading))
                    if ref.keypoints:
                        keypoint_store.insert(self.db, cursor.lastrowid, ref.keypoints)
                else:
                    ids.append(None)
            changed = self._declare(products)
            if added_ids or changed:
                self._bump_generation()
                self._write_audit({"added": len(added_ids),
                                   "products": sorted({new[i].product_id for i in added_rows} | {p.product_id for p in products})})
        # The index holds exactly what SQLite holds (the float16-rounded vectors), so a rebuild
        # from SQLite gives bit-identical search results.
        fields = [{"product_id": clean(new[i].product_id), "brand": clean(new[i].brand), "label": new[i].label}
                  for i in added_rows]
        self._dirty = self._dirty or bool(added_ids)
        if getattr(self.store, "was_removed", lambda ids: False)(added_ids):
            # a graph index keeps a removed id as a tombstone and cannot take it again: rebuilt
            # from SQLite, which now holds the reference put back
            self.rebuild_index()
            return ids
        self._write_store(self.store.add, np.asarray(added_ids, dtype=np.int64),
                          stored[added_rows].astype(np.float32), fields)
        return ids

    def replace_vectors(self, image_ids: Sequence[int], vectors: np.ndarray, embedder: EmbedderRecord,
                        artifacts: dict[str, bytes] | None = None) -> None:
        """Every reference re-embedded by a new model, in one transaction with the model's record
        (and its weights): the catalog holds old vectors with the old model or new with the new,
        never a mix. The search index is then stale; ``rebuild_index`` follows."""
        self._require_writable()
        ids = [int(i) for i in image_ids]
        if sorted(ids) != self.image_ids().tolist():
            raise ValueError("replace_vectors needs a new vector for every reference")
        stored = np.asarray(vectors, dtype=np.float16)
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany("UPDATE refs SET vector = ? WHERE image_id = ?",
                                ((stored[i].tobytes(), image_id) for i, image_id in enumerate(ids)))
            version = str(int(self.setting("vectors_version") or "0") + 1)
            for key, value in (("embedder", json.dumps(asdict(embedder))), ("vectors_version", version)):
                self.db.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                                "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))
            for name, data in (artifacts or {}).items():
                self.db.execute("INSERT INTO artifacts (name, data) VALUES (?, ?) "
                                "ON CONFLICT (name) DO UPDATE SET data = excluded.data", (name, data))
            self._bump_generation()
            self._write_audit({"model": embedder.name, "references": len(ids)})
        self.embedder = embedder

    def remove_images(self, image_ids: Iterable[int]) -> int:
        self._require_writable()
        ids = sorted({int(i) for i in image_ids})
        hashes = []
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            for chunk in _chunks(ids, 500):
                marks = ",".join("?" * len(chunk))
                hashes += [r[0] for r in self.db.execute(f"SELECT sha256 FROM refs WHERE image_id IN ({marks})", chunk)]
                self.db.execute(f"DELETE FROM refs WHERE image_id IN ({marks})", chunk)
                self.db.execute(f"DELETE FROM readings WHERE image_id IN ({marks})", chunk)
                keypoint_store.remove(self.db, chunk)
            # a product with no reference left keeps no declaration either
            self.db.execute("DELETE FROM product_info WHERE product_id NOT IN (SELECT DISTINCT product_id FROM refs)")
            if hashes:
                self._bump_generation()
                self._write_audit({"removed": len(hashes)})
        if not hashes:
            return 0
        self._dirty = True
        self._write_store(self.store.remove, ids)
        self.checkpoint()
        for sha in hashes:
            self.thumbnail_path(sha).unlink(missing_ok=True)
            (self.path / ORIGINALS / sha[:2] / sha).unlink(missing_ok=True)
        return len(hashes)

    def remove_product(self, product_id: str) -> int:
        return self.remove_images(ref.image_id for ref in self.references(product_id=product_id))

    def readings(self, image_ids: Iterable[int] | None = None) -> dict[int, str]:
        """image id -> what was read on that reference (JSON), for the references that were read."""
        if not self._has_table("readings"):  # a catalog from before readings, opened read-only
            return {}
        if image_ids is None:
            return dict(self.db.execute("SELECT image_id, reading FROM readings").fetchall())
        found: dict[int, str] = {}
        for chunk in _chunks(sorted({int(i) for i in image_ids}), 500):
            marks = ",".join("?" * len(chunk))
            found.update(self.db.execute(f"SELECT image_id, reading FROM readings WHERE image_id IN ({marks})",
                                         chunk).fetchall())
        return found

    @property
    def keeps_keypoints(self) -> bool:
        """Whether references get their local features kept at import (``keypoints`` setting)."""
        return keypoint_store.kept(self.setting(keypoint_store.SETTING))

    def keypoints(self, image_ids: Iterable[int]):
        """(image id -> ``vision.alignment.Keypoints``, image id -> why its record is unusable) for
        the references that have keypoints kept."""
        return keypoint_store.read(self.db, image_ids)

    def product_names(self, product_ids: Sequence[str]) -> dict[str, str]:
        """product id -> the name its references give it (products without a name are left out)."""
        names = {}
        for product in {p for p in product_ids if p}:
            row = self.db.execute("SELECT MAX(name) FROM refs WHERE product_id = ?", (product,)).fetchone()
            if row and row[0] and row[0] != product:
                names[product] = row[0]
        return names

    def product_info(self) -> dict[str, ProductInfo]:
        if not self._has_table("product_info"):
            return {}
        rows = self.db.execute("SELECT product_id, label_text, gtins FROM product_info").fetchall()
        return {p: ProductInfo(p, text, tuple(json.loads(gtins))) for p, text, gtins in rows}

    def has_vietnamese_text(self) -> bool:
        """Whether any product's name, brand or declared label text is written in Vietnamese (its
        photos' lines are then re-read for their accents, ``vision.accents``)."""
        from vision.accents import has_vietnamese

        texts = [f"{name} {brand}" for name, brand in self.db.execute("SELECT DISTINCT name, brand FROM refs")]
        texts += [info.label_text for info in self.product_info().values()]
        return any(has_vietnamese(text) for text in texts)

    def _has_table(self, name: str) -> bool:
        return self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() \
            is not None

    def declare(self, products: Sequence[ProductInfo]) -> None:
        """Set products' declared label text and add GTINs (one transaction)."""
        self._require_writable()
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            if self._declare(products):
                self._bump_generation()
                self._write_audit({"declared": sorted(p.product_id for p in products)})

    def _declare(self, products: Sequence[ProductInfo]) -> bool:
        """Inside a transaction: merge declarations; True if anything changed."""
        changed = False
        for info in products:
            info = ProductInfo(clean(info.product_id), info.label_text, info.gtins)
            row = self.db.execute("SELECT label_text, gtins FROM product_info WHERE product_id = ?",
                                  (info.product_id,)).fetchone()
            text, gtins = (row[0], json.loads(row[1])) if row else ("", [])
            new_text = info.label_text or text
            new_gtins = list(dict.fromkeys([*gtins, *info.gtins]))
            if row is None or new_text != text or new_gtins != gtins:
                self.db.execute("INSERT INTO product_info (product_id, label_text, gtins) VALUES (?, ?, ?) "
                                "ON CONFLICT (product_id) DO UPDATE SET label_text = excluded.label_text, "
                                "gtins = excluded.gtins", (info.product_id, new_text, json.dumps(new_gtins)))
                changed = True
        return changed

    def edit_product(self, product_id: str, name: str | None = None, brand: str | None = None,
                     label_text: str | None = None, gtins: Sequence[str] | None = None) -> dict:
        """Set a product's name and brand (on all its references), declared label text and GTINs
        (replaced, not merged); None leaves a field as it is. One transaction; returns what
        changed (field -> [before, after])."""
        self._require_writable()
        row = self.db.execute("SELECT name, brand FROM refs WHERE product_id = ? ORDER BY image_id LIMIT 1",
                              (product_id,)).fetchone()
        if row is None:
            raise CatalogError(f"no product {product_id!r} in this catalog")
        info = self.product_info().get(product_id, ProductInfo(product_id))
        before = {"name": row[0], "brand": row[1], "label_text": info.label_text, "gtins": list(info.gtins)}
        after = {"name": before["name"] if name is None else clean(name),
                 "brand": before["brand"] if brand is None else clean(brand),
                 "label_text": before["label_text"] if label_text is None else label_text.strip(),
                 "gtins": before["gtins"] if gtins is None else list(dict.fromkeys(gtins))}
        changed = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
        if not changed:
            return {}
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("UPDATE refs SET name = ?, brand = ? WHERE product_id = ?",
                            (after["name"], after["brand"], product_id))
            self.db.execute("INSERT INTO product_info (product_id, label_text, gtins) VALUES (?, ?, ?) "
                            "ON CONFLICT (product_id) DO UPDATE SET label_text = excluded.label_text, "
                            "gtins = excluded.gtins", (product_id, after["label_text"], json.dumps(after["gtins"])))
            self._bump_generation()
            self._write_audit({"changed": changed})
        if "brand" in changed and self.store_kind == "milvus":
            # Milvus keeps each reference's brand (its partition key, what brand filters search): the
            # product's rows are written again with the new one. Interrupted between the two, the
            # next writer finds the rows missing and adds them from SQLite (``_reconcile``).
            ids, vectors = self.vectors([r.image_id for r in self.references(product_id=product_id)])
            self._write_store(self.store.remove, ids)
            self._write_store(self.store.add, ids, vectors, self._store_rows(ids))
        return changed

    def set_setting(self, key: str, value: str) -> None:
        self.save_derived(settings={key: value}, audit={"setting": key, "value": value})

    @contextmanager
    def audited(self, user: str, action: str, details: dict | None = None):
        """Within this block, every change this catalog commits carries its audit row (who, the
        action, ``details`` and what the transaction itself changed) in the same transaction: a
        change is never on disk without its record, even if the process is killed."""
        previous, self._audit = self._audit, (user, action, dict(details or {}))
        try:
            yield self
        finally:
            self._audit = previous

    def _write_audit(self, change: dict) -> None:
        """Inside a transaction: the audit row of the change, when changes are audited."""
        if self._audit is None:
            return
        user, action, details = self._audit
        self.db.execute("INSERT INTO audit (at, user, action, details) VALUES (?, ?, ?, ?)",
                        (_now(), user, action, json.dumps({**details, **change}, ensure_ascii=False)))

    def artifact(self, name: str) -> bytes | None:
        """A stored binary artifact (e.g. the fitted product head), or None."""
        try:
            row = self.db.execute("SELECT data FROM artifacts WHERE name = ?", (name,)).fetchone()
        except sqlite3.OperationalError:  # a catalog from before artifacts existed
            return None
        return bytes(row[0]) if row else None

    def save_derived(self, settings: dict[str, str] | None = None, artifacts: dict[str, bytes | None] | None = None,
                     audit: dict | None = None) -> None:
        """Write derived data (calibration, fitted heads) in one transaction: all of it or none.
        ``audit``: this is a change a person made (a setting): its audit row goes in too."""
        self._require_writable()
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            if audit is not None:
                self._write_audit(audit)
            for key, value in (settings or {}).items():
                self.db.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                                "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))
            for name, data in (artifacts or {}).items():
                if data is None:
                    self.db.execute("DELETE FROM artifacts WHERE name = ?", (name,))
                else:
                    self.db.execute("INSERT INTO artifacts (name, data) VALUES (?, ?) "
                                    "ON CONFLICT (name) DO UPDATE SET data = excluded.data", (name, data))
            self.db.execute("INSERT INTO meta (key, value) VALUES ('derived_version', '1') "
                            "ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1")

    def change_stamp(self) -> tuple[str, str]:
        """(generation, derived_version): changes whenever references or derived data (calibration,
        head, policy, index settings) change; cheap enough to read before every check."""
        rows = dict(self.db.execute(
            "SELECT key, value FROM meta WHERE key IN ('generation', 'derived_version')").fetchall())
        return rows.get("generation", "0"), rows.get("derived_version", "0")

    @property
    def index_mode(self) -> str:
        """``auto`` (the catalog picks its index type by size), ``flat`` or ``hnsw`` (pinned)."""
        return self.setting("index_mode") or "auto"

    def wanted_description(self) -> str:
        mode = self.index_mode
        if mode in ("flat", "hnsw"):
            return {"flat": FLAT, "hnsw": HNSW}[mode]
        wanted = choose_description(len(self))
        if self.index_description == HNSW and wanted == FLAT and len(self) >= HNSW_FROM // 2:
            return HNSW  # hysteresis: a few removals do not flip the index back and forth
        return wanted

    def rebuild_index(self, mode: str | None = None, progress: bool = False, store: StoreConfig | None = None) -> None:
        """Build the search index afresh from SQLite (the index type the mode asks for), write it,
        then record it. ``store`` moves the vectors to another store (FAISS <-> Milvus).

        FAISS: the file is written atomically, then its type recorded; a crash in between leaves a
        file whose type differs from the record, which the next open rebuilds. Milvus: a new
        collection is filled beside the old one, the catalog switches to it in one transaction,
        then the old one is dropped; a crash before the switch leaves the old one in use."""
        self._require_writable()
        if mode is not None:
            if mode not in ("auto", "flat", "hnsw"):
                raise ValueError(f"index mode must be auto, flat or hnsw, not {mode!r}")
            self.save_derived(settings={"index_mode": mode})
        target = store or self._store_config()
        description = self.wanted_description()
        settings = {"vector_store": target.kind}
        if target.kind == "milvus":
            moving = self.store_kind != "milvus" or resolve_uri(target.milvus_uri, self.path) != \
                resolve_uri(self.setting("milvus_uri") or "", self.path)
            version = int(self.setting("milvus_collection_version") or "0") + 1
            settings.update(_milvus_settings(self.path, target.milvus_uri, version,
                                             base=None if moving else self.setting("milvus_collection_base")))
            fresh = self._new_milvus(resolve_uri(target.milvus_uri, self.path), settings["milvus_collection"], description)
        else:
            fresh = FaissStore(self.embedder.dim, description)
        try:
            self._fill(fresh, description, progress)
            if fresh.kind == "faiss":
                fresh.save(self.path / INDEX_NAME)
            else:
                fresh.save()
                settings["store_synced_generation"] = str(self.generation)
        except BaseException:
            if fresh.kind == "milvus":
                _quietly(fresh.drop)
            fresh.close()
            raise
        settings.update(index_description=description, index_vectors_version=self.setting("vectors_version") or "0")
        self.save_derived(settings=settings, audit={"index": description, "vector_store": settings["vector_store"]})
        old, self.store = self.store, fresh
        if old.kind == "milvus" and (fresh.kind != "milvus" or old.collection != fresh.collection
                                     or old.uri != fresh.uri):
            _quietly(old.drop)  # servers still searching it notice the switch before their next check
        old.close()
        if fresh.kind == "milvus":
            (self.path / INDEX_NAME).unlink(missing_ok=True)  # a stale FAISS file would only mislead
        self.index_description = description
        self._dirty = False
        self._store_failed = False
        self._checkpointed_at = time.monotonic()

    def checkpoint(self) -> None:
        """Make the search index durable: FAISS writes its file (atomically), Milvus flushes and
        the catalog records that the store holds every committed reference. First switch the
        index type if the catalog has outgrown it (or shrunk below it), or rebuild it if removals
        left too many tombstones."""
        self._require_writable()
        if self.wanted_description() != self.index_description or self.store.needs_rebuild():
            self.rebuild_index()
            return
        if self.store.kind == "faiss":
            self.store.save(self.path / INDEX_NAME)
        else:
            self.store.save()
            if not self._store_failed:
                self._set_plain_setting("store_synced_generation", str(self.generation))
        self._dirty = False
        self._checkpointed_at = time.monotonic()

    def seconds_since_checkpoint(self) -> float:
        return time.monotonic() - self._checkpointed_at

    # ---- internals -----------------------------------------------------------------------

    def _store_config(self) -> StoreConfig:
        return StoreConfig(self.store_kind, self.setting("milvus_uri") or "")

    def _load_store(self):
        if self.store_kind == "milvus":
            return self._load_milvus()
        dim = self.embedder.dim
        index_file = self.path / INDEX_NAME
        store = None
        # Reconciling by id cannot see vectors that changed under the same ids (after `tune`): a
        # checkpoint of older vectors is discarded and the index rebuilt from SQLite.
        current = (self.setting("index_vectors_version") or "0") == (self.setting("vectors_version") or "0")
        if index_file.is_file() and current:
            try:
                store = FaissStore.load(index_file, dim, self.index_description)
            except Exception:
                store = None  # unreadable checkpoint: rebuilt from SQLite below
        if store is None:
            store = FaissStore(dim, self.index_description)
        repaired = self._reconcile(store)
        if (repaired or not current) and self.writable:
            store.save(index_file)
            self.save_derived(settings={"index_vectors_version": self.setting("vectors_version") or "0"})
        return store

    def _load_milvus(self) -> MilvusStore:
        """Readers use the shared collection as it is (they never write to it). The writer checks
        that it holds exactly SQLite's references unless the last writer recorded so (a writer
        killed between its SQLite commit and its Milvus write leaves that record behind)."""
        uri = resolve_uri(self._meta("milvus_uri"), self.path)
        name = self._meta("milvus_collection")
        current = (self.setting("index_vectors_version") or "0") == (self.setting("vectors_version") or "0")
        if not self.writable:
            return MilvusStore(uri, name, self.embedder.dim, self.index_description)
        store = self._new_milvus(uri, name, self.index_description, keep=True)
        try:
            previous = collection_name(self._meta("milvus_collection_base"),
                                       int(self._meta("milvus_collection_version")) - 1)
            if previous != name and store.client.has_collection(previous):  # left by a rebuild killed before its drop
                _quietly(lambda: store.client.drop_collection(previous))
            if not current:
                store.close()
                store = None
                self.store = _Empty()
                self.rebuild_index()
                return self.store
            if store.created or self.setting("store_synced_generation") != str(self.generation):
                self._reconcile(store)
                store.save()
                self._set_plain_setting("store_synced_generation", str(self.generation))
        except BaseException:
            if store is not None:
                store.close()
            raise
        return store

    def _new_milvus(self, uri: str, name: str, description: str, keep: bool = False) -> MilvusStore:
        """A store on collection ``name``: an existing one is kept (``keep``) or dropped first (a
        leftover of a rebuild that did not finish)."""
        store = MilvusStore(uri, name, self.embedder.dim, description, create=True)
        if not keep and store.ntotal:
            store.drop()
            store.close()
            store = MilvusStore(uri, name, self.embedder.dim, description, create=True)
        return store

    def _fill(self, store, description: str, progress: bool) -> None:
        from tqdm import tqdm

        ids = self.image_ids()
        for chunk in tqdm(list(_chunks(ids, 20_000)), desc=f"indexing ({describe_index(store.kind, description)})", unit="chunk",
                          disable=not progress, file=sys.stderr):
            chunk_ids, vectors = self.vectors(chunk)
            store.add(chunk_ids, vectors, self._store_rows(chunk_ids) if store.kind == "milvus" else None)

    def _write_store(self, operation, *args) -> None:
        """A store write after SQLite committed. If it fails, the catalog must not record the store
        as in step with SQLite; the next writer to open it reconciles the two."""
        try:
            operation(*args)
        except BaseException:
            self._store_failed = True
            raise

    def _store_rows(self, image_ids: np.ndarray) -> list[dict]:
        """product_id, brand and label of each id, in the order given (what Milvus filters on)."""
        found: dict[int, dict] = {}
        for chunk in _chunks([int(i) for i in image_ids], 500):
            marks = ",".join("?" * len(chunk))
            for image_id, product_id, brand, label in self.db.execute(
                    f"SELECT image_id, product_id, brand, label FROM refs WHERE image_id IN ({marks})", chunk):
                found[image_id] = {"product_id": product_id, "brand": brand, "label": label}
        return [found[int(i)] for i in image_ids]

    def _set_plain_setting(self, key: str, value: str) -> None:
        """A bookkeeping setting that readers need not react to (no change stamp)."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                            "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    def _reconcile(self, store) -> bool:
        """Make the index hold exactly SQLite's references; True if anything had to change."""
        truth = self.image_ids()
        indexed = store.ids()
        extra = np.setdiff1d(indexed, truth, assume_unique=True)
        missing = np.setdiff1d(truth, indexed, assume_unique=True)
        if len(extra):
            store.remove(extra)
        if len(missing):
            ids, vectors = self.vectors(missing)
            store.add(ids, vectors, self._store_rows(ids))
        return bool(len(extra) or len(missing))

    def _meta(self, key: str) -> str:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise CatalogError(f"{self.path}: catalog is damaged (setting {key!r} missing)")
        return row[0]

    def _bump_generation(self) -> None:
        self.db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")

    def _require_writable(self) -> None:
        if not self.writable:
            raise CatalogError(f"{self.path}: catalog was opened read-only")


_REF_COLUMNS = "image_id, product_id, label, name, brand, view, source_path, sha256, added_at"


def _connect(path: Path, read_only_folder: bool = False, existing: bool = False):
    """A connection (WAL, synchronous writes). ``existing``: first make sure the file is a catalog
    (before anything, even the journal mode, is written to it) and return (connection, format)."""
    if read_only_folder:
        # WAL needs its -shm file next to the database; on a read-only disk SQLite can still read
        # a database that nothing changes while it is open
        db = sqlite3.connect(f"file:{path}?immutable=1", uri=True, timeout=30, isolation_level=None,
                             check_same_thread=False)
        return (db, _format_version(db, path)) if existing else db
    db = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
    version = _format_version(db, path) if existing else None
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    db.execute("PRAGMA foreign_keys = ON")
    return (db, version) if existing else db


def _format_version(db: sqlite3.Connection, path: Path) -> int:
    """The catalog format of the database at ``path``; a sentence, not a traceback, for a file that
    is not a catalog (another program's database, a file that is not SQLite at all)."""
    try:
        row = db.execute("SELECT value FROM meta WHERE key = 'format_version'").fetchone()
    except sqlite3.DatabaseError as exc:
        db.close()
        raise CatalogError(f"{path}: this database was not made by the verifier ({exc}); is this the right "
                           "folder? Nothing was changed.") from None
    if row is None:
        db.close()
        raise CatalogError(f"{path}: this database was not made by the verifier (no format version); "
                           "is this the right folder? Nothing was changed.")
    return int(row[0])


def _acquire_write_lock(path: Path):
    """One writer per catalog; the OS drops the lock if the process dies, even by SIGKILL."""
    handle = open(path / ".write.lock", "a+")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise CatalogError(f"{path}: another process is changing this catalog; wait for it to finish") from None
    return handle


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _describe_reading(setting: str | None) -> str:
    spec = json.loads(setting) if setting else {}
    parts = [name for name, key in (("label text", "text"), ("barcodes", "codes")) if spec.get(key)]
    return " and ".join(parts) if parts else "nothing (appearance only)"


def describe_index(store_kind: str, description: str) -> str:
    if store_kind == "faiss":
        return description
    return f"Milvus {'HNSW (M 32)' if 'HNSW' in description else 'FLAT'}"


def _milvus_settings(catalog_dir: Path, uri: str, version: int, base: str | None = None) -> dict[str, str]:
    """Settings of a Milvus-backed catalog: its URI as given (a relative Milvus Lite file stays
    relative to the catalog folder, so the folder can move) and one collection of its own."""
    resolve_uri(uri, catalog_dir)  # refuses a malformed URI before anything is written
    if base is None:
        import uuid

        base = f"{Path(catalog_dir).resolve().name}_{uuid.uuid4().hex[:8]}"
    return {"milvus_uri": uri, "milvus_collection_base": base, "milvus_collection_version": str(version),
            "milvus_collection": collection_name(base, version), "store_synced_generation": "0"}


class _Empty:
    """Stands in while the store is rebuilt from nothing."""

    kind = "none"

    def close(self) -> None:
        pass


def _quietly(operation) -> None:
    try:
        operation()
    except Exception:
        pass


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _chunks(items: Sequence, size: int):
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
