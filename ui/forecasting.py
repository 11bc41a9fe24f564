"""Loaders and charts for the Forecasting page: forecasts, components, peaks and capacity.

Forecast tables are cached by the production forecast version (a promotion shows on the next
rerun); anything that also reads the warehouse is cached by both versions.
"""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import pandas as pd
import streamlit as st

from core.settings import get_settings
from models import registry
from models.forecasting import capacity, seasonality
from models.forecasting.demand import DIMENSION_LABELS, DIMENSIONS, MEASURE_LABELS, SeriesKey
from models.forecasting.errors import ForecastInputError
from models.forecasting.store import KIND, ForecastSet, read_forecasts
from ui.warehouse import cursor

HISTORY_SHOWN = {"D": 180, "W": 104}
STATUS_COLOURS = alt.Scale(
    domain=["over", "at risk", "ok", "under"], range=["#d62728", "#ff9f1c", "#2ca02c", "#9aa4b2"]
)


def production_version() -> int | None:
    """The production forecast version (None when none is trained or promoted)."""
    return registry.production_version(KIND, settings=get_settings())


@st.cache_data(ttl=600, max_entries=4, show_spinner=False)
def forecast_set(version: int) -> ForecastSet | None:
    return read_forecasts(get_settings(), version)


def series_table(forecasts: ForecastSet) -> pd.DataFrame:
    """The series a user can pick, with their labels and backtest scores."""
    table = forecasts.series.copy()
    table["label"] = [SeriesKey.parse(name).label() for name in table["series_id"]]
    return table.sort_values(["measure", "dimension", "member", "freq"]).reset_index(drop=True)


def dimensions(table: pd.DataFrame, measure: str) -> list[str]:
    """The dimensions forecast for ``measure``, all stores first."""
    present = set(table.loc[table["measure"] == measure, "dimension"])
    return [dimension for dimension in DIMENSIONS if dimension in present]


def series_id(measure: str, dimension: str, member: str, freq: str) -> str:
    return SeriesKey(measure, dimension, member, freq).series_id  # type: ignore[arg-type]


def measure_label(measure: str) -> str:
    return MEASURE_LABELS.get(measure, measure)


def dimension_label(dimension: str) -> str:
    return DIMENSION_LABELS.get(dimension, dimension)


def forecast_chart(history: pd.DataFrame, forecast: pd.DataFrame, freq: str) -> alt.LayerChart:
    """Recent history (line), the forecast (dashed) and its interval (band)."""
    recent = history.tail(HISTORY_SHOWN.get(freq, 180)).assign(kind="history")
    band = (
        alt.Chart(forecast)
        .mark_area(opacity=0.25, color="#e8590c")
        .encode(
            x=alt.X("ds:T", title=None),
            y=alt.Y("yhat_lower:Q", title=None),
            y2="yhat_upper:Q",
            tooltip=[
                alt.Tooltip("ds:T", title="period"),
                alt.Tooltip("yhat:Q", title="forecast", format=",.1f"),
                alt.Tooltip("yhat_lower:Q", title="low", format=",.1f"),
                alt.Tooltip("yhat_upper:Q", title="high", format=",.1f"),
            ],
        )
    )
    past = (
        alt.Chart(recent)
        .mark_line(color="#1f6feb")
        .encode(x="ds:T", y="y:Q", tooltip=[alt.Tooltip("ds:T"), alt.Tooltip("y:Q", format=",.1f")])
    )
    ahead = (
        alt.Chart(forecast)
        .mark_line(color="#e8590c", strokeDash=[5, 3])
        .encode(x="ds:T", y="yhat:Q")
    )
    return alt.layer(band, past, ahead).properties(height=320)


@dataclass(frozen=True)
class Seasonal:
    components: pd.DataFrame | None
    peaks: list[str]
    year_over_year: pd.DataFrame
    note: str | None


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def seasonal_analysis(version: int, chosen: str) -> Seasonal:
    """Components, peaks in words and year-over-year change of the daily version of a series."""
    key = SeriesKey.parse(chosen)
    daily_id = SeriesKey(key.measure, key.dimension, key.member, "D").series_id
    forecasts = forecast_set(version)
    history = forecasts.history[forecasts.history["series_id"] == daily_id].sort_values("ds")
    if history.empty:
        return Seasonal(None, [], pd.DataFrame(), "no daily history for this series")
    values = pd.Series(history["y"].to_numpy(), index=pd.DatetimeIndex(history["ds"]))
    what = _peak_words(key)
    try:
        components = seasonality.decompose(values)
        peaks = [peak.describe(what) for peak in seasonality.peak_periods(values)]
        change = seasonality.year_over_year(values)
    except ForecastInputError as error:
        return Seasonal(None, [], pd.DataFrame(), str(error))
    return Seasonal(components, peaks, change, None)


def _peak_words(key: SeriesKey) -> str:
    if key.measure == "revenue_eur":
        return "revenue" if key.dimension == "total" else f"revenue at store {key.member}"
    if key.dimension == "store":
        return f"repairs at store {key.member}"
    if key.dimension == "total":
        return "repairs"
    return f"{key.member.replace('_', ' ')} repairs"


def components_chart(components: pd.DataFrame) -> alt.FacetChart:
    """Trend, weekly and yearly components, one small panel each."""
    long = components.melt(
        id_vars="ds", value_vars=["trend", "weekly", "yearly"], var_name="component"
    )
    return (
        alt.Chart(long)
        .mark_line()
        .encode(x=alt.X("ds:T", title=None), y=alt.Y("value:Q", title=None))
        .properties(height=120)
        .facet(row=alt.Row("component:N", title=None))
        .resolve_scale(y="independent")
    )


@dataclass(frozen=True)
class Capacity:
    plan: pd.DataFrame
    advice: list[capacity.Recommendation]


@st.cache_data(ttl=600, max_entries=8, show_spinner=False)
def capacity_plan(
    version: int, warehouse: str, productive_share: float, use_delivered: bool = True
) -> Capacity | None:
    """Weekly hours needed per store, from the weekly store forecasts, against the hours its
    team delivered in a busy recent week (``use_delivered``) or else its scheduled hours."""
    forecasts = forecast_set(version)
    weekly = forecasts.forecasts[
        (forecasts.forecasts["measure"] == "repairs")
        & (forecasts.forecasts["dimension"] == "store")
        & (forecasts.forecasts["freq"] == "W")
    ].rename(columns={"member": "store"})
    if weekly.empty:
        return None
    db = cursor(warehouse)
    per_repair = capacity.minutes_per_repair(capacity.repair_mix(db), capacity.standard_minutes(db))
    weeks = sorted(pd.to_datetime(weekly["ds"]).unique())
    scheduled = capacity.scheduled_hours(capacity.technicians(db), weeks, productive_share)
    delivered = capacity.delivered_capacity(capacity.weekly_labour(db))
    weekly = weekly.assign(ds=pd.to_datetime(weekly["ds"]))
    plan = capacity.capacity_plan(
        weekly[["store", "ds", "yhat", "yhat_lower", "yhat_upper"]],
        per_repair,
        scheduled,
        delivered if use_delivered else None,
    )
    return Capacity(plan, capacity.recommendations(plan))


def capacity_heatmap(plan: pd.DataFrame) -> alt.LayerChart:
    """Store × week cells coloured by status, labelled with the utilisation."""
    frame = plan.assign(
        week=plan["ds"].dt.strftime("%d %b"),
        store_label="store " + plan["store"].astype(str),
        load=(plan["utilisation"] * 100).round().astype("Int64").astype(str) + "%",
    )
    base = alt.Chart(frame).encode(
        x=alt.X("week:O", title="week starting", sort=None),
        y=alt.Y("store_label:N", title=None),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("status:N", scale=STATUS_COLOURS, title="status"),
        tooltip=[
            alt.Tooltip("store_label:N", title="store"),
            alt.Tooltip("week:O", title="week"),
            alt.Tooltip("hours_needed:Q", title="hours needed", format=",.0f"),
            alt.Tooltip("hours_low:Q", title="low", format=",.0f"),
            alt.Tooltip("hours_high:Q", title="high", format=",.0f"),
            alt.Tooltip("capacity_hours:Q", title="capacity", format=",.0f"),
            alt.Tooltip("delivered_hours:Q", title="delivered (busy week)", format=",.0f"),
            alt.Tooltip("scheduled_hours:Q", title="scheduled", format=",.0f"),
            alt.Tooltip("status:N"),
        ],
    )
    text = base.mark_text(fontSize=11).encode(text="load:N")
    return alt.layer(cells, text).properties(height=max(80, 36 * plan["store"].nunique()))
