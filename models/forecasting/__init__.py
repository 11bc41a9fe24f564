"""Forecasting engine: one regular series (or a fleet) in, forecasts with intervals out.

Pipeline: :func:`prepare_series` turns a ``ds,y`` frame into a regular series (or says, in one
line, what is wrong with it); :func:`backtest` scores candidate methods on rolling origins (MASE
against seasonal naive, sMAPE, interval coverage); :func:`select_method` keeps the lowest MASE;
:func:`forecast_series` does all of it and forecasts; :func:`forecast_many` runs a fleet on
worker processes; :func:`fit_forecast` fits one named method. ``models.forecasting.command.
forecast`` is the ``repairlens forecast`` command. Input the engine cannot use raises
:class:`ForecastInputError` (a ``ValueError``).
"""

from models.forecasting.backtest import Backtest, backtest, fold_origins, select_method
from models.forecasting.errors import ForecastInputError
from models.forecasting.fleet import FLEET_METHODS, FleetForecast, forecast_many
from models.forecasting.forecast import (
    BacktestPlan,
    SeriesForecast,
    backtest_plan,
    check_country,
    forecast_series,
)
from models.forecasting.methods import (
    DEFAULT_LEVELS,
    Bands,
    Setting,
    available_methods,
    fit_forecast,
    fit_method,
)
from models.forecasting.periods import FREQUENCIES, Freq, next_periods, season_lengths
from models.forecasting.prepare import PreparationReport, prepare_series
from models.forecasting.scores import coverage, mase, seasonal_naive_scale, smape

__all__ = [
    "DEFAULT_LEVELS",
    "FLEET_METHODS",
    "FREQUENCIES",
    "Backtest",
    "BacktestPlan",
    "Bands",
    "FleetForecast",
    "ForecastInputError",
    "Freq",
    "PreparationReport",
    "SeriesForecast",
    "Setting",
    "available_methods",
    "backtest",
    "backtest_plan",
    "check_country",
    "coverage",
    "fit_forecast",
    "fit_method",
    "fold_origins",
    "forecast_many",
    "forecast_series",
    "mase",
    "next_periods",
    "prepare_series",
    "season_lengths",
    "seasonal_naive_scale",
    "select_method",
    "smape",
]
