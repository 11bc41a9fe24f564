"""BG/NBD: the likelihood, P(alive) and conditional expectation match the model's definition,
the fit recovers known parameters, and malformed summaries are refused."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from models.clv import (
    BgNbdParams,
    ClvInputError,
    bgnbd_log_likelihood,
    expected_purchases,
    fit_bgnbd,
    p_alive,
    simulate_bgnbd,
)

# Fader, Hardie & Lee (2005), CDNOW sample, weekly.
PUBLISHED = BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)


def _individual_integrals(params: BgNbdParams, x: int, t_x: float, T: float) -> dict[str, float]:
    """Mix the individual-level BG/NBD likelihood over Gamma(r, α) rates and Beta(a, b) dropouts.

    This is the model's definition evaluated by quadrature, independent of the closed forms: given
    λ and p, a customer with x repeat purchases, the last at t_x, is still active at T with weight
    (1-p)^x λ^x e^{-λT}, or dropped out right after the last purchase with weight
    p (1-p)^(x-1) λ^x e^{-λ t_x}.
    """
    rate = stats.gamma(params.r, scale=1 / params.alpha).pdf
    dropout = stats.beta(params.a, params.b).pdf

    def over_rates(until: float) -> float:
        return integrate.quad(lambda lam: lam**x * math.exp(-lam * until) * rate(lam), 0, np.inf)[0]

    p_active = integrate.quad(lambda p: (1 - p) ** x * dropout(p), 0, 1)[0]
    p_dropped = integrate.quad(lambda p: p * (1 - p) ** (x - 1) * dropout(p), 0, 1)[0] if x else 0.0
    return {"active": over_rates(T) * p_active, "dropped": over_rates(t_x) * p_dropped}


def _expected_purchases_by_quadrature(
    params: BgNbdParams, t: float, x: int, t_x: float, T: float
) -> float:
    """E[purchases in (T, T+t]] from the model's definition, integrating p numerically.

    An active customer with (λ, p) expects (1 - e^{-λpt}) / p purchases in t. The λ integrals
    are the Gamma integral ∫ λ^x e^{-λs} Gamma(λ; r, α) dλ ∝ (α+s)^-(r+x), written relative to
    s = T so that heavy buyers do not underflow; the p integrals, where the closed form's
    hypergeometric function comes from, are done by quadrature.
    """
    r, alpha = params.r, params.alpha
    dropout = stats.beta(params.a, params.b).pdf

    def relative(s: float) -> float:
        return ((alpha + T) / (alpha + s)) ** (r + x)

    tight = {"epsabs": 0, "epsrel": 1e-11, "limit": 200}
    purchases = integrate.quad(
        lambda p: (1 - p) ** x / p * (1 - relative(T + p * t)) * dropout(p), 0, 1, **tight
    )[0]
    active = integrate.quad(lambda p: (1 - p) ** x * dropout(p), 0, 1, **tight)[0]
    dropped = (
        relative(t_x)
        * integrate.quad(lambda p: p * (1 - p) ** (x - 1) * dropout(p), 0, 1, **tight)[0]
        if x
        else 0.0
    )
    return purchases / (active + dropped)


@pytest.mark.parametrize(
    ("x", "t_x", "T"),
    [
        (0, 0.0, 38.86),  # no repeat purchase
        (2, 30.43, 38.86),  # FHL 2005's example customer
        (7, 10.0, 38.86),  # bought often, then went quiet
    ],
)
def test_log_likelihood_equals_the_mixed_individual_likelihood(
    x: int, t_x: float, T: float
) -> None:
    parts = _individual_integrals(PUBLISHED, x, t_x, T)
    expected = math.log(parts["active"] + parts["dropped"])
    assert bgnbd_log_likelihood(PUBLISHED, [x], [t_x], [T]) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(("x", "t_x", "T"), [(2, 30.43, 38.86), (7, 10.0, 38.86), (1, 38.0, 38.86)])
def test_p_alive_is_the_posterior_weight_of_the_active_branch(x: int, t_x: float, T: float) -> None:
    parts = _individual_integrals(PUBLISHED, x, t_x, T)
    expected = parts["active"] / (parts["active"] + parts["dropped"])
    assert p_alive(PUBLISHED, [x], [t_x], [T])[0] == pytest.approx(expected, rel=1e-6)


def test_customers_without_repeat_purchases_are_alive_for_certain() -> None:
    assert p_alive(PUBLISHED, [0, 0], [0.0, 0.0], [1.0, 100.0]).tolist() == [1.0, 1.0]


def test_frequent_buyer_who_went_quiet_is_less_likely_alive_than_an_occasional_one() -> None:
    # FHL's "increasing frequency paradox": same recency, more purchases, lower P(alive).
    occasional, frequent = p_alive(PUBLISHED, [3, 15], [30.0, 30.0], [39.0, 39.0])
    assert frequent < occasional


def test_expected_purchases_reproduces_fhl_2005_example_customer() -> None:
    # x = 2, t_x = 30.43, T = 38.86: 1.226 purchases expected in the next 39 weeks (FHL 2005).
    value = expected_purchases(PUBLISHED, 39, [2], [30.43], [38.86])[0]
    assert f"{value:.4g}" == "1.226"


@pytest.mark.parametrize(
    ("x", "t_x", "T", "t"),
    [
        (0, 0.0, 38.86, 39.0),
        (2, 30.43, 38.86, 52.0),
        (7, 10.0, 38.86, 39.0),
        (200, 38.0, 38.86, 52.0),  # a heavy buyer, where naive 2F1 arguments grow with x
    ],
)
def test_expected_purchases_equal_the_model_definition_integrated_numerically(
    x: int, t_x: float, T: float, t: float
) -> None:
    expected = _expected_purchases_by_quadrature(PUBLISHED, t, x, t_x, T)
    assert expected_purchases(PUBLISHED, t, [x], [t_x], [T])[0] == pytest.approx(expected, rel=1e-8)


def test_expected_purchases_stay_finite_for_very_heavy_buyers() -> None:
    value = expected_purchases(PUBLISHED, 52, [5000], [38.0], [38.5])[0]
    assert np.isfinite(value) and value > 0


def test_expected_purchases_handle_a_equal_to_one() -> None:
    # The closed form is 0/0 at a = 1; the answer must sit between its neighbours.
    near = [BgNbdParams(0.25, 4.0, a, 2.5) for a in (1 - 1e-4, 1.0, 1 + 1e-4)]
    values = [expected_purchases(p, 39, [3], [20.0], [38.0])[0] for p in near]
    assert values[1] == pytest.approx((values[0] + values[2]) / 2, rel=1e-4)


def test_expected_purchases_are_zero_over_a_zero_horizon() -> None:
    assert expected_purchases(PUBLISHED, 0, [3], [20.0], [38.0])[0] == 0.0


def test_fit_recovers_simulated_parameters() -> None:
    truth = BgNbdParams(r=0.25, alpha=4.0, a=0.8, b=2.5)
    rng = np.random.default_rng(20240501)
    T = rng.integers(20, 53, size=10_000).astype(float)
    frequency, recency = simulate_bgnbd(truth, T, rng)

    fitted = fit_bgnbd(frequency, recency, T)

    # The truth lies inside the fit's 99.9 % likelihood-ratio confidence region, and the fit is
    # at least as likely as the truth (else the optimiser stopped short).
    ratio = 2 * (fitted.log_likelihood - bgnbd_log_likelihood(truth, frequency, recency, T))
    assert 0 <= ratio < stats.chi2(df=4).ppf(0.999)
    # Each estimate is within about four sampling standard deviations of the truth (spread
    # measured over 20 seeds at this size: r 2 %, alpha 4 %, a 10 %, b 12 %, r/alpha 3 %,
    # a/(a+b) 3 %); a and b, which trade off against each other, are the loosest.
    assert fitted.r / fitted.alpha == pytest.approx(truth.r / truth.alpha, rel=0.12)
    assert fitted.a / (fitted.a + fitted.b) == pytest.approx(
        truth.a / (truth.a + truth.b), rel=0.12
    )
    assert fitted.r == pytest.approx(truth.r, rel=0.1)
    assert fitted.alpha == pytest.approx(truth.alpha, rel=0.15)
    assert fitted.a == pytest.approx(truth.a, rel=0.4)
    assert fitted.b == pytest.approx(truth.b, rel=0.45)


def test_fit_does_not_depend_on_the_time_unit_except_through_alpha() -> None:
    rng = np.random.default_rng(3)
    T = rng.integers(20, 53, size=2_000).astype(float)
    frequency, recency = simulate_bgnbd(BgNbdParams(0.3, 5.0, 0.7, 2.0), T, rng)
    weeks = fit_bgnbd(frequency, recency, T)
    days = fit_bgnbd(frequency, recency * 7, T * 7)
    assert (days.r, days.alpha / 7, days.a, days.b) == pytest.approx(
        (weeks.r, weeks.alpha, weeks.a, weeks.b), rel=1e-4
    )


def test_fit_reports_its_maximised_log_likelihood() -> None:
    rng = np.random.default_rng(5)
    T = np.full(500, 30.0)
    frequency, recency = simulate_bgnbd(PUBLISHED, T, rng)
    fitted = fit_bgnbd(frequency, recency, T)
    assert fitted.log_likelihood == pytest.approx(
        bgnbd_log_likelihood(fitted, frequency, recency, T), rel=1e-12
    )
    assert fitted.log_likelihood >= bgnbd_log_likelihood(PUBLISHED, frequency, recency, T)


def test_fit_accepts_polars_series_and_lists() -> None:
    import polars as pl

    rng = np.random.default_rng(11)
    T = np.full(300, 40.0)
    frequency, recency = simulate_bgnbd(PUBLISHED, T, rng)
    from_numpy = fit_bgnbd(frequency, recency, T)
    from_polars = fit_bgnbd(pl.Series(frequency.astype(int)), pl.Series(recency), pl.Series(T))
    from_lists = fit_bgnbd(frequency.tolist(), recency.tolist(), T.tolist())
    assert from_polars == from_numpy == from_lists


@pytest.mark.parametrize(
    ("frequency", "recency", "T", "message"),
    [
        ([1, 2], [1.0], [2.0, 3.0], "same length"),
        ([], [], [], "no customers"),
        ([1.5], [1.0], [2.0], "whole number"),
        ([-1], [0.0], [2.0], "whole number"),
        ([1], [-1.0], [2.0], "recency must be ≥ 0"),
        ([1], [3.0], [2.0], "exceeds T"),
        ([0], [1.0], [2.0], "swapped"),
        ([1], [float("nan")], [2.0], "missing or infinite"),
        (["a"], [1.0], [2.0], "must be numeric"),
    ],
)
def test_malformed_summaries_are_input_errors(
    frequency: list[object], recency: list[float], T: list[float], message: str
) -> None:
    with pytest.raises(ClvInputError, match=message):
        p_alive(PUBLISHED, frequency, recency, T)  # type: ignore[arg-type]


def test_fit_refuses_too_few_repeat_customers() -> None:
    frequency = [0] * 100 + [1] * 9
    recency = [0.0] * 100 + [5.0] * 9
    with pytest.raises(ClvInputError, match="too few repeat customers to fit the BG/NBD model: 9"):
        fit_bgnbd(frequency, recency, [10.0] * 109)


def test_negative_horizon_is_an_input_error() -> None:
    with pytest.raises(ClvInputError, match="horizon t must be ≥ 0"):
        expected_purchases(PUBLISHED, -1, [1], [1.0], [2.0])


def test_log_likelihood_stays_finite_where_naive_powers_overflow() -> None:
    # Fader & Hardie's "#NUM!" note: (α+T)^(r+x) overflows for heavy buyers over long periods.
    value = bgnbd_log_likelihood(PUBLISHED, [5000, 3000], [3600.0, 10.0], [3650.0, 3650.0])
    assert np.isfinite(value)
