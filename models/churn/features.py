"""Churn labels and features at a cutoff day, from the per-repair customer history.

**Churn** for a repair shop: a customer churns at a cutoff when they make no visit (reworks and
desk cancellations aside) within their own *return window* after it. The window depends on how
often the customer is expected to come back: twice their expected gap between visits under the
BG/NBD model fitted on the history before the cutoff, ``2 × (α + T) / (r + x)`` weeks (the inverse
of their posterior mean visit rate), kept between half the label horizon and the horizon. A
frequent customer who has not been back for twice their usual gap has churned; a once-every-two-
years customer is given until the horizon.

Features use only what was known before the cutoff: visits received before it, turnaround of
repairs ready before it, feedback given before it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import numpy as np
import polars as pl

from models.clv.bgnbd import BgNbdParams, fit_bgnbd, p_alive
from models.clv.history import fit_sample, transactions, visits
from models.clv.rfm import rfm_summary

GAP_MULTIPLE = 2.0

FEATURES: dict[str, str] = {
    "visits": "visits so far",
    "days_since_last": "days since the last visit",
    "tenure_days": "days since the first visit",
    "revenue_eur": "revenue so far (€)",
    "mean_revenue_eur": "revenue per visit (€)",
    "reworks": "warranty reworks needed",
    "cancellations": "quotes declined",
    "last_csat": "CSAT at the last answer",
    "min_csat": "lowest CSAT given",
    "last_nps": "NPS at the last answer",
    "answers": "feedback answers given",
    "last_turnaround_days": "turnaround of the last repair (days)",
    "last_waited_for_parts": "last repair waited for a part",
    "last_price_over_quote": "last final price over quote",
    "max_price_over_quote": "largest price rise over quote",
    "last_junior_technician": "last repair by a junior technician",
    "last_expert_technician": "last repair by an expert technician",
    "last_device_age_years": "age of the last device (years)",
    "discount_eur": "discounts received (€)",
    "stores": "stores visited",
    "booked_share": "share of visits booked ahead",
}
# From the BG/NBD fitted at the cutoff: the model starts from what the baseline knows.
BGNBD_FEATURES: dict[str, str] = {
    "p_alive": "BG/NBD P(alive)",
    "p_no_return": "BG/NBD chance of no return in the window",
    "window_weeks": "return window (weeks)",
    "overdue": "days since the last visit ÷ return window",
}
MODEL_FEATURES: dict[str, str] = {**FEATURES, **BGNBD_FEATURES}


def cutoff_time(day: date) -> datetime:
    """The first moment after ``day``: everything on ``day`` is known at the cutoff."""
    return datetime.combine(day + timedelta(days=1), time())


def customer_features(repairs: pl.DataFrame, cutoff: date) -> pl.DataFrame:
    """One row per customer with a visit on or before ``cutoff``: ``customer_id`` and FEATURES."""
    known = cutoff_time(cutoff)
    before = repairs.filter(pl.col("received_at") < known)
    chosen = visits(before).sort("received_at")
    answered = before.filter(pl.col("feedback_at") < known).sort("feedback_at")
    ready = before.filter(pl.col("ready_at") < known).sort("received_at")
    base = chosen.group_by("customer_id").agg(
        pl.len().alias("visits"),
        (pl.lit(cutoff) - pl.col("received_date").max()).dt.total_days().alias("days_since_last"),
        (pl.lit(cutoff) - pl.col("received_date").min()).dt.total_days().alias("tenure_days"),
        pl.col("revenue_eur").fill_null(0).sum().alias("revenue_eur"),
        pl.col("discount_eur").fill_null(0).sum().alias("discount_eur"),
        pl.col("store_id").n_unique().alias("stores"),
        pl.col("booking_channel").is_not_null().mean().alias("booked_share"),
        pl.col("device_age_years").last().alias("last_device_age_years"),
    )
    others = before.group_by("customer_id").agg(
        pl.col("is_rework").sum().alias("reworks"),
        pl.col("is_cancelled").sum().alias("cancellations"),
    )
    feedback = answered.group_by("customer_id").agg(
        pl.col("csat").last().cast(pl.Float64).alias("last_csat"),
        pl.col("csat").min().cast(pl.Float64).alias("min_csat"),
        pl.col("nps").drop_nulls().last().cast(pl.Float64).alias("last_nps"),
        pl.len().alias("answers"),
    )
    experience = ready.group_by("customer_id").agg(
        pl.col("turnaround_days").last().alias("last_turnaround_days"),
        pl.col("waited_for_parts").last().cast(pl.Float64).alias("last_waited_for_parts"),
        pl.col("price_over_quote").last().alias("last_price_over_quote"),
        pl.col("price_over_quote").max().alias("max_price_over_quote"),
        (pl.col("skill_level").last() == "junior").cast(pl.Float64).alias("last_junior_technician"),
        (pl.col("skill_level").last() == "expert").cast(pl.Float64).alias("last_expert_technician"),
    )
    frame = (
        base.join(others, on="customer_id", how="left")
        .join(feedback, on="customer_id", how="left")
        .join(experience, on="customer_id", how="left")
        .with_columns(
            (pl.col("revenue_eur") / pl.col("visits")).alias("mean_revenue_eur"),
            pl.col("answers").fill_null(0),
        )
    )
    return frame.select("customer_id", *[pl.col(name).cast(pl.Float64) for name in FEATURES]).sort(
        "customer_id"
    )


def bgnbd_at(repairs: pl.DataFrame, cutoff: date) -> tuple[BgNbdParams, pl.DataFrame]:
    """BG/NBD fitted on visits up to ``cutoff`` (weeks) and each customer's summary with
    ``p_alive``."""
    summary = rfm_summary(transactions(repairs), cutoff, "W")
    fitted = fit_sample(summary)
    params = fit_bgnbd(*(fitted[c].to_numpy().astype(float) for c in ("frequency", "recency", "T")))
    x, t_x, t_cal = (summary[c].to_numpy().astype(float) for c in ("frequency", "recency", "T"))
    return params, summary.with_columns(pl.Series("p_alive", p_alive(params, x, t_x, t_cal)))


def return_windows(
    params: BgNbdParams, summary: pl.DataFrame, horizon_weeks: float
) -> pl.DataFrame:
    """Per customer: ``window_weeks`` (their return window) and ``p_no_return``, the BG/NBD
    probability of no visit within it: dead, or alive with no purchase at the posterior rate."""
    x = summary["frequency"].to_numpy().astype(float)
    t_cal = summary["T"].to_numpy().astype(float)
    gap = (params.alpha + t_cal) / (params.r + x)
    window = np.clip(GAP_MULTIPLE * gap, horizon_weeks / 2, horizon_weeks)
    alive = summary["p_alive"].to_numpy()
    no_purchase_if_alive = ((params.alpha + t_cal) / (params.alpha + t_cal + window)) ** (
        params.r + x
    )
    return summary.select("customer_id", "p_alive").with_columns(
        pl.Series("window_weeks", window),
        pl.Series("p_no_return", 1 - alive * (1 - no_purchase_if_alive)),
    )


def with_bgnbd(features: pl.DataFrame, windows: pl.DataFrame) -> pl.DataFrame:
    """Customer features joined with their BG/NBD columns (``BGNBD_FEATURES``)."""
    return features.join(windows, on="customer_id").with_columns(
        (pl.col("days_since_last") / (7 * pl.col("window_weeks"))).alias("overdue")
    )


def churn_labels(repairs: pl.DataFrame, cutoff: date, windows: pl.DataFrame) -> pl.DataFrame:
    """``customer_id, churned``: no visit within the customer's window after ``cutoff``."""
    after = visits(repairs).filter(pl.col("received_at") >= cutoff_time(cutoff))
    first_after = after.group_by("customer_id").agg(pl.col("received_date").min().alias("next"))
    return (
        windows.join(first_after, on="customer_id", how="left")
        .with_columns(
            (
                pl.col("next").is_null()
                | ((pl.col("next") - pl.lit(cutoff)).dt.total_days() > pl.col("window_weeks") * 7)
            ).alias("churned")
        )
        .select("customer_id", "churned")
    )
