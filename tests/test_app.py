"""The web app: builds the demo catalog on first run and answers verifications over HTTP."""

from __future__ import annotations

import json
import socket
import subprocess
import time

import pytest

from conftest import PYTHON, ROOT, demo_photo


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_demo_catalog_is_built_once_from_demo_folder(tmp_path):
    from app import ensure_demo_catalog
    from index import Catalog

    target = tmp_path / "demo"
    ensure_demo_catalog(target, "offline")
    with Catalog.open(target) as catalog:
        assert len(catalog) == 54 and catalog.embedder.name == "offline"
        generation = catalog.generation
    ensure_demo_catalog(target, "offline")  # second start: nothing rebuilt
    with Catalog.open(target) as catalog:
        assert catalog.generation == generation


@pytest.fixture
def running_app(demo_catalog_dir):
    port = free_port()
    process = subprocess.Popen([PYTHON, "app.py", "--catalog", str(demo_catalog_dir), "--port", str(port)],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"app exited: {process.stdout.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.5)
    else:
        process.kill()
        raise AssertionError("app did not start within 120 s")
    yield url
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def test_app_verifies_an_uploaded_photo_and_shows_the_evidence(running_app):
    from gradio_client import Client, handle_file

    client = Client(running_app, verbose=False)
    badge, gallery, heatmap, result = client.predict([handle_file(str(demo_photo("God-Morgon-Orange-Juice_002.jpg")))], "",
                                            api_name="/verify")
    result = json.loads(result)
    assert result["product_id"] == "God-Morgon-Orange-Juice"
    assert result["verdict"].upper() in badge and "God-Morgon-Orange-Juice" in badge
    assert len(gallery) == len(result["matches"]) >= 1
    assert "God-Morgon-Orange-Juice" in gallery[0]["caption"]
    from PIL import Image

    with Image.open(heatmap) as overlay:  # the region map drawn over the photo
        assert overlay.size[0] > 100 and overlay.mode == "RGB"
    assert result["regions"]["rows"] == 9
