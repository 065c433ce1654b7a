"""The same item photographed again: other light, white balance, angle, focus, sensor noise and
compression. A lab tool (scripts/experiments/authenticity_features.py): does copying both sides
under the same capture changes make an authenticity model blind to how a photo was taken?

A catalog's genuine references and its seized fakes are rarely photographed alike (the brand's
own shoot against an agency's evidence photos). A genuine-versus-fake model fitted on them can
learn the capture instead of the item: on the development reprints, genuine photos that were
only photographed again were flagged as often as the fakes (docs/verification.md). Copies of
*both* sides under the same random capture changes leave the capture nothing to tell apart.

Generic photographic changes (torchvision and PIL), deterministic for a seed; deliberately not
the development set's own "re-photograph" step, so that measuring on that set stays honest.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageFilter


def recaptured(image: Image.Image, count: int, seed: int = 0) -> list[Image.Image]:
    """``count`` copies of ``image`` (RGB) as if photographed again."""
    import torch
    import torchvision.transforms.v2 as T

    rng = np.random.default_rng(seed)
    state = torch.random.get_rng_state()
    torch.manual_seed(int(rng.integers(2**31)))
    try:
        base = image.convert("RGB")
        geometry = T.Compose([T.RandomPerspective(distortion_scale=0.15, p=0.8),
                              T.RandomRotation(4),
                              T.RandomResizedCrop(base.size[::-1], scale=(0.75, 1.0), ratio=(0.9, 1.1),
                                                  antialias=True)])
        light = T.ColorJitter(brightness=0.3, contrast=0.25, saturation=0.25, hue=0.02)
        copies = []
        for _ in range(count):
            picture = light(geometry(base))
            array = np.asarray(picture, np.float32) * rng.uniform(0.87, 1.13, 3)  # white balance
            array += rng.normal(0.0, rng.uniform(0.0, 6.0), array.shape)  # sensor noise
            picture = Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))
            sigma = float(rng.uniform(0.0, 1.2))
            if sigma > 0.2:
                picture = picture.filter(ImageFilter.GaussianBlur(sigma))
            buffer = io.BytesIO()
            picture.save(buffer, "JPEG", quality=int(rng.integers(50, 92)))
            buffer.seek(0)
            copies.append(Image.open(buffer).convert("RGB"))
        return copies
    finally:
        torch.random.set_rng_state(state)
