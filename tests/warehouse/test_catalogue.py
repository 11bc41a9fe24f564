"""The warehouse's contract: every table is catalogued with its grain and follows naming rules."""

from __future__ import annotations

import pytest

from ops import schema as ops
from pipelines.run import run_etl
from tests.factories import seed_shop
from warehouse import catalogue
from warehouse.reader import connect_read_only


@pytest.mark.parametrize(
    "name",
    [
        "REPAIR_STATUSES",
        "BOOKING_STATUSES",
        "BOOKING_CHANNELS",
        "ACQUISITION_CHANNELS",
        "PAYMENT_METHODS",
        "PAYMENT_STATUSES",
        "DEVICE_CATEGORIES",
        "DEVICE_CLASSES",
        "SKILL_LEVELS",
        "STOCK_MOVEMENT_REASONS",
    ],
)
def test_enumerations_match_the_operational_schema(name):
    assert getattr(catalogue, name) == getattr(ops, name)


@pytest.fixture
def columns(settings, ops_engine) -> list[tuple[str, str, str]]:
    """(table, column, type) of every column the ETL published."""
    seed_shop(ops_engine, repairs=1)
    run_etl(settings)
    with connect_read_only(settings) as con:
        return con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_catalog = 'warehouse'"
        ).fetchall()


def test_every_table_is_catalogued_with_its_grain_as_comment(settings, columns):
    with connect_read_only(settings) as con:
        comments = dict(
            con.execute(
                "SELECT table_name, comment FROM duckdb_tables() WHERE database_name = 'warehouse'"
            ).fetchall()
        )
    assert set(comments) == set(catalogue.TABLES)
    assert {name: spec.grain for name, spec in catalogue.TABLES.items()} == comments


def test_columns_follow_the_naming_rules(columns):
    marts = {spec.name for spec in catalogue.MARTS}
    broken = []
    for table, column, data_type in columns:
        if table not in marts and not table.startswith("stg_"):
            continue
        if data_type == "TIMESTAMP" and not column.endswith("_at"):
            broken.append((table, column, "timestamps end in _at"))
        if data_type == "DATE" and not column.endswith("_date"):
            broken.append((table, column, "dates end in _date"))
        if data_type == "BOOLEAN" and not column.startswith(("is_", "has_")):
            broken.append((table, column, "booleans start with is_/has_"))
        if data_type.startswith("DECIMAL") and not column.endswith("_eur"):
            broken.append((table, column, "money ends in _eur"))
    assert broken == []
