"""Synthetic embeddings shaped like a real catalog's, for benchmarks and index tests at sizes no
photo collection here reaches (100k, 1M).

Real EfficientNet-Lite0 reference vectors (2,721 Grocery Store photos, build/cat_all) have a
mean pairwise cosine of 0.38, a mean nearest-neighbour cosine of 0.89, and 90% of their
variance in 226 dimensions. This generator draws products as centres in a 256-d latent space
with a decaying spectrum, photos as centre + noise, maps them into 1280-d around a shared mean
direction and adds a little isotropic noise: mean cosine 0.35, nearest neighbour 0.81 at 2,721
vectors, 90% of variance in 224 dimensions. Queries are new photos of the same products.
Random Gaussian vectors would be far easier for exact search and far harder for a graph index
than real embeddings; this is closer to both.
"""

from __future__ import annotations

import numpy as np


def catalog_like(n: int, queries: int = 0, dim: int = 1280, per_product: int = 35, seed: int = 0,
                 chunk: int = 50_000) -> tuple[np.ndarray, np.ndarray]:
    """(references (n, dim), queries (queries, dim)), float32, unit length."""
    rng = np.random.default_rng(seed)
    latent = 256
    products = max(1, n // per_product)
    spectrum = (np.arange(1, latent + 1) ** -0.4).astype(np.float32)
    basis = np.linalg.qr(rng.standard_normal((dim, latent)))[0].T.astype(np.float32)
    basis *= spectrum[:, None] * np.sqrt(latent / float((spectrum ** 2).sum()))
    mean = rng.standard_normal(dim).astype(np.float32)
    mean /= np.linalg.norm(mean)
    centres = rng.standard_normal((products, latent)).astype(np.float32)

    def draw(count: int) -> np.ndarray:
        out = np.empty((count, dim), np.float32)
        for start in range(0, count, chunk):
            stop = min(count, start + chunk)
            z = centres[rng.integers(0, products, stop - start)]
            z = z + 0.6 * rng.standard_normal(z.shape).astype(np.float32)
            x = 0.9 * mean + (z @ basis) / np.sqrt(latent)
            x += 0.012 * rng.standard_normal(x.shape).astype(np.float32)
            x /= np.linalg.norm(x, axis=1, keepdims=True)
            out[start:stop] = x
        return out

    return draw(n), draw(queries)
