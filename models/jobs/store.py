"""The job store: one SQLite file beside the registry that every process can read.

``models_dir / "jobs.sqlite"`` holds one row per training job and its log lines. A worker process
appends its progress lines here and the page (any session, any server process) or the CLI reads
them back, so streaming a job needs no connection to the process that runs it. Like the
registry, the file runs in WAL mode and every write is one short ``BEGIN IMMEDIATE``.

One job per model kind at a time is a partial unique index on running jobs, so two requests that
race are decided by SQLite, not by whoever looked first.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from core import sidestore
from core.settings import Settings

JOBS_FILE = "jobs.sqlite"
# A job row whose process id was never recorded is given this long to start before it is stale.
START_GRACE = timedelta(seconds=60)
WORKER_MODULE = "models.jobs.worker"

State = Literal["running", "succeeded", "failed", "cancelled"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS training_jobs (
    job_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('running', 'succeeded', 'failed', 'cancelled')),
    started_by TEXT NOT NULL,
    family_json TEXT NOT NULL,
    window_start TEXT,
    window_end TEXT,
    parameters_json TEXT NOT NULL,
    promote INTEGER NOT NULL,
    pid INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    finished_at TEXT,
    message TEXT,
    error TEXT,
    entry_version INTEGER,
    summary TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS one_running_job_per_kind
    ON training_jobs (kind) WHERE state = 'running';
CREATE INDEX IF NOT EXISTS jobs_by_kind ON training_jobs (kind, created_at);
CREATE TABLE IF NOT EXISTS training_job_log (
    job_id TEXT NOT NULL,
    line_no INTEGER NOT NULL,
    logged_at TEXT NOT NULL,
    line TEXT NOT NULL,
    PRIMARY KEY (job_id, line_no)
);
"""


class JobError(RuntimeError):
    """A job request that cannot be served; ``str(error)`` is one line for the user."""


class JobConflictError(JobError):
    """A job of the same kind is already running."""


@dataclass(frozen=True)
class Job:
    """One training job: what was asked, by whom, and how far it got."""

    job_id: str
    kind: str
    state: State
    started_by: str
    family: dict[str, str]
    window_start: str | None
    window_end: str | None
    parameters: dict[str, Any]
    promote: bool
    pid: int | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    message: str | None
    error: str | None
    entry_version: int | None
    summary: str | None

    @property
    def is_running(self) -> bool:
        return self.state == "running"

    @property
    def window(self) -> tuple[date, date] | None:
        """The training window as ``Family.train`` takes it (open ends become date.min/max)."""
        if self.window_start is None and self.window_end is None:
            return None
        start = date.fromisoformat(self.window_start) if self.window_start else date.min
        end = date.fromisoformat(self.window_end) if self.window_end else date.max
        return start, end

    def elapsed(self, now: datetime | None = None) -> timedelta:
        return (self.finished_at or now or _now()) - self.created_at


@dataclass(frozen=True)
class LogLine:
    line_no: int
    logged_at: datetime
    line: str


def jobs_path(settings: Settings) -> Path:
    return settings.models_dir / JOBS_FILE


def insert_job(
    settings: Settings,
    job_id: str,
    *,
    kind: str,
    started_by: str,
    family: dict[str, str],
    window: tuple[date | None, date | None],
    parameters: dict[str, Any],
    promote: bool,
) -> Job:
    """Record a new running job, or raise JobConflictError when one of ``kind`` is running.

    Running jobs whose process has died are marked failed first, so a crashed job never blocks
    its kind for good.
    """
    now = _now()
    with _write(settings) as connection:
        _fail_stale(connection, kind)
        running = connection.execute(
            "SELECT job_id, started_by, created_at FROM training_jobs "
            "WHERE kind = ? AND state = 'running'",
            (kind,),
        ).fetchone()
        if running is not None:
            since = datetime.fromisoformat(running["created_at"])
            raise JobConflictError(
                f"a {kind} training job is already running (job {running['job_id']}, started by "
                f"{running['started_by']} at {since:%H:%M:%S} UTC): wait for it to finish or "
                "cancel it"
            )
        connection.execute(
            "INSERT INTO training_jobs (job_id, kind, state, started_by, family_json, "
            "window_start, window_end, parameters_json, promote, created_at, updated_at) "
            "VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                job_id,
                kind,
                started_by,
                json.dumps(family, sort_keys=True),
                _date_text(window[0]),
                _date_text(window[1]),
                json.dumps(parameters, sort_keys=True, default=str),
                int(promote),
                _iso(now),
                _iso(now),
            ),
        )
    return get_job(settings, job_id)


def set_pid(settings: Settings, job_id: str, pid: int) -> None:
    with _write(settings) as connection:
        connection.execute(
            "UPDATE training_jobs SET pid = ?, updated_at = ? WHERE job_id = ?",
            (pid, _iso(_now()), job_id),
        )


def append_log(settings: Settings, job_id: str, line: str) -> None:
    """Add one progress line to the job's log; it also becomes the job's current message."""
    now = _iso(_now())
    text = line.rstrip()
    with _write(settings) as connection:
        connection.execute(
            "INSERT INTO training_job_log (job_id, line_no, logged_at, line) VALUES (?, "
            "(SELECT COALESCE(MAX(line_no), 0) + 1 FROM training_job_log WHERE job_id = ?), ?, ?)",
            (job_id, job_id, now, text),
        )
        connection.execute(
            "UPDATE training_jobs SET message = ?, updated_at = ? WHERE job_id = ?",
            (text, now, job_id),
        )


def finish_job(
    settings: Settings,
    job_id: str,
    state: State,
    *,
    error: str | None = None,
    entry_version: int | None = None,
    summary: str | None = None,
) -> bool:
    """Move a running job to its final state; False when it had already left ``running`` (a
    cancellation or the stale-job check got there first)."""
    now = _iso(_now())
    with _write(settings) as connection:
        changed = connection.execute(
            "UPDATE training_jobs SET state = ?, error = ?, entry_version = ?, summary = ?, "
            "finished_at = ?, updated_at = ? WHERE job_id = ? AND state = 'running'",
            (state, error, entry_version, summary, now, now, job_id),
        ).rowcount
    return changed == 1


def get_job(settings: Settings, job_id: str) -> Job:
    """One job; JobError if there is none with that id."""
    if jobs_path(settings).exists():
        with _read(settings) as connection:
            row = connection.execute(
                "SELECT * FROM training_jobs WHERE job_id = ?", (job_id,)
            ).fetchone()
        if row is not None:
            return _job_from_row(row)
    raise JobError(f"no training job {job_id}")


def list_jobs(settings: Settings, kind: str | None = None, limit: int = 20) -> list[Job]:
    """The latest jobs (of one kind when given), newest first, stale ones marked failed."""
    if not jobs_path(settings).exists():
        return []
    fail_stale(settings)
    where, params = ("WHERE kind = ?", (kind,)) if kind else ("", ())
    with _read(settings) as connection:
        rows = connection.execute(
            f"SELECT * FROM training_jobs {where} ORDER BY created_at DESC, job_id LIMIT ?",
            (*params, limit),
        ).fetchall()
    return [_job_from_row(row) for row in rows]


def running_job(settings: Settings, kind: str) -> Job | None:
    """The running job of ``kind`` (after the stale check), or None."""
    if not jobs_path(settings).exists():
        return None
    fail_stale(settings)
    with _read(settings) as connection:
        row = connection.execute(
            "SELECT * FROM training_jobs WHERE kind = ? AND state = 'running'", (kind,)
        ).fetchone()
    return None if row is None else _job_from_row(row)


def log_lines(settings: Settings, job_id: str, after: int = 0, last: int = -1) -> list[LogLine]:
    """The job's log lines numbered above ``after``, oldest first (poll with the last number);
    with ``last``, only the newest ``last`` of them (a tail, without reading the whole log)."""
    if not jobs_path(settings).exists():
        return []
    with _read(settings) as connection:
        rows = connection.execute(
            "SELECT line_no, logged_at, line FROM training_job_log "
            "WHERE job_id = ? AND line_no > ? ORDER BY line_no DESC LIMIT ?",
            (job_id, after, last),
        ).fetchall()
    return [LogLine(int(n), datetime.fromisoformat(at), line) for n, at, line in reversed(rows)]


def mark_cancelled(settings: Settings, job_id: str, by: str) -> Job:
    """Record the cancellation of a running job and return it (with the pid to signal)."""
    now = _iso(_now())
    with _write(settings) as connection:
        row = connection.execute(
            "SELECT state FROM training_jobs WHERE job_id = ?", (job_id,)
        ).fetchone()
        if row is None:
            raise JobError(f"no training job {job_id}")
        if row["state"] != "running":
            raise JobError(f"job {job_id} is not running (it {row['state']})")
        connection.execute(
            "UPDATE training_jobs SET state = 'cancelled', error = ?, finished_at = ?, "
            "updated_at = ? WHERE job_id = ?",
            (f"cancelled by {by}", now, now, job_id),
        )
    return get_job(settings, job_id)


def fail_stale(settings: Settings) -> None:
    """Mark running jobs whose process is gone as failed (a crash, a kill, a reboot)."""
    with _read(settings) as connection:
        rows = connection.execute(
            "SELECT job_id, pid, created_at FROM training_jobs WHERE state = 'running'"
        ).fetchall()
    if any(_stale_reason(row) for row in rows):
        with _write(settings) as connection:
            _fail_stale(connection, None)


def process_alive(pid: int, job_id: str) -> bool:
    """Whether ``pid`` is still this job's worker (not exited, not a zombie, not a reused pid)."""
    proc = Path(f"/proc/{pid}")
    if proc.parent.exists() and Path("/proc/self").exists():
        try:
            stat = (proc / "stat").read_text()
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            return False
        state = stat.rsplit(")", 1)[-1].split()[0]
        return state not in {"Z", "X"} and job_id.encode() in cmdline
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stale_reason(row: sqlite3.Row) -> str | None:
    if row["pid"] is None:
        if _now() - datetime.fromisoformat(row["created_at"]) > START_GRACE:
            return "the training process never started"
        return None
    if not process_alive(int(row["pid"]), row["job_id"]):
        return f"the training process (pid {row['pid']}) ended without reporting a result"
    return None


def _fail_stale(connection: sqlite3.Connection, kind: str | None) -> None:
    where, params = ("AND kind = ?", (kind,)) if kind else ("", ())
    rows = connection.execute(
        f"SELECT job_id, pid, created_at FROM training_jobs WHERE state = 'running' {where}",
        params,
    ).fetchall()
    now = _iso(_now())
    for row in rows:
        reason = _stale_reason(row)
        if reason:
            connection.execute(
                "UPDATE training_jobs SET state = 'failed', error = ?, finished_at = ?, "
                "updated_at = ? WHERE job_id = ? AND state = 'running'",
                (reason, now, now, row["job_id"]),
            )


def _job_from_row(row: sqlite3.Row) -> Job:
    def moment(value: str | None) -> datetime | None:
        return None if value is None else datetime.fromisoformat(value)

    return Job(
        job_id=row["job_id"],
        kind=row["kind"],
        state=row["state"],
        started_by=row["started_by"],
        family=json.loads(row["family_json"]),
        window_start=row["window_start"],
        window_end=row["window_end"],
        parameters=json.loads(row["parameters_json"]),
        promote=bool(row["promote"]),
        pid=row["pid"],
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
        finished_at=moment(row["finished_at"]),
        message=row["message"],
        error=row["error"],
        entry_version=row["entry_version"],
        summary=row["summary"],
    )


@contextmanager
def _read(settings: Settings) -> Iterator[sqlite3.Connection]:
    with sidestore.reading(jobs_path(settings)) as connection:
        yield connection


@contextmanager
def _write(settings: Settings) -> Iterator[sqlite3.Connection]:
    with sidestore.writing(jobs_path(settings), _SCHEMA) as connection:
        yield connection


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _date_text(value: date | None) -> str | None:
    if value is None or value in (date.min, date.max):
        return None
    return value.isoformat()
