"""Inventory formulas: lead-time demand, safety stock, reorder point, order quantity, risk.

Daily demand of a part at a store is treated as independent from day to day with mean ``rate``
and standard deviation ``sd`` (at least ``sqrt(rate)``, the Poisson spread, because parts are
used in whole units and a short calm history understates the noise). Over a lead time of ``L``
days the demand then has mean ``rate × L`` and standard deviation ``sd × sqrt(L)``, and the
normal approximation gives

* reorder point ``ceil(rate × L + z × sd × sqrt(L))``, with ``z`` the service-level quantile
  (0.95 → 1.645): order when on hand + on order falls to it. For slow parts, whose daily spread
  is the Poisson one, the Poisson quantile of the lead-time demand instead,
* safety stock: the reorder point minus the mean lead-time demand,
* with ``cost_capped`` (the default), each part's service level is capped where more stock
  would cost more to hold than the shortages it avoids (:func:`cost_capped_service_level`),
* EOQ ``sqrt(2 × annual demand × order cost / (holding rate × unit cost))``, at least 1,
* periodic review: every ``R`` days order up to ``ceil(rate × (L + R) + z × sd × sqrt(L + R))``,
* stock-out risk ``P(lead-time demand > on hand + on order)`` (with a continuity correction).

A pair with no use in the estimation window that the shop stocks keeps the shop's min/max
(:func:`with_cold_start`) until it has a history.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import pdtr
from scipy.stats import norm, poisson

DAYS_PER_YEAR = 365


def service_z(service_level: float) -> float:
    """The standard normal quantile of a cycle service level in (0.5, 1)."""
    if not 0.5 <= service_level < 1:
        raise ValueError(f"the service level must be in [0.5, 1), got {service_level}")
    return float(norm.ppf(service_level))


def demand_sd(rate: ArrayLike, sd: ArrayLike) -> NDArray[np.float64]:
    """The daily standard deviation used in the formulas: at least the Poisson ``sqrt(rate)``."""
    return np.maximum(np.asarray(sd, float), np.sqrt(np.maximum(np.asarray(rate, float), 0)))


def lead_time_demand(rate: ArrayLike, lead_time_days: ArrayLike) -> NDArray[np.float64]:
    return np.asarray(rate, float) * np.asarray(lead_time_days, float)


def reorder_point(
    rate: ArrayLike, sd: ArrayLike, lead_time_days: ArrayLike, service_level: ArrayLike
) -> NDArray[np.int64]:
    """The smallest whole stock that covers lead-time demand with probability ``service_level``
    (one level, or one per part): the Poisson quantile when the demand is no more spread than
    Poisson (slow parts, where the normal curve badly overstates the need), else
    ``ceil(mean + z × spread)``; never below 0."""
    mean, spread, level = np.broadcast_arrays(
        lead_time_demand(rate, lead_time_days),
        np.asarray(sd, float) * np.sqrt(np.asarray(lead_time_days, float)),
        np.clip(np.asarray(service_level, float), 1e-9, 1 - 1e-9),
    )
    poisson_like = spread**2 <= mean * (1 + 1e-9)
    point = np.ceil(mean + norm.ppf(level) * spread - 1e-9)
    counted = poisson_like & (mean > 0)
    point = np.where(poisson_like, 0.0, point)
    if counted.any():
        point[counted] = _poisson_quantile(level[counted], mean[counted])
    return np.maximum(point, 0).astype(np.int64)


def _poisson_quantile(level: NDArray[np.float64], mean: NDArray[np.float64]) -> NDArray[np.float64]:
    """``poisson.ppf(level, mean)``, the smallest ``k`` with ``P(N ≤ k) ≥ level``: a
    Cornish-Fisher start then unit steps checked on the exact CDF. scipy's own inverse search
    takes seconds on tens of thousands of parts, which the backtest repeats every review."""
    z = norm.ppf(level)
    k = np.maximum(np.floor(mean + z * np.sqrt(mean) + (z * z - 1) / 6), 0)
    while (down := (k > 0) & (pdtr(k - 1, mean) >= level)).any():
        k -= down
    while (up := pdtr(k, mean) < level).any():
        k += up
    return k


def cost_capped_service_level(
    service_level: float,
    batch: ArrayLike,
    annual_demand: ArrayLike,
    unit_cost: ArrayLike,
    holding_rate: float,
    shortage_cost: float,
) -> NDArray[np.float64]:
    """Per part, the lower of ``service_level`` and the level past which holding more costs
    more than the shortages it avoids: ``1 − holding cost × Q / (shortage cost × D)``
    (Hadley and Whitin's condition for an (s, Q) policy with a cost per unit short). An
    expensive part used twice a year is then not kept on the shelf "just in case"."""
    demand = np.asarray(annual_demand, float)
    holding = holding_rate * np.asarray(unit_cost, float) * np.asarray(batch, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        worthwhile = 1 - holding / (shortage_cost * demand)
    worthwhile = np.where(demand > 0, worthwhile, service_level)
    return np.clip(worthwhile, 0.0, service_level)


def safety_stock(
    rate: ArrayLike, sd: ArrayLike, lead_time_days: ArrayLike, service_level: ArrayLike
) -> NDArray[np.float64]:
    """Stock held beyond the mean lead-time demand: reorder point − mean (may be negative for
    slow parts, whose reorder point rounds down to what covers the service level)."""
    point = reorder_point(rate, sd, lead_time_days, service_level)
    return point - lead_time_demand(rate, lead_time_days)


def economic_order_quantity(
    annual_demand: ArrayLike, order_cost: float, holding_rate: float, unit_cost: ArrayLike
) -> NDArray[np.int64]:
    """Wilson's EOQ in whole units, at least 1 (a part with no cost or no demand orders 1)."""
    holding = holding_rate * np.asarray(unit_cost, float)
    demand = np.asarray(annual_demand, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        quantity = np.sqrt(2 * demand * order_cost / holding)
    quantity = np.where(np.isfinite(quantity), quantity, 1.0)
    return np.maximum(np.round(quantity), 1).astype(np.int64)


def order_up_to_level(
    rate: ArrayLike,
    sd: ArrayLike,
    lead_time_days: ArrayLike,
    review_days: int,
    service_level: ArrayLike,
) -> NDArray[np.int64]:
    """Periodic review: the level to order up to every ``review_days``."""
    protection = np.asarray(lead_time_days, float) + review_days
    return reorder_point(rate, sd, protection, service_level)


def order_quantity_needed(
    position: ArrayLike, reorder_at: ArrayLike, batch: ArrayLike, rate: ArrayLike
) -> NDArray[np.int64]:
    """Whole batches that lift ``position`` above the reorder point once it has fallen to it;
    0 above it, and 0 for a part with no expected demand (nothing to reorder for)."""
    position, reorder_at, batch = (np.asarray(a) for a in (position, reorder_at, batch))
    batches = np.ceil((reorder_at - position + 1) / np.maximum(batch, 1))
    expected = np.asarray(rate, float) > 0
    # With no expected demand only repairs already waiting are ordered for, unit for unit.
    waiting = np.maximum(-position, 0)
    due = (position <= reorder_at) & expected
    return np.where(due, np.maximum(batches, 1) * batch, waiting).astype(np.int64)


def days_of_cover(on_hand: ArrayLike, rate: ArrayLike) -> NDArray[np.float64]:
    """Days the stock on hand lasts at ``rate``; infinite with no demand (0 with no stock)."""
    on_hand, rate = np.asarray(on_hand, float), np.asarray(rate, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        cover = on_hand / rate
    return np.where(on_hand <= 0, 0.0, np.where(rate > 0, cover, np.inf))


def stockout_risk(
    position: ArrayLike, rate: ArrayLike, sd: ArrayLike, lead_time_days: ArrayLike
) -> NDArray[np.float64]:
    """P(demand over the lead time exceeds on hand + on order): Poisson for slow parts as in
    :func:`reorder_point`, else normal with a continuity correction."""
    mean = lead_time_demand(rate, lead_time_days)
    spread = np.asarray(sd, float) * np.sqrt(np.asarray(lead_time_days, float))
    position = np.asarray(position, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (position + 0.5 - mean) / spread
    normal = np.where(spread > 0, norm.sf(z), np.where(position < mean, 1.0, 0.0))
    counted = np.where(position < 0, 1.0, poisson.sf(position, np.maximum(mean, 1e-12)))
    return np.where(spread**2 <= mean * (1 + 1e-9), np.where(mean > 0, counted, 0.0), normal)


def with_cold_start(
    rate: ArrayLike,
    reorder_at: ArrayLike,
    batch: ArrayLike,
    shop_min: ArrayLike,
    shop_max: ArrayLike,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_]]:
    """Reorder point and batch, with the shop's own min/max kept for pairs that have no use
    in the estimation window yet but that the shop stocks (a new device model, a part the
    store just took on): the history cannot price what it has not seen. Also returns which
    pairs were kept that way."""
    rate, shop_min = np.asarray(rate, float), np.asarray(shop_min, np.int64)
    cold = (rate <= 0) & (shop_min > 0)
    # The shop orders when stock falls below its minimum, up to its maximum.
    kept_batch = np.maximum(np.asarray(shop_max, np.int64) - shop_min + 1, 1)
    return (
        np.where(cold, shop_min - 1, np.asarray(reorder_at, np.int64)),
        np.where(cold, kept_batch, np.asarray(batch, np.int64)),
        cold,
    )
