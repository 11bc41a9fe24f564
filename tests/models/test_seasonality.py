"""Seasonal trend analysis: components, year over year, and peaks stated in words, on series
with planted patterns (Poisson counts around a known weekday shape)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.forecasting.errors import ForecastInputError
from models.forecasting.seasonality import (
    Peak,
    decompose,
    peak_periods,
    weekday_factors,
    year_over_year,
)

WEEKDAY_SHAPE = np.array([1.1, 1.0, 1.0, 1.0, 1.1, 1.3, 0.5])  # Monday … Sunday


def planted(
    start: str = "2023-01-01",
    end: str = "2024-12-31",
    level: float = 40.0,
    peaks: tuple[tuple[int, int, int], ...] = ((12, 14, 23), (7, 1, 20)),
    uplift: float = 0.4,
    seed: int = 0,
    growth: float = 0.0,
) -> pd.Series:
    """Daily counts with the weekday shape, ``uplift`` on (month, first day, last day) stretches
    every year and ``growth`` a year."""
    days = pd.date_range(start, end, freq="D")
    mean = level * WEEKDAY_SHAPE[days.weekday] * (1 + growth) ** ((days - days[0]).days / 365)
    for month, first, last in peaks:
        inside = (days.month == month) & (days.day >= first) & (days.day <= last)
        mean = np.where(inside, mean * (1 + uplift), mean)
    counts = np.random.default_rng(seed).poisson(mean).astype(float)
    return pd.Series(counts, index=days)


# ---- peaks ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_recurring_planted_peaks_are_found_with_their_dates_and_size(seed: int) -> None:
    found = peak_periods(planted(seed=seed))
    assert len(found) == 2
    july, december = found
    assert july.recurring and december.recurring
    # Detection is on noisy counts: dates within two days, size within ±12 points of +40 %.
    assert (july.start.month, july.end.month) == (7, 7)
    assert abs(july.start.day - 1) <= 2 and abs(july.end.day - 20) <= 2
    assert (december.start.month, december.end.month) == (12, 12)
    assert abs(december.start.day - 14) <= 2 and abs(december.end.day - 23) <= 2
    assert 0.28 <= december.uplift <= 0.52


def test_a_single_year_is_read_as_dated_peaks() -> None:
    found = peak_periods(planted(start="2024-01-01", peaks=((12, 14, 23),)))
    assert len(found) == 1
    assert not found[0].recurring
    assert found[0].period().endswith("2024")


@pytest.mark.parametrize(
    "level",
    [
        pytest.param(0.8, id="sparse: under one repair a day"),
        pytest.param(8.0, id="a small store"),
        pytest.param(40.0, id="a busy series"),
    ],
)
@pytest.mark.parametrize("seed", [3, 4])
def test_a_series_without_peaks_has_none(level: float, seed: int) -> None:
    series = planted(level=level, peaks=(), seed=seed)
    assert peak_periods(series) == []
    assert peak_periods(series["2024"]) == []


def test_a_busy_weekday_is_not_a_peak() -> None:
    factors = weekday_factors(planted(peaks=()))
    assert factors.idxmax() == 5  # Saturday
    assert factors[5] == pytest.approx(1.3 / WEEKDAY_SHAPE.mean(), rel=0.05)


def test_peaks_read_as_a_manager_would_staff_for_them() -> None:
    peak = Peak(pd.Timestamp("2001-12-14"), pd.Timestamp("2001-12-23"), 0.38, 500, True)
    assert peak.describe("screen repairs") == "December 14–23: +38 % screen repairs vs baseline"
    assert peak.days == 10


def test_a_peak_across_months_names_both_months_and_its_year_when_seen_once() -> None:
    peak = Peak(pd.Timestamp("2024-11-28"), pd.Timestamp("2024-12-03"), 0.21, 80, False)
    assert peak.describe("repairs") == "November 28 – December 3 2024: +21 % repairs vs baseline"


# ---- components ------------------------------------------------------------------------------


def test_components_add_up_to_the_series_and_carry_the_weekday_shape() -> None:
    series = planted()
    parts = decompose(series)
    total = parts["trend"] + parts["weekly"] + parts["yearly"] + parts["remainder"]
    np.testing.assert_allclose(total, parts["observed"], atol=1e-6)
    weekly = parts.groupby(pd.DatetimeIndex(parts["ds"]).weekday)["weekly"].mean()
    assert weekly.idxmax() == 5 and weekly.idxmin() == 6
    december = parts[pd.DatetimeIndex(parts["ds"]).month == 12]["yearly"].mean()
    assert december > 0


def test_yearly_component_needs_two_years_of_history() -> None:
    parts = decompose(planted(start="2024-01-01"))
    assert (parts["yearly"] == 0).all()
    assert parts["weekly"].abs().max() > 0


def test_too_short_a_series_is_refused_in_one_line() -> None:
    with pytest.raises(ForecastInputError, match="at least 28 days"):
        decompose(planted(start="2024-12-20"))


# ---- year over year -----------------------------------------------------------------------------


def test_year_over_year_compares_the_last_twelve_complete_months_with_a_year_earlier() -> None:
    series = planted(peaks=(), growth=0.10, start="2023-01-01", end="2024-12-31")
    change = year_over_year(series)
    assert len(change) == 12
    assert change["month"].iloc[0] == pd.Timestamp("2024-01-01")
    assert change["change"].median() == pytest.approx(0.10, abs=0.03)


def test_year_over_year_is_empty_without_thirteen_complete_months() -> None:
    assert year_over_year(planted(start="2024-01-15")).empty
