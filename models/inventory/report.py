"""Everything the inventory page shows, read from the warehouse and the production forecast."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from core.settings import Settings
from models.errors import ModelInputError
from models.forecasting.store import production_forecasts
from models.inventory.backtest import (
    WARMUP_DAYS,
    BacktestResult,
    backtest_policies,
    demand_matrix,
)
from models.inventory.data import daily_usage, inventory_days, stock_positions
from models.inventory.plan import (
    PolicySettings,
    demand_rates,
    purchase_orders,
    reorder_alerts,
    reorder_plan,
    store_demand_factors,
)
from warehouse.reader import connect_read_only


class InventoryDataError(ModelInputError):
    """The warehouse holds no stock records or no part use; ``str(error)`` says what to do."""


@dataclass(frozen=True)
class InventoryReport:
    as_of: date
    plan: pd.DataFrame
    orders: pd.DataFrame
    alerts: pd.DataFrame
    backtest: BacktestResult | None
    forecast_version: int | None  # the forecast that scaled consumption, None without one
    policy: PolicySettings


def inventory_report(
    settings: Settings, policy: PolicySettings | None = None, *, backtest: bool = True
) -> InventoryReport:
    """The reorder plan, purchase orders, alerts and (optionally) the policy backtest."""
    policy = policy or PolicySettings()
    forecasts = production_forecasts(settings)
    factors = (
        store_demand_factors(forecasts.history, forecasts.forecasts, policy.history_days)
        if forecasts is not None
        else None
    )
    connection = connect_read_only(settings)
    try:
        positions = stock_positions(connection)
        usage = daily_usage(connection)
        if positions.empty or usage.empty:
            raise InventoryDataError(
                "the warehouse has no stock records or no part use yet: load history with "
                "parts, then run `repairlens etl`"
            )
        ((latest,),) = connection.execute(
            "SELECT max(inventory_date) FROM fct_inventory_daily"
        ).fetchall()
        as_of = latest or pd.Timestamp(usage["used_date"].max()).date()
        plan = reorder_plan(
            positions, demand_rates(usage, as_of, policy.history_days), as_of, policy, factors
        )
        days = inventory_days(connection, plan[plan["is_below_reorder_point"]])
    finally:
        connection.close()
    result = None
    if backtest:
        matrix, calendar = demand_matrix(usage, positions)
        if len(calendar) > min(policy.history_days, WARMUP_DAYS) + policy.review_days:
            result = backtest_policies(matrix, calendar, positions, policy)
    return InventoryReport(
        as_of=as_of,
        plan=plan,
        orders=purchase_orders(plan),
        alerts=reorder_alerts(plan, days),
        backtest=result,
        forecast_version=None if forecasts is None else forecasts.version,
        policy=policy,
    )


def inventory_backtest(
    settings: Settings, policy: PolicySettings | None = None
) -> BacktestResult | None:
    """The backtest alone (:mod:`models.inventory.backtest`); None when the part-use history is
    too short to replay."""
    policy = policy or PolicySettings()
    connection = connect_read_only(settings)
    try:
        positions = stock_positions(connection)
        usage = daily_usage(connection)
    finally:
        connection.close()
    matrix, calendar = demand_matrix(usage, positions)
    if len(calendar) <= min(policy.history_days, WARMUP_DAYS) + policy.review_days:
        return None
    return backtest_policies(matrix, calendar, positions, policy)
