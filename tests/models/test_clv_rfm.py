"""rfm_summary and holdout_summary follow the published BG/NBD summary conventions."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest

from models.clv import ClvInputError, holdout_summary, rfm_summary

CAL_END = date(2024, 3, 31)


def _tx(*rows: tuple[str, str, float]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "date": [r[1] for r in rows],
            "amount": [r[2] for r in rows],
        }
    )


def _row(summary: pl.DataFrame, customer: str) -> dict[str, object]:
    return summary.filter(pl.col("customer_id") == customer).row(0, named=True)


def test_one_purchase_customer_has_zero_frequency_recency_and_spend() -> None:
    summary = rfm_summary(_tx(("A", "2024-03-01", 50.0)), CAL_END, "D")
    assert summary.row(0, named=True) == {
        "customer_id": "A",
        "frequency": 0,
        "recency": 0.0,
        "T": 30.0,
        "monetary_value": 0.0,
    }


def test_frequency_counts_repeat_purchase_days_and_spend_excludes_the_first() -> None:
    summary = rfm_summary(
        _tx(("A", "2024-01-01", 100.0), ("A", "2024-01-11", 20.0), ("A", "2024-01-31", 40.0)),
        CAL_END,
        "D",
    )
    assert _row(summary, "A") == {
        "customer_id": "A",
        "frequency": 2,
        "recency": 30.0,
        "T": 90.0,
        "monetary_value": 30.0,
    }


def test_transactions_on_the_same_day_are_one_purchase_with_summed_amount() -> None:
    summary = rfm_summary(
        _tx(
            ("A", "2024-01-01", 10.0),
            ("A", "2024-01-01", 5.0),  # same day as the first: still the first purchase
            ("A", "2024-02-01", 7.0),
            ("A", "2024-02-01", 3.0),  # same day: one repeat purchase worth 10
        ),
        CAL_END,
        "D",
    )
    row = _row(summary, "A")
    assert (row["frequency"], row["monetary_value"]) == (1, 10.0)


def test_weeks_are_days_divided_by_seven() -> None:
    summary = rfm_summary(_tx(("A", "2024-01-01", 1.0), ("A", "2024-01-15", 1.0)), CAL_END, "W")
    row = _row(summary, "A")
    assert row["recency"] == pytest.approx(2.0)
    assert row["T"] == pytest.approx(90 / 7)


def test_only_transactions_up_to_and_including_calibration_end_count() -> None:
    summary = rfm_summary(
        _tx(
            ("A", "2024-03-01", 1.0),
            ("A", "2024-03-31", 2.0),  # on the calibration end: counted
            ("A", "2024-04-01", 4.0),  # the day after: holdout
            ("B", "2024-04-02", 8.0),  # first purchase after the end: not in the cohort
        ),
        CAL_END,
        "D",
    )
    assert summary["customer_id"].to_list() == ["A"]
    row = _row(summary, "A")
    assert (row["frequency"], row["recency"], row["T"], row["monetary_value"]) == (1, 30, 30, 2)


def test_output_columns_types_and_order() -> None:
    summary = rfm_summary(_tx(("B", "2024-01-01", 1.0), ("A", "2024-01-02", 2)), CAL_END)
    assert summary.columns == ["customer_id", "frequency", "recency", "T", "monetary_value"]
    assert summary.schema["frequency"] == pl.Int64
    assert summary["customer_id"].to_list() == ["A", "B"]


@pytest.mark.parametrize(
    "dates",
    [
        # ISO date strings, as read from a CSV
        ["2024-01-01", "2024-01-08"],
        # ISO timestamps: the day is what counts
        ["2024-01-01T09:30:00", "2024-01-08 17:00:00"],
        # native dates and datetimes
        [date(2024, 1, 1), date(2024, 1, 8)],
        [datetime(2024, 1, 1, 9), datetime(2024, 1, 8, 23, 59)],
    ],
)
def test_dates_may_be_iso_strings_dates_or_datetimes(dates: list[object]) -> None:
    frame = pl.DataFrame({"customer_id": ["A", "A"], "date": dates, "amount": [1.0, 2.0]})
    row = rfm_summary(frame, CAL_END, "W").row(0, named=True)
    assert (row["frequency"], row["recency"]) == (1, 1.0)


def test_amounts_may_be_numeric_strings() -> None:
    frame = _tx(("A", "2024-01-01", 1.0), ("A", "2024-01-02", 2.5)).with_columns(
        pl.col("amount").cast(pl.String)
    )
    assert rfm_summary(frame, CAL_END)["monetary_value"].to_list() == [2.5]


def test_custom_column_names_are_renamed_to_customer_id() -> None:
    frame = pl.DataFrame({"cust": ["A"], "day": ["2024-03-01"], "eur": [9.0]})
    summary = rfm_summary(frame, CAL_END, customer_col="cust", date_col="day", amount_col="eur")
    assert summary["customer_id"].to_list() == ["A"]


def test_holdout_counts_purchase_days_after_calibration_end_for_the_cohort() -> None:
    transactions = _tx(
        ("A", "2024-03-01", 1.0),
        ("A", "2024-04-02", 4.0),
        ("A", "2024-04-02", 6.0),  # same day: one holdout purchase worth 10
        ("A", "2024-04-20", 20.0),
        ("A", "2024-05-15", 99.0),  # after the holdout end
        ("B", "2024-03-10", 1.0),  # no holdout purchases
        ("C", "2024-04-05", 5.0),  # not in the calibration cohort
    )
    holdout = holdout_summary(transactions, CAL_END, date(2024, 4, 30), "D")
    assert holdout.to_dicts() == [
        {
            "customer_id": "A",
            "frequency_holdout": 2,
            "monetary_value_holdout": 15.0,
            "duration_holdout": 30.0,
        },
        {
            "customer_id": "B",
            "frequency_holdout": 0,
            "monetary_value_holdout": 0.0,
            "duration_holdout": 30.0,
        },
    ]


def test_holdout_end_defaults_to_the_last_transaction() -> None:
    transactions = _tx(("A", "2024-03-01", 1.0), ("A", "2024-04-14", 1.0))
    assert holdout_summary(transactions, CAL_END, time_unit="W")["duration_holdout"][0] == 2.0


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        # a column is missing
        (pl.DataFrame({"customer_id": ["A"], "date": ["2024-01-01"]}), "missing column(s) amount"),
        # no rows at all
        (_tx(("A", "2024-01-01", 1.0)).clear(), "no transactions"),
        # a date that is not a date
        (_tx(("A", "2024-01-01", 1.0), ("A", "01/02/2024", 1.0)), "'01/02/2024' on data row 2"),
        # an impossible calendar date
        (_tx(("A", "2024-02-30", 1.0)), "'2024-02-30' on data row 1 is not a date"),
        # an amount that is not a number
        (
            _tx(("A", "2024-01-01", 1.0)).with_columns(amount=pl.lit("12,50")),
            "'12,50' on data row 1 is not a number",
        ),
        # a negative amount (a refund)
        (_tx(("A", "2024-01-01", 1.0), ("A", "2024-01-02", -5.0)), "-5 on data row 2 is negative"),
        # an infinite amount
        (_tx(("A", "2024-01-01", float("inf"))), "not a finite number"),
        # a transaction without a customer
        (
            pl.DataFrame({"customer_id": [None], "date": ["2024-01-01"], "amount": [1.0]}),
            "customer_id is empty on data row 1",
        ),
        # every transaction is after the calibration end
        (_tx(("A", "2024-05-01", 1.0)), "no transactions on or before the calibration end"),
    ],
)
def test_unusable_transactions_raise_a_one_line_input_error(
    frame: pl.DataFrame, message: str
) -> None:
    with pytest.raises(ClvInputError) as caught:
        rfm_summary(frame, CAL_END)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_unknown_time_unit_is_an_input_error() -> None:
    with pytest.raises(ClvInputError, match=r"use D \(days\) or W \(weeks\)"):
        rfm_summary(_tx(("A", "2024-01-01", 1.0)), CAL_END, "M")  # type: ignore[arg-type]


def test_unparseable_calibration_end_is_an_input_error() -> None:
    with pytest.raises(ClvInputError, match="is not a date; use YYYY-MM-DD"):
        rfm_summary(_tx(("A", "2024-01-01", 1.0)), "31/03/2024")


def test_holdout_end_before_calibration_end_is_an_input_error() -> None:
    with pytest.raises(ClvInputError, match="holdout period would be empty"):
        holdout_summary(_tx(("A", "2024-01-01", 1.0)), CAL_END, date(2024, 3, 1))
