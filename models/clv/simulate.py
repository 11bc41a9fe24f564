"""Draw customers from known BG/NBD and Gamma-Gamma parameters.

For checking that the fits recover what generated the data, and for demo data with a known
answer. Every function takes a ``numpy.random.Generator`` so that a seed fixes the draw.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from models.clv._arrays import ArrayLike, FloatArray, as_float_array
from models.clv.bgnbd import BgNbdParams
from models.clv.errors import ClvInputError
from models.clv.gamma_gamma import GammaGammaParams


def _bgnbd_purchase_times(
    params: BgNbdParams, T: FloatArray, rng: np.random.Generator
) -> list[FloatArray]:
    """Each customer's repeat purchase times in (0, T], first purchase at time 0."""
    n = T.size
    rate = rng.gamma(params.r, 1.0 / params.alpha, size=n)
    dropout = rng.beta(params.a, params.b, size=n)
    clock = np.zeros(n)
    times: list[list[float]] = [[] for _ in range(n)]
    active = np.flatnonzero(rate > 0)
    while active.size:
        clock[active] += rng.exponential(1.0 / rate[active])
        active = active[clock[active] <= T[active]]
        for i in active:
            times[i].append(clock[i])
        # BG/NBD customers may drop out only right after a repeat purchase.
        active = active[rng.random(active.size) >= dropout[active]]
    return [np.asarray(t, dtype=np.float64) for t in times]


def simulate_bgnbd(
    params: BgNbdParams, T: ArrayLike, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    """(frequency, recency) for customers observed for ``T`` time units after their first purchase.

    Each customer draws λ ~ Gamma(r, rate α) and p ~ Beta(a, b), buys as a Poisson process with
    rate λ, and after each repeat purchase drops out with probability p.
    """
    t_cal = as_float_array(T, "T")
    if (t_cal < 0).any():
        raise ClvInputError("T must be ≥ 0")
    times = _bgnbd_purchase_times(params, t_cal, rng)
    frequency = np.array([t.size for t in times], dtype=np.float64)
    recency = np.array([t[-1] if t.size else 0.0 for t in times])
    return frequency, recency


def simulate_gamma_gamma(
    params: GammaGammaParams, frequency: ArrayLike, rng: np.random.Generator
) -> FloatArray:
    """Mean spend over each customer's ``frequency`` transactions (0 where frequency is 0).

    Each customer draws ν ~ Gamma(q, rate v); each transaction is Gamma(p, rate ν), so the mean of
    x of them is Gamma(p x, rate x ν).
    """
    x = as_float_array(frequency, "frequency")
    nu = rng.gamma(params.q, 1.0 / params.v, size=x.size)
    shape = np.where(x > 0, params.p * x, 1.0)
    draws = rng.gamma(shape, 1.0 / (np.maximum(x, 1.0) * nu))
    return np.where(x > 0, draws, 0.0)


def simulate_transactions(
    bgnbd: BgNbdParams,
    gamma_gamma: GammaGammaParams,
    customers: int,
    start: date,
    end: date,
    rng: np.random.Generator,
    *,
    acquired_by: date | None = None,
    days_per_unit: float = 1.0,
) -> pl.DataFrame:
    """A transaction log ``customer_id, date, amount`` from ``start`` to ``end`` inclusive.

    First purchases fall uniformly on the days from ``start`` to ``acquired_by`` (default
    ``end``); repeat purchases follow :func:`simulate_bgnbd` up to ``end``, with ``alpha`` read
    in units of ``days_per_unit`` days, and are floored to whole days, so purchases less than a
    day apart can share a date. Every amount, the first included, is Gamma(p, rate ν) for the
    customer's ν, rounded to cents. ``customer_id`` is ``C00001``, ``C00002``, …
    """
    last_first = end if acquired_by is None else acquired_by
    if customers < 1 or not start <= last_first <= end:
        raise ClvInputError("need at least one customer and start ≤ acquired_by ≤ end")
    first = rng.integers(0, (last_first - start).days + 1, size=customers)
    observed_units = ((end - start).days - first) / days_per_unit
    times = _bgnbd_purchase_times(bgnbd, observed_units.astype(np.float64), rng)
    nu = rng.gamma(gamma_gamma.q, 1.0 / gamma_gamma.v, size=customers)
    ids: list[str] = []
    dates: list[date] = []
    amounts: list[float] = []
    for i in range(customers):
        offsets = np.concatenate([[0.0], times[i]]) * days_per_unit
        spend = rng.gamma(gamma_gamma.p, 1.0 / nu[i], size=offsets.size)
        for offset, amount in zip(offsets, spend, strict=True):
            ids.append(f"C{i + 1:05d}")
            dates.append(start + timedelta(days=int(first[i] + np.floor(offset))))
            amounts.append(round(float(amount), 2))
    return pl.DataFrame(
        {"customer_id": ids, "date": dates, "amount": amounts},
        schema={"customer_id": pl.String, "date": pl.Date, "amount": pl.Float64},
    )
