"""The BI dashboard's loaders and section builders; ``pages/1_BI_Dashboard.py`` only wires them.

Every number comes from ``warehouse.metrics`` through :func:`metric`, cached on the warehouse
version and the filters: a filter change computes only what it has not seen, and a newly
published warehouse (a new version) is never mixed with the previous one. The metric layer's
filter-independent summaries are built once per version (``ui.warehouse.prepare_summaries``).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pandas as pd
import polars as pl
import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from ui import charts
from ui.filters import COMPARISON_LABELS, FilterOptions, View, sla_overrides, sla_query
from ui.warehouse import cursor, prepare_summaries
from warehouse import metrics as m
from warehouse.metrics import METRICS, Filters

CACHE_TTL_S = 3600
LOAD_THREADS = 4
FORECAST_HORIZON = {"day": 28, "week": 8, "month": 3}
FORECAST_METHODS = ("seasonal_naive", "ets", "theta")
FORECAST_LEVEL = 80
TIME_METRICS = ("revenue_eur", "repairs", "average_ticket_eur", "gross_margin_eur")
BREAKDOWNS = {
    "store": "Store",
    "device_category": "Device category",
    "repair_type": "Repair type",
    "brand": "Brand",
}

_FUNCTIONS: dict[str, Callable[..., pl.DataFrame]] = {
    "kpis": m.kpi_summary,
    "timeseries": m.timeseries,
    "breakdown": m.breakdown,
    "payments": m.payment_methods,
    "details": m.repair_details,
    "stages": m.stage_durations,
    "bench": m.bench_time_by_repair_type,
    "sla": m.sla_breaches,
    "backlog": m.open_backlog,
    "bookings": m.booking_funnel,
    "customer_value": m.customer_value,
    "leaderboard": m.technician_leaderboard,
    "history": m.technician_history,
    "band_alerts": m.kpi_band_alerts,
    "rework_alerts": m.rework_spike_alerts,
    "creep_alerts": m.turnaround_creep_alerts,
}


# The alert kinds of ``warehouse.metrics.anomalies``, in its order.
_ALERT_KINDS = ("band_alerts", "rework_alerts", "creep_alerts")

# ------------------------------------------------------------------------------------ loading


@st.cache_data(ttl=CACHE_TTL_S, max_entries=1024, show_spinner=False)
def metric(version: str, name: str, filters: Filters, *args: Any) -> pl.DataFrame:
    """``warehouse.metrics`` function ``name`` on warehouse ``version``, cached on everything."""
    prepare_summaries(version)
    return _FUNCTIONS[name](cursor(version), filters, *args)


@st.cache_data(ttl=CACHE_TTL_S, max_entries=8, show_spinner=False)
def filter_options(version: str) -> FilterOptions | None:
    """The stores, categories, brands, repair types and technicians to pick from; None when the
    warehouse holds no repair."""
    db = cursor(version)
    first, last = db.execute(
        "SELECT min(received_date), max(coalesce(collected_date, received_date)) FROM fct_repairs"
    ).fetchone()
    if first is None:
        return None

    def values(sql: str) -> list[tuple]:
        return db.execute(sql).fetchall()

    stores = dict(values("SELECT store_id, store_name FROM dim_store ORDER BY store_name"))
    technicians = {
        tech: f"{name} ({store})"
        for tech, name, store in values(
            "SELECT t.technician_id, t.technician_name, coalesce(s.store_code, '?') "
            "FROM dim_technician t LEFT JOIN dim_store s USING (store_id) "
            "ORDER BY t.technician_name, t.technician_id"
        )
    }
    distinct = ("SELECT DISTINCT {0} FROM fct_repairs WHERE {0} IS NOT NULL ORDER BY {0}").format
    return FilterOptions(
        first_date=first,
        last_date=min(last, dt.datetime.now(dt.UTC).date()),
        stores=stores,
        device_categories=tuple(v for (v,) in values(distinct("device_category"))),
        brands=tuple(v for (v,) in values(distinct("device_brand"))),
        repair_types=tuple(v for (v,) in values(distinct("repair_type"))),
        technicians=technicians,
    )


def complete_periods(series: pl.DataFrame, grain: str) -> pl.DataFrame:
    """Drop the partial first/last period, which would read as a dip to a forecaster."""

    def full_days(period: dt.date) -> int:
        if grain == "day":
            return 1
        if grain == "week":
            return 7
        following = dt.date(period.year + period.month // 12, period.month % 12 + 1, 1)
        return (following - period).days

    full = pl.Series([full_days(p) for p in series["period"]], dtype=pl.Int64)
    return series.filter(pl.Series(series["days_in_window"] == full))


@st.cache_data(ttl=CACHE_TTL_S, max_entries=64, show_spinner=False)
def forecast(
    version: str, history: Filters, metric_name: str, grain: str
) -> tuple[pl.DataFrame | None, str]:
    """The next periods of ``metric_name`` for the selection, from its whole history up to the
    window end, with an 80 % band; or None and the reason it cannot be forecast."""
    from models.forecasting import ForecastInputError, forecast_series, prepare_series

    series = complete_periods(metric(version, "timeseries", history, grain), grain)
    frame = series.select(pl.col("period").alias("ds"), pl.col(metric_name).alias("y")).drop_nulls()
    freq = {"day": "D", "week": "W", "month": "MS"}[grain]
    try:
        prepared, _ = prepare_series(frame.to_pandas(), freq)
        result = forecast_series(
            prepared,
            FORECAST_HORIZON[grain],
            freq,
            level=FORECAST_LEVEL,
            methods=FORECAST_METHODS,
            folds=2,
            include_prophet=False,
            refit_final=False,
        )
    except ForecastInputError as error:
        return None, f"No forecast: {error}."
    out = pl.from_pandas(result.forecast).select(
        pl.col("ds").cast(pl.Date).alias("period"), "yhat", "yhat_lower", "yhat_upper"
    )
    return out, (
        f"Forecast: {result.method}, {FORECAST_LEVEL}% band; backtest MASE {result.mase:.2f} "
        f"against {result.seasonal_naive_mase:.2f} for seasonal naive."
    )


def history_filters(view: View, options: FilterOptions) -> Filters:
    """The selection over all history up to the window end: what a forecast learns from."""
    return replace(view.filters, start=options.first_date, comparison="none")


def section_frames(
    version: str,
    view: View,
    options: FilterOptions,
    *,
    sla_targets: tuple[tuple[str, float], ...] = (),
    focus: tuple[tuple[str, tuple], ...] = (),
    technician: int | None = None,
) -> dict[str, pl.DataFrame | None]:
    """Every frame the view's section shows (what one page render loads).

    The metric queries are independent, so cache misses run side by side on their own cursors
    (DuckDB releases the GIL while it works).
    """
    filters, compared = view.filters, view.filters.compared()
    # Alerts look back from the window end only: other dates share one computation. Each kind
    # is its own call, so the three run side by side.
    lookback = replace(filters, start=filters.end, comparison="none")
    calls: dict[str, tuple] = {"kpis": ("kpis", filters)}
    calls |= {kind: (kind, lookback) for kind in _ALERT_KINDS}
    if compared:
        calls["kpis_compared"] = ("kpis", compared)
    if view.section == "revenue":
        calls["timeseries"] = ("timeseries", filters, view.grain)
        if compared:
            calls["timeseries_compared"] = ("timeseries", compared, view.grain)
        for dimension in BREAKDOWNS:
            calls[f"by_{dimension}"] = ("breakdown", filters, dimension)
        calls["payments"] = ("payments", filters)
        calls["details"] = ("details", filters, focus)
    elif view.section == "operations":
        calls["stages"] = ("stages", filters)
        calls["bench"] = ("bench", filters)
        calls["sla"] = ("sla", filters, dict(sla_targets) or None)
        calls["backlog"] = ("backlog", filters)
        calls["bookings"] = ("bookings", filters)
    elif view.section == "customers":
        calls["customer_value"] = ("customer_value", filters)
    elif view.section == "technicians":
        calls["leaderboard"] = ("leaderboard", filters)
        if technician is not None:
            calls["history"] = ("history", filters, technician, view.grain)
            calls["details"] = ("details", filters, (("technician", (technician,)),))
    frames: dict[str, pl.DataFrame | None] = {"kpis_compared": None, "timeseries_compared": None}
    frames |= _load_all(version, calls)
    if frames["timeseries_compared"] is not None and compared:
        offset = filters.start - compared.start
        frames["timeseries_compared"] = frames["timeseries_compared"].with_columns(
            pl.col("period").alias("comparison_period"),
            (pl.col("period") + offset).alias("period"),
        )
    frames["alerts"] = pl.concat([frames.pop(kind) for kind in _ALERT_KINDS])
    if "customer_value" in frames:
        value = frames.pop("customer_value")
        frames["value_groups"] = m.value_by_group(value)
        frames["value_bands"] = m.value_distribution(value)
    return frames


def _load_all(version: str, calls: dict[str, tuple]) -> dict[str, pl.DataFrame]:
    if len(calls) == 1:
        return {key: metric(version, *call) for key, call in calls.items()}
    context = get_script_run_ctx()

    def load(call: tuple) -> pl.DataFrame:
        if context is not None:
            add_script_run_ctx(threading.current_thread(), context)
        return metric(version, *call)

    with ThreadPoolExecutor(max_workers=LOAD_THREADS) as pool:
        futures = {key: pool.submit(load, call) for key, call in calls.items()}
        return {key: future.result() for key, future in futures.items()}


# --------------------------------------------------------------------------------- formatting


def format_value(name: str, value: float | None) -> str:
    """A metric value the way a manager reads it (unit from ``METRICS``)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    unit = METRICS[name].unit if name in METRICS else "count"
    if unit == "eur":
        return f"€{value:,.0f}"
    if unit == "rate":
        return f"{value:.1%}"
    if unit == "hours":
        return f"{value:,.1f} h"
    if unit == "score":
        return f"{value:.2f} / 5"
    if unit == "ratio":
        return f"{value:.2f}×"
    if unit == "per_day":
        return f"{value:,.1f}"
    return f"{value:,.0f}"


def format_delta(name: str, current: float | None, previous: float | None) -> str | None:
    """The change against the comparison: points for rates, a relative change otherwise."""
    if (
        current is None
        or previous is None
        or any(isinstance(v, float) and math.isnan(v) for v in (current, previous))
    ):
        return None
    if METRICS[name].unit == "rate":
        return f"{(current - previous) * 100:+.1f} pp"
    if not previous:
        return None
    return f"{(current - previous) / abs(previous):+.1%}"


def describe_selection(view: View, options: FilterOptions) -> str:
    """The active filters in one line, e.g. 'stores Berlin; repair types board_repair'."""
    filters = view.filters
    parts = []
    if filters.stores:
        parts.append("stores " + ", ".join(options.stores.get(s, str(s)) for s in filters.stores))
    for label, values in (
        ("device categories", filters.device_categories),
        ("brands", filters.brands),
        ("repair types", filters.repair_types),
    ):
        if values:
            parts.append(f"{label} {', '.join(values)}")
    if filters.technicians:
        names = [options.technicians.get(t, str(t)) for t in filters.technicians]
        parts.append("technicians " + ", ".join(names))
    return "; ".join(parts) or "all stores, devices, repair types and technicians"


def empty_explanation(view: View, options: FilterOptions) -> str:
    """Why nothing is shown and what to change."""
    filters = view.filters
    window = f"{filters.start:%d %b %Y} – {filters.end:%d %b %Y}"
    coverage = f"{options.first_date:%d %b %Y} – {options.last_date:%d %b %Y}"
    if filters.end < options.first_date or filters.start > options.last_date:
        return (
            f"Nothing to show for {window}: the warehouse holds repairs from {coverage}. "
            "Pick dates in that range."
        )
    if filters.has_dimension_filters:
        return (
            f"No repair matches {describe_selection(view, options)} in {window}. "
            "Clear a filter or widen the dates."
        )
    return f"No repairs were received or collected in {window}. Widen the dates."


# ---------------------------------------------------------------------------------- rendering


def _column_config(frame: pl.DataFrame) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for column in frame.columns:
        if column.endswith("_eur"):
            config[column] = st.column_config.NumberColumn(format="euro")
        elif column.endswith(("_rate", "_share")) or column == "share_of_repairs":
            config[column] = st.column_config.NumberColumn(format="percent")
        elif column.endswith(("_hours", "_days")) or column in ("csat", "labour_vs_standard"):
            config[column] = st.column_config.NumberColumn(format="%.2f")
    return config


def to_csv(frame: pl.DataFrame) -> bytes:
    return frame.write_csv().encode()


def to_parquet(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def table(frame: pl.DataFrame, name: str, *, height: int | None = None) -> None:
    """A table with CSV and Parquet downloads (built only when clicked)."""
    st.dataframe(
        frame,
        hide_index=True,
        column_config=_column_config(frame),
        height=height or "auto",
        width="stretch",
    )
    downloads = (
        ("CSV", "csv", "text/csv", to_csv),
        ("Parquet", "parquet", "application/vnd.apache.parquet", to_parquet),
    )
    for column, (label, ext, mime, write) in zip(st.columns([1, 1, 4]), downloads, strict=False):
        column.download_button(
            label,
            data=lambda write=write: write(frame),
            file_name=f"{name}.{ext}",
            mime=mime,
            key=f"bi_{ext}_{name}",
            icon=":material/download:",
            on_click="ignore",
        )


def kpi_cards(frames: dict[str, pl.DataFrame | None], view: View) -> None:
    """The headline KPIs with their change against the comparison period."""
    current = frames["kpis"].row(0, named=True)
    compared = frames["kpis_compared"]
    previous = compared.row(0, named=True) if compared is not None else {}
    label = COMPARISON_LABELS[view.filters.comparison].lower()
    # Two rows: seven cards side by side truncate their values on a laptop screen.
    columns = [*st.columns(4), *st.columns(4)][: len(m.KPI_NAMES)]
    for column, name in zip(columns, m.KPI_NAMES, strict=True):
        definition = METRICS[name]
        column.metric(
            definition.label,
            format_value(name, current[name]),
            delta=format_delta(name, current[name], previous.get(name)),
            delta_color="inverse" if definition.lower_is_better else "normal",
            help=f"{definition.formula}; over {definition.grain}. Delta against the {label}.",
            border=True,
        )


def alerts(frame: pl.DataFrame) -> None:
    for row in frame.iter_rows(named=True):
        st.warning(f"**{row['kind']}** — {row['message']}", icon=":material/warning:")


def _chart(chart: Any, key: str) -> Any:
    return st.altair_chart(chart, on_select="rerun", key=key, width="stretch")


def revenue_section(version: str, view: View, options: FilterOptions) -> None:
    filters = view.filters
    choice = st.radio(
        "Metric",
        TIME_METRICS,
        format_func=lambda name: METRICS[name].label,
        horizontal=True,
        key="bi_time_metric",
    )
    frames = section_frames(version, view, options)
    series = frames["timeseries"]
    predicted, note = forecast(version, history_filters(view, options), choice, view.grain)
    st.subheader(f"{METRICS[choice].label} per {view.grain}")
    period_state = _chart(
        charts.timeseries_chart(series, choice, frames["timeseries_compared"], predicted),
        "bi_pick_period",
    )
    caption = f"{METRICS[choice].formula}; over {METRICS[choice].grain}."
    if frames["timeseries_compared"] is not None:
        caption += f" Dashed: the {COMPARISON_LABELS[filters.comparison].lower()}."
    partial = series.filter(pl.col("days_in_window") < series["days_in_window"].max())
    if view.grain != "day" and partial.height:
        caption += f" The first or last {view.grain} is only partly in the window."
    st.caption(f"{caption} {note} Click a point to list that {view.grain}'s repairs below.")

    st.subheader("Breakdowns")
    st.caption("Revenue of repairs collected in the window. Click bars to list their repairs.")
    focus: list[tuple[str, tuple]] = []
    left, right = st.columns(2)
    for index, (dimension, label) in enumerate(BREAKDOWNS.items()):
        frame = frames[f"by_{dimension}"]
        with left if index % 2 == 0 else right:
            st.markdown(f"**{label}**")
            state = _chart(
                charts.bar_chart(
                    frame.head(15),
                    "revenue_eur",
                    tooltip_fields=("repairs_collected", "average_ticket_eur", "gross_margin_rate"),
                ),
                f"bi_pick_{dimension}",
            )
            if keys := charts.picked(state, "key"):
                focus.append((dimension, keys))
    with left if len(BREAKDOWNS) % 2 == 0 else right:
        st.markdown("**Payment method**")
        payments = frames["payments"]
        st.altair_chart(
            charts.bar_chart(
                payments.with_columns(
                    pl.col("payment_method").alias("label"), pl.col("payment_method").alias("key")
                ),
                "paid_eur",
                tooltip_fields=("paid_share", "refunded_eur"),
            ),
            width="stretch",
        )
    if periods := charts.picked(period_state, "period"):
        focus.append((f"period_{view.grain}", tuple(_as_date(p) for p in periods)))
    details = metric(version, "details", filters, tuple(focus))
    heading = "Repairs collected in the window"
    if focus:
        heading += " — " + "; ".join(f"{name}: {len(values)} picked" for name, values in focus)
    st.subheader(heading)
    st.caption("Newest first, at most 1,000 rows. Click the same bar or point again to clear.")
    if details.is_empty():
        st.info("No collected repair matches what is picked in the charts.")
    table(details, "repairs")
    with st.expander("Breakdown tables"):
        for dimension, label in BREAKDOWNS.items():
            st.markdown(f"**{label}**")
            table(frames[f"by_{dimension}"], f"revenue_by_{dimension}")
        st.markdown("**Payment method**")
        table(payments, "payments_by_method")


def _as_date(value: Any) -> dt.date:
    """A clicked temporal value: Vega hands back epoch milliseconds (or an ISO string)."""
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value / 1000, dt.UTC).date()
    return pd.Timestamp(value).date()


def sla_editor(view: View) -> tuple[tuple[str, float], ...]:
    """Per repair type SLA targets (hours from intake to ready), editable in place and kept in
    the link (``sla=repair_type:hours`` for each target that differs from the default)."""
    state = st.session_state
    # The editor keeps its edits against the table it first got, so that table stays the one
    # the session's link opened with.
    start = state.setdefault("bi_sla_start", {**m.DEFAULT_SLA_HOURS, **dict(view.sla_targets)})
    rows = pl.DataFrame(
        {"repair_type": list(start), "target_hours": [float(h) for h in start.values()]}
    )
    with st.expander("SLA targets (hours from intake to ready)"):
        edited = st.data_editor(
            rows.to_pandas(),
            key="bi_sla_targets",
            hide_index=True,
            disabled=["repair_type"],
            column_config={"target_hours": st.column_config.NumberColumn(min_value=0.5, step=1.0)},
        )
        st.caption(f"Other repair types: {m.DEFAULT_SLA_FALLBACK_HOURS:.0f} h.")
    targets = tuple(
        (str(row.repair_type), float(row.target_hours))
        for row in edited.itertuples()
        if row.target_hours and row.target_hours > 0
    )
    overrides = sla_overrides(targets)
    if overrides != state.get("bi_sla_link", ()):
        state["bi_sla_link"] = overrides
        if overrides:
            st.query_params["sla"] = sla_query(overrides)
        elif "sla" in st.query_params:
            del st.query_params["sla"]
    # Unchanged targets share the cache entry of the defaults.
    return () if dict(targets) == m.DEFAULT_SLA_HOURS else targets


def operations_section(version: str, view: View, options: FilterOptions) -> None:
    targets = sla_editor(view)
    frames = section_frames(version, view, options, sla_targets=targets)
    kpis = frames["kpis"].row(0, named=True)
    sla = frames["sla"]
    breaches = int(sla["breaches"].sum()) if sla.height else 0
    ready = int(sla["repairs"].sum()) if sla.height else 0
    funnel_total = frames["bookings"].filter(pl.col("booking_channel") == "all channels")
    funnel = funnel_total.row(0, named=True) if funnel_total.height else {}
    compared = frames["kpis_compared"]
    previous = compared.row(0, named=True) if compared is not None else {}
    cards = [
        ("sla_breach_rate", breaches / ready if ready else None),
        ("rework_rate", kpis["rework_rate"]),
        ("awaiting_parts_share", kpis["awaiting_parts_share"]),
        ("booking_conversion_rate", funnel.get("booking_conversion_rate")),
        ("no_show_rate", funnel.get("no_show_rate")),
        ("booking_cancellation_rate", funnel.get("booking_cancellation_rate")),
    ]
    for column, (name, value) in zip(st.columns(len(cards)), cards, strict=True):
        column.metric(
            METRICS[name].label,
            format_value(name, value),
            delta=format_delta(name, value, previous.get(name)),
            delta_color="inverse" if METRICS[name].lower_is_better else "normal",
            help=f"{METRICS[name].formula}; over {METRICS[name].grain}.",
            border=True,
        )

    # Without a selection the quantiles come from binned durations (warehouse/README.md).
    approximate = "" if view.filters.has_dimension_filters else f" {m.QUANTILE_NOTE}"
    left, right = st.columns(2)
    with left:
        st.subheader("Turnaround per stage")
        st.caption(
            "Repairs collected in the window; each stage over the repairs that passed through it."
            + approximate
        )
        stages = frames["stages"].filter(pl.col("repairs_in_stage") > 0)
        if stages.is_empty():
            st.info("No repair was collected in the window, so no stage can be timed.")
        else:
            st.altair_chart(charts.quantile_chart(stages, "stage_label", "stage"), width="stretch")
    with right:
        st.subheader("In repair → ready, by repair type")
        st.caption("Bench plus quality check, repairs ready in the window." + approximate)
        bench = frames["bench"]
        if bench.is_empty():
            st.info("No repair became ready in the window.")
        else:
            st.altair_chart(
                charts.quantile_chart(bench, "repair_type", "repair type"), width="stretch"
            )
    with st.expander("Stage and bench-time tables"):
        table(frames["stages"], "turnaround_stages")
        table(bench, "bench_time_by_repair_type")

    st.subheader("SLA breaches by repair type")
    if sla.is_empty():
        st.info("No repair became ready in the window, so there is nothing to hold to a target.")
    else:
        st.altair_chart(
            charts.bar_chart(
                sla.with_columns(pl.col("repair_type").alias("label"), key=pl.col("repair_type")),
                "breach_rate",
                tooltip_fields=("repairs", "breaches", "target_hours", "median_hours"),
                title="SLA breach rate",
            ),
            width="stretch",
        )
        table(sla, "sla_breaches")

    st.subheader(f"Open backlog at the end of {view.filters.end:%d %b %Y}")
    backlog = frames["backlog"]
    if backlog.is_empty():
        st.info(f"No selected repair was open at the end of {view.filters.end:%d %b %Y}.")
    else:
        order = [label for label, _ in m.AGE_BUCKETS]
        state = _chart(charts.backlog_chart(backlog, order), "bi_pick_backlog")
        if buckets := charts.picked(state, "age_bucket"):
            backlog = backlog.filter(pl.col("age_bucket").is_in(list(buckets)))
            st.caption(f"Showing {', '.join(buckets)}; click the bar again to show all.")
        else:
            st.caption("Oldest first. Click a bar to list only that age.")
        table(backlog, "open_backlog", height=300)

    st.subheader("Bookings")
    st.caption(
        "Bookings whose slot is in the window; rates over bookings no longer pending. "
        "Bookings have no repair type, so that filter does not apply here."
    )
    if not funnel.get("bookings"):
        st.info("No booking had its slot in the window for this selection.")
    else:
        st.altair_chart(charts.funnel_chart(frames["bookings"]), width="stretch")
        table(frames["bookings"], "booking_funnel")


def customers_section(version: str, view: View, options: FilterOptions) -> None:
    frames = section_frames(version, view, options)
    groups = frames["value_groups"]
    if groups.is_empty():
        st.info("No customer had a selected repair collected in the window.")
        return
    overall = groups.filter(
        (pl.col("acquisition_channel") == "all") & (pl.col("segment") == "all")
    ).row(0, named=True)
    cards = st.columns(4)
    cards[0].metric("Customers served", f"{overall['customers']:,}", border=True)
    for column, (label, key) in zip(
        cards[1:],
        [
            ("Mean value", "mean_value_eur"),
            ("Median value", "median_value_eur"),
            ("p90 value", "p90_value_eur"),
        ],
        strict=True,
    ):
        column.metric(
            label,
            format_value("historical_value_eur", overall[key]),
            help=METRICS["historical_value_eur"].formula,
            border=True,
        )
    st.caption(
        "Historical value per person (duplicate registrations merged): revenue of their selected "
        "repairs collected up to the window end, for people served in the window. Segments: "
        + "; ".join(f"{name} = {meaning}" for name, meaning in m.customers.SEGMENTS.items())
        + "."
    )
    left, right = st.columns(2)
    with left:
        st.subheader("Value distribution")
        st.altair_chart(charts.histogram_chart(frames["value_bands"]), width="stretch")
    with right:
        st.subheader("By acquisition channel and segment")
        detail = groups.filter(
            (pl.col("acquisition_channel") != "all") & (pl.col("segment") != "all")
        )
        st.altair_chart(charts.grouped_value_chart(detail), width="stretch")
    table(groups, "customer_value_by_channel_segment")
    table(frames["value_bands"], "customer_value_distribution")


def technicians_section(version: str, view: View, options: FilterOptions) -> None:
    board = section_frames(version, view, options)["leaderboard"]
    if board.is_empty():
        st.info("No selected technician completed a repair in the window.")
        return
    st.subheader("Leaderboard")
    st.caption(
        "Credited to the technician who did the work; per day they worked (recorded a status "
        "change); labour against the fleet-wide standard for each repair type × device category "
        "(below 1× is faster); rework = share of their repairs redone later. Click a bar to "
        "drill in."
    )
    state = _chart(
        charts.bar_chart(
            board.with_columns(
                (pl.col("technician") + " · " + pl.col("store").fill_null("")).alias("label"),
                pl.col("technician_id").alias("key"),
            ),
            "revenue_per_day_eur",
            tooltip_fields=("repairs_per_day", "labour_vs_standard", "rework_rate", "csat"),
            title="revenue per day worked",
        ),
        "bi_pick_technician",
    )
    table(board, "technician_leaderboard")
    clicked = charts.picked(state, "key")
    names = dict(zip(board["technician_id"], board["technician"], strict=True))
    chosen = st.selectbox(
        "Drill into technician",
        [None, *names],
        format_func=lambda t: "—" if t is None else names[t],
        key="bi_drill_technician",
    )
    technician = int(clicked[0]) if clicked else chosen
    if technician is None:
        return
    frames = section_frames(version, view, options, technician=technician)
    row = board.filter(pl.col("technician_id") == technician).row(0, named=True)
    st.subheader(f"{row['technician']} — {row['store']} ({row['skill_level']})")
    cards = [
        ("repairs_per_day", row["repairs_per_day"]),
        ("labour_vs_standard", row["labour_vs_standard"]),
        ("rework_rate", row["rework_rate"]),
        ("csat", row["csat"]),
    ]
    for column, (name, value) in zip(st.columns(len(cards)), cards, strict=True):
        column.metric(METRICS[name].label, format_value(name, value), border=True)
    history = frames["history"]
    left, right = st.columns(2)
    with left:
        st.altair_chart(charts.history_chart(history, "repairs_completed"), width="stretch")
    with right:
        st.altair_chart(charts.history_chart(history, "labour_vs_standard"), width="stretch")
    table(history, f"technician_{technician}_history")
    table(frames["details"], f"technician_{technician}_repairs")


SECTION_RENDERERS = {
    "revenue": revenue_section,
    "operations": operations_section,
    "customers": customers_section,
    "technicians": technicians_section,
}


def render(version: str, view: View, options: FilterOptions) -> None:
    """The dashboard below the filters: KPI cards, alerts, then the chosen section."""
    filters = view.filters
    compared = filters.compared()
    window = f"{filters.start:%d %b %Y} – {filters.end:%d %b %Y}"
    if compared:
        window += f", against {compared.start:%d %b %Y} – {compared.end:%d %b %Y}"
    st.caption(f"{window} · {describe_selection(view, options)}")
    # One parallel batch for the cards and the section's default frames; the section's own
    # calls below then hit the cache.
    frames = section_frames(version, view, options)
    kpis = frames["kpis"].row(0, named=True)
    if not kpis["repairs"] and not kpis["repairs_collected"]:
        st.info(empty_explanation(view, options))
        return
    kpi_cards(frames, view)
    alerts(frames["alerts"])
    SECTION_RENDERERS[view.section](version, view, options)
