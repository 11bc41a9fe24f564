"""Rolling-origin backtests: how each method would have done on the last few horizons.

The last ``folds × horizon`` periods are cut into ``folds`` consecutive test windows. Each method
is fitted once on the history before the first window and, for each later window, forecasts from
the history up to that window's start with the same parameters (its states follow the data; see
:mod:`models.forecasting.methods`). With ``refit=True`` it is refitted at every origin instead:
slower, rarely different. Nothing after an origin is ever seen by the forecast made there.

Scores per method, averaged over folds: MASE (mean absolute error over the in-sample seasonal
naive error of the history before the origin), sMAPE, and the coverage of each interval level.
Combinations of the best two and three single methods are scored from the same fold forecasts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models.forecasting.errors import ForecastInputError
from models.forecasting.methods import (
    DEFAULT_LEVELS,
    Bands,
    Predictor,
    Setting,
    check_methods,
    clipped_at_zero,
    combination_name,
    fit_method,
    mean_bands,
    single_blas_thread,
)
from models.forecasting.periods import Freq, season_lengths
from models.forecasting.scores import coverage, mase, seasonal_naive_scale, smape

MIN_TRAINING = 8
BASELINE = "seasonal_naive"
COMBINATION_SIZES = (2, 3)
MIN_INTERVAL_SCALE = 0.5
MAX_INTERVAL_SCALE = 3.0


@dataclass(frozen=True)
class Backtest:
    """Per-method scores (best first), the fold forecasts behind them, and methods that failed.

    ``predictors`` holds each single method as last fitted (before the first origin, or the last
    with ``refit=True``), for forecasting from the full series without fitting again.
    """

    scores: pd.DataFrame
    forecasts: pd.DataFrame
    origins: tuple[pd.Timestamp, ...]
    failures: dict[str, str] = field(default_factory=dict)
    predictors: dict[str, Predictor] = field(default_factory=dict, repr=False)


def series_freq(series: pd.Series) -> Freq:
    """The engine's frequency for a series indexed as :func:`prepare_series` leaves it."""
    alias = getattr(series.index, "freqstr", None) or ""
    for freq in ("MS", "W", "D"):
        if alias.startswith(freq):
            return freq  # type: ignore[return-value]
    raise ForecastInputError(
        "the series needs a regular D, W or MS date index: prepare it with prepare_series"
    )


def fold_origins(n_obs: int, horizon: int, folds: int) -> list[int]:
    """Positions where each test window starts, earliest first; the last window ends the series."""
    if horizon < 1 or folds < 1:
        raise ForecastInputError(f"horizon and folds must be ≥ 1, got {horizon} and {folds}")
    origins = [n_obs - k * horizon for k in range(folds, 0, -1)]
    if origins[0] < MIN_TRAINING:
        raise ForecastInputError(
            f"the series has {n_obs} periods: a backtest of {folds} fold(s) of {horizon} needs at "
            f"least {folds * horizon + MIN_TRAINING}; supply more history or a shorter horizon"
        )
    return origins


@single_blas_thread
def backtest(
    series: pd.Series,
    methods: Sequence[str],
    horizon: int,
    folds: int = 3,
    *,
    freq: Freq | None = None,
    levels: Sequence[int] = DEFAULT_LEVELS,
    country: str | None = None,
    seasonal: bool = True,
    refit: bool = False,
    clip_at_zero: bool | None = None,
) -> Backtest:
    """Score ``methods`` on rolling origins; see the module docstring.

    ``clip_at_zero`` (default: when the series has no negative value) clips forecasts at zero, as
    :func:`forecast_series` does, so the scores are those of what would have been delivered.
    """
    setting = Setting(freq or series_freq(series), tuple(levels), country, seasonal)
    check_methods(methods)
    origins = fold_origins(len(series), horizon, folds)
    clip = bool(series.min() >= 0) if clip_at_zero is None else clip_at_zero
    raw: dict[str, list[Bands]] = {}
    predictors: dict[str, Predictor] = {}
    failures: dict[str, str] = {}
    for method in methods:
        try:
            bands, predictor = _fold_forecasts(series, method, setting, origins, horizon, refit)
        except Exception as error:  # a numerical failure on one series drops that method only
            failures[method] = f"{type(error).__name__}: {error}".splitlines()[0]
            continue
        if all(_finite(fold) for fold in bands):
            raw[method], predictors[method] = bands, predictor
        else:
            failures[method] = "it forecast NaN or infinite values"
    if not raw:
        reasons = "; ".join(f"{method}: {why}" for method, why in failures.items())
        raise ForecastInputError(f"every method failed on this series ({reasons})")

    def delivered(by_method: dict[str, list[Bands]]) -> dict[str, list[Bands]]:
        """What would have been delivered: clipped at zero when the series is non-negative."""
        if not clip:
            return by_method
        return {m: [clipped_at_zero(fold) for fold in bands] for m, bands in by_method.items()}

    singles = _scores(series, delivered(raw), setting, origins, horizon)
    raw |= _combinations(raw, list(singles["method"]))
    shown = delivered(raw)
    scores = _scores(series, shown, setting, origins, horizon).merge(
        _interval_scales(series, raw, setting.levels, origins, horizon), on="method", how="left"
    )
    forecasts = _forecast_rows(series, shown, origins, horizon)
    dates = tuple(series.index[origin] for origin in origins)
    return Backtest(scores, forecasts, dates, failures, predictors)


def select_method(scores: pd.DataFrame) -> str:
    """The method with the lowest mean MASE; ties go to the one listed first (the simpler)."""
    return str(scores.sort_values("mase", kind="stable")["method"].iloc[0])


def _fold_forecasts(
    series: pd.Series,
    method: str,
    setting: Setting,
    origins: Sequence[int],
    horizon: int,
    refit: bool,
) -> tuple[list[Bands], Predictor]:
    predictor: Predictor | None = None
    bands = []
    for origin in origins:
        history = series.iloc[:origin]
        if predictor is None or refit:
            predictor = fit_method(method, history, setting)
        bands.append(predictor(history, horizon))
    assert predictor is not None  # origins is never empty
    return bands, predictor


def _scores(
    series: pd.Series,
    fold_bands: dict[str, list[Bands]],
    setting: Setting,
    origins: Sequence[int],
    horizon: int,
) -> pd.DataFrame:
    y = series.to_numpy(dtype=float)
    scales = [_mase_scale(y[:origin], setting) for origin in origins]
    rows = []
    for method, bands in fold_bands.items():
        per_fold: dict[str, list[float]] = {"mase": [], "smape": []}
        for origin, scale, fold in zip(origins, scales, bands, strict=True):
            actual = y[origin : origin + horizon]
            per_fold["mase"].append(mase(actual, fold.mean, scale))
            per_fold["smape"].append(smape(actual, fold.mean))
            for lv in setting.levels:
                hit = coverage(actual, fold.lower[lv], fold.upper[lv])
                per_fold.setdefault(f"coverage_{lv}", []).append(hit)
        rows.append({"method": method} | {k: float(np.mean(v)) for k, v in per_fold.items()})
    table = pd.DataFrame(rows)
    table["folds"] = len(origins)
    return table.sort_values("mase", kind="stable").reset_index(drop=True)


def _finite(bands: Bands) -> bool:
    arrays = [bands.mean, *bands.lower.values(), *bands.upper.values()]
    return all(np.isfinite(array).all() for array in arrays)


def _mase_scale(train: np.ndarray, setting: Setting) -> float:
    seasons = season_lengths(setting.freq, len(train)) if setting.seasonal else ()
    return seasonal_naive_scale(train, seasons[0] if seasons else 1)


def _combinations(raw: dict[str, list[Bands]], ranked: Sequence[str]) -> dict[str, list[Bands]]:
    """Fold forecasts of the means of the best two and three single methods."""
    combined = {}
    for size in COMBINATION_SIZES:
        if len(ranked) >= size:
            members = ranked[:size]
            folds = zip(*(raw[m] for m in members), strict=True)
            combined[combination_name(members)] = [mean_bands(parts) for parts in folds]
    return combined


def _interval_scales(
    series: pd.Series,
    raw: dict[str, list[Bands]],
    levels: Sequence[int],
    origins: Sequence[int],
    horizon: int,
) -> pd.DataFrame:
    """Per method and level, the factor on its interval half-widths that would have covered.

    Split-conformal on the backtest: each test point scores its error over the half-width on
    its side of the forecast, and the factor is the ``level`` quantile of those scores with the
    finite-sample correction. Intervals are scaled by it (wider or narrower), within
    [:data:`MIN_INTERVAL_SCALE`, :data:`MAX_INTERVAL_SCALE`].
    """
    y = series.to_numpy(dtype=float)
    actual = np.concatenate([y[origin : origin + horizon] for origin in origins])
    rows = []
    for method, folds in raw.items():
        mean = np.concatenate([fold.mean for fold in folds])
        row: dict[str, object] = {"method": method}
        for lv in levels:
            lower = np.concatenate([fold.lower[lv] for fold in folds])
            upper = np.concatenate([fold.upper[lv] for fold in folds])
            row[f"interval_scale_{lv}"] = _conformal_factor(actual, mean, lower, upper, lv)
        rows.append(row)
    return pd.DataFrame(rows)


def _conformal_factor(
    actual: np.ndarray, mean: np.ndarray, lower: np.ndarray, upper: np.ndarray, level: int
) -> float:
    above = actual >= mean
    error = np.abs(actual - mean)
    half_width = np.where(above, upper - mean, mean - lower)
    ratio = np.divide(
        error, half_width, out=np.full_like(error, MAX_INTERVAL_SCALE), where=half_width > 0
    )
    ratio[error == 0] = 0.0
    n = len(ratio)
    rank = min(1.0, np.ceil((n + 1) * level / 100) / n)
    factor = float(np.quantile(ratio, rank, method="higher"))
    return float(np.clip(factor, MIN_INTERVAL_SCALE, MAX_INTERVAL_SCALE))


def _forecast_rows(
    series: pd.Series, fold_bands: dict[str, list[Bands]], origins: Sequence[int], horizon: int
) -> pd.DataFrame:
    """Long table of every fold forecast beside the actual values, built in one go."""
    windows = [slice(origin, origin + horizon) for origin in origins]
    runs = [(method, fold) for method, bands in fold_bands.items() for fold in bands]
    levels = sorted(runs[0][1].lower)
    columns: dict[str, object] = {
        "method": np.repeat([method for method, _ in runs], horizon),
        "fold": np.tile(np.repeat(np.arange(1, len(origins) + 1), horizon), len(fold_bands)),
        "ds": np.tile(np.concatenate([series.index[w] for w in windows]), len(fold_bands)),
        "y": np.tile(np.concatenate([series.to_numpy()[w] for w in windows]), len(fold_bands)),
        "yhat": np.concatenate([fold.mean for _, fold in runs]),
    }
    for lv in levels:
        columns[f"yhat_lower_{lv}"] = np.concatenate([fold.lower[lv] for _, fold in runs])
        columns[f"yhat_upper_{lv}"] = np.concatenate([fold.upper[lv] for _, fold in runs])
    return pd.DataFrame(columns)
