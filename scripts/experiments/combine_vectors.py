"""Tuned and untuned (ImageNet) vectors side by side, to test whether keeping the untuned view
keeps a tuned model from pulling unseen products onto known ones.

    python scripts/experiments/combine_vectors.py TUNED_NAME WEIGHT   # -> tuned_<TUNED_NAME>_plus<W>.npz
    python scripts/experiments/evidence.py v2 0.87 <TUNED_NAME>_plus<W>

WEIGHT is the tuned part's share of the squared norm (1: tuned only, 0: untuned only)."""

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def main(name: str, weight: float) -> None:
    records = [json.loads(line) for line in open(ROOT / "build/exp/signals.jsonl", encoding="utf-8")]
    untuned = np.array([r["vector"] for r in records], np.float32)
    untuned /= np.linalg.norm(untuned, axis=1, keepdims=True)
    tuned = np.load(ROOT / f"build/exp/tuned_{name}.npz")
    vectors = np.concatenate([np.sqrt(weight) * tuned["vectors"], np.sqrt(1 - weight) * untuned], axis=1)
    np.savez(ROOT / f"build/exp/tuned_{name}_plus{weight:g}.npz", vectors=vectors.astype(np.float32), train=tuned["train"])


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
