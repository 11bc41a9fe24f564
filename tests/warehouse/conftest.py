"""Warehouse tests build their warehouse with the ETL from SQLite only: what they test (reading,
checks, the catalogue) does not depend on the ops engine, which tests/pipelines covers."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.pipelines.conftest import settings, sqlite_ops_engine


@pytest.fixture
def ops_engine(sqlite_ops_engine: Engine) -> Engine:
    return sqlite_ops_engine


__all__ = ["ops_engine", "settings", "sqlite_ops_engine"]
