"""Figures of merit for verdicts against ground truth, and the plots that show them.

Inputs are Verdicts (from the same code path as ``scripts/verify.py``) paired with the query
manifest's ground truth: ``true_product_id`` (empty: a product not in the catalog) and ``label``
(``genuine``: the claim, if any, is true; ``counterfeit``: the claim is false, e.g. a look-alike).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .verdict import Verdict


@dataclass(frozen=True)
class Truth:
    true_product_id: str | None
    label: str | None


def auroc(negatives: np.ndarray, positives: np.ndarray) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    negatives, positives = np.asarray(negatives, float), np.asarray(positives, float)
    if not len(negatives) or not len(positives):
        return float("nan")
    scores = np.concatenate([negatives, positives])
    order = scores.argsort(kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    # average ranks for ties
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1
        i = j + 1
    positive_ranks = ranks[len(negatives) :].sum()
    n_pos, n_neg = len(positives), len(negatives)
    return float((positive_ranks - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def tpr_at_fpr(negatives: np.ndarray, positives: np.ndarray, fpr: float) -> float:
    """Share of positives caught when the threshold lets at most ``fpr`` of negatives through."""
    negatives, positives = np.asarray(negatives, float), np.asarray(positives, float)
    if not len(negatives) or not len(positives):
        return float("nan")
    allowed = int(np.floor(fpr * len(negatives)))
    ordered = np.sort(negatives)[::-1]
    threshold = ordered[allowed] if allowed < len(ordered) else -np.inf
    return float(np.mean(positives > threshold))


def roc_curve(negatives: np.ndarray, positives: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    thresholds = np.unique(np.concatenate([negatives, positives]))[::-1]
    fpr = np.array([0.0] + [float(np.mean(negatives >= t)) for t in thresholds])
    tpr = np.array([0.0] + [float(np.mean(positives >= t)) for t in thresholds])
    return fpr, tpr


def evaluate(pairs: list[tuple[Verdict, Truth]], catalog_products: set[str]) -> dict:
    figures: dict = {"cases": len(pairs)}

    # Identification: queries of catalog products, checked without a claim.
    ident = [(v, t) for v, t in pairs if v.claimed_product_id is None and t.true_product_id in catalog_products]
    if ident:
        # the best-ranked product, whether or not the evidence earned a verdict for it
        hits1 = [(v.details.get("identified_product_id") or v.product_id) == t.true_product_id for v, t in ident]
        hits5 = [t.true_product_id in [m.product_id for m in v.matches if m.label == "genuine"][:5] for v, t in ident]
        figures["identification"] = {
            "queries": len(ident),
            "recall_at_1": round(float(np.mean(hits1)), 4),
            "recall_at_5": round(float(np.mean(hits5)), 4),
            # a verdict naming the right product (genuine), the wrong one, or none (unknown)
            "verdict_right_product": _round(float(np.mean([v.verdict == "genuine" and v.product_id == t.true_product_id
                                                           for v, t in ident]))),
            "verdict_wrong_product": _round(float(np.mean([v.verdict == "genuine" and v.product_id != t.true_product_id
                                                           for v, t in ident]))),
        }

    # Claims: a true claim (label genuine) against a false one (label counterfeit: a look-alike or a fake).
    claims = [(v, t) for v, t in pairs if v.claimed_product_id is not None and t.label and v.counterfeit_score is not None]
    if claims:
        negatives = np.array([v.counterfeit_score for v, t in claims if t.label == "genuine"])
        positives = np.array([v.counterfeit_score for v, t in claims if t.label == "counterfeit"])
        false_alarms = [v.verdict in ("suspicious", "counterfeit") for v, t in claims if t.label == "genuine"]
        caught = [v.verdict in ("suspicious", "counterfeit") for v, t in claims if t.label == "counterfeit"]
        true_genuine = [v.verdict == "genuine" for v, t in claims if t.label == "genuine"]
        false_genuine = [v.verdict == "genuine" for v, t in claims if t.label == "counterfeit"]
        figures["claims"] = {
            "true_claims": int(len(negatives)),
            "false_claims": int(len(positives)),
            "auroc": _round(auroc(negatives, positives)),
            "tpr_at_1pct_fpr": _round(tpr_at_fpr(negatives, positives, 0.01)),
            "tpr_at_5pct_fpr": _round(tpr_at_fpr(negatives, positives, 0.05)),
            # true claims: earned the green badge / flagged (suspicious or counterfeit) / inconclusive
            "true_claims_genuine": _round(float(np.mean(true_genuine))) if true_genuine else None,
            "verdict_false_alarm_rate": _round(float(np.mean(false_alarms))) if false_alarms else None,
            # false claims (look-alikes, fakes): given the green badge (the costly error) / caught
            "false_claims_genuine": _round(float(np.mean(false_genuine))) if false_genuine else None,
            "verdict_catch_rate": _round(float(np.mean(caught))) if caught else None,
        }

    # Unknown products: checked without a claim; positives are products not in the catalog.
    open_set = [(v, t) for v, t in pairs if v.claimed_product_id is None and v.counterfeit_score is not None]
    unknown_pos = np.array([v.counterfeit_score for v, t in open_set if t.true_product_id not in catalog_products])
    known_neg = np.array([v.counterfeit_score for v, t in open_set if t.true_product_id in catalog_products])
    if len(unknown_pos) and len(known_neg):
        figures["unknown_products"] = {
            "unknown_queries": int(len(unknown_pos)),
            "known_queries": int(len(known_neg)),
            "auroc": _round(auroc(known_neg, unknown_pos)),
            "verdict_unknown_rate_on_unknown": _round(float(np.mean(
                [v.verdict == "unknown" for v, t in open_set if t.true_product_id not in catalog_products]))),
            "verdict_genuine_rate_on_unknown": _round(float(np.mean(
                [v.verdict == "genuine" for v, t in open_set if t.true_product_id not in catalog_products]))),
        }
    in_catalog = [v for v, t in pairs if t.true_product_id in catalog_products]
    if in_catalog:
        figures["abstain_rate"] = _round(float(np.mean([v.verdict == "unknown" for v in in_catalog])))
    verdicts = [v.verdict for v, _ in pairs]
    figures["verdicts"] = {k: verdicts.count(k) for k in ("genuine", "suspicious", "counterfeit", "unknown")}
    return figures


def write_report(out: Path, figures: dict, pairs: list[tuple[Verdict, Truth]], catalog_products: set[str]) -> list[Path]:
    """figures.json, results.jsonl and plots (ROC curves, score histograms) in ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    written = [out / "figures.json", out / "results.jsonl"]
    written[0].write_text(json.dumps(figures, indent=2) + "\n")
    with open(written[1], "w", encoding="utf-8") as handle:
        for verdict, truth in pairs:
            row = verdict.to_dict()
            row["truth"] = {"true_product_id": truth.true_product_id, "label": truth.label}
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")

    groups = {}
    claims = [(v, t) for v, t in pairs if v.claimed_product_id is not None and t.label and v.counterfeit_score is not None]
    if claims:
        groups["claims: true claim vs look-alike/fake"] = (
            np.array([v.counterfeit_score for v, t in claims if t.label == "genuine"]),
            np.array([v.counterfeit_score for v, t in claims if t.label == "counterfeit"]),
        )
    open_set = [(v, t) for v, t in pairs if v.claimed_product_id is None and v.counterfeit_score is not None]
    known = np.array([v.counterfeit_score for v, t in open_set if t.true_product_id in catalog_products])
    unknown = np.array([v.counterfeit_score for v, t in open_set if t.true_product_id not in catalog_products])
    if len(known) and len(unknown):
        groups["unknown products vs catalog products"] = (known, unknown)
    if not groups:
        return written

    fig, axes = plt.subplots(1, 1 + len(groups), figsize=(5 * (1 + len(groups)), 4.2))
    for name, (neg, pos) in groups.items():
        fpr, tpr = roc_curve(neg, pos)
        axes[0].plot(fpr, tpr, label=f"{name} (AUROC {auroc(neg, pos):.3f})")
    axes[0].plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
    axes[0].set(xlabel="false-positive rate", ylabel="true-positive rate", title="ROC")
    axes[0].legend(fontsize=7, loc="lower right")
    for axis, (name, (neg, pos)) in zip(axes[1:], groups.items()):
        bins = np.linspace(0, 1, 26)
        axis.hist(neg, bins=bins, alpha=0.6, label="genuine / in catalog", color="#1b7f3b")
        axis.hist(pos, bins=bins, alpha=0.6, label="not genuine / unknown", color="#b3261e")
        axis.set(xlabel="counterfeit_score", ylabel="queries", title=name)
        axis.legend(fontsize=7)
    fig.tight_layout()
    plot = out / "scores.png"
    fig.savefig(plot, dpi=110)
    plt.close(fig)
    written.append(plot)
    return written


def _round(value: float) -> float | None:
    return None if value is None or np.isnan(value) else round(float(value), 4)
