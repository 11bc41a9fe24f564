"""Derived tables the metrics need that the warehouse does not hold, defined once here.

Each summary depends only on the warehouse version, never on the filters, so a long-lived reader
(the dashboard's cached connection) builds them once per version with :func:`prepare` into an
in-memory catalog beside the read-only warehouse. Metrics name a summary through
:func:`relation`: the prepared table when there is one, otherwise the same SQL inline, so the
results are identical either way and any plain connection to a warehouse works.
"""

from __future__ import annotations

import duckdb

CATALOG = "bi_summaries"

SUMMARIES: dict[str, str] = {
    # Fleet-wide standard labour time per repair type × device category, over all history: the
    # yardstick of ``labour_vs_standard``.
    "standard_minutes": """
        SELECT repair_type, device_category, median(labour_minutes) AS standard_minutes
        FROM fct_repairs
        WHERE is_completed AND labour_minutes IS NOT NULL
        GROUP BY ALL
    """,
    # Days each technician recorded a status change: the denominator of ``repairs_per_day``.
    "technician_days": """
        SELECT DISTINCT technician_id, occurred_date
        FROM fct_status_events
        WHERE technician_id IS NOT NULL
    """,
    # When each cancelled repair was cancelled (its first ``cancelled`` status event).
    "cancellations": """
        SELECT repair_id, min(occurred_at) AS cancelled_at
        FROM fct_status_events
        WHERE repair_status = 'cancelled'
        GROUP BY 1
    """,
    # Collected repairs with the person they belong to (duplicate registrations merged) and the
    # columns the filters read: what customer value is summed from.
    "person_repairs": """
        SELECT c.canonical_customer_id, r.collected_date, r.revenue_eur, r.store_id,
               r.device_category, r.device_brand, r.repair_type, r.technician_id
        FROM fct_repairs r JOIN dim_customer c USING (customer_id)
        WHERE r.collected_date IS NOT NULL
        ORDER BY r.collected_date
    """,
}


def prepare(conn: duckdb.DuckDBPyConnection) -> None:
    """Build every summary once into the in-memory ``CATALOG`` of ``conn`` (whose default
    catalog is the warehouse). Cursors of ``conn`` then read them through :func:`relation`."""
    conn.execute(f"ATTACH IF NOT EXISTS ':memory:' AS {CATALOG}")
    for name, sql in SUMMARIES.items():
        conn.execute(f"CREATE OR REPLACE TABLE {CATALOG}.main.{name} AS {sql}")


def relation(conn: duckdb.DuckDBPyConnection, name: str) -> str:
    """SQL naming summary ``name``: its prepared table, or its definition as a subquery."""
    prepared = conn.execute(
        "SELECT count(*) FROM duckdb_tables() "
        "WHERE database_name = $catalog AND table_name = $name",
        {"catalog": CATALOG, "name": name},
    ).fetchall()[0][0]
    return f"{CATALOG}.main.{name}" if prepared else f"({SUMMARIES[name]})"
