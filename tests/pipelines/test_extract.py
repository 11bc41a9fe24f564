"""Extraction: typed frames, deltas by watermark, and one consistent snapshot per run."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import polars as pl

from ops.schema import utcnow
from pipelines.extract import ops_snapshot
from pipelines.sources import source_tables
from tests.factories import insert, repair_row, seed_shop

REPAIRS = source_tables()["repairs"]


def test_rows_arrive_with_the_ops_types(ops_engine):
    seed_shop(ops_engine, repairs=1)
    with ops_snapshot(ops_engine) as ops:
        frame = ops.rows(REPAIRS)
    assert frame.schema == pl.Schema(REPAIRS.raw_schema)
    row = frame.row(0, named=True)
    assert (row["final_price_eur"], row["is_warranty"], row["rework_of_repair_id"]) == (
        Decimal("150.00"),
        False,
        None,
    )
    assert row["received_at"] == repair_row(1)["received_at"]


def test_a_delta_holds_rows_updated_since_and_the_extra_keys_asked_for(ops_engine):
    seed_shop(ops_engine, repairs=3)
    old = dt.datetime(2020, 1, 1)
    insert(ops_engine, "repairs", [repair_row(4, updated_at=old), repair_row(5, updated_at=old)])
    with ops_snapshot(ops_engine) as ops:
        delta = ops.rows(REPAIRS, since=dt.datetime(2021, 1, 1), also=("id", [5]))
    assert sorted(delta["id"]) == [1, 2, 3, 5]


def test_a_snapshot_does_not_see_rows_committed_after_it_began(ops_engine):
    seed_shop(ops_engine, repairs=2)
    with ops_snapshot(ops_engine) as ops:
        before = ops.count(REPAIRS)
        insert(ops_engine, "repairs", [repair_row(3)])  # another connection commits meanwhile
        assert ops.count(REPAIRS) == before == ops.rows(REPAIRS).height
    with ops_snapshot(ops_engine) as ops:
        assert ops.count(REPAIRS) == 3


def test_counts_taken_in_the_background_see_the_same_snapshot(ops_engine):
    seed_shop(ops_engine, repairs=2)
    with ops_snapshot(ops_engine) as ops, ThreadPoolExecutor(max_workers=1) as background:
        before = ops.count(REPAIRS)
        insert(ops_engine, "repairs", [repair_row(3)])  # another connection commits meanwhile
        assert ops.counts_soon([REPAIRS], background)["repairs"].result() == before


def test_the_snapshot_clock_is_the_databases_utc_now(ops_engine):
    with ops_snapshot(ops_engine) as ops:
        assert abs(ops.now() - utcnow()) < dt.timedelta(minutes=1)
