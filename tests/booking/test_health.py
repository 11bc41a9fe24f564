"""Liveness and readiness."""

from __future__ import annotations

from fastapi.testclient import TestClient

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
