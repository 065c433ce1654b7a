#!/usr/bin/env python
"""Measure verdicts against ground truth, through the same code path as scripts/verify.py.

    python scripts/evaluate.py CATALOG_DIR --manifest QUERIES.csv --out REPORT_DIR

QUERIES.csv: the query manifest (path, claimed_product_id, case_id) plus ground truth:
true_product_id (empty for a product not in the catalog) and label (genuine: the claim is true;
counterfeit: the claim is false, e.g. a look-alike or a fake). Writes REPORT_DIR/figures.json
(identification recall@1/@5; AUROC and true-positive rate at 1% and 5% false-positive rate for
false claims; unknown-product AUROC; abstain rate), results.jsonl and scores.png.
"""

import argparse
import json
import time
from pathlib import Path

from index import Verifier, cases_from_queries, connect, read_queries
from index.cli import run
from index.evaluation import Truth, evaluate, write_report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("catalog")
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--out", required=True, help="report folder")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--confine-paths", action="store_true",
                        help="refuse manifest paths outside the manifest's folder (as the app does for uploads; "
                             "on the command line, your own paths are trusted by default)")
    parser.add_argument("--allow-outside-paths", action="store_true", help=argparse.SUPPRESS)  # the old default
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--readings-cache", default=None,
                        help="a JSON file of what was read on each photo (text, codes), by content: reused and "
                             "extended, so that evaluating several catalogs on the same photos reads them once")
    args = parser.parse_args()

    rows = read_queries(args.manifest, allow_outside=not args.confine_paths)
    grouped = cases_from_queries(rows, args.manifest)
    catalog, embedder = connect(args.catalog, threads=args.threads)
    with catalog:
        products = {p.product_id for p in catalog.products() if p.genuine}
        verifier = Verifier(catalog, embedder)
        cache = _load_readings(args.readings_cache, verifier)
        started = time.perf_counter()
        verdicts = list(verifier.check_many([case for case, _ in grouped], progress=not args.no_progress))
        seconds = time.perf_counter() - started
        _save_readings(args.readings_cache, verifier, cache)
        pairs = [(verdict, Truth(members[0].true_product_id, members[0].label))
                 for verdict, (_, members) in zip(verdicts, grouped)]
        figures = evaluate(pairs, products)
        figures["model"] = embedder.name
        figures["catalog"] = {"path": str(args.catalog), "references": len(catalog), "products": len(products)}
        figures["seconds_per_photo"] = round(seconds / max(1, sum(len(c.photos) for c, _ in grouped)), 4)
        written = write_report(Path(args.out), figures, pairs, products)
    print(json.dumps(figures, indent=2))
    print("wrote " + ", ".join(str(p) for p in written))
    return 0


def _load_readings(path, verifier) -> dict:
    """Readings kept from earlier runs, for this reader's settings, put where the verifier looks."""
    import index.verify
    from vision.package import PackageReading

    if not path:
        return {}
    index.verify.READINGS_KEPT = 1_000_000  # every photo of the run stays read
    key = json.dumps(verifier.reader.describe(), sort_keys=True)
    stored = json.loads(Path(path).read_text()) if Path(path).is_file() else {}
    for sha, reading in stored.get(key, {}).items():
        verifier._readings[sha] = PackageReading.from_json(reading)
    return stored


def _save_readings(path, verifier, stored: dict) -> None:
    if not path:
        return
    key = json.dumps(verifier.reader.describe(), sort_keys=True)
    stored.setdefault(key, {}).update({sha: r.to_json() for sha, r in verifier._readings.items()})
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(stored))


if __name__ == "__main__":
    run(main)
