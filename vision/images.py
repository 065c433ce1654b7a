"""Decode photo files into upright RGB images, or fail with a reason a person can act on.

Phone photos arrive rotated (EXIF orientation), in odd modes (CMYK, 16-bit, palette with
transparency), animated, huge, or not as images at all. Everything downstream sees one thing:
an upright 8-bit RGB ``PIL.Image``.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

try:  # HEIC/HEIF photos from phones; optional so that decoding still works without it.
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:  # pragma: no cover - the package is a declared dependency
    pillow_heif = None

# A 12-megapixel phone photo is 12e6 pixels; 100 MP leaves room for panoramas and scans while
# refusing decompression bombs long before they exhaust memory. A JPEG is decoded at a reduced
# scale (``Image.draft``), so a large one costs little memory.
MAX_PIXELS = 100_000_000
#: Other formats (PNG, WebP, TIFF, HEIC, ...) decode at full size before they can be reduced:
#: 50 MP is 200 MB as RGBA for the moment it takes to reduce it (a 48 MP phone HEIC still fits).
#: Measured before this limit: one 10000 x 9900 PNG of 300 KB took a check to 2.5 GB.
MAX_FULL_DECODE_PIXELS = 50_000_000
#: Every decoded photo is reduced to this long side right away, whatever its format: enough for
#: the model, the label text and barcodes; 12 MB as RGB, so a case of many photos stays small.
MAX_HELD_SIDE = 2048
MAX_FILE_BYTES = 64 * 1024 * 1024

Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class UnreadableImage(ValueError):
    """A file that cannot be used as a photo; ``str()`` names the file and the reason."""

    def __init__(self, source: str, reason: str):
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


@dataclass(frozen=True)
class Photo:
    """A decoded photo with the identity of the bytes it came from."""

    image: Image.Image
    sha256: str
    source: str
    original_size: tuple[int, int]


def read_bytes(path: str | Path, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise UnreadableImage(str(path), "file not found") from None
    except OSError as exc:
        raise UnreadableImage(str(path), f"cannot access file ({exc.strerror or exc})") from None
    if path.is_dir():
        raise UnreadableImage(str(path), "is a folder, not a photo")
    if size == 0:
        raise UnreadableImage(str(path), "file is empty (0 bytes)")
    if size > max_bytes:
        raise UnreadableImage(
            str(path), f"file is {size / 2**20:.0f} MiB, larger than the {max_bytes / 2**20:.0f} MiB limit"
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UnreadableImage(str(path), f"cannot read file ({exc.strerror or exc})") from None


def decode(data: bytes, source: str = "<upload>", min_side: int | None = None,
           max_side: int = MAX_HELD_SIDE) -> Image.Image:
    """Decode image bytes into an upright 8-bit RGB image, at most ``max_side`` on its long side.

    ``min_side``: the caller needs no more than this many pixels on the short side, so JPEGs
    may be decoded at a reduced scale (``Image.draft``, a power-of-two DCT scaling that is
    several times faster than a full decode of a 12 MP photo). The result is never smaller
    than ``min_side`` on its short side unless the photo itself is (or ``max_side`` says so).
    Any format is reduced to ``max_side`` right after decoding, before any copy is made.
    """
    if not data:
        raise UnreadableImage(source, "file is empty (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise UnreadableImage(
                    source,
                    f"image is {width}x{height} = {width * height / 1e6:.0f} megapixels, "
                    f"more than the {MAX_PIXELS / 1e6:.0f} megapixel limit",
                )
            if image.format != "JPEG" and width * height > MAX_FULL_DECODE_PIXELS:
                raise UnreadableImage(
                    source,
                    f"{image.format or 'this'} image is {width}x{height} = {width * height / 1e6:.0f} megapixels, "
                    f"more than the {MAX_FULL_DECODE_PIXELS / 1e6:.0f} megapixel limit for formats other than "
                    "JPEG; save it smaller or as JPEG",
                )
            if getattr(image, "n_frames", 1) > 1:
                image.seek(0)  # animated GIF/WebP/APNG: the first frame stands for the photo
            if image.format == "JPEG":
                _draft_for_short_side(image, min(min_side or max_side, max_side))
            image.load()
            if max(image.size) > max_side:
                image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)  # in place, EXIF kept
    except UnreadableImage:
        raise
    except UnidentifiedImageError:
        raise UnreadableImage(source, f"not an image file ({_describe_content(data)})") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UnreadableImage(
            source, f"image is too large (more than the {MAX_PIXELS / 1e6:.0f} megapixel limit)"
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        reason = str(exc) or type(exc).__name__
        if "truncated" in reason:
            reason = "image file is truncated (incomplete download or copy?)"
        raise UnreadableImage(source, f"cannot decode image: {reason}") from None
    return to_upright_rgb(image)


def to_upright_rgb(image: Image.Image) -> Image.Image:
    """Apply EXIF orientation and bring any mode to 8-bit RGB (transparency over white)."""
    try:
        image = ImageOps.exif_transpose(image)
    except Exception:  # a malformed EXIF block must not cost the photo itself
        pass
    if image.mode == "RGB":
        return image
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        image = _to_8bit(image)
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")  # L, 1, CMYK (Pillow inverts Adobe CMYK JPEGs itself), YCbCr, LAB, HSV


def load_photo(path: str | Path, min_side: int | None = None, max_side: int = MAX_HELD_SIDE) -> Photo:
    """Read a photo file once: its content hash and its decoded image."""
    data = read_bytes(path)
    image = decode(data, str(path), min_side=min_side, max_side=max_side)
    return Photo(image=image, sha256=sha256_of(data), source=str(path), original_size=image.size)


def load_image(path: str | Path, min_side: int | None = None, max_side: int = MAX_HELD_SIDE) -> Image.Image:
    return load_photo(path, min_side=min_side, max_side=max_side).image


def identify(path: str | Path) -> None:
    """Raise ``UnreadableImage`` (with the reason ``load_photo`` would give) when ``path`` is plainly
    not a photo: missing, empty, too large, or not an image format, judged from its header without
    decoding it. A quick look at an upload before the check, so the page can say at once that a PDF
    is not a photo."""
    data = read_bytes(path)
    try:
        with Image.open(io.BytesIO(data)):
            pass
    except UnidentifiedImageError:
        raise UnreadableImage(str(path), f"not an image file ({_describe_content(data)})") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UnreadableImage(
            str(path), f"image is too large (more than the {MAX_PIXELS / 1e6:.0f} megapixel limit)"
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise UnreadableImage(str(path), f"cannot decode image: {exc or type(exc).__name__}") from None


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def thumbnail_jpeg(image: Image.Image, size: int = 256, quality: int = 85) -> bytes:
    """A small JPEG of the photo, kept with a reference so evidence survives moved source files."""
    thumb = image.copy()
    thumb.thumbnail((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    thumb.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()


def _draft_for_short_side(image: Image.Image, min_side: int) -> None:
    width, height = image.size
    # EXIF rotation swaps axes later, but the short side stays the short side.
    scale = min(width, height) / float(min_side)
    if scale >= 2:
        target = (max(1, int(width / scale)), max(1, int(height / scale)))
        image.draft("RGB", target)  # never goes below the requested size


def _to_8bit(image: Image.Image) -> Image.Image:
    import numpy as np

    array = np.asarray(image, dtype=np.float64)
    high = float(array.max()) if array.size else 0.0
    if image.mode.startswith("I;16") or high > 255:
        array = array / (65535.0 if high > 255 else 255.0) * 255.0
    return Image.fromarray(np.clip(array, 0, 255).astype("uint8"), mode="L")


def _describe_content(data: bytes) -> str:
    head = data[:512].lstrip().lower()
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in head):
        return "SVG vector drawing; export it as PNG or JPEG"
    if head.startswith((b"<!doctype html", b"<html")):
        return "HTML page, perhaps a saved web page instead of the photo"
    if head.startswith(b"%pdf"):
        return "PDF document"
    if head.startswith(b"pk\x03\x04"):
        return "ZIP archive"
    try:
        data[:512].decode("utf-8")
        return "text file"
    except UnicodeDecodeError:
        return "unrecognised binary format"
