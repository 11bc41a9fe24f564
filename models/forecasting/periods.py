"""Frequencies the engine supports: their season lengths, pandas spellings and next dates.

``D`` is daily, ``W`` weekly on whatever weekday the series uses, ``MS`` monthly dated on the
first of the month. Season lengths: ``D`` → 7 (and 365 once two years are available), ``W`` → 52,
``MS`` → 12. A season is only used when the history holds at least two of it.
"""

from __future__ import annotations

from typing import Literal, cast

import pandas as pd

from models.forecasting.errors import ForecastInputError

Freq = Literal["D", "W", "MS"]
FREQUENCIES: tuple[Freq, ...] = ("D", "W", "MS")
PRIMARY_SEASON: dict[Freq, int] = {"D": 7, "W": 52, "MS": 12}
DAYS_PER_YEAR = 365
PERIODS_PER_YEAR: dict[Freq, int] = {"D": DAYS_PER_YEAR, "W": 52, "MS": 12}
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def check_freq(text: str) -> Freq:
    """The frequency spelled by ``text`` (case-insensitive), or an error naming the choices."""
    spelled = text.strip().upper()
    if spelled not in FREQUENCIES:
        raise ForecastInputError(
            f"frequency must be one of D (daily), W (weekly), MS (monthly, first of the month); "
            f"got {text!r}"
        )
    return cast(Freq, spelled)


def season_lengths(freq: Freq, n_obs: int) -> tuple[int, ...]:
    """Seasons a history of ``n_obs`` periods can support: each needs two full cycles."""
    candidates = (7, DAYS_PER_YEAR) if freq == "D" else (PRIMARY_SEASON[freq],)
    return tuple(m for m in candidates if n_obs >= 2 * m)


def pandas_freq(freq: Freq, anchor: pd.Timestamp) -> str:
    """The pandas offset alias for ``freq``; weekly series are anchored on ``anchor``'s weekday."""
    if freq == "W":
        return f"W-{anchor.day_name()[:3].upper()}"
    return freq


def next_periods(last: pd.Timestamp, horizon: int, freq: Freq) -> pd.DatetimeIndex:
    """The ``horizon`` period dates that follow ``last``."""
    dates = pd.date_range(last, periods=horizon + 1, freq=pandas_freq(freq, last))
    return dates[1:]
