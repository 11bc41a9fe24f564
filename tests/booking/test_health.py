"""Liveness and readiness."""

from __future__ import annotations

import socket
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from booking.db import CONNECT_TIMEOUT_SECONDS
from core.db import make_engine
from ops.migrate import downgrade_to_base
from tests.booking.conftest import api_settings, booking_body, build_app


def test_healthz_answers_while_the_process_runs(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_is_ready_on_a_migrated_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"


def test_readyz_is_not_ready_when_migrations_are_behind(sqlite_engine, data_dir):
    downgrade_to_base(sqlite_engine)
    with TestClient(build_app(api_settings(sqlite_engine, data_dir))) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["migrations"].startswith("behind")


def test_readyz_is_not_ready_when_the_database_is_unreachable(data_dir):
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with TestClient(build_app(api_settings(engine, data_dir))) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_readyz_answers_503_within_seconds_when_the_database_never_answers(data_dir):
    """A server that accepts connections but never speaks (a hung or black-holed database)."""
    with socket.create_server(("127.0.0.1", 0), backlog=16) as silent:
        port = silent.getsockname()[1]
        engine = make_engine(f"postgresql+psycopg://nobody@127.0.0.1:{port}/none")
        with TestClient(build_app(api_settings(engine, data_dir))) as client:
            started = time.monotonic()
            response = client.get("/readyz")
            elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert elapsed < CONNECT_TIMEOUT_SECONDS + 3


def test_status_reads_recover_when_the_database_drops_the_pooled_connections(any_shop):
    if any_shop.engine.dialect.name != "postgresql":
        pytest.skip("an embedded SQLite database has no server connections to drop")
    with TestClient(build_app(any_shop.settings)) as client:
        path = client.post("/api/v1/bookings", json=booking_body()).json()["access_path"]
        assert client.get(path).status_code == 200
        with any_shop.engine.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        answers = [client.get(path).status_code for _ in range(3)]
    # The request that meets a dropped connection may fail as unavailable, never as a bug, and
    # the dead connection leaves the pool instead of failing the requests after it.
    assert answers[0] in (200, 503)
    assert answers[1:] == [200, 200]
