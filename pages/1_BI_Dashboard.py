"""BI dashboard for managers: how the business is doing, where time is lost, who is doing well,
and what is coming. Every view is a shareable link (the filters live in the address)."""

from __future__ import annotations

import streamlit as st

from ui import dashboard
from ui.filters import render_filters
from ui.warehouse import current_version

st.set_page_config(page_title="BI dashboard · RepairLens", page_icon="📊", layout="wide")
st.title("BI dashboard")

version = current_version()
if version is None:
    st.info(
        "No data yet: the warehouse has not been built. Run `repairlens demo --no-serve` for a "
        "demo history, or `repairlens etl` on an operational database that has data."
    )
    st.stop()

options = dashboard.filter_options(version)
if options is None:
    st.info("The warehouse is empty: the operational database had no repairs at the last ETL run.")
    st.stop()

view = render_filters(options)
if view.ignored:
    st.warning("Ignored in the link: " + ", ".join(view.ignored) + ".")
dashboard.render(version, view, options)
