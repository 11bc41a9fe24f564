"""customer_lifetime_value and clv_report: expected purchases × expected spend, per customer."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from models.clv import (
    BgNbdParams,
    ClvInputError,
    GammaGammaParams,
    clv_report,
    customer_lifetime_value,
    expected_average_value,
    expected_purchases,
    simulate_transactions,
)

BGNBD = BgNbdParams(r=0.25, alpha=4.0, a=0.8, b=2.5)
SPEND = GammaGammaParams(p=6.0, q=4.0, v=15.0)
CUSTOMERS = {
    "frequency": [0, 2, 7],
    "recency": [0.0, 30.0, 10.0],
    "T": [38.0, 38.0, 38.0],
    "monetary_value": [0.0, 22.0, 70.0],
}


@pytest.fixture(scope="module")
def synthetic_transactions() -> pl.DataFrame:
    """Two years of weekly-parametrised customers acquired in the first quarter."""
    return simulate_transactions(
        BGNBD,
        SPEND,
        4_000,
        date(2023, 1, 1),
        date(2023, 12, 31),
        np.random.default_rng(20240503),
        acquired_by=date(2023, 3, 31),
        days_per_unit=7,
    )


def test_undiscounted_value_is_expected_purchases_times_expected_spend() -> None:
    value = customer_lifetime_value(BGNBD, SPEND, **CUSTOMERS, horizon=52)
    purchases = expected_purchases(
        BGNBD, 52, CUSTOMERS["frequency"], CUSTOMERS["recency"], CUSTOMERS["T"]
    )
    spend = expected_average_value(SPEND, CUSTOMERS["frequency"], CUSTOMERS["monetary_value"])
    assert value == pytest.approx(purchases * spend, rel=1e-12)


def test_discounting_values_each_period_at_its_own_discount_factor() -> None:
    rate = 0.01
    value = customer_lifetime_value(BGNBD, SPEND, **CUSTOMERS, horizon=3, discount_rate=rate)
    cumulative = [
        expected_purchases(BGNBD, k, CUSTOMERS["frequency"], CUSTOMERS["recency"], CUSTOMERS["T"])
        for k in range(4)
    ]
    spend = expected_average_value(SPEND, CUSTOMERS["frequency"], CUSTOMERS["monetary_value"])
    by_hand = sum((cumulative[k] - cumulative[k - 1]) / (1 + rate) ** k for k in (1, 2, 3)) * spend
    assert value == pytest.approx(by_hand, rel=1e-12)


def test_discounting_lowers_value_and_zero_discount_matches_the_closed_form() -> None:
    plain = customer_lifetime_value(BGNBD, SPEND, **CUSTOMERS, horizon=10.5)
    stepped = customer_lifetime_value(BGNBD, SPEND, **CUSTOMERS, horizon=10.5, discount_rate=1e-15)
    discounted = customer_lifetime_value(
        BGNBD, SPEND, **CUSTOMERS, horizon=10.5, discount_rate=0.02
    )
    assert stepped == pytest.approx(plain, rel=1e-9)
    assert np.all(discounted < plain)


@pytest.mark.parametrize(
    ("horizon", "discount_rate", "message"),
    [(-1.0, 0.0, "horizon must be a number ≥ 0"), (10.0, -0.1, "discount rate must be")],
)
def test_negative_horizon_or_discount_rate_is_an_input_error(
    horizon: float, discount_rate: float, message: str
) -> None:
    with pytest.raises(ClvInputError, match=message):
        customer_lifetime_value(
            BGNBD, SPEND, **CUSTOMERS, horizon=horizon, discount_rate=discount_rate
        )


def test_report_recovers_the_parameters_that_generated_the_transactions(
    synthetic_transactions: pl.DataFrame,
) -> None:
    params, _ = clv_report(synthetic_transactions, date(2023, 12, 31), "W")
    bgnbd, spend = params["bgnbd"], params["gamma_gamma"]
    # Well-identified summaries, with slack for sampling error and for purchases less than a
    # day apart merging into one purchase day.
    assert bgnbd["r"] / bgnbd["alpha"] == pytest.approx(BGNBD.r / BGNBD.alpha, rel=0.15)
    assert bgnbd["a"] / (bgnbd["a"] + bgnbd["b"]) == pytest.approx(
        BGNBD.a / (BGNBD.a + BGNBD.b), rel=0.2
    )
    assert spend["p"] * spend["v"] / (spend["q"] - 1) == pytest.approx(
        SPEND.p * SPEND.v / (SPEND.q - 1), rel=0.05
    )


def test_report_has_one_row_per_cohort_customer_with_the_forecast_columns(
    synthetic_transactions: pl.DataFrame,
) -> None:
    params, per_customer = clv_report(synthetic_transactions, date(2023, 12, 31), "W", 26)
    assert per_customer.columns == [
        "customer_id",
        "frequency",
        "recency",
        "T",
        "monetary_value",
        "p_alive",
        "expected_purchases",
        "expected_average_value",
        "expected_value",
    ]
    assert per_customer.height == params["customers"] == 4_000
    assert per_customer["customer_id"].is_unique().all()
    assert per_customer["p_alive"].is_between(0, 1).all()
    assert params["expected_value"] == pytest.approx(per_customer["expected_value"].sum())
    assert params["expected_purchases"] == pytest.approx(per_customer["expected_purchases"].sum())


def test_report_horizon_defaults_to_one_year(synthetic_transactions: pl.DataFrame) -> None:
    weekly, _ = clv_report(synthetic_transactions, date(2023, 12, 31), "W")
    daily, _ = clv_report(synthetic_transactions, date(2023, 12, 31), "D")
    assert (weekly["horizon"], daily["horizon"]) == (52, 365)


def test_report_in_days_and_weeks_agree_over_the_same_span(
    synthetic_transactions: pl.DataFrame,
) -> None:
    weekly, _ = clv_report(synthetic_transactions, date(2023, 12, 31), "W", 52)
    daily, _ = clv_report(synthetic_transactions, date(2023, 12, 31), "D", 364)
    assert daily["expected_value"] == pytest.approx(weekly["expected_value"], rel=1e-4)


def test_report_params_are_json_ready(synthetic_transactions: pl.DataFrame) -> None:
    import json

    params, _ = clv_report(synthetic_transactions, date(2023, 12, 31), "W")
    assert json.loads(json.dumps(params)) == params


@pytest.mark.parametrize("horizon", [0, -4, 2.5, True])
def test_report_refuses_a_horizon_that_is_not_a_positive_whole_number(
    synthetic_transactions: pl.DataFrame, horizon: object
) -> None:
    with pytest.raises(ClvInputError, match="horizon must be a whole number"):
        clv_report(synthetic_transactions, date(2023, 12, 31), "W", horizon)  # type: ignore[arg-type]


def test_report_refuses_a_calibration_period_with_too_few_repeat_customers(
    synthetic_transactions: pl.DataFrame,
) -> None:
    with pytest.raises(ClvInputError, match="too few repeat customers"):
        clv_report(synthetic_transactions, date(2023, 1, 3), "W")
