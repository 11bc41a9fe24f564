"""The ETL run log: a small SQLite file beside the warehouse, copied into it at each publish.

Failed runs must be recorded without touching the published warehouse, so the log of record lives
in its own file (``etl-runs.sqlite`` in the data directory). A run is written as ``running`` when it
starts and finished as ``success`` or ``failed``; a run killed before finishing is marked ``failed``
by the next run (which holds the ETL lock, so nothing else can still be running). Each publish
copies the whole log into the warehouse tables ``etl_runs`` and ``etl_run_tables``.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import polars as pl

RUN_LOG_FILE = "etl-runs.sqlite"
KEEP_QUIET_RUNS = dt.timedelta(days=1)
"""How long successful runs that changed nothing stay in the log (``etl --watch`` makes one a
minute: the latest is what Home shows)."""
KEEP_RUNS = dt.timedelta(days=90)
"""How long any run stays in the log."""
INTERRUPTED = "interrupted before finishing (killed or crashed); the published warehouse was kept"

_DDL = """
CREATE TABLE IF NOT EXISTS etl_runs (
    run_id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL CHECK (status IN ('running', 'success', 'failed')),
    is_full INTEGER NOT NULL,
    duration_s REAL,
    error TEXT
);
CREATE INDEX IF NOT EXISTS etl_runs_started_at ON etl_runs (started_at);
CREATE TABLE IF NOT EXISTS etl_run_tables (
    run_id TEXT NOT NULL REFERENCES etl_runs (run_id),
    table_name TEXT NOT NULL,
    rows_read INTEGER NOT NULL,
    rows_written INTEGER NOT NULL,
    rows_quarantined INTEGER NOT NULL,
    PRIMARY KEY (run_id, table_name)
);
"""

RUNS_SCHEMA = {
    "run_id": pl.String,
    "started_at": pl.Datetime("us"),
    "finished_at": pl.Datetime("us"),
    "status": pl.String,
    "is_full": pl.Boolean,
    "duration_s": pl.Float64,
    "error": pl.String,
}
RUN_TABLES_SCHEMA = {
    "run_id": pl.String,
    "table_name": pl.String,
    "rows_read": pl.Int64,
    "rows_written": pl.Int64,
    "rows_quarantined": pl.Int64,
}


@dataclass
class TableCounts:
    """What one run did to one warehouse table (``rows_read``: ops rows extracted for it)."""

    rows_read: int = 0
    rows_written: int = 0
    rows_quarantined: int = 0


class RunLog:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / RUN_LOG_FILE

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=30)) as connection:
            connection.executescript(_DDL)
            with connection:  # one transaction, committed on success
                yield connection

    def close_interrupted_runs(self, now: dt.datetime) -> int:
        with self._connection() as connection:
            return connection.execute(
                "UPDATE etl_runs SET status = 'failed', finished_at = ?, error = ? "
                "WHERE status = 'running'",
                (now.isoformat(sep=" "), INTERRUPTED),
            ).rowcount

    def prune(self, now: dt.datetime) -> int:
        """Forget runs older than :data:`KEEP_RUNS`, and successful runs that changed nothing
        (no per-table counts) older than :data:`KEEP_QUIET_RUNS`; how many runs went."""
        with self._connection() as connection:
            stale = (
                "SELECT run_id FROM etl_runs WHERE started_at < ? OR (started_at < ? "
                "AND status = 'success' "
                "AND run_id NOT IN (SELECT run_id FROM etl_run_tables))"
            )
            cutoffs = (
                (now - KEEP_RUNS).isoformat(sep=" "),
                (now - KEEP_QUIET_RUNS).isoformat(sep=" "),
            )
            connection.execute(f"DELETE FROM etl_run_tables WHERE run_id IN ({stale})", cutoffs)
            return connection.execute(
                f"DELETE FROM etl_runs WHERE run_id IN ({stale})", cutoffs
            ).rowcount

    def last_success(self) -> dt.datetime | None:
        """When the latest successful run finished."""
        with self._connection() as connection:
            (finished,) = connection.execute(
                "SELECT max(finished_at) FROM etl_runs WHERE status = 'success'"
            ).fetchone()
        return dt.datetime.fromisoformat(finished) if finished else None

    def failures_since(self, moment: dt.datetime | None) -> tuple[int, str | None]:
        """How many runs failed after ``moment`` (all, if None), and the latest one's error."""
        since = (moment or dt.datetime.min).isoformat(sep=" ")
        with self._connection() as connection:
            (count,) = connection.execute(
                "SELECT count(*) FROM etl_runs WHERE status = 'failed' AND started_at > ?", (since,)
            ).fetchone()
            latest = connection.execute(
                "SELECT error FROM etl_runs WHERE status = 'failed' AND started_at > ? "
                "ORDER BY started_at DESC, run_id DESC LIMIT 1",
                (since,),
            ).fetchone()
        return count, latest[0] if latest else None

    def start(self, run_id: str, started_at: dt.datetime, full: bool) -> None:
        with self._connection() as connection:
            connection.execute(
                "INSERT INTO etl_runs (run_id, started_at, status, is_full) "
                "VALUES (?, ?, 'running', ?)",
                (run_id, started_at.isoformat(sep=" "), int(full)),
            )

    def finish(
        self,
        run_id: str,
        status: str,
        finished_at: dt.datetime,
        duration_s: float,
        tables: dict[str, TableCounts],
        error: str | None = None,
    ) -> None:
        with self._connection() as connection:
            connection.execute(
                "UPDATE etl_runs SET status = ?, finished_at = ?, duration_s = ?, error = ? "
                "WHERE run_id = ?",
                (status, finished_at.isoformat(sep=" "), duration_s, error, run_id),
            )
            connection.executemany(
                "INSERT OR REPLACE INTO etl_run_tables VALUES (?, ?, ?, ?, ?)",
                [
                    (run_id, name, c.rows_read, c.rows_written, c.rows_quarantined)
                    for name, c in sorted(tables.items())
                ],
            )

    def frames(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The whole log as (etl_runs, etl_run_tables) frames, oldest run first."""
        with self._connection() as connection:
            runs = connection.execute(
                f"SELECT {', '.join(RUNS_SCHEMA)} FROM etl_runs ORDER BY started_at, run_id"
            ).fetchall()
            tables = connection.execute(
                f"SELECT {', '.join(RUN_TABLES_SCHEMA)} FROM etl_run_tables "
                "ORDER BY run_id, table_name"
            ).fetchall()
        run_frame = pl.DataFrame(
            runs,
            schema={
                **RUNS_SCHEMA,
                "started_at": pl.String,
                "finished_at": pl.String,
                "is_full": pl.Int64,
            },
            orient="row",
        ).with_columns(
            pl.col("started_at", "finished_at").str.to_datetime(time_unit="us"),
            pl.col("is_full").cast(pl.Boolean),
        )
        return run_frame, pl.DataFrame(tables, schema=RUN_TABLES_SCHEMA, orient="row")
