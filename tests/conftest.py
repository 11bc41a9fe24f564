"""Shared fixtures: a fresh operational database per test on SQLite and, when reachable, PostgreSQL.

PostgreSQL tests create and drop their own database. Locally they are skipped when no server
answers; with ``CI=true`` an unreachable server fails them, so CI can never pass without them.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine

from core.db import make_engine
from core.settings import get_settings
from ops.migrate import upgrade_to_head

PG_ADMIN_DSN = os.environ.get(
    "REPAIRLENS_TEST_PG_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
)


def _pg_admin() -> psycopg.Connection:
    try:
        return psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        message = f"PostgreSQL unreachable at {PG_ADMIN_DSN!r}: {error}".splitlines()[0]
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI must run the PostgreSQL tests)")
        pytest.skip(message)


def _pg_url(dbname: str) -> str:
    params = dict(part.split("=", 1) for part in PG_ADMIN_DSN.split())
    host, port, user = params.get("host", "127.0.0.1"), params.get("port", "5432"), params["user"]
    return f"postgresql+psycopg://{user}@{host}:{port}/{dbname}"


def create_pg_database() -> tuple[str, str]:
    """Create an empty PostgreSQL database; returns (name, SQLAlchemy URL)."""
    name = f"repairlens_test_{uuid.uuid4().hex[:12]}"
    with _pg_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return name, _pg_url(name)


def drop_pg_database(name: str) -> None:
    with _pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_ops_url(request, tmp_path: Path) -> Iterator[str]:
    """URL of an empty operational database (no tables), on each engine."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ops.sqlite'}"
        return
    name, url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(name)


@pytest.fixture
def ops_engine(empty_ops_url: str) -> Iterator[Engine]:
    """A migrated, empty operational database on each engine."""
    engine = make_engine(empty_ops_url)
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private REPAIRLENS_DATA_DIR for the test, with settings re-read."""
    directory = tmp_path / "var"
    directory.mkdir()
    monkeypatch.setenv("REPAIRLENS_DATA_DIR", str(directory))
    monkeypatch.delenv("REPAIRLENS_OPS_DB_URL", raising=False)
    get_settings.cache_clear()
    yield directory
    get_settings.cache_clear()


BUILT_END = dt.date(2026, 11, 27)


@pytest.fixture(scope="session")
def built_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with a small generated history loaded into a published warehouse.

    Shared by the read-only tests (pages, metrics); tests that write use their own ``data_dir``.
    """
    from core.settings import Settings
    from data.generator import GeneratorConfig, generate_history
    from pipelines.run import run_etl

    directory = tmp_path_factory.mktemp("built") / "var"
    directory.mkdir()
    settings = Settings(data_dir=directory)
    engine = make_engine(settings.ops_url)
    upgrade_to_head(engine)
    # A fixed end date: the history, and every model fitted on it, is then the same on every day
    # (ending "today", the CLV fit stopped converging on some dates).
    generate_history(engine, GeneratorConfig(stores=2, years=1.0, seed=11, end_date=BUILT_END))
    engine.dispose()
    run_etl(settings)
    return directory


@pytest.fixture(scope="session")
def trained_diagnostics_dir(built_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``built_data_dir``'s warehouse (linked, read-only) with a production diagnostics model.

    Tests that write (the prediction log) use ``diagnostics_copy`` of it instead.
    """
    from core.settings import Settings
    from models.diagnostics.train import train_diagnostics

    directory = linked_warehouse(
        built_data_dir, tmp_path_factory.mktemp("trained-diagnostics") / "var"
    )
    # Smaller text features than production keep the session fit short.
    train_diagnostics(
        Settings(data_dir=directory), started_by="tests", parameters={"max_char_features": 20_000}
    )
    return directory


def linked_warehouse(source: Path, directory: Path) -> Path:
    """``directory`` (created) as a data directory reading ``source``'s warehouse through a link,
    so a test gets its own models and logs without copying the warehouse."""
    directory.mkdir(parents=True)
    (directory / "warehouse.duckdb").symlink_to((source / "warehouse.duckdb").resolve())
    return directory


def diagnostics_copy(trained: Path, target: Path) -> Path:
    """A private data directory with the trained model and the shared warehouse linked."""
    import shutil

    linked_warehouse(trained, target)
    shutil.copytree(trained / "models", target / "models")
    return target


@pytest.fixture(scope="session")
def trained_forecast_dir(built_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``built_data_dir``'s warehouse (linked, read-only) with a production forecast model and
    its forecasts published beside it. Read-only for tests: copy it to write."""
    from core.settings import Settings
    from models.forecasting.train import train_forecast

    directory = linked_warehouse(
        built_data_dir, tmp_path_factory.mktemp("trained-forecast") / "var"
    )
    train_forecast(Settings(data_dir=directory), started_by="tests")
    return directory


@pytest.fixture(scope="session")
def trained_customers_dir(built_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``built_data_dir``'s warehouse (linked, read-only) with production churn and CLV models.
    Read-only for tests: copy it to write."""
    from core.settings import Settings
    from models.churn.train import train_churn
    from models.clv.train import train_clv

    directory = linked_warehouse(
        built_data_dir, tmp_path_factory.mktemp("trained-customers") / "var"
    )
    train_clv(Settings(data_dir=directory), started_by="tests")
    train_churn(Settings(data_dir=directory), started_by="tests")
    return directory


@pytest.fixture
def use_data_dir(monkeypatch: pytest.MonkeyPatch):
    """Point the settings at a given data directory for the rest of the test."""

    def use(directory: Path) -> None:
        monkeypatch.setenv("REPAIRLENS_DATA_DIR", str(directory))
        monkeypatch.delenv("REPAIRLENS_OPS_DB_URL", raising=False)
        get_settings.cache_clear()

    yield use
    get_settings.cache_clear()
