"""Loaders and table helpers for the Inventory page."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from core.settings import get_settings
from models.inventory import (
    BacktestResult,
    InventoryReport,
    PolicySettings,
    inventory_backtest,
    inventory_report,
)
from models.inventory.report import stored_backtest

PLAN_COLUMNS = {
    "store_id": "store",
    "sku": "SKU",
    "part_name": "part",
    "part_category": "category",
    "supplier": "supplier",
    "on_hand": "on hand",
    "on_order": "on order",
    "daily_demand": "use / day",
    "lead_time_days": "lead time (d)",
    "lead_time_demand": "lead-time demand",
    "safety_stock": "safety stock",
    "reorder_point": "reorder point",
    "order_quantity": "order qty",
    "suggested_order": "order now",
    "days_of_cover": "days of cover",
    "stockout_risk": "stock-out risk",
    "inventory_value_eur": "stock value €",
    "stock_class": "class",
}


def policy_settings(service_level: float, method: str, order_cost_eur: float) -> PolicySettings:
    return PolicySettings(
        service_level=service_level,
        method=method,  # type: ignore[arg-type]
        order_cost_eur=order_cost_eur,
    )


@st.cache_data(ttl=600, max_entries=8, show_spinner="Computing the reorder plan…")
def report(
    warehouse: str,
    forecast_version: int | None,
    service_level: float,
    method: str,
    order_cost_eur: float,
) -> InventoryReport:
    """The reorder plan, orders and alerts for one warehouse version, forecast version and
    policy (the versions are cache keys: a new ETL run or a promotion recomputes it)."""
    settings = policy_settings(service_level, method, order_cost_eur)
    return inventory_report(get_settings(), settings, backtest=False)


@st.cache_data(ttl=3600, max_entries=8, show_spinner="Replaying the part-use history…")
def backtest(
    warehouse: str,
    forecast_version: int | None,
    service_level: float,
    method: str,
    order_cost_eur: float,
) -> BacktestResult | None:
    """The policy backtest for one warehouse version and policy: the one kept with the
    production forecast when it ran this policy on this warehouse, else replayed here (slower:
    cached for an hour)."""
    settings, policy = get_settings(), policy_settings(service_level, method, order_cost_eur)
    if forecast_version is not None:
        kept = stored_backtest(settings, forecast_version, warehouse, policy)
        if kept is not None:
            return kept
    return inventory_backtest(settings, policy)


def filtered(
    plan: pd.DataFrame,
    stores: Sequence[int] = (),
    categories: Sequence[str] = (),
    classes: Sequence[str] = (),
    only_to_order: bool = False,
) -> pd.DataFrame:
    """Plan rows matching the filters (an empty selection keeps everything)."""
    keep = pd.Series(True, index=plan.index)
    if stores:
        keep &= plan["store_id"].isin(stores)
    if categories:
        keep &= plan["part_category"].isin(categories)
    if classes:
        keep &= plan["stock_class"].isin(classes)
    if only_to_order:
        keep &= plan["suggested_order"] > 0
    return plan[keep]


def shown(plan: pd.DataFrame) -> pd.DataFrame:
    """The plan's columns as the table shows them, riskiest first."""
    ordered = plan.sort_values(["stockout_risk", "order_value_eur"], ascending=False)
    return ordered[list(PLAN_COLUMNS)].rename(columns=PLAN_COLUMNS)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def backtest_summary(result: BacktestResult) -> pd.DataFrame:
    """One row per figure, one column per rule."""
    table = result.table().set_index("rule").T
    table.index.name = "figure"
    return table.reset_index()
