"""Liveness and readiness."""

from __future__ import annotations

import socket
import time

from fastapi.testclient import TestClient

from booking.db import CONNECT_TIMEOUT_SECONDS
from core.db import make_engine
from ops.migrate import downgrade_to_base
from tests.booking.conftest import api_settings, build_app


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
