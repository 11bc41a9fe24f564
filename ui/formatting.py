"""How numbers read on the pages: units, deltas and which direction is good."""

from __future__ import annotations

import datetime as dt

from warehouse.kpis import Kpi

# For these KPIs a rise is bad news, so Streamlit should colour it red.
LOWER_IS_BETTER = {"median_turnaround_hours"}


def kpi_value(kpi: Kpi) -> str:
    value = kpi.current
    if value is None:
        return "—"
    if kpi.name == "revenue_eur":
        return f"€{value:,.0f}"
    if kpi.name == "median_turnaround_hours":
        return f"{value:.1f} h"
    if kpi.name == "csat":
        return f"{value:.2f} / 5"
    if kpi.name.endswith("_rate"):
        return f"{value:.1%}"
    return f"{value:,.0f}"


def kpi_delta(kpi: Kpi) -> str | None:
    change = kpi.change
    return None if change is None else f"{change:+.1%}"


def delta_color(kpi: Kpi) -> str:
    return "inverse" if kpi.name in LOWER_IS_BETTER else "normal"


def timestamp(value: dt.datetime | None) -> str:
    return "never" if value is None else f"{value:%d %b %H:%M} UTC"


def age(value: dt.timedelta | None) -> str:
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60} min"
    return f"{minutes // (24 * 60)} days"
