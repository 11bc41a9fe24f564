"""Headline KPIs for the Home page: one window against the window before it.

Each metric is defined once here (name, formula, grain):

- ``revenue_eur``: sum of ``fct_repairs.revenue_eur`` over repairs collected in the window.
- ``repairs``: count of repairs received in the window.
- ``median_turnaround_hours``: median ``received_to_ready_hours`` of repairs ready in the window.
- ``csat``: mean ``fct_feedback.csat`` (1–5) of feedback submitted in the window.
- ``first_time_fix_rate``: share of repairs collected in the window with ``is_first_time_fix``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

_WINDOW_SQL = """
WITH bounds AS (
    SELECT CAST($start AS DATE) AS start_date, CAST($end AS DATE) AS end_date
),
collected AS (
    SELECT sum(revenue_eur) AS revenue_eur,
           avg(CASE WHEN is_first_time_fix THEN 1.0 ELSE 0.0 END) AS first_time_fix_rate
    FROM fct_repairs, bounds
    WHERE collected_date BETWEEN start_date AND end_date
),
received AS (
    SELECT count(*) AS repairs
    FROM fct_repairs, bounds
    WHERE received_date BETWEEN start_date AND end_date
),
ready AS (
    SELECT median(received_to_ready_hours) AS median_turnaround_hours
    FROM fct_repairs, bounds
    WHERE ready_date BETWEEN start_date AND end_date
),
rated AS (
    SELECT avg(csat) AS csat
    FROM fct_feedback, bounds
    WHERE submitted_date BETWEEN start_date AND end_date
)
SELECT revenue_eur, repairs, median_turnaround_hours, csat, first_time_fix_rate
FROM collected, received, ready, rated
"""

KPI_LABELS = {
    "revenue_eur": "Revenue",
    "repairs": "Repairs received",
    "median_turnaround_hours": "Median turnaround",
    "csat": "CSAT",
    "first_time_fix_rate": "First-time fix",
}


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
    return conn.execute("SELECT max(received_date) FROM fct_repairs").fetchone()[0]


def window_kpis(
    conn: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date
) -> dict[str, float | None]:
    """The headline metrics for the days from ``start`` to ``end`` inclusive."""
    cursor = conn.execute(_WINDOW_SQL, {"start": start, "end": end})
    names = [column[0] for column in cursor.description]
    values = cursor.fetchone()
    return {
        name: (float(value) if value is not None else None)
        for name, value in zip(names, values, strict=True)
    }


def headline_kpis(conn: duckdb.DuckDBPyConnection, as_of: dt.date, days: int = 30) -> list[Kpi]:
    """The last ``days`` days up to ``as_of`` against the ``days`` days before them."""
    current_start = as_of - dt.timedelta(days=days - 1)
    previous_end = current_start - dt.timedelta(days=1)
    previous_start = previous_end - dt.timedelta(days=days - 1)
    current = window_kpis(conn, current_start, as_of)
    previous = window_kpis(conn, previous_start, previous_end)
    return [Kpi(name, label, current[name], previous[name]) for name, label in KPI_LABELS.items()]
