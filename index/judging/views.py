"""Which view of the item a photo shows (box label, insole, tongue, sole, cap, batch print ...),
learnt from the references' ``view`` (the manifest's column).

Counterfeits are told apart by details, and a detail is only comparable with the same detail:
patches of a tongue against patches of a box label told real and fake sneakers apart no better than
chance (FINDINGS.md). So each checked photo is assigned a view (the inspector can correct it),
and the authenticity models judge it against the same view of the genuine references and of the
fakes (``index.judging.authenticity``).

A softmax head over the catalog's views on the stored vectors, like the product head: seconds to
fit, no photos needed. A photo the head is unsure about (below ``MIN_PROBABILITY``) gets no view,
and the product's all-view model judges it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from . import head as head_module

#: A view needs this many references to be learnt.
MIN_REFERENCES = 3
#: Below this probability a photo is not assigned a view.
MIN_PROBABILITY = 0.5


@dataclass(frozen=True)
class ViewHead:
    views: tuple[str, ...]
    weight: np.ndarray
    bias: np.ndarray
    generation: int

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        logits = head_module.SCALE * (np.asarray(vectors, np.float32) @ self.weight) + self.bias
        return np.exp(head_module.log_softmax(logits))

    def assign(self, vectors: np.ndarray) -> list[str]:
        """Each photo's view, or "" when the head is unsure."""
        if not len(vectors):
            return []
        probabilities = self.probabilities(vectors)
        best = probabilities.argmax(axis=1)
        return [self.views[b] if probabilities[i, b] >= MIN_PROBABILITY else "" for i, b in enumerate(best)]

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez(buffer, views=np.array(self.views, dtype=str), weight=self.weight.astype(np.float32),
                 bias=self.bias.astype(np.float32), generation=np.array(self.generation))
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes | None) -> "ViewHead | None":
        if not data:
            return None
        with np.load(io.BytesIO(data), allow_pickle=False) as a:
            return cls(tuple(str(v) for v in a["views"]), a["weight"], a["bias"], int(a["generation"]))


def fit(vectors: np.ndarray, views: list[str], generation: int) -> ViewHead | None:
    """A head over the views with at least ``MIN_REFERENCES`` references each; None with fewer
    than two such views (nothing to tell apart)."""
    names = np.asarray([(v or "").strip().casefold() for v in views], dtype=object)
    counts = {v: int((names == v).sum()) for v in set(names) if v}
    known = sorted(v for v, n in counts.items() if n >= MIN_REFERENCES)
    if len(known) < 2:
        return None
    chosen = np.isin(names, known)
    column = {v: i for i, v in enumerate(known)}
    y = np.array([column[v] for v in names[chosen]])
    weight, bias = head_module.fit_linear_any(np.asarray(vectors, np.float32)[chosen], y, len(known))
    return ViewHead(tuple(known), weight.astype(np.float32), bias.astype(np.float32), generation)


#: Views that say how or where a photo was taken, not which part of the item it shows: nothing an
#: inspector can be asked to photograph.
CAPTURE_CONTEXTS = frozenset({"", "shelf", "catalog", "seized", "listing", "studio", "photo"})

#: The general photo advice (``index.judging.messages.ADVICE``) that a view of the item already asks
#: for: a product photographed view by view is not also asked for "the front label" when its
#: "label" view is on the list.
ADVICE_COVERED_BY = {
    "photo_label": frozenset({"label", "front label", "box label"}),
    "photo_barcode": frozenset({"barcode"}),
    "photo_batch_code": frozenset({"batch print", "batch code"}),
    "photo_logo": frozenset({"logo"}),
}


def covered_advice(views) -> set[str]:
    """The general advice keys that ``views`` (asked for by name) already cover."""
    named = {(view or "").strip().casefold() for view in views}
    return {key for key, covering in ADVICE_COVERED_BY.items() if covering & named}


def capture_views(reference_views: list[tuple[str, int]], separating: list[str]) -> list[tuple[str, bool]]:
    """What to photograph of a product, view by view: (view, whether its known fakes differ there).
    The views that separate its fakes first (``separating``, best first), then the other views its
    genuine references show (``reference_views``: (view, photos), most photographed first); views
    that only name how a photo was taken (``CAPTURE_CONTEXTS``) left out."""
    shown = [view for view, _ in reference_views]
    plan = [(view, True) for view in separating if view not in CAPTURE_CONTEXTS]
    taken = {view for view, _ in plan}
    plan += [(view, False) for view in shown if view not in CAPTURE_CONTEXTS and view not in taken]
    return plan
