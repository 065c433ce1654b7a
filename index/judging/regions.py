"""Which regions of a photo match the reference, and which do not, from spatial features.

Each region of the photo is compared with every region of the reference (cosine similarity of
the model's feature vectors) and keeps its best match: a region showing something the reference
also shows scores high wherever it sits in the reference; a region with a different print, logo
or shape scores low. The grid is what the app draws as a heatmap over the photo.
"""

from __future__ import annotations

import numpy as np

#: Regions below this best-match similarity count as "not found in the reference".
WEAK = 0.5


def region_evidence(query_map: np.ndarray, reference_map: np.ndarray) -> dict:
    """query_map (h, w, d) and reference_map (h', w', d), unit vectors per region."""
    rows, cols, dim = query_map.shape
    sims = query_map.reshape(-1, dim) @ reference_map.reshape(-1, dim).T
    best = sims.max(axis=1).reshape(rows, cols)
    return {
        "rows": int(rows),
        "cols": int(cols),
        "similarity": np.round(best, 3).tolist(),
        "weak_threshold": WEAK,
        "weak_share": round(float(np.mean(best < WEAK)), 3),
        "mean_similarity": round(float(best.mean()), 3),
    }
