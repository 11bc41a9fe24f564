"""Starting and cancelling background training jobs.

``start_job`` checks the request, records the job (refusing a second running job of the same
kind: requests are not queued, so whoever asks sees at once that someone else is training and
can decide to wait or cancel), then starts ``python -m models.jobs.worker JOB_ID`` in its own
process group. The page or command that asked returns immediately; progress is read back from
the job store. ``cancel_job`` records the cancellation and terminates the worker's process group
(SIGTERM, then SIGKILL after a grace period), so processes a family forks die with it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from core.errors import first_line
from core.settings import Settings
from models.jobs import store
from models.jobs.parameters import check_window, validate_parameters
from models.jobs.store import Job, JobError
from models.registry import current_user
from models.training import Family, family

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CANCEL_GRACE_S = 5.0


def start_job(
    settings: Settings,
    kind: str,
    *,
    started_by: str | None = None,
    window: tuple[date | None, date | None] = (None, None),
    parameters: Mapping[str, Any] | None = None,
    promote: bool = False,
    item: Family | None = None,
) -> Job:
    """Validate the request, record the job and start its worker; returns the running job.

    ``item`` defaults to the catalogue's family for ``kind``. Raises ``JobInputError`` for a bad
    window or hyperparameter and ``JobConflictError`` when a job of ``kind`` is running.
    """
    item = item or family(kind)
    checked = validate_parameters(item, parameters)
    window = check_window(*window)
    job_id = uuid.uuid4().hex[:12]
    store.insert_job(
        settings,
        job_id,
        kind=item.kind,
        started_by=(started_by or "").strip() or current_user(),
        family={k: v for k, v in asdict(item).items() if k != "choices"},
        window=window,
        parameters=checked,
        promote=promote,
    )
    log_dir = settings.models_dir / "jobs"
    log_dir.mkdir(parents=True, exist_ok=True)
    try:
        with (log_dir / f"{job_id}.log").open("ab") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", store.WORKER_MODULE, job_id],
                cwd=PROJECT_ROOT,
                env=_worker_environment(settings),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
    except OSError as error:
        store.finish_job(settings, job_id, "failed", error=f"could not start: {first_line(error)}")
        raise JobError(f"could not start the training process: {first_line(error)}") from None
    store.set_pid(settings, job_id, process.pid)
    # Reap the worker when it exits so that it does not linger as a zombie of a long-lived
    # server process (and so the stale-job check sees it as gone).
    threading.Thread(target=process.wait, name=f"reap-job-{job_id}", daemon=True).start()
    return store.get_job(settings, job_id)


def cancel_job(
    settings: Settings, job_id: str, by: str | None = None, grace_s: float = CANCEL_GRACE_S
) -> Job:
    """Cancel a running job: record who cancelled it, then stop its process group."""
    job = store.mark_cancelled(settings, job_id, (by or "").strip() or current_user())
    if job.pid is not None:
        _terminate_group(job.pid, job_id, grace_s)
    return job


def follow_job(
    settings: Settings, job_id: str, echo: Callable[[str], None], poll_s: float = 0.5
) -> Job:
    """Pass the job's log lines to ``echo`` as they arrive until it ends; returns the ended job.
    Interrupting (Ctrl-C) cancels the job, so a terminal never leaves one running unseen."""
    shown = 0
    try:
        while True:
            for line in store.log_lines(settings, job_id, after=shown):
                echo(line.line)
                shown = line.line_no
            store.fail_stale(settings)
            job = store.get_job(settings, job_id)
            if not job.is_running:
                for line in store.log_lines(settings, job_id, after=shown):
                    echo(line.line)
                return job
            time.sleep(poll_s)
    except KeyboardInterrupt:
        return cancel_job(settings, job_id)


def wait_for_job(settings: Settings, job_id: str, timeout_s: float = 600) -> Job:
    """Block until the job has left ``running`` (for schedulers and tests)."""
    deadline = time.monotonic() + timeout_s
    while True:
        store.fail_stale(settings)
        job = store.get_job(settings, job_id)
        if not job.is_running:
            return job
        if time.monotonic() > deadline:
            raise JobError(f"job {job_id} still running after {timeout_s:.0f} s")
        time.sleep(0.2)


def _terminate_group(pid: int, job_id: str, grace_s: float) -> None:
    if not store.process_alive(pid, job_id):
        return
    try:
        os.killpg(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        if not store.process_alive(pid, job_id):
            return
        time.sleep(0.1)
    # Still there: stuck in native code that does not return to the interpreter.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _worker_environment(settings: Settings) -> dict[str, str]:
    env = {**os.environ, "REPAIRLENS_DATA_DIR": str(settings.data_dir.resolve())}
    if settings.ops_db_url:
        env["REPAIRLENS_OPS_DB_URL"] = settings.ops_db_url
    else:
        env.pop("REPAIRLENS_OPS_DB_URL", None)
    env["PYTHONPATH"] = os.pathsep.join(
        part for part in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if part
    )
    return env
