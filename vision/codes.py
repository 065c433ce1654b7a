"""Read the barcodes on a photo: EAN/UPC on retail packs, QR and DataMatrix (GS1 DataMatrix on
medicines and, more and more, on food), GS1-128/ITF-14 on cartons.

zxing-cpp reads them (a self-contained wheel, no network). Asking only for the formats a
product carries keeps it fast (FINDINGS.md: EAN-13 alone ~7 ms on a 1600 x 1200 photo, every
format ~90 ms). A code whose check digit fails is returned too, marked invalid: a misprinted or
made-up code on a package is evidence, not noise. What a code *means* (GTIN, GS1 prefix) is
``index.judging.codes``'s job.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

FORMATS = ("EAN13", "EAN8", "UPCA", "UPCE", "QRCode", "DataMatrix", "Code128", "ITF14")
#: What is kept of the codes on one photo (issue 25: 16 large QR codes gave 29 KB of text a photo,
#: kept with every check): at most ``MAX_CODES`` codes, each cut to ``MAX_CODE_CHARS`` characters
#: (a GTIN has 14 digits, a GS1 DataMatrix of a medicine pack ~60 characters, a URL ~100).
MAX_CODES = 8
MAX_CODE_CHARS = 256


@dataclass(frozen=True)
class Code:
    #: zxing's name of the symbology, e.g. ``EAN13``, ``QRCode``, ``DataMatrix``.
    format: str
    text: str
    #: False when the symbol was read but its check (check digit, error correction) failed.
    valid: bool = True
    #: (left, top, right, bottom) as fractions of the photo's width and height.
    box: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)

    def to_dict(self) -> dict:
        return {"format": self.format, "text": self.text, "valid": self.valid, "box": [round(v, 4) for v in self.box]}

    @classmethod
    def from_dict(cls, data: dict) -> "Code":
        return cls(str(data["format"]), str(data["text"]), bool(data.get("valid", True)),
                   tuple(data.get("box", (0.0, 0.0, 1.0, 1.0))))


def read_codes(image: Image.Image) -> tuple[Code, ...]:
    """Every barcode found on the photo, each once."""
    import zxingcpp

    gray = np.ascontiguousarray(np.asarray(image.convert("L")))
    height, width = gray.shape
    formats = zxingcpp.barcode_formats_from_str(",".join(FORMATS))
    found, seen = [], set()
    for barcode in zxingcpp.read_barcodes(gray, formats=formats, return_errors=True):
        if len(found) >= MAX_CODES:
            break
        text = barcode.text.strip()[:MAX_CODE_CHARS]
        name = barcode.format.name if hasattr(barcode.format, "name") else str(barcode.format)
        if not text or (name, text) in seen:
            continue
        seen.add((name, text))
        position = barcode.position
        xs = [p.x for p in (position.top_left, position.top_right, position.bottom_right, position.bottom_left)]
        ys = [p.y for p in (position.top_left, position.top_right, position.bottom_right, position.bottom_left)]
        box = (max(0.0, min(xs) / width), max(0.0, min(ys) / height), min(1.0, max(xs) / width),
               min(1.0, max(ys) / height))
        found.append(Code(name, text, valid=not bool(barcode.error), box=box))
    return tuple(found)
