"""Operational schema: the tables the booking API writes and the history generator fills.

Conventions: primary keys are ``id``; timestamps are naive UTC (``*_at``); money is
``NUMERIC(10,2)`` in euros (``*_eur``). Every mutable table carries ``created_at``/``updated_at``;
the ETL reads incrementally by ``updated_at``, so code that updates rows with raw SQL must set it
too. Constraints
encode what must never happen; softer rules (a fault code outside the taxonomy, a timeline out of
order) are left to ETL validation, which quarantines such rows with a reason.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

DEVICE_CATEGORIES = ("phone", "tablet", "laptop", "game_console", "smartwatch")
DEVICE_CLASSES = ("budget", "mid", "premium")
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
STOCK_MOVEMENT_REASONS = ("receipt", "repair_use", "adjustment", "return")
SKILL_LEVELS = ("junior", "senior", "expert")

# Stable constraint names so Alembic migrations are identical on PostgreSQL and SQLite.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Id = BigInteger().with_variant(Integer, "sqlite")  # SQLite only autoincrements INTEGER keys
Money = Numeric(10, 2)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = metadata


class Timestamped:
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime,
        default=utcnow,
        onupdate=utcnow,
        server_default=text("CURRENT_TIMESTAMP"),
        index=True,
    )


class Store(Timestamped, Base):
    __tablename__ = "stores"
    __table_args__ = (CheckConstraint("closed_on IS NULL OR closed_on >= opened_on", "dates"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    city: Mapped[str] = mapped_column(String(80))
    country_code: Mapped[str] = mapped_column(String(2))
    timezone: Mapped[str] = mapped_column(String(64))
    # JSON text: {"mon": ["09:00", "18:00"], ..., "sun": null}; portable across both engines.
    opening_hours: Mapped[str] = mapped_column(Text)
    opened_on: Mapped[dt.date] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)


class Customer(Timestamped, Base):
    __tablename__ = "customers"
    __table_args__ = (CheckConstraint(_in("acquisition_channel", ACQUISITION_CHANNELS), "channel"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    city: Mapped[str | None] = mapped_column(String(80))
    home_store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    acquisition_channel: Mapped[str] = mapped_column(String(16))
    marketing_consent: Mapped[bool] = mapped_column(default=False)
    sms_consent: Mapped[bool] = mapped_column(default=False)


class DeviceModel(Timestamped, Base):
    __tablename__ = "device_models"
    __table_args__ = (
        UniqueConstraint("brand", "model"),
        CheckConstraint(_in("category", DEVICE_CATEGORIES), "category"),
        CheckConstraint(_in("device_class", DEVICE_CLASSES), "device_class"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    brand: Mapped[str] = mapped_column(String(60))
    model: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(16))
    device_class: Mapped[str] = mapped_column(String(8))
    release_date: Mapped[dt.date] = mapped_column(Date)
    launch_price_eur: Mapped[Decimal | None] = mapped_column(Money)


class CustomerDevice(Timestamped, Base):
    __tablename__ = "customer_devices"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    device_model_id: Mapped[int] = mapped_column(ForeignKey("device_models.id"))
    serial_number: Mapped[str | None] = mapped_column(String(64))
    purchased_on: Mapped[dt.date | None] = mapped_column(Date)


class Technician(Timestamped, Base):
    __tablename__ = "technicians"
    __table_args__ = (
        CheckConstraint(_in("skill_level", SKILL_LEVELS), "skill_level"),
        CheckConstraint("weekly_hours > 0 AND weekly_hours <= 60", "weekly_hours"),
        CheckConstraint("left_on IS NULL OR left_on >= hired_on", "dates"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    skill_level: Mapped[str] = mapped_column(String(8))
    hired_on: Mapped[dt.date] = mapped_column(Date)
    left_on: Mapped[dt.date | None] = mapped_column(Date)
    weekly_hours: Mapped[int] = mapped_column(Integer)


class Booking(Timestamped, Base):
    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint(_in("status", BOOKING_STATUSES), "status"),
        CheckConstraint(_in("channel", BOOKING_CHANNELS), "channel"),
        CheckConstraint("slot_end_at > slot_start_at", "slot_order"),
        # A technician can hold only one live booking per slot; cancelled ones free it.
        Index(
            "uq_bookings_technician_slot",
            "technician_id",
            "slot_start_at",
            unique=True,
            postgresql_where=text("status IN ('booked', 'checked_in')"),
            sqlite_where=text("status IN ('booked', 'checked_in')"),
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    customer_device_id: Mapped[int | None] = mapped_column(ForeignKey("customer_devices.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("technicians.id"))
    slot_start_at: Mapped[dt.datetime] = mapped_column(DateTime)
    slot_end_at: Mapped[dt.datetime] = mapped_column(DateTime)
    channel: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12))
    symptoms_text: Mapped[str] = mapped_column(Text)


class Repair(Timestamped, Base):
    __tablename__ = "repairs"
    __table_args__ = (
        CheckConstraint(_in("status", REPAIR_STATUSES), "status"),
        CheckConstraint("quoted_price_eur >= 0", "quoted_price"),
        CheckConstraint("final_price_eur IS NULL OR final_price_eur >= 0", "final_price"),
        CheckConstraint("discount_eur >= 0", "discount"),
        CheckConstraint("labour_minutes IS NULL OR labour_minutes >= 0", "labour_minutes"),
        CheckConstraint("rework_of_repair_id IS NULL OR rework_of_repair_id <> id", "rework_self"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    customer_device_id: Mapped[int] = mapped_column(ForeignKey("customer_devices.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("technicians.id"))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    reported_symptoms: Mapped[str] = mapped_column(Text)
    # The front desk's first guess and the technician's diagnosis; codes from faults.csv.
    initial_fault_code: Mapped[str | None] = mapped_column(String(32))
    fault_code: Mapped[str | None] = mapped_column(String(32))
    repair_type: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))
    quoted_price_eur: Mapped[Decimal] = mapped_column(Money)
    final_price_eur: Mapped[Decimal | None] = mapped_column(Money)
    discount_eur: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    labour_minutes: Mapped[int | None] = mapped_column(Integer)
    is_warranty: Mapped[bool] = mapped_column(default=False)
    rework_of_repair_id: Mapped[int | None] = mapped_column(ForeignKey("repairs.id"))
    completed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    collected_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class RepairStatusEvent(Timestamped, Base):
    __tablename__ = "repair_status_events"
    __table_args__ = (CheckConstraint(_in("status", REPAIR_STATUSES), "status"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    repair_id: Mapped[int] = mapped_column(ForeignKey("repairs.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime)
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("technicians.id"))
    note: Mapped[str | None] = mapped_column(Text)


class Part(Timestamped, Base):
    __tablename__ = "parts"
    __table_args__ = (
        CheckConstraint("unit_cost_eur >= 0", "unit_cost"),
        CheckConstraint("lead_time_days >= 0", "lead_time"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    sku: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    part_category: Mapped[str] = mapped_column(String(32))
    unit_cost_eur: Mapped[Decimal] = mapped_column(Money)
    lead_time_days: Mapped[int] = mapped_column(Integer)
    supplier: Mapped[str] = mapped_column(String(80))


class PartCompatibility(Timestamped, Base):
    __tablename__ = "part_compatibility"

    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id"), primary_key=True)
    device_model_id: Mapped[int] = mapped_column(ForeignKey("device_models.id"), primary_key=True)


class StockLevel(Timestamped, Base):
    __tablename__ = "stock_levels"
    __table_args__ = (
        UniqueConstraint("store_id", "part_id"),
        CheckConstraint("quantity_on_hand >= 0", "non_negative"),
        CheckConstraint("quantity_on_order >= 0", "on_order_non_negative"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id"))
    quantity_on_hand: Mapped[int] = mapped_column(Integer)
    quantity_on_order: Mapped[int] = mapped_column(Integer, default=0)
    reorder_point: Mapped[int] = mapped_column(Integer)
    reorder_quantity: Mapped[int] = mapped_column(Integer)


class StockMovement(Timestamped, Base):
    __tablename__ = "stock_movements"
    __table_args__ = (
        CheckConstraint(_in("reason", STOCK_MOVEMENT_REASONS), "reason"),
        CheckConstraint("quantity <> 0", "non_zero"),
        Index(None, "store_id", "part_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id"))
    quantity: Mapped[int] = mapped_column(Integer)  # positive in, negative out
    reason: Mapped[str] = mapped_column(String(16))
    repair_id: Mapped[int | None] = mapped_column(ForeignKey("repairs.id"))
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime)


class RepairPart(Timestamped, Base):
    __tablename__ = "repair_parts"
    __table_args__ = (
        CheckConstraint("quantity > 0", "quantity"),
        CheckConstraint("unit_cost_eur >= 0", "unit_cost"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    repair_id: Mapped[int] = mapped_column(ForeignKey("repairs.id"), index=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_cost_eur: Mapped[Decimal] = mapped_column(Money)


class Payment(Timestamped, Base):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint(_in("method", PAYMENT_METHODS), "method"),
        CheckConstraint(_in("status", PAYMENT_STATUSES), "status"),
        CheckConstraint("amount_eur > 0", "amount"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    repair_id: Mapped[int] = mapped_column(ForeignKey("repairs.id"), index=True)
    amount_eur: Mapped[Decimal] = mapped_column(Money)
    method: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(12))
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    paid_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Feedback(Timestamped, Base):
    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint("csat BETWEEN 1 AND 5", "csat"),
        CheckConstraint("nps IS NULL OR nps BETWEEN 0 AND 10", "nps"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    repair_id: Mapped[int] = mapped_column(ForeignKey("repairs.id"), unique=True)
    csat: Mapped[int] = mapped_column(Integer)
    nps: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime)


TABLES_IN_LOAD_ORDER = [t.name for t in metadata.sorted_tables]

# Tables below belong to the booking API alone: defined after TABLES_IN_LOAD_ORDER on purpose, so
# the history generator does not fill them and ETL does not extract them (credentials and access
# secrets never leave the operational database).
STAFF_ROLES = ("technician", "manager")


class StaffAccount(Timestamped, Base):
    """A person who signs in to the staff routes; ``password_hash`` is an argon2id hash."""

    __tablename__ = "staff_accounts"
    __table_args__ = (CheckConstraint(_in("role", STAFF_ROLES), "role"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(12))
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("technicians.id"))
    is_active: Mapped[bool] = mapped_column(default=True)


class BookingAccess(Timestamped, Base):
    """The customer's access secret of a booking, stored as its SHA-256 (the secret itself is
    256 random bits, shown once)."""

    __tablename__ = "booking_access"

    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), primary_key=True)
    secret_sha256: Mapped[str] = mapped_column(String(64))


# The slot search reads one store's bookings of one day.
Index("ix_bookings_store_id_slot_start_at", Booking.store_id, Booking.slot_start_at)


class DeletedRow(Base):
    """One row deleted from an operational table, written by a database trigger on every table
    the ETL reads that has an ``id`` key (migration 0003), so an incremental ETL learns of
    deletions without counting every table. Never updated; rows are only ever added."""

    __tablename__ = "deleted_rows"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    table_name: Mapped[str] = mapped_column(String(64))
    row_id: Mapped[int] = mapped_column(BigInteger)
    deleted_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
