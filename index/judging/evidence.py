"""The evidence a case (or a reference, out of fold) gives for each candidate product, as the
numbers the claim model weighs.

Per product: the product head's log-probability (does it look like this product rather than
another?) and the label-text support (do the words read on the package match what it says?);
each both as it is and as a margin over the best *other* product, because a look-alike is told
apart by what the claimed product has that its neighbour lacks. The number of words read is a
feature too: a package that shows much legible text none of which matches is evidence against.

The similarity to the nearest genuine reference is *not* a feature: it depends on photo sessions
more than anything else (a reference is far more similar to its session-mates than a new field
photo is to any reference), so a model that leans on it is confident out of fold and wrong on new
photos. Measured with the tuned model (scripts/experiments/evidence.py, Grocery Store val): with
it, claim AUROC 0.957 and 47% of true claims earned the green badge at the threshold set out of
fold; without it, 0.963 and 63%, look-alike claims given the badge 1.2% and 1.8%.

All functions work on matrices (one row per case or reference, one column per product), so the
same code scores a single check and thousands of references at calibration.
"""

from __future__ import annotations

import numpy as np

FEATURES = ("head_log_prob", "head_margin", "text_support", "text_margin", "words_read", "words_read_unmatched")


def margin(matrix: np.ndarray, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's value for its candidate column, and that value minus the row's best other column."""
    rows = np.arange(len(candidates))
    own = matrix[rows, candidates]
    masked = matrix.copy()
    masked[rows, candidates] = -np.inf
    best_other = masked.max(axis=1)
    best_other = np.where(np.isfinite(best_other), best_other, own)  # a catalog of one product
    with np.errstate(invalid="ignore"):  # -inf - -inf for a product no head could score: NaN, mapped below
        return own, own - best_other


def features(log_probs: np.ndarray, text: np.ndarray, words: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """(rows, len(FEATURES)): the evidence each row gives for its candidate product.

    ``log_probs``, ``text``: (rows, products); ``words``: (rows,) words read; ``candidates``:
    (rows,) product column judged for each row."""
    candidates = np.asarray(candidates, dtype=np.int64)
    head, head_margin = margin(np.asarray(log_probs, np.float64), candidates)
    support = np.log1p(np.maximum(np.asarray(text, np.float64), 0.0))
    text_own, text_margin = margin(support, candidates)
    read = np.log1p(np.asarray(words, np.float64))
    matrix = np.stack([np.maximum(head, -50), np.clip(head_margin, -20, 20), text_own, text_margin, read,
                       read * (text_own == 0)], axis=1)
    return np.nan_to_num(matrix, nan=-20.0, posinf=20.0, neginf=-50.0)  # a product no head could score
