"""``repairlens etl``: extract → validate → stage → marts → checks → publish, one run at a time.

A run works on a private copy of the warehouse (a fresh file for ``--full`` or the first run) and
publishes it with an atomic rename only after every data check passed, so readers never see a
half-loaded warehouse and a failed or killed run leaves the published one as it was. See
``warehouse/README.md`` for the incremental strategy and the files in the data directory.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from core.db import is_sqlite, make_engine
from core.errors import first_line
from core.settings import Settings
from ops.migrate import current_revision, head_revision
from pipelines import load
from pipelines.errors import EtlError
from pipelines.extract import OpsReader, ops_snapshot
from pipelines.lock import etl_lock
from pipelines.marts import Progress, build_marts
from pipelines.runlog import RunLog, TableCounts
from pipelines.sources import SourceTable, source_tables
from pipelines.transform import stg_table
from pipelines.validate import row_key, validate
from warehouse import publish
from warehouse.checks import run_checks
from warehouse.reader import warehouse_version

__all__ = ["EtlError", "EtlRunSummary", "TableCounts", "run_etl"]

WATERMARK_OVERLAP = dt.timedelta(minutes=15)
"""How far before the last watermark each incremental run re-reads. A row whose transaction set
``updated_at`` before our previous snapshot but committed after it would otherwise be skipped for
good; 15 minutes covers any transaction the booking API or the generator holds open."""

DELETION_LOG = "deleted_rows"
"""The ops table where triggers log deleted rows (migration 0003), and its watermark's name."""

DELETION_LOG_OVERLAP = dt.timedelta(days=1)
"""How far before its watermark each run reads the deletion log again. A deletion is stamped
with its transaction's start, so one held open past the row overlap would be missed for good (a
deleted row, unlike an updated one, never shows up again); the log is small and indexed, and ids
already gone from staging and quarantine are skipped at once."""

MAX_RE_READ_REPAIRS = 5_000
"""Above this many repairs with a moved intake time, all status events are read again instead."""


@dataclass
class EtlRunSummary:
    run_id: str
    status: str  # "success" or "failed"
    started_at: dt.datetime
    finished_at: dt.datetime
    duration_s: float
    full: bool
    tables: dict[str, TableCounts] = field(default_factory=dict)  # by warehouse table name
    error: str | None = None
    published: bool = False  # False for a failed run, or one that found nothing to change

    @property
    def rows_read(self) -> int:
        return sum(t.rows_read for t in self.tables.values())

    @property
    def rows_written(self) -> int:
        return sum(t.rows_written for t in self.tables.values())

    @property
    def rows_quarantined(self) -> int:
        return sum(t.rows_quarantined for t in self.tables.values())


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def new_run_id(now: dt.datetime) -> str:
    """Sortable by start time, unique across concurrent attempts."""
    return f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def run_etl(
    settings: Settings,
    full: bool = False,
    progress: Progress | None = None,
    prune: bool = True,
) -> EtlRunSummary:
    """Load the operational database into the warehouse and publish it; see the module docstring.

    ``prune=False`` keeps the old versions a publish would delete, for a caller that prunes them
    later (``publish.prune_versions``) off the path to the new version, as the watch does.

    Raises :class:`EtlError` (one line: what is wrong, what to run) when the run cannot start or
    fails; the run is recorded in the run log either way.
    """
    say = progress or (lambda _message: None)
    with etl_lock(settings.data_dir):
        started_at, clock = _utcnow(), time.perf_counter()
        run_id = new_run_id(started_at)
        log = RunLog(settings.data_dir)
        log.close_interrupted_runs(started_at)
        log.prune(started_at)
        for stale in publish.remove_stale_work_files(settings):
            say(f"removed {stale.name}, left by an interrupted run")
        log.start(run_id, started_at, full)
        tables: dict[str, TableCounts] = {}

        published = False

        def summary(status: str, error: str | None = None) -> EtlRunSummary:
            return EtlRunSummary(
                run_id,
                status,
                started_at,
                _utcnow(),
                time.perf_counter() - clock,
                full,
                tables,
                error,
                published,
            )

        def record(result: EtlRunSummary, changed: bool = True) -> None:
            # A run that changed nothing keeps no per-table counts: under `etl --watch` that is
            # most runs, and their counts say nothing the run's own row does not.
            counts = tables if changed else {}
            log.finish(
                run_id, result.status, result.finished_at, result.duration_s, counts, result.error
            )

        def record_success(changed: bool) -> None:
            record(summary("success"), changed)

        try:
            published = _run(settings, run_id, full, tables, say, record_success, log, prune)
        except BaseException as error:
            message = str(error) if isinstance(error, EtlError) else _unexpected(error, run_id)
            record(summary("failed", message))
            if isinstance(error, Exception) and not isinstance(error, EtlError):
                raise EtlError(message) from error
            raise
        result = summary("success")
        record(result, published)
        if published:
            say(f"published {settings.warehouse_path} (run {run_id})")
        else:
            say(f"nothing changed: {settings.warehouse_path} stays as it was (run {run_id})")
        return result


def _unexpected(error: BaseException, run_id: str) -> str:
    reason = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return (
        f"ETL run {run_id} failed ({type(error).__name__}: {reason}); the published warehouse is "
        "unchanged: fix the cause, then run `repairlens etl`"
    )


def _run(
    settings: Settings,
    run_id: str,
    full: bool,
    tables: dict[str, TableCounts],
    say: Progress,
    record_success: Callable[[bool], None],
    log: RunLog,
    prune: bool,
) -> bool:
    """Build and publish; False when an incremental run found nothing to change: then the
    published version stays (readers keep their caches) and the copy becomes the next run's
    spare (``publish.keep_as_spare``)."""
    engine = check_ops_database(settings.ops_url)
    try:
        faults = fault_taxonomy()
        fresh = full or not settings.warehouse_path.exists()
        say("building a new warehouse" if fresh else "updating a copy of the published warehouse")
        base_version = warehouse_version(settings)
        work = publish.private_copy(settings, run_id, fresh)
        try:
            con = duckdb.connect(str(work))
            try:
                quarantine_changes = stage_all(con, engine, run_id, fresh, faults, tables, say)
                built = build_marts(con, faults, fresh, say)
                for name, written in built.items():
                    tables.setdefault(name, TableCounts()).rows_written += written.rows
                changed = (
                    fresh or quarantine_changes > 0 or any(t.rows_written for t in tables.values())
                )
                if changed:
                    # An incremental run checks the rows it rebuilt; a full run checks everything.
                    checked = check_marts(
                        con, None if fresh else {n: w.scope for n, w in built.items() if w.rows}
                    )
                    say(f"data checks: {checked} passed")
                record_success(changed)  # first, so the warehouse's copy of the log shows it
                if changed:
                    copy_run_log(con, log)
                    con.execute("CHECKPOINT")
            finally:
                con.close()
            if not changed:
                publish.keep_as_spare(settings, work, base_version)
                return False
            publish.publish(settings, work, prune)
            return True
        finally:
            publish.discard(work)
    finally:
        engine.dispose()


def check_ops_database(url: str) -> Engine:
    """An engine on the operational database, or EtlError if it is missing, behind or empty."""
    shown = make_url(url).render_as_string(hide_password=True)
    if is_sqlite(url):
        database = make_url(url).database
        if not database or database == ":memory:" or not Path(database).exists():
            raise EtlError(
                f"operational database {database} does not exist: run `repairlens generate` "
                "(or `repairlens migrate` to start an empty one)"
            )
    engine = make_engine(url)
    try:
        revision, head = current_revision(engine), head_revision()
        if revision != head:
            raise EtlError(
                f"operational database is at revision {revision}, head is {head}: "
                "run `repairlens migrate`"
            )
        with engine.connect() as conn:  # the pool's connection: no second connection set-up
            empty = not any(
                conn.exec_driver_sql(f'SELECT 1 FROM "{source.name}" LIMIT 1').first()
                for source in source_tables().values()
            )
        if empty:
            raise EtlError("operational database is empty: run `repairlens generate`")
    except DBAPIError as error:
        engine.dispose()
        reason = first_line(error.orig or error)
        raise EtlError(
            f"cannot reach the operational database at {shown} ({reason}): start it or fix "
            "REPAIRLENS_OPS_DB_URL, then run `repairlens etl`"
        ) from None
    except EtlError:
        engine.dispose()
        raise
    return engine


def fault_taxonomy() -> pl.DataFrame:
    from data.reference import faults  # reference data shipped with the project, not the ops DB

    return faults()


def stage_all(
    con: duckdb.DuckDBPyConnection,
    engine: Engine,
    run_id: str,
    fresh: bool,
    faults: pl.DataFrame,
    tables: dict[str, TableCounts],
    say: Progress,
) -> int:
    """Bring every staging table and the quarantine up to date with one ops snapshot; returns
    how many quarantine entries were added or removed."""
    watermarks = {} if fresh else load.read_watermarks(con)
    if not fresh:
        missing = [
            s.staging_name
            for s in source_tables().values()
            if not load.table_exists(con, s.staging_name)
        ]
        if missing:
            raise EtlError(
                f"the published warehouse lacks {', '.join(missing)}: run `repairlens etl --full`"
            )
    load.ensure_quarantine(con)
    fault_codes = frozenset(faults["code"].to_list())
    sources = source_tables()
    now = _utcnow()
    quarantine_changes = 0
    with ops_snapshot(engine) as ops, ThreadPoolExecutor(max_workers=1) as background:
        # A watermark never passes the snapshot's own clock: rows stamped in the future (clock
        # skew, or generated history ending later today) must not hide later real updates.
        ceiling = ops.now()
        prefetch = _Prefetch(ops, background, list(sources.values())) if fresh else None
        logged = watermarks.get(DELETION_LOG)
        deleted = (
            {} if fresh else ops.deleted_ids(logged - DELETION_LOG_OVERLAP if logged else None)
        )
        for source in sources.values():
            since = watermarks.get(source.name)
            read_from = since - WATERMARK_OVERLAP if since else None
            also = None
            if source.name == "repair_status_events" and read_from is not None:
                # Events are judged against their repair's intake time: if it moved, read the
                # repair's events again, quarantined ones included.
                moved = repairs_with_moved_intake(con, read_from)
                if len(moved) > MAX_RE_READ_REPAIRS:
                    read_from = None
                also = ("repair_id", moved)
            stage = _TableStager(con, ops, source, run_id, now, fault_codes, fresh)
            if prefetch is not None:
                raw = stage.stage(prefetch.rows(source))
            elif source.key == ("id",):
                stage.remove_deleted(deleted.get(source.name, []))
                raw = stage.apply(read_from, also, above=stage.highest_known_id())
                if logged is None:  # a warehouse from before the log: deletions made then too
                    stage.reconcile_with_ops(ops.count(source))
            else:  # no deletion log for composite keys: compare row counts (small tables)
                raw = stage.apply(read_from, also)
                stage.reconcile_with_ops(ops.count(source))
            latest = raw["updated_at"].max()
            if latest is not None:
                seen = min(latest, ceiling)
                watermarks[source.name] = max(seen, since) if since else seen
            tables[source.staging_name] = stage.counts
            quarantine_changes += stage.quarantine_changes
            say(
                f"{source.staging_name}: {stage.counts.rows_read:,} read, "
                f"{stage.counts.rows_written:,} written, "
                f"{stage.counts.rows_quarantined:,} quarantined"
            )
        watermarks[DELETION_LOG] = ceiling
    load.write_watermarks(con, watermarks)
    return quarantine_changes


class _Prefetch:
    """Reads whole tables ahead of their use in a background thread, so the next tables cross
    the wire while this one is validated and loaded (ADBC and DuckDB both release the GIL).

    Up to ``AHEAD`` tables are queued: one ahead left the reader idle whenever a small table
    came after a large one, and the loader then waited for it (4.8 s of a 28 s full run). Only
    one query runs on the snapshot's connection at a time (one reader thread)."""

    AHEAD = 2

    def __init__(
        self, ops: OpsReader, background: ThreadPoolExecutor, tables: list[SourceTable]
    ) -> None:
        self._ops, self._background, self._queue = ops, background, deque(tables)
        self._pending: deque[tuple[str, Future[pl.DataFrame]]] = deque()
        self._fill()

    def _fill(self) -> None:
        while self._queue and len(self._pending) < self.AHEAD:
            table = self._queue.popleft()
            self._pending.append((table.name, self._background.submit(self._ops.rows, table)))

    def rows(self, table: SourceTable) -> pl.DataFrame:
        """All rows of ``table``, which must be the next table in the list."""
        name, future = self._pending.popleft()
        assert name == table.name
        self._fill()
        return future.result()


def repairs_with_moved_intake(
    con: duckdb.DuckDBPyConnection, created_before: dt.datetime
) -> list[int]:
    """Repairs staged this run whose events were judged against another ``received_at``: it
    changed, or the repair comes back from quarantine (no staged version, created earlier than
    this run's read window, so not new)."""
    rows = con.execute(
        f"SELECT c.repair_id FROM {load.changed_table('stg_repairs')} AS c "
        f"LEFT JOIN {load.previous_table('stg_repairs')} AS p USING (repair_id) "
        "WHERE (p.repair_id IS NOT NULL AND p.received_at <> c.received_at) "
        "OR (p.repair_id IS NULL AND c.created_at < ?)",
        [created_before],
    ).fetchall()
    return [repair_id for (repair_id,) in rows]


class _TableStager:
    """Validates and stages the rows of one ops table read in this run's snapshot."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        ops: OpsReader,
        source: SourceTable,
        run_id: str,
        now: dt.datetime,
        fault_codes: frozenset[str],
        fresh: bool,
    ) -> None:
        self.con, self.ops, self.source = con, ops, source
        self.run_id, self.now, self.fault_codes, self.fresh = run_id, now, fault_codes, fresh
        self.counts = TableCounts()
        self.quarantine_changes = 0  # entries added or removed

    def apply(
        self,
        since: dt.datetime | None,
        also: tuple[str, list[int]] | None = None,
        above: int | None = None,
    ) -> pl.DataFrame:
        """Read rows (all, or changed since ``since`` plus ``also`` and ids ``above``) and
        :meth:`stage` them."""
        return self.stage(self.ops.rows(self.source, since, also, above))

    def _held_ids(self, ids: list[int]) -> set[int]:
        """Those of ``ids`` still staged or quarantined (the log is read with a day's overlap,
        so most logged ids were removed by an earlier run)."""
        if not ids:
            return set()
        key, source = self.source.staging_key[0], self.source
        with load.registered(
            self.con, "_logged", pl.DataFrame({"id": ids}, schema={"id": pl.Int64})
        ):
            rows = self.con.execute(
                f"SELECT {key} FROM {source.staging_name} WHERE {key} IN (SELECT id FROM _logged) "
                "UNION SELECT TRY_CAST(row_key AS BIGINT) FROM quarantine WHERE table_name = ? "
                "AND TRY_CAST(row_key AS BIGINT) IN (SELECT id FROM _logged)",
                [source.name],
            ).fetchall()
        return {row[0] for row in rows}

    def highest_known_id(self) -> int:
        """The highest id staged or quarantined: rows above it are new, whatever their
        ``updated_at`` says (a bulk load with historical timestamps)."""
        source = self.source
        (highest,) = self.con.execute(
            f"SELECT greatest(max({source.staging_key[0]}), (SELECT max(TRY_CAST(row_key AS "
            f"BIGINT)) FROM quarantine WHERE table_name = ?)) FROM {source.staging_name}",
            [source.name],
        ).fetchall()[0]
        return highest or 0

    def remove_deleted(self, ids: list[int]) -> None:
        """Forget the rows with these ids, logged as deleted in the ops database, unless the
        snapshot holds them again (deleted, then inserted again with the same id)."""
        held = self._held_ids(ids)
        gone = sorted(held - set(self.ops.existing_ids(self.source, sorted(held))))
        if not gone:
            return
        keys = pl.DataFrame(
            {self.source.staging_key[0]: gone}, schema={self.source.staging_key[0]: pl.Int64}
        )
        self.counts.rows_written += load.delete_keys(
            self.con, self.source.staging_name, self.source.staging_key, keys
        )
        self.quarantine_changes += load.drop_quarantined(
            self.con, self.source.name, pl.DataFrame({"row_key": [str(i) for i in gone]})
        )
        self.counts.rows_quarantined = self._held_in_quarantine()

    def stage(self, raw: pl.DataFrame) -> pl.DataFrame:
        """Validate raw rows, upsert the valid ones, quarantine the others; returns ``raw``."""
        source, con = self.source, self.con
        checked = validate(source, raw, self.fault_codes, self._repair_received_at(raw))
        staged = stg_table(source, checked.valid)
        if self.fresh:
            load.ensure_table(con, source.staging_name, staged)
            with load.registered(con, "_rows", staged):
                con.execute(f"INSERT INTO {source.staging_name} SELECT * FROM _rows")
            written = staged.height
        else:
            written = load.upsert(con, source.staging_name, source.staging_key, staged)
            invalid_keys = stg_table(source, checked.invalid).select(source.staging_key)
            written += load.delete_keys(con, source.staging_name, source.staging_key, invalid_keys)
        self.quarantine_changes += load.update_quarantine(
            con,
            source.name,
            # A fresh warehouse has no earlier entries to replace.
            None if self.fresh else raw.select(row_key(source.key).alias("row_key")),
            checked.quarantined,
            self.run_id,
            self.now,
        )
        self.counts.rows_read += raw.height
        self.counts.rows_written += written
        self.counts.rows_quarantined = self._held_in_quarantine()
        return raw

    def _held_in_quarantine(self) -> int:
        return load.count_rows(self.con, "quarantine", f"table_name = '{self.source.name}'")

    def _repair_received_at(self, raw: pl.DataFrame) -> pl.DataFrame | None:
        """``id``/``received_at`` of the repairs that ``raw`` status events belong to."""
        if self.source.name != "repair_status_events":
            return None
        with load.registered(self.con, "_events", raw.select("repair_id").unique()):
            # Quarantined repairs are judged too: their raw row is in the quarantine table.
            return self.con.sql(
                "SELECT repair_id AS id, received_at FROM stg_repairs "
                "WHERE repair_id IN (SELECT repair_id FROM _events) "
                "UNION ALL SELECT CAST(row_key AS BIGINT), "
                "CAST(json_extract_string(raw_row, '$.received_at') AS TIMESTAMP) "
                "FROM quarantine WHERE table_name = 'repairs' "
                "AND CAST(row_key AS BIGINT) IN (SELECT repair_id FROM _events)"
            ).pl()

    def reconcile_with_ops(self, ops_rows: int) -> None:
        """Catch deletions (and rows the watermark missed) by comparing row counts, then keys;
        for tables without a deletion log (composite keys), which are small.

        After the upsert every ops row read is held in staging or quarantine, so staging +
        quarantine holding more rows than the ops table means rows were deleted there, and fewer
        means rows were written with an ``updated_at`` older than our watermark (a bulk load with
        historical timestamps): that table is read again in full.
        """
        source, con = self.source, self.con
        if self._held() < ops_rows:
            self.apply(since=None)
        if self._held() > ops_rows:
            keys = self.ops.keys(source)
            staged_keys = stg_table(source, keys)
            self.counts.rows_written += load.delete_keys(
                con, source.staging_name, source.staging_key, staged_keys, keep=True
            )
            self.quarantine_changes += load.drop_quarantined(
                con, source.name, keys.select(row_key(source.key).alias("row_key")), keep=True
            )
            self.counts.rows_quarantined = self._held_in_quarantine()

    def _held(self) -> int:
        return load.count_rows(self.con, self.source.staging_name) + self._held_in_quarantine()


def check_marts(con: duckdb.DuckDBPyConnection, scopes: dict[str, str] | None) -> int:
    """Run the data checks (over ``scopes``, see warehouse/checks.py); how many passed, or
    EtlError naming the first failures."""
    results = run_checks(con, scopes)
    failed = [result for result in results if not result.passed]
    if failed:
        listed = ", ".join(f"{r.name} ({r.violations:,} rows)" for r in failed[:3])
        more = f" and {len(failed) - 3} more" if len(failed) > 3 else ""
        raise EtlError(
            f"data checks failed: {listed}{more}; nothing was published: fix the source rows or "
            "the transform, then run `repairlens etl`"
        )
    return len(results)


def copy_run_log(con: duckdb.DuckDBPyConnection, log: RunLog) -> None:
    """Replace the warehouse's etl_runs/etl_run_tables with the run log file's contents."""
    runs, run_tables = log.frames()
    for name, frame in (("etl_runs", runs), ("etl_run_tables", run_tables)):
        if load.table_exists(con, name):
            con.execute(f"DROP TABLE {name}")
        load.create_table(con, name, frame)
        with load.registered(con, "_log", frame):
            con.execute(f"INSERT INTO {name} SELECT * FROM _log")
