"""``repairlens train forecast``: every demand series of the warehouse, backtested and forecast.

Reads daily demand from the warehouse (:mod:`models.forecasting.demand`), runs the fleet engine
(:func:`forecast_many`: rolling-origin backtest, per-series selection, conformal intervals) on
the daily series (28 days ahead) and the weekly ones (13 weeks ahead), registers a registry
entry of kind ``forecast`` and publishes its tables beside the warehouse
(:mod:`models.forecasting.store`), tagged with the entry's version, with the parts-inventory
backtest under the default policy (:func:`models.inventory.report.store_backtest`).

Registry metrics are fleet summaries: the median backtest MASE of the chosen methods against
that of seasonal naive (the floor every method must beat), the share of series where the choice
beats it, and the mean 95 % interval coverage in the backtest.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from core.settings import Settings
from models import registry
from models.errors import ModelInputError
from models.forecasting.demand import SeriesKey, daily_demand, demand_series
from models.forecasting.fleet import FLEET_METHODS, forecast_many
from models.forecasting.store import KIND, write_forecasts
from models.inventory import PolicySettings
from models.inventory.report import store_backtest
from warehouse.reader import connect_read_only, warehouse_version

PARAMETERS: dict[str, Any] = {
    "horizon_days": 28,
    "horizon_weeks": 13,
    "level": 95,
    "folds": 3,
}
MIN_DAYS = 8 * 7  # eight weeks: below this there is nothing worth backtesting


class ForecastTrainingError(ModelInputError):
    """The warehouse holds too little history to forecast; ``str(error)`` says what to do."""


def train_forecast(
    settings: Settings,
    window: tuple[date, date] | None = None,
    *,
    promote: bool = False,
    started_by: str | None = None,
    parameters: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> registry.Entry:
    """Forecast every demand series, register the result, publish its tables; returns the entry.

    The first forecast model is promoted automatically; later ones only with ``promote``.
    """
    say = progress or (lambda _message: None)
    options = {**PARAMETERS, **(parameters or {})}
    version_read = warehouse_version(settings)
    connection = connect_read_only(settings)
    try:
        daily = daily_demand(connection, window)
    finally:
        connection.close()
    series = demand_series(daily, ("D", "W"))
    days = len(next(iter(series.values()))) if series else 0
    if days < MIN_DAYS:
        raise ForecastTrainingError(
            f"the warehouse holds {days} day(s) of repairs; forecasting needs at least {MIN_DAYS} "
            "(load more history, then run `repairlens etl`)"
        )
    say(f"read {days} days of demand ({len(series)} series) from warehouse {version_read}")
    forecasts, summaries, failures = [], [], {}
    for freq, horizon in (("D", options["horizon_days"]), ("W", options["horizon_weeks"])):
        chosen = {name: values for name, values in series.items() if name.endswith(f"/{freq}")}
        fleet = forecast_many(
            chosen,
            horizon,
            freq,
            options["level"],
            methods=FLEET_METHODS,
            folds=options["folds"],
            workers=options.get("workers"),  # default: all cores
        )
        forecasts.append(fleet.forecasts)
        summaries.append(fleet.methods)
        failures |= fleet.failures
        say(f"{freq}: {len(chosen) - len(fleet.failures)} of {len(chosen)} series forecast")
    table = _forecast_table(pd.concat(forecasts, ignore_index=True))
    scores = _series_table(pd.concat(summaries, ignore_index=True))
    history = _history_table(series)
    user = started_by or registry.current_user()
    first, last = history["ds"].min().date(), history["ds"].max().date()
    entry = registry.register(
        KIND,
        _parquet_bytes(table),
        started_by=user,
        parameters={
            **options,
            "series": len(series),
            "chosen_methods": dict(zip(scores["series_id"], scores["method"], strict=True)),
            "failures": failures,
        },
        metrics=fleet_metrics(scores, len(failures)),
        window=(first, last),
        warehouse_version=version_read,
        artifact_name="forecasts.parquet",
        settings=settings,
    )
    write_forecasts(settings, entry.version, table, scores, history)
    # The replay takes tens of seconds on a large chain: run it here, not on the page.
    say("replaying part use under the default inventory policy")
    store_backtest(settings, entry.version, version_read, PolicySettings())
    return registry.promote_if_first(entry, requested=promote, by=user, settings=settings)


def fleet_metrics(scores: pd.DataFrame, failed: int) -> dict[str, float]:
    """Summaries of the per-series backtests for the registry entry."""
    ratio = scores["mase"] / scores["seasonal_naive_mase"].replace(0, np.nan)
    daily = scores["freq"] == "D"
    return {
        "series": len(scores),
        "failed": int(failed),
        "median_mase": round(float(scores["mase"].median()), 4),
        "median_seasonal_naive_mase": round(float(scores["seasonal_naive_mase"].median()), 4),
        "median_daily_mase": round(float(scores.loc[daily, "mase"].median()), 4),
        "median_weekly_mase": round(float(scores.loc[~daily, "mase"].median()), 4),
        "share_beating_seasonal_naive": round(float((ratio < 1).mean()), 4),
        "coverage_95": round(float(scores["coverage"].mean()), 4),
    }


def _forecast_table(forecasts: pd.DataFrame) -> pd.DataFrame:
    frame = forecasts.rename(columns={"unique_id": "series_id"})
    return _with_keys(frame)[
        ["series_id", "measure", "dimension", "member", "freq", "ds", "yhat", "yhat_lower",
         "yhat_upper"]
    ]  # fmt: skip


def _series_table(summaries: pd.DataFrame) -> pd.DataFrame:
    return _with_keys(summaries.rename(columns={"unique_id": "series_id"}))


def _history_table(series: dict[str, pd.Series]) -> pd.DataFrame:
    frames = [
        pd.DataFrame({"series_id": name, "ds": values.index, "y": values.to_numpy()})
        for name, values in series.items()
    ]
    return _with_keys(pd.concat(frames, ignore_index=True))


def _with_keys(frame: pd.DataFrame) -> pd.DataFrame:
    keys = pd.DataFrame(
        [SeriesKey.parse(name).__dict__ for name in frame["series_id"]], index=frame.index
    )
    return pd.concat([frame, keys], axis=1)


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def describe_entry(entry: registry.Entry) -> str:
    """One line: backtest MASE of the chosen methods against seasonal naive, and coverage."""
    m = entry.metrics
    return (
        f"forecast v{entry.version} ({entry.status}) on {entry.window_start} … "
        f"{entry.window_end}: {m['series']} series, backtest median MASE {m['median_mase']:.3f} "
        f"(seasonal naive {m['median_seasonal_naive_mase']:.3f}), "
        f"{m['share_beating_seasonal_naive']:.0%} beat seasonal naive, "
        f"95% interval coverage {m['coverage_95']:.0%}, {m['failed']} failed"
    )
