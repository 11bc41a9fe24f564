"""The Model Lab page under AppTest: versions, training jobs, promotion with confirmation,
rollback, comparison and monitoring."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.settings import Settings
from models import jobs, registry
from models.training import FAMILIES, Family
from tests.conftest import linked_warehouse
from tests.models.test_registry_consumers import register_small_diagnostics

PAGE = str(Path(__file__).parents[2] / "pages" / "6_Model_Lab.py")
# A diagnostics job whose training is the slow test family: it runs until cancelled.
SLOW_DIAGNOSTICS = Family(
    "diagnostics", "Slow test training", "tests.models.test_jobs", "train_slowly", "describe"
)


@pytest.fixture(scope="module")
def lab_template(built_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with the shared warehouse and two diagnostics versions: v1 in
    production, v2 a candidate (the same artifact, registered again)."""
    directory = linked_warehouse(built_data_dir, tmp_path_factory.mktemp("lab") / "var")
    settings = Settings(data_dir=directory)
    first = register_small_diagnostics(settings, settings, started_by="ann")
    registry.promote("diagnostics", 1, by="ann", reason="first model", settings=settings)
    registry.register(
        "diagnostics",
        first.artifact_path,
        started_by="bob",
        parameters=first.parameters,
        metrics=first.metrics,
        window=(first.window_start, first.window_end),
        artifact_name=first.artifact_path.name,
        settings=settings,
    )
    return directory


@pytest.fixture
def lab_dir(lab_template: Path, tmp_path: Path, use_data_dir) -> Path:
    """A private copy of the template (tests promote and train), used as the data directory."""
    directory = tmp_path / "var"
    shutil.copytree(lab_template, directory, symlinks=True)
    use_data_dir(directory)
    yield directory
    settings = Settings(data_dir=directory)
    for job in jobs.list_jobs(settings):
        if job.is_running:
            jobs.cancel_job(settings, job.job_id, by="teardown", grace_s=2)


def _lab(user: str = "ann") -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    at.text_input(key="lab_user").set_value(user).run()
    assert not at.exception, at.exception
    return at


def _click(at: AppTest, label: str) -> AppTest:
    next(button for button in at.button if button.label == label).click().run()
    assert not at.exception, at.exception
    return at


def _table(at: AppTest, column: str):
    """The first table on the page with ``column`` (tables carry no key under AppTest)."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


def _settings(directory: Path) -> Settings:
    return Settings(data_dir=directory)


def test_the_lab_offers_every_catalogue_kind_and_lists_versions_with_metrics(lab_dir):
    at = _lab()
    offered = at.selectbox(key="lab_kind").options
    assert offered == [f"{item.title} ({kind})" for kind, item in FAMILIES.items()]
    versions = _table(at, "sha256")
    assert list(versions["version"]) == [2, 1]
    assert list(versions["status"]) == ["candidate", "production"]
    assert {"top1", "baseline_top1", "sha256", "started_by"} <= set(versions.columns)
    assert any("In production" in md.value for md in at.markdown)


def test_promotion_waits_for_confirmation_and_records_who_and_why(lab_dir):
    at = _lab("cy")
    at.text_input(key="lab_reason").set_value("better on recent repairs").run()
    _click(at, "Promote v2…")
    assert "Please confirm: promote diagnostics v2 to production" in at.warning[0].value
    assert registry.production_version("diagnostics", settings=_settings(lab_dir)) == 1

    _click(at, "Confirm")
    assert registry.production_version("diagnostics", settings=_settings(lab_dir)) == 2
    assert "diagnostics v2 is now in production" in at.success[0].value
    audit = _table(at, "action")
    assert tuple(audit.iloc[0][["version", "action", "by", "reason"]]) == (
        2,
        "promoted",
        "cy",
        "better on recent repairs",
    )


def test_a_promotion_without_a_reason_is_refused_on_confirmation(lab_dir):
    at = _lab()
    _click(at, "Promote v2…")
    _click(at, "Confirm")
    assert "give a reason" in at.error[0].value
    assert registry.production_version("diagnostics", settings=_settings(lab_dir)) == 1


def test_rollback_after_a_promotion_restores_the_previous_version(lab_dir):
    registry.promote("diagnostics", 2, by="ann", reason="try v2", settings=_settings(lab_dir))
    at = _lab("dee")
    at.text_input(key="lab_reason").set_value("v2 misroutes screens").run()
    _click(at, "Roll back v2 to v1…")
    _click(at, "Confirm")
    assert registry.production_version("diagnostics", settings=_settings(lab_dir)) == 1
    last = registry.events("diagnostics", settings=_settings(lab_dir))[-2]
    assert (last.action, last.actor, last.reason) == ("rolled back", "dee", "v2 misroutes screens")


def test_starting_training_from_the_form_starts_a_background_job(lab_dir):
    at = _lab("eve")
    at.number_input(key="lab_diagnostics_max_char_features").set_value(20_000)
    _click(at, "Start training")
    assert "Started job" in at.success[0].value
    job = jobs.list_jobs(_settings(lab_dir), "diagnostics")[0]
    assert job.started_by == "eve" and job.parameters["max_char_features"] == 20_000


def test_bad_hyperparameters_are_refused_on_the_page(lab_dir):
    at = _lab()
    at.number_input(key="lab_diagnostics_C").set_value(0.0)
    _click(at, "Start training")
    assert "C must be greater than 0" in at.error[0].value
    assert jobs.list_jobs(_settings(lab_dir)) == []


def test_a_running_job_streams_its_log_refuses_a_second_start_and_can_be_cancelled(lab_dir):
    settings = _settings(lab_dir)
    running = jobs.start_job(settings, "diagnostics", item=SLOW_DIAGNOSTICS, started_by="ann")
    deadline = time.monotonic() + 60
    while not jobs.log_lines(settings, running.job_id) and time.monotonic() < deadline:
        time.sleep(0.1)  # the worker's first line, however loaded the machine
    at = _lab("bob")
    assert any(f"Job {running.job_id} running" in md.value for md in at.markdown)
    assert re.search(r"started by ann|step \d+ of 300", at.code[0].value)

    _click(at, "Start training")
    assert "a diagnostics training job is already running" in at.error[0].value

    _click(at, "Cancel this job")
    assert jobs.get_job(settings, running.job_id).state == "cancelled"
    assert jobs.get_job(settings, running.job_id).error == "cancelled by bob"


def test_comparison_shows_both_versions_on_one_holdout(lab_dir):
    at = _lab()
    _click(at, "Compare v2 with production v1")
    metrics = _table(at, "difference")
    assert list(metrics.columns) == ["metric", "v2 (candidate)", "v1 (production)", "difference"]
    assert any("Hold-out:" in caption.value for caption in at.caption)
    assert len(at.get("vega_lite_chart")) == 2  # calibration and confusion matrix


def test_monitoring_shows_each_drift_check_and_a_verdict(lab_dir):
    at = _lab()
    checks = _table(at, "threshold")
    assert list(checks["check"]) == [
        "symptom vocabulary",
        "device mix",
        "demand level",
        "top-1 accuracy",
    ]
    verdicts = [w.value for w in at.warning] + [s.value for s in at.success]
    assert any(v.startswith(("Retrain recommended", "No drift beyond")) for v in verdicts)


def test_without_models_or_data_the_lab_says_what_to_do(data_dir):
    at = _lab()
    messages = " ".join(info.value for info in at.info)
    assert "No diagnostics model has been trained yet" in messages
    assert "No warehouse has been published yet" in messages
