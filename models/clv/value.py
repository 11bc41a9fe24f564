"""Customer value over a horizon from BG/NBD purchases and Gamma-Gamma spend, and the report."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import numpy as np
import polars as pl

from models.clv._arrays import ArrayLike, FloatArray, as_float_array, frequency_recency_t
from models.clv.bgnbd import BgNbdParams, _expected_purchases, _p_alive, fit_bgnbd
from models.clv.errors import ClvInputError
from models.clv.gamma_gamma import (
    GammaGammaParams,
    expected_average_value,
    fit_gamma_gamma,
    frequency_monetary_correlation,
)
from models.clv.rfm import TimeUnit, check_calibration_end, check_time_unit, rfm_summary

# The default horizon: one year, the span a "customer value" figure is usually read over.
DEFAULT_HORIZON: dict[str, int] = {"D": 365, "W": 52}


def customer_lifetime_value(
    bgnbd: BgNbdParams,
    gamma_gamma: GammaGammaParams,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    monetary_value: ArrayLike,
    horizon: float,
    discount_rate: float = 0.0,
) -> FloatArray:
    """Expected (discounted) spend of each customer over the next ``horizon`` time units.

    The horizon is cut into whole time units k = 1, 2, …, ⌈horizon⌉ (the last one possibly
    partial); the BG/NBD purchases expected in unit k are valued at the Gamma-Gamma expected
    spend per purchase and discounted by (1 + ``discount_rate``)^k, ``discount_rate`` being per
    time unit (a weekly 0.0018 is about 10 % a year). With ``discount_rate = 0`` the sum
    telescopes to expected_purchases(horizon) × expected_average_value, which is what
    :func:`clv_report` reports as ``expected_value``. Spend is whatever the amounts measure
    (revenue, or margin if you pass margin).
    """
    if not math.isfinite(horizon) or horizon < 0:
        raise ClvInputError(f"the horizon must be a number ≥ 0, got {horizon!r}")
    _check_discount_rate(discount_rate)
    x, t_x, t_cal = frequency_recency_t(frequency, recency, T)
    average = expected_average_value(gamma_gamma, x, monetary_value)
    if discount_rate == 0:
        return _expected_purchases(bgnbd, np.array([horizon]), x, t_x, t_cal) * average
    value = np.zeros_like(x)
    previous = np.zeros_like(x)
    for k in range(1, math.ceil(horizon) + 1):
        cumulative = _expected_purchases(bgnbd, np.array([min(k, horizon)]), x, t_x, t_cal)
        value += (cumulative - previous) / (1.0 + discount_rate) ** k
        previous = cumulative
    return value * average


def _check_discount_rate(discount_rate: float) -> None:
    if not math.isfinite(discount_rate) or discount_rate < 0:
        raise ClvInputError(f"the discount rate must be a number ≥ 0, got {discount_rate!r}")


def clv_report(
    transactions: pl.DataFrame,
    calibration_end: date | datetime | str,
    time_unit: TimeUnit = "D",
    horizon: int | None = None,
    discount_rate: float = 0.0,
    *,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str = "amount",
) -> tuple[dict[str, Any], pl.DataFrame]:
    """Fit both models on the calibration period and forecast every customer over ``horizon``.

    ``horizon`` is in ``time_unit`` and defaults to one year (365 days or 52 weeks). Returns:

    - a JSON-ready dict: ``bgnbd`` {r, alpha, a, b}, ``gamma_gamma`` {p, q, v}, ``customers``,
      ``repeat_customers``, ``calibration_end``, ``time_unit``, ``horizon``, ``discount_rate``,
      ``log_likelihood`` {bgnbd, gamma_gamma}, ``frequency_monetary_correlation`` (the
      Gamma-Gamma independence check), and the totals ``expected_purchases`` and
      ``expected_value``;
    - one row per customer in the calibration cohort: ``customer_id, frequency, recency, T,
      monetary_value, p_alive, expected_purchases, expected_average_value, expected_value``,
      where ``expected_value`` is :func:`customer_lifetime_value` at ``discount_rate``.
    """
    unit = check_time_unit(time_unit)
    end = check_calibration_end(calibration_end)
    span = DEFAULT_HORIZON[unit] if horizon is None else horizon
    if isinstance(span, bool) or not isinstance(span, int) or span < 1:
        raise ClvInputError(f"the horizon must be a whole number of time units ≥ 1, got {span!r}")
    _check_discount_rate(discount_rate)
    summary = rfm_summary(
        transactions,
        end,
        unit,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
    )
    x = as_float_array(summary["frequency"], "frequency")
    t_x = as_float_array(summary["recency"], "recency")
    t_cal = as_float_array(summary["T"], "T")
    m = as_float_array(summary["monetary_value"], "monetary_value")
    bgnbd = fit_bgnbd(x, t_x, t_cal)
    gamma_gamma = fit_gamma_gamma(x, m)
    purchases = _expected_purchases(bgnbd, np.array([float(span)]), x, t_x, t_cal)
    average = expected_average_value(gamma_gamma, x, m)
    value = (
        purchases * average  # what the discounted sum reduces to, already computed
        if discount_rate == 0
        else customer_lifetime_value(bgnbd, gamma_gamma, x, t_x, t_cal, m, span, discount_rate)
    )
    per_customer = summary.with_columns(
        pl.Series("p_alive", _p_alive(bgnbd, x, t_x, t_cal)),
        pl.Series("expected_purchases", purchases),
        pl.Series("expected_average_value", average),
        pl.Series("expected_value", value),
    )
    params: dict[str, Any] = {
        "bgnbd": bgnbd.as_dict(),
        "gamma_gamma": gamma_gamma.as_dict(),
        "customers": summary.height,
        "repeat_customers": int((x > 0).sum()),
        "calibration_end": end.isoformat(),
        "time_unit": unit,
        "horizon": span,
        "discount_rate": discount_rate,
        "log_likelihood": {
            "bgnbd": bgnbd.log_likelihood,
            "gamma_gamma": gamma_gamma.log_likelihood,
        },
        "frequency_monetary_correlation": frequency_monetary_correlation(x, m),
        "expected_purchases": float(purchases.sum()),
        "expected_value": float(value.sum()),
    }
    return params, per_customer
