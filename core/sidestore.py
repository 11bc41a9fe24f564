"""Small SQLite files beside the warehouse (model registry, training jobs, prediction log):
several processes read and write them, so every write is one short transaction that takes the
write lock up front, and readers never wait on writers (WAL)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
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
        _retry_while_locked(lambda: connection.execute("PRAGMA journal_mode = WAL"))
        _retry_while_locked(lambda: connection.executescript(schema))
    return connection


def _retry_while_locked(statement: Callable[[], object]) -> None:
    """Run ``statement``, retrying while the file is locked: SQLite does not call the busy
    handler for every lock (switching a new file to WAL while another connection creates it
    fails at once with "database is locked")."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            statement()
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


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


@contextmanager
def reading(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection for reads, closed afterwards. Readers only run once the file exists, and the
    file is only ever created with its schema, so a poll skips the DDL."""
    with closing(connect(path)) as connection:
        yield connection


@contextmanager
def writing(path: Path, schema: str) -> Iterator[sqlite3.Connection]:
    """One write transaction on a connection (schema applied) that is closed afterwards."""
    with closing(connect(path, schema)) as connection, write_transaction(connection):
        yield connection
