"""`repairlens train forecast`: every demand series of the warehouse backtested and forecast, the
result registered, and its forecasts published beside the warehouse under the model version.

The session fit (``trained_forecast_dir``) runs on the shared small warehouse: 2 stores, 1 year.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import cli
from core.settings import Settings
from models import registry
from models.forecasting.demand import SeriesKey, demand_series
from models.forecasting.store import (
    KIND,
    production_forecasts,
    read_forecasts,
    version_dir,
    write_forecasts,
)
from models.forecasting.train import ForecastTrainingError, train_forecast
from models.training import FAMILIES, family
from tests.conftest import linked_warehouse
from warehouse.reader import connect_read_only


@pytest.fixture(scope="module")
def settings(trained_forecast_dir: Path) -> Settings:
    return Settings(data_dir=trained_forecast_dir)


@pytest.fixture(scope="module")
def entry(settings: Settings) -> registry.Entry:
    return registry.production(KIND, settings=settings)


# ---- demand series from the warehouse ---------------------------------------------------------


def test_demand_series_fill_missing_days_with_zero_and_drop_the_running_day() -> None:
    daily = pd.DataFrame(
        {
            "ds": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-04"]),
            "store_id": [1, 1, 1],
            "device_category": ["phone"] * 3,
            "repair_type": ["screen_replacement"] * 3,
            "repairs": [2, 3, 5],
            "revenue_eur": [100.0, 0.0, 50.0],
        }
    )
    series = demand_series(daily, ("D",))
    total = series["repairs/total/all/D"]
    # 4 January is the last day with repairs: still running, so left out.
    assert list(total.index.strftime("%m-%d")) == ["01-01", "01-02", "01-03"]
    assert list(total) == [2.0, 0.0, 3.0]
    assert list(series["revenue_eur/store/1/D"]) == [100.0, 0.0, 0.0]


def test_weekly_series_run_monday_to_sunday_and_keep_only_complete_weeks() -> None:
    days = pd.date_range("2024-01-03", "2024-01-30")  # Wednesday … Tuesday
    daily = pd.DataFrame(
        {
            "ds": days,
            "store_id": 1,
            "device_category": "phone",
            "repair_type": "battery_replacement",
            "repairs": 1,
            "revenue_eur": 0.0,
        }
    )
    weekly = demand_series(daily, ("W",))["repairs/store/1/W"]
    assert list(weekly.index.strftime("%Y-%m-%d")) == ["2024-01-08", "2024-01-15", "2024-01-22"]
    assert list(weekly) == [7.0, 7.0, 7.0]


def test_series_ids_name_measure_dimension_member_and_cadence() -> None:
    key = SeriesKey.parse("repairs/device_category/phone/W")
    assert (key.measure, key.dimension, key.member, key.freq) == (
        "repairs",
        "device_category",
        "phone",
        "W",
    )
    assert key.label() == "repairs · phone · weekly"


# ---- the registry entry -------------------------------------------------------------------------


def test_forecast_is_a_family_of_the_training_catalogue_so_train_all_includes_it() -> None:
    assert "forecast" in FAMILIES
    assert family("forecast").default_parameters()["horizon_days"] == 28


def test_first_forecast_model_is_promoted_with_backtest_metrics(entry: registry.Entry) -> None:
    assert entry.version == 1
    assert entry.status == "production"
    assert entry.metrics["failed"] == 0
    assert 0.5 <= entry.metrics["coverage_95"] <= 1.0


def test_chosen_methods_beat_seasonal_naive_in_the_backtest(entry: registry.Entry) -> None:
    metrics = entry.metrics
    assert metrics["median_mase"] < metrics["median_seasonal_naive_mase"]
    assert metrics["share_beating_seasonal_naive"] > 0.5


def test_entry_records_the_method_chosen_for_every_series(entry: registry.Entry) -> None:
    chosen = entry.parameters["chosen_methods"]
    assert len(chosen) == entry.parameters["series"] == entry.metrics["series"]
    for name in [
        "repairs/total/all/D",
        "repairs/store/1/W",
        "repairs/device_category/phone/D",
        "repairs/repair_type/screen_replacement/W",
        "revenue_eur/store/2/D",
    ]:
        assert chosen[name].split("+")[0] in {"seasonal_naive", "holt_winters", "ets", "theta"}


def test_describe_states_mase_against_seasonal_naive_and_coverage(entry: registry.Entry) -> None:
    line = family("forecast").describe(entry)
    assert line.startswith("forecast v1 (production)")
    assert "seasonal naive" in line and "coverage" in line


# ---- published forecasts ------------------------------------------------------------------------


def test_forecasts_are_published_beside_the_warehouse_tagged_with_the_model_version(
    settings: Settings, entry: registry.Entry
) -> None:
    directory = version_dir(settings, entry.version)
    assert directory.parent.parent == settings.data_dir
    stored = read_forecasts(settings, entry.version)
    for table in (stored.forecasts, stored.series, stored.history):
        assert set(table["model_version"]) == {entry.version}
    connection = connect_read_only(settings)
    try:
        tables = {name for (name,) in connection.execute("SHOW TABLES").fetchall()}
    finally:
        connection.close()
    assert not any("forecast" in name for name in tables)


def test_production_forecasts_cover_the_horizon_after_the_history_with_ordered_bounds(
    settings: Settings,
) -> None:
    stored = production_forecasts(settings, ["repairs/store/1/D", "repairs/store/1/W"])
    assert stored.version == 1
    history, daily = stored.of("repairs/store/1/D")
    assert len(daily) == 28
    assert daily["ds"].min() == history["ds"].max() + timedelta(days=1)
    assert (daily["yhat_lower"] <= daily["yhat"]).all()
    assert (daily["yhat"] <= daily["yhat_upper"]).all()
    assert (daily["yhat_lower"] >= 0).all()
    _, weekly = stored.of("repairs/store/1/W")
    assert len(weekly) == 13
    assert set(pd.to_datetime(weekly["ds"]).dt.weekday) == {0}


def test_readers_follow_promotions_not_the_newest_version(
    trained_forecast_dir: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "var"
    shutil.copytree(trained_forecast_dir, copy, symlinks=True)
    settings = Settings(data_dir=copy)
    first = production_forecasts(settings)
    candidate = registry.register(
        KIND, b"candidate", started_by="tests", parameters={}, metrics={}, settings=settings
    )
    write_forecasts(
        settings,
        candidate.version,
        first.forecasts.drop(columns="model_version"),
        first.series.drop(columns="model_version"),
        first.history.drop(columns="model_version"),
    )
    assert production_forecasts(settings).version == 1
    registry.promote(KIND, candidate.version, by="tests", reason="test", settings=settings)
    assert production_forecasts(settings).version == candidate.version


def test_without_a_production_forecast_readers_get_none(data_dir: Path) -> None:
    assert production_forecasts(Settings(data_dir=data_dir)) is None


# ---- too little history -------------------------------------------------------------------------


def test_training_on_a_few_weeks_of_history_says_how_much_is_needed(
    trained_forecast_dir: Path, tmp_path: Path
) -> None:
    directory = linked_warehouse(trained_forecast_dir, tmp_path / "var")
    settings = Settings(data_dir=directory)
    end = production_forecasts(Settings(data_dir=trained_forecast_dir)).history["ds"].max()
    with pytest.raises(ForecastTrainingError, match="needs at least 56"):
        train_forecast(settings, (end.date() - timedelta(days=20), end.date()))
    assert registry.production_version(KIND, settings=settings) is None


def test_train_forecast_command_reports_too_short_history_in_one_line(
    trained_forecast_dir: Path, tmp_path: Path, use_data_dir
) -> None:
    directory = linked_warehouse(trained_forecast_dir, tmp_path / "var")
    use_data_dir(directory)
    end = production_forecasts(Settings(data_dir=trained_forecast_dir)).history["ds"].max()
    since = f"{end - timedelta(days=20):%Y-%m-%d}"
    result = CliRunner().invoke(
        cli.app, ["train", "forecast", "--since", since, "--until", f"{end:%Y-%m-%d}"]
    )
    assert result.exit_code == 1
    assert "error:" in result.output and "needs at least 56" in result.output
    assert "Traceback" not in result.output
