"""Flat print aligned: a case's photos against the references of a candidate product.

Each readable photo is aligned (``vision.alignment``) with the ``REFERENCES`` references of the
product nearest to it by vector similarity (optionally only those of one view), using the
keypoints the catalog kept at import; a photo's keypoints are found once per check and kept by
the photo's SHA-256 for the next check of the same photo. A photo's evidence is the mean of its
two best inlier counts (one chance alignment does not make a score) and the best coverage; the
case's is its best photo's (a barcode close-up aligns with nothing, the front of the pack does).

Measured on Grocery Store val packaged photos against train references
(scripts/experiments/alignment.py, docs/verification.md "Flat print aligned and compared"): true
claims against look-alike claims of the same kind, AUROC 0.797 from this score alone (median
31.5 against 0; the global features give 0.704 on the same claims), products missing from the
catalog 0.67. A quarter of look-alikes reach 20 inliers (a shared brand logo): this is one
feature for the claim model, and the located differences are evidence for a person, not a
verdict by themselves.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from PIL import Image

from vision.alignment import EXTRACT_SIDE, Alignment, Keypoints, align_many, difference, extract, item_plane

#: References of a product each photo is aligned with: the nearest by vector. FINDINGS measured
#: 10; 8 keep a check's matching in one matrix product of the query against 8 x 800 descriptors
#: (21 ms of one core, docs/benchmarks.md part 7); the first 10 instead of the nearest 8 did worse.
REFERENCES = 8
#: Photos whose keypoints are kept between checks (about 106 KB each).
KEPT = 64


class QueryKeypoints:
    """Keypoints of checked photos by SHA-256 (the newest ``KEPT``): a photo checked again (another
    claim, a reopened case, a batch re-run) is not searched for keypoints again."""

    def __init__(self, kept: int = KEPT):
        self.kept = kept
        self._cache: OrderedDict[str, Keypoints] = OrderedDict()

    def get(self, sha256: str | None, image: Image.Image) -> Keypoints:
        if sha256 and sha256 in self._cache:
            self._cache.move_to_end(sha256)
            return self._cache[sha256]
        points = extract(image)
        if sha256:
            self._cache[sha256] = points
            while len(self._cache) > self.kept:
                self._cache.popitem(last=False)
        return points

    def clear(self) -> None:
        self._cache.clear()


@dataclass(frozen=True)
class ProductAlignment:
    """How well a case's photos align with a product's references with one label."""

    product_id: str
    label: str
    #: The best photo's mean of its two best inlier counts.
    score: float
    #: The best single alignment: its inliers, its coverage of the reference, which reference and
    #: which photo (index among the photos given).
    inliers: int
    coverage: float
    reference_id: int | None
    photo: int | None
    alignment: Alignment | None = field(default=None, repr=False)
    #: References compared, over all photos.
    compared: int = 0
    #: References whose stored keypoints could not be used (image id -> why).
    unusable: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        record = {"product_id": self.product_id, "label": self.label, "score": round(self.score, 1),
                  "inliers": self.inliers, "coverage": round(self.coverage, 3), "reference_id": self.reference_id,
                  "references_compared": self.compared}
        if self.alignment is not None:
            record["inlier_ratio"] = round(self.alignment.inlier_ratio, 3)
            record["alignment"] = self.alignment.to_dict()
        if self.unusable:
            record["unusable_references"] = {str(k): v for k, v in sorted(self.unusable.items())}
        return record


def align_product(catalog, points: Sequence[Keypoints], vectors: np.ndarray, product_id: str,
                  label: str = "genuine", view: str | None = None, references: int = REFERENCES
                  ) -> ProductAlignment | None:
    """The photos (their ``points`` and ``vectors``, one row each) aligned with the product's
    references of ``label`` (and ``view``, when given) nearest to each photo; None when the
    product has no such reference with keypoints kept."""
    refs = [r for r in catalog.references(product_id=product_id, label=label) if view is None or r.view == view]
    if not refs or not len(points):
        return None
    ids, ref_vectors = catalog.vectors([r.image_id for r in refs])
    similarities = np.asarray(vectors, np.float32) @ ref_vectors.T  # (photos, references)
    nearest = [[int(ids[j]) for j in np.argsort(-row)[:references]] for row in similarities]
    stored, unusable = catalog.keypoints({i for row in nearest for i in row})
    if not stored:
        return None
    best_score, best = 0.0, (0, 0.0, None, None, None)  # inliers, coverage, reference, photo, alignment
    coverage = 0.0
    compared = 0
    for photo, (query, chosen) in enumerate(zip(points, nearest)):
        chosen = [i for i in chosen if i in stored]
        compared += len(chosen)
        alignments = align_many(query, [stored[i] for i in chosen])
        counts = sorted((a.inliers if a else 0 for a in alignments), reverse=True)
        score = float(np.mean(counts[:2])) if counts else 0.0
        best_score = max(best_score, score)
        for image_id, found in zip(chosen, alignments):
            if found is None:
                continue
            coverage = max(coverage, found.coverage)
            if found.inliers > best[0]:
                best = (found.inliers, found.coverage, image_id, photo, found)
    return ProductAlignment(product_id, label, best_score, best[0], coverage, best[2], best[3], best[4], compared,
                            unusable)


def compare_with_reference(catalog, photo: Image.Image, points: Keypoints, aligned: ProductAlignment) -> dict | None:
    """Where the best-aligned photo differs from its reference (``vision.alignment.difference``):
    the photo aligned again on the item's own plane (``item_plane``: not the shelf behind it), the
    reference read from the photo the catalog keeps. The grid (``Difference.to_dict()``) with the
    alignment it was drawn on; None when nothing aligned or the reference cannot be read."""
    if aligned.alignment is None or aligned.reference_id is None:
        return None
    stored, _ = catalog.keypoints([aligned.reference_id])
    item = item_plane(points, stored[aligned.reference_id]) if aligned.reference_id in stored else None
    image = reference_image(catalog, aligned.reference_id) if item is not None else None
    if image is None:
        return None
    return {**difference(photo, image, item).to_dict(), "alignment": item.to_dict()}


def reference_image(catalog, image_id: int) -> Image.Image | None:
    """A reference's photo as kept by the catalog, decoded at the keypoints' size (or None)."""
    from vision.images import UnreadableImage, load_image

    ref = catalog.reference(image_id)
    if ref is None:
        return None
    try:
        return load_image(catalog.original_path(ref), min_side=EXTRACT_SIDE)
    except (UnreadableImage, OSError):
        return None
