"""Turn a ``ds,y`` frame into a regular series the methods can use, or say what is wrong with it.

Rules (rows are counted from 1, the first row after the header):

- ``ds`` must parse as an ISO date (``YYYY-MM-DD``; a time of day must be midnight). Weekly
  series must keep one weekday; monthly (``MS``) dates must be the first of the month.
- ``y`` must be a finite number. An empty cell (or ``NA``/``NaN``/``null``) is a missing value.
- A date that appears twice is an error listing the repeats: summing them silently could double
  count, so aggregate to one row per period first.
- Negative ``y`` is an error unless ``allow_negative=True`` (demand and revenue are ≥ 0, and the
  forecasts of a non-negative series are clipped at zero).
- Rows out of order are sorted. Missing periods and missing values inside the series are filled
  by linear interpolation and listed in the report; missing values before the first or after the
  last observed value are dropped. More than half of the periods missing is an error, because it
  nearly always means the wrong ``freq``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from models.forecasting.errors import ForecastInputError
from models.forecasting.periods import WEEKDAY_NAMES, Freq, check_freq, pandas_freq

MISSING_MARKERS = frozenset({"", "na", "nan", "null", "none"})
MAX_MISSING_SHARE = 0.5
LISTED = 3


@dataclass(frozen=True)
class PreparationReport:
    """What :func:`prepare_series` found and repaired."""

    input_rows: int
    periods: int
    start: date
    end: date
    filled: tuple[date, ...]
    dropped_rows: int
    reordered: bool

    def notes(self) -> list[str]:
        """One line per repair made, empty when the input was used as it was."""
        lines = []
        if self.reordered:
            lines.append("rows were out of date order and have been sorted")
        if self.filled:
            shown = ", ".join(day.isoformat() for day in self.filled[:LISTED])
            more = f" and {len(self.filled) - LISTED} more" if len(self.filled) > LISTED else ""
            lines.append(
                f"filled {len(self.filled)} missing period(s) by linear interpolation: "
                f"{shown}{more}"
            )
        if self.dropped_rows:
            lines.append(
                f"dropped {self.dropped_rows} row(s) without a value before the first or after "
                "the last observed value"
            )
        return lines


def prepare_series(
    frame: Any, freq: Freq | str, *, allow_negative: bool = False
) -> tuple[pd.Series, PreparationReport]:
    """A regular float series indexed by period date (``freq`` set), and what was repaired.

    ``frame`` is a pandas or polars frame with columns ``ds`` and ``y`` (any case; other columns
    are ignored). Raises :class:`ForecastInputError` with a one-line message for input it cannot
    use; see the module docstring for the rules.
    """
    freq = check_freq(freq)
    table = _as_pandas(frame)
    ds_column, y_column = _column(table, "ds"), _column(table, "y")
    if table.empty:
        raise ForecastInputError(
            "the input has no rows: it needs a header ds,y and one row per period"
        )
    dates = _parsed_dates(table[ds_column].reset_index(drop=True))
    values = _parsed_values(table[y_column].reset_index(drop=True))
    if not allow_negative:
        _check_not_negative(values)
    _check_no_duplicates(dates)
    _check_aligned(dates, freq)
    order = np.argsort(dates.to_numpy(), kind="stable")
    reordered = bool((order != np.arange(len(order))).any())
    observed = pd.Series(values.to_numpy()[order], index=pd.DatetimeIndex(dates.to_numpy()[order]))
    return _regular_series(observed, freq, input_rows=len(table), reordered=reordered)


def _as_pandas(frame: Any) -> pd.DataFrame:
    if isinstance(frame, pd.DataFrame):
        return frame
    to_pandas = getattr(frame, "to_pandas", None)
    if callable(to_pandas):
        return to_pandas()
    raise ForecastInputError(
        f"expected a pandas or polars frame with columns ds,y, got {type(frame)}"
    )


def _column(table: pd.DataFrame, name: str) -> Any:
    for column in table.columns:
        if str(column).strip().lower() == name:
            return column
    found = ", ".join(str(column) for column in table.columns) or "none"
    raise ForecastInputError(f"the input needs columns ds and y; found: {found}")


def _row(position: int) -> str:
    return f"row {position + 1}"


def _parsed_dates(raw: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(raw):
        parsed = raw
        bad = parsed.isna()
    else:
        text = raw.astype("string").str.strip()
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
        bad = parsed.isna()
        if bad.any():
            position = int(np.flatnonzero(bad.to_numpy())[0])
            shown = text.iloc[position]
            what = "has no date" if pd.isna(shown) or shown == "" else f"has ds={shown!r}"
            raise ForecastInputError(
                f"{_row(position)} {what}: dates must be ISO dates such as 2024-01-31"
            )
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise ForecastInputError(f"{_row(position)} has no date: every row needs a ds value")
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    with_time = parsed != parsed.dt.normalize()
    if with_time.any():
        position = int(np.flatnonzero(with_time.to_numpy())[0])
        raise ForecastInputError(
            f"{_row(position)} has a time of day ({parsed.iloc[position]}): aggregate to one row "
            "per period first"
        )
    return parsed.astype("datetime64[ns]")


def _parsed_values(raw: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(raw):
        raise ForecastInputError("y holds true/false values: it must be numbers")
    if pd.api.types.is_numeric_dtype(raw):
        values = raw.astype("float64")
    else:
        text = raw.astype("string").str.strip()
        missing = text.isna() | text.str.lower().isin(MISSING_MARKERS)
        values = pd.to_numeric(text.where(~missing), errors="coerce").astype("float64")
        bad = values.isna() & ~missing
        if bad.any():
            position = int(np.flatnonzero(bad.to_numpy())[0])
            raise ForecastInputError(
                f"{_row(position)} has y={text.iloc[position]!r}, which is not a number: use a "
                "plain number such as 1234.5 (no thousands separators), or leave it empty if "
                "unknown"
            )
    infinite = np.isinf(values.to_numpy())
    if infinite.any():
        position = int(np.flatnonzero(infinite)[0])
        raise ForecastInputError(f"{_row(position)} has an infinite y: y must be a finite number")
    return values


def _check_not_negative(values: pd.Series) -> None:
    negative = (values < 0).to_numpy()
    if negative.any():
        position = int(np.flatnonzero(negative)[0])
        raise ForecastInputError(
            f"y has {int(negative.sum())} negative value(s), the first in {_row(position)} "
            f"(y={values.iloc[position]:g}): demand and revenue cannot be negative; net refunds "
            "first, or allow negative values explicitly (--allow-negative)"
        )


def _check_no_duplicates(dates: pd.Series) -> None:
    repeated = dates.duplicated(keep=False).to_numpy()
    if not repeated.any():
        return
    positions = pd.Series(np.flatnonzero(repeated)).groupby(dates[repeated].to_numpy())
    listed = [
        f"{day:%Y-%m-%d} (rows {', '.join(str(p + 1) for p in rows)})"
        for day, rows in list(positions)[:LISTED]
    ]
    count = int(dates[repeated].nunique())
    more = f" and {count - LISTED} more" if count > LISTED else ""
    raise ForecastInputError(
        f"{count} date(s) appear more than once: {'; '.join(listed)}{more}: aggregate to one row "
        "per period (for example sum the values) first"
    )


def _check_aligned(dates: pd.Series, freq: Freq) -> None:
    if freq == "MS":
        misaligned = (dates.dt.day != 1).to_numpy()
        if misaligned.any():
            position = int(np.flatnonzero(misaligned)[0])
            raise ForecastInputError(
                f"{_row(position)} has ds={dates.iloc[position]:%Y-%m-%d}: monthly series (MS) "
                "must be dated on the first day of each month"
            )
    elif freq == "W":
        weekdays = dates.dt.weekday.to_numpy()
        misaligned = weekdays != weekdays[0]
        if misaligned.any():
            position = int(np.flatnonzero(misaligned)[0])
            raise ForecastInputError(
                f"{_row(position)} has ds={dates.iloc[position]:%Y-%m-%d}, a "
                f"{WEEKDAY_NAMES[weekdays[position]]}, but row 1 is a "
                f"{WEEKDAY_NAMES[weekdays[0]]}: weekly series (W) must keep one weekday"
            )


def _regular_series(
    observed: pd.Series, freq: Freq, *, input_rows: int, reordered: bool
) -> tuple[pd.Series, PreparationReport]:
    valued = observed.dropna()
    if valued.empty:
        raise ForecastInputError("y has no values: every row is empty")
    trimmed = observed.loc[valued.index[0] : valued.index[-1]]
    dropped = len(observed) - len(trimmed)
    index = pd.date_range(
        trimmed.index[0], trimmed.index[-1], freq=pandas_freq(freq, trimmed.index[0]), name="ds"
    )
    regular = trimmed.reindex(index)
    gaps = regular.isna().to_numpy()
    if gaps.mean() > MAX_MISSING_SHARE:
        raise ForecastInputError(
            f"{int(gaps.sum())} of the {len(index)} periods between {index[0]:%Y-%m-%d} and "
            f"{index[-1]:%Y-%m-%d} have no value: check that the frequency ({freq}) matches "
            "the data"
        )
    series = regular.interpolate(method="linear").rename("y")
    report = PreparationReport(
        input_rows=input_rows,
        periods=len(series),
        start=index[0].date(),
        end=index[-1].date(),
        filled=tuple(day.date() for day in index[gaps]),
        dropped_rows=dropped,
        reordered=reordered,
    )
    return series, report
