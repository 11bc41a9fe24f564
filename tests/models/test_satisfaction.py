"""Satisfaction: trends, what drives a low score, complaint themes and the call-back list."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest

from core.settings import Settings
from models.clv.history import read_customer_repairs
from models.satisfaction import (
    comment_themes,
    detractors,
    key_phrases,
    low_score_drivers,
    satisfaction_trend,
)


@pytest.fixture(scope="module")
def repairs(built_data_dir) -> pl.DataFrame:
    return read_customer_repairs(Settings(data_dir=built_data_dir))


@pytest.fixture(scope="module")
def effects(repairs) -> pl.DataFrame:
    return low_score_drivers(repairs).effects


def _effect(effects: pl.DataFrame, driver: str) -> dict:
    return effects.filter(pl.col("driver") == driver).row(0, named=True)


@pytest.mark.parametrize(
    "driver", ["rework", "price_rise", "waited_for_parts", "days_late", "junior_technician"]
)
def test_each_planted_cause_of_low_csat_raises_its_chance_with_an_interval_above_zero(
    effects, driver
):
    effect = _effect(effects, driver)
    assert effect["effect_pp_low"] > 0
    assert effect["odds_ratio_low"] > 1


def test_expert_technicians_lower_the_chance_of_a_low_score(effects):
    assert _effect(effects, "expert_technician")["effect_pp_high"] < 0


def test_a_rework_is_the_strongest_single_cause_of_a_low_score(effects):
    assert effects["driver"][0] == "rework"
    assert _effect(effects, "rework")["effect_pp"] > 20


def test_complaint_themes_name_price_delay_and_rework(repairs):
    words = " ".join(comment_themes(repairs)["theme"].to_list())
    assert any(w in words for w in ("expensive", "quote", "price"))
    assert any(w in words for w in ("long", "waited", "ages"))
    assert any(w in words for w in ("broke", "didn", "again"))


def test_price_complaints_are_the_phrases_most_over_represented_in_low_scores(repairs):
    top = key_phrases(repairs, top=5)["phrase"].to_list()
    assert any("expensive" in p or "quote" in p for p in top)


def _answers(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "customer_id": pl.Int64,
            "repair_id": pl.Int64,
            "received_at": pl.Datetime,
            "feedback_at": pl.Datetime,
            "csat": pl.Int8,
            "nps": pl.Int8,
            "store_id": pl.Int64,
        },
        orient="row",
    )


def test_nps_is_promoters_minus_detractors_over_answers_with_an_nps():
    answers = _answers(
        [
            (1, 1, datetime(2025, 1, 2), datetime(2025, 1, 3), 5, 10, 1),  # promoter
            (2, 2, datetime(2025, 1, 2), datetime(2025, 1, 4), 4, 8, 1),  # passive
            (3, 3, datetime(2025, 1, 2), datetime(2025, 1, 5), 2, 3, 1),  # detractor
            (4, 4, datetime(2025, 1, 2), datetime(2025, 1, 6), 1, 0, 1),  # detractor
            (5, 5, datetime(2025, 1, 2), datetime(2025, 1, 7), 3, None, 1),  # CSAT only
        ]
    )
    row = satisfaction_trend(answers).row(0, named=True)
    assert row["answers"] == 5
    assert row["csat"] == pytest.approx(3.0)
    assert row["nps"] == pytest.approx(100 * (1 - 2) / 4)
    assert row["low_csat_share"] == pytest.approx(3 / 5)


def test_the_call_back_list_holds_recent_detractors_who_have_not_been_back():
    answers = (
        _answers(
            [
                (1, 1, datetime(2025, 3, 1), datetime(2025, 3, 2), 2, 3, 1),  # detractor, gone
                (2, 2, datetime(2025, 3, 1), datetime(2025, 3, 2), 2, 2, 1),  # detractor ...
                (2, 3, datetime(2025, 3, 20), None, None, None, 1),  # ... who came back
                (3, 4, datetime(2025, 3, 1), datetime(2025, 3, 2), 5, 10, 1),  # promoter
                (4, 5, datetime(2024, 12, 1), datetime(2024, 12, 2), 1, 0, 1),  # too long ago
            ]
        )
        .with_columns(pl.lit(None, pl.String).alias(c) for c in ("comment", "repair_type"))
        .with_columns(
            pl.lit(None, pl.Int64).alias("technician_id"),
            pl.lit(1.0).alias("turnaround_days"),
            pl.lit(0.0).alias("price_over_quote"),
            pl.lit(False).alias("is_rework"),
            pl.lit(False).alias("waited_for_parts"),
        )
    )
    calls = detractors(answers, as_of=date(2025, 3, 31), days=60)
    assert calls["customer_id"].to_list() == [1]
