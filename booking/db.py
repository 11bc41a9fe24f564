"""Sessions on the operational database for the API: reads, and writes that serialise safely.

On PostgreSQL, writes rely on row locks (``SELECT … FOR UPDATE``) and constraints. On SQLite a
deferred transaction that reads and then writes fails when another writer committed in between,
so write sessions start with ``BEGIN IMMEDIATE`` and queue for the one write lock instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import psycopg
from psycopg import AsyncConnection as AsyncDriverConnection
from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from core.db import is_sqlite, make_engine

POOL_SIZE = 20  # FastAPI runs sync routes on up to 40 threads; most of them wait on the network
# A request (and /readyz) answers 503 within seconds when PostgreSQL is down or unreachable
# instead of waiting on the operating system's TCP timeout or the pool's 30 s default.
CONNECT_TIMEOUT_SECONDS = 3
POOL_TIMEOUT_SECONDS = 5
# Hot reads on the event loop: a few connections keep two cores busy (a one-row read holds its
# connection well under a millisecond); more would only add server processes and contention.
ASYNC_POOL_SIZE = 25

T = TypeVar("T")


class Database:
    """The engine and session factory one API process shares between requests."""

    def __init__(self, url: str) -> None:
        self.is_sqlite = is_sqlite(url)
        self.engine = _sqlite_engine(url) if self.is_sqlite else _postgres_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # Only psycopg (3) has an asyncio mode; other drivers keep every read on the thread pool.
        async_driver = make_url(url).get_driver_name() == "psycopg"
        self.async_engine: AsyncEngine | None = _async_engine(url) if async_driver else None

    async def run_read(self, work: Callable[[Connection], T]) -> T:
        """``work(connection)`` on a pooled connection, for hot read-only routes.

        On PostgreSQL the queries run on the event loop (SQLAlchemy's asyncio bridge drives the
        same synchronous ``work`` over an async driver connection): no thread-pool hop, and no
        worker threads contending for the interpreter lock with the loop. On SQLite ``work``
        runs on the thread pool as synchronous routes do."""
        if self.async_engine is None:
            return await run_in_threadpool(self._run_read_sync, work)
        async with self.async_engine.connect() as conn:
            return await conn.run_sync(work)

    async def run_driver_read(
        self,
        work: Callable[[AsyncDriverConnection], Awaitable[T]],
        fallback: Callable[[Connection], T],
    ) -> T:
        """``work`` on the psycopg connection of a pooled PostgreSQL connection, for the hottest
        read; ``fallback`` on a synchronous connection where there is no async engine."""
        if self.async_engine is None:
            return await run_in_threadpool(self._run_read_sync, fallback)
        async with self.async_engine.connect() as conn:
            driver = (await conn.get_raw_connection()).driver_connection
            try:
                return await work(driver)
            except psycopg.OperationalError:
                # SQLAlchemy does not see errors raised past it: take a connection that died
                # with the server out of the pool now rather than rely on its reset on return.
                if driver.closed or driver.broken:
                    await conn.invalidate()
                raise

    def _run_read_sync(self, work: Callable[[Connection], T]) -> T:
        with self.engine.connect() as conn:
            return work(conn)

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

    async def aclose(self) -> None:
        """Closes both pools (the async one needs the event loop it served)."""
        if self.async_engine is not None:
            await self.async_engine.dispose()
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


def _async_engine(url: str) -> AsyncEngine:
    # Requests wait for a pooled connection (up to the pool timeout) rather than opening and
    # closing overflow connections under load: a new PostgreSQL connection costs a server process.
    # Autocommit: a read sends its queries alone, without a BEGIN and a ROLLBACK round trip
    # each. Under PostgreSQL's default READ COMMITTED every statement takes its own snapshot
    # even inside a transaction, so what a read sees is the same.
    return create_async_engine(
        url,
        isolation_level="AUTOCOMMIT",
        pool_size=ASYNC_POOL_SIZE,
        max_overflow=0,
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
