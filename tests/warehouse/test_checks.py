"""Data checks pass on a fresh warehouse and catch each kind of breakage."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from pipelines.run import run_etl
from tests.factories import seed_shop
from warehouse.checks import run_checks


@pytest.fixture
def warehouse(settings, ops_engine, tmp_path):
    """A writable copy of a freshly published warehouse."""
    seed_shop(ops_engine, repairs=3)
    run_etl(settings)
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(settings.warehouse_path, copy)
    con = duckdb.connect(str(copy))
    yield con
    con.close()


def failing(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [result.name for result in run_checks(con) if not result.passed]


def test_a_fresh_warehouse_passes_every_check(warehouse):
    assert failing(warehouse) == []


@pytest.mark.parametrize(
    ("damage", "caught_by"),
    [
        # revenue no longer equals parts + labour - discount
        (
            "UPDATE fct_repairs SET revenue_eur = revenue_eur + 1 WHERE repair_id = 1",
            {
                "fct_repairs.revenue_is_parts_plus_labour_minus_discount",
                "fct_repairs.gross_margin_is_revenue_minus_parts_cost",
            },
        ),
        # a repair loaded twice
        (
            "INSERT INTO fct_repairs SELECT * FROM fct_repairs WHERE repair_id = 1",
            {"fct_repairs.primary_key_unique", "fct_repairs.one_row_per_staged_repair"},
        ),
        # a fact pointing at a store that is not in dim_store
        (
            "UPDATE fct_payments SET store_id = 99 WHERE payment_id = 1",
            {"fct_payments.store_id_references_dim_store"},
        ),
        # a status outside the enumeration
        (
            "UPDATE fct_repairs SET repair_status = 'lost' WHERE repair_id = 2",
            {"fct_repairs.repair_status_accepted_values"},
        ),
        # stages that no longer add up to the turnaround
        (
            "UPDATE fct_repairs SET in_repair_hours = in_repair_hours + 5 WHERE repair_id = 3",
            {"fct_repairs.stages_add_up_to_turnaround"},
        ),
        # parts cost out of step with the part lines
        (
            "UPDATE fct_parts_usage SET quantity = 3 WHERE repair_part_id = 1",
            {"fct_parts_usage.cost_is_quantity_times_unit_cost"},
        ),
        # a fact that lost its key
        (
            "UPDATE fct_feedback SET feedback_id = NULL WHERE repair_id = 1",
            {"fct_feedback.primary_key_not_null"},
        ),
    ],
)
def test_each_kind_of_damage_is_caught(warehouse, damage, caught_by):
    warehouse.execute(damage)
    assert set(failing(warehouse)) == caught_by


SCOPE_REPAIR_2 = {"fct_repairs": "repair_id = 2"}


def test_scoped_checks_judge_only_the_rows_a_run_wrote(warehouse):
    warehouse.execute("UPDATE fct_repairs SET revenue_eur = revenue_eur + 1 WHERE repair_id = 1")
    assert "fct_repairs.revenue_is_parts_plus_labour_minus_discount" not in {
        r.name for r in run_checks(warehouse, SCOPE_REPAIR_2) if not r.passed
    }
    warehouse.execute("UPDATE fct_repairs SET revenue_eur = revenue_eur + 1 WHERE repair_id = 2")
    assert "fct_repairs.revenue_is_parts_plus_labour_minus_discount" in {
        r.name for r in run_checks(warehouse, SCOPE_REPAIR_2) if not r.passed
    }


def test_a_scoped_key_check_finds_a_duplicate_among_unwritten_rows(warehouse):
    warehouse.execute("UPDATE fct_repairs SET repair_id = 2 WHERE repair_id = 1")
    failed = {r.name for r in run_checks(warehouse, SCOPE_REPAIR_2) if not r.passed}
    assert "fct_repairs.primary_key_unique" in failed


def test_references_into_a_rewritten_dimension_are_checked_everywhere(warehouse):
    warehouse.execute("DELETE FROM dim_store")
    failed = {r.name for r in run_checks(warehouse, {"dim_store": "TRUE"}) if not r.passed}
    assert "fct_payments.store_id_references_dim_store" in failed  # fct_payments not written
