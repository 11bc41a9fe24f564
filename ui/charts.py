"""Altair chart builders for the BI dashboard: pure functions from metric frames to charts.

Charts that filter a table below carry a point selection named ``pick`` on the fields a click
should select; :func:`picked` reads the selection Streamlit hands back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import altair as alt
import polars as pl

from warehouse.metrics import METRICS

PICK = "pick"
CURRENT, COMPARISON, FORECAST = "selected period", "comparison period", "forecast"
_SERIES_COLOURS = alt.Scale(
    domain=[CURRENT, COMPARISON, FORECAST], range=["#1f6feb", "#9aa4b2", "#e8590c"]
)


def axis_format(metric: str) -> str:
    if metric in METRICS:
        unit = METRICS[metric].unit
    elif metric.endswith("_eur"):
        unit = "eur"
    elif metric.endswith(("_rate", "_share")):
        unit = "rate"
    elif metric.endswith("_hours"):
        unit = "hours"
    else:
        unit = "count"
    # d3-format has no euro sign (only a locale's "$"): euros carry it in their titles.
    formats = {"eur": ",.0f", "rate": ".1%", "hours": ",.1f", "score": ".2f", "ratio": ".2f"}
    return formats.get(unit, ".1f" if unit == "per_day" else ",.0f")


def _title(metric: str) -> str:
    label = (
        METRICS[metric].label
        if metric in METRICS
        else metric.removesuffix("_eur").replace("_", " ")
    )
    return f"{label} (€)" if metric.endswith("_eur") else label


def picked(state: Any, field: str) -> tuple:
    """The values of ``field`` the user clicked on (empty when nothing is selected)."""
    try:
        rows = state["selection"][PICK]
    except (KeyError, TypeError):
        return ()
    if isinstance(rows, Mapping):  # an interval selection hands back {field: [lo, hi]}
        return tuple(rows.get(field, ()))
    return tuple(dict.fromkeys(row[field] for row in rows if field in row))


def timeseries_chart(
    series: pl.DataFrame,
    metric: str,
    comparison: pl.DataFrame | None = None,
    forecast: pl.DataFrame | None = None,
) -> alt.LayerChart:
    """One metric over time: the selected period (clickable points), the comparison period
    shifted onto the same dates (dashed), and the forecast with its band.

    ``series``/``comparison`` have ``period`` and ``metric``; ``comparison`` also
    ``comparison_period`` (its real dates); ``forecast`` has ``period, yhat, yhat_lower,
    yhat_upper``.
    """
    fmt = axis_format(metric)
    title = _title(metric)
    pick = alt.selection_point(name=PICK, fields=["period"], on="click", empty=False)
    current = series.select("period", "days_in_window", pl.col(metric).alias("value")).with_columns(
        pl.lit(CURRENT).alias("series")
    )
    x = alt.X("period:T", title=None)
    colour = alt.Color(
        "series:N", scale=_SERIES_COLOURS, title=None, legend=alt.Legend(orient="top")
    )
    y = alt.Y("value:Q", title=title, axis=alt.Axis(format=fmt))
    base = alt.Chart(current).encode(x=x, y=y)
    tooltip = [
        alt.Tooltip("period:T", title="period"),
        alt.Tooltip("value:Q", title=title, format=fmt),
        alt.Tooltip("days_in_window:Q", title="days in the window"),
    ]
    layers: list[alt.Chart] = [
        base.mark_line().encode(color=colour),
        base.mark_point(filled=True, size=60)
        .encode(
            color=colour,
            tooltip=tooltip,
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.6)),
            size=alt.condition(pick, alt.value(160), alt.value(50)),
        )
        .add_params(pick),
    ]
    if comparison is not None and comparison.height:
        shifted = comparison.select(
            "period", "comparison_period", pl.col(metric).alias("value")
        ).with_columns(pl.lit(COMPARISON).alias("series"))
        layers.insert(
            0,
            alt.Chart(shifted)
            .mark_line(strokeDash=[5, 4])
            .encode(
                x=x,
                y="value:Q",
                color=colour,
                tooltip=[
                    alt.Tooltip("comparison_period:T", title="comparison period"),
                    alt.Tooltip("value:Q", title=title, format=fmt),
                ],
            ),
        )
    if forecast is not None and forecast.height:
        future = forecast.with_columns(pl.lit(FORECAST).alias("series"))
        band_tooltip = [
            alt.Tooltip("period:T", title="period"),
            alt.Tooltip("yhat:Q", title="forecast", format=fmt),
            alt.Tooltip("yhat_lower:Q", title="lower", format=fmt),
            alt.Tooltip("yhat_upper:Q", title="upper", format=fmt),
        ]
        layers.insert(
            0,
            alt.Chart(future)
            .mark_area(opacity=0.2, color="#e8590c")
            .encode(x=x, y="yhat_lower:Q", y2="yhat_upper:Q", tooltip=band_tooltip),
        )
        layers.append(
            alt.Chart(future)
            .mark_line(strokeDash=[2, 2])
            .encode(x=x, y="yhat:Q", color=colour, tooltip=band_tooltip)
        )
    return alt.layer(*layers).properties(height=300)


def bar_chart(
    frame: pl.DataFrame,
    value: str,
    label: str = "label",
    key: str = "key",
    tooltip_fields: tuple[str, ...] = (),
    title: str | None = None,
) -> alt.Chart:
    """Horizontal bars of ``value`` per ``label``, clickable: a click selects the bar's ``key``."""
    fmt = axis_format(value)
    pick = alt.selection_point(name=PICK, fields=[key], on="click", empty=False)
    tooltip = [alt.Tooltip(f"{label}:N", title=label.replace("_", " "))] + [
        alt.Tooltip(f"{name}:Q", title=_title(name), format=axis_format(name))
        for name in (value, *tooltip_fields)
    ]
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y(f"{label}:N", sort="-x", title=None),
            x=alt.X(f"{value}:Q", title=title or _title(value), axis=alt.Axis(format=fmt)),
            color=alt.condition(pick, alt.value("#e8590c"), alt.value("#1f6feb")),
            tooltip=tooltip,
        )
        .add_params(pick)
        .properties(height=alt.Step(22))
    )


def quantile_chart(frame: pl.DataFrame, label: str, title: str) -> alt.LayerChart:
    """Box plots from precomputed quantiles (whiskers p10–p90, box p25–p75, tick at the median),
    on a symmetric-log hour axis because stages run from minutes to weeks."""
    axis = alt.Scale(type="symlog")
    y = alt.Y(f"{label}:N", sort=None, title=None)
    quantiles = ("p10_hours", "p25_hours", "median_hours", "p75_hours", "p90_hours", "mean_hours")
    tooltip = [alt.Tooltip(f"{label}:N", title=title)] + [
        alt.Tooltip(f"{name}:Q", title=name.removesuffix("_hours"), format=",.1f")
        for name in quantiles
        if name in frame.columns
    ]
    base = alt.Chart(frame).encode(y=y, tooltip=tooltip)
    return alt.layer(
        base.mark_rule(color="#6e7781").encode(
            x=alt.X("p10_hours:Q", scale=axis, title="hours (p10 · p25 · median · p75 · p90)"),
            x2="p90_hours:Q",
        ),
        base.mark_bar(size=14, color="#9ec5fe").encode(
            x=alt.X("p25_hours:Q", scale=axis), x2="p75_hours:Q"
        ),
        base.mark_tick(color="#0b3d91", thickness=3, size=16).encode(
            x=alt.X("median_hours:Q", scale=axis)
        ),
    ).properties(height=alt.Step(26))


def backlog_chart(backlog: pl.DataFrame, bucket_order: list[str]) -> alt.Chart:
    """Open repairs per age bucket, stacked by store; clicking a bar selects its age bucket."""
    pick = alt.selection_point(name=PICK, fields=["age_bucket"], on="click", empty=False)
    counted = backlog.group_by("age_bucket", "store").agg(pl.len().alias("repairs"))
    return (
        alt.Chart(counted)
        .mark_bar()
        .encode(
            x=alt.X("age_bucket:N", sort=bucket_order, title="age since intake"),
            y=alt.Y("repairs:Q", title="open repairs"),
            color=alt.Color("store:N", title="store"),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.75)),
            tooltip=["age_bucket:N", "store:N", "repairs:Q"],
        )
        .add_params(pick)
        .properties(height=260)
    )


def histogram_chart(frame: pl.DataFrame) -> alt.Chart:
    """People per historical-value band, in band order."""
    return (
        alt.Chart(frame)
        .mark_bar(color="#1f6feb")
        .encode(
            x=alt.X("value_band:N", sort=None, title="historical value per customer"),
            y=alt.Y("customers:Q", title="customers"),
            tooltip=["value_band:N", alt.Tooltip("customers:Q", format=",")],
        )
        .properties(height=260)
    )


def grouped_value_chart(frame: pl.DataFrame) -> alt.Chart:
    """Mean historical value per acquisition channel, split by segment."""
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("acquisition_channel:N", title=None),
            x=alt.X(
                "mean_value_eur:Q",
                title="mean value per customer (€)",
                axis=alt.Axis(format=",.0f"),
            ),
            color=alt.Color("segment:N", title="segment"),
            yOffset="segment:N",
            tooltip=[
                "acquisition_channel:N",
                "segment:N",
                alt.Tooltip("customers:Q", format=","),
                alt.Tooltip("mean_value_eur:Q", format=",.0f", title="mean"),
                alt.Tooltip("median_value_eur:Q", format=",.0f", title="median"),
                alt.Tooltip("p90_value_eur:Q", format=",.0f", title="p90"),
            ],
        )
        .properties(height=320)
    )


def funnel_chart(funnel: pl.DataFrame) -> alt.Chart:
    """Booking outcomes per channel as stacked shares."""
    long = (
        funnel.filter(pl.col("booking_channel") != "all channels")
        .select("booking_channel", "converted", "no_shows", "cancellations", "pending")
        .unpivot(index="booking_channel", variable_name="outcome", value_name="count")
    )
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("booking_channel:N", title=None),
            x=alt.X(
                "count:Q",
                stack="normalize",
                title="share of bookings",
                axis=alt.Axis(format="%"),
            ),
            color=alt.Color(
                "outcome:N",
                scale=alt.Scale(
                    domain=["converted", "no_shows", "cancellations", "pending"],
                    range=["#2da44e", "#cf222e", "#bf8700", "#9aa4b2"],
                ),
            ),
            tooltip=["booking_channel:N", "outcome:N", alt.Tooltip("count:Q", format=",")],
        )
        .properties(height=180)
    )


def history_chart(history: pl.DataFrame, metric: str) -> alt.Chart:
    """One technician's metric per period."""
    fmt = axis_format(metric)
    return (
        alt.Chart(history)
        .mark_line(point=True)
        .encode(
            x=alt.X("period:T", title=None),
            y=alt.Y(f"{metric}:Q", title=_title(metric), axis=alt.Axis(format=fmt)),
            tooltip=[alt.Tooltip("period:T"), alt.Tooltip(f"{metric}:Q", format=fmt)],
        )
        .properties(height=200)
    )
