#!/usr/bin/env python
"""Look after a catalog: statistics, products, references, removals.

    python scripts/manage_catalog.py CATALOG_DIR stats
    python scripts/manage_catalog.py CATALOG_DIR products
    python scripts/manage_catalog.py CATALOG_DIR references [--product PRODUCT_ID]
    python scripts/manage_catalog.py CATALOG_DIR remove-image IMAGE_ID [IMAGE_ID ...]
    python scripts/manage_catalog.py CATALOG_DIR remove-product PRODUCT_ID [PRODUCT_ID ...]
    python scripts/manage_catalog.py CATALOG_DIR calibration
    python scripts/manage_catalog.py CATALOG_DIR set-false-alarm-rate 0.02
    python scripts/manage_catalog.py CATALOG_DIR rebuild-index [--mode auto|flat|hnsw]
    python scripts/manage_catalog.py CATALOG_DIR set-store milvus [--milvus-uri URI]
    python scripts/manage_catalog.py CATALOG_DIR set-store faiss
    python scripts/manage_catalog.py CATALOG_DIR set-auto-tune on|off
    python scripts/manage_catalog.py CATALOG_DIR import-serials SERIALS.csv        # gtin,serial[,batch][,expiry]
    python scripts/manage_catalog.py CATALOG_DIR decommission-serials SOLD.csv     # gtin,serial[,state][,date]
    python scripts/manage_catalog.py CATALOG_DIR serials                           # the register: GTINs, counts, key
    python scripts/manage_catalog.py CATALOG_DIR set-serial-storage hashed|plain   # before the first import
    python scripts/manage_catalog.py CATALOG_DIR add-stamp-pattern 'https://xacthuc.brand.vn/c/{serial}' [--brand B]
    python scripts/manage_catalog.py CATALOG_DIR remove-stamp-pattern TEMPLATE
    python scripts/manage_catalog.py CATALOG_DIR clear-serials
    python scripts/manage_catalog.py CATALOG_DIR keypoints

The search index is exact (flat) up to 20,000 references and a graph (HNSW) from there, chosen
by the catalog as it grows; `rebuild-index --mode flat|hnsw` pins a type, `--mode auto` unpins.
`set-store` moves the vectors between FAISS (a file in the catalog folder) and Milvus (a local
Milvus Lite .db file, or http://HOST:19530 for a Milvus server or cluster); see docs/scaling.md.

`keypoints` keeps the local features of every reference that lacks them (catalogs made before
keypoints were kept, or with --no-keypoints), computed from the photos the catalog keeps, and
from then on keeps them at every import: a check then aligns the photo with the genuine print
and shows where it differs. Interrupted, run it again: it goes on where it stopped.

Calibration (the product head, the claim model and what genuine photos of each product score)
is recomputed after every change, and a change large enough starts fitting the model to the
catalog in the background (`set-auto-tune off` stops that; `scripts/tune_catalog.py` runs it by hand).

The register of serials (index/storing/serials.py): a brand's issued serial numbers, read by every
check against the unit codes on the item (GS1 DataMatrix, GS1 Digital Link QR codes, stamps of the
templates added). Stored as keyed hashes by default: the key lives outside the catalog, in
VERIFIER_KEY_DIR (default ~/.config/counterfeit-verifier)/serial-keys/; copy it with the catalog to
a machine that checks. A bad row refuses the whole file, each bad row named with its line.
"""

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from index import Catalog
from index.cli import run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("catalog")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("stats", help="size, model, index")
    commands.add_parser("products", help="products with their reference counts")
    references = commands.add_parser("references", help="references, optionally of one product")
    references.add_argument("--product")
    remove_image = commands.add_parser("remove-image", help="remove references by image id")
    remove_image.add_argument("image_ids", nargs="+", type=int)
    remove_product = commands.add_parser("remove-product", help="remove every reference of these products")
    remove_product.add_argument("product_ids", nargs="+")
    commands.add_parser("calibration", help="per product: calibration level and claim threshold")
    rate = commands.add_parser("set-false-alarm-rate", help="share of genuine photos that may be flagged (default 0.05)")
    rate.add_argument("rate", type=float)
    rebuild = commands.add_parser("rebuild-index", help="rebuild the search index from the stored vectors")
    rebuild.add_argument("--mode", choices=["auto", "flat", "hnsw"], default=None,
                         help="pin the index type (default: keep the catalog's mode)")
    move = commands.add_parser("set-store", help="move the vectors to FAISS or Milvus")
    move.add_argument("store", choices=["faiss", "milvus"])
    move.add_argument("--milvus-uri", default=None,
                      help="a .db file (Milvus Lite, relative to the catalog) or http://HOST:19530 (default vectors.milvus.db)")
    auto_tune = commands.add_parser("set-auto-tune", help="fit the model to the catalog in the background after changes")
    auto_tune.add_argument("state", choices=["on", "off"])
    serials = commands.add_parser("import-serials", help="import a brand's register of issued serials (CSV)")
    serials.add_argument("file")
    sold = commands.add_parser("decommission-serials", help="mark serials sold or seen (CSV: gtin,serial,state,date)")
    sold.add_argument("file")
    commands.add_parser("serials", help="the register of serials: storage, key, GTINs and counts, stamp templates")
    storage = commands.add_parser("set-serial-storage", help="store serials as keyed hashes (default) or plain")
    storage.add_argument("storage", choices=["hashed", "plain"])
    stamp = commands.add_parser("add-stamp-pattern", help="read a brand's stamp URLs: a template with {serial} in it")
    stamp.add_argument("template")
    stamp.add_argument("--brand", default="")
    unstamp = commands.add_parser("remove-stamp-pattern", help="stop reading a stamp template")
    unstamp.add_argument("template")
    commands.add_parser("clear-serials", help="remove every serial from the register")
    commands.add_parser("keypoints", help="keep the keypoints (local features) of references lacking them, "
                                          "and of every reference imported from now on")
    commands.add_parser("keep-originals", help="copy into the catalog the photos of references it does not hold yet "
                                               "(catalogs made before originals were kept)")
    args = parser.parse_args()

    from index.storing import audit

    writable = args.command.startswith(("remove", "set-", "rebuild", "keep-", "import-", "decommission-", "add-",
                                         "clear-", "keypoints"))
    user = audit.command_line_user()
    with Catalog.open(args.catalog, writable=writable) as catalog:
        if args.command == "stats":
            print(json.dumps(catalog.stats(), indent=2))
        elif args.command == "products":
            print(json.dumps([asdict(p) for p in catalog.products()], indent=2, ensure_ascii=False))
        elif args.command == "calibration":
            from index.judging import calibration
            from index.verify import policy_of

            policy = policy_of(catalog)
            summary = calibration.current(catalog).summary(policy.false_alarm_rate)
            print(json.dumps({"policy": asdict(policy), "products": summary}, indent=2, ensure_ascii=False))
        elif args.command == "set-false-alarm-rate":
            from dataclasses import replace

            from index.verify import policy_of, set_policy

            if not 0.0 <= args.rate < 1.0:
                parser.error("the false-alarm rate must lie in [0, 1), e.g. 0.05")
            with catalog.audited(user, "set_false_alarm_rate", {"false_alarm_rate": args.rate}):
                set_policy(catalog, replace(policy_of(catalog), false_alarm_rate=args.rate))
            print(f"false-alarm rate set to {args.rate}")
        elif args.command == "rebuild-index":
            with catalog.audited(user, "rebuild_index", {"mode": args.mode or catalog.index_mode}):
                catalog.rebuild_index(args.mode, progress=True)
            print(f"index rebuilt: {catalog.stats()['index']} over {len(catalog)} references (mode {catalog.index_mode})")
        elif args.command == "set-store":
            from index import StoreConfig

            if args.milvus_uri and args.store != "milvus":
                parser.error("--milvus-uri goes with set-store milvus")
            with catalog.audited(user, "set_store", {"milvus_uri": args.milvus_uri} if args.milvus_uri else {}):
                catalog.rebuild_index(progress=True, store=StoreConfig(args.store, args.milvus_uri or ""))
            stats = catalog.stats()
            print(f"vectors now in {stats['vector_store']}"
                  + (f" at {stats['milvus_uri']}, collection {stats['milvus_collection']}" if "milvus_uri" in stats else "")
                  + f": {stats['indexed_vectors']} of {stats['references']} references")
        elif args.command == "set-auto-tune":
            from index.importing.tuning import AUTO_TUNE_SETTING

            with catalog.audited(user, "set_auto_tune"):
                catalog.set_setting(AUTO_TUNE_SETTING, args.state)
            print(f"background tuning {args.state}")
        elif args.command == "keep-originals":
            copied, missing = catalog.keep_missing_originals()
            print(f"copied {copied} original photos into the catalog; {missing} could not be found at their source "
                  "(tuning needs them: put them back and run this again)" if missing else
                  f"copied {copied} original photos into the catalog; it holds every reference's photo")
        elif args.command in ("import-serials", "decommission-serials"):
            from index.importing.serials import load_register

            action = args.command.replace("-", "_")
            with catalog.audited(user, action, {"file": Path(args.file).name}):
                summary = load_register(catalog, args.file, decommission=action == "decommission_serials")
            print(summary.format())
        elif args.command == "serials":
            from index.storing.serials import Register

            print(json.dumps(Register.of(catalog).summary(), indent=2, ensure_ascii=False))
        elif args.command == "set-serial-storage":
            from index.storing import serials as register

            with catalog.audited(user, "set_serial_storage"):
                register.set_storage(catalog, args.storage)
            print(f"serials will be stored {args.storage}")
        elif args.command in ("add-stamp-pattern", "remove-stamp-pattern", "clear-serials"):
            from index.storing import serials as register

            with catalog.audited(user, args.command.replace("-", "_")):
                if args.command == "add-stamp-pattern":
                    try:
                        added = register.add_stamp(catalog, args.template, args.brand)
                    except ValueError as exc:
                        parser.error(str(exc))
                    print(f"stamp template added: {args.template}" if added else "that template is already there")
                elif args.command == "remove-stamp-pattern":
                    print("stamp template removed" if register.remove_stamp(catalog, args.template)
                          else "no such stamp template")
                else:
                    print(f"removed {register.clear(catalog)} serials from the register")
        elif args.command == "keypoints":
            from index.storing import keypoints

            with catalog.audited(user, "keypoints"):
                filled, failed = keypoints.fill_missing(catalog, progress=True)
            stats = catalog.stats()
            print(f"keypoints kept for {filled} more references; {stats['references_with_keypoints']} of "
                  f"{stats['references']} have them ({stats['keypoint_bytes_per_reference']} bytes each on average)")
            for image_id, reason in failed:
                print(f"  #{image_id}: {reason}")
        elif args.command == "references":
            print(json.dumps([asdict(r) for r in catalog.references(product_id=args.product)], indent=2, ensure_ascii=False))
        else:
            target = {"image_ids": args.image_ids} if args.command == "remove-image" else {"products": args.product_ids}
            with catalog.audited(user, args.command.replace("-", "_"), target):
                if args.command == "remove-image":
                    removed = catalog.remove_images(args.image_ids)
                else:
                    removed = catalog.remove_images([r.image_id for product in args.product_ids
                                                     for r in catalog.references(product_id=product)])
            if removed:
                from index.judging import calibration

                calibration.refresh(catalog)
            print(f"removed {removed} references; the catalog now holds {len(catalog)}")
    if args.command in ("remove-image", "remove-product"):
        from index.importing.tuning import tune_in_background_if_due

        if tune_in_background_if_due(args.catalog):
            print("fitting the model to the catalog in the background")
    return 0


if __name__ == "__main__":
    run(main)
