"""Augmented copies of a reference photo: what a studio packshot looks like when the product is
held in a hand or stands on a shelf (cropped, tilted, in other light, on a busy background).

A catalog with one or two photos a product (a brand owner's e-commerce packshots) gives its
product head nothing to learn the spread of real photos from; copies that move the packshot
toward field photos give it some (issue 28). Deterministic for a seed, so the same reference
always gives the same copies.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

#: Where a packshot's background is near white (a studio shot), the product is cut out and set on
#: a busy background: a shelf photo never shows a white backdrop.
WHITE_LEVEL = 235
WHITE_SHARE = 0.25


def augmented_copies(image: Image.Image, count: int, seed: int = 0, side: int = 400) -> list[Image.Image]:
    """``count`` augmented copies of ``image`` (RGB), each about ``side`` px on its long side."""
    import torchvision.transforms.v2 as T
    import torch

    rng = np.random.default_rng(seed)
    generator_seed = int(rng.integers(2**31))
    torch_state = torch.random.get_rng_state()
    torch.manual_seed(generator_seed)
    try:
        base = image.convert("RGB")
        base.thumbnail((side, side), Image.Resampling.BILINEAR)
        studio = _white_share(base) >= WHITE_SHARE
        geometry = T.Compose([
            T.RandomPerspective(distortion_scale=0.3, p=0.7, fill=255 if studio else 0),
            T.RandomRotation(10, fill=255 if studio else 0),
        ])
        colour = T.ColorJitter(brightness=0.35, contrast=0.3, saturation=0.3, hue=0.03)
        crop = T.RandomResizedCrop((side, side), scale=(0.45, 1.0), ratio=(0.75, 1.33), antialias=True)
        copies = []
        for _ in range(count):
            picture = geometry(base)
            if studio:
                picture = _on_background(picture, rng)
            picture = colour(crop(picture))
            if rng.random() < 0.3:
                picture = picture.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.5, 1.8))))
            copies.append(picture)
        return copies
    finally:
        torch.random.set_rng_state(torch_state)


def _white_share(image: Image.Image) -> float:
    """Share of the border pixels that are near white."""
    array = np.asarray(image)
    border = np.concatenate([array[:4].reshape(-1, 3), array[-4:].reshape(-1, 3),
                             array[:, :4].reshape(-1, 3), array[:, -4:].reshape(-1, 3)])
    return float(np.mean(border.min(axis=1) >= WHITE_LEVEL))


def _on_background(picture: Image.Image, rng: np.random.Generator) -> Image.Image:
    """The product (non-white pixels) set, smaller, on a busy random background."""
    width, height = picture.size
    array = np.asarray(picture).astype(np.float32)
    mask = (array.min(axis=2) < WHITE_LEVEL).astype(np.float32)
    mask = np.asarray(Image.fromarray((mask * 255).astype(np.uint8)).filter(ImageFilter.MaxFilter(5))
                      .filter(ImageFilter.GaussianBlur(1.5)), np.float32)[..., None] / 255.0
    background = _busy_background(width, height, rng)
    scale = float(rng.uniform(0.6, 0.95))
    small_w, small_h = max(8, int(width * scale)), max(8, int(height * scale))
    product = np.asarray(Image.fromarray(array.astype(np.uint8)).resize((small_w, small_h)), np.float32)
    small_mask = np.asarray(Image.fromarray((mask[..., 0] * 255).astype(np.uint8)).resize((small_w, small_h)),
                            np.float32)[..., None] / 255.0
    left = int(rng.integers(0, width - small_w + 1))
    top = int(rng.integers(0, height - small_h + 1))
    region = background[top:top + small_h, left:left + small_w]
    background[top:top + small_h, left:left + small_w] = small_mask * product + (1 - small_mask) * region
    return Image.fromarray(np.clip(background, 0, 255).astype(np.uint8))


def _busy_background(width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """A shelf-like clutter: a colour gradient with blurred blocks of other colours and noise."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    start, end = rng.uniform(40, 220, 3), rng.uniform(40, 220, 3)
    t = (x / max(width, 1) * rng.uniform(0, 1) + y / max(height, 1) * rng.uniform(0, 1))[..., None]
    canvas = start + (end - start) * np.clip(t, 0, 1)
    for _ in range(int(rng.integers(4, 12))):
        w, h = int(rng.integers(width // 8, width // 2)), int(rng.integers(height // 8, height // 2))
        left, top = int(rng.integers(0, width - w + 1)), int(rng.integers(0, height - h + 1))
        canvas[top:top + h, left:left + w] = rng.uniform(0, 255, 3)
    canvas += rng.normal(0, 8, canvas.shape)
    blurred = Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(3))
    return np.asarray(blurred, np.float32).copy()
