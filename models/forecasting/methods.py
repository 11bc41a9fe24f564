"""Candidate forecasting methods as plain functions over a regular series.

Every method is fitted by ``fit_method(name, history, setting)``, which returns a *predictor*: a
function that forecasts ``horizon`` periods after the end of a history that starts like the
fitted one and may run past it. Methods that can (the statsforecast models and Holt-Winters)
apply the parameters estimated on the fitted history to the longer one without re-estimating
them; Prophet refits, warm-started. This is what lets a rolling-origin backtest fit once and
move its origin cheaply.

Methods and their intervals (each method's own; :func:`forecast_series` then rescales them by a
split-conformal factor from the backtest errors):

- ``seasonal_naive``: the last season repeated (naive when no season fits); statsforecast.
- ``holt_winters``: additive Holt-Winters (Holt's linear trend when no season fits), statsmodels
  ``ExponentialSmoothing``; intervals are quantiles of 500 simulated paths.
- ``ets``: statsforecast ``AutoETS`` (model chosen by AICc) with seasons up to 24 periods;
  additive errors only on daily data.
- ``theta``: statsforecast ``DynamicOptimizedTheta`` (classical multiplicative deseasonalising
  when a seasonality test says so): as accurate as ``AutoTheta`` on the real series of the
  benchmark, in a third of the time.
- ``arima``: statsforecast ``AutoARIMA``; only on request (``methods=``), as its search takes
  seconds per series here (8 s on 17 years of monthly data) and it rarely won a backtest.
- ``mstl_ets``: STL decomposition for each season (weekly 52, or daily 7 and 365), ``AutoETS``
  on the seasonally adjusted series, seasonal naive on each seasonal component.
- ``prophet``: Prophet with weekly (daily data) and yearly seasonality and, for daily data, the
  public holidays of a country; intervals from its predictive samples.

A combination is spelled as its members joined by ``+`` (``ets+theta``): the mean of the
members' point forecasts and of their interval bounds.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from models.forecasting.errors import ForecastInputError
from models.forecasting.periods import (
    PERIODS_PER_YEAR,
    Freq,
    check_freq,
    next_periods,
    season_lengths,
)

DEFAULT_LEVELS: tuple[int, ...] = (80, 95)
COMBINATION_SEPARATOR = "+"
ETS_MAX_SEASON = 24  # statsforecast's ETS drops seasonality above 24 periods, as R's ets does
DAILY_WINDOW = 2 * 365  # local methods on daily data fit the last two years: as good, faster
ETS_DAILY_WINDOW = 365  # and ETS, the slowest of them, the last year
SIMULATED_PATHS = 500
PROPHET_SAMPLES = 500
SEED = 20240601

# Each fit is small: BLAS threads only contend, and made fits 3x slower on a busy 2-core machine.
single_blas_thread = threadpool_limits.wrap(limits=1)


@dataclass(frozen=True)
class Bands:
    """Point forecasts and central prediction intervals (``level`` → bound), ``horizon`` long."""

    mean: np.ndarray
    lower: dict[int, np.ndarray]
    upper: dict[int, np.ndarray]


@dataclass(frozen=True)
class Setting:
    """What a method needs besides the history: frequency, interval levels, holidays.

    ``seasonal=False`` makes every method non-seasonal, for histories too short to check a
    seasonal fit on.
    """

    freq: Freq
    levels: tuple[int, ...] = DEFAULT_LEVELS
    country: str | None = None
    seasonal: bool = True


Predictor = Callable[[pd.Series, int], Bands]
Fitter = Callable[[pd.Series, Setting], Predictor]


def available_methods(
    freq: Freq, n_obs: int, *, seasonal: bool = True, include_prophet: bool = False
) -> tuple[str, ...]:
    """Methods worth trying on a history of ``n_obs`` periods, baseline first."""
    seasons = season_lengths(freq, n_obs) if seasonal else ()
    methods = ["seasonal_naive", "holt_winters", "theta"]
    if not seasons or seasons[0] <= ETS_MAX_SEASON:
        methods.append("ets")
    if seasons and (seasons[-1] > ETS_MAX_SEASON or len(seasons) > 1):
        methods.append("mstl_ets")
    if include_prophet:
        methods.append("prophet")
    return tuple(methods)


def combination_members(method: str) -> tuple[str, ...]:
    """The methods a (possibly combined) method name averages; one name for a single method."""
    return tuple(method.split(COMBINATION_SEPARATOR))


def combination_name(members: Sequence[str]) -> str:
    return COMBINATION_SEPARATOR.join(members)


def check_methods(methods: Sequence[str]) -> None:
    """Raise a one-line error for the first name (or combination member) that is no method."""
    for method in methods:
        for name in combination_members(method):
            if name not in FITTERS:
                known = ", ".join(FITTERS)
                raise ForecastInputError(f"unknown method {name!r}: choose from {known}")


def fit_method(method: str, history: pd.Series, setting: Setting) -> Predictor:
    """Fit ``method`` (single or ``+``-combined) on ``history``; see the module docstring."""
    check_methods([method])
    members = combination_members(method)
    with _quiet_fitting():
        return combined_predictor([FITTERS[name](history, setting) for name in members])


def combined_predictor(predictors: Sequence[Predictor]) -> Predictor:
    """A predictor averaging ``predictors`` (see :func:`mean_bands`); one is returned as is."""
    if len(predictors) == 1:
        return predictors[0]
    return lambda extended, horizon: mean_bands([p(extended, horizon) for p in predictors])


@single_blas_thread
def fit_forecast(
    history: pd.Series,
    horizon: int,
    freq: Freq | str,
    method: str,
    level: int | Sequence[int] = DEFAULT_LEVELS,
    *,
    country: str | None = None,
) -> pd.DataFrame:
    """``ds, yhat, yhat_lower_<level>, yhat_upper_<level>…`` for the periods after ``history``.

    ``history`` is a regular series indexed by period date (as :func:`prepare_series` returns).
    No clipping is applied here; :func:`forecast_series` clips non-negative series at zero.
    """
    levels = (level,) if isinstance(level, int) else tuple(level)
    setting = Setting(freq=check_freq(freq), levels=levels, country=country)
    bands = fit_method(method, history, setting)(history, horizon)
    return bands_frame(bands, next_periods(history.index[-1], horizon, setting.freq))


def bands_frame(bands: Bands, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """The long form of ``bands``: one row per date, a lower and upper column per level."""
    columns: dict[str, Any] = {"ds": dates, "yhat": bands.mean}
    for level in sorted(bands.lower):
        columns[f"yhat_lower_{level}"] = bands.lower[level]
        columns[f"yhat_upper_{level}"] = bands.upper[level]
    return pd.DataFrame(columns)


def mean_bands(parts: Sequence[Bands]) -> Bands:
    """The mean of several methods' forecasts and of their bounds, level by level."""
    levels = parts[0].lower
    return Bands(
        mean=np.mean([part.mean for part in parts], axis=0),
        lower={lv: np.mean([part.lower[lv] for part in parts], axis=0) for lv in levels},
        upper={lv: np.mean([part.upper[lv] for part in parts], axis=0) for lv in levels},
    )


def scaled_intervals(bands: Bands, factors: dict[int, float]) -> Bands:
    """Bands whose interval half-widths are multiplied by ``factors[level]`` around the mean."""
    return replace(
        bands,
        lower={lv: bands.mean - factors[lv] * (bands.mean - b) for lv, b in bands.lower.items()},
        upper={lv: bands.mean + factors[lv] * (b - bands.mean) for lv, b in bands.upper.items()},
    )


def clipped_at_zero(bands: Bands) -> Bands:
    return replace(
        bands,
        mean=np.maximum(bands.mean, 0.0),
        lower={lv: np.maximum(bound, 0.0) for lv, bound in bands.lower.items()},
        upper={lv: np.maximum(bound, 0.0) for lv, bound in bands.upper.items()},
    )


@contextmanager
def _quiet_fitting() -> Iterator[None]:
    """Convergence chatter from the libraries is not for the analyst: scores say what matters."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def _window_start(history: pd.Series, setting: Setting, days: int = DAILY_WINDOW) -> pd.Timestamp:
    """Where local methods start reading: ``days`` back on daily data, else the beginning."""
    if setting.freq == "D" and len(history) > days:
        return history.index[-days]
    return history.index[0]


def _statsforecast_bands(result: dict[str, np.ndarray], levels: Sequence[int]) -> Bands:
    return Bands(
        mean=np.asarray(result["mean"], dtype=float),
        lower={lv: np.asarray(result[f"lo-{lv}"], dtype=float) for lv in levels},
        upper={lv: np.asarray(result[f"hi-{lv}"], dtype=float) for lv in levels},
    )


def _statsforecast_predictor(
    model: Any, history: pd.Series, setting: Setting, days: int = DAILY_WINDOW
) -> Predictor:
    """Fit a statsforecast model once on the window and forward it over longer histories."""
    start = _window_start(history, setting, days)
    levels = list(setting.levels)
    fitted_on = history.loc[start:].to_numpy(dtype=float)
    model.fit(fitted_on)

    def predict(extended: pd.Series, horizon: int) -> Bands:
        y = extended.loc[start:].to_numpy(dtype=float)
        with _quiet_fitting():
            if len(y) == len(fitted_on):
                return _statsforecast_bands(model.predict(horizon, level=levels), levels)
            return _statsforecast_bands(model.forward(y, horizon, level=levels), levels)

    return predict


def _seasons(n_obs: int, setting: Setting) -> tuple[int, ...]:
    return season_lengths(setting.freq, n_obs) if setting.seasonal else ()


def _primary_season(history: pd.Series, setting: Setting) -> int:
    """The shortest season the fitted window supports, 1 when none does."""
    seasons = _seasons(len(history.loc[_window_start(history, setting) :]), setting)
    return seasons[0] if seasons else 1


def _fit_seasonal_naive(history: pd.Series, setting: Setting) -> Predictor:
    from statsforecast.models import SeasonalNaive

    season = _primary_season(history, setting)
    levels = list(setting.levels)

    def predict(extended: pd.Series, horizon: int) -> Bands:
        y = extended.to_numpy(dtype=float)
        result = SeasonalNaive(season_length=season).forecast(y, horizon, level=levels)
        return _statsforecast_bands(result, levels)

    return predict


def _fit_ets(history: pd.Series, setting: Setting) -> Predictor:
    from statsforecast.models import AutoETS

    season = _primary_season(history, setting)
    season = season if season <= ETS_MAX_SEASON else 1
    # On daily data, multiplicative errors and a second year of history cost 4x and 2x for
    # forecasts no better on the benchmark's daily series (see models/README.md).
    model = AutoETS(season_length=season, model="AZZ" if setting.freq == "D" else "ZZZ")
    return _statsforecast_predictor(model, history, setting, days=ETS_DAILY_WINDOW)


def _fit_theta(history: pd.Series, setting: Setting) -> Predictor:
    from statsforecast.models import DynamicOptimizedTheta

    season = _primary_season(history, setting)
    model = DynamicOptimizedTheta(season_length=season)
    return _statsforecast_predictor(model, history, setting)


def _fit_arima(history: pd.Series, setting: Setting) -> Predictor:
    from statsforecast.models import AutoARIMA

    season = _primary_season(history, setting)
    return _statsforecast_predictor(AutoARIMA(season_length=season), history, setting)


def _fit_mstl_ets(history: pd.Series, setting: Setting) -> Predictor:
    from statsforecast.models import MSTL, AutoETS

    seasons = _seasons(len(history), setting)
    if not seasons:
        return _fit_ets(history, setting)
    model = MSTL(season_length=list(seasons), trend_forecaster=AutoETS(model="ZZN"))
    levels = list(setting.levels)
    fitted_on = history.to_numpy(dtype=float)
    model.fit(fitted_on)

    def predict(extended: pd.Series, horizon: int) -> Bands:
        y = extended.to_numpy(dtype=float)
        with _quiet_fitting():
            if len(y) == len(fitted_on):
                return _statsforecast_bands(model.predict(horizon, level=levels), levels)
            return _statsforecast_bands(model.forward(y, horizon, level=levels), levels)

    return predict


def _fit_holt_winters(history: pd.Series, setting: Setting) -> Predictor:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    start = _window_start(history, setting)
    season = _primary_season(history, setting)
    shape: dict[str, Any] = {"trend": "add"}
    if season > 1:
        shape |= {"seasonal": "add", "seasonal_periods": season}
    fitted_on = history.loc[start:].to_numpy(dtype=float)
    model = ExponentialSmoothing(fitted_on, initialization_method="estimated", **shape)
    result = model.fit(use_brute=False)  # the brute-force start grid costs 3× for the same fit
    params = result.params
    smoothing = ("smoothing_level", "smoothing_trend") + (
        ("smoothing_seasonal",) if season > 1 else ()
    )

    def refiltered(y: np.ndarray) -> Any:
        """The fitted parameters and initial states run over a longer history: no re-estimation."""
        known: dict[str, Any] = {
            "initial_level": params["initial_level"],
            "initial_trend": params["initial_trend"],
        }
        if season > 1:
            known["initial_seasonal"] = params["initial_seasons"]
        model = ExponentialSmoothing(y, initialization_method="known", **shape, **known)
        return model.fit(optimized=False, **{name: params[name] for name in smoothing})

    def predict(extended: pd.Series, horizon: int) -> Bands:
        y = extended.loc[start:].to_numpy(dtype=float)
        with _quiet_fitting():
            fit = result if len(y) == len(fitted_on) else refiltered(y)
            mean = np.asarray(fit.forecast(horizon), dtype=float)
            paths = np.asarray(
                fit.simulate(
                    horizon,
                    repetitions=SIMULATED_PATHS,
                    error="add",
                    anchor="end",
                    rng=np.random.default_rng(SEED),
                ),
                dtype=float,
            ).reshape(horizon, -1)
        return _quantile_bands(mean, paths, setting.levels)

    return predict


def _quantile_bands(mean: np.ndarray, paths: np.ndarray, levels: Sequence[int]) -> Bands:
    """Bands from sample paths (``horizon × samples``): central intervals of each level."""
    tails = {lv: (1 - lv / 100) / 2 for lv in levels}
    return Bands(
        mean=mean,
        lower={lv: np.quantile(paths, tail, axis=1) for lv, tail in tails.items()},
        upper={lv: np.quantile(paths, 1 - tail, axis=1) for lv, tail in tails.items()},
    )


def _fit_prophet(history: pd.Series, setting: Setting) -> Predictor:
    model = _fitted_prophet(history, setting, init=None)
    state = {"model": model, "length": len(history)}

    def predict(extended: pd.Series, horizon: int) -> Bands:
        if len(extended) != state["length"]:
            with _quiet_fitting():
                state["model"] = _refitted_prophet(state["model"], extended, setting)
                state["length"] = len(extended)
        future = pd.DataFrame({"ds": next_periods(extended.index[-1], horizon, setting.freq)})
        np.random.seed(SEED)  # Prophet samples from numpy's global generator: same data, same bands
        with _quiet_fitting():
            mean = np.asarray(state["model"].predict(future)["yhat"], dtype=float)
            paths = np.asarray(state["model"].predictive_samples(future)["yhat"], dtype=float)
        return _quantile_bands(mean, paths, setting.levels)

    return predict


def _fitted_prophet(history: pd.Series, setting: Setting, init: dict[str, Any] | None) -> Any:
    logging.getLogger("prophet.plot").setLevel(logging.CRITICAL)  # plotting is not used here
    from cmdstanpy import disable_logging
    from prophet import Prophet

    years = len(history) / PERIODS_PER_YEAR[setting.freq]
    model = Prophet(
        yearly_seasonality=setting.seasonal and years >= 2,
        weekly_seasonality=setting.seasonal and setting.freq == "D",
        daily_seasonality=False,
        uncertainty_samples=PROPHET_SAMPLES,
    )
    if setting.country and setting.freq == "D":
        model.add_country_holidays(country_name=setting.country)
    frame = pd.DataFrame({"ds": history.index, "y": history.to_numpy(dtype=float)})
    with _quiet_fitting(), disable_logging():  # Stan logs every fit at INFO
        return model.fit(frame, init=init) if init else model.fit(frame)


def _refitted_prophet(previous: Any, history: pd.Series, setting: Setting) -> Any:
    """Prophet's documented warm start from ``previous``; cold when the shapes no longer match.

    A longer history can bring new holidays or turn yearly seasonality on, which changes the
    number of coefficients, and Stan then rejects the initial values.
    """
    params = previous.params
    warm = {name: params[name][0][0] for name in ("k", "m", "sigma_obs")}
    warm |= {name: params[name][0] for name in ("delta", "beta")}
    try:
        return _fitted_prophet(history, setting, init=warm)
    except (RuntimeError, ValueError):
        return _fitted_prophet(history, setting, init=None)


FITTERS: dict[str, Fitter] = {
    "seasonal_naive": _fit_seasonal_naive,
    "holt_winters": _fit_holt_winters,
    "ets": _fit_ets,
    "theta": _fit_theta,
    "arima": _fit_arima,
    "mstl_ets": _fit_mstl_ets,
    "prophet": _fit_prophet,
}
