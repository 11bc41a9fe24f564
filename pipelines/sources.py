"""What the ETL reads from each operational table: its key, its column types, its staging names.

Everything here is derived from ``ops.schema`` so a migration that adds a column shows up in
extraction and staging without a second list to keep in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import polars as pl
from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric, Table

from ops.schema import TABLES_IN_LOAD_ORDER, metadata

# Entity names for the ``id`` → ``<entity>_id`` rename in staging (the table name minus its plural,
# except where that reads badly).
_ENTITY = {
    "stores": "store",
    "customers": "customer",
    "device_models": "device_model",
    "customer_devices": "customer_device",
    "technicians": "technician",
    "bookings": "booking",
    "repairs": "repair",
    "repair_status_events": "status_event",
    "parts": "part",
    "stock_levels": "stock_level",
    "stock_movements": "stock_movement",
    "repair_parts": "repair_part",
    "payments": "payment",
    "feedback": "feedback",
}

# Ops columns whose names break the warehouse naming rules (dates end in ``_date``, booleans start
# with ``is_``/``has_``); staging renames them.
_COLUMN_RENAMES = {
    "opened_on": "opened_date",
    "closed_on": "closed_date",
    "purchased_on": "purchased_date",
    "hired_on": "hired_date",
    "left_on": "left_date",
    "marketing_consent": "has_marketing_consent",
    "sms_consent": "has_sms_consent",
}


@dataclass(frozen=True)
class SourceTable:
    """One operational table as the ETL sees it."""

    name: str
    key: tuple[str, ...]  # primary key columns, ops names
    raw_schema: dict[str, pl.DataType]  # column → polars type, ops names, ops column order

    @property
    def staging_name(self) -> str:
        return f"stg_{self.name}"

    @property
    def renames(self) -> dict[str, str]:
        """Ops column name → staging column name, for the columns that change."""
        renames = {c: _COLUMN_RENAMES[c] for c in self.raw_schema if c in _COLUMN_RENAMES}
        if self.key == ("id",):
            renames["id"] = f"{_ENTITY[self.name]}_id"
        return renames

    @property
    def staging_key(self) -> tuple[str, ...]:
        return tuple(self.renames.get(c, c) for c in self.key)


def polars_type(column_type: object) -> pl.DataType:
    """The polars type an ops column is extracted as (money stays exact as Decimal(10,2))."""
    if isinstance(column_type, Boolean):
        return pl.Boolean()
    if isinstance(column_type, DateTime):
        return pl.Datetime("us")
    if isinstance(column_type, Date):
        return pl.Date()
    if isinstance(column_type, Numeric):
        return pl.Decimal(column_type.precision or 10, column_type.scale or 2)
    if isinstance(column_type, Integer):  # also matches BigInteger and the SQLite variant
        return pl.Int64()
    return pl.String()


def _source_table(table: Table) -> SourceTable:
    # str(): SQLAlchemy names are ``quoted_name`` objects, which polars mistakes for result rows.
    return SourceTable(
        name=str(table.name),
        key=tuple(str(c.name) for c in table.primary_key.columns),
        raw_schema={str(c.name): polars_type(c.type) for c in table.columns},
    )


@cache
def source_tables() -> dict[str, SourceTable]:
    """All operational tables, parents before children."""
    return {str(name): _source_table(metadata.tables[name]) for name in TABLES_IN_LOAD_ORDER}


def required_columns(table: str) -> list[str]:
    """Columns the ops schema declares NOT NULL (validation re-checks them: SQLite files and
    hand-made databases do not always enforce what the schema says)."""
    return [str(c.name) for c in metadata.tables[table].columns if not c.nullable]
