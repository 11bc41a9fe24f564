"""Many series at once: each backtested and forecast on its own, spread over worker processes.

Defaults are chosen for fleets of long daily series (see ``benchmarks/bench_forecast.py``):
the fast methods only (no STL decomposition, no Prophet, no ARIMA search) and the final forecast
from the backtest fit (``refit_final=False``). A series the engine cannot use is reported in
``failures`` and does not stop the others.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import pandas as pd

from models.forecasting.errors import ForecastInputError
from models.forecasting.forecast import DEFAULT_FOLDS, forecast_series
from models.forecasting.periods import Freq

FLEET_METHODS: tuple[str, ...] = ("seasonal_naive", "holt_winters", "ets", "theta")
SERIES_PER_TASK = 8


@dataclass(frozen=True)
class FleetForecast:
    """Forecast rows of every series, the method each one got, and the series that failed."""

    forecasts: pd.DataFrame
    methods: pd.DataFrame
    failures: dict[str, str]


def forecast_many(
    series: Mapping[str, pd.Series],
    horizon: int,
    freq: Freq | str | None = None,
    level: int = 95,
    *,
    methods: Sequence[str] = FLEET_METHODS,
    folds: int = DEFAULT_FOLDS,
    workers: int | None = None,
    refit_final: bool = False,
) -> FleetForecast:
    """:func:`forecast_series` for each series, on ``workers`` processes (default: all cores).

    ``forecasts`` has ``unique_id, ds, yhat, yhat_lower, yhat_upper``; ``methods`` has one row
    per series with its method, backtest MASE, seasonal-naive MASE and interval coverage.
    """
    options = {
        "horizon": horizon,
        "freq": freq,
        "level": level,
        "methods": tuple(methods),
        "folds": folds,
        "refit_final": refit_final,
    }
    tasks = [(name, values, options) for name, values in series.items()]
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(tasks) == 1:
        results = [_forecast_one(task) for task in tasks]
    else:
        results = list(_in_processes(tasks, workers))
    return _fleet(results)


def _in_processes(tasks: list[Any], workers: int) -> Iterable[Any]:
    """Fork-started workers inherit the imported libraries (``forecast_series`` already limits
    itself to one BLAS thread, so workers do not contend)."""
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        yield from pool.map(_forecast_one, tasks, chunksize=SERIES_PER_TASK)


def _forecast_one(task: tuple[str, pd.Series, dict[str, Any]]) -> dict[str, Any]:
    name, values, options = task
    try:
        result = forecast_series(values, **options)
    except ForecastInputError as error:
        return {"unique_id": name, "error": str(error)}
    forecast = result.forecast.assign(unique_id=name)
    summary = {
        "unique_id": name,
        "method": result.method,
        "mase": result.mase,
        "seasonal_naive_mase": result.seasonal_naive_mase,
        "coverage": result.coverage,
        "interval_scale": result.interval_scale,
    }
    return {"unique_id": name, "forecast": forecast, "summary": summary}


def _fleet(results: list[dict[str, Any]]) -> FleetForecast:
    done = [result for result in results if "error" not in result]
    columns = ["unique_id", "ds", "yhat", "yhat_lower", "yhat_upper"]
    forecasts = (
        pd.concat([result["forecast"][columns] for result in done], ignore_index=True)
        if done
        else pd.DataFrame(columns=columns)
    )
    methods = pd.DataFrame([result["summary"] for result in done])
    failures = {result["unique_id"]: result["error"] for result in results if "error" in result}
    return FleetForecast(forecasts=forecasts, methods=methods, failures=failures)
