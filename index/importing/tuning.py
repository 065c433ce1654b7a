"""``tune``: fine-tune the offline backbone on the catalog's genuine references, keep the tuned
weights in the catalog, re-embed every reference with them, rebuild the index and calibration.

Crash safety: the photos are read and the new vectors computed before anything is written; the
vectors, the model record and its weights are then replaced in one transaction; the search index
is rebuilt after it (a checkpoint of older vectors is recognised by its version and rebuilt on
open), then the calibration.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from vision import UnreadableImage, load_image
from vision.offline import EfficientNetLite0

from ..judging import calibration
from ..storing.catalog import Catalog, CatalogError, EmbedderRecord

BACKBONE_ARTIFACT = "tuned_backbone.safetensors"
#: Share of each product's references (whole near-duplicate groups) kept out of fine-tuning, so
#: that calibration learns what *unseen* genuine photos score (index.judging.calibration).
CALIBRATION_SHARE = 0.2
#: Training photos are kept in memory at this short side (random crops of 224 come from them).
TRAIN_SHORT_SIDE = 320


@dataclass
class TuneSummary:
    references: int
    products: int
    epochs: int
    seconds: float
    held_out: int = 0

    def format(self) -> str:
        return (f"tuned on {self.references} genuine references of {self.products} products ({self.epochs} epochs; "
                f"{self.held_out} more kept out for calibration) and re-embedded the catalog in {self.seconds / 60:.1f} min")


def tuned_weights(catalog: Catalog):
    """The catalog's fine-tuned backbone (a state dict), or None."""
    blob = catalog.artifact(BACKBONE_ARTIFACT)
    if blob is None:
        return None
    from safetensors.torch import load

    return load(blob)


def tune(catalog: Catalog, embedder: EfficientNetLite0, epochs: int = 5, size: int = 224,
         progress: bool = True) -> TuneSummary:
    from safetensors.torch import save

    from vision.tuning import fine_tune

    started = time.monotonic()
    refs = catalog.references()
    problems = []
    for ref in refs:
        if not ref.source_path or not Path(ref.source_path).is_file():
            problems.append(f"#{ref.image_id} ({ref.product_id}): source photo {ref.source_path or '(none)'} not found")
    if problems:
        raise CatalogError(f"{catalog.path}: tuning re-embeds every reference from its photo, and "
                           f"{len(problems)} cannot be read: " + "; ".join(problems[:10])
                           + ("; …" if len(problems) > 10 else "") + ". Put the photos back, or remove those references.")
    genuine = [r for r in refs if r.label == "genuine"]
    products = sorted({r.product_id for r in genuine})
    column = {p: i for i, p in enumerate(products)}
    held = _calibration_holdout(catalog, genuine)
    genuine_train = [r for r in genuine if r.image_id not in held]
    training = []
    for ref in genuine_train:
        try:
            image = load_image(ref.source_path, min_side=TRAIN_SHORT_SIDE)
        except UnreadableImage as exc:
            raise CatalogError(f"{catalog.path}: cannot tune: {exc}") from None
        image.thumbnail((4 * TRAIN_SHORT_SIDE, TRAIN_SHORT_SIDE) if image.width >= image.height
                        else (TRAIN_SHORT_SIDE, 4 * TRAIN_SHORT_SIDE), Image.Resampling.BILINEAR)
        training.append(image)
    state = fine_tune(embedder, training, [column[r.product_id] for r in genuine_train], epochs=epochs, size=size,
                      progress=progress)
    del training

    vectors = []
    for start in tqdm(range(0, len(refs), 16), desc="re-embedding", unit="batch", disable=not progress, file=sys.stderr):
        images = [load_image(r.source_path, min_side=embedder.min_decode_side) for r in refs[start:start + 16]]
        vectors.append(embedder.embed(images))
    vectors = np.concatenate(vectors) if vectors else np.zeros((0, embedder.dim), np.float32)
    record = EmbedderRecord(embedder.name, embedder.dim, embedder.preprocessing, embedder.fingerprint())
    trained = json.dumps(sorted(r.image_id for r in genuine_train)).encode()
    catalog.replace_vectors([r.image_id for r in refs], vectors, record,
                            artifacts={BACKBONE_ARTIFACT: save(state), calibration.TRAINED_IDS_ARTIFACT: trained})
    catalog.rebuild_index()
    calibration.refresh(catalog)
    return TuneSummary(len(genuine_train), len(products), epochs, time.monotonic() - started, len(held))


def _calibration_holdout(catalog: Catalog, genuine) -> set[int]:
    """About ``CALIBRATION_SHARE`` of each product's references, whole near-duplicate groups at a
    time (a burst of shots stays on one side), from products with at least 5 references."""
    from ..judging.head import _near_duplicate_groups

    rng = np.random.default_rng(0)
    by_product: dict[str, list[int]] = {}
    for ref in genuine:
        by_product.setdefault(ref.product_id, []).append(ref.image_id)
    held: set[int] = set()
    for ids in by_product.values():
        if len(ids) < 5:
            continue
        _, vectors = catalog.vectors(ids)
        groups = _near_duplicate_groups(vectors)
        members = np.asarray(sorted(ids))
        target = max(1, round(CALIBRATION_SHARE * len(ids)))
        taken = 0
        for group in rng.permutation(groups.max() + 1):
            if taken >= target:
                break
            chosen = members[groups == group]
            if taken + len(chosen) > 2 * target:
                continue
            held.update(int(i) for i in chosen)
            taken += len(chosen)
    return held


