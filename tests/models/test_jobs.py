"""Background training jobs: one process each, progress in the job store, one per kind at a time.

Most tests train small families defined here (the worker imports them by module name, as it
imports the catalogue's families), so they exercise the real process, store and signals in a
second or two; one test runs the real diagnostics family on a data directory without a
warehouse to check that a failure leaves production alone.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from core.settings import Settings
from models import jobs, registry
from models.jobs.store import process_alive
from models.training import Family, family

# The test families' hyperparameters, read by ``Family.default_parameters`` as a family's are.
PARAMETERS = {"seconds": 30.0, "label": "demo"}

SLEEPY = Family("sleepy", "Test family that takes its time", __name__, "train_slowly", "describe")
QUICK = Family("quick", "Test family that registers at once", __name__, "train_quickly", "describe")


def train_slowly(settings, window, *, promote, started_by, parameters, progress):
    """Report progress every 0.1 s for ``seconds``, then register (cancelled tests never do)."""
    steps = int(parameters["seconds"] * 10)
    for step in range(steps):
        progress(f"step {step + 1} of {steps}")
        time.sleep(0.1)
    return _register(settings, "sleepy", window, promote, started_by, parameters)


def train_quickly(settings, window, *, promote, started_by, parameters, progress):
    progress(f"window {window}")
    return _register(settings, "quick", window, promote, started_by, parameters)


def _register(settings, kind, window, promote, started_by, parameters) -> registry.Entry:
    entry = registry.register(
        kind,
        b"weights",
        started_by=started_by,
        parameters=parameters,
        metrics={"score": 0.75},
        window=window or (None, None),
        settings=settings,
    )
    if promote:
        entry = registry.promote(
            kind, entry.version, by=started_by, reason="job", settings=settings
        )
    return entry


def describe(entry: registry.Entry) -> str:
    return f"{entry.kind} v{entry.version}: score {entry.metrics['score']}"


@pytest.fixture
def settings(tmp_path: Path):
    settings = Settings(data_dir=tmp_path / "var")
    yield settings
    for job in jobs.list_jobs(settings):  # never leave a worker behind
        if job.is_running:
            jobs.cancel_job(settings, job.job_id, by="teardown", grace_s=2)


def _first_line(settings: Settings, job: jobs.Job, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not jobs.log_lines(settings, job.job_id):
        assert time.monotonic() < deadline, "the worker never reported progress"
        time.sleep(0.1)


def _quiet_snapshot(settings: Settings, job: jobs.Job) -> tuple[list[str], str | None]:
    """The job's log and current message, read while no line was added in between (the worker
    keeps writing while the test reads)."""
    while True:
        lines = [line.line for line in jobs.log_lines(settings, job.job_id)]
        message = jobs.get_job(settings, job.job_id).message
        if len(jobs.log_lines(settings, job.job_id)) == len(lines):
            return lines, message


def test_a_job_runs_the_family_in_another_process_and_records_its_entry(settings):
    job = jobs.start_job(
        settings,
        "quick",
        item=QUICK,
        started_by="ann",
        parameters={"seconds": 0.5},
        window=(date(2024, 1, 1), date(2024, 6, 30)),
        promote=True,
    )
    assert job.pid is not None and job.pid != os.getpid()
    done = jobs.wait_for_job(settings, job.job_id, timeout_s=60)
    assert (done.state, done.entry_version, done.error) == ("succeeded", 1, None)
    assert done.summary == "quick v1: score 0.75"
    entry = registry.production("quick", settings=settings)
    assert (entry.started_by, entry.window_start, entry.window_end) == (
        "ann",
        "2024-01-01",
        "2024-06-30",
    )
    assert entry.parameters == {"seconds": 0.5, "label": "demo"}


def test_progress_lines_stream_into_the_store_while_the_job_runs(settings):
    job = jobs.start_job(settings, "sleepy", item=SLEEPY, started_by="ann")
    _first_line(settings, job)
    time.sleep(0.5)
    lines, message = _quiet_snapshot(settings, job)
    assert lines[0] == "training sleepy started by ann"
    assert lines[-1].startswith("step ")
    assert message == lines[-1]
    newer = jobs.log_lines(settings, job.job_id, after=len(lines))
    assert all(line.line_no > len(lines) for line in newer)


def test_a_second_request_for_a_running_kind_is_refused_with_who_is_training(settings):
    first = jobs.start_job(settings, "sleepy", item=SLEEPY, started_by="ann")
    with pytest.raises(
        jobs.JobConflictError, match=f"already running \\(job {first.job_id}, started by ann"
    ):
        jobs.start_job(settings, "sleepy", item=SLEEPY, started_by="bob")
    assert [j.started_by for j in jobs.list_jobs(settings, "sleepy")] == ["ann"]


def test_two_simultaneous_requests_for_one_kind_start_exactly_one_job(settings):
    barrier, outcomes = threading.Barrier(2), []

    def request(user: str) -> None:
        barrier.wait()
        try:
            outcomes.append(jobs.start_job(settings, "sleepy", item=SLEEPY, started_by=user))
        except jobs.JobConflictError as error:
            outcomes.append(error)

    threads = [threading.Thread(target=request, args=(user,)) for user in ("ann", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    started = [o for o in outcomes if isinstance(o, jobs.Job)]
    assert len(started) == 1 and len(outcomes) == 2
    assert len(jobs.list_jobs(settings, "sleepy")) == 1


def test_other_kinds_train_while_one_kind_is_busy(settings):
    jobs.start_job(settings, "sleepy", item=SLEEPY, started_by="ann")
    quick = jobs.start_job(settings, "quick", item=QUICK, parameters={"seconds": 0.5})
    assert jobs.wait_for_job(settings, quick.job_id, timeout_s=60).state == "succeeded"


def test_cancelling_a_running_job_stops_its_process_and_registers_nothing(settings):
    job = jobs.start_job(settings, "sleepy", item=SLEEPY, started_by="ann")
    _first_line(settings, job)
    cancelled = jobs.cancel_job(settings, job.job_id, by="bob")
    assert (cancelled.state, cancelled.error) == ("cancelled", "cancelled by bob")
    assert not process_alive(job.pid, job.job_id)
    assert registry.entries("sleepy", settings=settings) == []
    assert jobs.running_job(settings, "sleepy") is None


def test_cancelling_a_finished_job_is_refused(settings):
    job = jobs.start_job(settings, "quick", item=QUICK, parameters={"seconds": 0.5})
    jobs.wait_for_job(settings, job.job_id, timeout_s=60)
    with pytest.raises(jobs.JobError, match="is not running \\(it succeeded\\)"):
        jobs.cancel_job(settings, job.job_id)


def test_a_job_whose_process_died_is_marked_failed_and_frees_its_kind(settings):
    job = jobs.start_job(settings, "sleepy", item=SLEEPY, started_by="ann")
    _first_line(settings, job)
    os.killpg(job.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while process_alive(job.pid, job.job_id) and time.monotonic() < deadline:
        time.sleep(0.1)
    died = jobs.get_job(settings, jobs.list_jobs(settings, "sleepy")[0].job_id)
    assert died.state == "failed"
    assert f"pid {job.pid}) ended without reporting" in died.error
    assert jobs.start_job(settings, "sleepy", item=SLEEPY).is_running


def test_a_failing_job_records_its_error_and_production_stays(settings):
    production = registry.register(
        "diagnostics",
        b"current model",
        started_by="ann",
        parameters={},
        metrics={},
        settings=settings,
    )
    registry.promote("diagnostics", production.version, by="ann", reason="first", settings=settings)
    job = jobs.start_job(settings, "diagnostics", started_by="bob", promote=True)
    failed = jobs.wait_for_job(settings, job.job_id, timeout_s=120)
    assert failed.state == "failed"
    assert "no warehouse has been published" in failed.error
    assert jobs.log_lines(settings, job.job_id)[-1].line == f"error: {failed.error}"
    assert registry.production_version("diagnostics", settings=settings) == production.version
    assert [e.version for e in registry.entries("diagnostics", settings=settings)] == [1]


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"gamma": 1.0}, "unknown diagnostics parameter\\(s\\) gamma"),
        ({"C": -1}, "C must be greater than 0"),
        ({"C": "strong"}, "C must be a number"),
        ({"max_char_features": 1.5}, "max_char_features must be a whole number"),
        ({"classifier": "forest"}, "classifier must be one of logreg, linear_svc"),
        ({"reference_docs": "maybe"}, "reference_docs must be true or false"),
    ],
)
def test_bad_hyperparameters_are_refused_before_any_process_starts(settings, parameters, message):
    with pytest.raises(jobs.JobInputError, match=message):
        jobs.start_job(settings, "diagnostics", parameters=parameters)
    assert jobs.list_jobs(settings) == []


def test_hyperparameters_are_typed_by_their_defaults():
    checked = jobs.validate_parameters(
        family("diagnostics"), {"C": "0.5", "max_char_features": 20000.0, "reference_docs": "yes"}
    )
    assert checked["C"] == 0.5 and checked["max_char_features"] == 20000
    assert checked["reference_docs"] is True and checked["classifier"] == "logreg"


def test_a_window_that_ends_before_it_starts_is_refused(settings):
    with pytest.raises(jobs.JobInputError, match="starts \\(2024-06-01\\) after it ends"):
        jobs.start_job(settings, "quick", item=QUICK, window=(date(2024, 6, 1), date(2024, 1, 1)))
