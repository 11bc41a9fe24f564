"""RFM segments, cohort retention and repeat patterns, checked by hand on tiny histories."""

from __future__ import annotations

from datetime import date

import polars as pl

from models.behaviour import cohort_retention, repeat_patterns, rfm_segments, segment_mix


def _visits(rows: list[tuple]) -> pl.DataFrame:
    """(customer, day, revenue, repair type[, is_rework]) → the columns the functions read."""
    return pl.DataFrame(
        [(*row, False)[:5] for row in rows],
        schema={
            "customer_id": pl.Int64,
            "received_date": pl.Date,
            "revenue_eur": pl.Float64,
            "repair_type": pl.String,
            "is_rework": pl.Boolean,
        },
        orient="row",
    ).with_columns(
        pl.col("received_date").cast(pl.Datetime).alias("received_at"),
        pl.lit(False).alias("is_cancelled"),
        pl.lit("web").alias("acquisition_channel"),
        pl.lit("phone").alias("device_category"),
    )


AS_OF = date(2025, 6, 30)
HISTORY = _visits(
    [
        (1, date(2025, 6, 20), 100.0, "screen"),  # recent, 3 visits
        (1, date(2025, 3, 1), 100.0, "battery"),
        (1, date(2024, 9, 1), 100.0, "screen"),
        (2, date(2025, 6, 1), 50.0, "screen"),  # recent, once
        (3, date(2025, 2, 1), 80.0, "battery"),  # mid, once
        (4, date(2024, 8, 1), 200.0, "screen"),  # long ago, twice
        (4, date(2024, 3, 1), 200.0, "battery"),
        (5, date(2023, 12, 1), 20.0, "screen"),  # long ago, once
        (5, date(2024, 1, 1), 0.0, "screen", True),  # a rework is not a visit
    ]
)


def test_rfm_scores_and_segment_names_follow_the_rules_by_hand():
    rfm = rfm_segments(HISTORY, AS_OF).sort("customer_id")
    # five customers: each quintile holds exactly one
    assert rfm["visits"].to_list() == [3, 1, 1, 2, 1]
    assert rfm["recency_days"].to_list() == [10, 29, 149, 333, 577]
    assert rfm["r"].to_list() == [5, 4, 3, 2, 1]
    assert rfm["f"].to_list() == [4, 1, 1, 3, 1]
    assert rfm["m"].to_list() == [4, 2, 3, 5, 1]  # revenue 300, 50, 80, 400, 20
    assert rfm["segment"].to_list() == [
        "Champions",
        "New customers",
        "Drifting one-timers",
        "Slipping regulars",
        "Dormant one-timers",
    ]


def test_segment_mix_shares_add_up_to_one_per_segment():
    mix = segment_mix(rfm_segments(HISTORY, AS_OF), HISTORY, "device_category")
    totals = mix.group_by("segment").agg(pl.col("share").sum())
    assert totals["share"].to_list() == [1.0] * totals.height


def test_cohort_retention_counts_returns_by_month_after_the_first_visit():
    history = _visits(
        [
            (1, date(2025, 1, 10), 10.0, "screen"),
            (1, date(2025, 3, 5), 10.0, "battery"),  # back two months later
            (2, date(2025, 1, 20), 10.0, "screen"),  # never back
            (3, date(2025, 2, 1), 10.0, "screen"),
            (3, date(2025, 2, 20), 10.0, "screen"),  # back within the first month
        ]
    )
    retention = cohort_retention(history, date(2025, 5, 15))
    january = retention.filter(pl.col("cohort_month") == date(2025, 1, 1))
    # January has three full months after it by 15 May (Feb, Mar, Apr)
    assert january["months"].to_list() == [1, 2, 3]
    assert january["returned"].to_list() == [0, 1, 1]
    assert january["retention"].to_list() == [0.0, 0.5, 0.5]
    february = retention.filter(pl.col("cohort_month") == date(2025, 2, 1))
    assert february["months"].to_list() == [1, 2]
    assert february["retention"].to_list() == [1.0, 1.0]


def test_repeat_patterns_pair_each_customers_first_and_next_repair():
    patterns = repeat_patterns(HISTORY).sort("first_repair")
    assert patterns.select("first_repair", "next_repair", "customers").rows() == [
        ("battery", "screen", 1),
        ("screen", "battery", 1),
    ]


def test_rfm_leaves_out_visits_after_the_as_of_day():
    later = pl.concat([HISTORY, _visits([(6, date(2025, 7, 5), 10.0, "screen")])])
    assert 6 not in rfm_segments(later, AS_OF)["customer_id"].to_list()
