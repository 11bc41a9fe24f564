"""The metric layer: plain functions ``(connection, filters, …) → polars frame`` over the star
schema, each metric defined once (``definitions.METRICS``: name, formula, grain).

Functions take a DuckDB connection whose default catalog is the warehouse (``connect_read_only``
or ``ui.warehouse.cursor``) and a :class:`Filters`. They are pure reads: cache them on the
warehouse version and the filters.
"""

from warehouse.metrics.alerts import (
    anomalies,
    expected_band,
    kpi_band_alerts,
    poisson_tail,
    rework_spike_alerts,
    turnaround_creep_alerts,
)
from warehouse.metrics.binned import QUANTILE_ERROR, QUANTILE_NOTE
from warehouse.metrics.customers import customer_value, value_by_group, value_distribution
from warehouse.metrics.definitions import KPI_NAMES, METRICS, Metric
from warehouse.metrics.filters import (
    COMPARISONS,
    GRAINS,
    Comparison,
    Filters,
    Grain,
    MetricInputError,
    repair_conditions,
)
from warehouse.metrics.operations import (
    AGE_BUCKETS,
    DEFAULT_SLA_FALLBACK_HOURS,
    DEFAULT_SLA_HOURS,
    STAGES,
    bench_time_by_repair_type,
    booking_funnel,
    open_backlog,
    sla_breaches,
    stage_durations,
)
from warehouse.metrics.revenue import (
    DIMENSIONS,
    breakdown,
    kpi_summary,
    payment_methods,
    repair_details,
    timeseries,
)
from warehouse.metrics.technicians import technician_history, technician_leaderboard

__all__ = [
    "AGE_BUCKETS",
    "COMPARISONS",
    "DEFAULT_SLA_FALLBACK_HOURS",
    "DEFAULT_SLA_HOURS",
    "DIMENSIONS",
    "GRAINS",
    "KPI_NAMES",
    "METRICS",
    "QUANTILE_ERROR",
    "QUANTILE_NOTE",
    "STAGES",
    "Comparison",
    "Filters",
    "Grain",
    "Metric",
    "MetricInputError",
    "anomalies",
    "bench_time_by_repair_type",
    "booking_funnel",
    "breakdown",
    "customer_value",
    "expected_band",
    "kpi_band_alerts",
    "kpi_summary",
    "open_backlog",
    "payment_methods",
    "poisson_tail",
    "repair_conditions",
    "repair_details",
    "rework_spike_alerts",
    "sla_breaches",
    "stage_durations",
    "technician_history",
    "technician_leaderboard",
    "timeseries",
    "turnaround_creep_alerts",
    "value_by_group",
    "value_distribution",
]
