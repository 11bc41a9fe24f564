"""Money and volume: headline KPIs, the time series, breakdowns and payment methods.

Revenue, margin and the average ticket count repairs *collected* in the window (that is when a
repair is invoiced and paid); repair volume counts repairs *received* in it. See ``definitions``.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import duckdb
import polars as pl

from warehouse.metrics.filters import Filters, Grain, check_grain, query, repair_conditions
from warehouse.metrics.summaries import cube_rows

Dimension = Literal["store", "device_category", "brand", "repair_type", "technician"]

# dimension → (SQL expression of its key on fct_repairs r, SQL expression of its label)
DIMENSIONS: dict[str, tuple[str, str]] = {
    "store": ("r.store_id", "coalesce(s.store_name, 'store ' || r.store_id)"),
    "device_category": ("r.device_category", "coalesce(r.device_category, 'unknown')"),
    "brand": ("r.device_brand", "coalesce(r.device_brand, 'unknown')"),
    "repair_type": ("r.repair_type", "coalesce(r.repair_type, 'not diagnosed')"),
    "technician": ("r.technician_id", "coalesce(t.technician_name, 'unassigned')"),
}

# Over rows of the ``collected_days`` cube (``summaries.cube_rows``), aliased ``r``.
_COLLECTED_AGGREGATES = """
    sum(r.revenue_eur)::DOUBLE AS revenue_eur,
    coalesce(sum(r.repairs_collected), 0)::BIGINT AS repairs_collected,
    sum(r.gross_margin_eur)::DOUBLE AS gross_margin_eur,
    sum(r.parts_cost_eur)::DOUBLE AS parts_cost_eur,
    sum(r.labour_revenue_eur)::DOUBLE AS labour_revenue_eur,
    sum(r.first_time_fixes) / nullif(sum(r.first_time_fix_known), 0) AS first_time_fix_rate,
    sum(r.reworked) / nullif(sum(r.rework_known), 0) AS rework_rate,
    sum(r.awaiting_parts_hours) / nullif(sum(r.total_turnaround_hours), 0) AS awaiting_parts_share
"""


def kpi_summary(conn: duckdb.DuckDBPyConnection, filters: Filters) -> pl.DataFrame:
    """One row: every headline metric of ``definitions.KPI_NAMES`` (and a few more) for the window.

    Values are null, not zero, when nothing in the window defines them (no repair collected, no
    feedback), so a card can say "—" instead of a misleading 0.
    """
    cond, params = repair_conditions(filters)
    collected, _ = cube_rows(conn, "collected_days", filters)
    received, _ = cube_rows(conn, "received_days", filters)
    rated, _ = cube_rows(conn, "rated_days", filters)
    sql = f"""
    WITH collected AS (
        SELECT {_COLLECTED_AGGREGATES} FROM ({collected}) r
    ),
    received AS (
        SELECT coalesce(sum(r.repairs), 0)::BIGINT AS repairs FROM ({received}) r
    ),
    ready AS (
        SELECT median(r.received_to_ready_hours) AS median_turnaround_hours
        FROM fct_repairs r WHERE {cond} AND r.ready_date BETWEEN $start AND $end
    ),
    rated AS (
        SELECT (sum(r.csat_total) / nullif(sum(r.ratings), 0))::DOUBLE AS csat,
               coalesce(sum(r.ratings), 0)::BIGINT AS ratings
        FROM ({rated}) r
    )
    SELECT revenue_eur, repairs, repairs_collected,
           revenue_eur / nullif(repairs_collected, 0) AS average_ticket_eur,
           gross_margin_eur, gross_margin_eur / nullif(revenue_eur, 0) AS gross_margin_rate,
           parts_cost_eur, labour_revenue_eur, median_turnaround_hours, first_time_fix_rate,
           rework_rate, awaiting_parts_share, csat, ratings
    FROM collected, received, ready, rated
    """
    return query(conn, sql, {**params, "start": filters.start, "end": filters.end})


def timeseries(conn: duckdb.DuckDBPyConnection, filters: Filters, grain: Grain) -> pl.DataFrame:
    """One row per ``grain`` period touching the window (every period, zeros where nothing
    happened): revenue, margin, parts and labour, repairs received and collected, average ticket.

    ``period`` is the period's first day (weeks start on Monday); the first and last periods can
    be partial, ``days_in_window`` says how many of their days are in the window.
    """
    grain = check_grain(grain)
    collected, params = cube_rows(conn, "collected_days", filters)
    received, _ = cube_rows(conn, "received_days", filters)
    sql = f"""
    WITH days AS (
        SELECT CAST(range AS DATE) AS day
        FROM range(CAST($start AS TIMESTAMP), CAST($end AS TIMESTAMP) + INTERVAL 1 DAY,
                   INTERVAL 1 DAY)
    ),
    periods AS (
        SELECT CAST(date_trunc('{grain}', day) AS DATE) AS period, count(*) AS days_in_window
        FROM days GROUP BY 1
    ),
    collected AS (
        SELECT CAST(date_trunc('{grain}', r.day) AS DATE) AS period, {_COLLECTED_AGGREGATES}
        FROM ({collected}) r
        GROUP BY 1
    ),
    received AS (
        SELECT CAST(date_trunc('{grain}', r.day) AS DATE) AS period, sum(r.repairs) AS repairs
        FROM ({received}) r
        GROUP BY 1
    )
    SELECT p.period, p.days_in_window,
           coalesce(c.revenue_eur, 0) AS revenue_eur,
           coalesce(rc.repairs, 0)::BIGINT AS repairs,
           coalesce(c.repairs_collected, 0) AS repairs_collected,
           c.revenue_eur / nullif(c.repairs_collected, 0) AS average_ticket_eur,
           coalesce(c.gross_margin_eur, 0) AS gross_margin_eur,
           c.gross_margin_eur / nullif(c.revenue_eur, 0) AS gross_margin_rate,
           coalesce(c.parts_cost_eur, 0) AS parts_cost_eur,
           coalesce(c.labour_revenue_eur, 0) AS labour_revenue_eur
    FROM periods p
    LEFT JOIN collected c USING (period)
    LEFT JOIN received rc USING (period)
    ORDER BY p.period
    """
    return query(conn, sql, {**params, "start": filters.start, "end": filters.end})


# The cube columns each breakdown groups on.
_BY: dict[str, tuple[str, ...]] = {
    "store": ("store_id",),
    "device_category": ("device_category",),
    "brand": ("device_brand",),
    "repair_type": ("repair_type",),
    "technician": ("technician_id",),
}


def _label_join(dimension: str) -> str:
    """The dimension table a breakdown's label needs, if any (a join costs about a scan)."""
    if dimension == "store":
        return "LEFT JOIN dim_store s ON s.store_id = r.store_id"
    if dimension == "technician":
        return "LEFT JOIN dim_technician t ON t.technician_id = r.technician_id"
    return ""


def breakdown(
    conn: duckdb.DuckDBPyConnection, filters: Filters, dimension: Dimension
) -> pl.DataFrame:
    """One row per value of ``dimension`` with repairs collected in the window: money, its share
    of revenue, and the quality metrics (first-time fix, rework, time awaiting parts)."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}: use one of {', '.join(DIMENSIONS)}")
    key, label = DIMENSIONS[dimension]
    collected, params = cube_rows(conn, "collected_days", filters, _BY[dimension])
    sql = f"""
    SELECT {key} AS key, {label} AS label, {_COLLECTED_AGGREGATES},
           sum(r.revenue_eur)::DOUBLE / nullif(sum(r.repairs_collected), 0) AS average_ticket_eur,
           sum(r.gross_margin_eur)::DOUBLE / nullif(sum(r.revenue_eur), 0) AS gross_margin_rate,
           sum(r.revenue_eur)::DOUBLE / nullif(sum(sum(r.revenue_eur)) OVER (), 0)
               AS revenue_share
    FROM ({collected}) r {_label_join(dimension)}
    GROUP BY ALL
    ORDER BY revenue_eur DESC NULLS LAST, label
    """
    return query(conn, sql, {**params, "start": filters.start, "end": filters.end})


def payment_methods(conn: duckdb.DuckDBPyConnection, filters: Filters) -> pl.DataFrame:
    """One row per payment method: what the selected repairs collected in the window were paid
    with. ``paid_eur`` sums succeeded payments, ``refunded_eur`` refunded ones; failed and pending
    attempts are counted, not summed."""
    payments, params = cube_rows(conn, "payment_days", filters)
    sql = f"""
    SELECT r.payment_method,
           sum(r.payments)::BIGINT AS payments,
           coalesce(sum(r.paid_eur), 0)::DOUBLE AS paid_eur,
           coalesce(sum(r.refunded_eur), 0)::DOUBLE AS refunded_eur,
           sum(r.failed_attempts)::BIGINT AS failed_attempts,
           sum(r.pending)::BIGINT AS pending
    FROM ({payments}) r
    GROUP BY 1
    """
    frame = query(conn, sql, {**params, "start": filters.start, "end": filters.end})
    total = frame["paid_eur"].sum()
    return frame.with_columns(
        (pl.col("paid_eur") / total if total else pl.lit(None, pl.Float64)).alias("paid_share")
    ).sort("paid_eur", descending=True)


def repair_details(
    conn: duckdb.DuckDBPyConnection,
    filters: Filters,
    focus: tuple[tuple[str, tuple[object, ...]], ...] = (),
    limit: int = 1_000,
) -> pl.DataFrame:
    """The repairs collected in the window, newest first (at most ``limit``), one row per repair.

    ``focus`` narrows them further, as a chart click does: pairs of a ``DIMENSIONS`` name (or
    ``collected_date``/``period_week``/``period_month``/``period_day``) and the values to keep.
    """
    cond, params = repair_conditions(filters)
    clauses = [cond]
    for index, (name, values) in enumerate(focus):
        if not values:
            continue
        if name in DIMENSIONS:
            column = DIMENSIONS[name][0]
        elif name.startswith("period_") and name[7:] in ("day", "week", "month"):
            column = f"CAST(date_trunc('{name[7:]}', r.collected_date) AS DATE)"
        else:
            raise ValueError(f"cannot focus the repairs on {name!r}")
        clauses.append(f"list_contains($focus_{index}, {column})")
        params[f"focus_{index}"] = list(values)
    start = filters.start if focus else _newest_days_start(conn, filters, limit)
    # The newest rows first, then their store and technician names: joining before the limit
    # would look names up for every repair in the window.
    sql = f"""
    WITH newest AS (
        SELECT * FROM fct_repairs r
        WHERE {" AND ".join(clauses)} AND r.collected_date BETWEEN $start AND $end
        ORDER BY r.collected_date DESC, r.repair_id DESC
        LIMIT {int(limit)}
    )
    SELECT r.repair_id, r.received_date, r.collected_date, s.store_name AS store,
           t.technician_name AS technician, r.device_category, r.device_brand AS brand,
           r.repair_type, r.revenue_eur::DOUBLE AS revenue_eur,
           r.gross_margin_eur::DOUBLE AS gross_margin_eur,
           r.parts_cost_eur::DOUBLE AS parts_cost_eur, r.labour_minutes,
           r.received_to_ready_hours, r.is_first_time_fix, r.has_rework, r.csat
    FROM newest r
    LEFT JOIN dim_store s ON s.store_id = r.store_id
    LEFT JOIN dim_technician t ON t.technician_id = r.technician_id
    ORDER BY r.collected_date DESC, r.repair_id DESC
    """
    return query(conn, sql, {**params, "start": start, "end": filters.end})


def _newest_days_start(conn: duckdb.DuckDBPyConnection, filters: Filters, limit: int) -> dt.date:
    """The latest day from which to the window end at least ``limit`` selected repairs were
    collected (the window start when fewer were): the newest ``limit`` are all on or after it,
    so the details scan need not read the rest of a long window."""
    collected, params = cube_rows(conn, "collected_days", filters, measures=("repairs_collected",))
    sql = f"""
    WITH per_day AS (
        SELECT r.day, sum(r.repairs_collected) AS repairs FROM ({collected}) r GROUP BY 1
    )
    SELECT max(day) AS day FROM (
        SELECT day, sum(repairs) OVER (ORDER BY day DESC) AS newer FROM per_day
    ) WHERE newer >= {int(limit)}
    """
    day = query(conn, sql, {**params, "start": filters.start, "end": filters.end})["day"][0]
    return filters.start if day is None else day
