#!/usr/bin/env python
"""Look after a catalog: statistics, products, references, removals.

    python scripts/manage_catalog.py CATALOG_DIR stats
    python scripts/manage_catalog.py CATALOG_DIR products
    python scripts/manage_catalog.py CATALOG_DIR references [--product PRODUCT_ID]
    python scripts/manage_catalog.py CATALOG_DIR remove-image IMAGE_ID [IMAGE_ID ...]
    python scripts/manage_catalog.py CATALOG_DIR remove-product PRODUCT_ID
"""

import argparse
import json
from dataclasses import asdict

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
    remove_product = commands.add_parser("remove-product", help="remove every reference of a product")
    remove_product.add_argument("product_id")
    args = parser.parse_args()

    writable = args.command.startswith("remove")
    with Catalog.open(args.catalog, writable=writable) as catalog:
        if args.command == "stats":
            print(json.dumps(catalog.stats(), indent=2))
        elif args.command == "products":
            print(json.dumps([asdict(p) for p in catalog.products()], indent=2, ensure_ascii=False))
        elif args.command == "references":
            print(json.dumps([asdict(r) for r in catalog.references(product_id=args.product)], indent=2, ensure_ascii=False))
        else:
            if args.command == "remove-image":
                removed = catalog.remove_images(args.image_ids)
            else:
                removed = catalog.remove_product(args.product_id)
            if removed:
                from index import calibration

                calibration.refresh(catalog)
            print(f"removed {removed} references; the catalog now holds {len(catalog)}")
    return 0


if __name__ == "__main__":
    run(main)
