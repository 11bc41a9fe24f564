"""Customer value: historical revenue per person, its distribution, by acquisition channel and
segment. A person is a ``canonical_customer_id`` (duplicate registrations merged)."""

from __future__ import annotations

import itertools

import duckdb
import numpy as np
import polars as pl

from warehouse.metrics import binned
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
    edges = list(VALUE_BINS_EUR)
    sql = f"""
    WITH {_per_person(conn, filters, cond)},
    people AS (
        SELECT p.value_eur, p.repairs, p.acquisition_channel,
               CASE WHEN p.last_collected_date < $end - INTERVAL {LAPSED_AFTER_DAYS} DAY
                        THEN 'lapsed'
                    WHEN p.repairs >= 4 THEN 'loyal'
                    WHEN p.repairs >= 2 THEN 'repeat'
                    ELSE 'one-off' END AS segment
        FROM per_person p
    )
    SELECT acquisition_channel, segment, value_eur, count(*) AS customers,
           sum(repairs)::BIGINT AS repairs
    FROM people
    GROUP BY ALL
    ORDER BY value_eur
    """
    people = query(conn, sql, {**params, "start": filters.start, "end": filters.end})
    # The band: how many edges are at or below the value (1 = the first band).
    band = np.searchsorted(np.array(edges, dtype=float), people["value_eur"].to_numpy(), "right")
    rows = _value_statistics(people.with_columns(pl.Series("band", band, pl.Int32)))
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


_GROUPINGS: tuple[tuple[str, ...], ...] = (
    ("acquisition_channel", "segment"),
    ("acquisition_channel",),
    ("segment",),
    (),
    ("band",),
)


def _value_statistics(people: pl.DataFrame) -> pl.DataFrame:
    """Per grouping of ``_GROUPINGS`` (channel and segment 'all' where rolled up, ``band`` null
    unless grouped by it): customers, total, mean, median and p90 value, mean repairs, from
    people counted per channel × segment × value in ascending value order (exact: every value
    is kept, so the quantiles are ``quantile_cont``'s)."""
    rows = []
    for keys in _GROUPINGS:
        # Like GROUP BY (), the overall row is there even when nobody was served.
        groups = people.group_by(keys, maintain_order=True) if keys else [((), people)]
        for key, part in groups:
            named = dict(zip(keys, key, strict=True))
            rows.append(
                {
                    "acquisition_channel": named.get("acquisition_channel", ALL),
                    "segment": named.get("segment", ALL),
                    "band": named.get("band"),
                    **_statistics(part),
                }
            )
    return pl.DataFrame(
        rows,
        schema={
            "acquisition_channel": pl.String,
            "segment": pl.String,
            "band": pl.Int32,
            "customers": pl.Int64,
            "value_eur": pl.Float64,
            "mean_value_eur": pl.Float64,
            "median_value_eur": pl.Float64,
            "p90_value_eur": pl.Float64,
            "mean_repairs": pl.Float64,
        },
    )


def _statistics(people: pl.DataFrame) -> dict[str, float | int | None]:
    """The statistics of one group of people, counted per value in ascending value order."""
    if people.is_empty():
        return {"customers": 0}
    values = people["value_eur"].to_numpy()
    counts = people["customers"].to_numpy()
    median, p90 = binned.weighted_quantiles(values, counts, (0.5, 0.9))
    customers = int(counts.sum())
    total = float((values * counts).sum())
    return {
        "customers": customers,
        "value_eur": total,
        "mean_value_eur": total / customers,
        "median_value_eur": median,
        "p90_value_eur": p90,
        "mean_repairs": float(people["repairs"].sum()) / customers,
    }


def _per_person(conn: duckdb.DuckDBPyConnection, filters: Filters, cond: str) -> str:
    """A ``per_person`` CTE: one row per person served in the window, with their value,
    repairs and last collection date up to the window end, and their acquisition channel.

    Without dimension filters every repair counts, so the row of ``person_value_days`` in force
    at the window end (the last day on or before it that the person collected a repair) holds
    all of it, and it is dated in the window exactly when the person was served then: one range
    scan over the window. A selection must re-sum each served person's selected repairs.
    """
    if not filters.has_dimension_filters:
        return f"""per_person AS (
        SELECT value_eur::DOUBLE AS value_eur, repairs, acquisition_channel,
               collected_date AS last_collected_date
        FROM {relation(conn, "person_value_days")}
        WHERE collected_date BETWEEN $start AND $end
          AND (next_collected_date IS NULL OR next_collected_date > $end)
    )"""
    repairs = relation(conn, "person_repairs")
    return f"""served AS (
        SELECT DISTINCT r.canonical_customer_id
        FROM {repairs} r
        WHERE {cond} AND r.collected_date BETWEEN $start AND $end
    ),
    totals AS (
        SELECT r.canonical_customer_id, sum(r.revenue_eur)::DOUBLE AS value_eur,
               count(*) AS repairs, max(r.collected_date) AS last_collected_date
        FROM {repairs} r SEMI JOIN served USING (canonical_customer_id)
        WHERE {cond} AND r.collected_date <= $end
        GROUP BY 1
    ),
    per_person AS (
        SELECT t.value_eur, t.repairs, t.last_collected_date,
               coalesce(d.acquisition_channel, 'unknown') AS acquisition_channel
        FROM totals t JOIN dim_customer d ON d.customer_id = t.canonical_customer_id
    )"""


def value_by_group(value: pl.DataFrame) -> pl.DataFrame:
    """The channel × segment rows of :func:`customer_value` (with their 'all' totals)."""
    return value.filter(pl.col("value_band") == ALL).drop("value_band", "lower_eur")


def value_distribution(value: pl.DataFrame) -> pl.DataFrame:
    """The value-band rows of :func:`customer_value`: people per band, in band order."""
    return value.filter(pl.col("value_band") != ALL).select("value_band", "lower_eur", "customers")
