"""Lab: would a word read confidently that no catalog profile (nor any photo of the product judged)
carries withhold a green badge it should, and spare the ones it should not?

    python scripts/experiments/foreign_words.py CATALOG RESULTS.jsonl [CATALOG RESULTS.jsonl ...]
        [--confidence 0.9] [--specific 2]

For each green verdict in each report (``scripts/evaluate.py``'s results.jsonl, checked against
CATALOG), the words read (``evidence.text.read``) are compared with the catalog's text profiles
(``calibration.text_index``): a word of 5+ letters read at ``--confidence`` or more that is no
profile's word and was never read on the judged product's references (``TextProfile.ever``, within
OCR noise) would withhold the badge, unless one of the product's own specific words (held by at
most ``--specific`` profiles) is read. Printed per report and truth (true claim, look-alike claim,
missing product, ...): how many green verdicts it would take away, and which.

Measured 2026-12-08 (docs/verification.md, "Tuned cuts"): on the tuned cut of group 1 of
``unknown_packaged.py`` it saves neither green missing pack and takes the badge from 7 of the 227
true claims green on the tuned claims catalog. Not built.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from index.judging.calibration import text_index  # noqa: E402
from index.judging.text import OTHER_MIN_REFERENCES, OWN_WORD_MATCH, _fuzzy_in, read_words  # noqa: E402
from index.storing.catalog import Catalog  # noqa: E402


def foreign_words(index, read, product: str, confidence: float, specific: int) -> list[str]:
    profile = index.profiles.get(product)
    if profile is None or profile.references < OTHER_MIN_REFERENCES:
        return []
    own = {w for w in profile.vocabulary() if profile.weight(w) > 0}
    ever = own | set(profile.ever)
    found = [r.word for r in read if r.confidence >= confidence and len(r.word) >= 5 and r.word.isalpha()
             and not _fuzzy_in(r.word, ever) and not _fuzzy_in(r.word, index._vocabulary)]
    own_specific = {w for w in own if len(index.holders.get(w, [])) <= specific}
    words_read = [r.word for r in read]
    if any(_fuzzy_in(w, words_read, OWN_WORD_MATCH) for w in own_specific):
        return []
    return found


def truth(row: dict) -> str:
    true, claimed, called = row["truth"].get("true_product_id"), row.get("claimed_product_id"), row.get("product_id")
    if not true:
        return "missing product"
    if claimed:
        return "true claim" if claimed == true else "look-alike claim"
    return "no claim, right product" if called == true else "no claim, wrong product"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pairs", nargs="+", help="CATALOG RESULTS.jsonl, one pair or more")
    parser.add_argument("--confidence", type=float, default=0.9)
    parser.add_argument("--specific", type=int, default=2)
    args = parser.parse_args()
    if len(args.pairs) % 2:
        parser.error("give CATALOG RESULTS.jsonl pairs")
    for catalog_path, results in zip(args.pairs[::2], args.pairs[1::2]):
        with Catalog.open(catalog_path) as catalog:
            index = text_index(catalog)
        counts: dict[str, list[int]] = {}
        for line in open(results, encoding="utf-8"):
            row = json.loads(line)
            if row["verdict"] != "genuine":
                continue
            found = foreign_words(index, read_words(row["evidence"]["text"]["read"]), row["product_id"],
                                  args.confidence, args.specific)
            kind = truth(row)
            counts.setdefault(kind, [0, 0])
            counts[kind][0] += 1
            counts[kind][1] += bool(found)
            if found:
                print(f"  {kind}: {Path(row['path']).name} as {row['product_id']}: {', '.join(found)}")
        print(results, {kind: f"{lost} of {green} green would lose it" for kind, (green, lost) in counts.items()})


if __name__ == "__main__":
    main()
