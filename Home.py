"""RepairLens home: how the business did over the last 30 days, and how fresh the data is."""

from __future__ import annotations

import streamlit as st

from ui import formatting
from ui.warehouse import (
    EMPTY_WAREHOUSE,
    current_version,
    freshness,
    home_kpis,
    start_summaries,
)
from warehouse.metrics import METRICS

WINDOW_DAYS = 30

st.set_page_config(page_title="RepairLens", page_icon="🔧", layout="wide")
st.title("RepairLens")
st.caption("Analytics and diagnostics for device repair.")

# Each page serves one role first; the home page sends each role to its pages.
ROLE_PAGES = {
    "Managers": [
        ("pages/1_BI_Dashboard.py", "BI dashboard", ":material/monitoring:",
         "revenue, operations, technicians"),
        ("pages/3_Forecasting.py", "Forecasting", ":material/trending_up:",
         "demand, peaks and capacity"),
        ("pages/4_Inventory.py", "Inventory", ":material/inventory_2:", "what to order today"),
        ("pages/5_Customer_Insights.py", "Customer insights", ":material/groups:",
         "satisfaction, churn, value"),
    ],
    "Technicians": [
        ("pages/2_Diagnostics.py", "Diagnostics", ":material/stethoscope:",
         "from the customer's words to a repair plan"),
    ],
    "Analysts": [
        ("pages/6_Model_Lab.py", "Model Lab", ":material/science:",
         "retrain, compare, promote, roll back"),
    ],
}  # fmt: skip
for column, (role, links) in zip(st.columns(len(ROLE_PAGES)), ROLE_PAGES.items(), strict=True):
    column.markdown(f"**{role}**")
    for page, label, icon, what in links:
        column.page_link(page, label=label, icon=icon)
        column.caption(what)

version = current_version()
if version is None:
    st.info(
        "No data yet: the warehouse has not been built. Load the demo history and build it with\n\n"
        "```\nrepairlens demo --no-serve\n```\n\n"
        "or, on an operational database that already has data, `repairlens etl`."
    )
    st.stop()

as_of, kpis = home_kpis(version, WINDOW_DAYS)
if as_of is None:
    st.info(EMPTY_WAREHOUSE)
else:
    st.subheader(
        f"Last {WINDOW_DAYS} days to {as_of:%d %b %Y}, against the {WINDOW_DAYS} days before"
    )
    for column, kpi in zip(st.columns(len(kpis)), kpis, strict=True):
        column.metric(
            kpi.label,
            formatting.kpi_value(kpi),
            delta=formatting.kpi_delta(kpi),
            delta_color=formatting.delta_color(kpi),
            help=f"{METRICS[kpi.name].formula}; over {METRICS[kpi.name].grain}.",
        )

st.subheader("Data freshness")
run = freshness(version)
left, middle, right = st.columns(3)
left.metric("Last ETL run", formatting.timestamp(run.finished_at))
middle.metric("Age", formatting.age(run.age))
right.metric("Rows in the warehouse", f"{run.fact_rows:,}")
if run.failed_since:
    st.warning(
        f"{run.failed_since} ETL run(s) failed since the last successful one; "
        f"latest error: {run.last_error}"
    )

# Last, so Home's own numbers do not share the cores with it: the BI dashboard's summaries of this
# version, built in the background while the user reads this page.
start_summaries(version)
