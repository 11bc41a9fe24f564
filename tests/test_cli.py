"""The `repairlens` command: its verbs end to end, and one-line errors for what a user can fix."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app

runner = CliRunner()


def _run(*args: str):
    return runner.invoke(app, list(args))


def _one_line_error(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_an_unsupported_database_url_is_refused_in_one_line(data_dir, monkeypatch):
    monkeypatch.setenv("REPAIRLENS_OPS_DB_URL", "mysql://localhost/shop")
    result = _run("migrate")
    assert result.exit_code == 1
    assert "REPAIRLENS_OPS_DB_URL" in _one_line_error(result)


def test_etl_against_an_unreachable_database_says_so_in_one_line(data_dir, monkeypatch):
    monkeypatch.setenv(
        "REPAIRLENS_OPS_DB_URL", "postgresql+psycopg://postgres@127.0.0.1:1/repairlens"
    )
    result = _run("etl")
    assert result.exit_code == 1
    assert "database" in _one_line_error(result)
    assert not (data_dir / "warehouse.duckdb").exists()


def test_etl_against_an_empty_database_names_the_command_to_run(data_dir):
    result = _run("etl")
    assert result.exit_code == 1
    assert "repairlens" in _one_line_error(result)
    assert not (data_dir / "warehouse.duckdb").exists()


def test_sql_before_any_etl_run_says_how_to_build_the_warehouse(data_dir):
    result = _run("sql", "SELECT 1")
    assert result.exit_code == 1
    assert "repairlens etl" in _one_line_error(result)


def test_generate_refuses_a_database_that_already_has_history(data_dir):
    assert _run("generate", "--stores", "1", "--years", "0.2", "--seed", "3").exit_code == 0
    result = _run("generate", "--stores", "1", "--years", "0.2", "--seed", "3")
    assert result.exit_code == 1
    _one_line_error(result)


def test_generate_then_etl_then_sql_answers_from_the_warehouse(data_dir):
    assert _run("generate", "--stores", "1", "--years", "0.3", "--seed", "5").exit_code == 0
    assert _run("etl").exit_code == 0
    result = _run("sql", "SELECT count(*) AS repairs FROM fct_repairs")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 1 and int(rows[0]["repairs"]) > 100


def test_sql_refuses_a_write_in_one_line(data_dir):
    _run("generate", "--stores", "1", "--years", "0.2", "--seed", "5")
    _run("etl")
    result = _run("sql", "DROP TABLE fct_repairs")
    assert result.exit_code == 1
    _one_line_error(result)
    assert _run("sql", "SELECT count(*) FROM fct_repairs").exit_code == 0


def test_demo_without_serving_loads_an_empty_database_end_to_end(data_dir):
    result = _run("demo", "--no-serve", "--stores", "1", "--years", "0.3")
    assert result.exit_code == 0, result.stderr
    assert (data_dir / "warehouse.duckdb").exists()


@pytest.mark.parametrize("argv", [["--help"], ["etl", "--help"], ["generate", "--help"]])
def test_the_installed_command_answers(argv, data_dir):
    script = Path(sys.executable).parent / "repairlens"
    completed = subprocess.run([str(script), *argv], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert "Usage" in completed.stdout


def test_train_is_refused_while_a_job_of_the_same_kind_runs(data_dir):
    from core.settings import Settings
    from models.jobs import store

    store.insert_job(
        Settings(data_dir=data_dir), "running-job", kind="diagnostics", started_by="ana",
        family={}, window=(None, None), parameters={}, promote=False,
    )  # fmt: skip
    # A live process whose command line names the job, as a worker's does.
    worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "running-job"])
    store.set_pid(Settings(data_dir=data_dir), "running-job", worker.pid)
    try:
        result = _run("train", "diagnostics")
    finally:
        worker.kill()
    assert result.exit_code == 1
    assert "already running" in _one_line_error(result)


def test_train_records_a_failed_run_in_the_job_store(data_dir):
    from core.settings import Settings
    from models.jobs import list_jobs

    result = _run("train", "diagnostics")
    assert result.exit_code == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: no warehouse has been published")
    [job] = list_jobs(Settings(data_dir=data_dir), "diagnostics")
    assert job.state == "failed" and "no warehouse" in job.error
