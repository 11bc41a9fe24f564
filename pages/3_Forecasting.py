"""Forecasting for managers and analysts: how much work is coming, of what, where and when, and
whether the team can handle it."""

from __future__ import annotations

import streamlit as st

from ui import forecasting
from ui.warehouse import require_warehouse

SHOWN_ADVICE = 8

st.set_page_config(page_title="Forecasting · RepairLens", page_icon="📈", layout="wide")
st.title("Forecasting")

warehouse = require_warehouse()
version = forecasting.production_version()
forecasts = None if version is None else forecasting.forecast_set(version)
if forecasts is None:
    st.info(
        "No forecast has been trained yet. Train one (it backtests every demand series and "
        "stores its forecasts beside the warehouse) with\n\n```\nrepairlens train forecast\n```"
    )
    st.stop()

table = forecasting.series_table(forecasts)
st.caption(
    f"Forecast model v{version}: {len(table)} series, each with the method that did best in its "
    "own rolling-origin backtest."
)

left, middle, right, far = st.columns(4)
measure = left.selectbox(
    "Measure", sorted(table["measure"].unique()), format_func=forecasting.measure_label,
    key="fc_measure",
)  # fmt: skip
dimension = middle.selectbox(
    "By",
    forecasting.dimensions(table, measure),
    format_func=forecasting.dimension_label,
    key="fc_dimension",
)
members = sorted(
    table.loc[(table["measure"] == measure) & (table["dimension"] == dimension), "member"].unique()
)
member = right.selectbox("Series", members, key="fc_member")
freq = far.radio(
    "Cadence", ["D", "W"], format_func={"D": "daily", "W": "weekly"}.get, horizontal=True,
    key="fc_freq",
)  # fmt: skip
chosen = forecasting.series_id(measure, dimension, member, freq)
row = table[table["series_id"] == chosen]
if row.empty:
    st.warning("This series was not forecast: it failed its backtest (see the registry entry).")
    st.stop()
scores = row.iloc[0]

history, forecast = forecasts.of(chosen)
st.subheader(scores["label"])
st.altair_chart(forecasting.forecast_chart(history, forecast, freq), width="stretch")
a, b, c = st.columns(3)
a.markdown(f"**Method** (backtest winner)\n\n`{scores['method']}`")
b.metric(
    "Backtest MASE",
    f"{scores['mase']:.2f}",
    delta=f"{scores['mase'] - scores['seasonal_naive_mase']:+.2f} vs seasonal naive",
    delta_color="inverse",
)
c.metric("95 % interval coverage in backtest", f"{scores['coverage']:.0%}")
with st.expander("Forecast table"):
    st.dataframe(forecast[["ds", "yhat", "yhat_lower", "yhat_upper"]], hide_index=True)

st.subheader("Seasonal pattern")
seasonal = forecasting.seasonal_analysis(version, chosen)
if seasonal.note:
    st.info(f"No seasonal analysis: {seasonal.note}.")
else:
    if seasonal.peaks:
        peaks = "\n".join(f"- {peak}" for peak in seasonal.peaks)
        st.markdown(f"**Peak periods to staff for**\n\n{peaks}")
    else:
        st.write("No period runs 15 % or more above the baseline.")
    st.altair_chart(forecasting.components_chart(seasonal.components), width="stretch")
    if seasonal.year_over_year.empty:
        st.caption("Year over year needs thirteen complete months of history.")
    else:
        st.markdown("**Year over year** (last twelve complete months)")
        st.dataframe(seasonal.year_over_year, hide_index=True)

st.subheader("Capacity: technician hours needed per store and week")
left, right = st.columns(2)
basis = left.radio(
    "Capacity", ["delivered", "scheduled"], horizontal=True, key="fc_capacity_basis",
    format_func={"delivered": "hours the team delivered", "scheduled": "contracted hours"}.get,
)  # fmt: skip
share = right.slider(
    "Share of contracted hours spent at the bench", 0.5, 1.0, 1.0, 0.05, key="fc_bench_share"
)
plan = forecasting.capacity_plan(version, warehouse, share, basis == "delivered")
if plan is None:
    st.info("The forecast has no weekly store series to plan capacity from.")
else:
    st.altair_chart(forecasting.capacity_heatmap(plan.plan), width="stretch")
    rows = plan.plan
    over_contract = (rows["hours_needed"] > rows["scheduled_hours"]).mean()
    if basis == "delivered":
        st.caption(
            f"Capacity = the labour hours each team recorded in a busy recent week (90th "
            f"percentile of the last 26), because teams book more bench time than their "
            f"contracts hold: {over_contract:.0%} of these store-weeks need more than the "
            "contracted hours."
        )
    st.caption(
        "Hours needed = forecast repairs × each store's labour minutes per repair (its mix of "
        "repair types × their mean recorded minutes). Over: the forecast exceeds capacity; at "
        "risk: only its upper bound does; under: less than 60 % of it is needed."
    )
    if plan.advice:
        shown, rest = plan.advice[:SHOWN_ADVICE], plan.advice[SHOWN_ADVICE:]
        st.markdown("**Recommendations**\n\n" + "\n".join(f"- {r.text}" for r in shown))
        if rest:
            with st.expander(f"{len(rest)} more"):
                st.markdown("\n".join(f"- {r.text}" for r in rest))
    else:
        st.write("Every store's schedule fits its forecast demand.")
