"""Parts inventory for managers: what to order today, what is about to run out, what sits idle,
and how the reorder policy would have done against today's fixed min/max rule."""

from __future__ import annotations

import streamlit as st

from models.errors import ModelInputError
from ui import inventory
from ui.forecasting import production_version
from ui.warehouse import require_warehouse

st.set_page_config(page_title="Inventory · RepairLens", page_icon="📦", layout="wide")
st.title("Parts inventory")

warehouse = require_warehouse()

with st.sidebar:
    st.header("Policy")
    service_level = st.slider("Service level", 0.80, 0.99, 0.95, 0.01, key="inv_service")
    method = st.radio(
        "Order quantity", ["eoq", "periodic"], key="inv_method",
        format_func={"eoq": "EOQ at the reorder point", "periodic": "weekly order-up-to"}.get,
    )  # fmt: skip
    order_cost = st.number_input("Cost per order line (€)", 0.0, 100.0, 5.0, 1.0, key="inv_cost")

forecast_version = production_version()
try:
    result = inventory.report(warehouse, forecast_version, service_level, method, order_cost)
except ModelInputError as error:
    st.info(str(error))
    st.stop()

if forecast_version is None:
    st.caption(
        "Consumption is the recent use of each part; train a forecast (`repairlens train "
        "forecast`) to scale it by each store's expected demand."
    )
else:
    st.caption(
        f"Stock as of {result.as_of:%d %b %Y}; consumption scaled by forecast model "
        f"v{forecast_version}."
    )

plan = result.plan
a, b, c, d = st.columns(4)
a.metric("Stock value", f"€{plan['inventory_value_eur'].sum():,.0f}")
b.metric("Lines to order", f"{len(result.orders):,}")
c.metric("Order value", f"€{result.orders['line_value_eur'].sum():,.0f}")
dead = plan[plan["stock_class"] == "dead"]
d.metric("Dead stock value", f"€{dead['inventory_value_eur'].sum():,.0f}")

st.subheader("Reorder plan")
left, middle, right, far = st.columns(4)
stores = left.multiselect("Stores", sorted(plan["store_id"].unique()), key="inv_stores")
categories = middle.multiselect(
    "Part categories", sorted(plan["part_category"].unique()), key="inv_categories"
)
classes = right.multiselect("Stock class", ["active", "slow", "dead"], key="inv_classes")
only_to_order = far.toggle("Only lines to order", value=True, key="inv_only_order")
chosen = inventory.filtered(plan, stores, categories, classes, only_to_order)
st.dataframe(inventory.shown(chosen), hide_index=True, height=360)
orders = result.orders[result.orders["sku"].isin(chosen["sku"])]
orders = orders[orders["store_id"].isin(chosen["store_id"].unique())]
st.download_button(
    f"Download purchase orders ({len(orders):,} lines, CSV)",
    inventory.csv_bytes(orders),
    file_name=f"purchase-orders-{result.as_of:%Y-%m-%d}.csv",
    mime="text/csv",
    key="inv_download",
)

st.subheader("Alerts: at or below the reorder point")
if result.alerts.empty:
    st.success("No part is at or below its reorder point.")
else:
    st.warning(f"{len(result.alerts):,} part(s) at or below their reorder point.")
    st.dataframe(result.alerts[["alert", "stockout_risk"]].head(200), hide_index=True)

st.subheader("Dead and slow stock")
idle = plan[plan["stock_class"].isin(["dead", "slow"])]
if idle.empty:
    st.write("No dead or slow stock.")
else:
    st.caption("Dead: units on hand, none used in 180 days. Slow: more than 180 days of cover.")
    st.dataframe(inventory.shown(idle), hide_index=True, height=240)

st.subheader("Backtest: this policy against the fixed min/max rule")
replayed = inventory.backtest(warehouse, forecast_version, service_level, method, order_cost)
if replayed is None:
    st.info("The part-use history is too short to replay (it needs about 100 days).")
else:
    st.caption(
        f"Replay of {replayed.days} days ({replayed.first_day:%d %b %Y} – "
        f"{replayed.last_day:%d %b %Y}) over {replayed.pairs:,} store × part pairs; a unit short "
        f"costs €{result.policy.shortage_cost_eur:,.0f}, holding {result.policy.holding_rate:.0%} "
        "a year of the unit cost."
    )
    st.dataframe(inventory.backtest_summary(replayed), hide_index=True)
