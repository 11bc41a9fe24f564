"""The CLV models reproduce the published CDNOW estimates from the raw transactions.

CDNOW sample: 2,357 customers who first bought CDs at CDNOW in Q1 1997, followed to the end of
June 1998; calibration is the first 39 weeks (to 1997-09-30), weekly time. Published values:
BG/NBD r = 0.243, α = 4.414, a = 0.793, b = 2.426 (Fader, Hardie & Lee 2005); Gamma-Gamma on the
946 repeat customers p = 6.25, q = 3.74, v = 15.44 (Fader & Hardie 2013 note); and the worked
examples in the `lifetimes` documentation, which fitted the rounded summary the wheel ships.

The data are read from the `lifetimes` wheel (a dev dependency) without importing its code.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from models.clv import (
    BgNbdParams,
    GammaGammaParams,
    clv_report,
    expected_average_value,
    expected_purchases,
    fit_bgnbd,
    fit_gamma_gamma,
    holdout_summary,
    rfm_summary,
)
from models.clv.command import clv

CALIBRATION_END = date(1997, 9, 30)
HOLDOUT_END = date(1998, 6, 30)


def _sig(value: float, figures: int) -> str:
    return f"{value:.{figures}g}"


def _lifetimes_dataset(name: str) -> Path:
    try:
        distribution = importlib.metadata.distribution("lifetimes")
    except importlib.metadata.PackageNotFoundError:
        message = "the CDNOW data ship in the lifetimes wheel: pip install -e '.[dev]'"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return Path(str(distribution.locate_file(f"lifetimes/datasets/{name}")))


@pytest.fixture(scope="module")
def transactions() -> pl.DataFrame:
    """The raw sample: whitespace-separated master id, sample id, YYYYMMDD, CDs, dollars."""
    rows = [
        line.split() for line in _lifetimes_dataset("CDNOW_sample.txt").read_text().splitlines()
    ]
    return pl.DataFrame(
        {
            "customer_id": [int(row[1]) for row in rows],
            "date": [row[2] for row in rows],
            "amount": [float(row[4]) for row in rows],
        }
    ).with_columns(pl.col("date").str.strptime(pl.Date, "%Y%m%d"))


@pytest.fixture(scope="module")
def summary(transactions: pl.DataFrame) -> pl.DataFrame:
    return rfm_summary(transactions, CALIBRATION_END, "W")


@pytest.fixture(scope="module")
def shipped_summary() -> pl.DataFrame:
    """The summary lifetimes ships (x, t_x, T, z̄ rounded to 2 decimals), ID = sample id."""
    return pl.read_csv(_lifetimes_dataset("cdnow_customers_summary_with_transactions.csv"))


@pytest.fixture(scope="module")
def bgnbd(summary: pl.DataFrame) -> BgNbdParams:
    return fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])


@pytest.fixture(scope="module")
def gamma_gamma(summary: pl.DataFrame) -> GammaGammaParams:
    return fit_gamma_gamma(summary["frequency"], summary["monetary_value"])


def test_rfm_summary_of_the_raw_sample_matches_the_shipped_summary(
    summary: pl.DataFrame, shipped_summary: pl.DataFrame
) -> None:
    joined = summary.join(shipped_summary, left_on="customer_id", right_on="ID", how="full")
    assert joined.height == summary.height == shipped_summary.height == 2357
    assert (joined["frequency"] == joined["x"]).all()
    for ours, shipped in [("recency", "t_x"), ("T", "T_right"), ("monetary_value", "zbar")]:
        assert (joined[ours] - joined[shipped]).abs().max() <= 0.005 + 1e-9, ours
    assert (summary["frequency"] > 0).sum() == 946


def test_bgnbd_on_the_raw_sample_reproduces_fader_hardie_lee_2005(bgnbd: BgNbdParams) -> None:
    fitted = [_sig(v, 3) for v in (bgnbd.r, bgnbd.alpha, bgnbd.a, bgnbd.b)]
    assert fitted == [_sig(v, 3) for v in (0.243, 4.414, 0.793, 2.426)]


def test_bgnbd_on_the_shipped_summary_matches_lifetimes_documented_fit(
    shipped_summary: pl.DataFrame,
) -> None:
    fitted = fit_bgnbd(shipped_summary["x"], shipped_summary["t_x"], shipped_summary["T"])
    documented = (0.242593, 4.413532, 0.792886, 2.425752)
    assert [_sig(v, 4) for v in (fitted.r, fitted.alpha, fitted.a, fitted.b)] == [
        _sig(v, 4) for v in documented
    ]


def test_gamma_gamma_on_the_raw_sample_reproduces_fader_hardie(
    gamma_gamma: GammaGammaParams,
) -> None:
    fitted = [_sig(v, 3) for v in (gamma_gamma.p, gamma_gamma.q, gamma_gamma.v)]
    assert fitted == [_sig(v, 3) for v in (6.25, 3.74, 15.44)]


def test_expected_average_value_matches_lifetimes_documented_examples(
    shipped_summary: pl.DataFrame,
) -> None:
    # lifetimes' Quickstart: conditional expected average profit of customers 1, 2, 3, 6 and 9.
    fitted = fit_gamma_gamma(shipped_summary["x"], shipped_summary["zbar"])
    customers = shipped_summary.filter(pl.col("ID").is_in([1, 2, 3, 6, 9])).sort("ID")
    values = expected_average_value(fitted, customers["x"], customers["zbar"])
    documented = (24.658619, 18.911489, 35.170981, 71.462843, 27.282408)
    assert [_sig(v, 4) for v in values] == [_sig(v, 4) for v in documented]


def test_fitted_model_reproduces_the_fhl_example_forecast(bgnbd: BgNbdParams) -> None:
    # FHL 2005: x = 2, t_x = 30.43, T = 38.86 expects 1.226 purchases in the next 39 weeks.
    assert _sig(expected_purchases(bgnbd, 39, [2], [30.43], [38.86])[0], 4) == "1.226"


def test_next_week_forecasts_match_lifetimes_documented_ranking(
    shipped_summary: pl.DataFrame,
) -> None:
    # lifetimes' Quickstart: customers 1516 and 157 top the expected purchases in the next week.
    fitted = fit_bgnbd(shipped_summary["x"], shipped_summary["t_x"], shipped_summary["T"])
    values = expected_purchases(fitted, 1, [26, 29], [30.86, 37.71], [31.00, 38.00])
    assert [_sig(v, 4) for v in values] == ["0.7106", "0.6624"]


def test_bgnbd_beats_the_run_rate_baseline_on_the_holdout_weeks(
    transactions: pl.DataFrame, summary: pl.DataFrame, bgnbd: BgNbdParams
) -> None:
    holdout = holdout_summary(transactions, CALIBRATION_END, HOLDOUT_END, "W")
    weeks = holdout["duration_holdout"][0]
    actual = holdout["frequency_holdout"].to_numpy()
    forecast = expected_purchases(
        bgnbd, weeks, summary["frequency"], summary["recency"], summary["T"]
    )
    # Baseline: each customer keeps buying at their calibration rate of repeat purchases.
    run_rate = (summary["frequency"] / summary["T"]).to_numpy() * weeks
    assert np.abs(forecast - actual).mean() < np.abs(run_rate - actual).mean()


def test_clv_report_on_the_raw_sample_carries_the_published_parameters(
    transactions: pl.DataFrame,
) -> None:
    params, per_customer = clv_report(transactions, CALIBRATION_END, "W", horizon=39)
    assert (params["customers"], params["repeat_customers"]) == (2357, 946)
    assert [_sig(params["bgnbd"][k], 3) for k in ("r", "alpha", "a", "b")] == [
        "0.243",
        "4.41",
        "0.793",
        "2.43",
    ]
    first = per_customer.filter(pl.col("customer_id") == 1).row(0, named=True)
    assert _sig(first["expected_purchases"], 4) == "1.226"
    assert first["expected_value"] == pytest.approx(
        first["expected_purchases"] * first["expected_average_value"]
    )


def test_clv_command_reproduces_the_published_parameters_from_a_csv(
    transactions: pl.DataFrame, tmp_path: Path
) -> None:
    csv = tmp_path / "cdnow.csv"
    transactions.write_csv(csv)
    app = typer.Typer()
    app.command("clv")(clv)

    arguments = ["--transactions", str(csv), "--calibration-end", "1997-09-30"]

    result = CliRunner().invoke(app, [*arguments, "--time-unit", "W", "--json"])

    assert result.exit_code == 0, result.output
    params = json.loads(result.stdout)
    assert params["customers"] == 2357
    bgnbd = [_sig(params["bgnbd"][k], 3) for k in ("r", "alpha", "a", "b")]
    spend = [_sig(params["gamma_gamma"][k], 3) for k in ("p", "q", "v")]
    assert (bgnbd, spend) == (["0.243", "4.41", "0.793", "2.43"], ["6.25", "3.74", "15.4"])
