"""`prepare_series`: a `ds,y` frame becomes a regular series, repairs are reported, and input it
cannot use gets a one-line message naming the first bad row."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
import polars as pl
import pytest

from models.forecasting import ForecastInputError, prepare_series


def _frame(text: str) -> pd.DataFrame:
    """What the command reads: every cell as text, nothing turned into NaN."""
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def test_a_clean_daily_frame_becomes_a_regular_series_with_nothing_to_report() -> None:
    series, report = prepare_series(_frame("ds,y\n2024-01-01,3\n2024-01-02,4\n2024-01-03,5\n"), "D")

    assert list(series) == [3.0, 4.0, 5.0]
    assert series.index.freqstr == "D"
    assert (report.start, report.end, report.periods) == (date(2024, 1, 1), date(2024, 1, 3), 3)
    assert report.notes() == []


def test_missing_dates_are_filled_by_interpolation_and_listed() -> None:
    series, report = prepare_series(_frame("ds,y\n2024-01-01,2\n2024-01-04,8\n"), "D")

    assert list(series) == [2.0, 4.0, 6.0, 8.0]
    assert report.filled == (date(2024, 1, 2), date(2024, 1, 3))
    assert (
        "filled 2 missing period(s) by linear interpolation: 2024-01-02, 2024-01-03"
        in (report.notes()[0])
    )


def test_an_empty_value_is_filled_like_a_missing_date() -> None:
    series, report = prepare_series(_frame("ds,y\n2024-01-01,2\n2024-01-02,\n2024-01-03,4\n"), "D")

    assert list(series) == [2.0, 3.0, 4.0]
    assert report.filled == (date(2024, 1, 2),)


def test_empty_values_before_the_first_and_after_the_last_value_are_dropped() -> None:
    text = "ds,y\n2024-01-01,NA\n2024-01-02,1\n2024-01-03,2\n2024-01-04,\n"
    series, report = prepare_series(_frame(text), "D")

    assert list(series.index.day) == [2, 3]
    assert report.dropped_rows == 2


def test_rows_out_of_order_are_sorted_and_reported() -> None:
    series, report = prepare_series(
        _frame("ds,y\n2024-03-01,3\n2024-01-01,1\n2024-02-01,2\n"), "MS"
    )

    assert list(series) == [1.0, 2.0, 3.0]
    assert report.reordered and "sorted" in report.notes()[0]


def test_weekly_series_keep_the_weekday_they_use() -> None:
    series, _ = prepare_series(_frame("ds,y\n2024-01-03,1\n2024-01-10,2\n2024-01-24,4\n"), "W")

    assert series.index.freqstr == "W-WED"
    assert list(series) == [1.0, 2.0, 3.0, 4.0]


def test_a_polars_frame_with_typed_columns_is_accepted() -> None:
    frame = pl.DataFrame({"DS": [date(2024, 1, 1), date(2024, 2, 1)], "Y": [1.5, 2.5]})

    series, _ = prepare_series(frame, "MS")

    assert list(series) == [1.5, 2.5]


def test_negative_values_are_accepted_when_allowed() -> None:
    series, _ = prepare_series(
        _frame("ds,y\n2024-01-01,-3\n2024-01-02,4\n"), "D", allow_negative=True
    )

    assert series.min() == -3.0


@pytest.mark.parametrize(
    ("text", "freq", "fragment"),
    [
        # y that is not a number: the row and the value are quoted
        ("ds,y\n2024-01-01,1\n2024-01-02,1\n2024-01-03,abc\n", "D", "row 3 has y='abc'"),
        # thousands separators are not numbers either
        ('ds,y\n2024-01-01,"1,234"\n', "D", "row 1 has y='1,234', which is not a number"),
        # infinity is a number but not a usable one
        ("ds,y\n2024-01-01,inf\n", "D", "row 1 has an infinite y"),
        # an unparseable date
        ("ds,y\n2024-01-01,1\n2024-13-01,2\n", "D", "row 2 has ds='2024-13-01'"),
        # a date in a non-ISO spelling
        ("ds,y\n01/02/2024,1\n", "D", "dates must be ISO dates such as 2024-01-31"),
        # a row without a date
        ("ds,y\n2024-01-01,1\n,2\n", "D", "row 2 has no date"),
        # the same date twice: listed with its rows, not summed
        (
            "ds,y\n2024-01-01,1\n2024-01-02,2\n2024-01-02,3\n",
            "D",
            "1 date(s) appear more than once: 2024-01-02 (rows 2, 3)",
        ),
        # a negative value without --allow-negative
        ("ds,y\n2024-01-01,5\n2024-01-02,-2\n", "D", "the first in row 2 (y=-2)"),
        # columns named otherwise
        ("date,value\n2024-01-01,1\n", "D", "needs columns ds and y; found: date, value"),
        # a header and nothing else
        ("ds,y\n", "D", "the input has no rows"),
        # no value at all
        ("ds,y\n2024-01-01,\n2024-01-02,\n", "D", "y has no values"),
        # monthly dates must be the first of the month
        ("ds,y\n2024-01-01,1\n2024-02-15,2\n", "MS", "row 2 has ds=2024-02-15"),
        # weekly dates must keep one weekday
        ("ds,y\n2024-01-01,1\n2024-01-10,2\n", "W", "a Wednesday, but row 1 is a Monday"),
        # a time of day means the data are not aggregated per period
        ("ds,y\n2024-01-01 13:30,1\n", "D", "row 1 has a time of day"),
        # monthly data read as daily: mostly gaps, so the frequency is wrong
        ("ds,y\n2024-01-01,1\n2024-02-01,2\n2024-03-01,3\n", "D", "check that the frequency (D)"),
        # an unknown frequency
        ("ds,y\n2024-01-01,1\n", "Q", "frequency must be one of D (daily), W (weekly), MS"),
    ],
)
def test_input_it_cannot_use_gets_a_one_line_message(text: str, freq: str, fragment: str) -> None:
    with pytest.raises(ForecastInputError) as raised:
        prepare_series(_frame(text), freq)

    message = str(raised.value)
    assert fragment in message
    assert "\n" not in message
