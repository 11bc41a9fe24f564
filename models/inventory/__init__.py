"""Parts inventory: consumption forecast, reorder points, order quantities, alerts, backtest.

:mod:`~models.inventory.policy` holds the formulas, :mod:`~models.inventory.plan` applies them
per store and part (:func:`reorder_plan`, :func:`purchase_orders`, :func:`reorder_alerts`),
:mod:`~models.inventory.backtest` replays the history under the policy and under the shops'
fixed min/max rule, and :func:`inventory_report` reads the warehouse and does all of it.
"""

from models.inventory.backtest import BacktestResult, PolicyResult, backtest_policies, demand_matrix
from models.inventory.plan import (
    PolicySettings,
    demand_rates,
    purchase_orders,
    reorder_alerts,
    reorder_plan,
    store_demand_factors,
)
from models.inventory.report import InventoryReport, inventory_backtest, inventory_report

__all__ = [
    "BacktestResult",
    "InventoryReport",
    "PolicyResult",
    "PolicySettings",
    "backtest_policies",
    "demand_matrix",
    "demand_rates",
    "inventory_backtest",
    "inventory_report",
    "purchase_orders",
    "reorder_alerts",
    "reorder_plan",
    "store_demand_factors",
]
