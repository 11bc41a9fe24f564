"""Anomalies worth a manager's attention, each with a one-line explanation.

All three look back from the window's last day, whatever the window's length, and respect the
dimension filters:

- **KPI outside its expected band**: the last 7 days of a headline metric against the band
  mean ± 2 standard deviations of the 12 seven-day blocks before them.
- **Technician rework spike**: reworks that came back in the last 28 days on a technician's
  repairs, per repair they completed in those days, against their rate over the 182 days
  before; flagged when at least 3 came back, the rate at least doubled, and so many reworks
  would happen less than 1 % of the time at the old rate (Poisson).
- **Store turnaround creeping up**: a store's weekly median intake-to-ready time rose three
  weeks running and the last 4 weeks' median is at least 20 % above the 8 weeks before.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from dataclasses import dataclass, replace

import duckdb
import polars as pl

from warehouse.metrics.filters import Filters, query, repair_conditions
from warehouse.metrics.summaries import cube_rows, relation

BAND_BLOCKS = 12
BAND_WIDTH_SD = 2.0
MIN_BAND_BLOCKS = 6
REWORK_RECENT_DAYS = 28
REWORK_BASELINE_DAYS = 182
REWORK_MIN_COUNT = 3
REWORK_MIN_RATIO = 2.0
REWORK_SURPRISE = 0.01
CREEP_MIN_RISE = 0.20
CREEP_MIN_REPAIRS = 20

ALERT_COLUMNS = {"kind": pl.String, "subject": pl.String, "message": pl.String}

# metric → (label, the ``summaries`` cube it is summed from)
_BAND_METRICS = {
    "revenue_eur": ("Revenue", "collected_days"),
    "repairs": ("Repairs received", "received_days"),
}


@dataclass(frozen=True)
class Band:
    low: float
    high: float


def expected_band(history: list[float]) -> Band | None:
    """Mean ± ``BAND_WIDTH_SD`` standard deviations of ``history``; None with too little of it."""
    if len(history) < MIN_BAND_BLOCKS:
        return None
    mean = statistics.fmean(history)
    spread = BAND_WIDTH_SD * statistics.stdev(history)
    return Band(mean - spread, mean + spread)


def poisson_tail(k: int, expected: float) -> float:
    """P(X ≥ k) for X ~ Poisson(expected)."""
    if k <= 0:
        return 1.0
    if expected <= 0:
        return 0.0
    below = sum(math.exp(-expected + i * math.log(expected) - math.lgamma(i + 1)) for i in range(k))
    return max(0.0, 1.0 - below)


def _money(value: float) -> str:
    return f"€{value:,.0f}"


def kpi_band_alerts(conn: duckdb.DuckDBPyConnection, filters: Filters) -> pl.DataFrame:
    """Headline metrics whose last 7 days fall outside their expected band (see module doc)."""
    cond, params = repair_conditions(filters)
    days = 7 * (BAND_BLOCKS + 1)
    lookback = replace(filters, start=filters.end - dt.timedelta(days=days - 1), comparison="none")
    # One row per 7-day block counted back from the window end: block 0 is the latest.
    per_metric = []
    for name, (_, cube) in _BAND_METRICS.items():
        rows, _ = cube_rows(conn, cube, lookback, measures=(name,))
        per_metric.append(
            f"{name}_daily AS (SELECT r.day AS d, sum(r.{name}) AS {name} FROM ({rows}) r "
            "GROUP BY 1)"
        )
    joins = " ".join(f"LEFT JOIN {name}_daily USING (d)" for name in _BAND_METRICS)
    sums = ", ".join(f"coalesce(sum({name}), 0)::DOUBLE AS {name}" for name in _BAND_METRICS)
    sql = f"""
    WITH days AS (
        SELECT CAST(range AS DATE) AS d,
               (date_diff('day', CAST(range AS DATE), CAST($end AS DATE)) // 7) AS block
        FROM range(CAST($end AS TIMESTAMP) - INTERVAL {days - 1} DAY,
                   CAST($end AS TIMESTAMP) + INTERVAL 1 DAY, INTERVAL 1 DAY)
    ),
    {", ".join(per_metric)}
    SELECT block, min(d) AS first_day, max(d) AS last_day, {sums}
    FROM days {joins}
    GROUP BY block ORDER BY block
    """
    blocks = query(conn, sql, {**params, "start": lookback.start, "end": filters.end})
    first_activity = _first_activity(conn, cond, params, blocks["first_day"].min())
    rows = []
    if first_activity is not None and blocks.height:
        # Blocks before the first repair would read as zeros and widen the band for nothing.
        blocks = blocks.filter(pl.col("first_day") >= first_activity)
        if blocks.height and blocks["block"][0] == 0:
            latest = blocks.row(0, named=True)
            history = blocks.filter(pl.col("block") > 0)
            for name, (label, _) in _BAND_METRICS.items():
                band = expected_band(history[name].to_list())
                value = latest[name]
                if band is None or band.low <= value <= band.high:
                    continue
                fmt = _money if name.endswith("_eur") else (lambda v: f"{v:,.0f}")
                side = "below" if value < band.low else "above"
                rows.append(
                    {
                        "kind": "KPI outside expected band",
                        "subject": label,
                        "message": (
                            f"{label} in the 7 days to {latest['last_day']:%d %b %Y} "
                            f"({fmt(value)}) is {side} its expected band "
                            f"{fmt(max(band.low, 0))}–{fmt(band.high)} "
                            f"(mean ± 2 sd of the {history.height} weeks before)"
                        ),
                    }
                )
    return pl.DataFrame(rows, schema=ALERT_COLUMNS)


def _first_activity(
    conn: duckdb.DuckDBPyConnection, cond: str, params: dict, lookback_start: dt.date | None
) -> dt.date | None:
    """The first day a selected repair was received, or ``lookback_start`` minus a day when
    one was received before it: all the band needs to know, without reading all history."""
    if lookback_start is None:
        return None
    sql = f"""
    SELECT CASE WHEN EXISTS (
                    SELECT 1 FROM fct_repairs r WHERE {cond} AND r.received_date < $lookback
                ) THEN CAST($lookback AS DATE) - 1
                ELSE (SELECT min(r.received_date) FROM fct_repairs r
                      WHERE {cond} AND r.received_date >= $lookback) END AS first_day
    """
    return query(conn, sql, {**params, "lookback": lookback_start})["first_day"][0]


def rework_spike_alerts(conn: duckdb.DuckDBPyConnection, filters: Filters) -> pl.DataFrame:
    """Technicians whose repairs came back as reworks unusually often lately (see module doc)."""
    recent_start = filters.end - dt.timedelta(days=REWORK_RECENT_DAYS - 1)
    baseline_start = recent_start - dt.timedelta(days=REWORK_BASELINE_DAYS)
    lookback = replace(filters, start=baseline_start, comparison="none")
    cond, params = repair_conditions(filters, alias="o")
    completed, _ = cube_rows(conn, "completed_days", lookback, ("technician_id",))
    sql = f"""
    WITH returned AS (
        SELECT o.technician_id,
               count(*) FILTER (WHERE o.received_date >= $recent_start) AS recent_reworks,
               count(*) FILTER (WHERE o.received_date < $recent_start) AS baseline_reworks
        FROM {relation(conn, "reworks")} o
        WHERE {cond} AND o.received_date BETWEEN $start AND $end
        GROUP BY 1
    ),
    done AS (
        SELECT r.technician_id,
               coalesce(sum(r.repairs_completed) FILTER (WHERE r.day >= $recent_start), 0)
                   ::BIGINT AS recent_completed,
               coalesce(sum(r.repairs_completed) FILTER (WHERE r.day < $recent_start), 0)
                   ::BIGINT AS baseline_completed
        FROM ({completed}) r
        GROUP BY 1
    )
    SELECT d.technician_id, t.technician_name, s.store_name,
           coalesce(r.recent_reworks, 0) AS recent_reworks,
           coalesce(r.baseline_reworks, 0) AS baseline_reworks,
           d.recent_completed, d.baseline_completed
    FROM done d
    LEFT JOIN returned r USING (technician_id)
    LEFT JOIN dim_technician t ON t.technician_id = d.technician_id
    LEFT JOIN dim_store s ON s.store_id = t.store_id
    WHERE coalesce(r.recent_reworks, 0) >= {REWORK_MIN_COUNT}
    """
    params |= {"start": baseline_start, "end": filters.end, "recent_start": recent_start}
    rows = []
    for tech in query(conn, sql, params).iter_rows(named=True):
        if not tech["recent_completed"] or not tech["baseline_completed"]:
            continue
        recent_rate = tech["recent_reworks"] / tech["recent_completed"]
        # A technician with no reworks before still gets a small baseline: one per period.
        baseline_rate = max(tech["baseline_reworks"], 1) / tech["baseline_completed"]
        expected = baseline_rate * tech["recent_completed"]
        if recent_rate < REWORK_MIN_RATIO * baseline_rate:
            continue
        if poisson_tail(tech["recent_reworks"], expected) >= REWORK_SURPRISE:
            continue
        name = tech["technician_name"] or f"technician {tech['technician_id']}"
        rows.append(
            {
                "kind": "Technician rework spike",
                "subject": name,
                "message": (
                    f"{name} ({tech['store_name']}): {tech['recent_reworks']} reworks came back "
                    f"in the last {REWORK_RECENT_DAYS} days, {recent_rate:.1%} of repairs "
                    f"completed, against {baseline_rate:.1%} in the {REWORK_BASELINE_DAYS} "
                    f"days before (about {expected:.1f} expected)"
                ),
            }
        )
    return pl.DataFrame(rows, schema=ALERT_COLUMNS)


def turnaround_creep_alerts(conn: duckdb.DuckDBPyConnection, filters: Filters) -> pl.DataFrame:
    """Stores whose intake-to-ready time has been creeping up (see module doc)."""
    cond, params = repair_conditions(filters)
    sql = f"""
    WITH ready AS (
        SELECT r.store_id, r.received_to_ready_hours AS hours,
               date_diff('day', r.ready_date, CAST($end AS DATE)) // 7 AS block
        FROM fct_repairs r
        WHERE {cond} AND r.ready_date BETWEEN CAST($end AS DATE) - INTERVAL 83 DAY AND $end
    )
    SELECT r.store_id, s.store_name,
           list(weekly ORDER BY block) AS weekly_medians,
           any_value(recent_median) AS recent_median, any_value(before_median) AS before_median,
           any_value(recent_repairs) AS recent_repairs
    FROM (
        SELECT store_id, block, median(hours) AS weekly FROM ready GROUP BY ALL
    ) r
    JOIN (
        SELECT store_id,
               median(hours) FILTER (WHERE block < 4) AS recent_median,
               median(hours) FILTER (WHERE block >= 4) AS before_median,
               count(*) FILTER (WHERE block < 4) AS recent_repairs
        FROM ready GROUP BY 1
    ) USING (store_id)
    LEFT JOIN dim_store s ON s.store_id = r.store_id
    WHERE r.block < 3
    GROUP BY ALL
    """
    rows = []
    for store in query(conn, sql, {**params, "end": filters.end}).iter_rows(named=True):
        weekly = store["weekly_medians"]  # block 0 (latest) first
        recent, before = store["recent_median"], store["before_median"]
        if len(weekly) < 3 or recent is None or not before:
            continue
        rising = weekly[0] > weekly[1] > weekly[2]
        rise = recent / before - 1
        if not rising or rise < CREEP_MIN_RISE or store["recent_repairs"] < CREEP_MIN_REPAIRS:
            continue
        rows.append(
            {
                "kind": "Store turnaround creeping up",
                "subject": store["store_name"],
                "message": (
                    f"{store['store_name']}: median intake-to-ready time rose three weeks "
                    f"running, {recent:.0f} h over the last 4 weeks against {before:.0f} h in "
                    f"the 8 weeks before ({rise:+.0%})"
                ),
            }
        )
    return pl.DataFrame(rows, schema=ALERT_COLUMNS)


def anomalies(conn: duckdb.DuckDBPyConnection, filters: Filters) -> pl.DataFrame:
    """Every alert of this module: ``kind``, ``subject`` and a one-line ``message``."""
    return pl.concat(
        [
            kpi_band_alerts(conn, filters),
            rework_spike_alerts(conn, filters),
            turnaround_creep_alerts(conn, filters),
        ]
    )
