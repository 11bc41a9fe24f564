"""When stores are open and how many customers each day brings: the planted demand signals.

Demand for new customers at store ``s`` on day ``d`` is ``base × shape[s, d]`` (Poisson noise is
added where visits are drawn), with

    shape = weekday profile × yearly season × holiday/short day × growth trend × store ramp-up

All factors are documented with their parameters in ``data/README.md``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import holidays
import numpy as np
import polars as pl

from data.generator.config import HistoryWindow
from data.generator.stores import WEEKDAYS, Stores

# Relative demand per weekday (Mon..Sun) on days the store is open.
WEEKDAY_PROFILE = np.array([0.95, 0.92, 0.95, 1.00, 1.08, 1.45, 0.55])

# Yearly season: Gaussian bumps over the day of year (centre, width in days, amplitude).
SUMMER_DIP = (217, 18.0, -0.28)  # around 5 August: holidays, people are away
BACK_TO_SCHOOL = (251, 6.0, 0.18)  # around 8 September
DECEMBER_PEAK = (349, 7.0, 0.45)  # around 15 December: gifts, trade-ins before Christmas

ANNUAL_GROWTH = 0.08  # new-customer demand grows 8 % a year
RAMP_START = 0.35  # a new store starts at 35 % of its mature demand ...
RAMP_DAYS = 75.0  # ... and closes the gap with this time constant (days)
SHORT_DAY_DEMAND = 0.5  # 24 and 31 December: open 10:00-14:00 with half the demand
SHORT_DAY_HOURS = ("10:00", "14:00")

_SECONDS_PER_DAY = 86_400
_STORE_STRIDE = 1 << 40  # separates stores when all opening intervals share one sorted array


@dataclass(frozen=True)
class OpeningCalendar:
    """Opening intervals per store and day in local seconds since the history start."""

    opens: np.ndarray  # [store, day] local seconds, valid where is_open
    closes: np.ndarray  # [store, day]
    is_open: np.ndarray  # [store, day] bool
    is_holiday: np.ndarray  # [store, day] bool: a public holiday in the store's country
    is_short_day: np.ndarray  # [store, day] bool: 24/31 December short opening
    utc_offset: np.ndarray  # [store, day] seconds to subtract from local time to get UTC
    _interval_ends: np.ndarray
    _interval_starts: np.ndarray

    @property
    def days(self) -> int:
        return self.is_open.shape[1]

    def next_open(self, store: np.ndarray, t: np.ndarray) -> np.ndarray:
        """The earliest time ≥ ``t`` at which ``store`` is open (``t`` itself when it is open).

        Times past the calendar are returned unchanged.
        """
        key = store.astype(np.int64) * _STORE_STRIDE + t
        pos = np.searchsorted(self._interval_ends, key, side="right")
        start = self._interval_starts[pos]
        beyond = start < 0  # the per-store sentinel after the last interval
        return np.where(beyond, t, np.maximum(t, start - store.astype(np.int64) * _STORE_STRIDE))

    def to_utc(self, store: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Local seconds to UTC seconds (both relative to the history start at midnight)."""
        day = np.clip(t // _SECONDS_PER_DAY, 0, self.days - 1)
        return t - self.utc_offset[store, day]


def build_calendar(stores: Stores, window: HistoryWindow) -> OpeningCalendar:
    """Opening hours per store and day: closed before opening, on Sundays by custom, on holidays."""
    n_days = window.calendar_days
    dates = [window.date_of(d) for d in range(n_days)]
    weekday = np.array([d.weekday() for d in dates])
    day_start = np.arange(n_days, dtype=np.int64) * _SECONDS_PER_DAY
    shape = (stores.count, n_days)
    opens, closes = np.zeros(shape, np.int64), np.zeros(shape, np.int64)
    is_open, is_holiday = np.zeros(shape, bool), np.zeros(shape, bool)
    is_short = np.zeros(shape, bool)
    short_dates = np.array([(d.month, d.day) in {(12, 24), (12, 31)} for d in dates])
    years = range(window.start.year, window.end.year + 2)
    for s in range(stores.count):
        national = holidays.country_holidays(stores.country_codes[s], years=years)
        is_holiday[s] = [d in national for d in dates]
        for w, name in enumerate(WEEKDAYS):
            hours = stores.hours[s][name]
            if hours is None:
                continue
            on_weekday = weekday == w
            opens[s, on_weekday] = day_start[on_weekday] + _seconds(hours[0])
            closes[s, on_weekday] = day_start[on_weekday] + _seconds(hours[1])
            is_open[s, on_weekday] = True
        is_short[s] = short_dates & is_open[s] & ~is_holiday[s]
        opens[s, is_short[s]] = day_start[is_short[s]] + _seconds(SHORT_DAY_HOURS[0])
        closes[s, is_short[s]] = day_start[is_short[s]] + _seconds(SHORT_DAY_HOURS[1])
        is_open[s] &= ~is_holiday[s]
        is_open[s, : stores.opened_day[s]] = False
    ends, starts = _interval_index(opens, closes, is_open)
    return OpeningCalendar(
        opens=opens,
        closes=closes,
        is_open=is_open,
        is_holiday=is_holiday,
        is_short_day=is_short,
        utc_offset=_utc_offsets(stores, window.start, n_days),
        _interval_ends=ends,
        _interval_starts=starts,
    )


def weekday_factor(window: HistoryWindow, n_days: int) -> np.ndarray:
    """Weekday profile per day index."""
    return WEEKDAY_PROFILE[(window.first_weekday + np.arange(n_days)) % 7]


def season_factor(window: HistoryWindow, n_days: int) -> np.ndarray:
    """Yearly season per day index: summer dip, back-to-school bump, December peak."""
    doy = np.array([window.date_of(d).timetuple().tm_yday for d in range(n_days)], dtype=float)
    factor = np.ones(n_days)
    for centre, width, amplitude in (SUMMER_DIP, BACK_TO_SCHOOL, DECEMBER_PEAK):
        distance = np.abs(doy - centre)
        distance = np.minimum(distance, 365.25 - distance)
        factor += amplitude * np.exp(-0.5 * (distance / width) ** 2)
    return factor


def growth_factor(n_days: int) -> np.ndarray:
    """The business's growth trend per day index (1.0 on day 0)."""
    return (1.0 + ANNUAL_GROWTH) ** (np.arange(n_days) / 365.25)


def ramp_factor(stores: Stores, n_days: int) -> np.ndarray:
    """[store, day] share of mature demand a store has reached since it opened (0 before)."""
    age = np.arange(n_days)[None, :] - stores.opened_day[:, None]
    ramp = RAMP_START + (1 - RAMP_START) * (1 - np.exp(-np.maximum(age, 0) / RAMP_DAYS))
    return np.where(age >= 0, ramp, 0.0)


def visit_propensity(calendar: OpeningCalendar, window: HistoryWindow) -> np.ndarray:
    """[store, day] how likely a customer who can choose the day comes in (max 1 per store).

    Weekday × season × holiday/short day, without growth or ramp-up: used to place returning
    customers' visits on plausible days.
    """
    n_days = calendar.days
    shape = weekday_factor(window, n_days) * season_factor(window, n_days)
    propensity = np.where(calendar.is_open, shape[None, :], 0.0)
    propensity = np.where(calendar.is_short_day, propensity * SHORT_DAY_DEMAND, propensity)
    return propensity / np.maximum(propensity.max(axis=1, keepdims=True), 1e-9)


def demand_shape(stores: Stores, calendar: OpeningCalendar, window: HistoryWindow) -> np.ndarray:
    """[store, day] relative new-customer demand; multiply by the base rate for expected visits."""
    n_days = calendar.days
    shape = weekday_factor(window, n_days) * season_factor(window, n_days) * growth_factor(n_days)
    shape = shape[None, :] * ramp_factor(stores, n_days)
    shape = np.where(calendar.is_short_day, shape * SHORT_DAY_DEMAND, shape)
    return np.where(calendar.is_open, shape, 0.0)


def _seconds(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def _interval_index(
    opens: np.ndarray, closes: np.ndarray, is_open: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted interval ends/starts of all stores, each store offset by a stride and terminated by
    a sentinel (start −1) so that a search never runs into the next store's intervals."""
    ends, starts = [], []
    for s in range(is_open.shape[0]):
        offset = s * _STORE_STRIDE
        ends.append(closes[s, is_open[s]] + offset)
        starts.append(opens[s, is_open[s]] + offset)
        ends.append(np.array([offset + _STORE_STRIDE - 1]))
        starts.append(np.array([-1]))
    return np.concatenate(ends), np.concatenate(starts)


def _utc_offsets(stores: Stores, start: dt.date, n_days: int) -> np.ndarray:
    """[store, day] UTC offset in seconds at local noon (the DST switch happens at night)."""
    noon = pl.datetime_range(
        dt.datetime.combine(start, dt.time(12)),
        dt.datetime.combine(start + dt.timedelta(days=n_days - 1), dt.time(12)),
        "1d",
        eager=True,
    )
    offsets = np.zeros((stores.count, n_days), np.int64)
    for s, tz in enumerate(stores.timezones):
        utc = noon.dt.replace_time_zone(tz).dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        offsets[s] = (noon - utc).dt.total_seconds().to_numpy()
    return offsets
