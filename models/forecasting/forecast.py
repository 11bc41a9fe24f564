"""One series in, one forecast out: plan the backtest, pick the method, forecast the horizon."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from models.forecasting.backtest import (
    BASELINE,
    MIN_TRAINING,
    Backtest,
    backtest,
    select_method,
    series_freq,
)
from models.forecasting.errors import ForecastInputError
from models.forecasting.methods import (
    DEFAULT_LEVELS,
    Setting,
    available_methods,
    bands_frame,
    clipped_at_zero,
    combination_members,
    combined_predictor,
    fit_method,
    scaled_intervals,
    single_blas_thread,
)
from models.forecasting.periods import PRIMARY_SEASON, Freq, check_freq, next_periods

DEFAULT_FOLDS = 3


@dataclass(frozen=True)
class BacktestPlan:
    """How many folds fit the history, whether seasons can be checked, and why not."""

    folds: int
    seasonal: bool
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class SeriesForecast:
    """The forecast (``ds, yhat, yhat_lower, yhat_upper``) and how its method was chosen.

    ``intervals`` has the bounds at every backtested level (``yhat_lower_80`` …).
    """

    forecast: pd.DataFrame
    intervals: pd.DataFrame
    method: str
    level: int
    mase: float
    seasonal_naive_mase: float
    coverage: float
    interval_scale: float
    backtest: Backtest
    warnings: tuple[str, ...]

    def summary(self) -> str:
        """One line for the analyst: the method and its backtest against seasonal naive."""
        folds = len(self.backtest.origins)
        return (
            f"method: {self.method}; backtest MASE {self.mase:.3f} vs seasonal naive "
            f"{self.seasonal_naive_mase:.3f} over {folds} fold(s) of {len(self.forecast)}; "
            f"{self.level}% interval coverage in backtest {self.coverage:.0%}, intervals scaled "
            f"×{self.interval_scale:.2f} to match"
        )


def check_country(country: str | None) -> str | None:
    """An ISO 3166 country code the holidays package knows, upper-cased, or None."""
    if country is None or not country.strip():
        return None
    import holidays

    code = country.strip().upper()
    if code not in holidays.list_supported_countries():
        raise ForecastInputError(
            f"no public holiday calendar for country {country!r}: use an ISO 3166 code such as "
            "US, GB, DE or FR"
        )
    return code


def backtest_plan(n_obs: int, horizon: int, freq: Freq, folds: int) -> BacktestPlan:
    """Folds that fit ``n_obs`` periods with two seasons of training before the first origin.

    Too short for that, the backtest and forecast go non-seasonal (with a warning); shorter than
    one horizon plus :data:`MIN_TRAINING` periods, there is nothing to check a forecast on.
    """
    if horizon < 1:
        raise ForecastInputError(f"the horizon must be at least 1 period, got {horizon}")
    if folds < 1:
        raise ForecastInputError(f"folds must be at least 1, got {folds}")
    if n_obs < horizon + MIN_TRAINING:
        raise ForecastInputError(
            f"the series has {n_obs} periods: forecasting {horizon} needs at least "
            f"{horizon + MIN_TRAINING} ({MIN_TRAINING} to fit on plus one horizon to check the "
            "forecast); supply more history or a shorter horizon"
        )
    season = PRIMARY_SEASON[freq]
    seasonal = n_obs - horizon >= 2 * season
    warnings: list[str] = []
    if not seasonal:
        warnings.append(
            f"the series has {n_obs} periods, fewer than two seasons ({2 * season}) plus the "
            f"horizon ({horizon}): seasonality is ignored"
        )
    training_needed = 2 * season if seasonal else MIN_TRAINING
    fitting = min(folds, (n_obs - training_needed) // horizon)
    if fitting < folds:
        warnings.append(f"only {fitting} of {folds} backtest folds fit the history")
    return BacktestPlan(folds=fitting, seasonal=seasonal, warnings=tuple(warnings))


@single_blas_thread
def forecast_series(
    series: pd.Series,
    horizon: int,
    freq: Freq | str | None = None,
    level: int = 95,
    *,
    methods: Sequence[str] | None = None,
    folds: int = DEFAULT_FOLDS,
    country: str | None = None,
    include_prophet: bool | None = None,
    clip_at_zero: bool | None = None,
    refit_final: bool = True,
) -> SeriesForecast:
    """Backtest the candidate methods, pick the lowest mean MASE, forecast ``horizon`` periods.

    ``series`` is a regular series as :func:`prepare_series` returns. ``methods`` defaults to
    :func:`available_methods` for the series, with Prophet when ``include_prophet`` is true or,
    by default, for daily series (where its holidays and yearly seasonality pay off); seasonal
    naive is always scored, as the baseline. Combinations of the best single methods compete
    too. ``level`` is the central interval width in percent: the method's own interval,
    scaled by the split-conformal factor from its backtest errors (see
    :mod:`models.forecasting.backtest`). Forecasts and bounds of a series with no negative value
    are clipped at zero (``clip_at_zero`` overrides that). ``refit_final=False`` forecasts with
    the parameters fitted for the backtest instead of fitting again on the whole series: about
    half the time, for fleets of long series.
    """
    freq = check_freq(freq) if freq is not None else series_freq(series)
    if not 50 <= level < 100:
        raise ForecastInputError(
            f"the interval level must be a percentage in [50, 100), got {level}"
        )
    country = check_country(country)
    plan = backtest_plan(len(series), horizon, freq, folds)
    first_training = len(series) - plan.folds * horizon
    candidates = list(
        methods
        or available_methods(
            freq,
            first_training,
            seasonal=plan.seasonal,
            include_prophet=freq == "D" if include_prophet is None else include_prophet,
        )
    )
    if BASELINE not in candidates:
        candidates.insert(0, BASELINE)
    clip = bool(series.min() >= 0) if clip_at_zero is None else clip_at_zero
    tested_levels = sorted(set(DEFAULT_LEVELS) | {level})
    scored = backtest(
        series,
        candidates,
        horizon,
        plan.folds,
        freq=freq,
        levels=tested_levels,
        country=country,
        seasonal=plan.seasonal,
        clip_at_zero=clip,
    )
    method = select_method(scored.scores)
    by_method = scored.scores.set_index("method")
    factors = {lv: float(by_method.at[method, f"interval_scale_{lv}"]) for lv in tested_levels}
    if refit_final:
        setting = Setting(freq, tuple(tested_levels), country, plan.seasonal)
        predictor = fit_method(method, series, setting)
    else:
        predictor = combined_predictor(
            [scored.predictors[name] for name in combination_members(method)]
        )
    bands = scaled_intervals(predictor(series, horizon), factors)
    bands = clipped_at_zero(bands) if clip else bands
    intervals = bands_frame(bands, next_periods(series.index[-1], horizon, freq))
    forecast = intervals[["ds", "yhat", f"yhat_lower_{level}", f"yhat_upper_{level}"]].rename(
        columns={f"yhat_lower_{level}": "yhat_lower", f"yhat_upper_{level}": "yhat_upper"}
    )
    failed = [f"{name} was left out: {why}" for name, why in scored.failures.items()]
    return SeriesForecast(
        forecast=forecast,
        intervals=intervals,
        method=method,
        level=level,
        mase=float(by_method.at[method, "mase"]),
        seasonal_naive_mase=float(by_method["mase"].get(BASELINE, float("nan"))),
        coverage=float(by_method.at[method, f"coverage_{level}"]),
        interval_scale=factors[level],
        backtest=scored,
        warnings=plan.warnings + _holiday_warnings(country, freq, candidates) + tuple(failed),
    )


def _holiday_warnings(
    country: str | None, freq: Freq, candidates: Sequence[str]
) -> tuple[str, ...]:
    """Say so when a holiday country was given but cannot enter the forecast."""
    if country is None:
        return ()
    if freq != "D":
        return (f"holidays ({country}) are modelled for daily series only and were not used",)
    if "prophet" not in candidates:
        return (f"holidays ({country}) enter through Prophet, which was not a candidate",)
    return ()
