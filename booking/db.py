"""Sessions on the operational database for the API: reads, and writes that serialise safely.

On PostgreSQL, writes rely on row locks (``SELECT … FOR UPDATE``) and constraints. On SQLite a
deferred transaction that reads and then writes fails when another writer committed in between,
so write sessions start with ``BEGIN IMMEDIATE`` and queue for the one write lock instead.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from psycopg import AsyncConnection as AsyncDriverConnection
from psycopg.errors import ConnectionTimeout
from psycopg.pq import TransactionStatus
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
# Hot reads on the event loop, per worker: the status read's own pool (see DriverPool) and
# SQLAlchemy's for the slot search. A one-row read holds its connection well under a
# millisecond, but on a busy host its database process also waits for a core, so the status
# read keeps nearly as many connections as requests a worker holds under load (50 clients over
# two workers); with two workers both pools stay within PostgreSQL's default 100 connections.
DRIVER_POOL_SIZE = 20
ASYNC_POOL_SIZE = 10
RECYCLE_SECONDS = 1800

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
        self.driver_pool: DriverPool | None = None
        if async_driver:
            _args, params = self.engine.dialect.create_connect_args(make_url(url))
            self.driver_pool = DriverPool(params, DRIVER_POOL_SIZE)

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
        """``work`` on a pooled psycopg connection, for the hottest read; ``fallback`` on a
        synchronous connection where there is no async driver."""
        if self.driver_pool is None:
            return await run_in_threadpool(self._run_read_sync, fallback)
        return await self.driver_pool.run(work)

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
        """Closes every pool (the async ones need the event loop they served)."""
        if self.driver_pool is not None:
            await self.driver_pool.aclose()
        if self.async_engine is not None:
            await self.async_engine.dispose()
        self.engine.dispose()


class DriverPool:
    """Bare psycopg connections in autocommit for the hottest read, pooled on the event loop.

    SQLAlchemy's async pool costs more per checkout and return (greenlet switches, pool events,
    a reset) than the status read's query itself; this pool is a list. Connections open on
    demand up to ``size``; requests beyond that wait in turn, up to the pool timeout (then 503).
    A connection that broke, was left mid-query or is older than the recycle age is closed
    instead of returned, and a broken one also closes the idle rest: they most likely died with
    the same server.
    """

    def __init__(self, connect_params: dict[str, Any], size: int) -> None:
        self._params = connect_params | {
            "autocommit": True,
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
        }
        self._size = size
        self._opened = 0
        self._idle: list[tuple[AsyncDriverConnection, float]] = []
        # Each waiter gets a connection, or None when a closed one freed a place to open one.
        self._waiters: deque[asyncio.Future[tuple[AsyncDriverConnection, float] | None]] = deque()

    async def run(self, work: Callable[[AsyncDriverConnection], Awaitable[T]]) -> T:
        conn, opened_at = self._idle.pop() if self._idle else await self._acquire()
        try:
            return await work(conn)
        finally:
            if (
                conn.info.transaction_status == TransactionStatus.IDLE
                and time.monotonic() - opened_at < RECYCLE_SECONDS
            ):
                self._put(conn, opened_at)
            else:
                await self._discard(conn)

    async def _acquire(self) -> tuple[AsyncDriverConnection, float]:
        try:
            async with asyncio.timeout(POOL_TIMEOUT_SECONDS):
                while True:
                    if self._opened < self._size:
                        return await self._connect()
                    handed = await self._wait()
                    if handed is not None:
                        return handed
        except TimeoutError:
            raise ConnectionTimeout("no database connection came free in time") from None

    async def _connect(self) -> tuple[AsyncDriverConnection, float]:
        self._opened += 1
        try:
            return await AsyncDriverConnection.connect(**self._params), time.monotonic()
        except BaseException:
            self._opened -= 1
            raise

    async def _wait(self) -> tuple[AsyncDriverConnection, float] | None:
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            return await waiter
        except BaseException:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
            elif not waiter.cancelled() and (handed := waiter.result()) is not None:
                self._put(*handed)  # handed over just as the wait ended: pass it on
            raise

    def _put(self, conn: AsyncDriverConnection, opened_at: float) -> None:
        if not self._wake((conn, opened_at)):
            self._idle.append((conn, opened_at))

    def _wake(self, handed: tuple[AsyncDriverConnection, float] | None) -> bool:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(handed)
                return True
        return False

    async def _discard(self, conn: AsyncDriverConnection) -> None:
        dead = [conn]
        if conn.broken:
            dead += [idle for idle, _opened_at in self._idle]
            self._idle.clear()
        self._opened -= len(dead)
        for _ in dead:
            self._wake(None)
        for each in dead:
            await each.close()

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        self._opened -= len(idle)
        for conn, _opened_at in idle:
            await conn.close()


def _postgres_engine(url: str) -> Engine:
    # No pre-ping: it would cost a round trip per request. A connection that died with the
    # server fails its request (answered 503) and SQLAlchemy then discards the stale pool.
    return create_engine(
        url,
        pool_size=POOL_SIZE,
        max_overflow=10,
        pool_recycle=RECYCLE_SECONDS,
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
        pool_recycle=RECYCLE_SECONDS,
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
