"""Read access to the published warehouse for Streamlit, model training and ``repairlens sql``.

The ETL replaces the published file atomically (``warehouse/publish.py``), so a connection opened
here keeps seeing one consistent version until it is closed, and a new connection sees the newest
version. Connections attach the file to a private in-memory DuckDB instance instead of calling
``duckdb.connect(path)``: DuckDB caches instances by path within a process, so a long-lived process
(Streamlit) would otherwise keep being handed the version it opened first.
"""

from __future__ import annotations

import csv
import os
from typing import TextIO

import duckdb

from core.settings import Settings

READ_ONLY_STATEMENTS = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}


class WarehouseError(RuntimeError):
    """A problem a reader can fix; ``str(error)`` is one line."""


class WarehouseMissingError(WarehouseError):
    """No warehouse has been published yet."""


class ReadOnlyQueryError(WarehouseError):
    """``query_csv`` was given something other than one read-only statement."""


def warehouse_version(settings: Settings) -> str | None:
    """An opaque token that changes whenever a new warehouse is published; None before the first.

    Publishing renames a new file over the old one, so the inode changes with every version.
    """
    try:
        stat = settings.warehouse_path.stat()
    except FileNotFoundError:
        return None
    return file_version(stat)


def file_version(stat: os.stat_result) -> str:
    """The version token of a published file's ``stat``: see :func:`warehouse_version`."""
    return f"{stat.st_ino:x}-{stat.st_mtime_ns:x}-{stat.st_size:x}"


def connect_read_only(settings: Settings) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse, its tables unqualified."""
    path = settings.warehouse_path
    connection = duckdb.connect()
    try:
        connection.execute(f"ATTACH '{_quoted(str(path))}' AS warehouse (READ_ONLY)")
    except duckdb.IOException:
        connection.close()
        if not path.exists():
            raise WarehouseMissingError(
                f"no warehouse has been published at {path} yet: run `repairlens etl`"
            ) from None
        raise
    connection.execute("USE warehouse")
    return connection


def query_csv(settings: Settings, sql: str, out: TextIO) -> None:
    """Run one read-only query on the published warehouse and write its rows to ``out`` as CSV."""
    connection = connect_read_only(settings)
    try:
        statements = connection.extract_statements(sql)
        if len(statements) != 1 or statements[0].type not in READ_ONLY_STATEMENTS:
            kinds = ", ".join(s.type.name for s in statements) or "nothing"
            raise ReadOnlyQueryError(
                f"`repairlens sql` runs exactly one read-only query (SELECT/EXPLAIN), got {kinds}"
            )
        # Queries read the warehouse, not the file system of whoever runs them.
        connection.execute("SET enable_external_access = false")
        try:
            result = connection.execute(sql)
        except duckdb.Error as error:
            raise ReadOnlyQueryError(_one_line(error)) from None
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([column[0] for column in result.description])
        while batch := result.fetchmany(10_000):
            writer.writerows(batch)
    finally:
        connection.close()


def _quoted(text: str) -> str:
    return text.replace("'", "''")


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())
