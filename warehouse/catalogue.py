"""Every warehouse table: its grain, primary key, foreign keys and accepted values.

This is the warehouse's contract with its readers. The ETL writes each grain as the table's
``COMMENT ON TABLE`` and ``warehouse/checks.py`` turns the keys and enumerations into data checks.
The enumerations repeat the operational ones on purpose — they are what readers may rely on — and
``tests/warehouse/test_catalogue.py`` keeps them equal to ``ops.schema``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

REPAIR_STATUSES = (
    "received",
    "diagnosing",
    "awaiting_parts",
    "in_repair",
    "quality_check",
    "ready",
    "collected",
    "cancelled",
)
BOOKING_STATUSES = ("booked", "checked_in", "no_show", "cancelled")
BOOKING_CHANNELS = ("web", "phone", "walk_in", "app")
ACQUISITION_CHANNELS = ("walk_in", "web", "search_ad", "social", "referral", "partner")
PAYMENT_METHODS = ("card", "cash", "bank_transfer", "insurance")
PAYMENT_STATUSES = ("pending", "succeeded", "failed", "refunded")
DEVICE_CATEGORIES = ("phone", "tablet", "laptop", "game_console", "smartwatch")
DEVICE_CLASSES = ("budget", "mid", "premium")
SKILL_LEVELS = ("junior", "senior", "expert")
STOCK_MOVEMENT_REASONS = ("receipt", "repair_use", "adjustment", "return")
NPS_GROUPS = ("promoter", "passive", "detractor")


@dataclass(frozen=True)
class TableSpec:
    name: str
    grain: str  # one sentence
    primary_key: tuple[str, ...]
    foreign_keys: dict[str, str] = field(default_factory=dict)  # column → "table.column"
    accepted_values: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _staging(table: str, entity: str, key: tuple[str, ...]) -> TableSpec:
    return TableSpec(
        f"stg_{table}",
        f"One row per {entity} in the operational {table} table that passed validation "
        "(renamed and cast, nothing joined).",
        key,
    )


STAGING = [
    _staging("stores", "store", ("store_id",)),
    _staging("customers", "customer record", ("customer_id",)),
    _staging("device_models", "device model", ("device_model_id",)),
    _staging("customer_devices", "customer device", ("customer_device_id",)),
    _staging("technicians", "technician", ("technician_id",)),
    _staging("bookings", "booking", ("booking_id",)),
    _staging("repairs", "repair", ("repair_id",)),
    _staging("repair_status_events", "repair status event", ("status_event_id",)),
    _staging("parts", "part", ("part_id",)),
    _staging("part_compatibility", "part × device model pair", ("part_id", "device_model_id")),
    _staging("stock_levels", "store × part stock level", ("stock_level_id",)),
    _staging("stock_movements", "stock movement", ("stock_movement_id",)),
    _staging("repair_parts", "part line of a repair", ("repair_part_id",)),
    _staging("payments", "payment", ("payment_id",)),
    _staging("feedback", "feedback answer", ("feedback_id",)),
]

_DATE = "dim_date.calendar_date"
_REPAIR = "fct_repairs.repair_id"
_STORE = "dim_store.store_id"
_TECHNICIAN = "dim_technician.technician_id"
_CUSTOMER = "dim_customer.customer_id"
_PART = "dim_part.part_id"
_DEVICE_MODEL = "dim_device_model.device_model_id"

MARTS = [
    TableSpec("dim_date", "One row per calendar day the data covers.", ("calendar_date",)),
    TableSpec("dim_store", "One row per store.", ("store_id",)),
    TableSpec(
        "dim_customer",
        "One row per customer record; duplicate registrations of one person share a "
        "canonical_customer_id.",
        ("customer_id",),
        {"canonical_customer_id": _CUSTOMER, "home_store_id": _STORE},
        {"acquisition_channel": ACQUISITION_CHANNELS},
    ),
    TableSpec(
        "dim_device_model",
        "One row per device model (brand + model).",
        ("device_model_id",),
        accepted_values={"device_category": DEVICE_CATEGORIES, "device_class": DEVICE_CLASSES},
    ),
    TableSpec(
        "dim_technician",
        "One row per technician.",
        ("technician_id",),
        {"store_id": _STORE},
        {"skill_level": SKILL_LEVELS},
    ),
    TableSpec("dim_part", "One row per part (SKU).", ("part_id",)),
    TableSpec("dim_fault", "One row per fault code of the fault taxonomy.", ("fault_code",)),
    TableSpec(
        "fct_repairs",
        "One row per repair, from intake to collection.",
        ("repair_id",),
        {
            "customer_id": _CUSTOMER,
            "device_model_id": _DEVICE_MODEL,
            "store_id": _STORE,
            "technician_id": _TECHNICIAN,
            "fault_code": "dim_fault.fault_code",
            "received_date": _DATE,
            "completed_date": _DATE,
            "ready_date": _DATE,
            "collected_date": _DATE,
        },
        {
            "repair_status": REPAIR_STATUSES,
            "device_category": DEVICE_CATEGORIES,
            "device_class": DEVICE_CLASSES,
        },
    ),
    TableSpec(
        "fct_bookings",
        "One row per booking.",
        ("booking_id",),
        {
            "customer_id": _CUSTOMER,
            "store_id": _STORE,
            "technician_id": _TECHNICIAN,
            "device_model_id": _DEVICE_MODEL,
            "repair_id": _REPAIR,
            "booked_date": _DATE,
            "slot_date": _DATE,
        },
        {"booking_status": BOOKING_STATUSES, "booking_channel": BOOKING_CHANNELS},
    ),
    TableSpec(
        "fct_status_events",
        "One row per repair status change.",
        ("status_event_id",),
        {
            "repair_id": _REPAIR,
            "store_id": _STORE,
            "technician_id": _TECHNICIAN,
            "occurred_date": _DATE,
        },
        {"repair_status": REPAIR_STATUSES, "previous_status": REPAIR_STATUSES},
    ),
    TableSpec(
        "fct_parts_usage",
        "One row per part line fitted in a repair.",
        ("repair_part_id",),
        {
            "repair_id": _REPAIR,
            "part_id": _PART,
            "store_id": _STORE,
            "technician_id": _TECHNICIAN,
            "used_date": _DATE,
        },
    ),
    TableSpec(
        "fct_payments",
        "One row per payment attempt on a repair.",
        ("payment_id",),
        {
            "repair_id": _REPAIR,
            "customer_id": _CUSTOMER,
            "store_id": _STORE,
            "paid_date": _DATE,
        },
        {"payment_method": PAYMENT_METHODS, "payment_status": PAYMENT_STATUSES},
    ),
    TableSpec(
        "fct_feedback",
        "One row per feedback answer (at most one per repair).",
        ("feedback_id",),
        {
            "repair_id": _REPAIR,
            "customer_id": _CUSTOMER,
            "store_id": _STORE,
            "technician_id": _TECHNICIAN,
            "submitted_date": _DATE,
        },
        {"nps_group": NPS_GROUPS},
    ),
    TableSpec(
        "fct_inventory_daily",
        "One row per stocked store × part × day over the last 90 days with stock movements.",
        ("store_id", "part_id", "inventory_date"),
        {"store_id": _STORE, "part_id": _PART, "inventory_date": _DATE},
    ),
]

BOOKKEEPING = [
    TableSpec(
        "quarantine",
        "One row per operational row currently held back by validation, with the rules it broke.",
        ("table_name", "row_key"),
    ),
    TableSpec(
        "etl_watermarks",
        "One row per operational table: the latest updated_at the warehouse has read.",
        ("table_name",),
    ),
    TableSpec("etl_runs", "One row per ETL run, failed runs included.", ("run_id",)),
    TableSpec(
        "etl_run_tables",
        "One row per ETL run × warehouse table it read or wrote.",
        ("run_id", "table_name"),
        {"run_id": "etl_runs.run_id"},
    ),
]

TABLES = {spec.name: spec for spec in [*STAGING, *MARTS, *BOOKKEEPING]}
