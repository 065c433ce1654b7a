"""Any open_clip image tower as an embedder (default ViT-B-32, LAION-2B weights)."""

from __future__ import annotations

import math
from pathlib import Path

import torch
from PIL import Image

from .embedder import Embedder
from .weights import ClipSpec, resolve_checkpoint


class ClipEmbedder(Embedder):
    preferred_batch = 16  # ViT-B/32 is faster per image in batches on a CPU (FINDINGS.md)

    def __init__(self, spec: ClipSpec, allow_download: bool = True):
        import open_clip

        self.spec = spec
        self.checkpoint: Path = resolve_checkpoint(spec, allow_download=allow_download)
        model, _, preprocess = open_clip.create_model_and_transforms(
            spec.arch, pretrained=str(self.checkpoint), weights_only=True
        )
        self.model = model.eval()
        self.visual = self.model.visual
        self._transform = preprocess
        self.name = spec.name
        with torch.inference_mode():
            size = _image_size(self.visual)
            self.dim = int(self.model.encode_image(torch.zeros(1, 3, *size)).shape[-1])
        self.input_short_side = min(size)
        cfg = getattr(self.visual, "preprocess_cfg", {}) or {}
        self.preprocessing = (
            f"open_clip: resize {cfg.get('resize_mode', 'shortest')} to {size[0]}x{size[1]} "
            f"({cfg.get('interpolation', 'bicubic')}), mean {tuple(round(m, 4) for m in cfg.get('mean', ()))}, "
            f"std {tuple(round(s, 4) for s in cfg.get('std', ()))}"
        )

    def preprocess(self, image: Image.Image) -> torch.Tensor:
        return self._transform(image)

    def _forward_pooled(self, batch: torch.Tensor) -> torch.Tensor:
        return self.model.encode_image(batch)

    def _forward_map(self, batch: torch.Tensor) -> torch.Tensor:
        visual = self.visual
        if hasattr(visual, "output_tokens") and hasattr(visual, "proj"):  # VisionTransformer
            previous = visual.output_tokens
            visual.output_tokens = True
            try:
                _, tokens = visual(batch)
            finally:
                visual.output_tokens = previous
            if visual.proj is not None:
                tokens = tokens @ visual.proj  # patch tokens in the same space as the embedding
            return _tokens_to_grid(tokens)
        if hasattr(visual, "layer4"):  # ModifiedResNet: the last convolutional stage
            captured = {}
            handle = visual.layer4.register_forward_hook(lambda _m, _i, out: captured.setdefault("map", out))
            try:
                visual(batch)
            finally:
                handle.remove()
            return captured["map"].permute(0, 2, 3, 1)
        if hasattr(visual, "trunk") and hasattr(visual.trunk, "forward_features"):  # timm towers
            features = visual.trunk.forward_features(batch)
            return features.permute(0, 2, 3, 1) if features.ndim == 4 else _tokens_to_grid(features)
        raise NotImplementedError(f"{self.name}: no spatial feature map for {type(visual).__name__} towers")


def _image_size(visual) -> tuple[int, int]:
    size = getattr(visual, "image_size", 224)
    return (size, size) if isinstance(size, int) else tuple(size)


def _tokens_to_grid(tokens: torch.Tensor) -> torch.Tensor:
    n, length, dim = tokens.shape
    side = int(math.isqrt(length))
    if side * side != length:  # a leading class/register token, or a non-square grid
        tokens = tokens[:, length - side * side :]
    return tokens.reshape(n, side, side, dim)
