"""Where time goes: stage turnaround distributions, bench time, SLA breaches, the open backlog,
and the booking funnel."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace

import duckdb
import polars as pl

from warehouse.metrics import binned, summaries
from warehouse.metrics.filters import Filters, query, repair_conditions
from warehouse.metrics.summaries import cube_rows, relation

# fct_repairs stage columns in timeline order, with the label managers read.
STAGES: dict[str, str] = dict(
    zip(
        summaries.STAGE_COLUMNS,
        (
            "received → diagnosed",
            "awaiting parts",
            "in repair",
            "quality check",
            "ready → collected",
            "received → collected (total)",
        ),
        strict=True,
    )
)

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
_LEVELS = (0.1, 0.25, 0.5, 0.75, 0.9)


def stage_durations(conn: duckdb.DuckDBPyConnection, filters: Filters) -> pl.DataFrame:
    """One row per turnaround stage: the distribution (p10, p25, median, p75, p90, mean) of hours
    spent in it by the repairs collected in the window that passed through it (> 0 hours), and
    the share of those repairs that did. Grain: repairs collected in the window.

    Without dimension filters the quantiles come from the per-day binned durations of
    ``summaries`` (``binned.QUANTILE_NOTE``: within 0.5 % of the exact value); a selection's
    are exact. Counts, shares and means are exact either way.
    """
    if filters.has_dimension_filters:
        return _exact_stage_durations(conn, filters)
    params = {"start": filters.start, "end": filters.end}
    window = "WHERE collected_date BETWEEN $start AND $end"
    sums = ", ".join(
        f"CAST(sum({c}__{part}) AS {kind}) AS {c}__{part}"
        for c in STAGES
        for part, kind in (("repairs", "BIGINT"), ("in_stage", "BIGINT"), ("hours", "DOUBLE"))
    )
    totals = query(conn, f"SELECT {sums} FROM {relation(conn, 'stage_days')} {window}", params).row(
        0, named=True
    )
    rows, bound = summaries.window_rows(conn, "stage_bins", filters.start, filters.end)
    bins_sql = f"SELECT stage, bin, sum(repairs)::BIGINT AS count FROM ({rows}) GROUP BY ALL"
    quantiles = binned.quantiles(query(conn, bins_sql, bound), "stage", _LEVELS)
    return _stage_frame(
        {
            stage: (
                totals[f"{stage}__repairs"],
                totals[f"{stage}__in_stage"],
                quantiles.get(stage),
                totals[f"{stage}__hours"],
            )
            for stage in STAGES
        }
    )


def _exact_stage_durations(conn: duckdb.DuckDBPyConnection, filters: Filters) -> pl.DataFrame:
    """``stage_durations`` of a selection, with exact quantiles: a selection has few enough
    repairs that sorting them costs less than binning them."""
    cond, params = repair_conditions(filters)
    # One pass, every stage's aggregates side by side (an UNPIVOT would copy each row 6 times).
    aggregates = ",\n".join(
        f"""count({stage}) AS {stage}__repairs,
        count(*) FILTER (WHERE {stage} > 0) AS {stage}__in_stage,
        quantile_cont({stage}, {_QUANTILES}) FILTER (WHERE {stage} > 0) AS {stage}__q,
        sum({stage}) FILTER (WHERE {stage} > 0) AS {stage}__hours"""
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
    return _stage_frame(
        {
            stage: (
                row[f"{stage}__repairs"],
                row[f"{stage}__in_stage"],
                row[f"{stage}__q"],
                row[f"{stage}__hours"],
            )
            for stage in STAGES
        }
    )


def _stage_frame(
    stages: dict[str, tuple[int | None, int, list[float] | None, float | None]],
) -> pl.DataFrame:
    """The ``stage_durations`` frame from each stage's repairs with a value, repairs in it, its
    quantiles (``_LEVELS``) and the hours spent in it."""
    rows = []
    for stage, label in STAGES.items():
        repairs, in_stage, q, hours = stages[stage]
        if not repairs:
            continue  # no repair collected in the window has this stage at all
        q = q or [None] * len(_LEVELS)
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
                "mean_hours": hours / in_stage if in_stage else None,
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
    ready in the window.

    Without dimension filters the quantiles come from the per-day binned durations of
    ``summaries`` (within 0.5 % of the exact value, ``binned.QUANTILE_NOTE``); a selection's are
    exact. Counts and means are exact either way.
    """
    cond, params = repair_conditions(filters)
    params |= {"start": filters.start, "end": filters.end}
    if not filters.has_dimension_filters:
        return _binned_bench_time(conn, params)
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
    return query(conn, sql, params)


def _binned_bench_time(conn: duckdb.DuckDBPyConnection, params: dict) -> pl.DataFrame:
    window = "WHERE ready_date BETWEEN $start AND $end"
    label = "coalesce(repair_type, 'not diagnosed') AS repair_type"
    totals = query(
        conn,
        f"SELECT {label}, sum(repairs)::BIGINT AS repairs, sum(hours) / sum(timed) AS mean_hours "
        f"FROM {relation(conn, 'bench_days')} {window} GROUP BY 1",
        params,
    )
    rows, bound = summaries.window_rows(conn, "bench_bins", params["start"], params["end"])
    bins_sql = f"SELECT {label}, bin, sum(repairs)::BIGINT AS count FROM ({rows}) GROUP BY ALL"
    bins = query(conn, bins_sql, bound)
    quantiles = binned.quantiles(bins, "repair_type", _LEVELS)
    none = [None] * len(_LEVELS)
    columns = ["p10_hours", "p25_hours", "median_hours", "p75_hours", "p90_hours"]
    levels = pl.DataFrame(
        [[key, *quantiles.get(key, none)] for key in totals["repair_type"]],
        schema={"repair_type": pl.String} | dict.fromkeys(columns, pl.Float64),
        orient="row",
    )
    return (
        totals.join(levels, on="repair_type", how="left")
        .select("repair_type", "repairs", *columns, "mean_hours")
        .sort("median_hours", descending=True, nulls_last=True)
    )


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
    # Count the repairs over each distinct target once per type (a few comparisons per row),
    # then keep the count of the type's own target: cheaper than looking a target up per row.
    thresholds = sorted({float(hours) for hours in targets.values()} | {float(fallback_hours)})
    over = ", ".join(
        f"count(*) FILTER (WHERE r.received_to_ready_hours > $over_{index}) AS over_{index}"
        for index in range(len(thresholds))
    )
    pick = " ".join(f"WHEN $over_{index} THEN g.over_{index}" for index in range(len(thresholds)))
    sql = f"""
    WITH grouped AS (
        SELECT r.repair_type, count(*) AS repairs,
               median(r.received_to_ready_hours) AS median_hours, {over}
        FROM fct_repairs r
        WHERE {cond} AND r.ready_date BETWEEN $start AND $end
        GROUP BY 1
    ),
    targets AS (
        SELECT unnest($target_types) AS repair_type, unnest($target_hours) AS target_hours
    ),
    judged AS (
        SELECT coalesce(g.repair_type, 'not diagnosed') AS repair_type,
               coalesce(t.target_hours, $fallback) AS target_hours, g.repairs,
               CASE coalesce(t.target_hours, $fallback) {pick} END AS breaches, g.median_hours
        FROM grouped g LEFT JOIN targets t ON t.repair_type = g.repair_type
    )
    SELECT repair_type, target_hours, repairs, breaches, breaches / repairs AS breach_rate,
           median_hours
    FROM judged ORDER BY breach_rate DESC, repair_type
    """
    return query(
        conn,
        sql,
        {
            **params,
            **{f"over_{index}": hours for index, hours in enumerate(thresholds)},
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
    # Most repairs were closed long before: the summary is sorted by when each one closed, so
    # the scan skips them.
    sql = f"""
    WITH open AS (
        SELECT r.*, date_diff('minute', r.received_at, $as_of) / 1440.0 AS age_days
        FROM {relation(conn, "open_spans")} r
        WHERE r.open_until >= $as_of AND r.received_at < $as_of AND {cond}
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
    bookings, params = cube_rows(conn, "booking_days", replace(filters, repair_types=()))
    counts = ", ".join(
        f"coalesce(sum(r.{name}), 0)::BIGINT AS {name}"
        for name in ("bookings", "converted", "no_shows", "cancellations", "pending")
    )
    sql = f"""
    WITH counted AS (
        SELECT coalesce(r.booking_channel, 'all channels') AS booking_channel,
               grouping(r.booking_channel) AS is_total, {counts}
        FROM ({bookings}) r
        GROUP BY GROUPING SETS ((r.booking_channel), ())
    )
    SELECT booking_channel, bookings, converted, no_shows, cancellations, pending,
           converted / nullif(bookings - pending, 0) AS booking_conversion_rate,
           no_shows / nullif(bookings - pending, 0) AS no_show_rate,
           cancellations / nullif(bookings - pending, 0) AS booking_cancellation_rate
    FROM counted ORDER BY is_total, bookings DESC
    """
    return query(conn, sql, {**params, "start": filters.start, "end": filters.end})
