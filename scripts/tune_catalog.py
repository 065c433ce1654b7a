#!/usr/bin/env python
"""Fine-tune the offline model on a catalog's own genuine references, then re-embed the catalog.

    python scripts/tune_catalog.py CATALOG_DIR [--if-due] [--full] [--epochs N] [--threads N]

Imports and removals start this in the background by themselves when the catalog changed enough
(see docs/verification.md; `manage_catalog.py CATALOG auto-tune off` stops that), so a brand owner
rarely needs to run it. Checks keep using the committed model until the tuned one is committed
whole. The tuned weights are stored in the catalog (safetensors) and every command and the app
load them from there; the catalog's model becomes `offline-tuned`.

  --if-due   tune only if the catalog changed enough since the last tuning (what the background run does)
  --full     train the whole backbone (slower) instead of its last blocks on cached views

VERIFIER_TUNE_RECIPE='{"epochs": 1, "size": 96, "train_from": 11, "views": 1}' overrides the recipe
(a quick one for tests and trials; '{"seed": 1}' trains another draw of the default recipe).
"""

import argparse
import dataclasses
import json
import os

from index.cli import run
from index.importing.tuning import Recipe, tune, tune_while_requested
from index.storing import audit

DEFAULT = Recipe()  # the last blocks on cached augmented views (docs/verification.md)
FULL = Recipe(epochs=5, size=224, train_from=None, draws=1)  # whole networks: one draw (a second would double it)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("catalog")
    parser.add_argument("--if-due", action="store_true", help="only if the catalog changed enough since the last tuning")
    parser.add_argument("--full", action="store_true", help="train the whole backbone (slower)")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args()
    if args.epochs is not None and args.epochs < 1:
        parser.error("--epochs must be at least 1")
    recipe = FULL if args.full else DEFAULT
    if os.environ.get("VERIFIER_TUNE_RECIPE"):
        recipe = Recipe(**json.loads(os.environ["VERIFIER_TUNE_RECIPE"]))
    if args.epochs:
        recipe = dataclasses.replace(recipe, epochs=args.epochs)
    user = "background tuning" if args.if_due else audit.command_line_user()
    if args.if_due:  # as the background tuning: again while changes ask for it, then leave
        summary = tune_while_requested(args.catalog, recipe, progress=not args.no_progress, threads=args.threads,
                                       user=user)
    else:
        summary = tune(args.catalog, recipe, progress=not args.no_progress, threads=args.threads, user=user)
    if summary is None:
        print(f"{args.catalog}: tuning not due (the catalog changed little since the last tuning)")
        return 0
    print(summary.format())
    return 0


if __name__ == "__main__":
    run(main)
