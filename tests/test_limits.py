"""What one request may cost: photos are reduced as they are decoded, whatever their format, so
a check's memory stays bounded; a check has a photo limit with a sentence the user can act on."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from PIL import Image

from conftest import PYTHON, ROOT

MEASURE = textwrap.dedent("""
    import json, resource, sys
    sys.path.insert(0, {root!r})
    from index import Catalog, Verifier
    from vision import load_embedder
    verifier = Verifier(Catalog.open({catalog!r}), load_embedder("offline", threads=2))
    verifier.check([{warm!r}], regions=True)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    verdict = verifier.check({photos!r}, regions=True)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({{"grew_mb": (after - before) / 1024, "errors": [e.reason for e in verdict.errors]}}))
""")


def test_large_photos_of_any_format_are_reduced_as_they_are_decoded(demo_catalog_dir, tmp_path):
    """Before: one 10000 x 9900 PNG took a check to 2.5 GB; 3 PNGs of 49 MP (150 MB of RGB each)
    would need over 1 GB held at once. Now each is reduced right after decoding."""
    photos = []
    for i in range(3):
        path = tmp_path / f"scan-{i}.png"
        Image.new("RGB", (7000, 7000), (40 * i, 120, 200)).save(path, compress_level=1)
        photos.append(str(path))
    warm = str(next((ROOT / "demo" / "queries").glob("*.jpg")))
    code = MEASURE.format(root=str(ROOT), catalog=str(demo_catalog_dir), warm=warm, photos=photos)
    out = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    measured = json.loads(out.stdout.strip().splitlines()[-1])
    assert measured["errors"] == []
    # One 49 MP photo decodes to 147 MB before it is reduced; three held whole would be 441 MB.
    assert measured["grew_mb"] < 300, measured  # measured: 925 MB before, about 150 after


def test_a_png_too_large_to_decode_safely_is_refused_with_its_name_and_the_limit(tmp_path):
    from vision import UnreadableImage, load_image

    path = tmp_path / "poster.png"
    Image.new("RGB", (10000, 9900), (200, 30, 30)).save(path, compress_level=1)
    with pytest.raises(UnreadableImage, match="megapixel limit for formats other than JPEG") as caught:
        load_image(path)
    assert "poster.png" in str(caught.value)


def test_every_decoded_photo_is_at_most_the_held_size(tmp_path):
    from vision import load_image
    from vision.images import MAX_HELD_SIDE

    for name, size in (("wide.png", (6000, 1500)), ("tall.webp", (1200, 5000)), ("big.jpg", (5000, 4000))):
        path = tmp_path / name
        Image.new("RGB", size, (10, 200, 10)).save(path)
        image = load_image(path)
        assert max(image.size) == MAX_HELD_SIDE, (name, image.size)
        assert abs(image.size[0] / image.size[1] - size[0] / size[1]) < 0.01


def test_a_check_with_more_photos_than_the_limit_is_refused_before_any_work(demo_catalog_dir, offline_embedder,
                                                                             tmp_path):
    from index import Catalog, Verifier
    from ui.limits import LimitExceeded, Limits
    from ui.service import Service

    photo = str(next((ROOT / "demo" / "queries").glob("*.jpg")))
    service = Service(Verifier(Catalog.open(demo_catalog_dir), offline_embedder), work_dir=tmp_path / "work",
                      limits=Limits(photos_per_check=3))
    with pytest.raises(LimitExceeded) as caught:
        service.check([photo] * 4)
    assert caught.value.args_ == {"count": 4, "limit": 3}
    assert len(service.history) == 0
    assert service.check([photo] * 3).verdict


def test_limits_come_from_the_environment_and_bad_values_are_named():
    from ui.limits import Limits

    assert Limits.from_env({"VERIFIER_MAX_PHOTOS_PER_CHECK": "20"}).photos_per_check == 20
    assert Limits.from_env({}).photos_per_check == 12
    with pytest.raises(ValueError, match="VERIFIER_MAX_PHOTOS_PER_CHECK"):
        Limits.from_env({"VERIFIER_MAX_PHOTOS_PER_CHECK": "many"})
