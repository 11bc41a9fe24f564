"""deleted_rows: a log of deleted rows, filled by triggers, for the incremental ETL

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 23:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The tables the ETL reads that have an ``id`` key, as of this revision.
LOGGED_TABLES = (
    "device_models",
    "parts",
    "stores",
    "customers",
    "stock_levels",
    "technicians",
    "customer_devices",
    "bookings",
    "repairs",
    "feedback",
    "payments",
    "repair_parts",
    "repair_status_events",
    "stock_movements",
)

POSTGRES_FUNCTION = """
CREATE FUNCTION record_deleted_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO deleted_rows (table_name, row_id, deleted_at)
    VALUES (TG_TABLE_NAME, OLD.id, now() AT TIME ZONE 'utc');
    RETURN OLD;
END
$$
"""


def _trigger(table: str) -> str:
    return f"{table}_record_deleted_row"


def upgrade() -> None:
    op.create_table(
        "deleted_rows",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("row_id", sa.BigInteger(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deleted_rows")),
    )
    with op.batch_alter_table("deleted_rows", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deleted_rows_deleted_at"), ["deleted_at"], unique=False
        )

    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        for table in LOGGED_TABLES:
            op.execute(
                f"CREATE TRIGGER {_trigger(table)} AFTER DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION record_deleted_row()"
            )
    else:
        for table in LOGGED_TABLES:
            op.execute(
                f"CREATE TRIGGER {_trigger(table)} AFTER DELETE ON {table} BEGIN "
                "INSERT INTO deleted_rows (table_name, row_id, deleted_at) VALUES "
                f"('{table}', OLD.id, strftime('%Y-%m-%d %H:%M:%f', 'now')); END"
            )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in LOGGED_TABLES:
        op.execute(f"DROP TRIGGER {_trigger(table)}" + (f" ON {table}" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION record_deleted_row()")
    with op.batch_alter_table("deleted_rows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deleted_rows_deleted_at"))
    op.drop_table("deleted_rows")
