"""Known fakes as evidence: a genuine-versus-counterfeit model for each product whose catalog
holds seized fakes (or, failing that, for its brand), calibrated out of fold.

"The nearest reference is a fake" uses one photo; a model fitted on all of a product's genuine
and counterfeit references learns *what* tells them apart (a print, a colour, a shape) and weighs
every photo of a case by it. FINDINGS.md: on a small real-versus-fake sneaker set, a linear
model on the same frozen features lifted the per-case AUROC from 0.54 (nearest reference) to 0.80.

Each model is a logistic regression on the catalog's vectors. Its out-of-fold scores on the
product's *genuine* references (folds grouped by photo session) are the calibration: a case is
called counterfeit only when it looks more like the fakes than all but ``false_alarm_rate`` of
genuine photos do, and more fake than genuine. Stored as one ``.npz`` (no pickle).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

#: Counterfeit references a product (or brand) needs for a model of its own.
MIN_FAKES = 3
MIN_GENUINE = 3
FOLDS = 5
#: The catalog's unit vectors are scaled like the product head's logits (``head.SCALE``), so a
#: moderately regularised model can reach confident outputs.
SCALE = 10.0
C = 1.0


@dataclass(frozen=True)
class FakeModel:
    #: A product id, or ``brand:<name>`` for a brand's pooled model.
    scope: str
    weight: np.ndarray
    bias: float
    #: Out-of-fold log-odds of "fake" for the scope's genuine references, sorted.
    genuine_scores: np.ndarray
    #: How many counterfeit and genuine references the model was fitted on (for reports).
    fakes: int = 0
    genuine: int = 0

    def score(self, vectors: np.ndarray) -> float:
        """Mean log-odds over the photos of a case that it shows a fake of the scope."""
        return float(np.mean(SCALE * np.asarray(vectors, np.float64) @ self.weight + self.bias))

    def p_value(self, score: float) -> float:
        """Share of genuine references that look at least as fake (conformal, with the case). Above
        every genuine score the tail is extrapolated with a normal fitted to them, so that a few
        dozen genuine references can still tell a clear fake (a plain conformal p-value cannot go
        below 1/(n+1))."""
        values = self.genuine_scores
        at_or_above = len(values) - int(np.searchsorted(values, score, side="left"))
        p = (1 + at_or_above) / (len(values) + 1)
        if at_or_above == 0 and len(values) >= 2:
            mean, std = float(np.mean(values)), max(float(np.std(values)), 1e-3)
            p *= _normal_sf((score - mean) / std) / max(_normal_sf((values[-1] - mean) / std), 1e-300)
        return p


class FakeModels:
    def __init__(self, models: dict[str, FakeModel] | None = None):
        self.models = models or {}

    def __bool__(self) -> bool:
        return bool(self.models)

    def for_product(self, product: str, brand: str = "") -> FakeModel | None:
        return self.models.get(product) or (self.models.get(f"brand:{brand.casefold()}") if brand else None)

    def to_bytes(self) -> bytes:
        scopes = sorted(self.models)
        models = [self.models[s] for s in scopes]
        buffer = io.BytesIO()
        np.savez(buffer, scopes=np.array(scopes, dtype=str),
                 weights=np.stack([m.weight for m in models]) if models else np.zeros((0, 0)),
                 biases=np.array([m.bias for m in models]),
                 counts=np.array([[m.fakes, m.genuine] for m in models], dtype=np.int64).reshape(-1, 2),
                 scores=np.concatenate([m.genuine_scores for m in models]) if models else np.zeros(0),
                 lengths=np.array([len(m.genuine_scores) for m in models], dtype=np.int64))
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes | None) -> "FakeModels":
        if not data:
            return cls()
        with np.load(io.BytesIO(data), allow_pickle=False) as a:
            offsets = np.concatenate([[0], np.cumsum(a["lengths"])])
            return cls({str(scope): FakeModel(str(scope), a["weights"][i], float(a["biases"][i]),
                                              a["scores"][offsets[i]:offsets[i + 1]], int(a["counts"][i][0]),
                                              int(a["counts"][i][1]))
                        for i, scope in enumerate(a["scopes"])})


def fit(vectors: np.ndarray, products: list[str], labels: list[str], brands: dict[str, str],
        groups: np.ndarray) -> FakeModels:
    """A model per product with enough fakes, and per brand for the brand's other products.

    ``labels``: genuine/counterfeit per reference; ``groups``: photo-session id per reference
    (whole sessions go to one fold)."""
    products_arr = np.asarray(products)
    fake = np.asarray(labels) == "counterfeit"
    brand_of = np.array([brands.get(p, "").casefold() for p in products])
    models: dict[str, FakeModel] = {}
    scopes: list[tuple[str, np.ndarray]] = []
    for product in sorted(set(products_arr[fake])):
        members = products_arr == product
        scopes.append((product, members))
    for brand in sorted({b for b in brand_of[fake] if b}):
        scopes.append((f"brand:{brand}", brand_of == brand))
    for scope, members in scopes:
        n_fake, n_genuine = int((members & fake).sum()), int((members & ~fake).sum())
        if n_fake < MIN_FAKES or n_genuine < MIN_GENUINE:
            continue
        index = np.flatnonzero(members)
        model = _fit_scope(scope, vectors[index], fake[index], groups[index])
        if model is not None:
            models[scope] = model
    return FakeModels(models)


def _normal_sf(z: float) -> float:
    import math

    return 0.5 * math.erfc(z / math.sqrt(2.0))


def _fit_scope(scope: str, x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> FakeModel | None:
    from sklearn.linear_model import LogisticRegression

    x = SCALE * np.asarray(x, np.float64)
    rng = np.random.default_rng(0)
    unique = np.unique(groups)
    fold_of = dict(zip(unique, rng.permutation(len(unique)) % FOLDS))
    folds = np.array([fold_of[g] for g in groups])
    oof = np.full(len(y), np.nan)
    for k in range(FOLDS):
        held = folds == k
        train = ~held
        if not held.any() or len(set(y[train])) < 2:
            continue
        m = LogisticRegression(C=C, max_iter=2000, class_weight="balanced").fit(x[train], y[train])
        oof[held] = m.decision_function(x[held])
    genuine_scores = np.sort(oof[~y & np.isfinite(oof)])
    if len(genuine_scores) < MIN_GENUINE:
        return None
    final = LogisticRegression(C=C, max_iter=2000, class_weight="balanced").fit(x, y)
    return FakeModel(scope, final.coef_[0].astype(np.float64), float(final.intercept_[0]), genuine_scores,
                     int(y.sum()), int((~y).sum()))
