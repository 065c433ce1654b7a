"""The one interface every image embedder implements.

A batch of RGB images goes in; L2-normalised float32 vectors come out. Each embedder also
gives the spatial feature map of one image (one normalised vector per region), which the
verification engine compares region by region to show *where* a photo differs.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Sequence

import numpy as np
import torch
from PIL import Image


class Embedder(ABC):
    #: Canonical spec, e.g. ``offline`` or ``clip:ViT-B-32/laion2b_s34b_b79k``; recorded in catalogs.
    name: str
    #: Length of the vectors ``embed`` returns.
    dim: int
    #: Human-readable description of the preprocessing, recorded in catalogs.
    preprocessing: str
    #: Images larger than this on their short side carry no extra information for the model,
    #: so decoders may scale JPEGs down to it (times two, to keep resampling quality).
    input_short_side: int
    #: Images per forward pass that gives the best throughput on a CPU.
    preferred_batch: int = 8
    #: Side of the centre square the model sees, as a share of the image's short side.
    crop_fraction: float = 1.0

    @abstractmethod
    def preprocess(self, image: Image.Image) -> torch.Tensor:
        """One RGB image to the model's input tensor (C, H, W)."""

    @abstractmethod
    def _forward_pooled(self, batch: torch.Tensor) -> torch.Tensor:
        """Input batch (N, C, H, W) to unnormalised global vectors (N, dim)."""

    @abstractmethod
    def _forward_map(self, batch: torch.Tensor) -> torch.Tensor:
        """Input batch (N, C, H, W) to spatial features (N, h, w, dim)."""

    @property
    def min_decode_side(self) -> int:
        return 2 * self.input_short_side

    def embed(self, images: Sequence[Image.Image], batch_size: int | None = None) -> np.ndarray:
        """Images to an (N, dim) float32 array of unit-length vectors."""
        if not images:
            return np.zeros((0, self.dim), dtype=np.float32)
        tensors = [self.preprocess(image) for image in images]
        return self.embed_tensors(tensors, batch_size)

    def embed_tensors(self, tensors: Sequence[torch.Tensor], batch_size: int | None = None) -> np.ndarray:
        step = batch_size or self.preferred_batch
        out = []
        with torch.inference_mode():
            for start in range(0, len(tensors), step):
                batch = torch.stack(list(tensors[start : start + step]))
                out.append(self._forward_pooled(batch).float())
        vectors = torch.cat(out).numpy().astype(np.float32, copy=False)
        return normalise(vectors)

    def feature_map(self, image: Image.Image) -> np.ndarray:
        """(h, w, dim) float32 array: one unit-length feature vector per image region."""
        with torch.inference_mode():
            fmap = self._forward_map(self.preprocess(image).unsqueeze(0))[0].float().numpy()
        return normalise(fmap.astype(np.float32, copy=False), axis=-1)

    def covered_box(self, width: int, height: int) -> tuple[float, float, float, float]:
        """The part of a width x height photo that the model (and ``feature_map``) sees, as
        (left, top, right, bottom) fractions of the photo."""
        side = self.crop_fraction * min(width, height)
        left, top = (width - side) / 2 / width, (height - side) / 2 / height
        return (round(left, 4), round(top, 4), round(1 - left, 4), round(1 - top, 4))

    def fingerprint(self) -> list[float]:
        """The embedding of a fixed synthetic picture: tells these weights from any others."""
        return [round(float(v), 5) for v in self.embed([probe_image()])[0]]


def normalise(vectors: np.ndarray, axis: int = -1) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=axis, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)


def probe_image(size: int = 256) -> Image.Image:
    """A fixed synthetic picture whose embedding fingerprints a model's weights."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    red = 0.5 + 0.5 * np.sin(12 * x + 3 * y)
    green = 0.5 + 0.5 * np.cos(7 * y * x * 6)
    blue = ((x * 8).astype(int) + (y * 8).astype(int)) % 2 * 0.8 + 0.1
    array = (np.stack([red, green, blue], axis=-1) * 255).astype(np.uint8)
    return Image.fromarray(array, mode="RGB")
