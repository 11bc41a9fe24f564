"""Derived tables the metrics need that the warehouse does not hold, defined once here.

Each summary depends only on the warehouse version, never on the filters, so a long-lived reader
(the dashboard's cached connection) builds them once per version with :func:`prepare` into an
in-memory catalog beside the read-only warehouse. Metrics name a summary through
:func:`relation`: the prepared table when there is one, otherwise the same SQL inline, so the
results are identical either way and any plain connection to a warehouse works.
"""

from __future__ import annotations

import datetime as dt
import time
import weakref
from dataclasses import dataclass
from typing import Any

import duckdb

from warehouse.metrics.binned import bin_sql
from warehouse.metrics.filters import Filters, repair_conditions

CATALOG = "bi_summaries"

# fct_repairs turnaround stage columns, in timeline order.
STAGE_COLUMNS = (
    "received_to_diagnosed_hours",
    "awaiting_parts_hours",
    "in_repair_hours",
    "quality_check_hours",
    "ready_to_collected_hours",
    "total_turnaround_hours",
)


def _stage_days() -> str:
    """Per day of collection, each stage's repairs with a value (``<stage>__repairs``), repairs
    that spent time in it (``__in_stage``) and the hours they spent (``__hours``)."""
    columns = ",\n".join(
        f"count({c}) AS {c}__repairs, count(*) FILTER (WHERE {c} > 0) AS {c}__in_stage, "
        f"sum({c}) FILTER (WHERE {c} > 0) AS {c}__hours"
        for c in STAGE_COLUMNS
    )
    return f"""
        SELECT collected_date, {columns}
        FROM fct_repairs WHERE collected_date IS NOT NULL
        GROUP BY 1 ORDER BY 1
    """


def _stage_bins() -> str:
    """Per day of collection, stage and duration bin (``binned.bin_sql``): how many repairs
    collected that day spent that long in the stage (> 0 hours)."""
    return f"""
        SELECT collected_date, stage, {bin_sql("hours")} AS bin, count(*) AS repairs
        FROM (SELECT collected_date, {", ".join(STAGE_COLUMNS)}
              FROM fct_repairs WHERE collected_date IS NOT NULL)
        UNPIVOT (hours FOR stage IN ({", ".join(STAGE_COLUMNS)}))
        WHERE hours > 0
        GROUP BY ALL
        ORDER BY collected_date
    """


SUMMARIES: dict[str, str] = {
    # Per day a repair became ready and repair type: bench hours (in repair + quality check)
    # counted, summed and binned, what bench time without dimension filters reads.
    "bench_days": """
        SELECT ready_date, repair_type, count(*) AS repairs,
               count(in_repair_hours + quality_check_hours) AS timed,
               sum(in_repair_hours + quality_check_hours) AS hours
        FROM fct_repairs WHERE ready_date IS NOT NULL
        GROUP BY ALL ORDER BY ready_date
    """,
    "bench_bins": f"""
        SELECT ready_date, repair_type, {bin_sql("hours")} AS bin, count(*) AS repairs
        FROM (SELECT ready_date, repair_type, in_repair_hours + quality_check_hours AS hours
              FROM fct_repairs WHERE ready_date IS NOT NULL)
        WHERE hours IS NOT NULL
        GROUP BY ALL ORDER BY ready_date
    """,
    # Per day of collection: the stage totals and the binned stage durations of the repairs
    # collected that day, what the stage distributions sum over a window without dimension
    # filters.
    "stage_days": _stage_days(),
    "stage_bins": _stage_bins(),
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
    # Every repair with the moment it left the workshop (ready, collected, or cancelled: its
    # first ``cancelled`` status event), or infinity while it has not, sorted by that moment:
    # the open backlog at a date reads only the repairs still open then.
    "open_spans": """
        WITH cancelled AS (
            SELECT repair_id, min(occurred_at) AS cancelled_at
            FROM fct_status_events
            WHERE repair_status = 'cancelled'
            GROUP BY 1
        )
        SELECT r.repair_id, r.store_id, r.technician_id, r.repair_type, r.device_category,
               r.device_brand, r.received_at,
               coalesce(least(r.ready_at, r.collected_at, x.cancelled_at),
                        'infinity'::TIMESTAMP) AS open_until
        FROM fct_repairs r
        LEFT JOIN cancelled x ON x.repair_id = r.repair_id AND r.is_cancelled
        ORDER BY open_until
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
    # Reworks with the repair they redo: when they came back, and the redone repair's
    # dimensions, which the filters and the technician rework alert read.
    "reworks": """
        SELECT w.received_date, o.store_id, o.device_category, o.device_brand, o.repair_type,
               o.technician_id
        FROM fct_repairs w JOIN fct_repairs o ON o.repair_id = w.rework_of_repair_id
        WHERE w.is_rework
        ORDER BY w.received_date
    """,
    # One row per person × day they collected a repair: their value and repairs up to and
    # including that day (every repair counted), the next day they collected one, and their
    # acquisition channel. Customer value without dimension filters reads the row in force at
    # the window end instead of re-summing each person's history.
    "person_value_days": """
        WITH daily AS (
            SELECT canonical_customer_id, collected_date,
                   sum(revenue_eur) AS value_eur, count(*) AS repairs
            FROM {person_repairs}
            GROUP BY ALL
        )
        SELECT d.canonical_customer_id, d.collected_date,
               lead(d.collected_date) OVER person AS next_collected_date,
               sum(d.value_eur) OVER person AS value_eur,
               CAST(sum(d.repairs) OVER person AS BIGINT) AS repairs,
               coalesce(p.acquisition_channel, 'unknown') AS acquisition_channel
        FROM daily d JOIN dim_customer p ON p.customer_id = d.canonical_customer_id
        WINDOW person AS (PARTITION BY d.canonical_customer_id ORDER BY d.collected_date)
        ORDER BY d.collected_date
    """,
}


# ---------------------------------------------------------------------------------- cubes

# The dimension filters' columns, in the order of a cube's ``grouping_id`` bits.
DIMENSION_COLUMNS = ("store_id", "device_category", "device_brand", "repair_type", "technician_id")

# The dimension groupings a cube holds per day: none (no filter), then one per filter family
# (categories with their brands; technicians with their store). Finer combinations would be
# about as many rows as repairs, so a selection across families reads the repairs instead.
CUBE_GROUPINGS: tuple[tuple[str, ...], ...] = (
    (),
    ("store_id",),
    ("device_category", "device_brand"),
    ("repair_type",),
    ("store_id", "technician_id"),
)


@dataclass(frozen=True)
class Cube:
    """Additive measures of the selected repairs per day (``day``, a date of the source) and
    ``CUBE_GROUPINGS``: each measure is summed, so a window over the cube equals the same sums
    over the repairs."""

    day: str  # SQL of the date that puts a row in a window
    source: str  # FROM clause: fct_repairs as ``r``, possibly joined; ``{summary}`` names one
    where: str  # rows that count at all
    measures: dict[str, str]  # name → SQL of one source row's contribution
    keys: tuple[str, ...] = ()  # further grouping columns (``alias.column``), kept in every row


CUBES: dict[str, Cube] = {
    # Repairs collected per day: money and the quality numerators and denominators.
    "collected_days": Cube(
        day="r.collected_date",
        source="fct_repairs r",
        where="r.collected_date IS NOT NULL",
        measures={
            "revenue_eur": "r.revenue_eur",
            "repairs_collected": "1",
            "gross_margin_eur": "r.gross_margin_eur",
            "parts_cost_eur": "r.parts_cost_eur",
            "labour_revenue_eur": "r.labour_revenue_eur",
            "first_time_fixes": "r.is_first_time_fix::INT",
            "first_time_fix_known": "(r.is_first_time_fix IS NOT NULL)::INT",
            "reworked": "r.has_rework::INT",
            "rework_known": "(r.has_rework IS NOT NULL)::INT",
            "awaiting_parts_hours": "r.awaiting_parts_hours",
            "total_turnaround_hours": "r.total_turnaround_hours",
        },
    ),
    # Repairs received per day.
    "received_days": Cube(
        day="r.received_date",
        source="fct_repairs r",
        where="r.received_date IS NOT NULL",
        measures={"repairs": "1"},
    ),
    # Feedback submitted per day on the repairs.
    "rated_days": Cube(
        day="f.submitted_date",
        source="fct_feedback f JOIN fct_repairs r USING (repair_id)",
        where="f.submitted_date IS NOT NULL",
        measures={"csat_total": "f.csat", "ratings": "(f.csat IS NOT NULL)::INT"},
    ),
    # Repairs completed per day, what the technician leaderboard credits: labour and its
    # standard only where both are known, rework and CSAT numerators and denominators.
    "completed_days": Cube(
        day="r.completed_date",
        source="fct_repairs r LEFT JOIN {standard_minutes} st USING (repair_type, device_category)",
        where="r.is_completed AND r.completed_date IS NOT NULL",
        measures={
            "repairs_completed": "1",
            "revenue_eur": "r.revenue_eur",
            "labour_minutes": "if(st.standard_minutes IS NULL, NULL, r.labour_minutes)",
            "standard_minutes": "if(r.labour_minutes IS NULL, NULL, st.standard_minutes)",
            "reworked": "r.has_rework::INT",
            "rework_known": "(r.has_rework IS NOT NULL)::INT",
            "csat_total": "r.csat",
            "ratings": "(r.csat IS NOT NULL)::INT",
        },
    ),
    # Bookings per channel and slot day, with the device's category and brand (bookings have
    # no repair type: that column stays empty).
    "booking_days": Cube(
        day="r.slot_date",
        source="(SELECT b.*, m.device_category, m.brand AS device_brand, "
        "NULL::VARCHAR AS repair_type FROM fct_bookings b "
        "LEFT JOIN dim_device_model m USING (device_model_id)) r",
        where="r.slot_date IS NOT NULL",
        measures={
            "bookings": "1",
            "converted": "r.has_repair::INT",
            "no_shows": "r.is_no_show::INT",
            "cancellations": "r.is_cancelled::INT",
            "pending": "(r.booking_status = 'booked' AND NOT r.has_repair)::INT",
        },
        keys=("r.booking_channel",),
    ),
    # Payment attempts per payment method and day their repair was collected.
    "payment_days": Cube(
        day="r.collected_date",
        source="fct_payments p JOIN fct_repairs r USING (repair_id)",
        where="r.collected_date IS NOT NULL",
        measures={
            "payments": "(p.payment_status = 'succeeded')::INT",
            "paid_eur": "CASE WHEN p.payment_status = 'succeeded' THEN p.amount_eur END",
            "refunded_eur": "CASE WHEN p.payment_status = 'refunded' THEN p.amount_eur END",
            "failed_attempts": "(p.payment_status = 'failed')::INT",
            "pending": "(p.payment_status = 'pending')::INT",
        },
        keys=("p.payment_method",),
    ),
}


def _grouping_id(grouping: tuple[str, ...]) -> int:
    """``GROUPING(DIMENSION_COLUMNS)`` of a grouping: a set bit for each column rolled up."""
    width = len(DIMENSION_COLUMNS)
    return sum(
        1 << (width - 1 - index)
        for index, column in enumerate(DIMENSION_COLUMNS)
        if column not in grouping
    )


def _bare(column: str) -> str:
    return column.split(".")[-1]


def _source(conn: duckdb.DuckDBPyConnection, cube: Cube) -> str:
    """The cube's FROM clause with the summaries it names resolved."""
    return _resolve(conn, cube.source)


def _stored_type(measure: str) -> str:
    """How a cube stores a measure's daily sum: narrower than ``sum``'s own result type
    (HUGEINT, DECIMAL(38,2)), which is several times slower to sum again, and wide enough."""
    if measure.endswith("_eur"):
        return "DECIMAL(18,2)"
    if measure.endswith(("_hours", "_minutes")):
        return "DOUBLE"
    return "BIGINT"


def cube_sql(conn: duckdb.DuckDBPyConnection, cube: Cube) -> str:
    """SQL building ``cube``: one row per day × grouping × key with the summed measures."""
    keys = ", ".join(cube.keys)
    dimensions = ", ".join(f"r.{column}" for column in DIMENSION_COLUMNS)
    sets = ", ".join(
        "(" + ", ".join(["day", *cube.keys, *(f"r.{c}" for c in grouping)]) + ")"
        for grouping in CUBE_GROUPINGS
    )
    sums = ", ".join(
        f"CAST(sum({expr}) AS {_stored_type(name)}) AS {name}"
        for name, expr in cube.measures.items()
    )
    return f"""
        SELECT {cube.day} AS day, {keys + "," if keys else ""} {dimensions},
               GROUPING({dimensions}) AS grouping_id, {sums}
        FROM {_source(conn, cube)}
        WHERE {cube.where}
        GROUP BY GROUPING SETS ({sets})
        ORDER BY day
    """


def cube_rows(
    conn: duckdb.DuckDBPyConnection,
    name: str,
    filters: Filters,
    by: tuple[str, ...] = (),
    measures: tuple[str, ...] | None = None,
) -> tuple[str, dict[str, Any]]:
    """SQL of rows whose sums over any grouping are the measures of cube ``name`` for the
    selected repairs with ``day`` between ``$start`` and ``$end`` (and its parameters).

    Columns: ``day``, the cube's keys, the ``by`` columns of ``DIMENSION_COLUMNS`` (the ones the
    caller groups on) and the measures (all, or ``measures``). The rows are the prepared cube's
    at the coarsest grouping that holds the filtered columns and ``by`` when there is one;
    otherwise one row per source row.
    """
    cube = CUBES[name]
    cond, params = repair_conditions(filters)
    window = "r.day BETWEEN $start AND $end"
    grouping = _covering_grouping(filters, by)
    if grouping is not None and is_prepared(conn):
        sql = (
            f"SELECT * FROM {CATALOG}.main.{name} r "
            f"WHERE r.grouping_id = {_grouping_id(grouping)} AND {window} AND {cond}"
        )
        return sql, params
    columns = [f"{cube.day} AS day", *(f"{key} AS {_bare(key)}" for key in cube.keys)]
    columns += [f"r.{column}" for column in by]
    columns += [
        f"{expr} AS {measure}"
        for measure, expr in cube.measures.items()
        if measures is None or measure in measures
    ]
    sql = f"""
        SELECT * FROM (
            SELECT {", ".join(columns)}
            FROM {_source(conn, cube)}
            WHERE {cube.where} AND {cond}
        ) r WHERE {window}
    """
    return sql, params


_FILTERED_COLUMNS = (
    ("stores", "store_id"),
    ("device_categories", "device_category"),
    ("brands", "device_brand"),
    ("repair_types", "repair_type"),
    ("technicians", "technician_id"),
)


def _covering_grouping(filters: Filters, by: tuple[str, ...]) -> tuple[str, ...] | None:
    """The smallest grouping of ``CUBE_GROUPINGS`` holding the filtered columns and ``by``."""
    needed = {column for field, column in _FILTERED_COLUMNS if getattr(filters, field)}
    needed |= set(by)
    fitting = [grouping for grouping in CUBE_GROUPINGS if needed <= set(grouping)]
    return min(fitting, key=len) if fitting else None


# ------------------------------------------------------------------------- monthly rollups

# Day-grain summaries also kept per month: summary → (its date column, keys, summed measures).
# A long window then reads whole months from the rollup and only its partial edge months per
# day (a year: 11 month rows and about a month of day rows per key, not 365 day rows).
ROLLUPS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "stage_bins": ("collected_date", ("stage", "bin"), ("repairs",)),
    "bench_bins": ("ready_date", ("repair_type", "bin"), ("repairs",)),
}


def _rollup_sql(name: str) -> str:
    day, keys, measures = ROLLUPS[name]
    sums = ", ".join(f"CAST(sum({m}) AS BIGINT) AS {m}" for m in measures)
    return f"""
        SELECT CAST(date_trunc('month', {day}) AS DATE) AS month, {", ".join(keys)}, {sums}
        FROM {CATALOG}.main.{name}
        GROUP BY ALL ORDER BY month
    """


def window_rows(
    conn: duckdb.DuckDBPyConnection, name: str, start: dt.date, end: dt.date
) -> tuple[str, dict[str, Any]]:
    """SQL of rows (the keys and measures of summary ``name`` in ``ROLLUPS``) whose sums are
    the summary's over the days ``start``–``end``, and its parameters."""
    day, keys, measures = ROLLUPS[name]
    columns = ", ".join((*keys, *measures))
    # Whole months inside the window: from the first 1st on or after start, up to (excluded)
    # the 1st of the month after end's when end is a month's last day, else of end's month.
    full_start = start if start.day == 1 else _next_month(start)
    full_end = _next_month(end) if (end + dt.timedelta(days=1)).day == 1 else end.replace(day=1)
    params = {"w_start": start, "w_end": end}
    if not is_prepared(conn) or full_start >= full_end:
        return (
            f"SELECT {columns} FROM {relation(conn, name)} WHERE {day} BETWEEN $w_start AND $w_end",
            params,
        )
    params |= {"m_start": full_start, "m_end": full_end}
    daily = f"{CATALOG}.main.{name}"
    sql = f"""
        SELECT {columns} FROM {CATALOG}.main.{name}_months
        WHERE month >= $m_start AND month < $m_end
        UNION ALL
        SELECT {columns} FROM {daily} WHERE {day} >= $w_start AND {day} < $m_start
        UNION ALL
        SELECT {columns} FROM {daily} WHERE {day} >= $m_end AND {day} <= $w_end
    """
    return sql, params


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def prepare(conn: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """Build every summary, rollup and cube once into the in-memory ``CATALOG`` of ``conn``
    (whose default catalog is the warehouse); cursors of ``conn`` then read them through
    :func:`relation`, :func:`window_rows` and :func:`cube_rows`. Returns the seconds each
    table took to build."""
    conn.execute(f"ATTACH IF NOT EXISTS ':memory:' AS {CATALOG}")
    # Summaries naming another (``{summary}``) read its table, built before them: this
    # connection reads the catalog from now on, other cursors once ``READY`` exists.
    _PREPARED[conn] = True
    built = {name: _resolve(conn, sql) for name, sql in SUMMARIES.items()}
    built |= {f"{name}_months": _rollup_sql(name) for name in ROLLUPS}
    seconds = {name: _build(conn, name, sql) for name, sql in built.items()}
    for name, cube in CUBES.items():
        seconds[name] = _build(conn, name, cube_sql(conn, cube))
    conn.execute(f"CREATE OR REPLACE TABLE {CATALOG}.main.{READY} AS SELECT true AS ready")
    return seconds


def _build(conn: duckdb.DuckDBPyConnection, name: str, sql: str) -> float:
    started = time.perf_counter()
    conn.execute(f"CREATE OR REPLACE TABLE {CATALOG}.main.{name} AS {sql}")
    return time.perf_counter() - started


# Whether a connection's catalog holds the prepared summaries, asked once per connection object
# (the dashboard opens a cursor per metric call; a metric may name several summaries).
_PREPARED: weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, bool] = weakref.WeakKeyDictionary()


# Created last by :func:`prepare`: a cursor that reads while another thread builds the catalog
# computes the summaries inline until every table is there.
READY = "summaries_ready"


def is_prepared(conn: duckdb.DuckDBPyConnection) -> bool:
    """Whether :func:`prepare` built the summaries on the database ``conn`` reads."""
    known = _PREPARED.get(conn)
    if known is None:
        known = bool(
            conn.execute(
                "SELECT count(*) FROM duckdb_tables() "
                "WHERE database_name = $catalog AND table_name = $ready",
                {"catalog": CATALOG, "ready": READY},
            ).fetchall()[0][0]
        )
        _PREPARED[conn] = known
    return known


def discard(conn: duckdb.DuckDBPyConnection) -> None:
    """Drop the summaries :func:`prepare` built: metrics compute them inline again."""
    conn.execute(f"DETACH {CATALOG}")
    _PREPARED[conn] = False


def relation(conn: duckdb.DuckDBPyConnection, name: str) -> str:
    """SQL naming summary ``name``: its prepared table, or its definition as a subquery."""
    if is_prepared(conn):
        return f"{CATALOG}.main.{name}"
    return f"({_resolve(conn, SUMMARIES[name])})"


def _resolve(conn: duckdb.DuckDBPyConnection, sql: str) -> str:
    """``sql`` with each ``{summary}`` it names replaced by :func:`relation`."""
    for name in SUMMARIES:
        if f"{{{name}}}" in sql:
            sql = sql.replace(f"{{{name}}}", relation(conn, name))
    return sql
