"""Phone photos of every shape decode to upright RGB; anything else fails with file and reason."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from conftest import demo_photo
from vision import UnreadableImage, load_image, load_photo

PHOTO = demo_photo("Arla-Standard-Milk_001.jpg")


def _save(tmp_path, name, image, **kwargs):
    path = tmp_path / name
    image.save(path, **kwargs)
    return path


def _asymmetric(size=(120, 80)):
    """A picture whose orientation is obvious: red left half, blue right half, green top strip."""
    array = np.zeros((size[1], size[0], 3), dtype=np.uint8)
    array[:, : size[0] // 2] = (255, 0, 0)
    array[:, size[0] // 2 :] = (0, 0, 255)
    array[:10] = (0, 255, 0)
    return Image.fromarray(array)


def test_exif_rotated_photo_comes_out_upright_and_matches_its_upright_twin(tmp_path, offline_embedder):
    upright = Image.open(PHOTO).convert("RGB")
    # A phone stores the sensor image sideways and says "rotate 90° clockwise to view" (orientation 6).
    sideways = upright.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    path = _save(tmp_path, "phone.jpg", sideways, exif=exif.tobytes(), quality=95)

    decoded = load_image(path)
    assert decoded.size == upright.size
    diff = np.abs(np.asarray(decoded, dtype=np.int16) - np.asarray(upright, dtype=np.int16)).mean()
    assert diff < 6, "the rotated photo was not turned upright"
    a, b = offline_embedder.embed([decoded, upright])
    assert float(a @ b) > 0.98


def _palette_with_transparent_strip():
    """Palette image: index 0 (transparent) on the top strip, red left, blue right."""
    indices = np.ones((80, 120), dtype=np.uint8)
    indices[:, 60:] = 2
    indices[:10] = 0
    image = Image.frombytes("P", (120, 80), indices.tobytes())
    image.putpalette([0, 255, 0, 255, 0, 0, 0, 0, 255])
    return image


@pytest.mark.parametrize(
    "name, make, save_kwargs",
    [
        ("rgba.png", lambda: _asymmetric().convert("RGBA"), {}),
        ("palette-transparent.png", _palette_with_transparent_strip, {"transparency": 0}),
        ("cmyk.jpg", lambda: _asymmetric().convert("CMYK"), {}),
        ("photo.webp", _asymmetric, {}),
        ("photo.tiff", _asymmetric, {}),
        ("photo.bmp", _asymmetric, {}),
        ("photo.png", _asymmetric, {}),
    ],
)
def test_any_mode_or_format_becomes_rgb_the_right_way_up(tmp_path, name, make, save_kwargs):
    path = _save(tmp_path, name, make(), **save_kwargs)
    decoded = load_image(path)
    assert decoded.mode == "RGB" and decoded.size == (120, 80)
    left, right = decoded.getpixel((10, 40)), decoded.getpixel((110, 40))
    assert left[0] > 200 > left[2] and right[2] > 200 > right[0], "colours or orientation changed in decoding"
    if name.startswith("palette"):
        assert decoded.getpixel((60, 3)) == (255, 255, 255), "transparency should show as white"


def test_grayscale_becomes_three_equal_channels(tmp_path):
    path = _save(tmp_path, "gray.png", _asymmetric().convert("L"))
    decoded = load_image(path)
    r, g, b = decoded.getpixel((10, 40))
    assert decoded.mode == "RGB" and r == g == b and decoded.getpixel((10, 40)) != decoded.getpixel((110, 40))


def test_sixteen_bit_png_is_scaled_not_clipped(tmp_path):
    ramp = (np.linspace(0, 65535, 64 * 64).reshape(64, 64)).astype(np.uint16)
    path = _save(tmp_path, "deep.png", Image.fromarray(ramp))
    decoded = np.asarray(load_image(path))
    assert decoded.shape == (64, 64, 3)
    assert decoded[0, 0, 0] < 10 and decoded[-1, -1, 0] > 245


def test_animated_gif_uses_its_first_frame(tmp_path):
    frames = [Image.new("RGB", (40, 40), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert load_image(path).getpixel((5, 5))[0] > 200


def test_heic_photo_from_a_phone_decodes(tmp_path):
    pillow_heif = pytest.importorskip("pillow_heif", reason="pillow-heif is a declared dependency")
    path = tmp_path / "IMG_0001.HEIC"
    pillow_heif.from_pillow(_asymmetric()).save(path, quality=90)
    decoded = load_image(path)
    assert decoded.size == (120, 80) and decoded.getpixel((10, 40))[0] > 150


def test_wrong_extension_is_judged_by_content(tmp_path):
    path = _save(tmp_path, "actually-png.jpg", _asymmetric(), format="PNG")
    assert load_image(path).size == (120, 80)


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("empty.jpg", b"", "empty"),
        ("notes.jpg", b"shopping list: milk, eggs\n", "text file"),
        ("page.jpg", b"<!DOCTYPE html><html><body>listing</body></html>", "HTML"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>', "SVG"),
        ("random.jpg", bytes(range(256)) * 8, "not an image"),
    ],
)
def test_what_is_not_a_photo_gets_a_clear_error_naming_the_file(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnreadableImage) as caught:
        load_image(path)
    assert name in str(caught.value) and reason in str(caught.value)


def test_truncated_jpeg_is_reported_as_truncated(tmp_path):
    data = PHOTO.read_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(UnreadableImage, match="truncated"):
        load_image(path)


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    buffer = io.BytesIO()
    Image.new("L", (8, 8)).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    # Rewrite the header to claim 30000 x 30000 pixels (900 MP) and fix its checksum.
    data[16:24] = struct.pack(">II", 30000, 30000)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF)
    path = tmp_path / "bomb.png"
    path.write_bytes(bytes(data))
    with pytest.raises(UnreadableImage, match="megapixel"):
        load_image(path)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(UnreadableImage, match="not found") as caught:
        load_image(tmp_path / "gone.jpg")
    assert "gone.jpg" in str(caught.value)


def test_reduced_size_jpeg_decoding_keeps_the_embedding(tmp_path, offline_embedder):
    big = Image.open(PHOTO).convert("RGB").resize((3000, 3000), Image.Resampling.BICUBIC)
    path = _save(tmp_path, "big.jpg", big, quality=92)
    full = load_image(path, max_side=3000)
    fast = load_image(path, min_side=offline_embedder.min_decode_side)
    assert full.size == (3000, 3000)
    assert offline_embedder.min_decode_side <= min(fast.size) < 3000
    a, b = offline_embedder.embed([full, fast])
    assert float(a @ b) >= 0.99


def test_photo_identity_is_the_hash_of_its_bytes(tmp_path):
    copy = tmp_path / "renamed.jpeg"
    copy.write_bytes(PHOTO.read_bytes())
    assert load_photo(copy).sha256 == load_photo(PHOTO).sha256
