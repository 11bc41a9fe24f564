"""Lifetime value on the warehouse: `repairlens train clv`, the hold-out and per-customer scores."""

from __future__ import annotations

import shutil

import polars as pl
import pytest
from typer.testing import CliRunner

from cli import app
from core.settings import Settings
from models import registry
from models.clv.history import last_day, read_customer_repairs
from models.clv.train import describe_entry, load_params, score_customers
from tests.conftest import linked_warehouse


@pytest.fixture(scope="module")
def settings(trained_customers_dir) -> Settings:
    return Settings(data_dir=trained_customers_dir)


def test_train_clv_registers_a_hold_out_against_the_run_rate_baseline(settings):
    entry = registry.production("clv", settings=settings)
    m = entry.metrics
    assert m["holdout_weeks"] >= 4 and m["customers"] > 1000
    assert m["actual_repeat_visits"] > 0
    assert 0.5 < m["predicted_repeat_visits"] / m["actual_repeat_visits"] < 1.5
    assert m["rmse"] < m["baseline_rmse"]
    assert "run-rate baseline" in describe_entry(entry)


def test_customer_scores_give_expected_repairs_value_and_p_alive(settings):
    _, bgnbd, gamma_gamma = load_params(settings)
    repairs = read_customer_repairs(settings)
    scores = score_customers(bgnbd, gamma_gamma, repairs, last_day(repairs), horizon_weeks=26)
    assert scores["customer_id"].n_unique() == scores.height
    assert scores["p_alive"].is_between(0, 1).all()
    assert (scores["expected_repairs"] >= 0).all()
    assert scores["expected_value"].to_numpy() == pytest.approx(
        (scores["expected_repairs"] * scores["expected_average_value"]).to_numpy()
    )
    longer = score_customers(bgnbd, gamma_gamma, repairs, last_day(repairs), horizon_weeks=52)
    assert (longer["expected_repairs"] >= scores["expected_repairs"] - 1e-12).all()
    # duplicate registrations count as one person
    ids = repairs.select("customer_id").unique()
    assert scores.join(ids, on="customer_id", how="anti").height == 0
    assert pl.Series(scores["customer_id"]).is_unique().all()


def test_the_train_clv_command_registers_a_candidate_after_the_first(
    trained_customers_dir, tmp_path, use_data_dir
):
    copy = linked_warehouse(trained_customers_dir, tmp_path / "var")
    shutil.copytree(trained_customers_dir / "models", copy / "models")
    use_data_dir(copy)
    result = CliRunner().invoke(app, ["train", "clv"])
    assert result.exit_code == 0, result.output
    assert "clv v2 (candidate)" in result.output
    assert registry.production_version("clv", settings=Settings(data_dir=copy)) == 1
