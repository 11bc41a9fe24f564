"""Replay the part-use history under two ordering rules and count stock-outs and costs.

* ``min/max`` — what shops run today: when on hand + on order falls below the store's reorder
  point (``shop_min``), order up to ``shop_max`` (reorder point + reorder quantity). A part a
  store does not stock (min = max = 0) is ordered when a repair needs it.
* ``policy`` — :mod:`models.inventory.policy`: every ``review_days`` the reorder point and EOQ
  are recomputed from the last ``history_days`` of use (only what was known that day); when on
  hand + on order falls to the reorder point, whole EOQ batches are ordered.

Both replay the same daily demand per store and part from the day after the first
``history_days`` (the first estimate needs them), starting with stock at their own order-up-to
level. Demand that finds no stock waits for the next delivery (a repair in ``awaiting_parts``):
those units count as short, and a day with any short unit is a stock-out day. Orders arrive
after the part's lead time (at least a day). Holding cost is charged daily on the stock on hand
at ``holding_rate`` a year of the unit cost; every order line costs ``order_cost_eur``; every
unit short costs ``shortage_cost_eur`` (a repair waiting: bench time lost, a customer let down).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.inventory import policy
from models.inventory.plan import PolicySettings

WARMUP_DAYS = 90  # the first estimate needs this much history; later ones use up to history_days


@dataclass(frozen=True)
class PolicyResult:
    name: str
    units_demanded: int
    units_short: int
    stockout_days: int
    orders: int
    mean_inventory_value_eur: float
    holding_cost_eur: float
    ordering_cost_eur: float
    shortage_cost_eur: float

    @property
    def fill_rate(self) -> float:
        return 1 - self.units_short / self.units_demanded if self.units_demanded else 1.0

    @property
    def total_cost_eur(self) -> float:
        return self.holding_cost_eur + self.ordering_cost_eur + self.shortage_cost_eur

    def as_dict(self) -> dict[str, float | int | str]:
        return {
            "rule": self.name,
            "units_demanded": self.units_demanded,
            "units_short": self.units_short,
            "fill_rate": round(self.fill_rate, 4),
            "stockout_days": self.stockout_days,
            "orders": self.orders,
            "mean_inventory_value_eur": round(self.mean_inventory_value_eur, 2),
            "holding_cost_eur": round(self.holding_cost_eur, 2),
            "ordering_cost_eur": round(self.ordering_cost_eur, 2),
            "shortage_cost_eur": round(self.shortage_cost_eur, 2),
            "total_cost_eur": round(self.total_cost_eur, 2),
        }


@dataclass(frozen=True)
class BacktestResult:
    days: int
    pairs: int
    first_day: pd.Timestamp | None
    last_day: pd.Timestamp | None
    policy: PolicyResult
    min_max: PolicyResult

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([self.min_max.as_dict(), self.policy.as_dict()])


def demand_matrix(usage: pd.DataFrame, pairs: pd.DataFrame) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """Daily units used, one row per pair of ``pairs`` (``store_id, part_id``, in order) and one
    column per day from the first to the last day of ``usage``."""
    if usage.empty:
        return np.zeros((len(pairs), 0), np.int64), pd.DatetimeIndex([])
    used = usage.assign(used_date=pd.to_datetime(usage["used_date"]))
    days = pd.date_range(used["used_date"].min(), used["used_date"].max(), freq="D")
    index = pd.MultiIndex.from_frame(pairs[["store_id", "part_id"]])
    row = index.get_indexer(pd.MultiIndex.from_frame(used[["store_id", "part_id"]]))
    keep = row >= 0
    column = (used["used_date"] - days[0]).dt.days.to_numpy()
    matrix = np.zeros((len(pairs), len(days)), np.int64)
    np.add.at(matrix, (row[keep], column[keep]), used["quantity"].to_numpy()[keep])
    return matrix, days


def backtest_policies(
    demand: np.ndarray,
    days: pd.DatetimeIndex,
    positions: pd.DataFrame,
    settings: PolicySettings | None = None,
) -> BacktestResult:
    """Replay ``demand`` (pairs × days, rows in ``positions`` order) under both rules."""
    settings = settings or PolicySettings()
    warmup = min(settings.history_days, WARMUP_DAYS)
    lead = np.maximum(positions["lead_time_days"].to_numpy(np.int64), 1)
    cost = positions["unit_cost_eur"].to_numpy(float)
    shop_min = positions["shop_min"].to_numpy(np.int64)
    shop_max = np.maximum(positions["shop_max"].to_numpy(np.int64), shop_min)
    simulated = demand[:, warmup:]
    first = days[warmup] if len(days) > warmup else None
    last = days[-1] if len(days) > warmup else None

    def waiting(position: np.ndarray) -> np.ndarray:
        """Parts the store does not stock are ordered for the repairs waiting for them."""
        return np.maximum(-position, 0)

    def min_max_rule(_t: int, position: np.ndarray) -> np.ndarray:
        return np.where(position < shop_min, np.maximum(shop_max - position, 0), waiting(position))

    cumulative = np.concatenate([np.zeros((len(demand), 1)), np.cumsum(demand, axis=1)], axis=1)
    squares = np.concatenate(
        [np.zeros((len(demand), 1)), np.cumsum(demand.astype(float) ** 2, axis=1)], axis=1
    )
    state: dict[str, np.ndarray] = {}

    def estimate(t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Reorder point, batch and daily rate from the ``history_days`` before day ``t``."""
        end = warmup + t
        span = min(settings.history_days, end)
        start = end - span
        rate = (cumulative[:, end] - cumulative[:, start]) / span
        variance = (squares[:, end] - squares[:, start]) / span - rate**2
        sd = policy.demand_sd(rate, np.sqrt(np.maximum(variance, 0)))
        batch = policy.economic_order_quantity(
            rate * policy.DAYS_PER_YEAR, settings.order_cost_eur, settings.holding_rate, cost
        )
        level = settings.part_service_levels(batch, rate * policy.DAYS_PER_YEAR, cost)
        reorder_at = policy.reorder_point(rate, sd, lead, level)
        reorder_at, batch, cold = policy.with_cold_start(
            rate, reorder_at, batch, shop_min, shop_max
        )
        return reorder_at, batch, np.where(cold, 1.0, rate)

    def policy_rule(t: int, position: np.ndarray) -> np.ndarray:
        if t % settings.review_days == 0:
            state["reorder_at"], state["batch"], state["rate"] = estimate(t)
        return policy.order_quantity_needed(
            position, state["reorder_at"], state["batch"], state["rate"]
        )

    if simulated.shape[1]:
        reorder_at, batch, rate = estimate(0)
        start_policy = np.where(rate > 0, reorder_at + batch, 0)
    else:
        start_policy = np.zeros(len(demand), np.int64)
    return BacktestResult(
        days=simulated.shape[1],
        pairs=len(demand),
        first_day=first,
        last_day=last,
        policy=_replay("policy", simulated, lead, cost, start_policy, policy_rule, settings),
        min_max=_replay("min/max", simulated, lead, cost, shop_max, min_max_rule, settings),
    )


def _replay(name, demand, lead, cost, opening, rule, settings: PolicySettings) -> PolicyResult:
    pairs, horizon = demand.shape
    on_hand = np.asarray(opening, np.int64).copy()  # negative = units owed to waiting repairs
    pipeline = np.zeros((pairs, horizon + int(lead.max(initial=1)) + 1), np.int64)
    on_order = np.zeros(pairs, np.int64)
    rows = np.arange(pairs)
    short = stockout_days = orders = 0
    value_days = 0.0
    for t in range(horizon):
        on_hand += pipeline[:, t]
        on_order -= pipeline[:, t]
        available = np.maximum(on_hand, 0)
        missing = np.maximum(demand[:, t] - available, 0)
        short += int(missing.sum())
        stockout_days += int((missing > 0).sum())
        on_hand -= demand[:, t]
        value_days += float((np.maximum(on_hand, 0) * cost).sum())
        quantity = rule(t, on_hand + on_order)
        ordered = quantity > 0
        orders += int(ordered.sum())
        on_order += quantity
        # One order line per pair a day: the cells are distinct, so plain indexing adds.
        pipeline[rows[ordered], t + lead[ordered]] += quantity[ordered]
    mean_value = value_days / horizon if horizon else 0.0
    return PolicyResult(
        name=name,
        units_demanded=int(demand.sum()),
        units_short=short,
        stockout_days=stockout_days,
        orders=orders,
        mean_inventory_value_eur=mean_value,
        holding_cost_eur=value_days * settings.holding_rate / policy.DAYS_PER_YEAR,
        ordering_cost_eur=orders * settings.order_cost_eur,
        shortage_cost_eur=short * settings.shortage_cost_eur,
    )
