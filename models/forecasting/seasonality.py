"""Seasonal trend analysis of a daily demand series: components, year over year, peaks in words.

* :func:`decompose` splits a daily series into trend, weekly and yearly components plus the
  remainder (additive MSTL; the yearly component needs two years of history and is zero before).
* :func:`year_over_year` compares each of the last twelve complete months with the same month a
  year earlier.
* :func:`peak_periods` finds the stretches of days that run well above the baseline, and
  :meth:`Peak.describe` states them the way a manager staffs for them:
  "December 14–23: +38 % screen replacement repairs vs baseline".

Peaks are measured on the series with its weekday pattern divided out (a busy Saturday is not a
peak), lightly smoothed, against a baseline that is the centred one-year rolling mean (the
typical level, which follows growth). With two or more years the ratio is averaged per calendar
day across years, so a peak is stated once, as it recurs; a single year is read as it is.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.forecasting.errors import ForecastInputError

MIN_DAYS = 28  # four weeks: less cannot tell a weekday pattern from noise
PEAK_THRESHOLD = 0.15  # a day is in a peak when it runs 15 % or more above the baseline
PEAK_MIN_DAYS = 3
PEAK_GAP_DAYS = 2  # dips this short do not split a peak
SMOOTHING_DAYS = 5
PEAK_SIGNIFICANCE = 4.0  # Poisson standard deviations above the expected demand
BASELINE_DAYS = 365


@dataclass(frozen=True)
class Peak:
    """A stretch of calendar days (``year`` None when it recurs every year) above the baseline."""

    start: pd.Timestamp
    end: pd.Timestamp
    uplift: float  # observed over expected demand in the stretch, minus one
    extra: float  # demand above the expected in the stretch (summed over years when recurring)
    recurring: bool

    @property
    def days(self) -> int:
        return int((self.end - self.start).days) + 1

    def period(self) -> str:
        """ "December 14–23", or "November 28 – December 3" across months (with the year when
        the peak was seen in one year only)."""
        start, end = self.start, self.end
        year = "" if self.recurring else f" {end.year}"
        if (start.year, start.month) == (end.year, end.month):
            return f"{calendar.month_name[start.month]} {start.day}–{end.day}{year}"
        start_year = "" if self.recurring or start.year == end.year else f" {start.year}"
        return (
            f"{calendar.month_name[start.month]} {start.day}{start_year} – "
            f"{calendar.month_name[end.month]} {end.day}{year}"
        )

    def describe(self, what: str) -> str:
        """The peak in words, e.g. ``describe("screen replacement repairs")``."""
        return f"{self.period()}: {self.uplift * 100:+.0f} % {what} vs baseline"


def _daily(series: pd.Series) -> pd.Series:
    if not isinstance(series.index, pd.DatetimeIndex):
        raise ForecastInputError("seasonal analysis needs a series indexed by date")
    values = series.astype(float).asfreq("D")
    if len(values) < MIN_DAYS:
        raise ForecastInputError(
            f"seasonal analysis needs at least {MIN_DAYS} days of history, got {len(values)}"
        )
    if values.isna().any():
        values = values.interpolate(limit_direction="both")
    return values


def decompose(series: pd.Series) -> pd.DataFrame:
    """``ds, observed, trend, weekly, yearly, remainder`` of a daily series (additive MSTL).

    The components add up to ``observed``. Yearly is zero with less than two years of history,
    and so is weekly with less than two weeks.
    """
    from statsmodels.tsa.seasonal import MSTL

    values = _daily(series)
    periods = [p for p in (7, 365) if len(values) >= 2 * p]
    result = MSTL(values, periods=periods).fit()
    seasonal = result.seasonal
    if isinstance(seasonal, pd.Series):
        seasonal = seasonal.to_frame(f"seasonal_{periods[0]}")
    weekly = seasonal.get("seasonal_7", pd.Series(0.0, index=values.index))
    yearly = seasonal.get("seasonal_365", pd.Series(0.0, index=values.index))
    return pd.DataFrame(
        {
            "ds": values.index,
            "observed": values.to_numpy(),
            "trend": result.trend.to_numpy(),
            "weekly": np.asarray(weekly, dtype=float),
            "yearly": np.asarray(yearly, dtype=float),
            "remainder": result.resid.to_numpy(),
        }
    )


def weekday_factors(series: pd.Series) -> pd.Series:
    """Mean demand per weekday (0 = Monday) over the overall mean; 1.0 everywhere when flat."""
    values = _daily(series)
    mean = values.mean()
    if mean <= 0:
        return pd.Series(1.0, index=range(7))
    by_weekday = values.groupby(values.index.weekday).mean() / mean
    return by_weekday.reindex(range(7), fill_value=1.0)


def expected_demand(series: pd.Series) -> pd.Series:
    """What each day would see at the baseline: the baseline level (centred one-year rolling
    mean of the weekday-adjusted series) × that weekday's factor."""
    values = _daily(series)
    per_day = weekday_factors(values).to_numpy()[values.index.weekday]
    adjusted = values / np.where(per_day > 0, per_day, 1.0)
    # A mean, not a median: the median of a sparse count series is 0 or 1, far from its level.
    baseline = adjusted.rolling(BASELINE_DAYS, center=True, min_periods=MIN_DAYS).mean()
    return baseline.bfill().ffill() * per_day


def baseline_ratio(series: pd.Series, smoothing: int = SMOOTHING_DAYS) -> pd.Series:
    """Demand over its expected level (both summed over ``smoothing`` centred days), minus one."""
    values = _daily(series)
    expected = expected_demand(values)
    window = {"window": smoothing, "center": True, "min_periods": 1}
    ratio = values.rolling(**window).sum() / expected.rolling(**window).sum().where(expected > 0)
    return (ratio - 1).fillna(0.0)


def peak_periods(
    series: pd.Series,
    *,
    threshold: float = PEAK_THRESHOLD,
    min_days: int = PEAK_MIN_DAYS,
    significance: float = PEAK_SIGNIFICANCE,
    top: int = 5,
) -> list[Peak]:
    """The ``top`` peaks of a daily series (by demand above the baseline), in calendar order.

    A stretch counts when its smoothed ratio to the baseline stays above ``threshold`` for
    ``min_days`` and its demand beats the expected by ``significance`` Poisson standard
    deviations (so a few busy days of a sparse series are not called a peak). Its uplift is
    observed over expected demand, minus one.
    """
    values = _daily(series)
    smoothed = baseline_ratio(values)
    frame = pd.DataFrame(
        {"smoothed": smoothed, "observed": values, "expected": expected_demand(values)}
    )
    recurring = len(values) >= 2 * BASELINE_DAYS
    if recurring:
        frame = _calendar_profile(frame)
    raw = frame["observed"] / frame["expected"].where(frame["expected"] > 0) - 1
    peaks = []
    for first, last in _runs(frame["smoothed"] >= threshold, PEAK_GAP_DAYS):
        run = frame.iloc[first : last + 1]
        if run["expected"].sum() <= 0 or _excess_sd(run) < significance:
            continue
        # Smoothing spreads a peak onto its neighbours: trim days that are not high themselves.
        while first < last and not raw.iloc[first] >= threshold:
            first += 1
        while last > first and not raw.iloc[last] >= threshold:
            last -= 1
        stretch = frame.iloc[first : last + 1]
        observed, expected = stretch["observed"].sum(), stretch["expected"].sum()
        if len(stretch) < min_days or expected <= 0:
            continue
        peaks.append(
            Peak(
                start=stretch.index[0],
                end=stretch.index[-1],
                uplift=float(observed / expected - 1),
                extra=float(observed - expected),
                recurring=recurring,
            )
        )
    chosen = sorted(peaks, key=lambda peak: peak.extra, reverse=True)[:top]
    return sorted(chosen, key=lambda peak: peak.start)


def _excess_sd(run: pd.DataFrame) -> float:
    """Observed demand above the expected, in Poisson standard deviations."""
    expected = float(run["expected"].sum())
    return (float(run["observed"].sum()) - expected) / np.sqrt(expected)


def _calendar_profile(frame: pd.DataFrame) -> pd.DataFrame:
    """Per calendar day across years: mean smoothed ratio, summed observed and expected demand;
    dated in a non-leap reference year (29 February folds into 28 February)."""
    day = frame.index.strftime("%m-%d").str.replace("02-29", "02-28")
    profile = frame.groupby(day).agg(
        smoothed=("smoothed", "mean"), observed=("observed", "sum"), expected=("expected", "sum")
    )
    profile.index = pd.to_datetime("2001-" + profile.index)
    return profile.sort_index()


def _runs(flags: pd.Series, gap: int) -> list[tuple[int, int]]:
    """(first, last) positions of runs of True, joining runs separated by ≤ ``gap`` Falses."""
    positions = np.flatnonzero(flags.to_numpy())
    if positions.size == 0:
        return []
    runs = []
    first = last = int(positions[0])
    for position in positions[1:]:
        if position - last - 1 <= gap:
            last = int(position)
        else:
            runs.append((first, last))
            first = last = int(position)
    runs.append((first, last))
    return runs


def year_over_year(series: pd.Series) -> pd.DataFrame:
    """``month, current, previous, change`` for the last twelve complete months against the same
    months a year earlier; empty when the history holds less than thirteen complete months."""
    values = _daily(series)
    monthly = values.resample("MS").sum()
    counts = values.resample("MS").count()
    days_in_month = monthly.index.days_in_month
    complete = monthly[counts.to_numpy() == days_in_month]
    columns = ["month", "current", "previous", "change"]
    if len(complete) < 13:
        return pd.DataFrame(columns=columns)
    current = complete.iloc[-12:]
    previous = complete.reindex(current.index - pd.DateOffset(years=1))
    frame = pd.DataFrame(
        {
            "month": current.index,
            "current": current.to_numpy(),
            "previous": previous.to_numpy(),
        }
    )
    frame["change"] = frame["current"] / frame["previous"].where(frame["previous"] > 0) - 1
    return frame.dropna(subset=["previous"]).reset_index(drop=True)
