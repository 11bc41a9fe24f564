"""End to end on a small generated history: every planted defect is caught, nothing is lost."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import duckdb
import pytest
from sqlalchemy import Engine, text

from core.db import make_engine
from core.settings import Settings
from data.generator import GeneratorConfig, generate_history
from data.reference import fault_codes
from ops.migrate import upgrade_to_head
from pipelines.run import EtlRunSummary, run_etl
from pipelines.sources import source_tables
from pipelines.validate import MAX_LABOUR_MINUTES
from tests.conftest import create_pg_database, drop_pg_database
from warehouse.reader import connect_read_only


@dataclass(frozen=True)
class History:
    settings: Settings
    engine: Engine
    summary: EtlRunSummary


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def history(request, tmp_path_factory) -> Iterator[History]:
    """One generated history per engine, loaded once and shared by this module's tests."""
    directory = tmp_path_factory.mktemp("generated")
    database = None
    if request.param == "sqlite":
        url = f"sqlite:///{directory / 'ops.sqlite'}"
    else:
        database, url = create_pg_database()
    engine = make_engine(url)
    try:
        upgrade_to_head(engine)
        generate_history(engine, GeneratorConfig(stores=2, years=1, seed=1))
        settings = Settings(data_dir=directory / "var", ops_db_url=url)
        yield History(settings, engine, run_etl(settings))
    finally:
        engine.dispose()
        if database:
            drop_pg_database(database)


@pytest.fixture
def con(history: History) -> Iterator[duckdb.DuckDBPyConnection]:
    with connect_read_only(history.settings) as connection:
        yield connection


def ops_value(history: History, sql: str):
    with history.engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


def cents(value) -> Decimal:
    """SQLite sums money as floats; compare to the cent."""
    return Decimal(str(round(float(value), 2)))


def test_every_ops_row_is_in_staging_or_quarantine(history, con):
    for source in source_tables().values():
        ops_rows = ops_value(history, f"SELECT count(*) FROM {source.name}")
        staged = con.execute(f"SELECT count(*) FROM {source.staging_name}").fetchall()[0][0]
        held = con.execute(
            "SELECT count(*) FROM quarantine WHERE table_name = ?", [source.name]
        ).fetchall()[0][0]
        assert ops_rows == staged + held, source.name


def test_planted_defects_are_quarantined_and_nothing_else(history, con):
    codes = ", ".join(f"'{code}'" for code in sorted(fault_codes()))
    expected = {
        "fault_code_not_in_taxonomy": ops_value(
            history, f"SELECT count(*) FROM repairs WHERE fault_code NOT IN ({codes})"
        ),
        "labour_minutes_out_of_range": ops_value(
            history, f"SELECT count(*) FROM repairs WHERE labour_minutes > {MAX_LABOUR_MINUTES}"
        ),
        "occurred_before_repair_received": ops_value(
            history,
            "SELECT count(*) FROM repair_status_events AS e JOIN repairs AS r "
            "ON r.id = e.repair_id WHERE e.occurred_at < r.received_at",
        ),
    }
    found = dict(
        con.execute(
            "SELECT reason, count(*) FROM (SELECT unnest(string_split(reason, '; ')) AS reason "
            "FROM quarantine) GROUP BY reason"
        ).fetchall()
    )
    assert found == {rule: count for rule, count in expected.items() if count}
    assert sum(expected.values()) > 0  # the generator did plant some


def test_money_reconciles_for_the_repairs_that_passed(history, con):
    quarantined = [
        int(key)
        for (key,) in con.execute(
            "SELECT row_key FROM quarantine WHERE table_name = 'repairs'"
        ).fetchall()
    ] or [0]
    kept = f"NOT IN ({', '.join(map(str, quarantined))})"
    ops_revenue = ops_value(
        history,
        f"SELECT sum(coalesce(final_price_eur, 0) - discount_eur) FROM repairs WHERE id {kept}",
    )
    ops_parts = ops_value(
        history,
        f"SELECT sum(quantity * unit_cost_eur) FROM repair_parts WHERE repair_id {kept}",
    )
    revenue, parts = con.execute(
        "SELECT sum(revenue_eur), sum(parts_cost_eur) FROM fct_repairs"
    ).fetchall()[0]
    assert (cents(revenue), cents(parts)) == (cents(ops_revenue), cents(ops_parts))


def test_soft_defects_are_kept_and_flagged(con):
    duplicates, invalid, missing = con.execute(
        "SELECT count(*) FILTER (is_duplicate), "
        "count(*) FILTER (has_email AND NOT is_email_valid), "
        "count(*) FILTER (NOT has_email) FROM dim_customer"
    ).fetchall()[0]
    late = con.execute("SELECT count(*) FROM fct_status_events WHERE is_recorded_late").fetchall()
    assert duplicates > 0 and invalid > 0 and missing > 0 and late[0][0] > 0


def test_a_second_run_on_the_generated_history_writes_nothing(history):
    assert history.summary.rows_quarantined > 0
    assert run_etl(history.settings).rows_written == 0
