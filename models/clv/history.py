"""Customer repair histories read from the warehouse, shared by the customer models.

One row per repair, keyed by the person (``dim_customer.canonical_customer_id``, so duplicate
registrations count once) with what the customer experienced: turnaround, waiting for parts, final
price against the quote, rework, the technician's skill, and the feedback they gave (with the time
it was given, so a model scored at a cutoff only sees answers given before it).
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import polars as pl

from core.settings import Settings
from models.errors import ModelInputError
from warehouse.reader import connect_read_only

# A device whose purchase date is unknown is taken to have been bought this long after launch
# (the typical lag between release and purchase).
UNKNOWN_PURCHASE_LAG_DAYS = 180
MAX_FIT_CUSTOMERS = 60_000

REPAIRS_SQL = """
SELECT c.canonical_customer_id AS customer_id, r.repair_id, r.store_id, r.technician_id,
       t.skill_level, r.repair_status, r.received_at, r.received_date, r.ready_at,
       r.collected_date, r.is_completed, r.is_cancelled, r.is_rework, r.is_warranty,
       r.has_rework, r.repair_type, r.fault_code, r.reported_symptoms, r.device_category,
       r.device_brand, r.device_class, r.device_model_id, r.customer_device_id,
       d.model AS device_model,
       date_diff('day', coalesce(cd.purchased_date, d.release_date + INTERVAL {lag} DAY),
                 r.received_date) / 365.25 AS device_age_years,
       CAST(r.quoted_price_eur AS DOUBLE) AS quoted_price_eur,
       CAST(r.price_eur AS DOUBLE) AS price_eur,
       CAST(r.discount_eur AS DOUBLE) AS discount_eur,
       CAST(r.revenue_eur AS DOUBLE) AS revenue_eur,
       CAST(r.gross_margin_eur AS DOUBLE) AS gross_margin_eur,
       r.received_to_ready_hours, r.awaiting_parts_hours, r.total_turnaround_hours,
       f.csat, f.nps, f.nps_group, f.comment, f.submitted_at AS feedback_at,
       b.booking_channel, home.acquisition_channel, home.registered_date
FROM fct_repairs r
JOIN dim_customer c ON c.customer_id = r.customer_id
JOIN dim_customer home ON home.customer_id = c.canonical_customer_id
LEFT JOIN dim_technician t ON t.technician_id = r.technician_id
LEFT JOIN dim_device_model d ON d.device_model_id = r.device_model_id
LEFT JOIN stg_customer_devices cd ON cd.customer_device_id = r.customer_device_id
LEFT JOIN fct_feedback f ON f.repair_id = r.repair_id
LEFT JOIN fct_bookings b ON b.booking_id = r.booking_id
{where}
ORDER BY r.received_at, r.repair_id
"""


class NoHistoryError(ModelInputError):
    """The warehouse holds too little customer history; ``str(error)`` says what to do."""


class NotEnoughHistoryError(NoHistoryError):
    """The history is too short for a customer model to mean anything (the demo skips it)."""


def customer_repairs(
    connection: duckdb.DuckDBPyConnection, window: tuple[date, date] | None = None
) -> pl.DataFrame:
    """Every repair (open, cancelled and reworks included) with its customer's experience."""
    where = "" if window is None else "WHERE r.received_date BETWEEN ? AND ?"
    sql = REPAIRS_SQL.format(lag=UNKNOWN_PURCHASE_LAG_DAYS, where=where)
    frame = connection.sql(sql, params=None if window is None else list(window)).pl()
    return frame.with_columns(
        pl.col("received_date").cast(pl.Date),
        (pl.col("price_eur") / pl.col("quoted_price_eur") - 1)
        .fill_nan(None)
        .clip(-1, 5)
        .alias("price_over_quote"),
        (pl.col("awaiting_parts_hours").fill_null(0) > 0).alias("waited_for_parts"),
        (pl.col("received_to_ready_hours") / 24).alias("turnaround_days"),
    )


def read_customer_repairs(
    settings: Settings, window: tuple[date, date] | None = None
) -> pl.DataFrame:
    """:func:`customer_repairs` on a fresh read-only connection to the published warehouse."""
    connection = connect_read_only(settings)
    try:
        return customer_repairs(connection, window)
    finally:
        connection.close()


def visits(repairs: pl.DataFrame) -> pl.DataFrame:
    """The repairs a customer chose to make: not warranty reworks, not cancelled at the desk.

    Reworks are the shop's obligation rather than the customer's decision to come back, so they
    are left out of frequency, recency and value.
    """
    return repairs.filter(~pl.col("is_rework") & ~pl.col("is_cancelled"))


def transactions(repairs: pl.DataFrame) -> pl.DataFrame:
    """``customer_id, date, amount`` of customer visits, the input of :mod:`models.clv`."""
    return visits(repairs).select(
        "customer_id",
        pl.col("received_date").alias("date"),
        pl.col("revenue_eur").fill_null(0).clip(0).alias("amount"),
    )


def last_day(repairs: pl.DataFrame) -> date:
    """The last day of recorded history (the latest intake)."""
    if repairs.is_empty():
        raise NoHistoryError("the warehouse has no repairs: generate or load history, then ETL")
    return repairs["received_date"].max()  # type: ignore[return-value]


def weeks_between(start: date, end: date) -> float:
    return (end - start) / timedelta(weeks=1)


def fit_sample(summary: pl.DataFrame) -> pl.DataFrame:
    """At most ``MAX_FIT_CUSTOMERS`` customers (a fixed random sample) to fit the population
    parameters on. Four parameters are pinned down long before that; on a million-repair history
    a fit on every customer spent minutes polishing along a flat ridge of the likelihood."""
    if summary.height <= MAX_FIT_CUSTOMERS:
        return summary
    return summary.sample(n=MAX_FIT_CUSTOMERS, seed=0)
