"""The engine on synthetic series: backtests see only the past, selection keeps the lowest MASE,
forecasts have H rows on the right dates, intervals cover near their level, short or failing
inputs degrade with a warning or a one-line error."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from models.forecasting import (
    Bands,
    ForecastInputError,
    Setting,
    backtest,
    fit_forecast,
    fold_origins,
    forecast_many,
    forecast_series,
    select_method,
)
from models.forecasting import methods as forecasting_methods
from models.forecasting.scores import coverage, mase, seasonal_naive_scale, smape

FAST = ("holt_winters", "theta")  # seasonal naive is always added


def _seasonal(
    n: int, freq: str, season: int, *, seed: int = 0, start: str = "2015-01-01"
) -> pd.Series:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 100 + 0.2 * t + 10 * np.sin(2 * np.pi * t / season) + rng.normal(0, 2, n)
    return pd.Series(y, index=pd.date_range(start, periods=n, freq=freq, name="ds"), name="y")


# --- scores -------------------------------------------------------------------------------------


def test_mase_is_one_for_a_forecast_as_bad_as_the_in_sample_seasonal_naive() -> None:
    train = np.array([1.0, 2.0, 1.0, 2.0, 1.0, 4.0])  # lag-2 errors: 0, 0, 0, 2 → scale 0.5
    assert seasonal_naive_scale(train, 2) == 0.5
    assert mase(np.array([3.0, 3.0]), np.array([2.5, 3.5]), 0.5) == 1.0


def test_seasonal_naive_scale_of_a_constant_series_is_one_so_mase_stays_finite() -> None:
    assert seasonal_naive_scale(np.full(10, 7.0), 3) == 1.0


def test_smape_counts_a_period_where_both_are_zero_as_exact() -> None:
    assert smape(np.array([0.0, 10.0]), np.array([0.0, 10.0])) == 0.0
    assert smape(np.array([0.0]), np.array([5.0])) == 200.0


def test_coverage_includes_the_bounds() -> None:
    actual = np.array([1.0, 2.0, 3.0, 4.0])
    assert coverage(actual, np.array([1.0, 0, 0, 0]), np.array([2.0, 2.0, 2.0, 5.0])) == 0.75


# --- backtest and selection ---------------------------------------------------------------------


def test_fold_origins_put_the_last_test_window_at_the_end_of_the_series() -> None:
    assert fold_origins(100, 12, 3) == [64, 76, 88]


def test_fold_origins_refuse_a_history_too_short_to_fit_on() -> None:
    with pytest.raises(ForecastInputError, match="needs at least 44"):
        fold_origins(40, 12, 3)


def test_backtest_forecasts_see_only_the_history_before_their_origin(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[pd.Timestamp] = []

    def last_value(history: pd.Series, setting: Setting) -> Callable[[pd.Series, int], Bands]:
        def predict(extended: pd.Series, horizon: int) -> Bands:
            seen.append(extended.index[-1])
            flat = np.full(horizon, extended.iloc[-1])
            return Bands(flat, {80: flat - 1, 95: flat - 2}, {80: flat + 1, 95: flat + 2})

        seen.append(history.index[-1])
        return predict

    monkeypatch.setitem(forecasting_methods.FITTERS, "last_value", last_value)
    series = _seasonal(60, "MS", 12)

    result = backtest(series, ["last_value"], horizon=6, folds=3, refit=True)

    assert list(result.origins) == list(series.index[[42, 48, 54]])
    for origin in result.origins:
        assert origin - pd.offsets.MonthBegin(1) in seen
    assert max(seen) < series.index[-1]


def test_backtest_scores_each_method_and_the_combinations_of_the_best() -> None:
    result = backtest(_seasonal(72, "MS", 12), ["seasonal_naive", *FAST], horizon=6, folds=2)

    scores = result.scores.set_index("method")
    assert {"seasonal_naive", "holt_winters", "theta"} <= set(scores.index)
    assert sum("+" in name for name in scores.index) == 2
    assert list(result.scores["mase"]) == sorted(result.scores["mase"])
    assert {"smape", "coverage_80", "coverage_95", "interval_scale_95"} <= set(scores.columns)
    assert set(result.forecasts["fold"]) == {1, 2}


def test_select_method_keeps_the_lowest_mean_mase() -> None:
    scores = pd.DataFrame({"method": ["seasonal_naive", "theta", "ets"], "mase": [1.2, 0.7, 0.9]})
    assert select_method(scores) == "theta"


def test_a_method_that_fails_is_left_out_and_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(history: pd.Series, setting: Setting) -> Callable[[pd.Series, int], Bands]:
        raise np.linalg.LinAlgError("singular matrix")

    monkeypatch.setitem(forecasting_methods.FITTERS, "broken", broken)

    result = forecast_series(_seasonal(60, "MS", 12), 6, "MS", methods=["broken", "theta"])

    assert "broken" not in set(result.backtest.scores["method"])
    assert "broken was left out: LinAlgError: singular matrix" in result.warnings


def test_a_method_that_forecasts_nan_is_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    def nan_method(history: pd.Series, setting: Setting) -> Callable[[pd.Series, int], Bands]:
        def predict(extended: pd.Series, horizon: int) -> Bands:
            nan = np.full(horizon, np.nan)
            return Bands(
                nan, {lv: nan for lv in setting.levels}, {lv: nan for lv in setting.levels}
            )

        return predict

    monkeypatch.setitem(forecasting_methods.FITTERS, "nan_method", nan_method)

    result = forecast_series(_seasonal(60, "MS", 12), 6, "MS", methods=["nan_method", "theta"])

    assert "nan_method was left out: it forecast NaN or infinite values" in result.warnings
    assert result.forecast["yhat"].notna().all()


def test_a_holiday_country_on_monthly_data_is_reported_as_unused() -> None:
    result = forecast_series(_seasonal(48, "MS", 12), 6, "MS", methods=FAST, country="us")

    assert "holidays (US) are modelled for daily series only and were not used" in result.warnings


def test_an_unknown_method_is_a_one_line_error() -> None:
    with pytest.raises(ForecastInputError, match="unknown method 'lstm'"):
        fit_forecast(_seasonal(40, "MS", 12), 3, "MS", "lstm")


# --- forecasts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("freq", "start", "n", "first", "last"),
    [
        # daily: the 7 days after 2024-03-05 (the series starts 60 days before)
        ("D", "2024-01-06", 60, "2024-03-06", "2024-03-12"),
        # weekly on Wednesdays stays on Wednesdays
        ("W-WED", "2023-01-04", 60, "2024-02-28", "2024-04-10"),
        # monthly on the first of the month
        ("MS", "2019-01-01", 60, "2024-01-01", "2024-07-01"),
    ],
)
def test_the_forecast_has_horizon_rows_on_the_periods_after_the_last_date(
    freq: str, start: str, n: int, first: str, last: str
) -> None:
    series = _seasonal(n, freq, 7 if freq == "D" else 12, start=start)
    horizon = {"D": 7, "W-WED": 7, "MS": 7}[freq]

    result = forecast_series(series, horizon, freq[0] if freq != "MS" else "MS", methods=FAST)

    assert list(result.forecast.columns) == ["ds", "yhat", "yhat_lower", "yhat_upper"]
    assert len(result.forecast) == horizon
    assert result.forecast["ds"].iloc[0] == pd.Timestamp(first)
    assert result.forecast["ds"].iloc[-1] == pd.Timestamp(last)
    assert (result.forecast["yhat_lower"] <= result.forecast["yhat"]).all()
    assert (result.forecast["yhat"] <= result.forecast["yhat_upper"]).all()


def test_the_chosen_method_and_its_backtest_against_seasonal_naive_are_reported() -> None:
    result = forecast_series(_seasonal(72, "MS", 12), 6, "MS", methods=FAST)

    scores = result.backtest.scores.set_index("method")
    assert result.mase == scores.at[result.method, "mase"] == scores["mase"].min()
    assert result.seasonal_naive_mase == scores.at["seasonal_naive", "mase"]
    assert result.summary().startswith(f"method: {result.method}; backtest MASE")


def test_intervals_cover_near_their_level_on_a_series_with_known_noise() -> None:
    """Expected coverage under the true process (trend + season + N(0, 3²)), over 4 series."""
    sigma, n, horizon, achieved = 3.0, 96, 12, []
    for seed in range(4):
        rng = np.random.default_rng(seed)
        t = np.arange(n + horizon)
        truth = 100 + 0.2 * t + 10 * np.sin(2 * np.pi * t / 12)
        index = pd.date_range("2015-01-01", periods=n, freq="MS", name="ds")
        series = pd.Series(truth[:n] + rng.normal(0, sigma, n), index=index)
        bounds = forecast_series(series, horizon, "MS", level=80, methods=FAST).intervals
        future = truth[n:]
        achieved.append(
            {
                level: np.mean(
                    norm.cdf((bounds[f"yhat_upper_{level}"] - future) / sigma)
                    - norm.cdf((bounds[f"yhat_lower_{level}"] - future) / sigma)
                )
                for level in (80, 95)
            }
        )
    mean = pd.DataFrame(achieved).mean()
    assert 0.70 <= mean[80] <= 0.90
    assert 0.90 <= mean[95] <= 0.99


def test_forecasts_of_a_non_negative_series_are_clipped_at_zero() -> None:
    index = pd.date_range("2020-01-01", periods=48, freq="MS", name="ds")
    falling = pd.Series(np.linspace(40, 1, 48), index=index)

    result = forecast_series(falling, 12, "MS", methods=FAST)

    assert (result.forecast[["yhat", "yhat_lower", "yhat_upper"]] >= 0).all().all()
    assert (result.forecast["yhat_lower"] == 0).any()


def test_a_series_with_negative_values_is_not_clipped() -> None:
    index = pd.date_range("2020-01-01", periods=48, freq="MS", name="ds")
    falling = pd.Series(np.linspace(40, -5, 48), index=index)

    result = forecast_series(falling, 12, "MS", methods=FAST)

    assert result.forecast["yhat"].min() < 0


def test_a_series_shorter_than_two_seasons_plus_the_horizon_goes_non_seasonal() -> None:
    result = forecast_series(_seasonal(29, "MS", 12), 6, "MS", methods=FAST)  # needs 24 + 6

    assert any("seasonality is ignored" in warning for warning in result.warnings)
    assert len(result.forecast) == 6


def test_a_series_too_short_to_backtest_is_a_one_line_error() -> None:
    with pytest.raises(ForecastInputError, match="the series has 10 periods: forecasting 6 needs"):
        forecast_series(_seasonal(10, "MS", 12), 6, "MS")


def test_an_unknown_holiday_country_is_a_one_line_error() -> None:
    with pytest.raises(ForecastInputError, match="no public holiday calendar for country 'XX'"):
        forecast_series(_seasonal(60, "D", 7), 7, "D", country="XX")


def test_fit_forecast_gives_bounds_for_each_level() -> None:
    frame = fit_forecast(_seasonal(48, "MS", 12), 6, "MS", "theta", (80, 95))

    assert list(frame.columns) == [
        "ds",
        "yhat",
        "yhat_lower_80",
        "yhat_upper_80",
        "yhat_lower_95",
        "yhat_upper_95",
    ]
    assert (frame["yhat_lower_95"] <= frame["yhat_lower_80"]).all()


def test_prophet_forecasts_daily_data_with_a_country_s_holidays() -> None:
    series = _seasonal(3 * 7 * 8, "D", 7, start="2023-10-02")

    frame = fit_forecast(series, 14, "D", "prophet", 80, country="US")

    assert len(frame) == 14
    assert (frame["yhat_lower_80"] < frame["yhat_upper_80"]).all()


def test_forecast_many_forecasts_each_series_and_reports_the_ones_it_cannot() -> None:
    fleet = {
        "north": _seasonal(60, "MS", 12, seed=1),
        "south": _seasonal(60, "MS", 12, seed=2),
        "new_store": _seasonal(9, "MS", 12),
    }

    result = forecast_many(fleet, 6, "MS", methods=FAST, workers=2)

    assert sorted(result.forecasts["unique_id"].unique()) == ["north", "south"]
    assert len(result.forecasts) == 12
    assert set(result.methods["unique_id"]) == {"north", "south"}
    assert list(result.failures) == ["new_store"]
