"""Headline KPIs for the Home page: one window against the window before it.

A thin view over the metric layer: every number is ``warehouse.metrics.kpi_summary`` over all
stores, devices, repair types and technicians, and its name, label and formula are the ones in
``warehouse.metrics.METRICS``, so "Revenue", "Median turnaround", "CSAT" and "First-time fix" mean
the same on the Home page as on the BI dashboard.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from warehouse.metrics import METRICS, Filters, kpi_summary

HOME_KPI_NAMES = (
    "revenue_eur",
    "repairs",
    "median_turnaround_hours",
    "csat",
    "first_time_fix_rate",
)


@dataclass(frozen=True)
class Kpi:
    name: str
    label: str
    current: float | None
    previous: float | None

    @property
    def change(self) -> float | None:
        """Relative change against the previous window, or None when it cannot be computed."""
        if self.current is None or not self.previous:
            return None
        return (self.current - self.previous) / self.previous


def latest_activity_date(conn: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The last day on which a repair was received."""
    return conn.execute("SELECT max(received_date) FROM fct_repairs").fetchall()[0][0]


def window_kpis(
    conn: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date
) -> dict[str, float | None]:
    """Every ``kpi_summary`` metric for the days from ``start`` to ``end`` inclusive, as floats
    (None where nothing in the window defines it).

    Takes any connection to a warehouse: a result its caller left half-read (``fetchone``) is
    run to its end first, as a new ``execute`` would, since the metric layer's queries need the
    connection free.
    """
    conn.complete()
    row = kpi_summary(conn, Filters(start, end, comparison="none")).row(0, named=True)
    return {name: (float(value) if value is not None else None) for name, value in row.items()}


def headline_kpis(conn: duckdb.DuckDBPyConnection, as_of: dt.date, days: int = 30) -> list[Kpi]:
    """The last ``days`` days up to ``as_of`` against the ``days`` days before them."""
    window = Filters(as_of - dt.timedelta(days=days - 1), as_of, comparison="previous_period")
    previous_window = window.compared()
    assert previous_window is not None  # a previous-period comparison always has a window
    current = window_kpis(conn, window.start, window.end)
    previous = window_kpis(conn, previous_window.start, previous_window.end)
    return [
        Kpi(name, METRICS[name].label, current[name], previous[name]) for name in HOME_KPI_NAMES
    ]
