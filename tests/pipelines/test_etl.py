"""End-to-end ETL runs on hand-built operational rows, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import Engine, text

from core.settings import Settings
from ops.migrate import downgrade_to_base, upgrade_to_head
from pipelines import facts
from pipelines.lock import etl_lock
from pipelines.marts import REPAIR_CHILD_FACTS
from pipelines.run import EtlError, run_etl
from pipelines.runlog import RunLog
from pipelines.sources import source_tables
from tests.factories import (
    T0,
    customer_row,
    delete,
    hours,
    insert,
    repair_row,
    seed_shop,
    settings_for,
    status_event_rows,
    store_row,
    technician_row,
    touch,
)
from warehouse.reader import connect_read_only

BOOKKEEPING = {"etl_runs", "etl_run_tables"}


def seed_dirty_shop(engine: Engine) -> None:
    """:func:`seed_shop` plus the defects the history generator plants.

    Repairs 4 (fault code typo) and 5 (9999 labour minutes) and status event 900 (dated before its
    repair was received) must be quarantined; customers 2-4 (a duplicate of customer 1 with the
    email typed differently, a malformed email, no email) must be kept and flagged.
    """
    seed_shop(engine, repairs=3)
    insert(
        engine,
        "customers",
        [
            customer_row(2, last_name="Meyer1", email=" ANNA1@Example.com", phone="0170 0000002"),
            customer_row(3, email="anna3@@example.com"),
            customer_row(4, email=None),
        ],
    )
    insert(
        engine,
        "repairs",
        [
            repair_row(4, fault_code="craked_screen", customer_id=2),
            repair_row(5, labour_minutes=9999),
        ],
    )
    insert(
        engine,
        "payments",
        [
            {
                "id": 4,
                "repair_id": 4,
                "amount_eur": Decimal("99.00"),
                "method": "cash",
                "status": "succeeded",
                "idempotency_key": "pay-4",
                "paid_at": T0,
            },
        ],
    )
    insert(
        engine,
        "repair_status_events",
        [
            {
                "id": 900,
                "repair_id": 2,
                "status": "received",
                "occurred_at": T0 - dt.timedelta(days=3),
            },
        ],
    )


def warehouse_rows(settings: Settings, sql: str) -> list[tuple]:
    with connect_read_only(settings) as con:
        return con.execute(sql).fetchall()


def scalar(settings: Settings, sql: str):
    return warehouse_rows(settings, sql)[0][0]


def ops_scalar(engine: Engine, sql: str):
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


def contents(settings: Settings, skip: set[str] = BOOKKEEPING) -> dict[str, list[tuple]]:
    """Every row of every warehouse table (except ``skip``), in a stable order."""
    with connect_read_only(settings) as con:
        names = [r[0] for r in con.execute("SHOW TABLES").fetchall()]
        return {
            name: con.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall()
            for name in names
            if name not in skip
        }


def test_full_run_reconciles_with_the_ops_database(settings, ops_engine):
    seed_dirty_shop(ops_engine)
    summary = run_etl(settings)

    assert summary.status == "success"
    for source in source_tables().values():
        ops_rows = ops_scalar(ops_engine, f"SELECT count(*) FROM {source.name}")
        staged = scalar(settings, f"SELECT count(*) FROM {source.staging_name}")
        held = scalar(
            settings, f"SELECT count(*) FROM quarantine WHERE table_name = '{source.name}'"
        )
        assert ops_rows == staged + held, source.name
    assert summary.rows_quarantined == 3

    # Money: the marts hold exactly the ops money of the repairs that passed validation.
    ops_revenue = ops_scalar(
        ops_engine,
        "SELECT sum(final_price_eur - discount_eur) FROM repairs WHERE id NOT IN (4, 5)",
    )
    assert scalar(settings, "SELECT sum(revenue_eur) FROM fct_repairs") == ops_revenue
    ops_paid = ops_scalar(
        ops_engine, "SELECT sum(amount_eur) FROM payments WHERE repair_id NOT IN (4, 5)"
    )
    assert scalar(settings, "SELECT sum(amount_eur) FROM fct_payments") == ops_paid
    assert scalar(settings, "SELECT sum(parts_cost_eur) FROM fct_repairs") == Decimal("240.00")
    assert scalar(settings, "SELECT count(*) FROM fct_status_events") == 21


def test_bad_rows_are_quarantined_with_their_reasons(settings, ops_engine):
    seed_dirty_shop(ops_engine)
    run_etl(settings)

    assert warehouse_rows(
        settings, "SELECT table_name, row_key, reason FROM quarantine ORDER BY ALL"
    ) == [
        ("repair_status_events", "900", "occurred_before_repair_received"),
        ("repairs", "4", "fault_code_not_in_taxonomy"),
        ("repairs", "5", "labour_minutes_out_of_range"),
    ]
    raw = scalar(settings, "SELECT raw_row FROM quarantine WHERE row_key = '4'")
    assert '"fault_code":"craked_screen"' in raw
    # Soft defects are kept and flagged, not quarantined.
    assert warehouse_rows(
        settings,
        "SELECT customer_id, canonical_customer_id, has_email, is_email_valid "
        "FROM dim_customer ORDER BY customer_id",
    ) == [(1, 1, True, True), (2, 1, True, True), (3, 3, True, False), (4, 4, False, False)]


def test_a_second_run_without_changes_writes_nothing(settings, ops_engine):
    seed_dirty_shop(ops_engine)
    run_etl(settings)
    before = contents(settings)

    summary = run_etl(settings)

    assert summary.rows_written == 0
    assert contents(settings) == before


def test_late_changes_to_old_repairs_reach_the_marts(settings, ops_engine, tmp_path, monkeypatch):
    seed_dirty_shop(ops_engine)
    run_etl(settings)

    touch(ops_engine, "repairs", 1, final_price_eur=Decimal("200.00"))
    insert(ops_engine, "repairs", [repair_row(6, rework_of_repair_id=2)])
    insert(
        ops_engine, "repair_status_events", status_event_rows(6, 1000, repair_row(6)["received_at"])
    )
    touch(ops_engine, "feedback", 3, csat=2)
    touch(ops_engine, "repairs", 4, fault_code="cracked_screen")  # the typo fixed at the desk
    insert(  # a stock count correction inside the inventory window
        ops_engine,
        "stock_movements",
        [{"id": 50, "store_id": 1, "part_id": 1, "quantity": 3, "reason": "adjustment",
          "occurred_at": T0 + dt.timedelta(days=2)}],
    )  # fmt: skip
    summary = run_etl(settings)

    assert summary.full is False
    assert warehouse_rows(
        settings,
        "SELECT repair_id, revenue_eur, is_first_time_fix, csat FROM fct_repairs "
        "WHERE repair_id IN (1, 2, 3, 4, 6) ORDER BY repair_id",
    ) == [
        (1, Decimal("190.00"), True, 5),
        (2, Decimal("140.00"), False, 5),  # repair 6 came back to rework it
        (3, Decimal("140.00"), True, 2),
        (4, Decimal("140.00"), True, None),
        (6, Decimal("140.00"), False, None),
    ]
    assert scalar(settings, "SELECT count(*) FROM quarantine WHERE table_name = 'repairs'") == 1
    assert scalar(settings, "SELECT count(*) FROM fct_payments WHERE repair_id = 4") == 1
    assert scalar(settings, "SELECT sum(quantity_in) FROM fct_inventory_daily") == 3

    # The incrementally updated marts equal a rebuild from scratch.
    incremental = contents(settings, BOOKKEEPING | {"quarantine", "etl_watermarks"})
    monkeypatch.setenv("REPAIRLENS_DATA_DIR", str(tmp_path / "rebuilt"))
    rebuilt = settings_for(settings.ops_url, monkeypatch)
    run_etl(rebuilt, full=True)
    assert contents(rebuilt, BOOKKEEPING | {"quarantine", "etl_watermarks"}) == incremental


def test_deleted_ops_rows_leave_the_warehouse(settings, ops_engine):
    seed_dirty_shop(ops_engine)
    run_etl(settings)

    delete(ops_engine, "feedback", 3)
    delete(ops_engine, "payments", 4)  # belongs to quarantined repair 4
    delete(ops_engine, "repair_status_events", 900)  # a quarantined row
    run_etl(settings)

    assert scalar(settings, "SELECT count(*) FROM stg_feedback") == 2
    assert scalar(settings, "SELECT csat FROM fct_repairs WHERE repair_id = 3") is None
    assert scalar(settings, "SELECT count(*) FROM stg_payments") == 3
    assert (
        scalar(
            settings, "SELECT count(*) FROM quarantine WHERE table_name = 'repair_status_events'"
        )
        == 0
    )


def test_rows_written_behind_the_watermark_are_still_found(settings, ops_engine):
    seed_shop(ops_engine, repairs=2)
    run_etl(settings)

    # A bulk load with historical timestamps: updated_at long before the last run's watermark.
    old = dt.datetime(2020, 1, 1)
    insert(ops_engine, "repairs", [repair_row(3, created_at=old, updated_at=old)])
    run_etl(settings)

    assert scalar(settings, "SELECT count(*) FROM fct_repairs") == 3


def test_rows_stamped_in_the_future_do_not_hide_later_updates(settings, ops_engine):
    seed_shop(ops_engine, repairs=2)
    tomorrow = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=1)
    insert(ops_engine, "repairs", [repair_row(3, created_at=tomorrow, updated_at=tomorrow)])
    run_etl(settings)

    touch(ops_engine, "repairs", 1, final_price_eur=Decimal("500.00"))
    run_etl(settings)

    assert scalar(settings, "SELECT price_eur FROM fct_repairs WHERE repair_id = 1") == 500


def test_full_rebuild_replaces_the_warehouse(sqlite_settings, sqlite_ops_engine):
    seed_shop(sqlite_ops_engine, repairs=2)
    run_etl(sqlite_settings)
    delete(sqlite_ops_engine, "feedback", 2)

    summary = run_etl(sqlite_settings, full=True)

    assert summary.full
    assert scalar(sqlite_settings, "SELECT count(*) FROM fct_feedback") == 1
    runs = warehouse_rows(
        sqlite_settings, "SELECT status, is_full FROM etl_runs ORDER BY started_at"
    )
    assert runs == [("success", False), ("success", True)]


def test_each_run_is_recorded_with_its_table_counts(sqlite_settings, sqlite_ops_engine):
    seed_dirty_shop(sqlite_ops_engine)
    summary = run_etl(sqlite_settings)

    counts = dict(
        (row[0], row[1:])
        for row in warehouse_rows(
            sqlite_settings,
            "SELECT table_name, rows_read, rows_written, rows_quarantined FROM etl_run_tables "
            f"WHERE run_id = '{summary.run_id}'",
        )
    )
    assert counts["stg_repairs"] == (5, 3, 2)
    assert counts["fct_repairs"] == (0, 3, 0)
    assert summary.tables["stg_repairs"].rows_quarantined == 2
    assert summary.duration_s > 0


# ------------------------------------------------------------------------------- bad input


def published_bytes(settings: Settings) -> bytes:
    return settings.warehouse_path.read_bytes()


def publish_one_repair(settings: Settings, engine: Engine) -> bytes:
    """Publish a warehouse from a good database; returns its bytes."""
    seed_shop(engine, repairs=1)
    run_etl(settings)
    return published_bytes(settings)


@pytest.fixture
def published(settings, ops_engine) -> bytes:
    return publish_one_repair(settings, ops_engine)


@pytest.fixture
def published_sqlite(sqlite_settings, sqlite_ops_engine) -> bytes:
    return publish_one_repair(sqlite_settings, sqlite_ops_engine)


def assert_failed_cleanly(settings: Settings, error: EtlError, before: bytes | None) -> None:
    message = str(error)
    assert "\n" not in message and "repairlens" in message
    if before is None:
        assert not settings.warehouse_path.exists()
    else:
        assert published_bytes(settings) == before
    runs, _tables = RunLog(settings.data_dir).frames()
    assert runs["status"].to_list()[-1] == "failed"
    assert runs["error"].to_list()[-1] == message


def test_unreachable_database(data_dir, monkeypatch):
    settings = settings_for("postgresql+psycopg://postgres@127.0.0.1:1/repairlens", monkeypatch)
    with pytest.raises(EtlError, match="cannot reach the operational database") as caught:
        run_etl(settings)
    assert_failed_cleanly(settings, caught.value, None)


def test_missing_sqlite_database(data_dir, monkeypatch):
    settings = settings_for(f"sqlite:///{data_dir / 'nowhere.sqlite'}", monkeypatch)
    with pytest.raises(EtlError, match="repairlens generate") as caught:
        run_etl(settings)
    assert_failed_cleanly(settings, caught.value, None)
    assert not (data_dir / "nowhere.sqlite").exists()


def test_database_behind_the_schema_head(settings, ops_engine, published):
    downgrade_to_base(ops_engine)
    with pytest.raises(
        EtlError, match=r"revision None, head is \w+: run `repairlens migrate`"
    ) as e:
        run_etl(settings)
    assert_failed_cleanly(settings, e.value, published)


def test_empty_database(settings, ops_engine, published):
    downgrade_to_base(ops_engine)
    upgrade_to_head(ops_engine)
    with pytest.raises(EtlError, match="operational database is empty: run `repairlens generate`"):
        run_etl(settings)
    assert published_bytes(settings) == published


def test_a_second_etl_waits_its_turn(sqlite_settings, published_sqlite):
    with (
        etl_lock(sqlite_settings.data_dir),
        pytest.raises(EtlError, match="another ETL run") as caught,
    ):
        run_etl(sqlite_settings)
    assert "\n" not in str(caught.value)


def test_a_broken_invariant_fails_the_run_and_publishes_nothing(
    sqlite_settings, sqlite_ops_engine, published_sqlite, monkeypatch
):
    original = facts.fct_repairs

    def off_by_a_cent(scope: str, restage: str | None = None) -> str:
        return (
            "SELECT * REPLACE (CAST(revenue_eur + 0.01 AS DECIMAL(12, 2)) AS revenue_eur) "
            f"FROM ({original(scope, restage)})"
        )

    monkeypatch.setattr(facts, "fct_repairs", off_by_a_cent)
    touch(sqlite_ops_engine, "repairs", 1, discount_eur=Decimal("0.00"))
    with pytest.raises(EtlError, match="revenue_is_parts_plus_labour_minus_discount") as caught:
        run_etl(sqlite_settings)
    assert_failed_cleanly(sqlite_settings, caught.value, published_sqlite)
    assert not list(Path(sqlite_settings.data_dir, ".warehouse-work").iterdir())


def test_the_published_warehouse_is_a_plain_duckdb_file(sqlite_settings, published_sqlite):
    con = duckdb.connect(str(sqlite_settings.warehouse_path), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM fct_repairs").fetchall() == [(1,)]
    finally:
        con.close()


def test_status_events_of_an_edited_repair_are_judged_again(settings, ops_engine):
    seed_shop(ops_engine, repairs=1)
    run_etl(settings)

    # The desk corrects the intake time to a day later: now its events predate it.
    touch(
        ops_engine,
        "repairs",
        1,
        received_at=repair_row(1)["received_at"] + hours(24),
        completed_at=repair_row(1)["received_at"] + hours(30),
    )
    run_etl(settings)

    assert (
        scalar(
            settings, "SELECT count(*) FROM quarantine WHERE table_name = 'repair_status_events'"
        )
        == 3
    )  # received, diagnosing and awaiting_parts happened before the corrected intake


# ------------------------------------------------------------------- facts hanging off a repair

MART_TABLES_ONLY = BOOKKEEPING | {"quarantine", "etl_watermarks"}
CHILD_FACT_TABLES = ("fct_status_events", "fct_parts_usage", "fct_payments", "fct_feedback")


def columns_read_from_repairs(sql: str) -> set[str]:
    """The stg_repairs columns a fact's SQL reads: ``r.<column>`` and any column listed in a
    ``SELECT ... FROM stg_repairs`` (``*`` lists none)."""
    read = set(re.findall(r"\br\.(\w+)", sql))
    for listed in re.findall(r"\(SELECT\s+([\w\s,*]+?)\s+FROM\s+stg_repairs\b", sql):
        read |= {c.strip() for c in listed.split(",") if c.strip() != "*"}
    return read


def rebuilt_contents(settings: Settings, tmp_path: Path, monkeypatch) -> dict[str, list[tuple]]:
    """The marts a full run builds from scratch on the same ops database."""
    monkeypatch.setenv("REPAIRLENS_DATA_DIR", str(tmp_path / "rebuilt"))
    rebuilt = settings_for(settings.ops_url, monkeypatch)
    run_etl(rebuilt, full=True)
    return contents(rebuilt, MART_TABLES_ONLY)


def test_child_fact_columns_match_the_fact_sql():
    assert set(REPAIR_CHILD_FACTS) == set(CHILD_FACT_TABLES)
    for fact, (child, columns) in REPAIR_CHILD_FACTS.items():
        sql = getattr(facts, fact)()
        assert re.search(rf"\bFROM\s+stg_{child}\b", sql), fact
        assert re.search(r"\bFROM\s+stg_repairs\b[^)]*\)\s+AS\s+r\b", sql), fact
        assert columns_read_from_repairs(sql) <= {"repair_id", *columns}, fact


def test_a_price_correction_rebuilds_only_the_repair_row(
    settings, ops_engine, tmp_path, monkeypatch
):
    seed_shop(ops_engine, repairs=3)
    run_etl(settings)

    touch(ops_engine, "repairs", 2, final_price_eur=Decimal("180.00"))
    summary = run_etl(settings)

    assert summary.published is True
    assert summary.tables["fct_repairs"].rows_written == 2  # the old row out, the new one in
    for fact in CHILD_FACT_TABLES:
        assert summary.tables[fact].rows_written == 0, fact
    assert scalar(settings, "SELECT revenue_eur FROM fct_repairs WHERE repair_id = 2") == Decimal(
        "170.00"
    )
    incremental = contents(settings, MART_TABLES_ONLY)
    assert rebuilt_contents(settings, tmp_path, monkeypatch) == incremental


# A column of each child fact no edit of the repair row can change, and a value to mark it with.
MARKS = {
    "fct_status_events": ("note", "'marked'"),
    "fct_parts_usage": ("used_date", "DATE '2000-01-01'"),
    "fct_payments": ("requested_at", "TIMESTAMP '2000-01-01'"),
    "fct_feedback": ("comment", "'marked'"),
}


def test_a_price_correction_leaves_the_other_facts_of_the_repair_as_they_were(settings, ops_engine):
    seed_shop(ops_engine, repairs=3)
    run_etl(settings)
    # Mark the published child rows of repair 2: a rebuild of them would wipe the marks.
    with duckdb.connect(str(settings.warehouse_path)) as con:
        for fact, (column, value) in MARKS.items():
            con.execute(f"UPDATE {fact} SET {column} = {value} WHERE repair_id = 2")

    touch(ops_engine, "repairs", 2, final_price_eur=Decimal("180.00"))
    run_etl(settings)

    for fact, (column, value) in MARKS.items():
        assert scalar(
            settings, f"SELECT bool_and({column} = {value}) FROM {fact} WHERE repair_id = 2"
        ), fact


def test_repair_edits_reach_every_fact_that_shows_them(settings, ops_engine, tmp_path, monkeypatch):
    seed_shop(ops_engine, repairs=3)
    insert(ops_engine, "stores", [store_row(2)])
    insert(ops_engine, "technicians", [technician_row(2, store_id=2)])
    insert(ops_engine, "customers", [customer_row(2)])
    run_etl(settings)

    completed = repair_row(1)["completed_at"] + hours(1)
    touch(ops_engine, "repairs", 1, store_id=2, technician_id=2, completed_at=completed)
    touch(ops_engine, "repairs", 3, customer_id=2)
    summary = run_etl(settings)

    for fact in CHILD_FACT_TABLES:
        assert summary.tables[fact].rows_written > 0, fact
    assert set(
        warehouse_rows(settings, "SELECT store_id FROM fct_status_events WHERE repair_id = 1")
    ) == {(2,)}
    assert warehouse_rows(
        settings,
        "SELECT store_id, technician_id, used_date FROM fct_parts_usage WHERE repair_id = 1",
    ) == [(2, 2, completed.date())]
    assert warehouse_rows(
        settings, "SELECT repair_id, customer_id, store_id FROM fct_payments ORDER BY repair_id"
    ) == [(1, 1, 2), (2, 1, 1), (3, 2, 1)]
    assert warehouse_rows(
        settings,
        "SELECT repair_id, customer_id, store_id, technician_id FROM fct_feedback "
        "ORDER BY repair_id",
    ) == [(1, 1, 2, 2), (2, 1, 1, 1), (3, 2, 1, 1)]
    incremental = contents(settings, MART_TABLES_ONLY)
    assert rebuilt_contents(settings, tmp_path, monkeypatch) == incremental


def booking_row(id: int) -> dict:
    slot = T0 + dt.timedelta(days=id, hours=-2)
    return {
        "id": id,
        "reference": f"B{id:05d}",
        "customer_id": 1,
        "customer_device_id": 1,
        "store_id": 1,
        "technician_id": 1,
        "slot_start_at": slot,
        "slot_end_at": slot + dt.timedelta(minutes=30),
        "channel": "web",
        "status": "checked_in",
        "symptoms_text": "screen cracked",
    }


def test_linking_a_repair_to_its_booking_reaches_the_booking(
    settings, ops_engine, tmp_path, monkeypatch
):
    seed_shop(ops_engine, repairs=2)
    insert(ops_engine, "bookings", [booking_row(1), booking_row(2)])
    run_etl(settings)

    touch(ops_engine, "repairs", 2, booking_id=2)
    summary = run_etl(settings)

    assert summary.tables["fct_bookings"].rows_written == 2
    assert warehouse_rows(
        settings, "SELECT booking_id, repair_id, has_repair FROM fct_bookings ORDER BY booking_id"
    ) == [(1, None, False), (2, 2, True)]
    incremental = contents(settings, MART_TABLES_ONLY)
    assert rebuilt_contents(settings, tmp_path, monkeypatch) == incremental


def test_a_corrected_event_time_reaches_the_repairs_stage_hours(
    settings, ops_engine, tmp_path, monkeypatch
):
    seed_shop(ops_engine, repairs=2)
    run_etl(settings)
    in_repair_of_repair_1 = 4  # the TIMELINE's fourth event: in_repair after 24 hours
    moved = repair_row(1)["received_at"] + dt.timedelta(hours=20)
    touch(ops_engine, "repair_status_events", in_repair_of_repair_1, occurred_at=moved)

    run_etl(settings)

    assert warehouse_rows(
        settings,
        "SELECT repair_id, awaiting_parts_hours, in_repair_hours FROM fct_repairs ORDER BY 1",
    ) == [(1, 16.0, 8.0), (2, 20.0, 4.0)]
    assert contents(settings, MART_TABLES_ONLY) == rebuilt_contents(settings, tmp_path, monkeypatch)


def test_a_corrected_intake_time_reaches_the_repairs_stage_hours(
    settings, ops_engine, tmp_path, monkeypatch
):
    seed_shop(ops_engine, repairs=2)
    run_etl(settings)
    touch(
        ops_engine, "repairs", 2, received_at=repair_row(2)["received_at"] - dt.timedelta(hours=1)
    )

    run_etl(settings)

    assert warehouse_rows(
        settings,
        "SELECT repair_id, received_to_diagnosed_hours, total_turnaround_hours FROM fct_repairs "
        "ORDER BY 1",
    ) == [(1, 4.0, 48.0), (2, 5.0, 49.0)]
    assert contents(settings, MART_TABLES_ONLY) == rebuilt_contents(settings, tmp_path, monkeypatch)


def test_a_deletion_logged_long_before_the_last_run_is_still_applied(settings, ops_engine):
    seed_shop(ops_engine, repairs=3)
    run_etl(settings)
    delete(ops_engine, "feedback", 2)
    # As if the deleting transaction had started two hours ago and committed only now.
    with ops_engine.begin() as conn:
        conn.execute(
            text("UPDATE deleted_rows SET deleted_at = :at"),
            {"at": dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(hours=2)},
        )

    run_etl(settings)

    assert scalar(settings, "SELECT count(*) FROM stg_feedback") == 2
    assert scalar(settings, "SELECT csat FROM fct_repairs WHERE repair_id = 2") is None


def test_deletions_made_before_the_deletion_log_existed_are_found_once(settings, ops_engine):
    seed_shop(ops_engine, repairs=3)
    run_etl(settings)
    delete(ops_engine, "feedback", 2)
    with ops_engine.begin() as conn:  # the log did not exist yet: it holds nothing
        conn.execute(text("DELETE FROM deleted_rows"))
    with duckdb.connect(str(settings.warehouse_path)) as con:  # a warehouse from back then
        con.execute("DELETE FROM etl_watermarks WHERE table_name = 'deleted_rows'")

    run_etl(settings)

    assert scalar(settings, "SELECT count(*) FROM stg_feedback") == 2
    assert scalar(settings, "SELECT count(*) FROM fct_feedback") == 2
