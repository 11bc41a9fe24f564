"""BI dashboard for managers: how the business is doing, where time is lost, who is doing well,
and what is coming. Every view is a shareable link (the filters live in the address)."""

from __future__ import annotations

import streamlit as st

from ui import dashboard
from ui.filters import render_filters
from ui.warehouse import EMPTY_WAREHOUSE, require_warehouse

st.set_page_config(page_title="BI dashboard · RepairLens", page_icon="📊", layout="wide")
st.title("BI dashboard")

version = require_warehouse()

options = dashboard.filter_options(version)
if options is None:
    st.info(EMPTY_WAREHOUSE)
    st.stop()

view = render_filters(options)
if view.ignored:
    st.warning("Ignored in the link: " + ", ".join(view.ignored) + ".")
dashboard.render(version, view, options)
