"""Where time goes: stage turnaround distributions, bench time, SLA breaches, the open backlog,
and the booking funnel."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import duckdb
import polars as pl

from warehouse.metrics.filters import Filters, query, repair_conditions
from warehouse.metrics.summaries import relation

# fct_repairs stage columns in timeline order, with the label managers read.
STAGES: dict[str, str] = {
    "received_to_diagnosed_hours": "received → diagnosed",
    "awaiting_parts_hours": "awaiting parts",
    "in_repair_hours": "in repair",
    "quality_check_hours": "quality check",
    "ready_to_collected_hours": "ready → collected",
    "total_turnaround_hours": "received → collected (total)",
}

# Hours from intake to ready a repair type may take before it counts as a breach. Quick bench
# jobs are promised same or next day; deep repairs (liquid, board) get several days.
DEFAULT_SLA_HOURS: dict[str, float] = {
    "screen_replacement": 24,
    "digitizer_replacement": 24,
    "battery_replacement": 24,
    "charging_port_replacement": 24,
    "joystick_replacement": 24,
    "camera_replacement": 24,
    "audio_repair": 24,
    "button_repair": 24,
    "software_restore": 48,
    "back_glass_replacement": 48,
    "storage_replacement": 48,
    "cooling_service": 48,
    "port_replacement": 48,
    "keyboard_replacement": 72,
    "hinge_repair": 72,
    "disc_drive_repair": 72,
    "antenna_repair": 72,
    "biometric_repair": 72,
    "liquid_damage_treatment": 120,
    "board_repair": 168,
}
DEFAULT_SLA_FALLBACK_HOURS = 72.0

AGE_BUCKETS: tuple[tuple[str, float], ...] = (
    ("< 1 day", 1),
    ("1–3 days", 3),
    ("3–7 days", 7),
    ("1–2 weeks", 14),
    ("> 2 weeks", float("inf")),
)

_QUANTILES = "[0.1, 0.25, 0.5, 0.75, 0.9]"


def stage_durations(conn: duckdb.DuckDBPyConnection, filters: Filters) -> pl.DataFrame:
    """One row per turnaround stage: the distribution (p10, p25, median, p75, p90, mean) of hours
    spent in it by the repairs collected in the window that passed through it (> 0 hours), and
    the share of those repairs that did. Grain: repairs collected in the window."""
    cond, params = repair_conditions(filters)
    # One pass, every stage's aggregates side by side (an UNPIVOT would copy each row 6 times).
    aggregates = ",\n".join(
        f"""count({stage}) AS {stage}__repairs,
        count(*) FILTER (WHERE {stage} > 0) AS {stage}__in_stage,
        quantile_cont({stage}, {_QUANTILES}) FILTER (WHERE {stage} > 0) AS {stage}__q,
        avg({stage}) FILTER (WHERE {stage} > 0) AS {stage}__mean"""
        for stage in STAGES
    )
    sql = f"""
    SELECT {aggregates}
    FROM fct_repairs r
    WHERE {cond} AND r.collected_date BETWEEN $start AND $end
    """
    row = query(conn, sql, {**params, "start": filters.start, "end": filters.end}).row(
        0, named=True
    )
    rows = []
    for stage, label in STAGES.items():
        repairs, in_stage = row[f"{stage}__repairs"], row[f"{stage}__in_stage"]
        if not repairs:
            continue  # no repair collected in the window has this stage at all
        q = row[f"{stage}__q"] or [None] * 5
        rows.append(
            {
                "stage": stage,
                "repairs_in_stage": in_stage,
                "share_of_repairs": in_stage / repairs,
                "p10_hours": q[0],
                "p25_hours": q[1],
                "median_hours": q[2],
                "p75_hours": q[3],
                "p90_hours": q[4],
                "mean_hours": row[f"{stage}__mean"],
                "stage_label": label,
            }
        )
    return pl.DataFrame(rows, schema=_STAGE_SCHEMA)


_STAGE_SCHEMA = {
    "stage": pl.String,
    "repairs_in_stage": pl.Int64,
    "share_of_repairs": pl.Float64,
    "p10_hours": pl.Float64,
    "p25_hours": pl.Float64,
    "median_hours": pl.Float64,
    "p75_hours": pl.Float64,
    "p90_hours": pl.Float64,
    "mean_hours": pl.Float64,
    "stage_label": pl.String,
}


def bench_time_by_repair_type(conn: duckdb.DuckDBPyConnection, filters: Filters) -> pl.DataFrame:
    """One row per repair type: the distribution of hours from in_repair to ready (the in-repair
    plus quality-check stages; time awaiting parts in between is not counted) of the repairs
    ready in the window."""
    cond, params = repair_conditions(filters)
    sql = f"""
    WITH bench AS (
        SELECT coalesce(r.repair_type, 'not diagnosed') AS repair_type,
               r.in_repair_hours + r.quality_check_hours AS hours
        FROM fct_repairs r
        WHERE {cond} AND r.ready_date BETWEEN $start AND $end
    ),
    stats AS (
        SELECT repair_type, count(*) AS repairs, quantile_cont(hours, {_QUANTILES}) AS q,
               avg(hours) AS mean_hours
        FROM bench GROUP BY 1
    )
    SELECT repair_type, repairs, q[1] AS p10_hours, q[2] AS p25_hours, q[3] AS median_hours,
           q[4] AS p75_hours, q[5] AS p90_hours, mean_hours
    FROM stats ORDER BY median_hours DESC
    """
    return query(conn, sql, {**params, "start": filters.start, "end": filters.end})


def sla_breaches(
    conn: duckdb.DuckDBPyConnection,
    filters: Filters,
    targets: Mapping[str, float] | None = None,
    fallback_hours: float = DEFAULT_SLA_FALLBACK_HOURS,
) -> pl.DataFrame:
    """One row per repair type: repairs ready in the window, the target (hours from intake to
    ready; ``targets`` per type, ``fallback_hours`` for the others), breaches (took longer) and
    the breach rate."""
    targets = DEFAULT_SLA_HOURS if targets is None else targets
    cond, params = repair_conditions(filters)
    sql = f"""
    WITH ready AS (
        SELECT coalesce(r.repair_type, 'not diagnosed') AS repair_type,
               r.received_to_ready_hours AS hours,
               coalesce(list_extract($target_hours, list_position($target_types, r.repair_type)),
                        $fallback) AS target_hours
        FROM fct_repairs r
        WHERE {cond} AND r.ready_date BETWEEN $start AND $end
    )
    SELECT repair_type, any_value(target_hours) AS target_hours, count(*) AS repairs,
           count(*) FILTER (WHERE hours > target_hours) AS breaches,
           count(*) FILTER (WHERE hours > target_hours) / count(*) AS breach_rate,
           median(hours) AS median_hours
    FROM ready GROUP BY 1 ORDER BY breach_rate DESC, repair_type
    """
    return query(
        conn,
        sql,
        {
            **params,
            "start": filters.start,
            "end": filters.end,
            "target_types": list(targets),
            "target_hours": [float(hours) for hours in targets.values()],
            "fallback": float(fallback_hours),
        },
    )


def open_backlog(conn: duckdb.DuckDBPyConnection, filters: Filters) -> pl.DataFrame:
    """One row per selected repair still in the workshop at the end of the window's last day:
    received by then, not yet ready, collected or cancelled. ``age_days`` counts from intake to
    that moment; ``age_bucket`` groups it (``AGE_BUCKETS``)."""
    cond, params = repair_conditions(filters)
    as_of = dt.datetime.combine(filters.end + dt.timedelta(days=1), dt.time())
    buckets = " ".join(
        f"WHEN age_days < {limit} THEN '{label}'"
        for label, limit in AGE_BUCKETS
        if limit != float("inf")
    )
    # Most repairs were ready long before: find the candidates first, then look up when the
    # cancelled ones among them were cancelled (a per-version summary of the status events).
    sql = f"""
    WITH candidates AS (
        SELECT r.repair_id, r.store_id, r.technician_id, r.repair_type, r.device_category,
               r.received_at, r.is_cancelled
        FROM fct_repairs r
        WHERE {cond} AND r.received_at < $as_of
          AND (r.ready_at IS NULL OR r.ready_at >= $as_of)
          AND (r.collected_at IS NULL OR r.collected_at >= $as_of)
    ),
    open AS (
        SELECT c.*, date_diff('minute', c.received_at, $as_of) / 1440.0 AS age_days
        FROM candidates c
        LEFT JOIN {relation(conn, "cancellations")} x
               ON x.repair_id = c.repair_id AND c.is_cancelled
        WHERE x.cancelled_at IS NULL OR x.cancelled_at >= $as_of
    )
    SELECT o.repair_id, s.store_name AS store, t.technician_name AS technician,
           coalesce(o.repair_type, 'not diagnosed') AS repair_type, o.device_category,
           o.received_at, o.age_days,
           CASE {buckets} ELSE '{AGE_BUCKETS[-1][0]}' END AS age_bucket
    FROM open o
    LEFT JOIN dim_store s ON s.store_id = o.store_id
    LEFT JOIN dim_technician t ON t.technician_id = o.technician_id
    ORDER BY o.age_days DESC, o.repair_id
    """
    return query(conn, sql, {**params, "as_of": as_of})


def booking_funnel(conn: duckdb.DuckDBPyConnection, filters: Filters) -> pl.DataFrame:
    """One row per booking channel and a total row (``booking_channel`` = 'all channels'):
    bookings whose slot falls in the window, how many became a repair, no-shows, cancellations,
    still pending, and the rates over bookings no longer pending.

    Bookings know their store, technician and device but not the repair type, so a repair-type
    filter does not apply here.
    """
    clauses, params = [], {}
    for column, name, values in (
        ("b.store_id", "f_stores", filters.stores),
        ("b.technician_id", "f_technicians", filters.technicians),
        ("m.device_category", "f_categories", filters.device_categories),
        ("m.brand", "f_brands", filters.brands),
    ):
        if values:
            clauses.append(f"list_contains(${name}, {column})")
            params[name] = list(values)
    cond = " AND ".join(clauses) or "TRUE"
    sql = f"""
    WITH counted AS (
        SELECT coalesce(b.booking_channel, 'all channels') AS booking_channel,
               grouping(b.booking_channel) AS is_total,
               count(*) AS bookings,
               count(*) FILTER (WHERE b.has_repair) AS converted,
               count(*) FILTER (WHERE b.is_no_show) AS no_shows,
               count(*) FILTER (WHERE b.is_cancelled) AS cancellations,
               count(*) FILTER (WHERE b.booking_status = 'booked' AND NOT b.has_repair) AS pending
        FROM fct_bookings b LEFT JOIN dim_device_model m USING (device_model_id)
        WHERE {cond} AND b.slot_date BETWEEN $start AND $end
        GROUP BY GROUPING SETS ((b.booking_channel), ())
    )
    SELECT booking_channel, bookings, converted, no_shows, cancellations, pending,
           converted / nullif(bookings - pending, 0) AS booking_conversion_rate,
           no_shows / nullif(bookings - pending, 0) AS no_show_rate,
           cancellations / nullif(bookings - pending, 0) AS booking_cancellation_rate
    FROM counted ORDER BY is_total, bookings DESC
    """
    return query(conn, sql, {**params, "start": filters.start, "end": filters.end})
