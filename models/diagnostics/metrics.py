"""Hold-out scores for fault rankings: top-k accuracy and expected calibration error."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

ECE_BINS = 15


def top_k_accuracy(
    ranked: Sequence[Sequence[str]], truth: Sequence[set[str] | str], k: int
) -> float:
    """Share of cases whose first ``k`` ranked codes include a correct one (a set means any of
    them counts)."""
    if not len(truth):
        return float("nan")
    hits = [
        bool(set(codes[:k]) & (answer if isinstance(answer, set) else {answer}))
        for codes, answer in zip(ranked, truth, strict=True)
    ]
    return float(np.mean(hits))


def expected_calibration_error(
    confidence: np.ndarray, correct: np.ndarray, bins: int = ECE_BINS
) -> float:
    """ECE of the top prediction: Σ_b |B|/n · |accuracy(B) − mean confidence(B)| over equal-width
    confidence bins (Guo et al. 2017)."""
    confidence, correct = np.asarray(confidence, float), np.asarray(correct, float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        members = which == b
        if members.any():
            total += members.mean() * abs(correct[members].mean() - confidence[members].mean())
    return float(total)


def ranked_codes(probabilities: np.ndarray, codes: Sequence[str], top: int) -> list[list[str]]:
    """The ``top`` most probable codes per row, best first (zero-probability codes left out)."""
    order = np.argsort(-probabilities, axis=1, kind="stable")[:, :top]
    return [[codes[i] for i in row if probabilities[r, i] > 0] for r, row in enumerate(order)]
