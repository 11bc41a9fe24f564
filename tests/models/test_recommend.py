"""Next-best service: ranked items with expected value, and the offline hit-rate evaluation."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from core.settings import Settings
from models.clv.history import last_day, read_customer_repairs
from models.recommend import evaluate_next_repair, fit_next_repair, recommend
from models.recommend.model import profiles_at, repair_probabilities


def _history(rows: list[tuple]) -> pl.DataFrame:
    """(customer, day, repair type, device category, device age in years) per visit."""
    return pl.DataFrame(
        rows,
        schema={
            "customer_id": pl.Int64,
            "received_date": pl.Date,
            "repair_type": pl.String,
            "device_category": pl.String,
            "device_age_years": pl.Float64,
        },
        orient="row",
    ).with_columns(
        pl.col("received_date").cast(pl.Datetime).alias("received_at"),
        pl.col("received_date").alias("collected_date"),
        pl.lit(False).alias("is_rework"),
        pl.lit(False).alias("is_cancelled"),
        pl.lit(100.0).alias("revenue_eur"),
        pl.lit("screen broken").alias("reported_symptoms"),
        pl.lit("Brand").alias("device_brand"),
        pl.lit("Model").alias("device_model"),
    )


def test_the_model_finds_the_next_repair_that_popularity_misses():
    # Screens are the most common repair, but an old phone's owner comes back for a battery.
    rows = []
    for c in range(300):
        day = date(2024, 1, 1) + timedelta(days=c % 60)
        rows += [(c, day, "screen_replacement", "phone", 0.5)] * 3  # young phones: screens
        rows += [
            (c + 1000, day, "screen_replacement", "phone", 4.5),
            (c + 1000, day + timedelta(days=90), "battery_replacement", "phone", 4.7),
        ]
    for c in range(100):  # seen before the cutoff, back after it
        rows += [
            (c + 5000, date(2024, 11, 15), "screen_replacement", "phone", 4.5),
            (c + 5000, date(2025, 2, 15), "battery_replacement", "phone", 4.8),
        ]
    result = evaluate_next_repair(_history(rows), date(2024, 12, 31), horizon_days=365)
    assert result["customers"] == 100
    assert result["hit_at_1"] == 1.0
    assert result["popularity_hit_at_1"] == 0.0


def test_battery_replacement_climbs_the_ranking_as_a_phone_ages(built_data_dir):
    repairs = read_customer_repairs(Settings(data_dir=built_data_dir))
    model = fit_next_repair(repairs)
    profiles = pl.DataFrame(
        {
            "customer_id": [1, 2],
            "category": ["phone", "phone"],
            "age_bin": ["<1", "4+"],
            "last_type": ["screen_replacement", "screen_replacement"],
        }
    )
    battery = (
        repair_probabilities(model, profiles)
        .filter(pl.col("repair_type") == "battery_replacement")
        .sort("customer_id")["p"]
        .to_list()
    )
    assert battery[1] > 1.25 * battery[0]


def test_hit_rate_on_the_generated_history_is_reported_beside_popularity(built_data_dir):
    repairs = read_customer_repairs(Settings(data_dir=built_data_dir))
    end = last_day(repairs)
    result = evaluate_next_repair(repairs, end - timedelta(days=120), horizon_days=120)
    assert result["customers"] > 100
    assert 0 < result["hit_at_1"] <= result["hit_at_3"] <= 1
    # the generator plants little beyond battery age in the next repair: at least match popularity
    assert result["hit_at_3"] >= result["popularity_hit_at_3"] - 0.03


def test_rule_offers_follow_a_screen_repair_an_old_device_and_a_warranty_about_to_end():
    history = _history(
        [
            (1, date(2025, 1, 10), "screen_replacement", "phone", 1.0),  # warranty ends 10 Apr
            (2, date(2024, 6, 1), "battery_replacement", "laptop", 5.0),  # old laptop
        ]
    )
    as_of = date(2025, 3, 20)
    items = recommend(fit_next_repair(history), history, as_of, top=10)
    offers = {
        (r["customer_id"], r["item"]) for r in items.iter_rows(named=True) if r["kind"] == "offer"
    }
    assert (1, "screen_protection") in offers
    assert (1, "warranty_check_up") in offers
    assert (2, "trade_in") in offers
    assert (2, "screen_protection") not in offers


def test_recommendations_are_ranked_by_expected_value_per_customer(built_data_dir):
    repairs = read_customer_repairs(Settings(data_dir=built_data_dir))
    end = last_day(repairs)
    items = recommend(fit_next_repair(repairs), repairs, end, top=3)
    assert items.group_by("customer_id").len()["len"].max() == 3
    for _, group in items.group_by("customer_id"):
        values = group.sort("rank")["expected_value_eur"].to_list()
        assert values == sorted(values, reverse=True)
        break
    assert profiles_at(repairs, end).height == items["customer_id"].n_unique()


@pytest.mark.parametrize("age, label", [(0.3, "<1"), (2.5, "2-3"), (7.0, "4+")])
def test_device_age_is_binned_in_years(age, label):
    history = _history([(1, date(2025, 1, 1), "screen_replacement", "phone", age)])
    assert profiles_at(history, date(2025, 1, 1))["age_bin"].to_list() == [label]
