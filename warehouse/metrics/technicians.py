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

from warehouse.metrics.filters import Filters, Grain, check_grain, query, repair_conditions
from warehouse.metrics.summaries import relation


def _standard(conn: duckdb.DuckDBPyConnection) -> str:
    return f"standard AS (SELECT * FROM {relation(conn, 'standard_minutes')})"


def technician_leaderboard(conn: duckdb.DuckDBPyConnection, filters: Filters) -> pl.DataFrame:
    """One row per technician with a selected repair completed in the window: repairs completed,
    days worked, repairs and revenue per day worked, labour vs standard, rework rate, CSAT.

    Sorted by revenue per day worked; ``rank`` follows that order.
    """
    cond, params = repair_conditions(filters)
    sql = f"""
    WITH {_standard(conn)},
    done AS (
        SELECT r.technician_id, count(*) AS repairs_completed,
               sum(r.revenue_eur)::DOUBLE AS revenue_eur,
               sum(r.labour_minutes) FILTER (WHERE st.standard_minutes IS NOT NULL)
                   AS labour_minutes,
               sum(st.standard_minutes) FILTER (WHERE r.labour_minutes IS NOT NULL)
                   AS standard_minutes,
               avg(r.has_rework::INT) AS rework_rate,
               count(*) FILTER (WHERE r.has_rework) AS reworked,
               avg(r.csat)::DOUBLE AS csat, count(r.csat) AS ratings
        FROM fct_repairs r
        LEFT JOIN standard st USING (repair_type, device_category)
        WHERE {cond} AND r.is_completed AND r.completed_date BETWEEN $start AND $end
              AND r.technician_id IS NOT NULL
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
    cond, params = repair_conditions(filters)
    sql = f"""
    WITH {_standard(conn)}
    SELECT CAST(date_trunc('{grain}', r.completed_date) AS DATE) AS period,
           count(*) AS repairs_completed, sum(r.revenue_eur)::DOUBLE AS revenue_eur,
           sum(r.labour_minutes) FILTER (WHERE st.standard_minutes IS NOT NULL)
               / nullif(sum(st.standard_minutes) FILTER (WHERE r.labour_minutes IS NOT NULL), 0)
               AS labour_vs_standard,
           avg(r.has_rework::INT) AS rework_rate, avg(r.csat)::DOUBLE AS csat
    FROM fct_repairs r
    LEFT JOIN standard st USING (repair_type, device_category)
    WHERE {cond} AND r.technician_id = $technician AND r.is_completed
          AND r.completed_date BETWEEN $start AND $end
    GROUP BY 1 ORDER BY 1
    """
    return query(
        conn,
        sql,
        {**params, "start": filters.start, "end": filters.end, "technician": technician_id},
    )
