"""Small SQLite files beside the warehouse (model registry, training jobs, prediction log):
several processes read and write them, so every write is one short transaction that takes the
write lock up front, and readers never wait on writers (WAL)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BUSY_TIMEOUT_MS = 10_000


def connect(path: Path, schema: str | None = None) -> sqlite3.Connection:
    """An autocommit connection to ``path``; with ``schema``, the file is created (WAL) and the
    schema's idempotent DDL applied."""
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    connection.row_factory = sqlite3.Row
    connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if schema is not None:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.executescript(schema)
    return connection


@contextmanager
def write_transaction(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One short write transaction, with the write lock taken up front (no upgrade deadlocks)."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
