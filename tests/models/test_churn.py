"""Churn: the definition, the registered model against the BG/NBD baselines, and its reasons."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from core.settings import Settings
from models import registry
from models.churn.features import churn_labels, customer_features, return_windows
from models.churn.train import describe_entry, load_scores, train_churn
from models.clv.bgnbd import BgNbdParams
from models.clv.history import read_customer_repairs
from models.errors import ModelInputError
from models.training import family


@pytest.fixture(scope="module")
def settings(trained_customers_dir) -> Settings:
    return Settings(data_dir=trained_customers_dir)


@pytest.fixture(scope="module")
def entry(settings) -> registry.Entry:
    return registry.production("churn", settings=settings)


def test_a_frequent_customer_gets_a_shorter_return_window_than_a_one_timer():
    params = BgNbdParams(r=0.5, alpha=10.0, a=0.8, b=2.5)
    summary = pl.DataFrame(
        {"customer_id": [1, 2], "frequency": [10.0, 0.0], "T": [40.0, 40.0], "p_alive": [0.9, 1.0]}
    )
    windows = return_windows(params, summary, horizon_weeks=16).sort("customer_id")
    frequent, once = windows["window_weeks"].to_list()
    assert frequent == pytest.approx(2 * (10 + 40) / (0.5 + 10))  # twice the expected gap
    assert once == 16  # capped at the horizon
    assert windows["p_no_return"][0] < windows["p_no_return"][1]


def test_churned_means_no_visit_within_the_customers_own_window():
    history = pl.DataFrame(
        {
            "customer_id": [1, 1, 2, 2, 3],
            "received_at": [
                datetime(2025, 1, 1),
                datetime(2025, 2, 20),
                datetime(2025, 1, 1),
                datetime(2025, 6, 1),
                datetime(2025, 1, 5),
            ],
            "is_rework": [False, False, False, False, False],
            "is_cancelled": [False] * 5,
        }
    ).with_columns(pl.col("received_at").dt.date().alias("received_date"))
    windows = pl.DataFrame({"customer_id": [1, 2, 3], "window_weeks": [8.0, 8.0, 52.0]})
    labels = churn_labels(history, date(2025, 1, 31), windows).sort("customer_id")
    # 1 came back after 20 days; 2 after 121 days, beyond its 8 weeks; 3 never
    assert labels["churned"].to_list() == [False, True, True]


def test_features_at_a_cutoff_ignore_feedback_given_after_it(settings):
    repairs = read_customer_repairs(settings)
    answered = repairs.filter(pl.col("feedback_at").is_not_null()).row(0, named=True)
    cutoff = answered["feedback_at"].date()
    day_before = customer_features(repairs, date.fromordinal(cutoff.toordinal() - 1))
    row = day_before.filter(pl.col("customer_id") == answered["customer_id"])
    assert row.height == 1
    assert row["answers"][0] == 0
    assert row["last_csat"][0] is None


def test_train_churn_registers_the_model_with_both_bgnbd_baselines(entry):
    assert entry is not None and entry.status == "production"
    metrics = entry.metrics
    for prefix in ("", "p_alive_", "bgnbd_"):
        for score in ("roc_auc", "pr_auc", "brier"):
            assert 0 <= metrics[prefix + score] <= 1
    assert metrics["test_cutoff"] > metrics["train_cutoff"]
    assert len(metrics["calibration"]) == 10
    line = describe_entry(entry)
    assert "P(alive)" in line and "ROC-AUC" in line


def test_the_churn_model_ranks_better_than_p_alive_on_the_later_cutoff(entry):
    assert entry.metrics["roc_auc"] > entry.metrics["p_alive_roc_auc"]
    assert entry.metrics["brier"] < entry.metrics["p_alive_brier"]


def test_every_customer_is_scored_with_reasons_and_an_action(settings):
    _, as_of, scores = load_scores(settings)
    assert as_of == str(read_customer_repairs(settings)["received_date"].max())
    assert scores["churn_probability"].is_between(0, 1).all()
    risky = scores.filter(pl.col("churn_probability") > 0.5)
    assert (risky["reason_1"].str.len_chars() > 0).all()
    assert (risky["action"] != "").all()


def test_customers_who_scored_us_low_are_scored_as_more_likely_to_leave(settings):
    """The planted signal: low satisfaction lowers the chance of a return."""
    repairs = read_customer_repairs(settings)
    _, as_of, scores = load_scores(settings)
    features = customer_features(repairs, date.fromisoformat(as_of))
    joined = scores.join(features.select("customer_id", "last_csat"), on="customer_id")
    low = joined.filter(pl.col("last_csat") <= 2)["churn_probability"].to_numpy()
    high = joined.filter(pl.col("last_csat") >= 4)["churn_probability"].to_numpy()
    assert np.mean(low) > np.mean(high)


def test_too_short_a_history_is_refused_with_what_to_do(settings):
    end = read_customer_repairs(settings)["received_date"].max()
    with pytest.raises(ModelInputError, match="at least 32 weeks of history"):
        train_churn(settings, (end - timedelta(weeks=10), end))


def test_churn_and_clv_are_trainable_families():
    assert family("churn").title and family("clv").title
