"""The vector store: FAISS behind a small interface, so another backend can slot in later.

Vectors are unit length and compared by inner product (= cosine similarity). Ids are the
catalog's image ids, so search results map straight back to SQLite rows.
"""

from __future__ import annotations

import os
from pathlib import Path

import faiss
import numpy as np

DEFAULT_DESCRIPTION = "IDMap2,Flat"


class FaissStore:
    def __init__(self, dim: int, description: str = DEFAULT_DESCRIPTION, index=None):
        self.dim = dim
        self.description = description
        self.index = index if index is not None else faiss.index_factory(dim, description, faiss.METRIC_INNER_PRODUCT)

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    def ids(self) -> np.ndarray:
        return faiss.vector_to_array(self.index.id_map).astype(np.int64)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self.index.add_with_ids(_as_float32(vectors), np.asarray(ids, dtype=np.int64))

    def remove(self, ids) -> int:
        ids = np.asarray(list(ids), dtype=np.int64)
        if not len(ids):
            return 0
        return int(self.index.remove_ids(faiss.IDSelectorBatch(ids)))

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(similarities, ids), each (n, k); missing neighbours have id -1."""
        k = max(1, min(k, self.ntotal)) if self.ntotal else 1
        if not self.ntotal:
            n = len(queries)
            return np.full((n, k), -np.inf, dtype=np.float32), np.full((n, k), -1, dtype=np.int64)
        return self.index.search(_as_float32(queries), k)

    def save(self, path: Path) -> None:
        """Write atomically: a reader or a crash sees the old file or the new one, never half."""
        path = Path(path)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        faiss.write_index(self.index, str(tmp))
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        fsync_dir(path.parent)

    @classmethod
    def load(cls, path: Path, dim: int, description: str) -> "FaissStore":
        index = faiss.read_index(str(path))
        if index.d != dim:
            raise ValueError(f"{path}: index has dimension {index.d}, the catalog says {dim}")
        return cls(dim, description, index=index)


def _as_float32(vectors: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(vectors, dtype=np.float32)


def fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
