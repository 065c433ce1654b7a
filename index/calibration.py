"""What similarity a genuine photo of a catalog product usually reaches.

For every genuine reference (a sample of them in large catalogs) we take its similarity to the
nearest *other* genuine reference of the same product: the leave-one-out distribution of
genuine-to-genuine similarity. A query's similarity to a product is then placed in that
distribution, which gives an empirical p-value for "this is a genuine photo of the product"
that means the same thing whatever the model's similarity scale.

This is catalog-level calibration; per-product calibration is the verification engine's job.
The calibration is derived data, tied to the catalog generation it was computed for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from .catalog import Catalog

MAX_ROWS_PER_PRODUCT = 200
MAX_SAMPLE = 20_000
SETTING = "calibration"


@dataclass(frozen=True)
class Calibration:
    generation: int
    #: Sorted leave-one-out nearest same-product similarities of genuine references.
    genuine_nn: tuple[float, ...]

    @property
    def usable(self) -> bool:
        return len(self.genuine_nn) >= 2

    def p_value(self, similarity: float) -> float:
        """Conformal p-value that a photo with this similarity is a genuine one (higher: more typical)."""
        values = self.genuine_nn
        at_or_below = int(np.searchsorted(values, similarity, side="right"))
        return (1 + at_or_below) / (len(values) + 1)

    def quantile(self, q: float) -> float:
        return float(np.quantile(self.genuine_nn, q)) if self.genuine_nn else float("nan")

    def to_json(self) -> str:
        return json.dumps({"generation": self.generation, "genuine_nn": [round(v, 5) for v in self.genuine_nn]})

    @classmethod
    def from_json(cls, text: str) -> "Calibration":
        data = json.loads(text)
        return cls(int(data["generation"]), tuple(float(v) for v in data["genuine_nn"]))


def compute(catalog: Catalog, seed: int = 0) -> Calibration:
    rng = np.random.default_rng(seed)
    rows = catalog.db.execute("SELECT product_id, image_id FROM refs WHERE label = 'genuine' ORDER BY image_id").fetchall()
    by_product: dict[str, list[int]] = {}
    for product_id, image_id in rows:
        by_product.setdefault(product_id, []).append(image_id)
    similarities: list[float] = []
    for ids in by_product.values():
        if len(ids) < 2:
            continue
        _, vectors = catalog.vectors(ids)
        rows_idx = np.arange(len(ids))
        if len(ids) > MAX_ROWS_PER_PRODUCT:
            rows_idx = rng.choice(len(ids), MAX_ROWS_PER_PRODUCT, replace=False)
        gram = vectors[rows_idx] @ vectors.T
        gram[np.arange(len(rows_idx)), rows_idx] = -np.inf  # leave the reference itself out
        similarities.extend(gram.max(axis=1).tolist())
    values = np.sort(np.asarray(similarities, dtype=np.float64))
    if len(values) > MAX_SAMPLE:
        values = values[np.linspace(0, len(values) - 1, MAX_SAMPLE).astype(int)]
    return Calibration(catalog.generation, tuple(values.tolist()))


def current(catalog: Catalog) -> Calibration:
    """The calibration for the catalog as it is now; recomputed (and saved, if writable) when stale."""
    stored = catalog.setting(SETTING)
    if stored:
        calibration = Calibration.from_json(stored)
        if calibration.generation == catalog.generation:
            return calibration
    calibration = compute(catalog)
    if catalog.writable:
        catalog.set_setting(SETTING, calibration.to_json())
    return calibration


def refresh(catalog: Catalog) -> Calibration:
    calibration = compute(catalog)
    catalog.set_setting(SETTING, calibration.to_json())
    return calibration


__all__ = ["Calibration", "compute", "current", "refresh"]
