"""What a genuine photo of each product scores, learnt from that product's own references.

For every genuine reference we compute, without letting it (or its near-duplicates) see itself:
- its *claim score*: the log-probability that the product head, fitted on the other folds, gives
  its own product (see ``index/head.py``);
- its *similarity*: cosine similarity to the nearest other reference of its product that is not
  a near-duplicate of it.
A query's score for a product is placed among that product's values: the share of genuine
references that scored as low or lower is a conformal p-value for "this is a genuine photo of the
product". ``counterfeit_score = 1 - p``. Products with fewer than ``MIN_VALUES`` references fall
back to their brand's pooled values, then to the whole catalog's.

Calibration is derived data: stored in the catalog with the generation it was computed for and
recomputed when references change.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np

from . import head as head_module
from ..storing.catalog import Catalog

MIN_VALUES = 10
SETTING = "calibration"
FORMAT = 2  # bump when the stored calibration changes meaning
HEAD_ARTIFACT = "product_head"
MAX_PER_PRODUCT = 400  # cap the references per product used for fitting (large catalogs)


@dataclass(frozen=True)
class Calibration:
    generation: int
    #: product -> sorted out-of-fold claim scores of its genuine references
    claim_scores: dict[str, tuple[float, ...]] = field(default_factory=dict)
    #: product -> sorted leave-one-out similarities of its genuine references
    similarities: dict[str, tuple[float, ...]] = field(default_factory=dict)
    brands: dict[str, str] = field(default_factory=dict)
    head: head_module.ProductHead | None = None

    def claim_p_value(self, product: str, score: float) -> tuple[float, str]:
        """(p-value, calibration level: product, brand or catalog) of a claim score for a product."""
        return self._p_value("claim_scores", product, score)

    def similarity_p_value(self, product: str, similarity: float) -> tuple[float, str]:
        return self._p_value("similarities", product, similarity)

    def _p_value(self, table: str, product: str, score: float) -> tuple[float, str]:
        """Conformal p-value among the product's values (else its brand's, else the catalog's).

        Below every value seen, the empirical p-value would stop at 1/(n+1) however far off the
        score is; there the tail is extrapolated with a normal fitted to the same values, so a
        photo far from anything genuine gets a p-value to match."""
        values, level = self._values(table, product)
        if not len(values):
            return float("nan"), "none"
        p = _p_value(values, score)
        if score < values[0] and len(values) >= 2:
            mean, std = float(np.mean(values)), max(float(np.std(values)), 1e-3)
            p *= _normal_cdf((score - mean) / std) / max(_normal_cdf((values[0] - mean) / std), 1e-300)
        return p, level

    def claim_threshold(self, product: str, false_alarm_rate: float) -> float | None:
        values, _ = self._values("claim_scores", product)
        return float(np.quantile(values, false_alarm_rate)) if len(values) else None

    def _values(self, name: str, product: str) -> tuple[np.ndarray, str]:
        """The calibration values for a product: its own, else its brand's, else the catalog's."""
        table = getattr(self, name)
        own = table.get(product, ())
        if len(own) >= MIN_VALUES:
            return np.asarray(own), "product"
        brand = self.brands.get(product, "")
        if brand:
            pooled = [v for p, values in table.items() if self.brands.get(p) == brand for v in values]
            if len(pooled) >= MIN_VALUES:
                return np.sort(pooled), "brand"
        return self._pooled(name), "catalog"

    def _pooled(self, name: str) -> np.ndarray:
        cache = self.__dict__.setdefault("_pooled_cache", {})  # frozen dataclass: cache beside the fields
        if name not in cache:
            cache[name] = np.sort([v for values in getattr(self, name).values() for v in values])
        return cache[name]

    def summary(self, false_alarm_rate: float) -> dict[str, dict]:
        """Per product: how many calibration values, at which level, and the claim threshold."""
        out = {}
        for product in sorted(set(self.similarities) | set(self.claim_scores)):
            _, level = self._values("claim_scores", product)
            threshold = self.claim_threshold(product, false_alarm_rate)
            out[product] = {
                "references": len(self.similarities.get(product, ())) or None,
                "level": level,
                "claim_threshold": None if threshold is None else round(threshold, 4),
            }
        return out

    def to_json(self) -> str:
        return json.dumps({
            "format": FORMAT,
            "generation": self.generation,
            "claim_scores": {p: [round(v, 4) for v in values] for p, values in self.claim_scores.items()},
            "similarities": {p: [round(v, 4) for v in values] for p, values in self.similarities.items()},
            "brands": self.brands,
        })

    @classmethod
    def from_json(cls, text: str, head: head_module.ProductHead | None) -> "Calibration":
        data = json.loads(text)
        return cls(
            int(data["generation"]),
            {p: tuple(v) for p, v in data.get("claim_scores", {}).items()},
            {p: tuple(v) for p, v in data.get("similarities", {}).items()},
            data.get("brands", {}),
            head,
        )


def compute(catalog: Catalog) -> Calibration:
    rows = catalog.db.execute(
        "SELECT image_id, product_id, brand FROM refs WHERE label = 'genuine' ORDER BY image_id").fetchall()
    rng = np.random.default_rng(0)
    by_product: dict[str, list[int]] = {}
    brands: dict[str, str] = {}
    for image_id, product_id, brand in rows:
        by_product.setdefault(product_id, []).append(image_id)
        if brand:
            brands[product_id] = brand
    for product, ids in by_product.items():
        if len(ids) > MAX_PER_PRODUCT:
            by_product[product] = sorted(rng.choice(ids, MAX_PER_PRODUCT, replace=False).tolist())
    ids = [i for product_ids in by_product.values() for i in product_ids]
    products = [p for p, product_ids in by_product.items() for _ in product_ids]
    if not ids:
        return Calibration(catalog.generation)
    id_array, vectors = catalog.vectors(ids)
    order = {int(i): row for row, i in enumerate(id_array)}
    vectors = vectors[[order[i] for i in ids]]

    # After `tune`, the backbone has seen its training references: their scores are optimistic
    # (measured: 32% false alarms when calibrated on them). Calibrate on the references it did not
    # train on (held out at tuning, or added since); the head still learns from all of them.
    trained = trained_ids(catalog)
    usable = np.array([i not in trained for i in ids]) if trained else np.ones(len(ids), bool)

    similarities: dict[str, list[float]] = {}
    start = 0
    for product, product_ids in by_product.items():
        own = vectors[start : start + len(product_ids)]  # ids are laid out product by product
        keep = usable[start : start + len(product_ids)]
        start += len(product_ids)
        if len(own) < 2:
            continue
        sims = own @ own.T
        sims[sims >= head_module.NEAR_DUPLICATE] = -np.inf  # itself and its near-duplicates
        best = sims.max(axis=1)[keep]
        if len(best):
            similarities[product] = sorted(float(v) for v in best[np.isfinite(best)])

    head, oof = head_module.fit(vectors, products, catalog.generation)
    claim_scores: dict[str, list[float]] = {}
    for product, score, ok in zip(products, oof, usable):
        if ok and np.isfinite(score):
            claim_scores.setdefault(product, []).append(float(score))
    return Calibration(
        catalog.generation,
        {p: tuple(sorted(v)) for p, v in claim_scores.items()},
        {p: tuple(v) for p, v in similarities.items()},
        brands,
        head,
    )


#: Artifact: JSON list of the image ids the catalog's tuned backbone was trained on.
TRAINED_IDS_ARTIFACT = "tuned_on_ids.json"


def trained_ids(catalog: Catalog) -> set[int]:
    blob = catalog.artifact(TRAINED_IDS_ARTIFACT)
    return set(json.loads(blob)) if blob else set()


def current(catalog: Catalog) -> Calibration:
    """The calibration for the catalog as it is now; recomputed (and saved, if writable) when stale."""
    stored = catalog.setting(SETTING)
    if stored:
        data = json.loads(stored)
        generation = data.get("generation")
        if data.get("format") == FORMAT and generation == catalog.generation:
            blob = catalog.artifact(HEAD_ARTIFACT)
            head = head_module.ProductHead.from_bytes(blob) if blob else None
            if head is None or head.generation == generation:
                return Calibration.from_json(stored, head)
    calibration = compute(catalog)
    if catalog.writable:
        save(catalog, calibration)
    return calibration


def refresh(catalog: Catalog) -> Calibration:
    calibration = compute(catalog)
    save(catalog, calibration)
    return calibration


def save(catalog: Catalog, calibration: Calibration) -> None:
    """Head and calibration in one transaction, so they always belong to the same generation."""
    catalog.save_derived(
        settings={SETTING: calibration.to_json()},
        artifacts={HEAD_ARTIFACT: calibration.head.to_bytes() if calibration.head else None},
    )


def _normal_cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def _p_value(values: np.ndarray, score: float) -> float:
    if not len(values):
        return float("nan")
    at_or_below = int(np.searchsorted(values, score, side="right"))
    return (1 + at_or_below) / (len(values) + 1)
