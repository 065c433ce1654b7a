"""`tune`: the offline model fine-tuned on the catalog's references, stored in the catalog, every
reference re-embedded, the index and calibration rebuilt, the catalog reopened with its tuned
model; a checkpoint of the old vectors is never trusted."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import demo_photo


def test_tune_stores_the_weights_re_embeds_and_reopens_with_the_tuned_model(catalog_copy):
    from index import Catalog, Verifier, connect
    from index.importing.tuning import BACKBONE_ARTIFACT, tune

    with Catalog.open(catalog_copy) as catalog:
        ids_before, before = catalog.vectors()
    old_index = (catalog_copy / "vectors.faiss").read_bytes()
    catalog, embedder = connect(catalog_copy, writable=True)
    with catalog:
        summary = tune(catalog, embedder, epochs=1, size=128, progress=False)
    assert summary.products == 6 and summary.references + summary.held_out == 54 and summary.held_out >= 6

    catalog, tuned = connect(catalog_copy)  # the catalog's commands and the app open it like this
    with catalog:
        assert catalog.embedder.name == tuned.name == "offline-tuned"
        assert catalog.artifact(BACKBONE_ARTIFACT)[:1] != b"\x80"  # safetensors, not a pickle
        ids, after = catalog.vectors()
        assert np.array_equal(ids, ids_before)
        cosines = np.sum(before * after, axis=1)
        assert np.abs(before - after).max() > 5e-3 and cosines.min() < 0.9999  # the vectors did change
        # ...and they are the tuned model's embeddings of the reference photos
        ref = catalog.reference(int(ids[0]))
        from vision import load_image

        again = tuned.embed([load_image(ref.source_path, min_side=tuned.min_decode_side)])[0]
        assert float(again @ after[0]) > 0.999
        # the index was rebuilt from the new vectors: each finds itself
        _, found = catalog.search(after, 1)
        assert np.array_equal(found[:, 0], ids)
        verdict = Verifier(catalog, tuned).check([demo_photo("God-Morgon-Orange-Juice_002.jpg")])
        assert verdict.product_id == "God-Morgon-Orange-Juice" and verdict.model == "offline-tuned"

    # a crash after the vectors were replaced but before the index was rebuilt leaves the old
    # checkpoint on disk: it must not be used, since its ids still match
    (catalog_copy / "vectors.faiss").write_bytes(old_index)
    with Catalog.open(catalog_copy) as catalog:
        ids, vectors = catalog.vectors()
        _, found = catalog.search(vectors, 1)
        assert np.array_equal(found[:, 0], ids)
        sims, _ = catalog.search(vectors, 1)
        assert np.allclose(sims[:, 0], 1.0, atol=2e-3)


def test_tune_refuses_when_a_reference_photo_is_gone_and_changes_nothing(catalog_copy, tmp_path):
    import sqlite3

    from index import Catalog, CatalogError, connect
    from index.importing.tuning import tune

    with Catalog.open(catalog_copy) as catalog:
        victim = catalog.references(product_id="Oatly-Oat-Milk")[0]
        _, before = catalog.vectors()
    db = sqlite3.connect(catalog_copy / "references.sqlite")  # the photo was moved after the import
    with db:
        db.execute("UPDATE refs SET source_path = ? WHERE image_id = ?", (str(tmp_path / "moved.jpg"), victim.image_id))
    db.close()
    catalog, embedder = connect(catalog_copy, writable=True)
    with catalog, pytest.raises(CatalogError, match=f"#{victim.image_id}"):
        tune(catalog, embedder, epochs=1, size=96, progress=False)
    with Catalog.open(catalog_copy) as catalog:
        assert catalog.embedder.name == "offline"
        assert np.array_equal(catalog.vectors()[1], before)


def test_the_tuned_model_cannot_be_named_outside_its_catalog():
    from vision import UnknownModel, load_embedder

    with pytest.raises(UnknownModel, match="lives in that catalog|live in that catalog"):
        load_embedder("offline-tuned")


def test_after_tuning_calibration_uses_only_references_the_backbone_did_not_train_on(catalog_copy):
    from index import Catalog, connect
    from index.judging import calibration
    from index.importing.tuning import tune

    catalog, embedder = connect(catalog_copy, writable=True)
    with catalog:
        tune(catalog, embedder, epochs=1, size=96, progress=False)
    with Catalog.open(catalog_copy) as catalog:
        trained = calibration.trained_ids(catalog)
        unseen = set(catalog.image_ids().tolist()) - trained
        assert trained and unseen
        current = calibration.current(catalog)
        per_product = {p.product_id: 0 for p in catalog.products()}
        for ref in catalog.references():
            if ref.image_id in unseen:
                per_product[ref.product_id] += 1
        for product, values in current.similarities.items():
            assert len(values) <= per_product[product]  # one value per unseen reference at most
