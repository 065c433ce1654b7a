#!/usr/bin/env python
"""A corpus of the files people actually upload, good and bad, built from one real photo.

    python tests/bad_inputs.py [FOLDER]      (default: tests/bad_inputs/, not committed)

Each entry says what must happen: ``ok`` (decodes to an upright 8-bit RGB image; ``twin`` names
the file it must look like) or ``error`` (an ``UnreadableImage`` whose message names the file
and contains ``reason``). The tests build it in a temporary folder.
"""

from __future__ import annotations

import io
import struct
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "data" / "Banana_001.jpg"  # a real in-store phone photo (Grocery Store Dataset, MIT)


@dataclass(frozen=True)
class Case:
    name: str
    expect: str  # "ok" or "error"
    reason: str = ""  # for errors: a fragment of the message the user reads
    twin: str | None = None  # for ok: a file this one must look like once decoded


def _photo() -> Image.Image:
    with Image.open(SOURCE) as image:
        return image.convert("RGB")


def _save(image: Image.Image, fmt: str, **kwargs) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **kwargs)
    return out.getvalue()


def _exif_rotated(photo: Image.Image, orientation: int) -> bytes:
    """The photo as a phone stores it: pixels turned, an EXIF tag saying how to turn them back."""
    undo = {3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}
    exif = Image.Exif()
    exif[0x0112] = orientation
    return _save(photo.transpose(undo[orientation]), "JPEG", quality=92, exif=exif.tobytes())


def _bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels."""
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    body = zlib.compress(b"\x00" * (width + 1) * 16)  # a few rows; the decoder would want all of them
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def build(folder: str | Path) -> list[Case]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    photo = _photo()
    small = photo.copy()
    cases: list[Case] = []

    def write(name: str, data: bytes, expect: str, reason: str = "", twin: str | None = None) -> None:
        (folder / name).write_bytes(data)
        cases.append(Case(name, expect, reason, twin))

    # the upright twin every orientation case must match
    write("upright.jpg", _save(photo, "JPEG", quality=92), "ok")
    # ---- not photos at all ----------------------------------------------------------------
    write("zero-bytes.jpg", b"", "error", "empty")
    write("truncated.jpg", _save(photo, "JPEG", quality=92)[:4000], "error", "truncated")
    write("text-renamed.jpg", "order list:\n3 boxes\n".encode(), "error", "text file")
    write("saved-web-page.jpg", b"<!DOCTYPE html><html><body>listing</body></html>", "error", "HTML page")
    write("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', "error", "SVG")
    write("document.jpg", b"%PDF-1.4\n1 0 obj<<>>endobj\n", "error", "PDF")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("a.txt", "x")
    write("archive.jpg", archive.getvalue(), "error", "ZIP")
    write("random-bytes.jpg", np.random.default_rng(0).bytes(5000), "error", "not an image")
    write("decompression-bomb.png", _bomb_png(40_000, 40_000), "error", "megapixel")
    # ---- sizes ----------------------------------------------------------------------------
    write("one-pixel.png", _save(Image.new("RGB", (1, 1), (200, 30, 30)), "PNG"), "ok")
    write("tiny-8px.jpg", _save(photo.resize((8, 8)), "JPEG"), "ok")
    write("panorama-strip.jpg", _save(photo.resize((6000, 40)), "JPEG"), "ok")
    fifty = Image.fromarray(np.tile(np.asarray(photo.resize((1443, 962))), (6, 6, 1)))  # 8658 x 5772 = 50 MP
    write("fifty-megapixels.jpg", _save(fifty, "JPEG", quality=80), "ok")
    # ---- modes ----------------------------------------------------------------------------
    sixteen = (np.asarray(photo.convert("L"), dtype=np.uint16) * 257).astype(np.uint16)
    write("sixteen-bit.png", _save(Image.fromarray(sixteen), "PNG"), "ok")
    write("cmyk.jpg", _save(photo.convert("CMYK"), "JPEG"), "ok")
    palette = photo.convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
    palette.info["transparency"] = 0
    write("palette-transparent.png", _save(palette, "PNG", transparency=0), "ok")
    write("grayscale.jpg", _save(photo.convert("L"), "JPEG"), "ok")
    write("gray-alpha.png", _save(photo.convert("LA"), "PNG"), "ok")
    write("rgba.png", _save(photo.convert("RGBA"), "PNG"), "ok")
    write("one-bit.png", _save(photo.convert("1"), "PNG"), "ok")
    write("float32.tif", _save(Image.fromarray(np.asarray(photo.convert("L"), dtype=np.float32)), "TIFF"), "ok")
    # ---- formats --------------------------------------------------------------------------
    frames = [photo, photo.rotate(90), photo.rotate(180)]
    write("animated.gif", _save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100), "ok")
    write("animated.webp", _save(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100), "ok")
    write("photo.webp", _save(photo, "WEBP", quality=90), "ok")
    write("photo.tiff", _save(photo, "TIFF"), "ok")
    write("photo.bmp", _save(photo, "BMP"), "ok")
    write("progressive.jpg", _save(photo, "JPEG", progressive=True, quality=90), "ok")
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
        write("phone.heic", _save(photo, "HEIF", quality=90), "ok")
    except Exception:  # pragma: no cover - pillow-heif is a declared dependency
        raise
    # ---- names that lie -------------------------------------------------------------------
    write("png-named.jpg", _save(photo, "PNG"), "ok")
    write("jpeg-named.png", _save(photo, "JPEG"), "ok")
    write("no-extension", _save(photo, "JPEG"), "ok")
    # ---- phone orientation (must come out upright, like upright.jpg) ----------------------
    for orientation in (3, 6, 8):
        write(f"exif-orientation-{orientation}.jpg", _exif_rotated(photo, orientation), "ok", twin="upright.jpg")
    broken_exif = _save(photo, "JPEG", exif=b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x05\x01\x12")
    write("broken-exif.jpg", broken_exif, "ok")
    # ---- files that are too big or not files ----------------------------------------------
    huge = folder / "over-64-mb.jpg"
    with open(huge, "wb") as handle:
        handle.write(_save(small, "JPEG"))
        handle.truncate(65 * 1024 * 1024)  # sparse: no disk used
    cases.append(Case("over-64-mb.jpg", "error", "limit"))
    (folder / "folder.jpg").mkdir(exist_ok=True)
    cases.append(Case("folder.jpg", "error", "folder"))
    cases.append(Case("missing.jpg", "error", "not found"))
    return cases


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "bad_inputs"
    built = build(target)
    print(f"{len(built)} files in {target}: {sum(c.expect == 'ok' for c in built)} must decode, "
          f"{sum(c.expect == 'error' for c in built)} must be refused with a reason")
