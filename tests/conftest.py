"""Shared fixtures: real photos from demo/, the real offline model, real catalogs on disk."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

# No test may reach for the network: `auto` must decide from what is on disk.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["VERIFIER_OFFLINE"] = "1"
# Imports start a background tuning when one is due; tests that want one start it themselves.
os.environ["VERIFIER_AUTO_TUNE"] = "0"
os.environ.setdefault("VERIFIER_THREADS", "2")
# Reports are signed with a deployment key; the tests' key lives in a folder of their own.
_KEYS = tempfile.mkdtemp(prefix="verifier-test-keys-")
atexit.register(shutil.rmtree, _KEYS, True)
os.environ["VERIFIER_KEY_DIR"] = _KEYS

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo"
PYTHON = sys.executable


@pytest.fixture(scope="session")
def demo_rows():
    from index import read_products

    return read_products(DEMO / "products.csv")


@pytest.fixture(scope="session")
def offline_embedder():
    from vision import load_embedder

    return load_embedder("offline")


@pytest.fixture(scope="session")
def demo_catalog_dir(tmp_path_factory, offline_embedder, demo_rows):
    """A catalog of the demo products built once, with the demo's register of serials (as the app
    builds it); copy it (``catalog_copy``) before changing it."""
    from index import Catalog
    from index.importing.serials import load_register

    path = build_catalog(tmp_path_factory.mktemp("catalogs") / "demo", offline_embedder, demo_rows)
    with Catalog.open(path, writable=True) as catalog:  # as its references: built, not a change to audit
        load_register(catalog, DEMO / "serials.csv", progress=False)
    return path


@pytest.fixture
def catalog_copy(demo_catalog_dir, tmp_path):
    return copy_catalog(demo_catalog_dir, tmp_path / "catalog")


@pytest.fixture
def service(catalog_copy, offline_embedder, tmp_path):
    from index import Catalog, Verifier
    from ui.auth import Users
    from ui.service import Service

    users = Users({"VERIFIER_ADMIN_USER": "owner", "VERIFIER_ADMIN_PASSWORD": "s3cret"})
    svc = Service(Verifier(Catalog.open(catalog_copy), offline_embedder), users, work_dir=tmp_path / "work")
    yield svc
    svc.catalog.close()
    svc.history.close()


def build_catalog(path: Path, embedder, rows, store=None, read: bool = True, keypoints: bool = True) -> Path:
    """A new catalog at ``path`` (vectors where ``store`` says) filled by the plain import; it
    reads the label text and barcodes of its references and keeps their keypoints, as a new
    catalog does by default."""
    import json

    from index import Catalog, EmbedderRecord, import_references
    from index.connect import READING_SETTING
    from index.storing import keypoints as keypoint_store
    from vision.package import PackageReader

    record = EmbedderRecord(embedder.name, embedder.dim, embedder.preprocessing, embedder.fingerprint())
    settings = {READING_SETTING: json.dumps(PackageReader(text=read, codes=read).describe()),
                keypoint_store.SETTING: keypoint_store.describe() if keypoints else "off"}
    with Catalog.create(path, record, store, settings=settings) as catalog:
        import_references(catalog, embedder, rows, progress=False)
    return path


def copy_catalog(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".write.lock"))
    return target


def demo_photo(name: str) -> Path:
    """A photo from demo/queries (held-out in-store photos) or demo/references/<product>/."""
    hits = sorted(DEMO.rglob(name))
    assert hits, f"no demo photo named {name}"
    return hits[0]


TINY_CLIP_CONFIG = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "patch_size": 16, "head_width": 32},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 1},
}


def write_tiny_clip(weights: Path, tag: str = "random", seed: int = 0, arch: str = "TinyTestViT") -> Path:
    """A small open_clip architecture with random weights, saved as a real checkpoint in ``weights``.

    The config file makes the architecture known to open_clip the same way a user's custom
    architecture would be (an ARCH.json beside its weights)."""
    import json

    import open_clip
    import torch
    from safetensors.torch import save_file

    weights.mkdir(parents=True, exist_ok=True)
    config = weights / f"{arch}.json"
    config.write_text(json.dumps(TINY_CLIP_CONFIG))
    open_clip.add_model_config(config)
    torch.manual_seed(seed)
    model = open_clip.create_model(arch, pretrained=None)
    checkpoint = weights / f"{arch}-{tag}.safetensors"
    save_file({k: v.contiguous().clone() for k, v in model.state_dict().items()}, str(checkpoint))
    return checkpoint


@pytest.fixture
def weights_dir(tmp_path, monkeypatch):
    """An empty weights/ folder that the verifier looks in first."""
    path = tmp_path / "weights"
    path.mkdir()
    monkeypatch.setenv("VERIFIER_WEIGHTS_DIR", str(path))
    return path


ADMIN_USER, ADMIN_PASSWORD = "inspector-admin", "correct horse battery staple"
ARTIFACTS = ROOT / "tests" / "artifacts"  # screenshots of the browser tests (kept, not committed)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def app_server(catalog: Path, log_path: Path, startup_s: float = 180):
    """``python app.py --catalog CATALOG`` on a free loopback port, with one catalog user from
    the environment; yields its URL and stops it afterwards."""
    import socket
    import subprocess
    import time

    port = _free_port()
    # every test client shares one loopback address: the per-address queue limit (tested on its own
    # in test_hardening with VERIFIER_MAX_QUEUE_JOBS=5) is raised as for a marketplace's API client
    env = dict({"VERIFIER_MAX_QUEUE_JOBS": "500"}, **os.environ, VERIFIER_ADMIN_USER=ADMIN_USER,
               VERIFIER_ADMIN_PASSWORD=ADMIN_PASSWORD, GRADIO_ANALYTICS_ENABLED="False")
    log = open(log_path, "w")
    process = subprocess.Popen([PYTHON, "app.py", "--catalog", str(catalog), "--port", str(port)],
                               cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        deadline = time.monotonic() + startup_s
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"app exited: {Path(log_path).read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.5)
        else:
            raise AssertionError(f"app did not start within {startup_s:.0f} s: {Path(log_path).read_text()[-2000:]}")
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def running_app(demo_catalog_dir, tmp_path_factory):
    """The real app (``python app.py``) on loopback, over its own copy of the demo catalog, with one
    catalog user configured through the environment. Yields (url, catalog folder)."""
    catalog = tmp_path_factory.mktemp("app") / "catalog"
    copy_catalog(demo_catalog_dir, catalog)
    with app_server(catalog, catalog.parent / "app.log") as url:
        yield url, catalog
