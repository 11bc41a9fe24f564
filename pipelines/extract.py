"""Read operational tables into polars frames, inside one read snapshot.

PostgreSQL is read through ADBC, which streams COPY BINARY into Arrow in C++: on the 1M-repair
history it extracts ~3× faster than psycopg's ``COPY … (FORMAT csv)`` plus polars' CSV parser,
whose Python loop runs once per row (benchmarks/RESULTS.md). NUMERIC arrives from ADBC as opaque
text, so money is selected as text and parsed into exact decimals. SQLite is read through the
stdlib driver with every column as text, parsed by :func:`typed_frame` (SQLite's loose typing makes
Arrow type inference unreliable, and its histories are small).

A snapshot (REPEATABLE READ on PostgreSQL, one read transaction on SQLite) makes the deltas,
deletion log and key sets of one run agree with each other.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from typing import Any

import adbc_driver_manager
import adbc_driver_postgresql
import polars as pl
from sqlalchemy import Engine

from pipelines.sources import SourceTable

_TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S%.f"


@contextmanager
def ops_snapshot(engine: Engine) -> Iterator[OpsReader]:
    """A reader whose every query sees the same committed state of the operational database."""
    if engine.dialect.name == "postgresql":
        url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        with _postgres_snapshot(url) as reader:
            yield reader
        return
    raw = engine.raw_connection()
    try:
        raw.rollback()  # leave whatever the pool's liveness check opened
        raw.execute("BEGIN")  # pysqlite would only open a transaction before a write
        yield _SqliteReader(raw)
    finally:
        raw.rollback()
        raw.close()


@contextmanager
def _postgres_snapshot(url: str) -> Iterator[_PostgresReader]:
    """A reader in a REPEATABLE READ transaction.

    ADBC's own API, not its DB-API module: that one imports pandas (~0.6 s of every ETL
    process's start), and polars reads ADBC's Arrow streams without it.
    """
    with (
        closing(adbc_driver_postgresql.connect(url)) as database,
        closing(adbc_driver_manager.AdbcConnection(database)) as connection,
    ):
        reader = _PostgresReader(connection)
        reader.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            yield reader
        finally:
            reader.execute("ROLLBACK")


def typed_frame(text: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Cast an all-text frame to the table's types (booleans arrive as 0/1)."""

    def parse(name: str, dtype: pl.DataType) -> pl.Expr:
        column = pl.col(name)
        if dtype == pl.Datetime:
            return column.str.to_datetime(_TIMESTAMP_FORMAT, time_unit="us")
        if dtype == pl.Date:
            return column.str.slice(0, 10).str.to_date("%Y-%m-%d")
        if dtype == pl.Boolean:
            return column.cast(pl.Int8).cast(pl.Boolean)
        return column.cast(dtype)

    return text.select(parse(name, dtype).alias(name) for name, dtype in schema.items())


def _timestamp_text(moment: dt.datetime) -> str:
    # Built from our own datetime, never from user input; SQLite stores timestamps as ISO text.
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _listed(ids: Sequence[int]) -> str:
    return ", ".join(str(int(i)) for i in ids)


_DELETED_ROWS = SourceTable(
    "deleted_rows", ("id",), {"table_name": pl.String(), "row_id": pl.Int64()}
)


def _key_table(table: SourceTable) -> SourceTable:
    return SourceTable(table.name, table.key, {c: table.raw_schema[c] for c in table.key})


class OpsReader(ABC):
    """Queries of one extraction snapshot; get one from :func:`ops_snapshot`. Subclasses say how
    each engine runs a query; the queries themselves are composed here."""

    @abstractmethod
    def now(self) -> dt.datetime:
        """The database's clock (UTC, naive) at the start of this snapshot."""

    @abstractmethod
    def _select_list(self, table: SourceTable) -> str:
        """The SELECT list reading every column of ``table`` in a form ``_frame`` can type."""

    @abstractmethod
    def _timestamp(self, moment: dt.datetime) -> str:
        """A SQL literal comparable with ``updated_at``."""

    @abstractmethod
    def _frame(self, sql: str, table: SourceTable) -> pl.DataFrame:
        """The result of ``sql`` as a frame with ``table.raw_schema``."""

    @abstractmethod
    def _scalar(self, sql: str) -> Any:
        """The first column of the first row of ``sql``, or None."""

    def rows(
        self,
        table: SourceTable,
        since: dt.datetime | None = None,
        also: tuple[str, Sequence[int]] | None = None,
        above: int | None = None,
    ) -> pl.DataFrame:
        """Rows of ``table``; with ``since``, only those updated at or after it, plus (with
        ``also=(column, ids)``) every row whose ``column`` is one of ``ids``, plus (with
        ``above``) every row whose ``id`` is greater."""
        select = f'SELECT {self._select_list(table)} FROM "{table.name}"'
        if since is None:
            return self._frame(select, table)
        sql = f"{select} WHERE updated_at >= {self._timestamp(since)}"
        if also is not None and also[1]:
            column, ids = also
            sql += f' UNION {select} WHERE "{column}" IN ({_listed(ids)})'
        if above is not None:
            sql += f" UNION {select} WHERE id > {int(above)}"
        return self._frame(sql, table)

    def deleted_ids(self, since: dt.datetime | None) -> dict[str, list[int]]:
        """Ids of rows deleted at or after ``since`` (all logged ones if None), by table, from
        the ``deleted_rows`` log its triggers fill."""
        where = "" if since is None else f" WHERE deleted_at >= {self._timestamp(since)}"
        frame = self._frame(f"SELECT table_name, row_id FROM deleted_rows{where}", _DELETED_ROWS)
        grouped = frame.group_by("table_name").agg(pl.col("row_id").unique().sort())
        return dict(zip(grouped["table_name"], grouped["row_id"].to_list(), strict=True))

    def existing_ids(self, table: SourceTable, ids: Sequence[int]) -> list[int]:
        """Which of ``ids`` are rows of ``table`` (a deleted id may have been inserted again)."""
        if not ids:
            return []
        sql = f'SELECT id FROM "{table.name}" WHERE id IN ({_listed(ids)})'
        return self._frame(sql, _key_table(table))["id"].to_list()

    def keys(self, table: SourceTable) -> pl.DataFrame:
        """The primary keys of every row of ``table``."""
        return self.rows(_key_table(table))

    def count(self, table: SourceTable) -> int:
        return int(self._scalar(f'SELECT COUNT(*) FROM "{table.name}"'))


class _PostgresReader(OpsReader):
    def __init__(self, connection: adbc_driver_manager.AdbcConnection) -> None:
        self._connection = connection

    def _statement(self, sql: str) -> adbc_driver_manager.AdbcStatement:
        statement = adbc_driver_manager.AdbcStatement(self._connection)
        statement.set_sql_query(sql)
        return statement

    def execute(self, sql: str) -> None:
        with closing(self._statement(sql)) as statement:
            statement.execute_update()

    def _result(self, sql: str) -> pl.DataFrame:
        with closing(self._statement(sql)) as statement:
            stream, _ = statement.execute_query()
            return pl.DataFrame(stream)

    def now(self) -> dt.datetime:
        return self._scalar("SELECT now() AT TIME ZONE 'utc'")

    def _select_list(self, table: SourceTable) -> str:
        return ", ".join(
            f'"{c}"::text' if isinstance(t, pl.Decimal) else f'"{c}"'
            for c, t in table.raw_schema.items()
        )

    def _timestamp(self, moment: dt.datetime) -> str:
        return f"TIMESTAMP '{_timestamp_text(moment)}'"

    def _scalar(self, sql: str) -> Any:
        result = self._result(sql)
        return result.item(0, 0) if result.height else None

    def _frame(self, sql: str, table: SourceTable) -> pl.DataFrame:
        frame = self._result(sql)
        return frame.select(pl.col(c).cast(t) for c, t in table.raw_schema.items())


class _SqliteReader(OpsReader):
    def __init__(self, raw: Any) -> None:
        self._raw = raw

    def now(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self._scalar("SELECT strftime('%Y-%m-%d %H:%M:%f')"))

    def _select_list(self, table: SourceTable) -> str:
        return ", ".join(f'CAST("{c}" AS TEXT)' for c in table.raw_schema)

    def _timestamp(self, moment: dt.datetime) -> str:
        return f"'{_timestamp_text(moment)}'"

    def _rows(self, sql: str) -> list[tuple]:
        cursor = self._raw.cursor()
        try:
            cursor.execute(sql)
            return cursor.fetchall()
        finally:
            cursor.close()

    def _scalar(self, sql: str) -> Any:
        rows = self._rows(sql)
        return rows[0][0] if rows else None

    def _frame(self, sql: str, table: SourceTable) -> pl.DataFrame:
        rows = self._rows(sql)
        text = pl.DataFrame(rows, schema=dict.fromkeys(table.raw_schema, pl.String), orient="row")
        return typed_frame(text, table.raw_schema)
