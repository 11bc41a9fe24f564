"""ETL fixtures: settings pointing at the test's ops database and a private data directory.

``settings``/``ops_engine`` run a test on SQLite and PostgreSQL; tests of engine-independent
machinery (locking, publishing, checks) use ``sqlite_settings``/``sqlite_ops_engine`` to save time.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from core.db import make_engine
from core.settings import Settings
from ops.migrate import upgrade_to_head
from tests.factories import settings_for, url_of


@pytest.fixture
def settings(data_dir: Path, ops_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings whose ops database is ``ops_engine`` (SQLite and PostgreSQL), data dir private."""
    return settings_for(url_of(ops_engine), monkeypatch)


@pytest.fixture
def sqlite_ops_engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty operational database on SQLite only."""
    engine = make_engine(f"sqlite:///{tmp_path / 'ops.sqlite'}")
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_settings(
    data_dir: Path, sqlite_ops_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    return settings_for(url_of(sqlite_ops_engine), monkeypatch)
