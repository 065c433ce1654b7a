"""Packaged products missing from the catalog (issue 24's floor: AUROC >= 0.90, <= 3% called
`genuine`), measured on every packaged product in turn, not on a handful.

    python scripts/make_grocery_eval.py                      # build/grocery
    python scripts/experiments/unknown_packaged.py build/cat_all [--groups 5] [--out build/reports/unknown_packaged]
    python scripts/experiments/unknown_packaged.py build/cat_all --tuned --only 1   # group 1, its cut tuned (~30 min)

The packaged products of the catalog (Grocery Store `Packages/`, 30) are dealt into GROUPS groups
(sorted, every GROUPS-th). For each group the catalog is copied without that group's references
(the calibration refitted, nothing read or embedded again: ``subset_catalog.py``'s way) and every
Grocery Store *val* photo is checked without a claim through ``scripts/evaluate.py``: the group's
photos are products missing from the catalog, the others are catalog products. Pooled over the
groups, printed and written to OUT/figures.json (figures_tuned.json with ``--tuned``):

- the unknown-product AUROC of the risk score (missing packaged products against every catalog
  product's photos, and against the catalog's packaged products' only: a missing milk is best
  hidden among the catalog's milks);
- the share of missing packaged products' photos called `genuine` (the floor's 3%) and
  `unknown`; the catalog products' photos given the green badge on the right or the wrong product.

The existing held-out catalog (``make_grocery_eval``'s every 7th product) is mostly fruit and
vegetables (2 packaged products, 10 photos of 46), so it says little of this floor. A tuned
catalog is not cut here: its backbone would have seen the products removed afterwards. ``--tuned``
tunes each cut of the untuned catalog instead (``scripts/tune_catalog.py``, ~27 min a group on 2
cores), as a deployment's catalog is tuned after an import: the tuning never sees the missing
products. ``--only`` picks groups (the others are not measured).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from index.evaluation import auroc  # noqa: E402
from index.judging import calibration  # noqa: E402
from index.judging.decision import Policy  # noqa: E402
from index.storing.catalog import Catalog  # noqa: E402

GROCERY = ROOT / "build" / "grocery"


def packaged_products(catalog_path: str) -> list[str]:
    with Catalog.open(catalog_path) as catalog:
        rows = catalog.db.execute("SELECT DISTINCT product_id, source_path FROM refs").fetchall()
    return sorted({product for product, path in rows if "/Packages/" in (path or "")})


def cut(source: str, target: Path, products: list[str]) -> None:
    """``source`` copied to ``target`` without the references of ``products`` (once)."""
    if (target / "references.sqlite").exists():
        return
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".write.lock"))
    with Catalog.open(target, writable=True) as catalog:
        marks = ",".join("?" * len(products))
        drop = [i for (i,) in catalog.db.execute(f"SELECT image_id FROM refs WHERE product_id IN ({marks})", products)]
        catalog.remove_images(drop)
        calibration.refresh(catalog)


def queries(products: set[str], out: Path) -> Path:
    """Every val photo once, no claim; the true product left empty for ``products``."""
    rows = [r for r in csv.DictReader(open(GROCERY / "queries_claims.csv", encoding="utf-8"))
            if not r["claimed_product_id"]]
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, ["path", "claimed_product_id", "case_id", "true_product_id", "label"])
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "true_product_id": "" if row["true_product_id"] in products else row["true_product_id"]})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("catalog")
    parser.add_argument("--groups", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "build" / "reports" / "unknown_packaged"))
    parser.add_argument("--tuned", action="store_true", help="tune each cut first (scripts/tune_catalog.py)")
    parser.add_argument("--only", type=int, nargs="*", default=None, help="these groups only")
    parser.add_argument("--readings-cache", default=str(ROOT / "build" / "readings-cache.json"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    packaged = packaged_products(args.catalog)
    env = {**os.environ, "VERIFIER_AUTO_TUNE": "0"}
    results = []
    open_set: dict[int, dict] = {}
    groups = args.only if args.only else list(range(args.groups))
    suffix = "_tuned" if args.tuned else ""
    for group in groups:
        held = packaged[group::args.groups]
        catalog_dir = out / f"catalog_g{group}"
        cut(args.catalog, catalog_dir, held)
        if args.tuned:
            tuned_dir = out / f"catalog_g{group}_tuned"
            if not (tuned_dir / "references.sqlite").exists() or not (tuned_dir / ".tuned").exists():
                shutil.rmtree(tuned_dir, ignore_errors=True)
                shutil.copytree(catalog_dir, tuned_dir, ignore=shutil.ignore_patterns(".write.lock"))
                subprocess.run([sys.executable, str(ROOT / "scripts" / "tune_catalog.py"), str(tuned_dir),
                                "--no-progress"], check=True, env=env)
                (tuned_dir / ".tuned").touch()
            catalog_dir = tuned_dir
        with Catalog.open(catalog_dir) as catalog:
            current = calibration.current(catalog)
        open_set[group] = {"open_threshold": round(current.accept_threshold(Policy().open_accept_rate, False), 4)}
        manifest = queries(set(held), GROCERY / f"queries_unknown_packaged_g{group}.csv")
        report = out / f"g{group}{suffix}"
        if not (report / "results.jsonl").exists():
            subprocess.run([sys.executable, str(ROOT / "scripts" / "evaluate.py"), str(catalog_dir), "--manifest",
                            str(manifest), "--out", str(report), "--no-progress", "--readings-cache",
                            args.readings_cache], check=True, env=env)
        for line in open(report / "results.jsonl", encoding="utf-8"):
            row = json.loads(line)
            row["group"], row["held_out"] = group, held
            results.append(row)

    def packaged_photo(row):
        return "/Packages/" in row["path"]

    missing = [r for r in results if not r["truth"]["true_product_id"] and packaged_photo(r)]
    known = [r for r in results if r["truth"]["true_product_id"]]
    known_packaged = [r for r in known if packaged_photo(r)]

    def scores(rows):
        return np.array([r["counterfeit_score"] if r["counterfeit_score"] is not None else 1.0 for r in rows])

    figures = {
        "catalog": args.catalog + (" (each cut tuned)" if args.tuned else ""),
        "groups": args.groups,
        "measured_groups": groups,
        "packaged_products": len(packaged),
        "missing_photos": len(missing),
        "known_photos": len(known),
        "auroc_missing_vs_catalog_products": round(auroc(scores(known), scores(missing)), 4),
        "auroc_missing_vs_catalog_packaged": round(auroc(scores(known_packaged), scores(missing)), 4),
        "missing_called_genuine": round(float(np.mean([r["verdict"] == "genuine" for r in missing])), 4),
        "missing_called_unknown": round(float(np.mean([r["verdict"] == "unknown" for r in missing])), 4),
        "known_green_right_product": round(float(np.mean(
            [r["verdict"] == "genuine" and r["product_id"] == r["truth"]["true_product_id"] for r in known])), 4),
        "known_green_wrong_product": round(float(np.mean(
            [r["verdict"] == "genuine" and r["product_id"] != r["truth"]["true_product_id"] for r in known])), 4),
        "missing_green": [{"photo": Path(r["path"]).name, "called": r["product_id"]}
                          for r in missing if r["verdict"] == "genuine"],
        "per_group": [{"held_out": packaged[g::args.groups],
                       "auroc": round(auroc(scores([r for r in known if r["group"] == g]),
                                            scores([r for r in missing if r["group"] == g])), 4),
                       **open_set[g]}
                      for g in groups],
    }
    (out / f"figures{suffix}.json").write_text(json.dumps(figures, indent=1), encoding="utf-8")
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
