"""Open a catalog together with the model that built it (or create one for a chosen model), and
the package reader (label text, barcodes) its settings ask for."""

from __future__ import annotations

import json
from pathlib import Path

from vision import Embedder, load_embedder, resolve_name
from vision.package import PackageReader

from .storing import keypoints as keypoint_store
from .storing.catalog import Catalog, CatalogError, EmbedderRecord, ModelMismatch, StoreConfig

#: Catalog setting: how references are read (text, codes, engine), recorded like the model.
READING_SETTING = "package_reading"


def reader_for(catalog: Catalog, threads: int | None = None, accents: bool = False) -> PackageReader:
    """The package reader this catalog's references were read with (a catalog made before
    reading existed reads nothing: its checks are judged as before). ``accents``: for checked
    photos, whose words a person reads; re-read for Vietnamese accents when the catalog's products
    carry Vietnamese text (references are not: their words are only compared, accents folded)."""
    from .storing.serials import has_register

    stored = catalog.setting(READING_SETTING)
    spec = json.loads(stored) if stored else {}
    # checked photos (``accents``) of a catalog with a register of serials have their codes read,
    # whatever its references were read for
    codes = bool(spec.get("codes")) or (accents and has_register(catalog))
    return PackageReader(text=bool(spec.get("text")), codes=codes, threads=threads,
                         accents=accents and bool(spec.get("text")) and catalog.has_vietnamese_text())


def embedder_for(catalog: Catalog, threads: int | None = None) -> Embedder:
    """The model that built this catalog, loaded and checked against its fingerprint (a model
    fine-tuned on the catalog loads its weights from the catalog)."""
    recorded = catalog.embedder.name
    if recorded == "offline-tuned":
        from vision.offline import EfficientNetLite0, split_draws, views_of
        from vision.runtime import configure_threads

        from .importing.tuning import tuned_weights

        configure_threads(threads)
        state = tuned_weights(catalog)
        if state is None:
            raise ModelMismatch(f"{catalog.path}: the catalog says its model was fine-tuned, but the tuned "
                                "weights are missing from it")
        draws = split_draws(state)
        try:
            imagenet_view = views_of(catalog.embedder.dim, len(draws))
        except ValueError as exc:
            raise ModelMismatch(f"{catalog.path}: the catalog's tuned weights do not fit its vectors: {exc}") from None
        embedder = EfficientNetLite0(tuned_state=draws, imagenet_view=imagenet_view)
    else:
        embedder = load_embedder(recorded, threads=threads)
    catalog.check_embedder(embedder.name, embedder.dim, embedder.fingerprint())
    return embedder


def connect(
    catalog_dir: str | Path,
    model: str | None = None,
    *,
    create: bool = False,
    writable: bool = False,
    threads: int | None = None,
    store: StoreConfig | None = None,
    read_text: bool = True,
    read_codes: bool = True,
    keep_keypoints: bool = True,
) -> tuple[Catalog, Embedder]:
    """The catalog and a loaded embedder that matches it.

    An existing catalog uses the model recorded in it; naming another model is an error, never
    silently mixed vectors. A new catalog (``create=True``) uses ``model`` (default ``auto``) and
    keeps its vectors where ``store`` says (default: FAISS in the catalog folder) and reads the
    text and barcodes of its references and keeps their keypoints (for alignment) unless told not
    to (``read_text``, ``read_codes``, ``keep_keypoints``); an existing one asked for another
    store is refused with the command that moves it.
    """
    if Catalog.exists(catalog_dir):
        catalog = Catalog.open(catalog_dir, writable=writable)
        if store is not None and store.kind != catalog.store_kind:
            kind = catalog.store_kind
            catalog.close()
            raise CatalogError(
                f"{catalog_dir}: this catalog keeps its vectors in {kind}, not {store.kind}. Move them with "
                f"`python scripts/manage_catalog.py {catalog_dir} set-store {store.kind}"
                + (f" --milvus-uri {store.milvus_uri}`" if store.kind == "milvus" else "`"))
        recorded = catalog.embedder.name
        if model and model != "auto" and model != recorded:
            catalog.close()
            raise ModelMismatch(
                f"{catalog_dir}: this catalog was built with the model '{recorded}' ({catalog.embedder.dim}-d vectors); "
                f"it cannot be used with '{model}'. Leave out --model (or pass --model {recorded}), "
                f"or build a new catalog for '{model}' in another folder."
            )
        try:
            embedder = embedder_for(catalog, threads)
        except Exception:
            catalog.close()
            raise
        return catalog, embedder
    if not create:
        Catalog.open(catalog_dir)  # raises the "no catalog here" error with its advice
    embedder = load_embedder(resolve_name(model or "auto"), threads=threads)
    record = EmbedderRecord(embedder.name, embedder.dim, embedder.preprocessing, embedder.fingerprint())
    reading = PackageReader(text=read_text, codes=read_codes).describe()
    settings = {READING_SETTING: json.dumps(reading), keypoint_store.SETTING: keypoint_store.describe()
                if keep_keypoints else "off"}
    return Catalog.create(catalog_dir, record, store, settings=settings), embedder
