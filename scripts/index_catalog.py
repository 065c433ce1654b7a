#!/usr/bin/env python
"""Add reference photos to a catalog (created on first use).

    python scripts/index_catalog.py CATALOG_DIR --manifest PRODUCTS.csv [--model auto|clip|offline|clip:ARCH/TAG_OR_PATH] [--batch-size N]
    python scripts/index_catalog.py CATALOG_DIR --folder PHOTOS_DIR      # one subfolder per product_id

Past one machine (docs/scaling.md):
    --store milvus [--milvus-uri URI]   a new catalog keeps its vectors in Milvus: a local file
                                        (default CATALOG_DIR/vectors.milvus.db, Milvus Lite) or
                                        http://HOST:19530 (Milvus server or cluster)
    --ray [ADDRESS]                     embed on Ray: a local Ray without ADDRESS, else join the
                                        cluster at ADDRESS (e.g. ray://HEAD:10001, or auto)

PRODUCTS.csv has a header row with the columns path, product_id and optionally label
(genuine or counterfeit), name, brand, view, label_text (what the genuine package says) and gtin
(one or several, separated by spaces or ';'). Relative paths resolve against the manifest's folder.
Running the same import again adds only what is missing.

A new catalog reads the label text (OCR) and the barcodes of every reference, and every check
compares them: evidence that tells a product from its look-alike. It also keeps each reference's
keypoints (local features, about 106 KB a reference at most), so a check can align the photo with
the genuine print and show where it differs. --no-text / --no-codes / --no-keypoints turn either
off for a new catalog (the catalog records the choice, like the model).
"""

import argparse
import json

from index import connect, import_references, product_rows_from_folder, read_products
from index.cli import run
from vision import MODEL_CHOICES


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("catalog", help="catalog folder (created if it does not exist)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--manifest", help="CSV: path, product_id[, label, name, brand, view, label_text, gtin]")
    source.add_argument("--folder", help="folder with one subfolder of photos per product_id")
    parser.add_argument("--model", default=None, help=f"{MODEL_CHOICES} (new catalogs; default auto)")
    parser.add_argument("--batch-size", type=int, default=32, help="photos embedded and committed together (default 32)")
    parser.add_argument("--label", choices=("genuine", "counterfeit"), default="genuine", help="label for --folder photos")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: VERIFIER_THREADS or all cores)")
    parser.add_argument("--confine-paths", action="store_true",
                        help="refuse manifest paths outside the manifest's folder (as the app does for uploads; "
                             "on the command line, your own paths are trusted by default)")
    parser.add_argument("--allow-outside-paths", action="store_true", help=argparse.SUPPRESS)  # the old default
    parser.add_argument("--store", choices=["faiss", "milvus"], default=None,
                        help="where a new catalog keeps its vectors (default faiss, in the catalog folder)")
    parser.add_argument("--milvus-uri", default=None,
                        help="Milvus for --store milvus: a .db file (Milvus Lite; relative to the catalog) or http://HOST:19530")
    parser.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                        help="embed with Ray Data: a local Ray without ADDRESS, else the cluster at ADDRESS")
    parser.add_argument("--ray-actors", type=int, default=None, help="embedder actors on Ray (default: half the CPUs)")
    parser.add_argument("--no-text", action="store_true", help="a new catalog does not read label text (OCR)")
    parser.add_argument("--no-codes", action="store_true", help="a new catalog does not read barcodes")
    parser.add_argument("--no-keypoints", action="store_true",
                        help="a new catalog keeps no keypoints (no print alignment; saves ~106 KB a reference)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args()
    if args.batch_size < 1:
        parser.error("--batch-size must be at least 1")
    if args.ray_actors is not None and (args.ray_actors < 1 or args.ray is None):
        parser.error("--ray-actors goes with --ray and must be at least 1")
    if args.milvus_uri and args.store not in (None, "milvus"):
        parser.error("--milvus-uri goes with --store milvus")
    store = None
    if args.store or args.milvus_uri:
        from index import StoreConfig

        store = StoreConfig(args.store or "milvus", args.milvus_uri or "")

    if args.manifest:
        rows = read_products(args.manifest, allow_outside=not args.confine_paths)
    else:
        rows = product_rows_from_folder(args.folder, label=args.label)
    leave_ray = lambda: None  # noqa: E731
    if args.ray is not None:
        from index.importing.ray_import import check_actors, import_references_ray, start_ray

        if args.ray == "" and args.ray_actors is not None:  # a local Ray: its CPUs are known before it starts
            from vision.runtime import available_cores

            check_actors(args.ray_actors, available_cores())
        # Ray first: starting its processes while Milvus Lite's in-process gRPC server runs
        # forks a process with gRPC threads (seen once to hang Ray's start-up).
        leave_ray = start_ray(args.ray or None)
    try:
        threads = args.threads if args.ray is None else (args.threads or 1)
        catalog, embedder = connect(args.catalog, args.model, create=True, writable=True, threads=threads, store=store,
                                    read_text=not args.no_text, read_codes=not args.no_codes,
                                    keep_keypoints=not args.no_keypoints)
        from index.storing import audit

        source = {"manifest": str(args.manifest)} if args.manifest else {"folder": str(args.folder), "label": args.label}
        if args.ray is not None:
            source["ray"] = args.ray or "local"
        with catalog, catalog.audited(audit.command_line_user(), "import", source):
            if args.ray is None:
                summary = import_references(catalog, embedder, rows, batch_size=args.batch_size,
                                            progress=not args.no_progress)
            else:
                summary = import_references_ray(catalog, embedder, rows, address=args.ray or None,
                                                batch_size=args.batch_size, actors=args.ray_actors,
                                                progress=not args.no_progress)
            totals = catalog.stats()
    finally:
        leave_ray()
    from index.importing.tuning import LOG_NAME, tune_in_background_if_due

    tuning = tune_in_background_if_due(args.catalog) if summary.added else None
    if args.json:
        print(json.dumps({**summary.to_dict(), "catalog": totals, "tuning_started": tuning}, indent=2))
    else:
        print(summary.format())
        print(f"catalog {args.catalog}: {totals['references']} references of {totals['products']} products, "
              f"model {totals['model']}, reads {totals['reading']}")
        if tuning:
            print(f"fitting the model to the catalog in the background ({tuning}); checks use the current model "
                  f"until it is done; progress in {args.catalog}/{LOG_NAME}")
    return 0


if __name__ == "__main__":
    run(main)
