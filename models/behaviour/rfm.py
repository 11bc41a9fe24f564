"""RFM scores, named segments and the channel and device mix of each segment."""

from __future__ import annotations

from datetime import date

import polars as pl

from models.clv.history import visits

SEGMENT_ACTIONS: dict[str, str] = {
    "Champions": "thank them, ask for reviews and referrals",
    "Loyal regulars": "loyalty offer, priority booking",
    "Slipping regulars": "win back now: they used to come back",
    "New customers": "follow up after the first repair",
    "Drifting one-timers": "a reminder with a useful offer",
    "Dormant one-timers": "low-cost reactivation, or let go",
}


def _quintile(column: str, descending: bool) -> pl.Expr:
    """1–5 by rank (ties broken by customer id via the frame's sort), 5 for the best fifth."""
    rank = pl.col(column).rank("ordinal", descending=descending)
    return (((rank - 1) * 5) // pl.len() + 1).cast(pl.Int8)


def rfm_segments(repairs: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """One row per customer with a visit on or before ``as_of``: ``visits``, ``recency_days``,
    ``revenue_eur``, ``first_visit_date``, ``last_visit_date``, ``r``, ``f``, ``m``,
    ``rfm`` (e.g. "531") and ``segment``."""
    chosen = visits(repairs).filter(pl.col("received_date") <= as_of)
    per_customer = (
        chosen.group_by("customer_id")
        .agg(
            pl.len().alias("visits"),
            pl.col("received_date").min().alias("first_visit_date"),
            pl.col("received_date").max().alias("last_visit_date"),
            pl.col("revenue_eur").fill_null(0).sum().alias("revenue_eur"),
        )
        .sort("customer_id")
        .with_columns(
            (pl.lit(as_of) - pl.col("last_visit_date")).dt.total_days().alias("recency_days")
        )
    )
    scored = per_customer.with_columns(
        # a smaller recency is better, so the most recent rank first in descending order
        _quintile("recency_days", descending=True).alias("r"),
        pl.when(pl.col("visits") >= 4)
        .then(5)
        .when(pl.col("visits") == 3)
        .then(4)
        .when(pl.col("visits") == 2)
        .then(3)
        .otherwise(1)
        .cast(pl.Int8)
        .alias("f"),
        _quintile("revenue_eur", descending=False).alias("m"),
    )
    return scored.with_columns(
        (
            pl.col("r").cast(pl.String) + pl.col("f").cast(pl.String) + pl.col("m").cast(pl.String)
        ).alias("rfm"),
        pl.when((pl.col("r") >= 4) & (pl.col("visits") >= 3))
        .then(pl.lit("Champions"))
        .when((pl.col("r") >= 3) & (pl.col("visits") >= 2))
        .then(pl.lit("Loyal regulars"))
        .when(pl.col("visits") >= 2)
        .then(pl.lit("Slipping regulars"))
        .when(pl.col("r") >= 4)
        .then(pl.lit("New customers"))
        .when(pl.col("r") == 3)
        .then(pl.lit("Drifting one-timers"))
        .otherwise(pl.lit("Dormant one-timers"))
        .alias("segment"),
    )


def segment_summary(segments: pl.DataFrame) -> pl.DataFrame:
    """Per segment: customers, share, median recency, mean visits, revenue and the action."""
    total = segments.height
    return (
        segments.group_by("segment")
        .agg(
            pl.len().alias("customers"),
            pl.col("recency_days").median().alias("median_recency_days"),
            pl.col("visits").mean().alias("mean_visits"),
            pl.col("revenue_eur").sum().alias("revenue_eur"),
        )
        .with_columns(
            (pl.col("customers") / total).alias("share"),
            pl.col("segment").replace_strict(SEGMENT_ACTIONS, default=None).alias("action"),
        )
        .sort("revenue_eur", descending=True)
    )


def segment_mix(
    segments: pl.DataFrame, repairs: pl.DataFrame, column: str = "acquisition_channel"
) -> pl.DataFrame:
    """Share of each value of ``column`` within each segment (``segment, value, customers, share``).

    ``acquisition_channel`` is per customer; per-repair columns such as ``device_category`` or
    ``booking_channel`` count the customer's visits (walk-ins as ``walk_in``).
    """
    chosen = visits(repairs).join(segments.select("customer_id", "segment"), on="customer_id")
    if column == "acquisition_channel":
        chosen = chosen.unique("customer_id")
    values = chosen.with_columns(pl.col(column).fill_null("walk_in").alias("value"))
    return (
        values.group_by("segment", "value")
        .agg(pl.len().alias("count"))
        .with_columns((pl.col("count") / pl.col("count").sum().over("segment")).alias("share"))
        .sort(["segment", "share"], descending=[False, True])
    )
