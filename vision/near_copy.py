"""Is this photo a copy of that one (resized, recompressed, cropped, watermarked, mirrored)?

Sellers of fakes often post the brand's own catalog photos. A new photo of the same product,
however similar in content, is taken from another viewpoint under other light; a copy lines up
with the original pixel for pixel once scaled and shifted. So: match ORB keypoints, fit a
similarity transform with RANSAC (the query mirrored too), warp the query onto the reference
and correlate the two, blurred so that recompression and watermark text barely count.

Measured on Grocery Store photos (docs/verification.md): copies score >= 0.93 even under a
dense watermark; new in-store photos against their nearest catalog references score <= 0.54.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageOps

#: A score at or above this means "the same picture": far above new photos of the same product.
COPY_THRESHOLD = 0.85

_SIDE = 320
_MIN_INLIERS = 10
_MIN_OVERLAP = 0.3


def _gray(image: Image.Image) -> np.ndarray:
    gray = np.asarray(image.convert("L"), dtype=np.float32)
    scale = _SIDE / max(gray.shape)
    size = (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA)


def _keypoints(gray: np.ndarray):
    orb = cv2.ORB_create(nfeatures=1000)
    return orb.detectAndCompute(gray.astype(np.uint8), None)


def copy_score(query: Image.Image, reference: Image.Image) -> float:
    """Correlation (0..1) of the query, aligned onto the reference; 0 when they cannot be aligned."""
    return copy_scores(query, [reference])[0]


def copy_scores(query: Image.Image, references: list[Image.Image]) -> list[float]:
    """``copy_score`` of one query against several references; the query's keypoints (as is and
    mirrored) are found once."""
    views = []
    for candidate in (query, ImageOps.mirror(query)):
        gray = _gray(candidate)
        points, desc = _keypoints(gray)
        if desc is not None and len(points) >= _MIN_INLIERS:
            views.append((gray, points, desc))
    return [_best_alignment(views, reference) for reference in references]


def _best_alignment(views, reference: Image.Image) -> float:
    ref_gray = _gray(reference)
    ref_points, ref_desc = _keypoints(ref_gray)
    if ref_desc is None or len(ref_points) < _MIN_INLIERS:
        return 0.0
    best = 0.0
    for q_gray, q_points, q_desc in views:
        pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(q_desc, ref_desc, k=2)
        good = [m for m, n in (p for p in pairs if len(p) == 2) if m.distance < 0.8 * n.distance]
        if len(good) < _MIN_INLIERS:
            continue
        src = np.float32([q_points[m.queryIdx].pt for m in good])
        dst = np.float32([ref_points[m.trainIdx].pt for m in good])
        transform, inliers = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=4.0)
        if transform is None or inliers is None or int(inliers.sum()) < _MIN_INLIERS:
            continue
        best = max(best, _aligned_correlation(q_gray, ref_gray, transform))
    return best


def _aligned_correlation(query: np.ndarray, reference: np.ndarray, transform: np.ndarray) -> float:
    height, width = reference.shape
    warped = cv2.warpAffine(query, transform, (width, height), flags=cv2.INTER_AREA)
    mask = cv2.warpAffine(np.ones_like(query), transform, (width, height), flags=cv2.INTER_NEAREST) > 0.5
    mask = cv2.erode(mask.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0  # drop resampled borders
    if mask.mean() < _MIN_OVERLAP:
        return 0.0
    a = cv2.GaussianBlur(warped, (0, 0), 2.5)[mask]
    b = cv2.GaussianBlur(reference, (0, 0), 2.5)[mask]
    a = (a - a.mean()) / (a.std() + 1e-6)
    b = (b - b.mean()) / (b.std() + 1e-6)
    return float(np.clip((a * b).mean(), 0.0, 1.0))


__all__ = ["COPY_THRESHOLD", "copy_score", "copy_scores"]
