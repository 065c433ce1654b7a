"""Detail features: where in a photo the strongest response of each ImageNet feature is, pooled
by its maximum instead of its mean, for telling a product's fakes from its genuine photos.

The catalog's vector (``vision.offline``, or CLIP) is a global average: what the whole photo shows,
which answers *which product*. A counterfeit is the same product made by someone else; what gives
it away is often in one place (a logo's stroke, a stitch, a printed stamp), which an average
dilutes and a maximum keeps. Measured on real counterfeits (listing photos of genuine and fake
designer bags, FINDINGS.md): a genuine-versus-fake logistic regression on the average-pooled
ImageNet EfficientNet-Lite0 features at 288 px separated them at AUROC 0.83, and 0.86 with these
max-pooled features beside them; a 512-px input did worse (0.78-0.81), so the resolution stays the
model's own. On the development reprints (``scripts/reprints.py``) both are near 0.99
(``scripts/experiments/authenticity_features.py``): that set cannot tell them apart.

Always the ImageNet weights (not a catalog's tuned ones, not CLIP), so a reference's detail
vector never changes when the catalog is tuned or its model replaced: it is computed once per
photo and kept by the photo's SHA-256 (``index.storing.details``). Unit length, 1,280-d.
"""

from __future__ import annotations

import threading
from typing import Sequence

import numpy as np
import torch
from PIL import Image

from .embedder import normalise

#: Recorded beside each kept vector: a change of weights, input or pooling changes this.
KIND = "imagenet-efficientnet-lite0-gmp-288"
DIM = 1280

_shared = None
_lock = threading.Lock()


class DetailFeatures:
    """Max-pooled ImageNet EfficientNet-Lite0 features of photos (the offline model's input)."""

    kind = KIND
    dim = DIM

    def __init__(self):
        from .offline import EfficientNetLite0

        self._model = EfficientNetLite0()
        self.preferred_batch = self._model.preferred_batch
        self.min_decode_side = self._model.min_decode_side

    def preprocess(self, image: Image.Image) -> torch.Tensor:
        return self._model.preprocess(image)

    def of_tensors(self, tensors: Sequence[torch.Tensor]) -> np.ndarray:
        """(N, 1280) float32 unit vectors from ``preprocess``'d inputs."""
        if not len(tensors):
            return np.zeros((0, DIM), np.float32)
        out = []
        step = self.preferred_batch
        with torch.inference_mode():
            for start in range(0, len(tensors), step):
                batch = torch.stack(list(tensors[start:start + step]))
                out.append(self._model.model.extract_features(batch).amax(dim=(2, 3)).float())
        return normalise(torch.cat(out).numpy().astype(np.float32, copy=False))

    def of_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        return self.of_tensors([self.preprocess(image) for image in images])


def shared() -> DetailFeatures:
    """One model per process (its weights are read once, about 0.3 s)."""
    global _shared
    with _lock:
        if _shared is None:
            _shared = DetailFeatures()
        return _shared
