"""Cohort retention by acquisition month and channel, and first → next repair patterns."""

from __future__ import annotations

from datetime import date

import polars as pl

from models.clv.history import visits


def _months_between(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    return (end.dt.year() - start.dt.year()) * 12 + end.dt.month() - start.dt.month()


def cohort_retention(
    repairs: pl.DataFrame, as_of: date, by: str | None = None, max_months: int = 24
) -> pl.DataFrame:
    """Cumulative share of each cohort that has come back by month ``k`` after its first visit.

    A cohort is the month of a customer's first visit (and the ``by`` value, e.g.
    ``acquisition_channel``). ``returned`` counts customers with a second visit at most ``k``
    calendar months after the first month; only months fully observed by ``as_of`` are given.
    Columns: ``cohort_month`` [, ``by``], ``months``, ``customers``, ``returned``, ``retention``.
    """
    chosen = visits(repairs).filter(pl.col("received_date") <= as_of)
    keys = ["customer_id"] if by is None else ["customer_id", by]
    people = (
        chosen.sort("received_date")
        .group_by(keys, maintain_order=True)
        .agg(
            pl.col("received_date").first().alias("first"),
            pl.col("received_date").slice(1, 1).first().alias("second"),
        )
        .unique("customer_id", keep="first")
        .with_columns(
            pl.col("first").dt.truncate("1mo").alias("cohort_month"),
            _months_between(pl.col("first"), pl.col("second")).alias("return_month"),
        )
    )
    last_full = _months_between(pl.col("cohort_month"), pl.lit(as_of)) - 1
    group = ["cohort_month"] if by is None else ["cohort_month", by]
    grid = people.with_columns(
        pl.int_ranges(1, pl.min_horizontal(last_full, max_months) + 1).alias("months")
    ).explode("months")
    return (
        grid.filter(pl.col("months").is_not_null())
        .group_by([*group, "months"])
        .agg(
            pl.len().alias("customers"),
            (pl.col("return_month") <= pl.col("months")).fill_null(False).sum().alias("returned"),
        )
        .with_columns((pl.col("returned") / pl.col("customers")).alias("retention"))
        .sort([*group, "months"])
    )


def repeat_patterns(repairs: pl.DataFrame, top: int = 20) -> pl.DataFrame:
    """Which first repair leads to which next one: ``first_repair, next_repair, customers`` and
    ``share`` of the customers whose first repair was ``first_repair`` and who came back."""
    chosen = visits(repairs).filter(pl.col("repair_type").is_not_null()).sort("received_at")
    pairs = chosen.group_by("customer_id", maintain_order=True).agg(
        pl.col("repair_type").first().alias("first_repair"),
        pl.col("repair_type").slice(1, 1).first().alias("next_repair"),
    )
    returned = pairs.filter(pl.col("next_repair").is_not_null())
    return (
        returned.group_by("first_repair", "next_repair")
        .agg(pl.len().alias("customers"))
        .with_columns(
            (pl.col("customers") / pl.col("customers").sum().over("first_repair")).alias("share")
        )
        .sort(["customers", "first_repair"], descending=[True, False])
        .head(top)
    )
