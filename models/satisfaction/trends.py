"""CSAT and NPS over time by store, technician or repair type, and the detractors to call back."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

import polars as pl

Dimension = Literal["store_id", "technician_id", "repair_type"]
DIMENSIONS: tuple[Dimension, ...] = ("store_id", "technician_id", "repair_type")
DETRACTOR_NPS = 6  # NPS 0–6 is a detractor by the standard definition
LOW_CSAT = 3


def satisfaction_trend(
    repairs: pl.DataFrame, by: Dimension | None = None, every: str = "1mo"
) -> pl.DataFrame:
    """One row per period (and ``by`` value): ``answers``, mean ``csat``, ``nps`` (share of
    promoters minus share of detractors, ×100, over answers with an NPS) and ``low_csat_share``.

    Periods are those of the feedback date (``feedback_at``), truncated with polars ``every``.
    """
    if by is not None and by not in DIMENSIONS:
        raise ValueError(f"satisfaction can be split by {', '.join(DIMENSIONS)}, not {by!r}")
    answered = repairs.filter(pl.col("csat").is_not_null())
    keys = ["period"] if by is None else ["period", by]
    return (
        answered.with_columns(pl.col("feedback_at").dt.truncate(every).dt.date().alias("period"))
        .group_by(keys)
        .agg(
            pl.len().alias("answers"),
            pl.col("csat").cast(pl.Float64).mean().alias("csat"),
            (
                100
                * (
                    (pl.col("nps") >= 9).sum().cast(pl.Float64)
                    - (pl.col("nps") <= DETRACTOR_NPS).sum()
                )
                / pl.col("nps").is_not_null().sum()
            ).alias("nps"),
            (pl.col("csat") <= LOW_CSAT).mean().alias("low_csat_share"),
        )
        .sort(keys)
    )


def detractors(repairs: pl.DataFrame, as_of: date, days: int = 30) -> pl.DataFrame:
    """Customers who answered as detractors (NPS 0–6, or CSAT ≤ 2 without an NPS) in the last
    ``days`` days before ``as_of`` and have not been back since: the call-back list, worst first.
    """
    since = as_of - timedelta(days=days)
    answered = repairs.filter(
        pl.col("feedback_at").is_not_null()
        & (pl.col("feedback_at").dt.date() > since)
        & (pl.col("feedback_at").dt.date() <= as_of)
        & (
            (pl.col("nps") <= DETRACTOR_NPS)
            | (pl.col("nps").is_null() & (pl.col("csat") <= LOW_CSAT - 1))
        )
    )
    later = repairs.group_by("customer_id").agg(pl.col("received_at").max().alias("last_visit_at"))
    return (
        answered.join(later, on="customer_id", how="left")
        .filter(pl.col("last_visit_at") <= pl.col("received_at"))
        .select(
            "customer_id",
            "repair_id",
            pl.col("feedback_at").dt.date().alias("answered_date"),
            "csat",
            "nps",
            "comment",
            "store_id",
            "technician_id",
            "repair_type",
            pl.col("turnaround_days").round(1),
            pl.col("price_over_quote").round(3),
            "is_rework",
            "waited_for_parts",
        )
        .sort(["nps", "csat", "answered_date"], nulls_last=True)
    )
