"""Sessions on the operational database for the API: reads, and writes that serialise safely.

On PostgreSQL, writes rely on row locks (``SELECT … FOR UPDATE``) and constraints. On SQLite a
deferred transaction that reads and then writes fails when another writer committed in between,
so write sessions start with ``BEGIN IMMEDIATE`` and queue for the one write lock instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from core.db import is_sqlite, make_engine

POOL_SIZE = 20  # FastAPI runs sync routes on up to 40 threads; most of them wait on the network
# A request (and /readyz) answers 503 within seconds when PostgreSQL is down or unreachable
# instead of waiting on the operating system's TCP timeout or the pool's 30 s default.
CONNECT_TIMEOUT_SECONDS = 3
POOL_TIMEOUT_SECONDS = 5


class Database:
    """The engine and session factory one API process shares between requests."""

    def __init__(self, url: str) -> None:
        self.is_sqlite = is_sqlite(url)
        self.engine = _sqlite_engine(url) if self.is_sqlite else _postgres_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._sessions() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose transaction holds the write lock from its first statement on SQLite;
        callers commit explicitly, anything uncommitted is rolled back."""
        with self._sessions() as session:
            if self.is_sqlite:
                session.connection(execution_options={"sqlite_immediate": True})
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def _postgres_engine(url: str) -> Engine:
    # No pre-ping: it would cost a round trip per request. A connection that died with the
    # server fails its request (answered 503) and SQLAlchemy then discards the stale pool.
    return create_engine(
        url,
        pool_size=POOL_SIZE,
        max_overflow=10,
        pool_recycle=1800,
        pool_timeout=POOL_TIMEOUT_SECONDS,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
    )


def _sqlite_engine(url: str) -> Engine:
    engine = make_engine(url)

    # Take transaction control away from the sqlite3 module so that BEGIN is ours to emit.
    @event.listens_for(engine, "connect")
    def _driver_autocommit(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:  # pragma: no cover - trivial
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
