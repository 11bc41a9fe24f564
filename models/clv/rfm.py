"""Per-customer frequency/recency/T/monetary summaries from a transaction log.

Conventions are those of Fader, Hardie & Lee (2005) and the CDNOW summaries that accompany it:

- Purchases are counted by **distinct day**: several transactions by one customer on one day are
  one purchase, and their amounts are summed.
- ``frequency`` is the number of *repeat* purchase days (purchase days after the first).
- ``recency`` is the time from the first purchase to the last one (0 with no repeats).
- ``T`` is the time from the first purchase to the end of the calibration period.
- ``monetary_value`` is the mean spend per repeat purchase day, excluding the first purchase
  (0 with no repeats), as in Fader & Hardie's Gamma-Gamma note.
- Times are in days (``"D"``) or weeks of seven days (``"W"``, fractional); the calibration
  period includes ``calibration_end`` itself.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal, cast, get_args

import polars as pl

from models.clv.errors import ClvInputError

TimeUnit = Literal["D", "W"]
DAYS_PER_UNIT: dict[str, float] = {"D": 1.0, "W": 7.0}

_ISO_DATE_PREFIX = r"^\d{4}-\d{2}-\d{2}(?:[T ].*)?$"


def check_time_unit(time_unit: str) -> TimeUnit:
    """Return ``time_unit`` if it is one of ``"D"``/``"W"``, else raise ClvInputError."""
    if time_unit not in get_args(TimeUnit):
        raise ClvInputError(f"time unit {time_unit!r} is not supported; use D (days) or W (weeks)")
    return time_unit  # type: ignore[return-value]


def check_calibration_end(calibration_end: date | datetime | str) -> date:
    """Accept a date, a datetime (its date) or an ISO ``YYYY-MM-DD`` string."""
    if isinstance(calibration_end, datetime):
        return calibration_end.date()
    if isinstance(calibration_end, date):
        return calibration_end
    if isinstance(calibration_end, str):
        try:
            return date.fromisoformat(calibration_end.strip())
        except ValueError:
            pass
    raise ClvInputError(f"calibration end {calibration_end!r} is not a date; use YYYY-MM-DD")


def clean_transactions(
    transactions: pl.DataFrame,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str = "amount",
) -> pl.DataFrame:
    """Validate a transaction log and return it as ``customer_id, date (Date), amount (Float64)``.

    Dates may be ``Date``, ``Datetime`` (the day is kept) or strings starting ``YYYY-MM-DD``.
    Amounts may be numeric or numeric strings and must be finite and ≥ 0. Row numbers in error
    messages count data rows from 1, not counting a CSV header.
    """
    if not isinstance(transactions, pl.DataFrame):
        raise ClvInputError(
            f"transactions must be a polars DataFrame, got {type(transactions).__name__}"
        )
    wanted = (customer_col, date_col, amount_col)
    missing = [name for name in wanted if name not in transactions.columns]
    if missing:
        raise ClvInputError(
            f"transactions are missing column(s) {', '.join(missing)}; expected columns "
            f"{', '.join(wanted)} (found {', '.join(transactions.columns) or 'none'})"
        )
    if transactions.height == 0:
        raise ClvInputError("no transactions: the input has no rows")
    frame = transactions.select(
        pl.col(customer_col).alias("customer_id"),
        pl.col(date_col).alias("date"),
        pl.col(amount_col).alias("amount"),
    ).with_row_index("row", offset=1)
    _refuse_nulls(frame, "customer_id", customer_col)
    frame = frame.with_columns(date=_parse_dates(frame, date_col))
    frame = frame.with_columns(amount=_parse_amounts(frame, amount_col))
    return frame.drop("row")


def _refuse_nulls(frame: pl.DataFrame, column: str, label: str) -> None:
    nulls = frame.filter(pl.col(column).is_null())
    if nulls.height:
        raise ClvInputError(
            f"{label} is empty on data row {nulls['row'][0]}; fill it in or drop the row"
        )


def _parse_dates(frame: pl.DataFrame, label: str) -> pl.Series:
    raw = frame["date"]
    _refuse_nulls(frame, "date", label)
    if raw.dtype == pl.Date:
        return raw
    if isinstance(raw.dtype, pl.Datetime):
        return raw.dt.date()
    if raw.dtype != pl.String:
        raise ClvInputError(f"{label} must hold dates, got column type {raw.dtype}")
    text = raw.str.strip_chars()
    parsed = (
        pl.when(text.str.contains(_ISO_DATE_PREFIX))
        .then(text.str.slice(0, 10).str.strptime(pl.Date, "%Y-%m-%d", strict=False))
        .otherwise(None)
    )
    result = frame.select(parsed=parsed, row=pl.col("row"), raw=raw)
    bad = result.filter(pl.col("parsed").is_null())
    if bad.height:
        raise ClvInputError(
            f"{label} {bad['raw'][0]!r} on data row {bad['row'][0]} is not a date; use YYYY-MM-DD"
        )
    return result["parsed"]


def _parse_amounts(frame: pl.DataFrame, label: str) -> pl.Series:
    raw = frame["amount"]
    _refuse_nulls(frame, "amount", label)
    if raw.dtype == pl.String:
        values = raw.str.strip_chars().cast(pl.Float64, strict=False)
        bad = frame.filter(values.is_null())
        if bad.height:
            raise ClvInputError(
                f"{label} {bad['amount'][0]!r} on data row {bad['row'][0]} is not a number"
            )
    elif raw.dtype.is_numeric():
        values = raw.cast(pl.Float64)
    else:
        raise ClvInputError(f"{label} must hold numbers, got column type {raw.dtype}")
    checked = frame.select(pl.col("row"), value=values)
    bad = checked.filter(~pl.col("value").is_finite())
    if bad.height:
        raise ClvInputError(f"{label} on data row {bad['row'][0]} is not a finite number")
    bad = checked.filter(pl.col("value") < 0)
    if bad.height:
        raise ClvInputError(
            f"{label} {bad['value'][0]:g} on data row {bad['row'][0]} is negative; net refunds "
            "against the purchase they refund before fitting (spend must be ≥ 0)"
        )
    return checked["value"]


def _purchase_days(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per customer and purchase day, amounts summed."""
    return frame.group_by("customer_id", "date").agg(pl.col("amount").sum())


def rfm_summary(
    transactions: pl.DataFrame,
    calibration_end: date | datetime | str,
    time_unit: TimeUnit = "D",
    *,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str = "amount",
) -> pl.DataFrame:
    """Summarise a transaction log into one row per customer for the calibration period.

    Only transactions on or before ``calibration_end`` count; customers whose first purchase is
    after it are not in the calibration cohort and do not appear. Returns
    ``customer_id, frequency (Int64), recency, T, monetary_value`` (Float64), sorted by
    ``customer_id``, following the conventions in the module docstring.
    """
    unit = check_time_unit(time_unit)
    end = check_calibration_end(calibration_end)
    frame = clean_transactions(transactions, customer_col, date_col, amount_col)
    calibration = frame.filter(pl.col("date") <= end)
    if calibration.height == 0:
        raise ClvInputError(
            f"no transactions on or before the calibration end {end.isoformat()}; the earliest "
            f"is on {frame['date'].min()}; choose a later calibration end"
        )
    days = DAYS_PER_UNIT[unit]
    per_customer = (
        _purchase_days(calibration)
        .sort("customer_id", "date")
        .group_by("customer_id")
        .agg(
            first=pl.col("date").first(),
            last=pl.col("date").last(),
            purchase_days=pl.len(),
            repeat_spend=pl.col("amount").sum() - pl.col("amount").first(),
        )
    )
    frequency = pl.col("purchase_days").cast(pl.Int64) - 1
    return per_customer.select(
        "customer_id",
        frequency.alias("frequency"),
        ((pl.col("last") - pl.col("first")).dt.total_days() / days).alias("recency"),
        ((pl.lit(end) - pl.col("first")).dt.total_days() / days).alias("T"),
        pl.when(frequency > 0)
        .then(pl.col("repeat_spend") / frequency)
        .otherwise(0.0)
        .alias("monetary_value"),
    ).sort("customer_id")


def holdout_summary(
    transactions: pl.DataFrame,
    calibration_end: date | datetime | str,
    holdout_end: date | datetime | str | None = None,
    time_unit: TimeUnit = "D",
    *,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str = "amount",
) -> pl.DataFrame:
    """What the calibration cohort did after ``calibration_end``, up to ``holdout_end`` inclusive.

    One row per customer in :func:`rfm_summary` (same order): ``frequency_holdout`` is the number
    of purchase days in the holdout period (all of them are repeat purchases),
    ``monetary_value_holdout`` the mean spend per holdout purchase day (0 with none), and
    ``duration_holdout`` its length in ``time_unit``. ``holdout_end`` defaults to the last
    transaction date in the log.
    """
    unit = check_time_unit(time_unit)
    end = check_calibration_end(calibration_end)
    frame = clean_transactions(transactions, customer_col, date_col, amount_col)
    last_day = (
        check_calibration_end(holdout_end)
        if holdout_end is not None
        else cast(date, frame["date"].max())
    )
    if last_day <= end:
        raise ClvInputError(
            f"holdout end {last_day.isoformat()} is not after the calibration end "
            f"{end.isoformat()}; the holdout period would be empty"
        )
    cohort = rfm_summary(frame, end, unit).select("customer_id")
    holdout = (
        _purchase_days(frame.filter((pl.col("date") > end) & (pl.col("date") <= last_day)))
        .group_by("customer_id")
        .agg(frequency_holdout=pl.len().cast(pl.Int64), spend=pl.col("amount").sum())
    )
    duration = (last_day - end).days / DAYS_PER_UNIT[unit]
    return cohort.join(holdout, on="customer_id", how="left").select(
        "customer_id",
        pl.col("frequency_holdout").fill_null(0),
        pl.when(pl.col("frequency_holdout") > 0)
        .then(pl.col("spend") / pl.col("frequency_holdout"))
        .otherwise(0.0)
        .alias("monetary_value_holdout"),
        pl.lit(duration, dtype=pl.Float64).alias("duration_holdout"),
    )
