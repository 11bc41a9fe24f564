"""Extraction: typed frames, deltas by watermark, and one consistent snapshot per run."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl

from ops.schema import utcnow
from pipelines.extract import ops_snapshot
from pipelines.sources import source_tables
from tests.factories import delete, insert, repair_row, seed_shop

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


def test_a_delta_also_holds_rows_above_an_id_whatever_their_updated_at(ops_engine):
    seed_shop(ops_engine, repairs=2)
    old = dt.datetime(2020, 1, 1)
    insert(ops_engine, "repairs", [repair_row(3, updated_at=old)])
    with ops_snapshot(ops_engine) as ops:
        delta = ops.rows(REPAIRS, since=dt.datetime(2099, 1, 1), above=2)
    assert delta["id"].to_list() == [3]


def test_the_database_logs_every_deleted_row(ops_engine):
    seed_shop(ops_engine, repairs=3)
    delete(ops_engine, "feedback", 2)
    delete(ops_engine, "repair_status_events", 1)
    with ops_snapshot(ops_engine) as ops:
        logged = ops.deleted_ids(None)
        assert ops.deleted_ids(utcnow() + dt.timedelta(hours=1)) == {}
    assert logged == {"feedback": [2], "repair_status_events": [1]}


def test_a_deleted_id_inserted_again_exists(ops_engine):
    seed_shop(ops_engine, repairs=2)
    delete(ops_engine, "feedback", 2)
    delete(ops_engine, "feedback", 1)
    again = {"id": 1, "repair_id": 1, "csat": 4, "submitted_at": dt.datetime(2024, 1, 1)}
    insert(ops_engine, "feedback", [again])
    with ops_snapshot(ops_engine) as ops:
        assert ops.existing_ids(source_tables()["feedback"], [1, 2]) == [1]


def test_the_snapshot_clock_is_the_databases_utc_now(ops_engine):
    with ops_snapshot(ops_engine) as ops:
        assert abs(ops.now() - utcnow()) < dt.timedelta(minutes=1)
