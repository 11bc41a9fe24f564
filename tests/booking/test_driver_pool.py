"""The PostgreSQL connection pool of the status read: bounded, fair under load, and never
leaving a request waiting forever."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import make_url

from booking import db as db_module
from booking.db import Database, DriverPool
from tests.conftest import create_pg_database, drop_pg_database

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url() -> Iterator[str]:
    name, url = create_pg_database()
    yield url
    drop_pg_database(name)


def driver_pool(url: str, size: int) -> DriverPool:
    database = Database(url)
    _args, params = database.engine.dialect.create_connect_args(make_url(url))
    database.engine.dispose()
    return DriverPool(params, size)


async def backend_pid(conn: psycopg.AsyncConnection, seconds: float = 0.05) -> int:
    cursor = await conn.execute("SELECT pg_backend_pid() FROM pg_sleep(%s)", (seconds,))
    row = await cursor.fetchone()
    assert row is not None
    return row[0]


def test_more_reads_than_connections_all_succeed_on_at_most_the_pool_size(pg_url):
    pool = driver_pool(pg_url, size=3)

    async def reads() -> list[int]:
        try:
            return await asyncio.gather(*(pool.run(backend_pid) for _ in range(12)))
        finally:
            await pool.aclose()

    pids = asyncio.run(reads())
    assert len(pids) == 12
    assert len(set(pids)) <= 3


def test_a_read_that_finds_every_connection_busy_past_the_pool_timeout_fails_as_unavailable(
    pg_url, monkeypatch
):
    monkeypatch.setattr(db_module, "POOL_TIMEOUT_SECONDS", 0.2)
    pool = driver_pool(pg_url, size=1)

    async def second_read_while_the_first_holds_the_connection() -> BaseException | int:
        try:
            slow = asyncio.create_task(pool.run(lambda conn: backend_pid(conn, 1.0)))
            await asyncio.sleep(0.1)
            (second,) = await asyncio.gather(pool.run(backend_pid), return_exceptions=True)
            await slow
            return second
        finally:
            await pool.aclose()

    outcome = asyncio.run(second_read_while_the_first_holds_the_connection())
    # An OperationalError: the API answers it 503, like a database that does not answer.
    assert isinstance(outcome, psycopg.errors.ConnectionTimeout)
    assert isinstance(outcome, psycopg.OperationalError)


def test_a_read_cancelled_mid_query_leaves_its_place_in_the_pool_usable(pg_url, monkeypatch):
    monkeypatch.setattr(db_module, "POOL_TIMEOUT_SECONDS", 2)
    pool = driver_pool(pg_url, size=1)

    async def cancel_then_read() -> int:
        try:
            cancelled = asyncio.create_task(pool.run(lambda conn: backend_pid(conn, 5.0)))
            await asyncio.sleep(0.2)
            cancelled.cancel()
            with pytest.raises(asyncio.CancelledError):
                await cancelled
            return await pool.run(backend_pid)
        finally:
            await pool.aclose()

    assert asyncio.run(cancel_then_read()) > 0
