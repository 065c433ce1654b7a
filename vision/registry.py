"""Embedders by name: ``offline``, ``clip``, ``clip:ARCH/TAG_OR_PATH`` and ``auto``.

One front door (``load_embedder``) resolves a name to a ready model, loading local files
before trying any download, like open_clip's own factory.
"""

from __future__ import annotations

import warnings

from .embedder import Embedder
from .runtime import configure_threads
from .weights import UnknownModel, WeightsNotFound, parse_clip_spec, resolve_checkpoint

MODEL_CHOICES = "auto | clip | offline | clip:ARCH/TAG_OR_PATH"


class OfflineFallbackWarning(UserWarning):
    """``auto`` chose the offline model because CLIP weights could not be had."""


def resolve_name(name: str, allow_download: bool = True) -> str:
    """Turn ``auto`` into the concrete embedder it stands for on this machine now."""
    name = (name or "auto").strip()
    if name != "auto":
        return name
    try:
        resolve_checkpoint(parse_clip_spec("clip"), allow_download=allow_download)
        return "clip"
    except WeightsNotFound as exc:
        message = f"--model auto: using the offline model (EfficientNet-Lite0, ImageNet) because {exc}"
        warnings.warn(message, OfflineFallbackWarning, stacklevel=2)
        return "offline"


def load_embedder(name: str = "auto", threads: int | None = None, allow_download: bool = True) -> Embedder:
    configure_threads(threads)
    name = resolve_name(name, allow_download=allow_download)
    if name == "offline":
        from .offline import EfficientNetLite0

        return EfficientNetLite0()
    if name == "offline-tuned":
        raise UnknownModel("the model 'offline-tuned' is fine-tuned on one catalog and its weights live in that "
                           "catalog: open the catalog (its commands do), or use --model offline for a new one")
    if name == "clip" or name.startswith("clip:"):
        from .clip_embedder import ClipEmbedder

        return ClipEmbedder(parse_clip_spec(name), allow_download=allow_download)
    raise UnknownModel(f"unknown model {name!r}; choose one of: {MODEL_CHOICES}")
