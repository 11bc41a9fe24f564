"""Validation rules: which rows are quarantined, with which reasons, keys and raw rows."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from pipelines.sources import source_tables
from pipelines.validate import MAX_LABOUR_MINUTES, validate
from tests.factories import T0, repair_row

FAULT_CODES = {"cracked_screen", "battery_worn"}


def raw(table: str, rows: list[dict]) -> pl.DataFrame:
    schema = source_tables()[table].raw_schema
    return pl.DataFrame([{c: row.get(c) for c in schema} for row in rows], schema=schema)


def now() -> dt.datetime:
    return T0


def repairs(**values) -> pl.DataFrame:
    row = repair_row(1, created_at=T0, updated_at=T0)
    return raw("repairs", [{**row, **values}])


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        # a clean repair passes every rule
        ({}, None),
        # a typo of a taxonomy code (the generator plants "craked_screen")
        ({"fault_code": "craked_screen"}, "fault_code_not_in_taxonomy"),
        # no diagnosis yet is fine: the rule only judges codes that are there
        ({"fault_code": None}, None),
        # 9999 minutes at the bench is a typo
        ({"labour_minutes": 9999}, "labour_minutes_out_of_range"),
        # the upper bound itself is still plausible
        ({"labour_minutes": MAX_LABOUR_MINUTES}, None),
        # completed before it was received
        ({"completed_at": T0}, "completed_before_received"),
        # a required column left empty (SQLite files made by hand may not enforce NOT NULL)
        ({"reported_symptoms": None}, "reported_symptoms_missing"),
        # a status outside the enumeration
        ({"status": "lost"}, "status_not_accepted"),
        # two broken rules are both named, in rule order
        (
            {"fault_code": "x", "labour_minutes": -5},
            "fault_code_not_in_taxonomy; labour_minutes_out_of_range",
        ),
    ],
)
def test_repair_rules(values, reason):
    result = validate(source_tables()["repairs"], repairs(**values), FAULT_CODES)
    if reason is None:
        assert (result.valid.height, result.quarantined.height) == (1, 0)
    else:
        assert (result.valid.height, result.invalid.height) == (0, 1)
        assert result.quarantined["reason"].to_list() == [reason]


def test_quarantine_row_carries_table_key_and_raw_row_as_json():
    result = validate(source_tables()["repairs"], repairs(fault_code="craked_screen"), FAULT_CODES)
    entry = result.quarantined.row(0, named=True)
    assert (entry["table_name"], entry["row_key"]) == ("repairs", "1")
    original = json.loads(entry["raw_row"])
    assert original["fault_code"] == "craked_screen"
    assert original["final_price_eur"] == "150.00"  # money kept exact, as text


def status_event(occurred_at: dt.datetime) -> dict:
    return {
        "id": 5,
        "repair_id": 1,
        "status": "diagnosing",
        "occurred_at": occurred_at,
        "created_at": T0,
        "updated_at": T0,
    }


@pytest.mark.parametrize(
    ("occurred_at", "received_at", "quarantined"),
    [
        # after its repair was received: fine
        (T0 + dt.timedelta(hours=1), T0, False),
        # a day before its repair was received: impossible
        (T0 - dt.timedelta(days=1), T0, True),
        # repair unknown to this run (e.g. quarantined long ago): not judged on this rule
        (T0 - dt.timedelta(days=1), None, False),
    ],
)
def test_status_event_before_its_repair_was_received(occurred_at, received_at, quarantined):
    lookup = pl.DataFrame(
        {"id": [1] if received_at else [], "received_at": [received_at] if received_at else []},
        schema={"id": pl.Int64, "received_at": pl.Datetime("us")},
    )
    result = validate(
        source_tables()["repair_status_events"],
        raw("repair_status_events", [status_event(occurred_at)]),
        FAULT_CODES,
        lookup,
    )
    assert result.quarantined.height == int(quarantined)
    if quarantined:
        assert result.quarantined["reason"].item() == "occurred_before_repair_received"


def test_composite_keys_are_spelled_out():
    rows = raw("part_compatibility", [{"part_id": 3, "device_model_id": None}])
    result = validate(source_tables()["part_compatibility"], rows, FAULT_CODES)
    assert result.quarantined.row(0, named=True)["row_key"] == "part_id=3/device_model_id=null"


def test_customers_with_bad_or_missing_emails_are_kept():
    rows = raw(
        "customers",
        [
            {
                "id": 1,
                "first_name": "A",
                "last_name": "B",
                "email": "a@@b",
                "acquisition_channel": "web",
                "marketing_consent": False,
                "sms_consent": False,
                "created_at": T0,
                "updated_at": T0,
            },
            {
                "id": 2,
                "first_name": "C",
                "last_name": "D",
                "email": None,
                "acquisition_channel": "web",
                "marketing_consent": False,
                "sms_consent": False,
                "created_at": T0,
                "updated_at": T0,
            },
        ],
    )
    assert validate(source_tables()["customers"], rows, FAULT_CODES).valid.height == 2
