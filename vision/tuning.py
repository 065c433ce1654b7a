"""Fine-tune the offline backbone on a catalog's own genuine references (the brand owner's data).

Measured on Grocery Store (2,721 references, 81 products, 5 epochs at 224 px, ~13 min on 2
cores): recall@1 0.77 -> 0.82 and raw claim AUROC 0.92 -> 0.95 with the product head
(docs/verification.md). A classification head is trained on top of the pooled features with
augmentations that imitate field photos (crops, flips, colour), then dropped: only the backbone
is kept, so the catalog's vectors stay 1280-d, L2-normalised pooled features.
"""

from __future__ import annotations

import math
import random
import sys
from typing import Sequence

import torch
import torch.nn.functional as F
from PIL import Image
from torchvision import transforms
from tqdm import tqdm

from .offline import MEAN, STD, EfficientNetLite0


def fine_tune(embedder: EfficientNetLite0, images: Sequence[Image.Image], labels: Sequence[int], epochs: int = 5,
              size: int = 224, batch_size: int = 32, seed: int = 0, progress: bool = True) -> dict[str, torch.Tensor]:
    """Train ``embedder.model`` in place; returns its new state dict (tensors, no pickle)."""
    if not isinstance(embedder, EfficientNetLite0):
        raise TypeError("fine-tuning is implemented for the offline model (EfficientNet-Lite0) only")
    classes = max(labels) + 1
    if classes < 2:
        raise ValueError("fine-tuning needs genuine references of at least two products")
    torch.manual_seed(seed)
    random.seed(seed)
    augment = transforms.Compose([
        transforms.RandomResizedCrop(size, scale=(0.25, 1.0), antialias=True),
        transforms.RandomHorizontalFlip(),
        transforms.ColorJitter(0.3, 0.3, 0.2, 0.03),
        transforms.ToTensor(),
        transforms.Normalize(MEAN, STD),
    ])
    model = embedder.model
    head = torch.nn.Linear(embedder.dim, classes)
    optimizer = torch.optim.AdamW([{"params": model.parameters(), "lr": 3e-4}, {"params": head.parameters(), "lr": 3e-3}],
                                  weight_decay=1e-4)
    steps = epochs * math.ceil(len(images) / batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=[3e-4, 3e-3], total_steps=steps, pct_start=0.15)
    targets = torch.as_tensor(list(labels), dtype=torch.long)
    bar = tqdm(total=steps, desc="fine-tuning", unit="step", disable=not progress, file=sys.stderr, dynamic_ncols=True)
    try:
        model.train()
        for _ in range(epochs):
            order = torch.randperm(len(images))
            for start in range(0, len(images), batch_size):
                chosen = order[start:start + batch_size]
                batch = torch.stack([augment(images[int(i)]) for i in chosen])
                features = model.extract_features(batch).mean(dim=(2, 3))
                loss = F.cross_entropy(head(F.dropout(features, 0.2)), targets[chosen], label_smoothing=0.1)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                schedule.step()
                bar.update(1)
                bar.set_postfix(loss=f"{loss.item():.3f}")
    finally:
        model.eval()
        bar.close()
    embedder.name = "offline-tuned"
    return {key: value.detach().clone().contiguous() for key, value in model.state_dict().items()}
