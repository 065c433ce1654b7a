"""Is a photo good enough to judge? Advice to retake it when it is blurred, too dark, too bright
or too small, judged at the scale the model sees it (longest side 512 px).

Thresholds measured on the Grocery Store ``val`` photos (185 in-store phone photos, 348 px):
variance of the Laplacian 7.3 at the lowest, 5th percentile 147, median 630; the same photos
blurred with a Gaussian of sigma 3 px score at most 5.5. Mean brightness 80 at the lowest.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

#: Below this variance of the Laplacian a photo is called blurred (2 of 185 sharp phone photos are).
BLUR_VARIANCE = 10.0
#: Mean brightness (0-255) below which a photo is too dark, above which it is washed out.
DARK_MEAN = 40.0
BRIGHT_MEAN = 235.0
#: Shorter side below this (pixels) holds too little detail for the comparison.
MIN_SIDE = 160

ISSUES = ("too_small", "blurred", "too_dark", "too_bright")


@dataclass(frozen=True)
class Quality:
    issues: tuple[str, ...]
    sharpness: float
    brightness: float
    short_side: int

    @property
    def ok(self) -> bool:
        return not self.issues

    def to_dict(self) -> dict:
        return {"issues": list(self.issues), "sharpness": round(self.sharpness, 1),
                "brightness": round(self.brightness, 1), "short_side": self.short_side}


def assess(image: Image.Image) -> Quality:
    short_side = min(image.size)
    small = image.copy()
    small.thumbnail((512, 512))
    gray = np.asarray(small.convert("L"), dtype=np.float32)
    sharpness = float(cv2.Laplacian(gray, cv2.CV_32F).var())
    brightness = float(gray.mean())
    issues = []
    if short_side < MIN_SIDE:
        issues.append("too_small")
    if sharpness < BLUR_VARIANCE:
        issues.append("blurred")
    if brightness < DARK_MEAN:
        issues.append("too_dark")
    elif brightness > BRIGHT_MEAN:
        issues.append("too_bright")
    return Quality(tuple(issues), sharpness, brightness, short_side)
