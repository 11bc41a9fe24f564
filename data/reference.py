"""Loaders for the reference tables shipped in ``data/reference/`` (see its README for the columns).

Each loader reads one CSV once per process and returns a polars DataFrame with explicit dtypes, so
the generator, the ETL and the models all see the same types. Polars frames are immutable, so
sharing the cached frame is safe. The frames are returned in file order.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import polars as pl

REFERENCE_DIR = Path(__file__).parent / "reference"

_FAULTS_SCHEMA = {
    "code": pl.String,
    "name": pl.String,
    "device_categories": pl.String,
    "repair_type": pl.String,
    "part_category": pl.String,
    "description": pl.String,
}
_DEVICE_MODELS_SCHEMA = {
    "brand": pl.String,
    "model": pl.String,
    "category": pl.String,
    "release_date": pl.Date,
    "device_class": pl.String,
    "launch_price_eur": pl.Float64,
}
_PARTS_SCHEMA = {
    "sku": pl.String,
    "name": pl.String,
    "part_category": pl.String,
    "brand": pl.String,
    "model": pl.String,
    "unit_cost_eur": pl.Float64,
    "lead_time_days": pl.Int64,
    "supplier": pl.String,
}
_FAULT_CHECKS_SCHEMA = {
    "fault_code": pl.String,
    "step": pl.Int64,
    "check": pl.String,
}
_PRICE_LIST_SCHEMA = {
    "fault_code": pl.String,
    "category": pl.String,
    "device_class": pl.String,
    "labour_minutes": pl.Int64,
    "labour_price_eur": pl.Float64,
    "price_low_eur": pl.Float64,
    "price_high_eur": pl.Float64,
}


def _read(name: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.read_csv(REFERENCE_DIR / name, schema=schema)


@cache
def faults() -> pl.DataFrame:
    """The fault taxonomy: one row per fault ``code``.

    ``device_categories`` stays the ``|``-separated text of the file; use
    :func:`fault_categories` for one row per (fault, category).
    """
    return _read("faults.csv", _FAULTS_SCHEMA)


@cache
def fault_categories() -> pl.DataFrame:
    """One row per (``code``, ``category``) a fault occurs on, from ``device_categories``."""
    return (
        faults()
        .select("code", category=pl.col("device_categories").str.split("|"))
        .explode("category")
    )


@cache
def fault_codes() -> frozenset[str]:
    """The valid fault codes, for validating ``repairs.fault_code`` and ``initial_fault_code``."""
    return frozenset(faults()["code"].to_list())


@cache
def device_models() -> pl.DataFrame:
    """The device catalogue: one row per (``brand``, ``model``), ``release_date`` as a Date."""
    return _read("device_models.csv", _DEVICE_MODELS_SCHEMA)


@cache
def parts() -> pl.DataFrame:
    """The spare-parts catalogue: one row per ``sku``; each SKU fits exactly one (brand, model)."""
    return _read("parts.csv", _PARTS_SCHEMA)


@cache
def price_list() -> pl.DataFrame:
    """The shop's price list: one row per (``fault_code``, ``category``, ``device_class``)."""
    return _read("price_list.csv", _PRICE_LIST_SCHEMA)


@cache
def fault_checks() -> pl.DataFrame:
    """Bench checks per fault: one row per (``fault_code``, ``step``), 2–4 steps per fault code,
    in the order a technician should run them."""
    return _read("fault_checks.csv", _FAULT_CHECKS_SCHEMA)
