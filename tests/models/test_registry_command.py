"""`repairlens models list|promote|rollback`: the registry for schedulers and analysts."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cli import app
from core.settings import get_settings
from models import registry

runner = CliRunner()


@pytest.fixture
def two_versions(data_dir):
    settings = get_settings()
    for payload in (b"one", b"two"):
        registry.register(
            "demo",
            payload,
            started_by="tester",
            parameters={"C": 1.0},
            metrics={"top1": 0.9},
            window=("2024-01-01", "2024-12-31"),
            settings=settings,
        )
    registry.promote("demo", 1, by="ann", reason="first", settings=settings)
    return settings


def test_list_prints_one_line_per_version_with_status_and_metrics(two_versions):
    result = runner.invoke(app, ["models", "list", "demo"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("kind\tversion\tstatus")
    assert lines[1].split("\t")[:3] == ["demo", "v2", "candidate"]
    assert lines[2].split("\t")[:3] == ["demo", "v1", "production"]
    assert "top1=0.9" in lines[1] and "2024-01-01..2024-12-31" in lines[1]


def test_list_as_json_carries_the_checksum_and_window(two_versions):
    result = runner.invoke(app, ["models", "list", "--json"])
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["kind"], r["version"]) for r in rows] == [("demo", 2), ("demo", 1)]
    assert len(rows[0]["artifact_sha256"]) == 64 and rows[0]["window_end"] == "2024-12-31"


def test_promote_puts_a_version_in_production_with_its_reason(two_versions):
    result = runner.invoke(
        app, ["models", "promote", "demo", "2", "--reason", "better top-1", "--by", "cy"]
    )
    assert result.exit_code == 0, result.output
    assert registry.production_version("demo", settings=two_versions) == 2
    last = registry.events("demo", settings=two_versions)[-1]
    assert (last.action, last.actor, last.reason) == ("promoted", "cy", "better top-1")


def test_rollback_restores_the_previous_version(two_versions):
    runner.invoke(app, ["models", "promote", "demo", "2", "--reason", "try v2"])
    result = runner.invoke(app, ["models", "rollback", "demo", "--reason", "v2 regressed"])
    assert result.exit_code == 0, result.output
    assert "v1 is in production again" in result.stderr
    assert registry.production_version("demo", settings=two_versions) == 1


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["models", "promote", "demo", "9", "--reason", "x"], "no demo model version 9"),
        (["models", "promote", "demo", "1", "--reason", "x"], "already in production"),
        (["models", "rollback", "demo", "--reason", "x"], "no earlier production version"),
        (["models", "list", "nothing"], "no nothing models in the registry"),
    ],
)
def test_mistakes_get_one_error_line_and_exit_1(two_versions, arguments, message):
    result = runner.invoke(app, arguments)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_train_runs_a_background_job_and_reports_its_failure_in_one_line(data_dir):
    result = runner.invoke(app, ["models", "train", "diagnostics", "--by", "cron"])
    assert result.exit_code == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: job ") and "failed: no warehouse has been published" in last
    listed = runner.invoke(app, ["models", "jobs", "diagnostics"]).stdout.splitlines()
    assert listed[1].split("\t")[1:4] == ["diagnostics", "failed", "cron"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["models", "train", "diagnostics", "--param", "C"], "--param takes NAME=VALUE"),
        (["models", "train", "diagnostics", "--param", "C=-2"], "C must be greater than 0"),
        (["models", "train", "weather"], "unknown model kind 'weather'"),
        (["models", "cancel", "abc123"], "no training job abc123"),
    ],
)
def test_bad_job_requests_get_one_error_line_and_start_nothing(data_dir, arguments, message):
    result = runner.invoke(app, arguments)
    assert result.exit_code == 1 and message in result.stderr
    assert runner.invoke(app, ["models", "jobs"]).stdout.count("\n") == 1  # the header only
