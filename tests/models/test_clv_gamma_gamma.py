"""Gamma-Gamma: the likelihood and conditional mean match the model's definition, the fit
recovers known parameters, and unusable spend data are refused."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from models.clv import (
    ClvFitError,
    ClvInputError,
    GammaGammaParams,
    expected_average_value,
    fit_gamma_gamma,
    frequency_monetary_correlation,
    gamma_gamma_log_likelihood,
    simulate_gamma_gamma,
)

# Fader & Hardie's Gamma-Gamma note, CDNOW repeat customers.
PUBLISHED = GammaGammaParams(p=6.25, q=3.74, v=15.44)


def _gamma_pdf(value: float, shape: float, rate: float) -> float:
    return math.exp(
        shape * math.log(rate) + (shape - 1) * math.log(value) - rate * value - math.lgamma(shape)
    )


def _mixed_density(params: GammaGammaParams, x: int, z: float, nu: float) -> float:
    """Given ν, the mean of x Gamma(p, rate ν) spends is Gamma(px, rate xν); ν ~ Gamma(q, v)."""
    return _gamma_pdf(z, params.p * x, x * nu) * _gamma_pdf(nu, params.q, params.v)


@pytest.mark.parametrize(("x", "z"), [(1, 11.77), (2, 22.35), (7, 73.74)])
def test_log_likelihood_equals_the_mixed_density_of_mean_spend(x: int, z: float) -> None:
    density = integrate.quad(lambda nu: _mixed_density(PUBLISHED, x, z, nu), 0, np.inf)[0]
    assert gamma_gamma_log_likelihood(PUBLISHED, [x], [z]) == pytest.approx(math.log(density))


@pytest.mark.parametrize(("x", "z"), [(1, 11.77), (7, 73.74), (40, 300.0)])
def test_expected_average_value_is_the_posterior_mean_spend(x: int, z: float) -> None:
    # E[spend | x, z̄] = E[p/ν | data]; the posterior of ν is proportional to prior × likelihood.
    p = PUBLISHED.p

    def weight(nu: float) -> float:
        return _mixed_density(PUBLISHED, x, z, nu)

    # The posterior of ν concentrates near p / z̄ as x grows; tell the quadrature where to look.
    around = {"a": 0.0, "b": 50 * p / z, "points": [p / z], "limit": 200}
    normaliser = integrate.quad(weight, **around)[0]
    mean = integrate.quad(lambda nu: p / nu * weight(nu), **around)[0] / normaliser
    assert expected_average_value(PUBLISHED, [x], [z])[0] == pytest.approx(mean, rel=1e-6)


def test_customers_without_repeat_purchases_get_the_population_mean() -> None:
    population_mean = PUBLISHED.p * PUBLISHED.v / (PUBLISHED.q - 1)
    assert expected_average_value(PUBLISHED, [0], [0.0])[0] == pytest.approx(population_mean)


def test_expected_average_value_moves_towards_own_spend_with_more_purchases() -> None:
    few, many = expected_average_value(PUBLISHED, [1, 50], [100.0, 100.0])
    assert PUBLISHED.p * PUBLISHED.v / (PUBLISHED.q - 1) < few < many < 100.0


def test_fit_recovers_simulated_parameters() -> None:
    truth = GammaGammaParams(p=6.0, q=4.0, v=15.0)
    rng = np.random.default_rng(20240502)
    frequency = rng.geometric(0.35, size=4_000).astype(float)
    spend = simulate_gamma_gamma(truth, frequency, rng)

    fitted = fit_gamma_gamma(frequency, spend)

    ratio = 2 * (fitted.log_likelihood - gamma_gamma_log_likelihood(truth, frequency, spend))
    assert 0 <= ratio < stats.chi2(df=3).ppf(0.999)
    # Each estimate within about four sampling standard deviations of the truth (spread measured
    # over 20 seeds at this size: p 10 %, q 3.5 %, v 14 %, population mean 0.7 %).
    population_mean = fitted.p * fitted.v / (fitted.q - 1)
    assert population_mean == pytest.approx(truth.p * truth.v / (truth.q - 1), rel=0.03)
    assert fitted.p == pytest.approx(truth.p, rel=0.45)
    assert fitted.q == pytest.approx(truth.q, rel=0.15)
    assert fitted.v == pytest.approx(truth.v, rel=0.55)


def test_fit_ignores_customers_without_repeat_purchases() -> None:
    rng = np.random.default_rng(8)
    frequency = rng.geometric(0.4, size=500).astype(float)
    spend = simulate_gamma_gamma(PUBLISHED, frequency, rng)
    with_one_timers = fit_gamma_gamma(
        np.concatenate([frequency, np.zeros(300)]), np.concatenate([spend, np.zeros(300)])
    )
    assert with_one_timers == fit_gamma_gamma(frequency, spend)


def test_fit_leaves_out_repeat_customers_who_spent_nothing() -> None:
    # Zero spend has zero density under a Gamma; warranty-only repeat visits must not sink the fit.
    rng = np.random.default_rng(9)
    frequency = rng.geometric(0.4, size=500).astype(float)
    spend = simulate_gamma_gamma(PUBLISHED, frequency, rng)
    with_free_visits = fit_gamma_gamma(
        np.concatenate([frequency, [3.0, 1.0]]), np.concatenate([spend, [0.0, 0.0]])
    )
    assert with_free_visits == fit_gamma_gamma(frequency, spend)


def test_fit_refuses_too_few_repeat_customers() -> None:
    with pytest.raises(ClvInputError, match=r"Gamma-Gamma model: 3 \(need at least 10\)"):
        fit_gamma_gamma([0, 0, 1, 2, 3], [0.0, 0.0, 10.0, 20.0, 30.0])


def test_negative_spend_is_an_input_error() -> None:
    with pytest.raises(ClvInputError, match="monetary_value must be ≥ 0, got -4 at position 1"):
        fit_gamma_gamma([1, 1], [5.0, -4.0])


def test_infinite_population_mean_is_refused_when_forecasting() -> None:
    with pytest.raises(ClvFitError, match=r"q = 0\.9 ≤ 1"):
        expected_average_value(GammaGammaParams(p=2.0, q=0.9, v=10.0), [1], [5.0])


def test_frequency_spend_correlation_is_measured_on_repeat_customers() -> None:
    frequency = [0, 0, 1, 2, 3, 4]
    spend = [0.0, 0.0, 10.0, 20.0, 30.0, 40.0]
    assert frequency_monetary_correlation(frequency, spend) == pytest.approx(1.0)
    assert math.isnan(frequency_monetary_correlation([1, 1, 1], [5.0, 6.0, 7.0]))
