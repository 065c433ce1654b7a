"""A catalog tuned before the ImageNet view was kept, re-embedded with the same tuned weights and
both views side by side (vision.offline), its index and calibration rebuilt: the same tuned
model measured both ways, without a second (and differently drawn) tuning.

    cp -r build/cat_all_tuned build/cat_all_tuned_both
    python scripts/experiments/both_views.py build/cat_all_tuned_both
    python scripts/evaluate.py build/cat_all_tuned_both --manifest build/grocery/queries_claims.csv
"""

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from index.importing.tuning import _embed, tuned_weights  # noqa: E402
from index.judging import calibration  # noqa: E402
from index.storing.catalog import Catalog, EmbedderRecord  # noqa: E402
from vision.offline import BOTH_VIEWS_DIM, EfficientNetLite0  # noqa: E402
from vision.runtime import configure_threads  # noqa: E402


def main(catalog_dir: str) -> None:
    configure_threads(2)
    started = time.monotonic()
    with Catalog.open(catalog_dir) as catalog:
        if catalog.embedder.dim == BOTH_VIEWS_DIM:
            raise SystemExit(f"{catalog_dir}: already holds both views")
        embedder = EfficientNetLite0(tuned_state=tuned_weights(catalog), imagenet_view=True)
        refs = catalog.references()
    vectors = _embed(embedder, Path(catalog_dir), refs, progress=True)
    with Catalog.open(catalog_dir, writable=True) as catalog:
        ids = [r.image_id for r in catalog.references()]
        record = EmbedderRecord(embedder.name, embedder.dim, embedder.preprocessing, embedder.fingerprint())
        catalog.replace_vectors(ids, np.stack([vectors[i] for i in ids]), record)
        catalog.rebuild_index()
        calibration.refresh(catalog)
    print(f"{len(ids)} references re-embedded with both views in {(time.monotonic() - started) / 60:.1f} min")


if __name__ == "__main__":
    main(sys.argv[1])
