"""generate_history: its contract, determinism on both engines, the constraints its rows keep."""

from __future__ import annotations

import dataclasses
import datetime as dt

import polars as pl
import pytest
from sqlalchemy import Engine, insert, text

from core.db import make_engine
from data.generator import DatabaseNotEmptyError, GeneratorConfig, generate_history
from data.generator.config import HistoryWindow
from data.generator.history import history_tables
from ops.bulk import bulk_insert
from ops.migrate import upgrade_to_head
from ops.schema import TABLES_IN_LOAD_ORDER, metadata
from tests.conftest import create_pg_database, drop_pg_database
from tests.data.conftest import SMALL, Generated

LIVE = ("booked", "checked_in")


# --- contract ---------------------------------------------------------------------------------


def test_it_writes_every_operational_table_and_reports_rows_per_table(generated: Generated):
    assert set(generated.written) == set(TABLES_IN_LOAD_ORDER)
    for table, rows in generated.written.items():
        assert generated.table(table).height == rows > 0, table


def test_it_reports_progress(generated: Generated):
    assert any(message.startswith("writing repairs") for message in generated.messages)
    assert generated.messages[-1].startswith("done")


def test_it_refuses_a_database_that_already_has_repairs(generated: Generated):
    with pytest.raises(DatabaseNotEmptyError, match="repairs table already has rows"):
        generate_history(generated.engine, SMALL)


def test_it_refuses_a_database_that_already_has_stores(ops_engine):
    bulk_insert(ops_engine, "stores", generated_store_row())
    with pytest.raises(DatabaseNotEmptyError, match="stores table already has rows"):
        generate_history(ops_engine, SMALL)


def test_ids_run_from_one_without_gaps(generated: Generated):
    for table in TABLES_IN_LOAD_ORDER:
        if "id" in metadata.tables[table].columns:
            ids = generated.table(table)["id"]
            assert ids.to_list() == list(range(1, ids.len() + 1)), table


def test_new_rows_get_ids_after_the_generated_ones(generated: Generated):
    stores = metadata.tables["stores"]
    row = generated_store_row(code="NEW-99").drop("id").to_dicts()[0]
    with generated.engine.connect() as conn:
        new_id = conn.execute(insert(stores).values(row).returning(stores.c.id)).scalar_one()
        conn.rollback()
    assert new_id == generated.written["stores"] + 1


def test_sized_history_comes_within_five_percent_of_the_requested_repairs():
    config = dataclasses.replace(SMALL, repairs=4_000, seed=3)
    repairs = history_tables(config)["repairs"].height
    assert abs(repairs / 4_000 - 1) <= 0.05


def test_history_ends_today_unless_an_end_date_is_given():
    assert HistoryWindow.for_config(GeneratorConfig()).end == dt.datetime.now(dt.UTC).date()
    assert HistoryWindow.for_config(SMALL).end == dt.date(2025, 6, 30)


# --- determinism ------------------------------------------------------------------------------


def test_the_same_config_builds_identical_tables(small_tables: dict[str, pl.DataFrame]):
    again = history_tables(SMALL)
    for table, frame in small_tables.items():
        assert frame.equals(again[table]), table


def test_a_different_seed_builds_a_different_history(small_tables: dict[str, pl.DataFrame]):
    other = history_tables(dataclasses.replace(SMALL, seed=SMALL.seed + 1))
    assert not small_tables["repairs"].equals(other["repairs"])
    assert not small_tables["customers"].equals(other["customers"])


def test_each_engine_stores_exactly_the_built_rows(
    generated: Generated, small_tables: dict[str, pl.DataFrame]
):
    """With the previous test this makes SQLite and PostgreSQL hold identical rows."""
    for table, frame in small_tables.items():
        columns = list(metadata.tables[table].columns.keys())
        assert frame.columns == columns or set(frame.columns) == set(columns), table
        stored = generated.table(table)
        assert stored.rows() == frame.select(columns).rows(), table


# --- constraints ------------------------------------------------------------------------------


def test_stock_on_hand_never_goes_negative_and_matches_the_movements(generated: Generated):
    movements = generated.table("stock_movements").sort("occurred_at", "id")
    running = movements.with_columns(
        on_hand=pl.col("quantity")
        .cum_sum()
        .over("store_id", "part_id", order_by=["occurred_at", "id"])
    )
    assert running["on_hand"].min() >= 0
    totals = movements.group_by("store_id", "part_id").agg(pl.col("quantity").sum().alias("moved"))
    levels = generated.table("stock_levels").join(totals, on=["store_id", "part_id"], how="left")
    assert (levels["quantity_on_hand"] == levels["moved"].fill_null(0)).all()


def test_a_technician_never_holds_two_live_bookings_for_the_same_slot(generated: Generated):
    live = generated.table("bookings").filter(pl.col("status").is_in(LIVE))
    assert live.select(pl.struct("technician_id", "slot_start_at").is_unique().all()).item()


def test_every_payment_and_feedback_belongs_to_a_collected_repair(generated: Generated):
    repairs = generated.table("repairs").filter(pl.col("collected_at").is_not_null())
    for table in ("payments", "feedback"):
        orphans = generated.table(table).join(
            repairs, left_on="repair_id", right_on="id", how="anti"
        )
        assert orphans.is_empty(), table


def test_nothing_is_written_after_the_end_date_except_next_weeks_bookings(generated: Generated):
    limit = dt.datetime.combine(SMALL.end_date + dt.timedelta(days=1), dt.time())
    for table in TABLES_IN_LOAD_ORDER:
        frame = generated.table(table)
        if table == "bookings":
            frame = frame.filter(pl.col("status") != "booked")
        for column in ("created_at", "updated_at"):
            assert frame[column].max() < limit, (table, column)
    future = generated.table("bookings").filter(pl.col("status") == "booked")
    assert future["slot_start_at"].min() >= limit - dt.timedelta(hours=3)
    assert future["created_at"].max() < limit


def test_open_repairs_at_the_end_form_a_live_backlog(generated: Generated):
    statuses = set(generated.table("repairs")["status"])
    assert {"collected", "cancelled", "ready"} <= statuses
    assert statuses & {"received", "diagnosing", "awaiting_parts", "in_repair", "quality_check"}


def test_a_repairs_status_is_its_latest_recorded_event(generated: Generated):
    latest = (
        generated.table("repair_status_events")
        .sort("repair_id", "id")
        .group_by("repair_id", maintain_order=True)
        .last()
    )
    joined = generated.table("repairs").join(
        latest, left_on="id", right_on="repair_id", suffix="_event"
    )
    assert (joined["status"] == joined["status_event"]).mean() > 0.995


def test_reworks_point_back_to_an_earlier_repair_of_the_same_device_within_90_days(
    generated: Generated,
):
    repairs = generated.table("repairs")
    reworks = repairs.filter(pl.col("rework_of_repair_id").is_not_null()).join(
        repairs, left_on="rework_of_repair_id", right_on="id", suffix="_original"
    )
    assert reworks.height > 0
    assert reworks["is_warranty"].all()
    assert (reworks["customer_device_id"] == reworks["customer_device_id_original"]).mean() > 0.9
    gap = (reworks["received_at"] - reworks["collected_at_original"]).dt.total_days()
    assert gap.min() >= 7 and gap.max() <= 90


def generated_store_row(code: str = "TST-01") -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": [1],
            "code": [code],
            "name": ["Test store"],
            "city": ["Berlin"],
            "country_code": ["DE"],
            "timezone": ["Europe/Berlin"],
            "opening_hours": ["{}"],
            "opened_on": [dt.date(2024, 1, 1)],
        }
    )


def test_sqlite_finds_no_foreign_key_violations(sqlite_history: Generated):
    """PostgreSQL checks every row when the generator restores its foreign keys."""
    with sqlite_history.engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_key_check")).all() == []


def test_postgresql_ends_with_exactly_the_migrated_constraints_and_indexes(
    postgres_history: Generated,
):
    """The bulk load drops and recreates them; every one must come back, validated."""
    fresh_name, fresh_url = create_pg_database()
    fresh = make_engine(fresh_url)
    try:
        upgrade_to_head(fresh)
        assert _schema_objects(postgres_history.engine) == _schema_objects(fresh)
    finally:
        fresh.dispose()
        drop_pg_database(fresh_name)


def _schema_objects(engine: Engine) -> set[tuple]:
    with engine.connect() as conn:
        constraints = conn.execute(
            text(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated "
                "FROM pg_constraint WHERE connamespace = current_schema()::regnamespace"
            )
        ).all()
        indexes = conn.execute(
            text(
                "SELECT tablename, indexname, indexdef FROM pg_indexes "
                "WHERE schemaname = current_schema()"
            )
        ).all()
    return {("constraint", *row) for row in constraints} | {("index", *row) for row in indexes}
