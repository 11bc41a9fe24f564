"""Generated histories shared by the data tests: one small history per engine (written to a real
database) and one larger in-memory history for the statistical signal tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, select

from core.db import make_engine
from data.generator import GeneratorConfig, generate_history
from data.generator.history import history_tables
from ops.migrate import upgrade_to_head
from ops.schema import metadata
from tests.conftest import create_pg_database, drop_pg_database

# Written to SQLite and PostgreSQL: small enough to keep the suite fast.
SMALL = GeneratorConfig(stores=2, years=1.0, seed=7, end_date=dt.date(2025, 6, 30))
# Kept in memory: long and large enough for growth, lifecycles and returns to show.
LARGE = GeneratorConfig(stores=3, years=3.0, seed=11, end_date=dt.date(2026, 6, 30))


class Generated:
    """A database filled by generate_history, with what it reported."""

    def __init__(self, engine: Engine, written: dict[str, int], messages: list[str]) -> None:
        self.engine, self.written, self.messages = engine, written, messages
        self._tables: dict[str, pl.DataFrame] = {}

    def table(self, name: str) -> pl.DataFrame:
        """All rows of ``name`` in primary-key order, as Python values (Decimal, datetime, ...);
        read once, as the tests only read."""
        if name not in self._tables:
            self._tables[name] = read_table(self.engine, name)
        return self._tables[name]


def read_table(engine: Engine, name: str) -> pl.DataFrame:
    table = metadata.tables[name]
    with engine.connect() as conn:
        rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
    return pl.DataFrame(
        [tuple(row) for row in rows],
        schema=list(table.columns.keys()),
        orient="row",
        infer_schema_length=None,
    )


def _generate(url: str) -> Generated:
    engine = make_engine(url)
    upgrade_to_head(engine)
    messages: list[str] = []
    written = generate_history(engine, SMALL, progress=messages.append)
    return Generated(engine, written, messages)


@pytest.fixture(scope="session")
def sqlite_history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Generated]:
    path: Path = tmp_path_factory.mktemp("generated") / "ops.sqlite"
    generated = _generate(f"sqlite:///{path}")
    yield generated
    generated.engine.dispose()


@pytest.fixture(scope="session")
def postgres_history() -> Iterator[Generated]:
    name, url = create_pg_database()
    try:
        generated = _generate(url)
        yield generated
        generated.engine.dispose()
    finally:
        drop_pg_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def generated(request: pytest.FixtureRequest) -> Generated:
    """The small history, written to each engine."""
    return request.getfixturevalue(
        f"{'sqlite' if request.param == 'sqlite' else 'postgres'}_history"
    )


@pytest.fixture(scope="session")
def small_tables() -> dict[str, pl.DataFrame]:
    """The tables generate_history writes for SMALL, built in memory."""
    return history_tables(SMALL)


@pytest.fixture(scope="session")
def history() -> dict[str, pl.DataFrame]:
    """The LARGE history in memory (about 57,000 repairs over three years)."""
    return history_tables(LARGE)
