"""Gamma-Gamma model of spend per transaction (Fader & Hardie 2013).

"The Gamma-Gamma model of monetary value", technical note. A customer's individual transaction
values are Gamma(shape ``p``, rate ν); ν varies across customers as Gamma(shape ``q``, rate
``v``). The model is fitted to each repeat customer's mean spend z̄ over their x repeat
purchases and assumes spend is independent of purchase frequency (check
:func:`frequency_monetary_correlation`). Customers with no repeat purchases carry no spend
information under the summary conventions and are left out of the fit.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy.special import gammaln

from models.clv._arrays import (
    ArrayLike,
    FloatArray,
    frequency_monetary,
    require_repeat_customers,
)
from models.clv._optimise import maximise
from models.clv.errors import ClvFitError


@dataclass(frozen=True)
class GammaGammaParams:
    """Fitted (or published) Gamma-Gamma parameters; ``log_likelihood`` is NaN when not fitted."""

    p: float
    q: float
    v: float
    log_likelihood: float = math.nan

    def as_dict(self) -> dict[str, float]:
        """The three model parameters by name (without the log-likelihood)."""
        values = asdict(self)
        values.pop("log_likelihood")
        return values


def _log_likelihood_terms(p: float, q: float, v: float, x: FloatArray, z: FloatArray) -> FloatArray:
    """Per-customer log density of the mean spend z̄ given x transactions (the note's eq. 4).

    f(z̄ | x) = Γ(px+q) / (Γ(px) Γ(q)) · v^q · z̄^(px-1) · x^(px) / (v + x z̄)^(px+q)

    The Gamma function terms depend on x alone and are evaluated once per distinct x.
    """
    levels, index = np.unique(x, return_inverse=True)
    p_levels = p * levels
    per_level = gammaln(p_levels + q) - gammaln(p_levels) + p_levels * np.log(levels)
    px = p * x
    return (
        per_level[index.reshape(-1)]
        - gammaln(q)
        + q * np.log(v)
        + (px - 1) * np.log(z)
        - (px + q) * np.log(v + x * z)
    )


def _fit_rows(x: FloatArray, m: FloatArray) -> tuple[FloatArray, FloatArray]:
    # Zero mean spend (e.g. warranty-only repeat visits) has zero density under a Gamma, so
    # those customers would make the likelihood -inf; they are left out of the fit.
    keep = (x > 0) & (m > 0)
    return x[keep], m[keep]


def gamma_gamma_log_likelihood(
    params: GammaGammaParams, frequency: ArrayLike, monetary_value: ArrayLike
) -> float:
    """Total Gamma-Gamma log-likelihood of the customers with repeat purchases and spend > 0."""
    x, m = _fit_rows(*frequency_monetary(frequency, monetary_value))
    return float(_log_likelihood_terms(params.p, params.q, params.v, x, m).sum())


def fit_gamma_gamma(frequency: ArrayLike, monetary_value: ArrayLike) -> GammaGammaParams:
    """Fit Gamma-Gamma by maximum likelihood on customers with frequency > 0 and spend > 0.

    Pass every customer: the ones without repeat purchases (or with zero mean spend) are dropped
    here. Start: p = 1, q = 2 and v equal to the mean of z̄, so that the starting population mean
    spend p·v/(q-1) equals the observed one.

    Raises ClvInputError for malformed input or fewer than MIN_REPEAT_CUSTOMERS usable repeat
    customers, and ClvFitError when the optimum runs off to a boundary.
    """
    x, m = _fit_rows(*frequency_monetary(frequency, monetary_value))
    require_repeat_customers(x.size, "Gamma-Gamma")
    rows, weights = np.unique(np.column_stack([x, m]), axis=0, return_counts=True)
    ux, um = rows[:, 0], rows[:, 1]

    def log_likelihood(params: FloatArray) -> float:
        p, q, v = params
        return float(weights @ _log_likelihood_terms(p, q, v, ux, um))

    (p, q, v), maximum = maximise(
        log_likelihood, [1.0, 2.0, float(m.mean())], ["p", "q", "v"], "Gamma-Gamma"
    )
    return GammaGammaParams(float(p), float(q), float(v), float(maximum))


def expected_average_value(
    params: GammaGammaParams, frequency: ArrayLike, monetary_value: ArrayLike
) -> FloatArray:
    """E[spend per transaction | x, z̄], the note's eq. (5).

    E = p (v + x z̄) / (p x + q - 1): a weighted average of the population mean p v / (q - 1) and
    the customer's own z̄, with weight p x / (p x + q - 1) on the latter. Customers with x = 0 get
    the population mean. Needs q > 1, else the population mean spend is infinite.
    """
    x, m = frequency_monetary(frequency, monetary_value)
    if params.q <= 1:
        raise ClvFitError(
            f"Gamma-Gamma q = {params.q:.3g} ≤ 1 implies an infinite mean spend; a few very large "
            "amounts dominate the data: check them for errors or cap them"
        )
    return params.p * (params.v + x * m) / (params.p * x + params.q - 1)


def frequency_monetary_correlation(frequency: ArrayLike, monetary_value: ArrayLike) -> float:
    """Pearson correlation of frequency and mean spend among repeat customers.

    The Gamma-Gamma model assumes none; a value far from 0 means its value forecasts are biased.
    NaN when either column is constant.
    """
    x, m = frequency_monetary(frequency, monetary_value)
    x, m = x[x > 0], m[x > 0]
    if x.size < 2 or x.std() == 0 or m.std() == 0:
        return math.nan
    return float(np.corrcoef(x, m)[0, 1])
