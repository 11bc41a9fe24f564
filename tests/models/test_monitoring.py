"""Drift monitoring and candidate-versus-production comparison.

The statistics are checked by hand on tiny inputs; the reports run on the shared generated
warehouse with a small diagnostics model trained on an early window.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from core.settings import Settings
from models import registry
from models.monitoring import compare, js_divergence, monitor, psi, relative_change, token_counts
from models.monitoring.compare import calibration_bins, confusion_counts
from models.monitoring.report import (
    ACCURACY_DROP,
    RECENT_DAYS,
    accuracy_check,
    demand_check,
    device_mix_check,
    vocabulary_check,
)
from tests.conftest import linked_warehouse
from tests.models.test_registry_consumers import register_small_diagnostics
from warehouse.reader import connect_read_only


def test_psi_of_a_shifted_mix_matches_the_hand_computation():
    # shares 0.5/0.5 → 0.75/0.25: 0.25·ln(1.5) + (−0.25)·ln(0.5)
    expected = 0.25 * math.log(1.5) - 0.25 * math.log(0.5)
    assert psi({"phone": 50, "laptop": 50}, {"phone": 75, "laptop": 25}) == pytest.approx(expected)


def test_psi_is_zero_for_the_same_mix_whatever_the_volume():
    assert psi({"phone": 2, "laptop": 1}, {"phone": 200, "laptop": 100}) == pytest.approx(0)


def test_a_category_that_appears_only_recently_counts_heavily_but_finitely():
    value = psi({"phone": 100}, {"phone": 90, "console": 10})
    assert 0.25 < value < math.inf


def test_js_divergence_is_0_for_equal_and_1_for_disjoint_vocabularies():
    assert js_divergence({"screen": 3, "battery": 1}, {"screen": 6, "battery": 2}) == 0
    assert js_divergence({"screen": 1}, {"battery": 1}) == 1


def test_js_divergence_matches_the_hand_computation():
    # p = (½, ½), q = (1, 0), m = (¾, ¼)
    kl_pm = 0.5 * math.log2(0.5 / 0.75) + 0.5 * math.log2(0.5 / 0.25)
    kl_qm = math.log2(1 / 0.75)
    value = js_divergence({"screen": 1, "battery": 1}, {"screen": 1})
    assert value == pytest.approx(0.5 * kl_pm + 0.5 * kl_qm)


def test_relative_change_and_token_counts():
    assert relative_change(20, 30) == pytest.approx(0.5)
    assert math.isnan(relative_change(0, 3))
    assert token_counts(["Screen cracked, screen DARK", None, ""]) == Counter(
        {"screen": 2, "cracked": 1, "dark": 1}
    )


def test_demand_change_is_flagged_in_either_direction():
    assert demand_check(50, 30).exceeded  # −40 %
    assert demand_check(50, 70).exceeded  # +40 %
    assert not demand_check(50, 55).exceeded


def test_device_mix_check_flags_a_large_shift_only():
    assert device_mix_check(Counter(phone=50, laptop=50), Counter(phone=90, laptop=10)).exceeded
    assert not device_mix_check(Counter(phone=50, laptop=50), Counter(phone=52, laptop=48)).exceeded


def test_an_accuracy_drop_beyond_the_threshold_recommends_retraining():
    assert accuracy_check(0.85, 0.85 - ACCURACY_DROP - 0.01, 100).exceeded
    assert not accuracy_check(0.85, 0.84, 100).exceeded


def test_too_few_recent_repairs_give_no_accuracy_verdict():
    check = accuracy_check(0.85, 0.2, 10)
    assert check.value is None and not check.exceeded
    assert "only 10 completed repairs" in check.detail


def test_vocabulary_drift_is_measured_beyond_sampling_noise():
    rng = np.random.default_rng(0)
    words = ["screen", "cracked", "battery", "drains", "wont", "charge", "hinge", "loose"]
    reference = [" ".join(rng.choice(words, 4)) for _ in range(400)]
    same_source = [" ".join(rng.choice(words, 4)) for _ in range(100)]
    new_words = [
        " ".join(rng.choice(["water", "spilled", "keyboard", "sticky"], 4)) for _ in range(100)
    ]
    assert not vocabulary_check(reference, same_source).exceeded
    drifted = vocabulary_check(reference, new_words)
    assert drifted.exceeded and "water" in drifted.detail


def test_calibration_bins_average_confidence_and_accuracy_per_bin():
    frame = calibration_bins(np.array([0.05, 0.15, 0.95, 0.92]), np.array([0, 0, 1, 0]), bins=10)
    assert frame.rows() == [(0, 0.05, 0.0, 1), (1, 0.15, 0.0, 1), (9, 0.935, 0.5, 2)]


def test_confusion_counts_pool_rare_codes_as_other():
    frame = confusion_counts(["a", "a", "b", "c"], ["a", "b", "b", "a"], top=2)
    assert sorted(frame.rows()) == [("a", "a", 1), ("a", "b", 1), ("b", "b", 1), ("other", "a", 1)]


@pytest.fixture(scope="module")
def early_model(built_data_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """Production: a diagnostics model trained on the history up to 60 days before the end."""
    directory = linked_warehouse(built_data_dir, tmp_path_factory.mktemp("monitoring") / "var")
    settings = Settings(data_dir=directory)
    connection = connect_read_only(settings)
    (latest,) = connection.execute("SELECT max(received_date) FROM fct_repairs").fetchone()
    connection.close()
    end = latest - timedelta(days=60)
    entry = register_small_diagnostics(settings, settings, (end - timedelta(days=60), end))
    entry = registry.promote(
        "diagnostics", entry.version, by="ann", reason="first", settings=settings
    )
    return settings, entry, latest


def test_the_diagnostics_report_compares_the_training_window_with_later_repairs(early_model):
    settings, entry, latest = early_model
    report = monitor(settings, "diagnostics")
    assert report.version == entry.version
    assert report.reference[1].isoformat() == entry.window_end
    since_training = report.reference[1] + timedelta(days=1)
    assert report.recent == (max(since_training, latest - timedelta(days=RECENT_DAYS - 1)), latest)
    names = [check.name for check in report.checks]
    assert names == ["symptom vocabulary", "device mix", "demand level", "top-1 accuracy"]
    accuracy = report.checks[-1]
    assert accuracy.value is not None and "repairs completed since the training window" in (
        accuracy.detail
    )
    assert report.retrain_recommended == any(check.exceeded for check in report.checks)


def test_a_model_trained_up_to_the_latest_repairs_has_nothing_to_drift_from(
    built_data_dir, tmp_path
):
    settings = Settings(data_dir=tmp_path / "var")
    linked_warehouse(built_data_dir, tmp_path / "var")
    registry.register(
        "diagnostics",
        b"x",
        started_by="t",
        parameters={},
        metrics={},
        window=("2020-01-01", "2099-12-31"),
        settings=settings,
    )
    registry.promote("diagnostics", 1, by="t", reason="first", settings=settings)
    report = monitor(settings, "diagnostics")
    assert report.checks == [] and not report.retrain_recommended
    assert "no repairs received since the training window ended" in report.notes[0]


def test_a_kind_without_production_gets_a_note_not_an_error(tmp_path):
    report = monitor(Settings(data_dir=tmp_path / "var"), "churn")
    assert report.notes == ["no production churn model"] and not report.retrain_recommended


def test_candidate_and_production_are_scored_on_the_same_holdout(early_model):
    settings, production, _ = early_model
    candidate = register_small_diagnostics(settings, settings, None, started_by="bob")
    result = compare(settings, candidate, production)
    assert result.labels == (
        f"v{candidate.version} (candidate)",
        f"v{production.version} (production)",
    )
    top1 = result.metrics.filter(metric="top-1 accuracy").row(0)
    assert all(0 <= value <= 1 for value in top1[1:])
    baseline = result.metrics.filter(metric="keyword baseline top-1").row(0)
    assert baseline[1] == baseline[2]  # one hold-out, one baseline
    assert set(result.calibration["version"]) == set(result.labels)
    assert result.confusion.group_by("version").agg(n=result.confusion["count"].sum()).height == 2
    assert "hold-out of v" in result.holdout


def test_other_kinds_are_compared_on_their_registered_metrics(tmp_path):
    settings = Settings(data_dir=tmp_path / "var")
    for score in (0.7, 0.8):
        registry.register(
            "churn",
            b"m",
            started_by="t",
            parameters={},
            metrics={"auc": score, "note": "text"},
            settings=settings,
        )
    result = compare(
        settings,
        registry.entry("churn", 2, settings=settings),
        registry.entry("churn", 1, settings=settings),
    )
    assert result.metrics.rows() == [("auc", 0.8, 0.7)]
    assert "own training window" in result.notes[0]


def _forecast_registry(built_data_dir: Path, directory: Path, error: float) -> Settings:
    """A production forecast whose daily total is the actual demand plus ``error`` a day, over
    the 28 days after an origin 14 days before the latest repair."""
    import io

    import pandas as pd

    from models.forecasting.demand import daily_demand, demand_series

    linked_warehouse(built_data_dir, directory)
    settings = Settings(data_dir=directory)
    connection = connect_read_only(settings)
    (latest,) = connection.execute("SELECT max(received_date) FROM fct_repairs").fetchone()
    actual = demand_series(daily_demand(connection), ("D",))["repairs/total/all/D"]
    connection.close()
    origin = latest - timedelta(days=14)
    days = pd.date_range(pd.Timestamp(origin) + pd.Timedelta(days=1), periods=28, freq="D")
    yhat = actual.reindex(days).fillna(0).to_numpy() + error
    table = pd.DataFrame(
        {
            "series_id": "repairs/total/all/D",
            "freq": "D",
            "ds": days,
            "yhat": yhat,
            "yhat_lower": yhat - 5,
            "yhat_upper": yhat + 5,
        }
    )
    buffer = io.BytesIO()
    table.to_parquet(buffer, index=False)
    registry.register(
        "forecast",
        buffer.getvalue(),
        started_by="t",
        parameters={},
        metrics={"median_mase": 0.8, "median_seasonal_naive_mase": 1.0},
        window=(origin - timedelta(days=200), origin),
        settings=settings,
    )
    registry.promote("forecast", 1, by="t", reason="first", settings=settings)
    return settings


def test_forecast_errors_are_scored_as_actuals_arrive(built_data_dir, tmp_path):
    exact = monitor(_forecast_registry(built_data_dir, tmp_path / "exact", 0.0), "forecast")
    check = exact.checks[-1]
    assert check.name == "forecast error" and check.value == pytest.approx(0)
    assert "13 day(s) of actuals" in check.detail and "100% of actuals inside" in check.detail
    assert not check.exceeded


def test_forecasts_worse_than_seasonal_naive_recommend_retraining(built_data_dir, tmp_path):
    report = monitor(_forecast_registry(built_data_dir, tmp_path / "off", 500.0), "forecast")
    assert report.checks[-1].exceeded and report.retrain_recommended
