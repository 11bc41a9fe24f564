"""Small hand-built operational rows for ETL and warehouse tests.

Each ``*_row`` function returns one row as a dict with sensible defaults; keyword arguments override
columns. :func:`insert` writes rows with ``ops.bulk.bulk_insert`` on either engine, and
:func:`seed_shop` builds a tiny but complete history whose expected warehouse numbers are easy to
compute by hand (see its docstring).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Engine

from core.settings import Settings, get_settings
from ops.bulk import bulk_insert
from ops.schema import metadata, utcnow
from pipelines.sources import source_tables

T0 = dt.datetime(2024, 3, 4, 9, 0)


def hours(n: float) -> dt.timedelta:
    return dt.timedelta(hours=n)


def eur(value: str) -> Decimal:
    return Decimal(value)


def insert(engine: Engine, table: str, rows: list[dict[str, Any]]) -> int:
    """Bulk-insert ``rows`` (dicts with the table's column names) into ``table``."""
    if not rows:
        return 0
    columns = list(dict.fromkeys(c for row in rows for c in row))
    schema = {c: source_tables()[table].raw_schema[c] for c in columns}
    frame = pl.DataFrame([{c: row.get(c) for c in columns} for row in rows], schema=schema)
    return bulk_insert(engine, table, frame)


def touch(engine: Engine, table: str, row_id: int, **values: Any) -> None:
    """Update one row the way the booking API would: new values and a fresh ``updated_at``."""
    target = metadata.tables[table]
    with engine.begin() as conn:
        conn.execute(
            target.update().where(target.c.id == row_id).values(**values, updated_at=utcnow())
        )


def delete(engine: Engine, table: str, row_id: int) -> None:
    target = metadata.tables[table]
    with engine.begin() as conn:
        conn.execute(target.delete().where(target.c.id == row_id))


def settings_for(ops_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings on ``ops_url``; use with the ``data_dir`` fixture for a private data directory."""
    monkeypatch.setenv("REPAIRLENS_OPS_DB_URL", ops_url)
    get_settings.cache_clear()
    return get_settings()


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def store_row(id: int = 1, **o: Any) -> dict[str, Any]:
    return {
        "id": id,
        "code": f"S{id:02d}",
        "name": f"Store {id}",
        "city": "Berlin",
        "country_code": "DE",
        "timezone": "Europe/Berlin",
        "opening_hours": "{}",
        "opened_on": dt.date(2020, 1, 1),
        **o,
    }


def technician_row(id: int = 1, store_id: int = 1, **o: Any) -> dict[str, Any]:
    return {
        "id": id,
        "store_id": store_id,
        "name": f"Tech {id}",
        "skill_level": "senior",
        "hired_on": dt.date(2021, 1, 1),
        "weekly_hours": 40,
        **o,
    }


def device_model_row(id: int = 1, **o: Any) -> dict[str, Any]:
    return {
        "id": id,
        "brand": "Pear",
        "model": f"Phone {id}",
        "category": "phone",
        "device_class": "mid",
        "release_date": dt.date(2022, 9, 1),
        "launch_price_eur": eur("799.00"),
        **o,
    }


def customer_row(id: int = 1, **o: Any) -> dict[str, Any]:
    return {
        "id": id,
        "first_name": "Anna",
        "last_name": f"Meyer{id}",
        "email": f"anna{id}@example.com",
        "phone": f"+49 170 {id:07d}",
        "city": "Berlin",
        "home_store_id": 1,
        "acquisition_channel": "web",
        "marketing_consent": False,
        "sms_consent": False,
        **o,
    }


def customer_device_row(id: int = 1, customer_id: int = 1, **o: Any) -> dict[str, Any]:
    return {"id": id, "customer_id": customer_id, "device_model_id": 1, **o}


def part_row(id: int = 1, **o: Any) -> dict[str, Any]:
    return {
        "id": id,
        "sku": f"P-{id:04d}",
        "name": f"Part {id}",
        "part_category": "display_assembly",
        "unit_cost_eur": eur("40.00"),
        "lead_time_days": 3,
        "supplier": "Acme",
        **o,
    }


def stock_level_row(id: int = 1, store_id: int = 1, part_id: int = 1, **o: Any) -> dict[str, Any]:
    return {
        "id": id,
        "store_id": store_id,
        "part_id": part_id,
        "quantity_on_hand": 10,
        "quantity_on_order": 0,
        "reorder_point": 3,
        "reorder_quantity": 10,
        **o,
    }


def repair_row(id: int, **o: Any) -> dict[str, Any]:
    """A collected screen repair received at ``T0 + id days``, final price 150, discount 10."""
    received = T0 + dt.timedelta(days=id)
    return {
        "id": id,
        "customer_id": 1,
        "customer_device_id": 1,
        "store_id": 1,
        "technician_id": 1,
        "received_at": received,
        "reported_symptoms": "screen cracked",
        "initial_fault_code": "cracked_screen",
        "fault_code": "cracked_screen",
        "repair_type": "screen_replacement",
        "status": "collected",
        "quoted_price_eur": eur("150.00"),
        "final_price_eur": eur("150.00"),
        "discount_eur": eur("10.00"),
        "labour_minutes": 45,
        "is_warranty": False,
        "completed_at": received + hours(30),
        "collected_at": received + hours(48),
        **o,
    }


# The status timeline of a collected repair: (status, hours after received).
TIMELINE = [
    ("received", 0),
    ("diagnosing", 2),
    ("awaiting_parts", 4),
    ("in_repair", 24),
    ("quality_check", 28),
    ("ready", 30),
    ("collected", 48),
]


def status_event_rows(repair_id: int, first_id: int, received: dt.datetime) -> list[dict]:
    return [
        {
            "id": first_id + i,
            "repair_id": repair_id,
            "status": status,
            "occurred_at": received + hours(offset),
            "technician_id": 1,
        }
        for i, (status, offset) in enumerate(TIMELINE)
    ]


@dataclass(frozen=True)
class Shop:
    """What :func:`seed_shop` wrote."""

    repairs: int
    events_per_repair: int = len(TIMELINE)


def seed_shop(engine: Engine, repairs: int = 3) -> Shop:
    """One store, technician, device model, customer and device; ``repairs`` collected repairs.

    Every repair: final price 150.00, discount 10.00, one part line of 2 × 40.00, one succeeded
    payment of 140.00, CSAT 5 / NPS 9, the seven-step :data:`TIMELINE` (48 hours to collection).
    So per repair: revenue 140.00, parts cost 80.00, labour revenue 70.00, margin 60.00.
    """
    insert(engine, "stores", [store_row()])
    insert(engine, "technicians", [technician_row()])
    insert(engine, "device_models", [device_model_row()])
    insert(engine, "customers", [customer_row()])
    insert(engine, "customer_devices", [customer_device_row()])
    insert(engine, "parts", [part_row()])
    insert(engine, "part_compatibility", [{"part_id": 1, "device_model_id": 1}])
    insert(engine, "stock_levels", [stock_level_row()])
    rows = [repair_row(i) for i in range(1, repairs + 1)]
    insert(engine, "repairs", rows)
    events = []
    for i, row in enumerate(rows):
        events += status_event_rows(row["id"], 1 + i * len(TIMELINE), row["received_at"])
    insert(engine, "repair_status_events", events)
    insert(
        engine,
        "repair_parts",
        [
            {
                "id": r["id"],
                "repair_id": r["id"],
                "part_id": 1,
                "quantity": 2,
                "unit_cost_eur": eur("40.00"),
            }
            for r in rows
        ],
    )
    insert(
        engine,
        "stock_movements",
        [
            {
                "id": r["id"],
                "store_id": 1,
                "part_id": 1,
                "quantity": -2,
                "reason": "repair_use",
                "repair_id": r["id"],
                "occurred_at": r["received_at"] + hours(24),
            }
            for r in rows
        ],
    )
    insert(
        engine,
        "payments",
        [
            {
                "id": r["id"],
                "repair_id": r["id"],
                "amount_eur": eur("140.00"),
                "method": "card",
                "status": "succeeded",
                "idempotency_key": f"pay-{r['id']}",
                "paid_at": r["collected_at"],
            }
            for r in rows
        ],
    )
    insert(
        engine,
        "feedback",
        [
            {
                "id": r["id"],
                "repair_id": r["id"],
                "csat": 5,
                "nps": 9,
                "comment": "great",
                "submitted_at": r["collected_at"] + hours(24),
            }
            for r in rows
        ],
    )
    return Shop(repairs=repairs)
