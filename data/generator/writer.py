"""Writing the generated tables: refuse a database that already has history, write each table with
``ops.bulk.bulk_insert`` while the next one is being built, and on PostgreSQL load the way its
manual recommends for bulk loads ("Populating a Database": drop indexes and foreign keys, load,
recreate them, ANALYZE).
"""

from __future__ import annotations

import datetime as dt
import json
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa
from sqlalchemy import Connection, Engine, text

from ops.bulk import bulk_insert

GUARDED_TABLES = ("repairs", "stores")
_REBUILD_MEMORY = "256MB"  # per connection, for index sorts and foreign-key checks
_CONCURRENT_CHUNK_ROWS = 1_000_000
_REBUILD_CONNECTIONS = 2


class DatabaseNotEmptyError(RuntimeError):
    """The target database already holds a history; the generator only fills empty ones."""


def ensure_empty(engine: Engine) -> None:
    """Raise DatabaseNotEmptyError if ``repairs`` or ``stores`` has rows."""
    with engine.connect() as conn:
        for table in GUARDED_TABLES:
            if conn.execute(text(f"SELECT 1 FROM {_quoted(table)} LIMIT 1")).first():
                raise DatabaseNotEmptyError(
                    f"The {table} table already has rows; the history generator only fills an "
                    f"empty operational database. Point it at a new database (migrated with "
                    f"ops.migrate.upgrade_to_head) or empty the operational tables first."
                )


def write_tables(
    engine: Engine,
    tables: Iterable[tuple[str, pl.DataFrame]],
    say: Callable[[str], None],
    concurrent: bool = False,
) -> dict[str, int]:
    """Write (table, frame) pairs, in the given order unless ``concurrent``; returns rows written
    per table.

    Writer threads write while the caller's iterator builds the next table (numpy and polars
    release the GIL, and the database parses in its own process). ``concurrent`` (for loads with
    foreign keys dropped) uses two writers and splits big tables into chunks they share.
    """
    writers = 2 if concurrent else 1
    sqlite = engine.dialect.name == "sqlite"
    chunk_rows = _CONCURRENT_CHUNK_ROWS if concurrent else None
    written: dict[str, int] = {}
    lock = threading.Lock()
    pending: queue.Queue[tuple[str, pl.DataFrame] | None] = queue.Queue(maxsize=writers + 1)
    failure: list[BaseException] = []

    def writer() -> None:
        while (item := pending.get()) is not None:
            if failure:
                continue  # keep draining so the producer never blocks
            table, frame = item
            try:
                text_frame = timestamps_as_text(frame, microseconds=sqlite)
                rows = bulk_insert(engine, table, text_frame)
                with lock:
                    written[table] = written.get(table, 0) + rows
            except BaseException as error:  # re-raised in the caller's thread
                failure.append(error)

    threads = [
        threading.Thread(target=writer, name=f"history-writer-{i}", daemon=True)
        for i in range(writers)
    ]
    for thread in threads:
        thread.start()
    try:
        for table, frame in tables:
            if failure:
                break
            say(f"writing {table} ({frame.height:,} rows)")
            for piece in _chunks(frame, chunk_rows):
                pending.put((table, piece))
    finally:
        for _ in threads:
            pending.put(None)
        for thread in threads:
            thread.join()
    if failure:
        raise failure[0]
    return written


def _chunks(frame: pl.DataFrame, rows: int | None) -> Iterator[pl.DataFrame]:
    if rows is None or frame.height <= rows:
        yield frame
        return
    yield from frame.iter_slices(rows)


def timestamps_as_text(frame: pl.DataFrame, microseconds: bool = True) -> pl.DataFrame:
    """Datetime columns as 'YYYY-MM-DD HH:MM:SS[.000000]' text, the form the bulk paths send.

    Formatting millions of datetimes through strftime dominates the CSV encoding for COPY. The
    generator's timestamps are whole seconds, so the text is assembled from per-day and
    per-second lookup tables instead. SQLite keeps the microseconds SQLAlchemy itself writes
    there (its timestamps are compared as text); PostgreSQL parses either form to the same value.
    Columns with fractional seconds are left to ``bulk_insert``.
    """
    converted: dict[str, pl.Series] = {}
    for name, dtype in frame.schema.items():
        if not isinstance(dtype, pl.Datetime):
            continue
        column = frame[name]
        same = next(
            (text for other, text in converted.items() if frame[other].equals(column)), None
        )
        converted[name] = (same if same is not None else _as_text(column, microseconds)).alias(name)
    return frame.with_columns(converted.values()) if converted else frame


def _as_text(column: pl.Series, microseconds: bool) -> pl.Series:
    micros = column.dt.epoch("us")
    present = column.is_not_null().to_numpy()
    if not present.any() or (micros.drop_nulls() % 1_000_000 != 0).any():
        return column
    seconds = (micros // 1_000_000).fill_null(0).to_numpy()
    first_day = int(seconds[present].min()) // 86_400
    last_day = int(seconds[present].max()) // 86_400
    days = _day_texts(first_day, last_day)
    clock = _CLOCK_WITH_MICROSECONDS if microseconds else _CLOCK
    width = days.itemsize + clock.itemsize
    text = np.empty(seconds.size, dtype=[("day", days.dtype), ("clock", clock.dtype)])
    text["day"] = days[np.clip(seconds // 86_400 - first_day, 0, days.size - 1)]
    text["clock"] = clock[seconds % 86_400]
    offsets = np.arange(seconds.size + 1, dtype=np.int64) * width
    strings = pa.LargeStringArray.from_buffers(
        seconds.size, pa.py_buffer(offsets), pa.py_buffer(text)
    )
    return pl.Series(column.name, strings).scatter(np.flatnonzero(~present), None)


def _day_texts(first_day: int, last_day: int) -> np.ndarray:
    epoch = dt.date(1970, 1, 1)
    return np.array(
        [(epoch + dt.timedelta(days=d)).isoformat() for d in range(first_day, last_day + 1)],
        dtype="S10",
    )


_CLOCK = np.array(
    [f" {h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)],
    dtype="S9",
)
_CLOCK_WITH_MICROSECONDS = np.char.add(_CLOCK, b".000000")


@contextmanager
def bulk_load(engine: Engine, tables: Iterable[str], say: Callable[[str], None]) -> Iterator[None]:
    """Load-friendly schema for the duration of the block.

    PostgreSQL: foreign keys, unique constraints and secondary indexes of ``tables`` are dropped
    for the load and recreated afterwards (validating every row), then ANALYZE runs. Partial
    indexes stay (PostgreSQL would re-word their WHERE clause on re-creation). SQLite:
    explicit indexes are dropped and recreated (SQLite still checks foreign keys on insert).
    If the load fails, the tables are emptied before the definitions are restored, leaving the
    database as it was.
    """
    tables = list(tables)
    if engine.dialect.name == "sqlite":
        with _sqlite_indexes_dropped(engine, tables, say):
            yield
        return
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.begin() as conn:
        definitions = _constraint_definitions(conn, tables)
        for statement in definitions.drops:
            conn.execute(text(statement))
    try:
        yield
    except BaseException:
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(_quoted(t) for t in tables)}"))
            definitions.restore(conn)
        raise
    say("rebuilding indexes and foreign keys")
    definitions.restore_concurrently(engine)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"ANALYZE {', '.join(_quoted(t) for t in tables)}"))


@contextmanager
def _sqlite_indexes_dropped(
    engine: Engine, tables: list[str], say: Callable[[str], None]
) -> Iterator[None]:
    with engine.begin() as conn:
        indexes = conn.execute(
            text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                "AND tbl_name IN (SELECT value FROM json_each(:tables)) ORDER BY name"
            ),
            {"tables": json.dumps(tables)},
        ).all()
        for name, _ in indexes:
            conn.execute(text(f"DROP INDEX {_quoted(name)}"))
    try:
        yield
    except BaseException:
        with engine.begin() as conn:
            for table in reversed(tables):
                conn.execute(text(f"DELETE FROM {_quoted(table)}"))
            for _, definition in indexes:
                conn.execute(text(definition))
        raise
    say("rebuilding indexes")
    with engine.begin() as conn:
        for _, definition in indexes:
            conn.execute(text(definition))


@dataclass(frozen=True)
class _Constraint:
    table: str
    name: str
    definition: str  # as pg_get_constraintdef gives it
    index_definition: str | None = None  # unique constraints: the CREATE UNIQUE INDEX behind it


@dataclass(frozen=True)
class _Index:
    table: str
    name: str
    definition: str  # as pg_get_indexdef gives it


@dataclass(frozen=True)
class _Definitions:
    foreign_keys: list[_Constraint]
    uniques: list[_Constraint]
    indexes: list[_Index]

    @property
    def drops(self) -> list[str]:
        return [
            *(_drop_constraint(c) for c in [*self.foreign_keys, *self.uniques]),
            *(f"DROP INDEX {_quoted(i.name)}" for i in self.indexes),
        ]

    def restore(self, conn: Connection) -> None:
        """Recreate everything in one transaction (cheap when the tables are empty)."""
        for index in self.indexes:
            conn.execute(text(index.definition))
        for constraint in [*self.uniques, *self.foreign_keys]:
            conn.execute(text(_add_constraint(constraint)))

    def restore_concurrently(self, engine: Engine) -> None:
        """Recreate everything with a few connections, biggest tables first.

        Foreign keys are added NOT VALID (instant) and then validated: VALIDATE CONSTRAINT only
        takes a SHARE UPDATE EXCLUSIVE lock, so validations and index builds of different tables
        run side by side. Unique indexes are built first and then attached as their constraints.
        The result is the schema as it was, every row checked. A violation is raised.
        """
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for constraint in self.foreign_keys:
                conn.execute(text(_add_constraint(constraint) + " NOT VALID"))
            size = dict(
                conn.execute(
                    text(
                        "SELECT relname, pg_relation_size(oid) FROM pg_class "
                        "WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r'"
                    )
                ).all()
            )
        work = [
            *((i.table, i.definition) for i in self.indexes),
            *((c.table, c.index_definition) for c in self.uniques),
            *(
                (c.table, f"ALTER TABLE {_quoted(c.table)} VALIDATE CONSTRAINT {_quoted(c.name)}")
                for c in self.foreign_keys
            ),
        ]
        work.sort(key=lambda item: -size.get(item[0], 0))
        _run_concurrently(engine, [statement for _, statement in work], _REBUILD_CONNECTIONS)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for constraint in self.uniques:
                conn.execute(
                    text(
                        f"ALTER TABLE {_quoted(constraint.table)} ADD CONSTRAINT "
                        f"{_quoted(constraint.name)} UNIQUE USING INDEX {_quoted(constraint.name)}"
                    )
                )


def _drop_constraint(constraint: _Constraint) -> str:
    return f"ALTER TABLE {_quoted(constraint.table)} DROP CONSTRAINT {_quoted(constraint.name)}"


def _add_constraint(constraint: _Constraint) -> str:
    return (
        f"ALTER TABLE {_quoted(constraint.table)} ADD CONSTRAINT {_quoted(constraint.name)} "
        f"{constraint.definition}"
    )


def _run_concurrently(engine: Engine, statements: list[str], connections: int) -> None:
    """Run ``statements`` in order of the list, each on the first free of ``connections``."""
    work: queue.Queue[str] = queue.Queue()
    for statement in statements:
        work.put(statement)
    failure: list[BaseException] = []

    def run() -> None:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"SET maintenance_work_mem = '{_REBUILD_MEMORY}'"))
            conn.execute(text(f"SET work_mem = '{_REBUILD_MEMORY}'"))  # foreign-key checks join
            while not failure:
                try:
                    statement = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    conn.execute(text(statement))
                except BaseException as error:
                    failure.append(error)

    threads = [threading.Thread(target=run) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failure:
        raise failure[0]


def _constraint_definitions(conn: Connection, tables: list[str]) -> _Definitions:
    """The exact definitions PostgreSQL holds, so they are recreated as the migration made them."""
    constraints = conn.execute(
        text(
            "SELECT c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid), "
            "CASE WHEN k.contype = 'u' THEN pg_get_indexdef(k.conindid) END "
            "FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
            "WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY(:tables) "
            "AND k.contype IN ('f', 'u') ORDER BY c.relname, k.conname"
        ),
        {"tables": tables},
    ).all()
    indexes = conn.execute(
        text(
            "SELECT c.relname, i.relname, pg_get_indexdef(x.indexrelid) "
            "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "JOIN pg_class c ON c.oid = x.indrelid "
            "WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY(:tables) "
            "AND NOT x.indisprimary AND x.indpred IS NULL "  # partial ones would come back
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid) "
            "ORDER BY i.relname"
        ),
        {"tables": tables},
    ).all()
    return _Definitions(
        foreign_keys=[_Constraint(t, n, d) for t, n, kind, d, _ in constraints if kind == "f"],
        uniques=[_Constraint(t, n, d, i) for t, n, kind, d, i in constraints if kind == "u"],
        indexes=[_Index(t, n, d) for t, n, d in indexes],
    )


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
