"""The catalog folder: references in SQLite, vectors in FAISS, thumbnails; tied to its model."""

from __future__ import annotations

import sqlite3

import faiss
import numpy as np
import pytest

from conftest import write_tiny_clip
from index import Catalog, CatalogError, EmbedderRecord, ModelMismatch, NewReference, connect, import_references
from index.storing.catalog import INDEX_NAME


def faiss_ids_on_disk(path):
    index = faiss.read_index(str(path / INDEX_NAME))
    return np.sort(faiss.vector_to_array(index.id_map))


def test_import_fills_sqlite_faiss_and_thumbnails_in_agreement(demo_catalog_dir, demo_rows):
    with Catalog.open(demo_catalog_dir) as catalog:
        stats = catalog.stats()
        assert stats["references"] == len(demo_rows) == 134
        assert stats["products"] == 9 and stats["model"] == "offline" and stats["dimension"] == 1280
        assert np.array_equal(np.sort(catalog.store.ids()), catalog.image_ids())
        assert np.array_equal(faiss_ids_on_disk(demo_catalog_dir), catalog.image_ids())
        for ref in catalog.references():
            assert catalog.thumbnail_path(ref.sha256).is_file()
        product = {p.product_id: p for p in catalog.products()}["Arla-Standard-Milk"]
        assert (product.name, product.brand, product.genuine, product.counterfeit) == ("Arla Standard Milk", "Arla", 14, 0)


def test_search_finds_a_reference_by_its_own_vector(demo_catalog_dir):
    with Catalog.open(demo_catalog_dir) as catalog:
        ids, vectors = catalog.vectors()
        sims, found = catalog.search(vectors[:5], k=3)
        assert np.array_equal(found[:, 0], ids[:5])
        assert np.allclose(sims[:, 0], np.sum(vectors[:5] ** 2, axis=1), atol=1e-3)


def test_same_photo_is_not_added_twice(catalog_copy, offline_embedder, demo_rows, tmp_path):
    renamed = tmp_path / "same-bytes-other-name.jpg"
    renamed.write_bytes(demo_rows[0].path.read_bytes())
    from index import ProductRow

    with connect(catalog_copy, writable=True)[0] as catalog:
        before = len(catalog)
        summary = import_references(catalog, offline_embedder, [ProductRow(1, renamed, "Another-Product")], progress=False)
        assert (summary.added, summary.already_present) == (0, 1)
        assert len(catalog) == before


def test_remove_an_image_and_a_whole_product(catalog_copy):
    with Catalog.open(catalog_copy, writable=True) as catalog:
        victim = catalog.references(product_id="Oatly-Oat-Milk")[0]
        assert catalog.remove_images([victim.image_id]) == 1
        assert catalog.reference(victim.image_id) is None
        assert not catalog.thumbnail_path(victim.sha256).exists()
        assert catalog.remove_product("Arla-Standard-Milk") == 14
        assert "Arla-Standard-Milk" not in {p.product_id for p in catalog.products()}
        assert len(catalog) == 134 - 15
        assert np.array_equal(np.sort(catalog.store.ids()), catalog.image_ids())
    assert np.array_equal(faiss_ids_on_disk(catalog_copy), Catalog.open(catalog_copy).image_ids())


def test_lost_or_stale_index_file_is_rebuilt_from_sqlite(catalog_copy):
    with Catalog.open(catalog_copy) as catalog:
        ids, vectors = catalog.vectors()
        expected = catalog.search(vectors[:4], k=5)
    (catalog_copy / INDEX_NAME).unlink()
    with Catalog.open(catalog_copy, writable=True) as catalog:
        assert np.array_equal(np.sort(catalog.store.ids()), ids)
        rebuilt = catalog.search(vectors[:4], k=5)
        assert np.array_equal(rebuilt[1], expected[1]) and np.allclose(rebuilt[0], expected[0])
    assert (catalog_copy / INDEX_NAME).is_file()
    # A row deleted behind the index's back (as after a crash) disappears from search on open.
    db = sqlite3.connect(catalog_copy / "references.sqlite")
    with db:
        db.execute("DELETE FROM refs WHERE image_id = ?", (int(ids[0]),))
    db.close()
    with Catalog.open(catalog_copy) as catalog:
        assert int(ids[0]) not in set(catalog.store.ids().tolist())


def test_image_ids_are_never_reused(catalog_copy, offline_embedder):
    with Catalog.open(catalog_copy, writable=True) as catalog:
        highest = int(catalog.image_ids().max())
        catalog.remove_images([highest])
        vector = np.ones((1, 1280), dtype=np.float32) / np.sqrt(1280)
        (new_id,) = catalog.add([NewReference("P", "f" * 64)], vector)
        assert new_id > highest


def test_only_one_writer_at_a_time(catalog_copy):
    with Catalog.open(catalog_copy, writable=True):
        with pytest.raises(CatalogError, match="another process is changing this catalog"):
            Catalog.open(catalog_copy, writable=True)
        with Catalog.open(catalog_copy) as reader:  # readers are never blocked
            assert len(reader) == 134


def test_opening_with_another_model_is_a_clear_error(catalog_copy, weights_dir):
    write_tiny_clip(weights_dir)
    with pytest.raises(ModelMismatch, match="built with the model 'offline'.*clip:TinyTestViT/random"):
        connect(catalog_copy, "clip:TinyTestViT/random")


def test_other_weights_under_the_same_name_are_detected(tmp_path, weights_dir, demo_rows):
    write_tiny_clip(weights_dir, tag="random", seed=1)
    catalog, embedder = connect(tmp_path / "clip-catalog", "clip:TinyTestViT/random", create=True, writable=True)
    with catalog:
        import_references(catalog, embedder, demo_rows[:4], progress=False)
        assert catalog.stats()["dimension"] == 32
    write_tiny_clip(weights_dir, tag="random", seed=2)  # someone swapped the checkpoint
    with pytest.raises(ModelMismatch, match="not the ones that built this catalog"):
        connect(tmp_path / "clip-catalog")


def test_opening_a_folder_without_a_catalog_says_how_to_make_one(tmp_path):
    with pytest.raises(CatalogError, match="scripts/index_catalog.py"):
        Catalog.open(tmp_path)


def test_labels_and_product_ids_are_validated(catalog_copy):
    vector = np.zeros((1, 1280), dtype=np.float32)
    with Catalog.open(catalog_copy, writable=True) as catalog:
        with pytest.raises(ValueError, match="label"):
            catalog.add([NewReference("P", "a" * 64, label="fake")], vector)
        with pytest.raises(ValueError, match="product_id"):
            catalog.add([NewReference("  ", "a" * 64)], vector)
        assert len(catalog) == 134


def test_catalog_created_for_a_model_records_it(tmp_path, offline_embedder):
    e = offline_embedder
    with Catalog.create(tmp_path / "c", EmbedderRecord(e.name, e.dim, e.preprocessing, e.fingerprint())) as catalog:
        assert catalog.embedder.name == "offline" and len(catalog.embedder.fingerprint) == 1280
        assert "centre crop 288" in catalog.stats()["preprocessing"]


def _whole_rows(catalog, image_ids):
    """Everything stored of some references: row, vector bytes, reading, keypoints record."""
    marks = ",".join("?" * len(image_ids))
    rows = catalog.db.execute(f"SELECT * FROM refs WHERE image_id IN ({marks}) ORDER BY image_id", image_ids).fetchall()
    readings = catalog.db.execute(f"SELECT * FROM readings WHERE image_id IN ({marks}) ORDER BY image_id",
                                  image_ids).fetchall()
    keypoints = catalog.db.execute(f"SELECT * FROM keypoints WHERE image_id IN ({marks}) ORDER BY image_id",
                                   image_ids).fetchall()
    return rows, readings, keypoints


@pytest.mark.parametrize("mode", ["flat", "hnsw"])
def test_undo_puts_back_the_same_references(catalog_copy, offline_embedder, mode):
    """Before (issue 26): an undo re-imported the kept photo, which came back as a new number with
    the file name ``137.jpg`` and the undo's time. Now the same reference comes back: number, file
    name, time, metadata, vector, reading and keypoints, photo and thumbnail, found by the search
    (also on a graph index, which cannot take a removed id back and is rebuilt), once only."""
    import shutil

    from index.storing import editing
    from index.storing.audit import entries

    with Catalog.open(catalog_copy, writable=True) as catalog:
        if mode == "hnsw":
            catalog.rebuild_index(mode="hnsw")
        refs = catalog.references(product_id="Oatly-Oat-Milk")[:2]
        ids = [r.image_id for r in refs]
        before = _whole_rows(catalog, ids)
        assert before[1] and before[2]  # read and keypoints kept: there is something to lose
    assert editing.remove_references(catalog_copy, ids, "owner") == 2
    kept = shutil.copytree(catalog_copy / editing.UNDO_DIR, catalog_copy.parent / "kept-removal")
    with Catalog.open(catalog_copy) as catalog:
        assert catalog.references_by_id(ids) == {}
    summary = editing.undo_last_removal(catalog_copy, offline_embedder, "owner")
    assert (summary.added, summary.already_present) == (2, 0)
    with Catalog.open(catalog_copy, writable=True) as catalog:
        assert _whole_rows(catalog, ids) == before
        back = catalog.references_by_id(ids)
        assert [back[r.image_id] for r in refs] == refs  # file name (source_path), time added, metadata
        for ref in refs:
            assert catalog.original_path(ref).is_file() and catalog.thumbnail_path(ref.sha256).is_file()
        _, vectors = catalog.vectors(ids)
        _, found = catalog.search(vectors, 1)
        assert found[:, 0].tolist() == ids
        assert entries(catalog_copy)[0].action == "undo_removal"
        assert entries(catalog_copy)[0].details["image_ids"] == ids
        count = len(catalog)
    # an undo killed after its commit, before it dropped the kept copy, finds them back: not added twice
    shutil.copytree(kept, catalog_copy / editing.UNDO_DIR)
    again = editing.undo_last_removal(catalog_copy, offline_embedder, "owner")
    assert (again.added, again.already_present) == (0, 2)
    with Catalog.open(catalog_copy) as catalog:
        assert len(catalog) == count and _whole_rows(catalog, ids) == before
    assert editing.last_removal(catalog_copy) is None


def test_counted_sentences_agree_with_their_number():
    """Before: "Removed 1 references"."""
    from ui.i18n import t

    assert t("removed", "en", removed=1) == "Removed 1 reference. The last removal can be undone."
    assert t("removed", "en", removed=3).startswith("Removed 3 references.")
    assert t("undone", "en", added=1, products="Oatly-Oat-Milk") == "Put back 1 reference of Oatly-Oat-Milk."
    assert t("undo_what", "en", count=1, products="X") == "Last removal: 1 reference of X."
    assert t("confirm_remove_refs", "en", count=1, ids="7", products="X").startswith("Remove 1 reference (7)")
    assert t("removed", "vi", removed=1).startswith("Đã xóa 1 ảnh mẫu.")
    assert t("undone", "vi", added=2, products="X") == "Đã khôi phục 2 ảnh mẫu của X."


def test_undo_after_the_model_changed_re_embeds_the_kept_photo(catalog_copy, offline_embedder, monkeypatch):
    """A tuning between the removal and its undo re-embedded every reference (a new vectors
    version): the kept vector belongs to the old model, so the undo embeds the kept photo with the
    catalog's model as it is now; number, file name and time are still the reference's own."""
    from index.storing import editing

    with Catalog.open(catalog_copy) as catalog:
        ref = catalog.references(product_id="Alpro-Vanilla-Soyghurt")[0]
        _, [vector] = catalog.vectors([ref.image_id])
    editing.remove_references(catalog_copy, [ref.image_id], "owner")
    with Catalog.open(catalog_copy, writable=True) as catalog:  # as a tuning commits: every vector replaced
        ids, vectors = catalog.vectors()
        record = EmbedderRecord(offline_embedder.name, offline_embedder.dim, offline_embedder.preprocessing,
                                offline_embedder.fingerprint())
        catalog.replace_vectors(ids, vectors, record)
        catalog.rebuild_index()
    embedded = []  # the real embedding, counted: the kept vector must not be reused
    real = editing._embed_photo
    monkeypatch.setattr(editing, "_embed_photo", lambda *args: embedded.append(args[-1]) or real(*args))
    assert editing.undo_last_removal(catalog_copy, offline_embedder, "owner").added == 1
    assert len(embedded) == 1
    with Catalog.open(catalog_copy) as catalog:
        assert catalog.reference(ref.image_id) == ref
        _, [again] = catalog.vectors([ref.image_id])
        assert float(again @ vector) > 0.999  # the same photo, embedded again by the same weights
        _, found = catalog.search(again[None], 1)
        assert int(found[0, 0]) == ref.image_id
