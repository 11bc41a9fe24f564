"""Duration quantiles from binned values, so that a window sums small per-day histograms instead
of sorting every repair in it.

A duration of ``x`` hours (``x > 0``) falls in bin ``round(ln(x) × BINS_PER_LN)`` and stands for
``exp(bin / BINS_PER_LN)``, at most ``QUANTILE_ERROR`` away from ``x`` relatively. Binning keeps
the order of the values, so every order statistic of the binned values is its true counterpart
moved by at most that much, and so is any interpolation between two of them: a quantile computed
here (``quantile_cont``'s definition) is within ``QUANTILE_ERROR`` of the exact one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import polars as pl

BINS_PER_LN = 100
QUANTILE_ERROR = math.exp(1 / (2 * BINS_PER_LN)) - 1  # 0.501 %
QUANTILE_NOTE = (
    f"Quantiles are computed from durations binned to {QUANTILE_ERROR:.1%} of their value, so "
    f"each is within {QUANTILE_ERROR:.1%} of the exact figure; counts and means are exact."
)


# The bin of a zero duration: exp(ZERO_BIN / BINS_PER_LN) is 0.0, below every other bin.
ZERO_BIN = -(2**31)


def bin_sql(hours: str) -> str:
    """SQL: the bin of the duration ``hours`` (≥ 0)."""
    return (
        f"CASE WHEN {hours} > 0 THEN CAST(round(ln({hours}) * {BINS_PER_LN}) AS INTEGER) "
        f"ELSE {ZERO_BIN} END"
    )


def weighted_quantiles(
    values: np.ndarray, counts: np.ndarray, levels: Sequence[float]
) -> list[float]:
    """The ``levels`` quantiles of ``values`` (ascending) each repeated ``counts`` times, with
    ``quantile_cont``'s definition: linear interpolation between the order statistics around
    rank (n − 1) × level."""
    ends = np.cumsum(counts)
    total = int(ends[-1])

    def ranked(rank: int) -> float:
        return float(values[np.searchsorted(ends, rank, side="right")])

    result = []
    for level in levels:
        position = (total - 1) * level
        low = math.floor(position)
        below = ranked(low)
        result.append(below + (position - low) * (ranked(math.ceil(position)) - below))
    return result


def quantiles(
    histogram: pl.DataFrame, group: str, levels: Sequence[float]
) -> dict[object, list[float]]:
    """Per value of ``group``: the ``levels`` quantiles of the durations counted in
    ``histogram`` (columns ``group``, ``bin``, ``count``), each bin standing for its value."""
    return {
        key: weighted_quantiles(
            np.exp(part["bin"].to_numpy() / BINS_PER_LN), part["count"].to_numpy(), levels
        )
        for (key,), part in histogram.sort(group, "bin").group_by(group, maintain_order=True)
    }
