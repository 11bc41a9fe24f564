"""`repairlens staff add`, `repairlens api` and the API beside the workbench in `demo`."""

from __future__ import annotations

import socket
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import cli
from core.db import make_engine
from core.settings import get_settings
from ops.migrate import upgrade_to_head
from pipelines.runlog import RunLog
from tests.booking.conftest import build_app
from tests.factories import seed_shop

runner = CliRunner()
PASSWORD = "a long enough secret"


def _error(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 1 and len(lines) == 1 and lines[0].startswith("error: ")
    return lines[0]


@pytest.fixture
def migrated(data_dir):
    engine = make_engine(get_settings().ops_url)
    upgrade_to_head(engine)
    engine.dispose()
    return data_dir


def test_staff_add_creates_a_manager_who_can_sign_in(migrated):
    result = runner.invoke(
        cli.app,
        ["staff", "add", "--email", "Boss@Example.com", "--role", "manager"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    with TestClient(build_app(get_settings())) as client:
        response = client.post(
            "/api/v1/staff/token", json={"email": "boss@example.com", "password": PASSWORD}
        )
    assert response.json()["role"] == "manager"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "owner"], "unknown role 'owner'"),
        (["--role", "technician"], "needs --technician-id"),
        (["--role", "manager", "--password", "short"], "at least 12 characters"),
    ],
)
def test_staff_add_refuses_bad_accounts_in_one_line(migrated, args, message):
    if "--password" not in args:
        args = [*args, "--password", PASSWORD]
    result = runner.invoke(cli.app, ["staff", "add", "--email", "x@example.com", *args])
    assert message in _error(result)


def test_api_refuses_a_database_behind_the_migrations(data_dir):
    result = runner.invoke(cli.app, ["api", "--port", "8765"])
    assert "run `repairlens migrate`" in _error(result)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_demo_serves_the_api_beside_the_workbench_and_stops_both(migrated, monkeypatch):
    api_port = _free_port()
    seen = {}

    def workbench(host: str, port: int) -> int:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                seen["health"] = httpx.get(f"http://{host}:{api_port}/healthz").json()
                break
            except httpx.TransportError:
                time.sleep(0.2)
        return 0

    monkeypatch.setattr(cli, "_serve_streamlit", workbench)
    assert cli._serve_demo("127.0.0.1", 8501, api_port) == 0
    assert seen["health"] == {"status": "ok"}
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{api_port}/healthz", timeout=2)


def _runs_logged(data_dir) -> int:
    runs, _ = RunLog(data_dir).frames()
    return runs.height


def test_demo_keeps_the_warehouse_in_step_while_serving_and_stops_the_etl_with_it(
    migrated, monkeypatch
):
    engine = make_engine(get_settings().ops_url)
    seed_shop(engine, repairs=2)
    engine.dispose()
    seen = {}

    def workbench(host: str, port: int) -> int:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not get_settings().warehouse_path.exists():
            time.sleep(0.2)
        seen["published"] = get_settings().warehouse_path.exists()
        return 0

    monkeypatch.setattr(cli, "_serve_streamlit", workbench)
    assert cli._serve_demo("127.0.0.1", 8501, api_port=0, etl_every=1) == 0
    assert seen["published"]  # the watch published the seeded shop while the workbench ran
    runs = _runs_logged(migrated)
    time.sleep(2.5)
    assert _runs_logged(migrated) == runs  # and stopped with it
