"""Forecast accuracy scores: MASE against seasonal naive, sMAPE and interval coverage."""

from __future__ import annotations

import numpy as np


def seasonal_naive_scale(train: np.ndarray, season: int) -> float:
    """In-sample mean absolute error of the seasonal naive forecast, MASE's denominator.

    Falls back to the naive (lag 1) error when the series is too short for ``season`` or has no
    seasonal change at all, and to 1 for a constant series, so MASE stays finite.
    """
    for lag in (season, 1):
        if len(train) > lag:
            scale = float(np.mean(np.abs(train[lag:] - train[:-lag])))
            if scale > 0:
                return scale
    return 1.0


def mase(actual: np.ndarray, predicted: np.ndarray, scale: float) -> float:
    """Mean absolute scaled error: below 1 beats the in-sample seasonal naive forecast."""
    return float(np.mean(np.abs(actual - predicted)) / scale)


def smape(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Symmetric MAPE in percent (0-200); a period where both are 0 counts as exact."""
    denominator = np.abs(actual) + np.abs(predicted)
    ratio = np.divide(
        2 * np.abs(actual - predicted),
        denominator,
        out=np.zeros_like(denominator, dtype=float),
        where=denominator > 0,
    )
    return float(100 * np.mean(ratio))


def coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """Share of actual values inside their prediction interval, bounds included."""
    return float(np.mean((actual >= lower) & (actual <= upper)))
