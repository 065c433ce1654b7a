"""Photos to vectors: safe decoding and image embedders. Knows nothing of catalogs."""

from .embedder import Embedder
from .images import Photo, UnreadableImage, decode, identify, load_image, load_photo, thumbnail_jpeg
from .registry import MODEL_CHOICES, OfflineFallbackWarning, load_embedder, resolve_name
from .weights import UnknownModel, WeightsNotFound

__all__ = [
    "Embedder",
    "MODEL_CHOICES",
    "OfflineFallbackWarning",
    "Photo",
    "UnknownModel",
    "UnreadableImage",
    "WeightsNotFound",
    "decode",
    "identify",
    "load_embedder",
    "load_image",
    "load_photo",
    "resolve_name",
    "thumbnail_jpeg",
]
