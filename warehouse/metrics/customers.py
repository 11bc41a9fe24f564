"""Customer value: historical revenue per person, its distribution, by acquisition channel and
segment. A person is a ``canonical_customer_id`` (duplicate registrations merged)."""

from __future__ import annotations

import itertools

import duckdb
import polars as pl

from warehouse.metrics.filters import Filters, query, repair_conditions
from warehouse.metrics.summaries import relation

VALUE_BINS_EUR: tuple[float, ...] = (0, 50, 100, 150, 200, 300, 400, 600, 800, 1200)
LAPSED_AFTER_DAYS = 365
ALL = "all"

SEGMENTS = {
    "one-off": "one collected repair",
    "repeat": "2–3 collected repairs",
    "loyal": "4 or more collected repairs",
    "lapsed": f"no repair collected in the {LAPSED_AFTER_DAYS} days before the window end",
}


def _band_labels() -> list[str]:
    edges = VALUE_BINS_EUR
    return [f"€{low:,.0f}–{high:,.0f}" for low, high in itertools.pairwise(edges)] + [
        f"€{edges[-1]:,.0f}+"
    ]


def customer_value(conn: duckdb.DuckDBPyConnection, filters: Filters) -> pl.DataFrame:
    """People with a selected repair collected in the window, and their historical value (Σ
    revenue of their selected repairs collected up to the window end), in one pass.

    Rows (``value_band`` = 'all') per acquisition channel × segment, per channel (segment
    'all'), per segment (channel 'all') and overall ('all', 'all'): customers, total, mean,
    median and p90 value, mean repairs. Rows with a ``value_band`` (channel and segment 'all')
    count the people in each band of ``VALUE_BINS_EUR`` (the last open-ended), empty bands too.
    Split them with :func:`value_by_group` and :func:`value_distribution`.
    """
    cond, params = repair_conditions(filters)
    repairs = relation(conn, "person_repairs")
    edges = list(VALUE_BINS_EUR)
    sql = f"""
    WITH served AS (
        SELECT DISTINCT r.canonical_customer_id
        FROM {repairs} r
        WHERE {cond} AND r.collected_date BETWEEN $start AND $end
    ),
    per_person AS (
        SELECT r.canonical_customer_id, sum(r.revenue_eur)::DOUBLE AS value_eur,
               count(*) AS repairs, max(r.collected_date) AS last_collected_date
        FROM {repairs} r SEMI JOIN served USING (canonical_customer_id)
        WHERE {cond} AND r.collected_date <= $end
        GROUP BY 1
    ),
    people AS (
        SELECT p.value_eur, p.repairs,
               coalesce(d.acquisition_channel, 'unknown') AS acquisition_channel,
               CASE WHEN p.last_collected_date < $end - INTERVAL {LAPSED_AFTER_DAYS} DAY
                        THEN 'lapsed'
                    WHEN p.repairs >= 4 THEN 'loyal'
                    WHEN p.repairs >= 2 THEN 'repeat'
                    ELSE 'one-off' END AS segment,
               list_position($edges, list_last(list_filter($edges, lambda e: e <= p.value_eur)))
                   AS band
        FROM per_person p JOIN dim_customer d ON d.customer_id = p.canonical_customer_id
    )
    SELECT coalesce(acquisition_channel, '{ALL}') AS acquisition_channel,
           coalesce(segment, '{ALL}') AS segment, band,
           count(*) AS customers, sum(value_eur) AS value_eur,
           avg(value_eur) AS mean_value_eur, median(value_eur) AS median_value_eur,
           quantile_cont(value_eur, 0.9) AS p90_value_eur, avg(repairs) AS mean_repairs
    FROM people
    GROUP BY GROUPING SETS ((acquisition_channel, segment), (acquisition_channel), (segment),
                            (), (band))
    """
    rows = query(conn, sql, {**params, "start": filters.start, "end": filters.end, "edges": edges})
    grouped = rows.filter(pl.col("band").is_null()).with_columns(
        pl.lit(ALL).alias("value_band"), pl.lit(None, pl.Float64).alias("lower_eur")
    )
    bands = pl.DataFrame(
        {
            "band": list(range(1, len(edges) + 1)),
            "value_band": _band_labels(),
            "lower_eur": [float(e) for e in edges],
        },
        schema_overrides={"band": pl.Int32},
    )
    counted = bands.join(
        rows.filter(pl.col("band").is_not_null())
        .with_columns(pl.col("band").cast(pl.Int32))
        .drop("acquisition_channel", "segment"),
        on="band",
        how="left",
    ).with_columns(
        pl.lit(ALL).alias("acquisition_channel"),
        pl.lit(ALL).alias("segment"),
        pl.col("customers").fill_null(0),
    )
    columns = [
        "acquisition_channel",
        "segment",
        "value_band",
        "lower_eur",
        "customers",
        "value_eur",
        "mean_value_eur",
        "median_value_eur",
        "p90_value_eur",
        "mean_repairs",
    ]
    ordered = grouped.sort(
        pl.col("acquisition_channel") != ALL,
        pl.col("segment") != ALL,
        pl.col("value_eur"),
        descending=[False, False, True],
    )
    return pl.concat([ordered.select(columns), counted.sort("band").select(columns)])


def value_by_group(value: pl.DataFrame) -> pl.DataFrame:
    """The channel × segment rows of :func:`customer_value` (with their 'all' totals)."""
    return value.filter(pl.col("value_band") == ALL).drop("value_band", "lower_eur")


def value_distribution(value: pl.DataFrame) -> pl.DataFrame:
    """The value-band rows of :func:`customer_value`: people per band, in band order."""
    return value.filter(pl.col("value_band") != ALL).select("value_band", "lower_eur", "customers")
