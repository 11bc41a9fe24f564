"""operational schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27 14:13:50.314106
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "device_models",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("brand", sa.String(length=60), nullable=False),
        sa.Column("model", sa.String(length=120), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("device_class", sa.String(length=8), nullable=False),
        sa.Column("release_date", sa.Date(), nullable=False),
        sa.Column("launch_price_eur", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.CheckConstraint(
            "category IN ('phone', 'tablet', 'laptop', 'game_console', 'smartwatch')",
            name=op.f("ck_device_models_category"),
        ),
        sa.CheckConstraint(
            "device_class IN ('budget', 'mid', 'premium')",
            name=op.f("ck_device_models_device_class"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_models")),
        sa.UniqueConstraint("brand", "model", name=op.f("uq_device_models_brand_model")),
    )
    with op.batch_alter_table("device_models", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_device_models_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "parts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sku", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("part_category", sa.String(length=32), nullable=False),
        sa.Column("unit_cost_eur", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("lead_time_days", sa.Integer(), nullable=False),
        sa.Column("supplier", sa.String(length=80), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.CheckConstraint("lead_time_days >= 0", name=op.f("ck_parts_lead_time")),
        sa.CheckConstraint("unit_cost_eur >= 0", name=op.f("ck_parts_unit_cost")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parts")),
        sa.UniqueConstraint("sku", name=op.f("uq_parts_sku")),
    )
    with op.batch_alter_table("parts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parts_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "stores",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("city", sa.String(length=80), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("opening_hours", sa.Text(), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.CheckConstraint(
            "closed_on IS NULL OR closed_on >= opened_on", name=op.f("ck_stores_dates")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stores")),
        sa.UniqueConstraint("code", name=op.f("uq_stores_code")),
    )
    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stores_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "customers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("first_name", sa.String(length=80), nullable=False),
        sa.Column("last_name", sa.String(length=80), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("city", sa.String(length=80), nullable=True),
        sa.Column(
            "home_store_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("acquisition_channel", sa.String(length=16), nullable=False),
        sa.Column("marketing_consent", sa.Boolean(), nullable=False),
        sa.Column("sms_consent", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.CheckConstraint(
            "acquisition_channel IN ('walk_in', 'web', 'search_ad', 'social', 'referral', 'partner')",
            name=op.f("ck_customers_channel"),
        ),
        sa.ForeignKeyConstraint(
            ["home_store_id"], ["stores.id"], name=op.f("fk_customers_home_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customers_email"), ["email"], unique=False)
        batch_op.create_index(batch_op.f("ix_customers_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "part_compatibility",
        sa.Column("part_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "device_model_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "created_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["device_model_id"],
            ["device_models.id"],
            name=op.f("fk_part_compatibility_device_model_id_device_models"),
        ),
        sa.ForeignKeyConstraint(
            ["part_id"], ["parts.id"], name=op.f("fk_part_compatibility_part_id_parts")
        ),
        sa.PrimaryKeyConstraint("part_id", "device_model_id", name=op.f("pk_part_compatibility")),
    )
    with op.batch_alter_table("part_compatibility", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_part_compatibility_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "stock_levels",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("store_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("part_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("quantity_on_hand", sa.Integer(), nullable=False),
        sa.Column("quantity_on_order", sa.Integer(), nullable=False),
        sa.Column("reorder_point", sa.Integer(), nullable=False),
        sa.Column("reorder_quantity", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.CheckConstraint("quantity_on_hand >= 0", name=op.f("ck_stock_levels_non_negative")),
        sa.CheckConstraint(
            "quantity_on_order >= 0", name=op.f("ck_stock_levels_on_order_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["part_id"], ["parts.id"], name=op.f("fk_stock_levels_part_id_parts")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_stock_levels_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_levels")),
        sa.UniqueConstraint("store_id", "part_id", name=op.f("uq_stock_levels_store_id_part_id")),
    )
    with op.batch_alter_table("stock_levels", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stock_levels_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "technicians",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("store_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("skill_level", sa.String(length=8), nullable=False),
        sa.Column("hired_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("weekly_hours", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.CheckConstraint(
            "skill_level IN ('junior', 'senior', 'expert')", name=op.f("ck_technicians_skill_level")
        ),
        sa.CheckConstraint(
            "left_on IS NULL OR left_on >= hired_on", name=op.f("ck_technicians_dates")
        ),
        sa.CheckConstraint(
            "weekly_hours > 0 AND weekly_hours <= 60", name=op.f("ck_technicians_weekly_hours")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_technicians_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_technicians")),
    )
    with op.batch_alter_table("technicians", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_technicians_store_id"), ["store_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_technicians_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "customer_devices",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "device_model_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("serial_number", sa.String(length=64), nullable=True),
        sa.Column("purchased_on", sa.Date(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_devices_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["device_model_id"],
            ["device_models.id"],
            name=op.f("fk_customer_devices_device_model_id_device_models"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_devices")),
    )
    with op.batch_alter_table("customer_devices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_devices_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_customer_devices_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "bookings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "customer_device_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("store_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "technician_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("slot_start_at", sa.DateTime(), nullable=False),
        sa.Column("slot_end_at", sa.DateTime(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("symptoms_text", sa.Text(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.CheckConstraint(
            "channel IN ('web', 'phone', 'walk_in', 'app')", name=op.f("ck_bookings_channel")
        ),
        sa.CheckConstraint(
            "status IN ('booked', 'checked_in', 'no_show', 'cancelled')",
            name=op.f("ck_bookings_status"),
        ),
        sa.CheckConstraint("slot_end_at > slot_start_at", name=op.f("ck_bookings_slot_order")),
        sa.ForeignKeyConstraint(
            ["customer_device_id"],
            ["customer_devices.id"],
            name=op.f("fk_bookings_customer_device_id_customer_devices"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_bookings_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_bookings_store_id_stores")
        ),
        sa.ForeignKeyConstraint(
            ["technician_id"],
            ["technicians.id"],
            name=op.f("fk_bookings_technician_id_technicians"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
        sa.UniqueConstraint("reference", name=op.f("uq_bookings_reference")),
    )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bookings_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bookings_updated_at"), ["updated_at"], unique=False)
        batch_op.create_index(
            "uq_bookings_technician_slot",
            ["technician_id", "slot_start_at"],
            unique=True,
            postgresql_where=sa.text("status IN ('booked', 'checked_in')"),
            sqlite_where=sa.text("status IN ('booked', 'checked_in')"),
        )

    op.create_table(
        "repairs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "booking_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "customer_device_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("store_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "technician_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("reported_symptoms", sa.Text(), nullable=False),
        sa.Column("initial_fault_code", sa.String(length=32), nullable=True),
        sa.Column("fault_code", sa.String(length=32), nullable=True),
        sa.Column("repair_type", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("quoted_price_eur", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("final_price_eur", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("discount_eur", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("labour_minutes", sa.Integer(), nullable=True),
        sa.Column("is_warranty", sa.Boolean(), nullable=False),
        sa.Column(
            "rework_of_repair_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("collected_at", sa.DateTime(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.CheckConstraint(
            "status IN ('received', 'diagnosing', 'awaiting_parts', 'in_repair', 'quality_check', 'ready', 'collected', 'cancelled')",
            name=op.f("ck_repairs_status"),
        ),
        sa.CheckConstraint("discount_eur >= 0", name=op.f("ck_repairs_discount")),
        sa.CheckConstraint(
            "final_price_eur IS NULL OR final_price_eur >= 0", name=op.f("ck_repairs_final_price")
        ),
        sa.CheckConstraint(
            "labour_minutes IS NULL OR labour_minutes >= 0", name=op.f("ck_repairs_labour_minutes")
        ),
        sa.CheckConstraint("quoted_price_eur >= 0", name=op.f("ck_repairs_quoted_price")),
        sa.CheckConstraint(
            "rework_of_repair_id IS NULL OR rework_of_repair_id <> id",
            name=op.f("ck_repairs_rework_self"),
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_repairs_booking_id_bookings")
        ),
        sa.ForeignKeyConstraint(
            ["customer_device_id"],
            ["customer_devices.id"],
            name=op.f("fk_repairs_customer_device_id_customer_devices"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_repairs_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["rework_of_repair_id"],
            ["repairs.id"],
            name=op.f("fk_repairs_rework_of_repair_id_repairs"),
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_repairs_store_id_stores")
        ),
        sa.ForeignKeyConstraint(
            ["technician_id"], ["technicians.id"], name=op.f("fk_repairs_technician_id_technicians")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repairs")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_repairs_booking_id")),
    )
    with op.batch_alter_table("repairs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_repairs_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_repairs_received_at"), ["received_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_repairs_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "feedback",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "repair_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("csat", sa.Integer(), nullable=False),
        sa.Column("nps", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.CheckConstraint("csat BETWEEN 1 AND 5", name=op.f("ck_feedback_csat")),
        sa.CheckConstraint("nps IS NULL OR nps BETWEEN 0 AND 10", name=op.f("ck_feedback_nps")),
        sa.ForeignKeyConstraint(
            ["repair_id"], ["repairs.id"], name=op.f("fk_feedback_repair_id_repairs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
        sa.UniqueConstraint("repair_id", name=op.f("uq_feedback_repair_id")),
    )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "payments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "repair_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("amount_eur", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("paid_at", sa.DateTime(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.CheckConstraint(
            "method IN ('card', 'cash', 'bank_transfer', 'insurance')",
            name=op.f("ck_payments_method"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'succeeded', 'failed', 'refunded')",
            name=op.f("ck_payments_status"),
        ),
        sa.CheckConstraint("amount_eur > 0", name=op.f("ck_payments_amount")),
        sa.ForeignKeyConstraint(
            ["repair_id"], ["repairs.id"], name=op.f("fk_payments_repair_id_repairs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_payments_idempotency_key")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_repair_id"), ["repair_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payments_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "repair_parts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "repair_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("part_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_cost_eur", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_repair_parts_quantity")),
        sa.CheckConstraint("unit_cost_eur >= 0", name=op.f("ck_repair_parts_unit_cost")),
        sa.ForeignKeyConstraint(
            ["part_id"], ["parts.id"], name=op.f("fk_repair_parts_part_id_parts")
        ),
        sa.ForeignKeyConstraint(
            ["repair_id"], ["repairs.id"], name=op.f("fk_repair_parts_repair_id_repairs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repair_parts")),
    )
    with op.batch_alter_table("repair_parts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_repair_parts_repair_id"), ["repair_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_repair_parts_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "repair_status_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "repair_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column(
            "technician_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.CheckConstraint(
            "status IN ('received', 'diagnosing', 'awaiting_parts', 'in_repair', 'quality_check', 'ready', 'collected', 'cancelled')",
            name=op.f("ck_repair_status_events_status"),
        ),
        sa.ForeignKeyConstraint(
            ["repair_id"], ["repairs.id"], name=op.f("fk_repair_status_events_repair_id_repairs")
        ),
        sa.ForeignKeyConstraint(
            ["technician_id"],
            ["technicians.id"],
            name=op.f("fk_repair_status_events_technician_id_technicians"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repair_status_events")),
    )
    with op.batch_alter_table("repair_status_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_repair_status_events_repair_id"), ["repair_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_repair_status_events_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "stock_movements",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("store_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("part_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("repair_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.CheckConstraint(
            "reason IN ('receipt', 'repair_use', 'adjustment', 'return')",
            name=op.f("ck_stock_movements_reason"),
        ),
        sa.CheckConstraint("quantity <> 0", name=op.f("ck_stock_movements_non_zero")),
        sa.ForeignKeyConstraint(
            ["part_id"], ["parts.id"], name=op.f("fk_stock_movements_part_id_parts")
        ),
        sa.ForeignKeyConstraint(
            ["repair_id"], ["repairs.id"], name=op.f("fk_stock_movements_repair_id_repairs")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_stock_movements_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_movements")),
    )
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stock_movements_store_id_part_id_occurred_at"),
            ["store_id", "part_id", "occurred_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_stock_movements_updated_at"), ["updated_at"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stock_movements_updated_at"))
        batch_op.drop_index(batch_op.f("ix_stock_movements_store_id_part_id_occurred_at"))

    op.drop_table("stock_movements")
    with op.batch_alter_table("repair_status_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_repair_status_events_updated_at"))
        batch_op.drop_index(batch_op.f("ix_repair_status_events_repair_id"))

    op.drop_table("repair_status_events")
    with op.batch_alter_table("repair_parts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_repair_parts_updated_at"))
        batch_op.drop_index(batch_op.f("ix_repair_parts_repair_id"))

    op.drop_table("repair_parts")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_updated_at"))
        batch_op.drop_index(batch_op.f("ix_payments_repair_id"))

    op.drop_table("payments")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_updated_at"))

    op.drop_table("feedback")
    with op.batch_alter_table("repairs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_repairs_updated_at"))
        batch_op.drop_index(batch_op.f("ix_repairs_received_at"))
        batch_op.drop_index(batch_op.f("ix_repairs_customer_id"))

    op.drop_table("repairs")
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_bookings_technician_slot",
            postgresql_where=sa.text("status IN ('booked', 'checked_in')"),
            sqlite_where=sa.text("status IN ('booked', 'checked_in')"),
        )
        batch_op.drop_index(batch_op.f("ix_bookings_updated_at"))
        batch_op.drop_index(batch_op.f("ix_bookings_customer_id"))

    op.drop_table("bookings")
    with op.batch_alter_table("customer_devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_devices_updated_at"))
        batch_op.drop_index(batch_op.f("ix_customer_devices_customer_id"))

    op.drop_table("customer_devices")
    with op.batch_alter_table("technicians", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_technicians_updated_at"))
        batch_op.drop_index(batch_op.f("ix_technicians_store_id"))

    op.drop_table("technicians")
    with op.batch_alter_table("stock_levels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stock_levels_updated_at"))

    op.drop_table("stock_levels")
    with op.batch_alter_table("part_compatibility", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_part_compatibility_updated_at"))

    op.drop_table("part_compatibility")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customers_updated_at"))
        batch_op.drop_index(batch_op.f("ix_customers_email"))

    op.drop_table("customers")
    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stores_updated_at"))

    op.drop_table("stores")
    with op.batch_alter_table("parts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parts_updated_at"))

    op.drop_table("parts")
    with op.batch_alter_table("device_models", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_models_updated_at"))

    op.drop_table("device_models")
