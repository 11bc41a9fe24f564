"""Transforms on tiny hand-written staging rows: input rows in, expected output rows out.

Dimensions and the inventory are polars functions of frames; the other facts are SQL
(``pipelines.facts``), run here on an in-memory DuckDB holding the staging rows.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import polars as pl
import pytest

from pipelines import facts, transform
from pipelines.facts import STAGE_COLUMNS
from pipelines.sources import source_tables

T0 = dt.datetime(2024, 5, 6, 9, 0)


def h(n: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=n)


def staged(table: str, rows: list[dict]) -> pl.DataFrame:
    """A staging frame of ``table`` with every column, missing values null."""
    source = source_tables()[table]
    renames = source.renames
    schema = {renames.get(c, c): t for c, t in source.raw_schema.items()}
    return pl.DataFrame([{c: row.get(c) for c in schema} for row in rows], schema=schema)


def built(fact_sql: str, **staging: list[dict]) -> pl.DataFrame:
    """The rows of a SQL fact over the given staging rows (other staging tables empty)."""
    con = duckdb.connect()
    try:
        for table, source in source_tables().items():
            con.register("_rows", staged(table, staging.get(table, [])))
            con.execute(f"CREATE TABLE {source.staging_name} AS SELECT * FROM _rows")
            con.unregister("_rows")
        return con.sql(fact_sql).pl()
    finally:
        con.close()


def repair(repair_id: int = 1, **values) -> dict:
    return {
        "repair_id": repair_id,
        "customer_id": 1,
        "customer_device_id": 1,
        "store_id": 1,
        "received_at": T0,
        "status": "collected",
        "quoted_price_eur": Decimal("100"),
        "final_price_eur": Decimal("100"),
        "discount_eur": Decimal("0"),
        "is_warranty": False,
        "completed_at": h(10),
        **values,
    }


def events(repair_id: int, steps: list[tuple[str, float]]) -> list[dict]:
    return [
        {
            "status_event_id": repair_id * 100 + i,
            "repair_id": repair_id,
            "status": s,
            "occurred_at": h(at),
            "created_at": h(at),
        }
        for i, (s, at) in enumerate(steps)
    ]


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        # the happy path: every stage once, collected 48 h after intake
        (
            [
                ("diagnosing", 2),
                ("awaiting_parts", 4),
                ("in_repair", 24),
                ("quality_check", 28),
                ("ready", 30),
                ("collected", 48),
            ],
            {
                "received_to_diagnosed_hours": 4,
                "awaiting_parts_hours": 20,
                "in_repair_hours": 4,
                "quality_check_hours": 2,
                "ready_to_collected_hours": 18,
                "total_turnaround_hours": 48,
            },
        ),
        # a part arrives faulty: back to awaiting_parts, both waits add up
        (
            [
                ("in_repair", 1),
                ("awaiting_parts", 2),
                ("in_repair", 5),
                ("ready", 6),
                ("collected", 7),
            ],
            {
                "received_to_diagnosed_hours": 1,
                "awaiting_parts_hours": 3,
                "in_repair_hours": 2,
                "quality_check_hours": 0,
                "ready_to_collected_hours": 1,
                "total_turnaround_hours": 7,
            },
        ),
        # still in repair: the open stage has no end yet, so it is not counted; no turnaround
        (
            [("diagnosing", 1), ("in_repair", 3)],
            {
                "received_to_diagnosed_hours": 3,
                "awaiting_parts_hours": 0,
                "in_repair_hours": 0,
                "quality_check_hours": 0,
                "ready_to_collected_hours": 0,
                "total_turnaround_hours": None,
            },
        ),
        # cancelled after diagnosis: the timeline stops at the cancellation, never collected
        (
            [("diagnosing", 1), ("cancelled", 5)],
            {
                "received_to_diagnosed_hours": 5,
                "awaiting_parts_hours": 0,
                "in_repair_hours": 0,
                "quality_check_hours": 0,
                "ready_to_collected_hours": 0,
                "total_turnaround_hours": None,
            },
        ),
        # a stray event after collection (a late note) does not extend any stage
        (
            [("ready", 2), ("collected", 3), ("ready", 9)],
            {
                "received_to_diagnosed_hours": 2,
                "awaiting_parts_hours": 0,
                "in_repair_hours": 0,
                "quality_check_hours": 0,
                "ready_to_collected_hours": 1,
                "total_turnaround_hours": 3,
            },
        ),
    ],
)
def test_stage_hours(steps, expected):
    result = built(facts.stage_hours(), repairs=[repair()], repair_status_events=events(1, steps))
    columns = [*STAGE_COLUMNS, "total_turnaround_hours"]
    assert result.select(columns).to_dicts() == [expected]


def test_ready_at_is_the_last_time_the_repair_became_ready():
    steps = [("ready", 2), ("in_repair", 3), ("ready", 5), ("collected", 8), ("ready", 9)]
    result = built(facts.stage_hours(), repairs=[repair()], repair_status_events=events(1, steps))
    assert result.select("ready_at", "received_to_ready_hours").row(0) == (h(5), 5.0)


def fct_repairs_of(repairs: list[dict], parts: list[dict] = (), payments: list[dict] = ()):
    return built(
        facts.fct_repairs(),
        repairs=repairs,
        repair_parts=list(parts),
        payments=list(payments),
        customer_devices=[{"customer_device_id": 1, "device_model_id": 1}],
        device_models=[
            {"device_model_id": 1, "brand": "Pear", "category": "phone", "device_class": "mid"}
        ],
    )


MONEY_COLUMNS = ["revenue_eur", "parts_cost_eur", "labour_revenue_eur", "gross_margin_eur"]


@pytest.mark.parametrize(
    ("values", "part_lines", "expected"),
    [
        # price 200 with a 20 discount and two parts at 30: margin = 180 - 60
        (
            {"final_price_eur": Decimal("200"), "discount_eur": Decimal("20")},
            [(2, "30")],
            ["180.00", "60.00", "140.00", "120.00"],
        ),
        # no parts: everything but the discount is labour
        (
            {"final_price_eur": Decimal("80"), "discount_eur": Decimal("0")},
            [],
            ["80.00", "0.00", "80.00", "80.00"],
        ),
        # cancelled before a price was set but a part was already fitted: a loss of its cost
        (
            {"final_price_eur": None, "status": "cancelled", "completed_at": None},
            [(1, "12.50")],
            ["0.00", "12.50", "-12.50", "-12.50"],
        ),
    ],
)
def test_fct_repairs_money(values, part_lines, expected):
    parts = [
        {
            "repair_part_id": i,
            "repair_id": 1,
            "part_id": 1,
            "quantity": q,
            "unit_cost_eur": Decimal(cost),
        }
        for i, (q, cost) in enumerate(part_lines)
    ]
    row = fct_repairs_of([repair(**values)], parts).row(0, named=True)
    assert [str(row[c]) for c in MONEY_COLUMNS] == expected
    assert (
        row["revenue_eur"]
        == row["parts_cost_eur"] + row["labour_revenue_eur"] - row["discount_eur"]
    )


def test_fct_repairs_paid_counts_succeeded_payments_only():
    payments = [
        {"payment_id": 1, "repair_id": 1, "amount_eur": Decimal("50"), "status": "failed"},
        {"payment_id": 2, "repair_id": 1, "amount_eur": Decimal("50"), "status": "succeeded"},
        {"payment_id": 3, "repair_id": 1, "amount_eur": Decimal("20"), "status": "refunded"},
    ]
    row = fct_repairs_of([repair()], payments=payments).row(0, named=True)
    assert (row["paid_eur"], row["refunded_eur"]) == (Decimal("50"), Decimal("20"))


@pytest.mark.parametrize(
    ("repairs", "expected"),
    [
        # a completed repair nobody came back with: fixed first time
        ([repair(1)], {1: (False, False, True)}),
        # repair 2 reworks repair 1: neither counts as a first-time fix
        (
            [repair(1), repair(2, rework_of_repair_id=1)],
            {1: (False, True, False), 2: (True, False, False)},
        ),
        # not completed yet: not a first-time fix (yet)
        ([repair(1, completed_at=None, status="in_repair")], {1: (False, False, False)}),
    ],
)
def test_fct_repairs_rework_flags(repairs, expected):
    result = fct_repairs_of(repairs)
    flags = {
        r["repair_id"]: (r["is_rework"], r["has_rework"], r["is_first_time_fix"])
        for r in result.to_dicts()
    }
    assert flags == expected


def customer(customer_id: int, first: str, last: str, email: str | None, phone: str | None):
    return {
        "customer_id": customer_id,
        "first_name": first,
        "last_name": last,
        "email": email,
        "phone": phone,
        "created_at": T0,
    }


@pytest.mark.parametrize(
    ("customers", "expected"),
    [
        # same person, email re-typed with capitals, spaces and a +tag: one canonical id
        (
            [
                customer(1, "Ana", "Silva", "ana.silva@example.com", None),
                customer(7, " ana", "SILVA ", " Ana.Silva+repairs@Example.com", None),
            ],
            {1: 1, 7: 1},
        ),
        # same person, the dots of the address left out
        (
            [
                customer(1, "Ana", "Silva", "ana.silva@example.com", None),
                customer(2, "Ana", "Silva", "anasilva@example.com", None),
            ],
            {1: 1, 2: 1},
        ),
        # an eight-digit national number (Denmark) in international and national form
        (
            [
                customer(3, "Jo", "Kim", None, "+45 2 1234567"),
                customer(4, "Jo", "Kim", None, "021234567"),
            ],
            {3: 3, 4: 3},
        ),
        # same person, phone written three ways
        (
            [
                customer(3, "Jo", "Kim", None, "+49 170 1234567"),
                customer(4, "Jo", "Kim", None, "0170-1234567"),
                customer(5, "Jo", "Kim", None, "0049 (170) 123 45 67"),
            ],
            {3: 3, 4: 3, 5: 3},
        ),
        # transitive: 2~8 by email, 8~9 by phone, so 9 joins 2 although they share nothing
        (
            [
                customer(2, "Li", "Wu", "li@example.com", "+49 151 0000001"),
                customer(8, "Li", "Wu", "LI@example.com", "+49 151 0000002"),
                customer(9, "Li", "Wu", "other@example.com", "0151 0000002"),
            ],
            {2: 2, 8: 2, 9: 2},
        ),
        # same email but a different person's name (a shared family address): kept apart
        (
            [
                customer(1, "Max", "Roth", "family@example.com", None),
                customer(2, "Eva", "Roth", "family@example.com", None),
            ],
            {1: 1, 2: 2},
        ),
        # no email and no phone: nothing to match on, however common the name
        (
            [customer(1, "Tom", "Berg", None, None), customer(2, "Tom", "Berg", None, None)],
            {1: 1, 2: 2},
        ),
    ],
)
def test_canonical_customer_ids(customers, expected):
    result = transform.canonical_customer_ids(staged("customers", customers))
    assert dict(result.iter_rows()) == expected


@pytest.mark.parametrize(
    ("email", "has_email", "is_email_valid"),
    [
        ("ana@example.com", True, True),  # ordinary address
        ("ana@@example.com", True, False),  # doubled @
        ("ana.example.com", True, False),  # no @ at all
        ("ana@example", True, False),  # no top-level domain
        (None, False, False),  # never given
        ("  ", False, False),  # blank counts as missing
    ],
)
def test_dim_customer_email_flags(email, has_email, is_email_valid):
    rows = staged("customers", [customer(1, "A", "B", email, None)])
    row = transform.dim_customer(rows).row(0, named=True)
    assert (row["has_email"], row["is_email_valid"]) == (has_email, is_email_valid)


def test_fct_inventory_daily_reconstructs_closing_stock_backwards():
    levels = staged(
        "stock_levels",
        [
            {
                "stock_level_id": 1,
                "store_id": 1,
                "part_id": 1,
                "quantity_on_hand": 5,
                "reorder_point": 4,
            }
        ],
    )
    day = dt.datetime(2024, 5, 10, 12)
    moves = staged(
        "stock_movements",
        [
            {
                "stock_movement_id": 1,
                "store_id": 1,
                "part_id": 1,
                "quantity": 10,
                "reason": "receipt",
                "occurred_at": day - dt.timedelta(days=2),
            },
            {
                "stock_movement_id": 2,
                "store_id": 1,
                "part_id": 1,
                "quantity": -3,
                "reason": "repair_use",
                "occurred_at": day - dt.timedelta(days=1),
            },
            {
                "stock_movement_id": 3,
                "store_id": 1,
                "part_id": 1,
                "quantity": -2,
                "reason": "repair_use",
                "occurred_at": day,
            },
        ],
    )
    result = transform.fct_inventory_daily(levels, moves, as_of=day.date(), window_days=4).sort(
        "inventory_date"
    )
    # Today 5 on hand; undoing today's -2 gives 7 last night, undoing -3 gives 10, undoing +10 → 0.
    assert result.select(
        "inventory_date",
        "quantity_on_hand",
        "quantity_in",
        "quantity_used",
        "is_below_reorder_point",
    ).rows() == [
        (dt.date(2024, 5, 7), 0, 0, 0, True),
        (dt.date(2024, 5, 8), 10, 10, 0, False),
        (dt.date(2024, 5, 9), 7, 0, 3, False),
        (dt.date(2024, 5, 10), 5, 0, 2, False),
    ]


@pytest.mark.parametrize(
    ("nps", "group"),
    [
        (10, "promoter"),
        (9, "promoter"),
        (8, "passive"),
        (7, "passive"),
        (6, "detractor"),
        (0, "detractor"),
        (None, None),
    ],
)
def test_nps_group(nps, group):
    con = duckdb.connect()
    try:
        sql = f"SELECT {facts.nps_group('nps')} FROM (SELECT CAST(? AS BIGINT) AS nps)"
        assert con.execute(sql, [nps]).fetchall() == [(group,)]
    finally:
        con.close()


def test_transforms_of_empty_staging_frames_are_typed_and_empty():
    result = fct_repairs_of([])
    assert result.is_empty()
    assert result.schema["revenue_eur"] == pl.Decimal(12, 2)
    assert all(result.schema[c] == pl.Float64 for c in STAGE_COLUMNS)
