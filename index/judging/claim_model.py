"""The claim model: the probability that a case's photos show a given product, from every piece
of evidence (``index.judging.evidence``), learnt from the catalog's own references.

A logistic regression over the evidence features, fitted out of fold (calibration) on:
- positives: each genuine reference against its own product, scored by heads, nearest references
  and text profiles that never saw its photo session;
- look-alike negatives: the same references against the 3 products the head confuses them with
  most (a counterfeit is dressed as the product it most resembles);
- unknown-product negatives: references of products left out of the catalog altogether (5 groups
  of products), against the product they are then taken for.
One model for the whole catalog (its weights say how much each kind of evidence counts), so it
learns from every product's references; the thresholds on its output are set from the same
out-of-fold negatives (``index.judging.calibration``). Stored as a plain ``.npz`` (no pickle).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from .evidence import FEATURES

#: Inverse regularisation strength of the logistic regression (scikit-learn's default; the
#: features are standardised, and there are thousands of examples for 8 weights).
C = 1.0


@dataclass(frozen=True)
class ClaimModel:
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    generation: int = 0

    def probability(self, features: np.ndarray) -> np.ndarray:
        z = ((np.asarray(features, np.float64) - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -60, 60)))

    def weights(self) -> dict[str, float]:
        """How much each kind of evidence counts (per standard deviation of that feature)."""
        return {name: round(float(w), 3) for name, w in zip(FEATURES, self.coef)}

    @classmethod
    def fit(cls, features: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None,
            generation: int = 0) -> "ClaimModel":
        from sklearn.linear_model import LogisticRegression

        features = np.asarray(features, np.float64)
        mean = features.mean(axis=0)
        scale = features.std(axis=0)
        scale[scale < 1e-9] = 1.0  # a feature that never varies (no text read anywhere) gets no weight
        model = LogisticRegression(C=C, max_iter=2000, class_weight="balanced")
        model.fit((features - mean) / scale, np.asarray(labels, int), sample_weight=weights)
        return cls(mean, scale, model.coef_[0].astype(np.float64), float(model.intercept_[0]), generation)

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez(buffer, mean=self.mean, scale=self.scale, coef=self.coef, intercept=np.array(self.intercept),
                 generation=np.array(self.generation), features=np.array(FEATURES))
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> "ClaimModel | None":
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            if tuple(str(f) for f in arrays["features"]) != FEATURES:
                return None  # fitted on other evidence: refitted by the next calibration
            return cls(arrays["mean"], arrays["scale"], arrays["coef"], float(arrays["intercept"]),
                       int(arrays["generation"]))
