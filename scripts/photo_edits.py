"""Edited real photos for the demo and the tests: a barcode, a unit's QR code or a printed label
pasted onto a photo, as a counterfeiter's pack would carry them (another product's genuine
barcode, a copied or made-up serial number, a brand name one letter off).

    from photo_edits import paste_barcode, paste_label, paste_qr, digital_link, gtin_with_check_digit
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


def digital_link(gtin: str, serial: str, batch: str | None = None, expiry: str | None = None) -> str:
    """A GS1 Digital Link URI for one unit (GTIN, batch, serial; expiry ``YYMMDD``), written by
    biip with its qualifiers in their canonical order (``/01/…/10/…/21/…?17=…``)."""
    from biip.gs1_messages import GS1Message

    hri = f"(01){gtin.rjust(14, '0')}" + (f"(17){expiry}" if expiry else "") + (f"(10){batch}" if batch else "") \
        + f"(21){serial}"
    return GS1Message.parse_hri(hri).as_gs1_digital_link_uri().as_uri()


def qr_image(payload: str, scale: int = 8) -> Image.Image:
    """A QR code (segno, error correction M) with its quiet zone, black on white."""
    import io

    import segno

    buffer = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(buffer, kind="png", scale=scale, border=4)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def paste_qr(photo: Image.Image, payload: str, where: tuple[float, float] = (0.6, 0.6),
             width: float = 0.3) -> Image.Image:
    """The photo with a QR code of ``payload`` pasted at ``where`` (fractions), ``width`` of the
    photo wide: a sticker or a printed unit code. A small photo is enlarged to 1,200 px first, as
    ``paste_barcode`` does."""
    photo = photo.convert("RGB").copy()
    if max(photo.size) < 1200:
        scale = 1200 / max(photo.size)
        photo = photo.resize((round(photo.width * scale), round(photo.height * scale)), Image.Resampling.BICUBIC)
    code = qr_image(payload)
    side = max(160, int(width * photo.width))
    code = code.resize((side, side), Image.Resampling.NEAREST)
    x = min(int(where[0] * photo.width), photo.width - side)
    y = min(int(where[1] * photo.height), photo.height - side)
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
