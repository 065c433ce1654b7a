"""Edited real photos for the demo and the tests: a barcode or a printed label pasted onto a
photo, as a counterfeiter's pack would carry them (another product's genuine barcode, a brand
name one letter off).

    from photo_edits import paste_barcode, paste_label, gtin_with_check_digit
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont


def gtin_with_check_digit(body: str) -> str:
    """A GTIN-13 from its first 12 digits (GS1 mod-10 check digit)."""
    from biip.checksums import gs1_standard_check_digit

    return body + str(gs1_standard_check_digit(body))


def barcode_image(number: str, scale: int = 3) -> Image.Image:
    """An EAN-13 symbol with its human-readable digits, as printed on a pack."""
    import zxingcpp

    symbol = zxingcpp.create_barcode(number, zxingcpp.BarcodeFormat.EAN13)
    return Image.fromarray(np.asarray(zxingcpp.write_barcode_to_image(symbol, scale=scale, add_hrt=True))).convert("RGB")


def paste_barcode(photo: Image.Image, number: str, where: tuple[float, float] = (0.55, 0.62),
                  width: float = 0.4) -> Image.Image:
    """The photo with an EAN-13 label pasted at ``where`` (fractions), ``width`` of the photo wide.
    A small photo is enlarged to 1,200 px first: a phone photo of a pack is that large, and a
    barcode needs a few pixels per bar to be read."""
    photo = photo.convert("RGB").copy()
    if max(photo.size) < 1200:
        scale = 1200 / max(photo.size)
        photo = photo.resize((round(photo.width * scale), round(photo.height * scale)), Image.Resampling.BICUBIC)
    code = barcode_image(number)
    target_w = max(120, int(width * photo.width))
    code = code.resize((target_w, int(code.height * target_w / code.width)), Image.Resampling.NEAREST)
    x = min(int(where[0] * photo.width), photo.width - code.width)
    y = min(int(where[1] * photo.height), photo.height - code.height)
    photo.paste(code, (max(0, x), max(0, y)))
    return photo


def paste_label(photo: Image.Image, text: str, where: tuple[float, float] = (0.15, 0.3),
                height: float = 0.14, font: str | None = None) -> Image.Image:
    """The photo with a white label printed with ``text`` in bold capitals pasted at ``where``;
    ``font``: a TrueType font file (Pillow's own font has no Vietnamese letters: for those,
    ``DejaVuSans-Bold.ttf`` from Debian's fonts-dejavu-core)."""
    photo = photo.convert("RGB").copy()
    size = max(12, int(height * photo.height))
    font = ImageFont.truetype(font, size) if font else ImageFont.load_default(size=size)
    box = ImageDraw.Draw(photo).textbbox((0, 0), text, font=font)
    w, h = box[2] - box[0] + size // 2, box[3] - box[1] + size // 2
    x, y = int(where[0] * photo.width), int(where[1] * photo.height)
    draw = ImageDraw.Draw(photo)
    draw.rectangle((x, y, x + w, y + h), fill=(255, 255, 255))
    draw.text((x + size // 4 - box[0], y + size // 4 - box[1]), text, fill=(20, 20, 20), font=font,
              stroke_width=max(1, size // 18), stroke_fill=(20, 20, 20))
    return photo
