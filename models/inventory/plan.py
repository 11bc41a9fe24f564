"""The reorder plan per store and part, the purchase-order list, alerts and dead/slow stock.

Consumption forecast: the part's mean daily use over the last ``history_days`` at that store,
scaled by the store's demand forecast (mean forecast repairs per day over the forecast horizon
against the mean of its last ``history_days``, kept within [0.5, 2]); 1 when no forecast is in
production. The formulas are those of :mod:`models.inventory.policy`.

Stock classes: ``dead`` — units on hand and none used in ``dead_days``; ``slow`` — units on
hand that last more than ``slow_cover_days`` at the forecast rate; ``active`` — the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd

from models.inventory import policy

MIN_FACTOR, MAX_FACTOR = 0.5, 2.0
PURCHASE_ORDER_COLUMNS = [
    "supplier", "store_id", "sku", "part_name", "quantity", "unit_cost_eur", "line_value_eur",
    "lead_time_days", "on_hand", "on_order", "reorder_point",
]  # fmt: skip


@dataclass(frozen=True)
class PolicySettings:
    service_level: float = 0.95
    order_cost_eur: float = 5.0  # per order line on the weekly supplier order: handling, freight
    holding_rate: float = 0.25  # per year, of the unit cost
    history_days: int = 90
    method: Literal["eoq", "periodic"] = "eoq"
    review_days: int = 7
    dead_days: int = 180
    slow_cover_days: float = 180.0
    shortage_cost_eur: float = 20.0  # per unit a repair waits for
    cost_capped: bool = True  # cap each part's service level where stock stops paying for itself

    def part_service_levels(self, batch, annual_demand, unit_cost) -> np.ndarray | float:
        """The service level each part is planned for (see ``policy.cost_capped_service_level``)."""
        if not self.cost_capped:
            return self.service_level
        return policy.cost_capped_service_level(
            self.service_level,
            batch,
            annual_demand,
            unit_cost,
            self.holding_rate,
            self.shortage_cost_eur,
        )

    def __post_init__(self) -> None:
        policy.service_z(self.service_level)  # validates the level
        if self.method not in ("eoq", "periodic"):
            raise ValueError(f"the ordering method must be eoq or periodic, got {self.method!r}")
        if self.history_days < 7 or self.review_days < 1:
            raise ValueError("history needs at least 7 days and the review at least 1 day")


def demand_rates(usage: pd.DataFrame, as_of: date, history_days: int) -> pd.DataFrame:
    """``store_id, part_id, rate, sd, used_units, last_used_date`` per pair that was ever used:
    mean and standard deviation of daily use over the ``history_days`` ending ``as_of`` (days
    without use count as zero)."""
    used = usage.assign(used_date=pd.to_datetime(usage["used_date"]))
    start = pd.Timestamp(as_of) - pd.Timedelta(days=history_days - 1)
    recent = used[(used["used_date"] >= start) & (used["used_date"] <= pd.Timestamp(as_of))]
    recent = recent.assign(used_units=recent["quantity"], squares=recent["quantity"] ** 2.0)
    sums = recent.groupby(["store_id", "part_id"])[["used_units", "squares"]].sum()
    fitted = used[used["quantity"] > 0]
    last = fitted.groupby(["store_id", "part_id"])["used_date"].max().rename("last_used_date")
    frame = sums.join(last, how="outer").fillna({"used_units": 0, "squares": 0.0})
    return rates_from_sums(frame.reset_index(), history_days)


def rates_from_sums(sums: pd.DataFrame, history_days: int) -> pd.DataFrame:
    """:func:`demand_rates` from ``store_id, part_id, used_units, squares, last_used_date``:
    units and squared daily units over the window, and the last day with use."""
    frame = sums.copy()
    frame["rate"] = frame["used_units"] / history_days
    variance = frame["squares"] / history_days - frame["rate"] ** 2
    frame["sd"] = np.sqrt(np.maximum(variance, 0))
    return frame[["store_id", "part_id", "rate", "sd", "used_units", "last_used_date"]]


def store_demand_factors(
    history: pd.DataFrame, forecasts: pd.DataFrame, history_days: int
) -> pd.Series:
    """Forecast over recent demand per store (index: store id as int), from the daily
    ``repairs/store/<id>/D`` series of a forecast set."""
    factors = {}
    for series_id, past in history.groupby("series_id"):
        parts = str(series_id).split("/")
        if parts[0] != "repairs" or parts[1] != "store" or parts[3] != "D":
            continue
        ahead = forecasts.loc[forecasts["series_id"] == series_id, "yhat"]
        recent = past.sort_values("ds")["y"].tail(history_days).mean()
        if len(ahead) and recent > 0:
            factors[int(parts[2])] = float(np.clip(ahead.mean() / recent, MIN_FACTOR, MAX_FACTOR))
    return pd.Series(factors, name="forecast_factor", dtype=float)


def reorder_plan(
    positions: pd.DataFrame,
    rates: pd.DataFrame,
    as_of: date,
    settings: PolicySettings | None = None,
    factors: pd.Series | None = None,
) -> pd.DataFrame:
    """One row per stocked store × part (``positions`` from :func:`data.stock_positions`)."""
    settings = settings or PolicySettings()
    plan = positions.merge(rates, on=["store_id", "part_id"], how="left")
    plan = plan.fillna({"rate": 0.0, "sd": 0.0, "used_units": 0})
    factor = (factors if factors is not None else pd.Series(dtype=float)).rename("forecast_factor")
    plan = plan.merge(factor, left_on="store_id", right_index=True, how="left")
    plan["forecast_factor"] = plan["forecast_factor"].fillna(1.0)
    rate = plan["rate"] * plan["forecast_factor"]
    sd = policy.demand_sd(rate, plan["sd"] * plan["forecast_factor"])
    lead = plan["lead_time_days"].clip(lower=0).to_numpy()
    plan["daily_demand"] = rate
    plan["lead_time_demand"] = policy.lead_time_demand(rate, lead)
    eoq = policy.economic_order_quantity(
        rate * policy.DAYS_PER_YEAR,
        settings.order_cost_eur,
        settings.holding_rate,
        plan["unit_cost_eur"],
    )
    level = settings.part_service_levels(eoq, rate * policy.DAYS_PER_YEAR, plan["unit_cost_eur"])
    plan["service_level"] = np.broadcast_to(level, len(plan))
    plan["safety_stock"] = policy.safety_stock(rate, sd, lead, level)
    reorder_at, batch, cold = policy.with_cold_start(
        rate,
        policy.reorder_point(rate, sd, lead, level),
        eoq,
        plan["shop_min"],
        plan["shop_max"],
    )
    plan["reorder_point"], plan["order_quantity"], plan["is_cold_start"] = reorder_at, batch, cold
    orderable = np.where(cold, 1.0, rate)
    plan["position"] = plan["on_hand"] + plan["on_order"]
    if settings.method == "periodic":
        up_to = policy.order_up_to_level(rate, sd, lead, settings.review_days, level)
        up_to = np.where(cold, plan["shop_max"], up_to)
        plan["order_up_to"] = up_to
        plan["suggested_order"] = np.where(
            orderable > 0, np.maximum(up_to - plan["position"], 0), 0
        )
    else:
        plan["order_up_to"] = plan["reorder_point"] + plan["order_quantity"]
        plan["suggested_order"] = policy.order_quantity_needed(
            plan["position"], plan["reorder_point"], plan["order_quantity"], orderable
        )
    plan["days_of_cover"] = policy.days_of_cover(plan["on_hand"], rate)
    plan["stockout_risk"] = policy.stockout_risk(plan["position"], rate, sd, lead)
    plan["inventory_value_eur"] = plan["on_hand"] * plan["unit_cost_eur"]
    plan["order_value_eur"] = plan["suggested_order"] * plan["unit_cost_eur"]
    plan["is_below_reorder_point"] = (plan["position"] <= plan["reorder_point"]) & (orderable > 0)
    plan["stock_class"] = _stock_class(plan, as_of, settings)
    return plan.drop(columns=["rate", "sd"])


def _stock_class(plan: pd.DataFrame, as_of: date, settings: PolicySettings) -> pd.Series:
    idle_since = pd.Timestamp(as_of) - pd.Timedelta(days=settings.dead_days)
    last = pd.to_datetime(plan["last_used_date"])
    dead = (plan["on_hand"] > 0) & (last.isna() | (last <= idle_since))
    slow = (plan["on_hand"] > 0) & (plan["days_of_cover"] > settings.slow_cover_days)
    return pd.Series(np.where(dead, "dead", np.where(slow, "slow", "active")), index=plan.index)


def purchase_orders(plan: pd.DataFrame) -> pd.DataFrame:
    """The suggested purchase-order lines, grouped by supplier then store (the CSV export)."""
    lines = plan[plan["suggested_order"] > 0]
    lines = lines.assign(quantity=lines["suggested_order"], line_value_eur=lines["order_value_eur"])
    return (
        lines[PURCHASE_ORDER_COLUMNS]
        .sort_values(["supplier", "store_id", "sku"])
        .reset_index(drop=True)
    )


def reorder_alerts(
    plan: pd.DataFrame, days: pd.DataFrame | None = None, *, crossed: pd.Series | None = None
) -> pd.DataFrame:
    """Pairs at or below their reorder point, with the day their stock on hand crossed it
    (``crossed_on``; empty when it has been below all along the stock table's window) and one
    line of text each. The crossings come from ``days`` (the recent daily stock table, see
    :func:`crossing_days`) or ready-made as ``crossed`` (indexed by store and part)."""
    below = plan[plan["is_below_reorder_point"]].copy()
    if below.empty:
        return below.assign(crossed_on=pd.NaT, alert="")
    if crossed is None:
        crossed = crossing_days(days if days is not None else _NO_DAYS, below)
    below = below.merge(
        crossed.rename("crossed_on"), left_on=["store_id", "part_id"], right_index=True,
        how="left",
    )  # fmt: skip
    below["alert"] = _alert_text(below)
    return below.sort_values(["stockout_risk", "store_id"], ascending=[False, True]).reset_index(
        drop=True
    )


_NO_DAYS = pd.DataFrame(
    {"store_id": [], "part_id": [], "inventory_date": pd.to_datetime([]), "quantity_on_hand": []}
)


def crossing_days(days: pd.DataFrame, below: pd.DataFrame) -> pd.Series:
    """``crossed_on`` per (store, part) of ``below``: the last day in ``days`` when stock on
    hand went from above the pair's reorder point to at or under it."""
    history = days.merge(
        below[["store_id", "part_id", "reorder_point"]], on=["store_id", "part_id"]
    ).sort_values(["store_id", "part_id", "inventory_date"], ignore_index=True)
    store, part = history["store_id"].to_numpy(), history["part_id"].to_numpy()
    above = (history["quantity_on_hand"] > history["reorder_point"]).to_numpy(bool)
    same_pair = np.zeros(len(history), bool)
    same_pair[1:] = (store[1:] == store[:-1]) & (part[1:] == part[:-1])
    above_before = np.zeros(len(history), bool)
    above_before[1:] = above[:-1]
    return (
        history[same_pair & above_before & ~above]
        .groupby(["store_id", "part_id"])["inventory_date"]
        .max()
        .rename("crossed_on")
    )


def _alert_text(below: pd.DataFrame) -> pd.Series:
    """One line per alert, built column-wise (tens of thousands of rows on a large chain)."""
    text = (
        "Store " + below["store_id"].astype(str) + ": " + below["part_name"].astype(str)
        + " (" + below["sku"].astype(str) + ") has " + below["on_hand"].astype(str)
        + " on hand and " + below["on_order"].astype(str) + " on order, reorder point "
        + below["reorder_point"].astype(str)
    )  # fmt: skip
    crossed = pd.to_datetime(below["crossed_on"])
    text = text.where(crossed.isna(), text + ", crossed on " + crossed.dt.strftime("%Y-%m-%d"))
    ordering = below["suggested_order"] > 0
    return text.where(~ordering, text + ": order " + below["suggested_order"].astype(str))
