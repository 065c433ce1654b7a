"""Each signal's share of the gain, from the reports of scripts/evaluate_grocery.sh.

    python scripts/experiments/signal_shares.py [build/reports]

Rows: appearance only (catalog imported with --no-text --no-codes) → + label text (the default
catalog) → + abstention (the same verdicts, read as if every `insufficient_evidence` were green:
what the rule did before it had to be earned). Barcodes and known fakes are measured on their
own: Grocery Store manifests carry no GTINs, and known fakes need the fakes catalog."""

import json
import sys
from pathlib import Path

REPORTS = Path(sys.argv[1] if len(sys.argv) > 1 else "build/reports")


def rows(name):
    path = REPORTS / name / "results.jsonl"
    return [json.loads(line) for line in open(path, encoding="utf-8")] if path.exists() else None


def figures(results, earned=True):
    def verdict(r):
        if not earned and r["verdict"] == "unknown" and "insufficient_evidence" in r["flags"]:
            return "genuine"
        return r["verdict"]

    true = [r for r in results if r["claimed_product_id"] and r["truth"]["label"] == "genuine"]
    false = [r for r in results if r["claimed_product_id"] and r["truth"]["label"] == "counterfeit"]
    share = lambda group, test: sum(map(test, group)) / len(group) if group else float("nan")  # noqa: E731
    return {
        "true claims genuine": share(true, lambda r: verdict(r) == "genuine"),
        "true claims flagged": share(true, lambda r: verdict(r) in ("suspicious", "counterfeit")),
        "look-alike claims genuine": share(false, lambda r: verdict(r) == "genuine"),
        "look-alike claims flagged": share(false, lambda r: verdict(r) in ("suspicious", "counterfeit")),
    }


def main():
    table = []
    appearance, full = rows("claims_appearance"), rows("claims")
    if appearance:
        table.append(("appearance only, green unless flagged (before)", figures(appearance, earned=False)))
        table.append(("appearance only, earned", figures(appearance)))
    if full:
        table.append(("+ label text, green unless flagged", figures(full, earned=False)))
        table.append(("+ label text, earned (default)", figures(full)))
    for name in ("claims_tuned",):
        if rows(name):
            table.append(("+ tuned model, earned", figures(rows(name))))
    keys = list(table[0][1]) if table else []
    print("| route | " + " | ".join(keys) + " |")
    print("|---|" + "---|" * len(keys))
    for label, values in table:
        print(f"| {label} | " + " | ".join(f"{values[k]:.3f}" for k in keys) + " |")
    fakes = rows("fakes")
    if fakes:
        print()
        print("known-fakes proxy (look-alike's train photos filed as the product's fakes):")
        f = figures(fakes)
        print(f"  look-alike val photos claimed as the product flagged: {f['look-alike claims flagged']:.3f}; "
              f"genuine: {f['look-alike claims genuine']:.3f}")
        print(f"  the product's own val photos flagged: {f['true claims flagged']:.3f}; genuine: {f['true claims genuine']:.3f}")


if __name__ == "__main__":
    main()
