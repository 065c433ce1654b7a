"""Green verdicts the printed-figure rule (``index.judging.text._other_figures``: a percentage read
on the photos that the product's packs never show, where they show one of their own) withholds,
per kind of check, from a report's stored readings (its ``evidence.text.read``):

    python scripts/experiments/printed_figures.py CATALOG REPORT/results.jsonl

A report made before the rule existed says what it would have changed; one made after, what its
green verdicts still read.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from index.judging.calibration import text_index  # noqa: E402
from index.judging.text import _other_figures, read_figures  # noqa: E402
from index.storing.catalog import Catalog  # noqa: E402


def kind(row: dict) -> str:
    truth, claimed, called = row["truth"].get("true_product_id"), row.get("claimed_product_id"), row["product_id"]
    if claimed:
        return "true claim" if truth == claimed else "look-alike claim"
    return "missing product" if not truth else "right product" if truth == called else "wrong product"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("catalog")
    parser.add_argument("results")
    args = parser.parse_args()
    with Catalog.open(args.catalog) as catalog:
        index = text_index(catalog)
    green, withheld = collections.Counter(), collections.Counter()
    for line in open(args.results, encoding="utf-8"):
        row = json.loads(line)
        if row["verdict"] != "genuine":
            continue
        profile = index.profiles.get(row["product_id"]) if index else None
        read = read_figures(((row.get("evidence") or {}).get("text") or {}).get("read", []))
        other = _other_figures(profile, read) if profile else ()
        green[kind(row)] += 1
        if other:
            withheld[kind(row)] += 1
            print(f"{kind(row)}: {Path(row['path']).name} as {row['product_id']}: read {other}")
    for name in sorted(green):
        print(f"{name}: {withheld[name]} of {green[name]} green verdicts withheld")


if __name__ == "__main__":
    main()
