"""A fair technician leaderboard and one technician's history.

Fair means: revenue is credited to the technician on the repair (the one who recorded its bench
work), volume is per day the technician actually worked (a day with a status change they
recorded), labour time is judged against the standard for each repair's type and device category
(the fleet-wide median, so stores are compared on one yardstick), and quality is their own rework
rate and CSAT.
"""

from __future__ import annotations

import duckdb
import polars as pl

from warehouse.metrics.filters import Filters, Grain, check_grain, query
from warehouse.metrics.summaries import cube_rows, relation

# Over rows of the ``completed_days`` cube (``summaries.cube_rows``), aliased ``r``.
_COMPLETED_AGGREGATES = """
    sum(r.repairs_completed)::BIGINT AS repairs_completed,
    sum(r.revenue_eur)::DOUBLE AS revenue_eur,
    sum(r.labour_minutes) AS labour_minutes,
    sum(r.standard_minutes) AS standard_minutes,
    sum(r.reworked) / nullif(sum(r.rework_known), 0) AS rework_rate,
    sum(r.reworked)::BIGINT AS reworked,
    (sum(r.csat_total) / nullif(sum(r.ratings), 0))::DOUBLE AS csat,
    sum(r.ratings)::BIGINT AS ratings
"""


def technician_leaderboard(conn: duckdb.DuckDBPyConnection, filters: Filters) -> pl.DataFrame:
    """One row per technician with a selected repair completed in the window: repairs completed,
    days worked, repairs and revenue per day worked, labour vs standard, rework rate, CSAT.

    Sorted by revenue per day worked; ``rank`` follows that order.
    """
    completed, params = cube_rows(conn, "completed_days", filters, ("technician_id",))
    sql = f"""
    WITH done AS (
        SELECT r.technician_id, {_COMPLETED_AGGREGATES}
        FROM ({completed}) r
        WHERE r.technician_id IS NOT NULL
        GROUP BY 1
    ),
    worked AS (
        SELECT technician_id, count(*) AS days_worked
        FROM {relation(conn, "technician_days")}
        WHERE occurred_date BETWEEN $start AND $end
        GROUP BY 1
    )
    SELECT row_number() OVER (
               ORDER BY d.revenue_eur / greatest(coalesce(w.days_worked, 0), 1) DESC,
                        d.technician_id) AS rank,
           d.technician_id, t.technician_name AS technician, s.store_name AS store,
           t.skill_level, d.repairs_completed,
           coalesce(w.days_worked, 0) AS days_worked,
           d.repairs_completed / greatest(coalesce(w.days_worked, 0), 1) AS repairs_per_day,
           d.revenue_eur,
           d.revenue_eur / greatest(coalesce(w.days_worked, 0), 1) AS revenue_per_day_eur,
           d.labour_minutes / nullif(d.standard_minutes, 0) AS labour_vs_standard,
           d.rework_rate, d.reworked, d.csat, d.ratings
    FROM done d
    LEFT JOIN worked w USING (technician_id)
    LEFT JOIN dim_technician t ON t.technician_id = d.technician_id
    LEFT JOIN dim_store s ON s.store_id = t.store_id
    ORDER BY rank
    """
    return query(conn, sql, {**params, "start": filters.start, "end": filters.end})


def technician_history(
    conn: duckdb.DuckDBPyConnection, filters: Filters, technician_id: int, grain: Grain
) -> pl.DataFrame:
    """One row per ``grain`` period in which the technician completed a selected repair in the
    window: repairs, revenue, labour vs standard, rework rate and CSAT, as in the leaderboard."""
    grain = check_grain(grain)
    completed, params = cube_rows(conn, "completed_days", filters, ("technician_id",))
    sql = f"""
    SELECT CAST(date_trunc('{grain}', r.day) AS DATE) AS period,
           sum(r.repairs_completed)::BIGINT AS repairs_completed,
           sum(r.revenue_eur)::DOUBLE AS revenue_eur,
           sum(r.labour_minutes) / nullif(sum(r.standard_minutes), 0) AS labour_vs_standard,
           sum(r.reworked) / nullif(sum(r.rework_known), 0) AS rework_rate,
           (sum(r.csat_total) / nullif(sum(r.ratings), 0))::DOUBLE AS csat
    FROM ({completed}) r
    WHERE r.technician_id = $technician
    GROUP BY 1 ORDER BY 1
    """
    return query(
        conn,
        sql,
        {**params, "start": filters.start, "end": filters.end, "technician": technician_id},
    )
