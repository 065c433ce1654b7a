"""The one result type of a check, used alike by the command line, the app, reports and evaluation."""

from __future__ import annotations

from dataclasses import dataclass, field

OUTCOMES = ("genuine", "suspicious", "counterfeit", "unknown")


@dataclass(frozen=True)
class Match:
    """Evidence: the best reference of one product (and label) for the photos checked."""

    product_id: str
    label: str
    similarity: float
    image_id: int
    name: str = ""
    brand: str = ""
    view: str = ""
    sha256: str = ""
    #: The product head's probability for this product (genuine entries), when the catalog has one.
    probability: float | None = None

    def to_dict(self) -> dict:
        return {
            "product_id": self.product_id,
            "label": self.label,
            "similarity": round(float(self.similarity), 4),
            "image_id": int(self.image_id),
            "name": self.name,
            "brand": self.brand,
            "view": self.view,
            "probability": None if self.probability is None else round(self.probability, 4),
        }


@dataclass(frozen=True)
class PhotoError:
    path: str
    reason: str

    def to_dict(self) -> dict:
        return {"path": self.path, "reason": self.reason}


@dataclass(frozen=True)
class Verdict:
    verdict: str
    counterfeit_score: float | None
    product_id: str | None
    claimed_product_id: str | None
    explanation: str
    photos: tuple[str, ...]
    case_id: str | None = None
    flags: tuple[str, ...] = ()
    matches: tuple[Match, ...] = ()
    errors: tuple[PhotoError, ...] = ()
    model: str = ""
    catalog_generation: int = 0
    checked_at: str = ""
    details: dict = field(default_factory=dict)
    #: Region evidence for the best genuine match: a grid of best-match similarities over the
    #: part of the photo the model sees (``box``), for drawing as a heatmap.
    regions: dict | None = None
    #: What to photograph next (keys of ``index.judging.messages.ADVICE``) when inconclusive.
    advice: tuple[str, ...] = ()
    #: What was read on the photos (text, barcodes) against the product judged, and the known
    #: fakes model, for a person to check.
    evidence: dict = field(default_factory=dict)
    #: The catalog product the photos look most like (first in identification order), whatever
    #: was claimed: beside ``product_id``, the product the verdict judges (the claim, when one was
    #: given), it says "claimed God Morgon, looks like Bravo" without reading ``details``.
    looks_like_product_id: str | None = None

    @property
    def judged_product_id(self) -> str | None:
        """The product the verdict is about: the claimed one when given, else the one the
        barcode names, else the one the photos look most like (``product_id``, by its meaning)."""
        return self.product_id

    def __post_init__(self):
        if self.verdict not in OUTCOMES:
            raise ValueError(f"verdict must be one of {OUTCOMES}, not {self.verdict!r}")
        if self.counterfeit_score is not None and not 0.0 <= self.counterfeit_score <= 1.0:
            raise ValueError(f"counterfeit_score must lie in [0, 1], not {self.counterfeit_score}")

    def to_dict(self) -> dict:
        return {
            "case_id": self.case_id,
            "path": self.photos[0] if self.photos else None,
            "verdict": self.verdict,
            "counterfeit_score": None if self.counterfeit_score is None else round(float(self.counterfeit_score), 4),
            "product_id": self.product_id,  # its meaning kept for compatibility: judged_product_id
            "claimed_product_id": self.claimed_product_id,
            "flags": list(self.flags),
            "matches": [m.to_dict() for m in self.matches],
            "errors": [e.to_dict() for e in self.errors],
            "judged_product_id": self.judged_product_id,
            "looks_like_product_id": self.looks_like_product_id,
            "explanation": self.explanation,
            "photos": list(self.photos),
            "model": self.model,
            "catalog_generation": self.catalog_generation,
            "checked_at": self.checked_at,
            "details": self.details,
            "regions": self.regions,
            "advice": list(self.advice),
            "evidence": self.evidence,
        }
