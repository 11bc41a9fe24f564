"""Lifetime value on the warehouse: fit BG/NBD + Gamma-Gamma on customer visits, register them.

Transactions are customer visits (:func:`models.clv.history.transactions`: reworks and desk
cancellations left out, one row per repair with its revenue), keyed by the deduplicated customer,
in weeks. Evaluation holds out the last ``holdout_weeks`` (26, or a third of a shorter history):
both models are fitted on the weeks before and forecast each customer's repeat repair days in the
hold-out, against the **run-rate baseline** (each customer keeps their calibration rate
``frequency / T``). The production artifact is then refitted on the whole history, so scoring uses
every visit. It is JSON (the seven parameters and the end of the data), not code.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl

from core.settings import Settings
from models import registry
from models.clv.bgnbd import BgNbdParams, expected_purchases, fit_bgnbd, p_alive
from models.clv.errors import ClvInputError
from models.clv.gamma_gamma import GammaGammaParams, expected_average_value, fit_gamma_gamma
from models.clv.history import (
    NotEnoughHistoryError,
    fit_sample,
    last_day,
    read_customer_repairs,
    transactions,
    weeks_between,
)
from models.clv.rfm import holdout_summary, rfm_summary
from models.clv.value import clv_report
from models.errors import ModelInputError
from warehouse.reader import warehouse_version

KIND = "clv"
TIME_UNIT = "W"
MAX_HOLDOUT_WEEKS = 26
DEFAULT_HORIZON_WEEKS = 52


class ClvNotTrainedError(ModelInputError):
    """No production CLV model; ``str(error)`` says what to run."""


def holdout_weeks(first: date, end: date) -> int:
    """26 weeks, or a third of the history when that is shorter (at least 4)."""
    return max(4, min(MAX_HOLDOUT_WEEKS, int(weeks_between(first, end) // 3)))


def evaluate_holdout(tx: pl.DataFrame, end: date, weeks: int) -> dict[str, float]:
    """Fit on the history before the last ``weeks`` weeks and score the repeat visits in them."""
    calibration_end = end - timedelta(weeks=weeks)
    params, forecast = clv_report(tx, calibration_end, TIME_UNIT, horizon=weeks)
    actual = holdout_summary(tx, calibration_end, end, TIME_UNIT)
    joined = forecast.join(actual, on="customer_id", how="left")
    truth = joined["frequency_holdout"].fill_null(0).to_numpy().astype(float)
    model = joined["expected_purchases"].to_numpy()
    run_rate = (joined["frequency"] / joined["T"]).fill_nan(0).to_numpy() * weeks
    spend_truth = truth * joined["monetary_value_holdout"].fill_null(0).to_numpy()
    spend_model = joined["expected_value"].to_numpy()
    spend_baseline = run_rate * joined["monetary_value"].to_numpy()
    return {
        "holdout_weeks": weeks,
        "calibration_end": calibration_end.isoformat(),
        "customers": joined.height,
        "repeat_customers": params["repeat_customers"],
        "actual_repeat_visits": float(truth.sum()),
        "predicted_repeat_visits": float(model.sum()),
        "baseline_repeat_visits": float(run_rate.sum()),
        "mae": float(np.abs(model - truth).mean()),
        "baseline_mae": float(np.abs(run_rate - truth).mean()),
        "rmse": float(np.sqrt(((model - truth) ** 2).mean())),
        "baseline_rmse": float(np.sqrt(((run_rate - truth) ** 2).mean())),
        "value_mae": float(np.abs(spend_model - spend_truth).mean()),
        "baseline_value_mae": float(np.abs(spend_baseline - spend_truth).mean()),
    }


def fit_params(tx: pl.DataFrame, end: date) -> dict[str, dict[str, float]]:
    """Both models fitted on the whole history (a fixed sample of at most ``MAX_FIT_CUSTOMERS``
    customers: population parameters need no more, and the full fit on a million-repair history
    spent minutes on the optimiser's polish)."""
    summary = fit_sample(rfm_summary(tx, end, TIME_UNIT))
    x, t_x, t_cal, m = (
        summary[c].to_numpy().astype(float) for c in ("frequency", "recency", "T", "monetary_value")
    )
    return {
        "bgnbd": fit_bgnbd(x, t_x, t_cal).as_dict(),
        "gamma_gamma": fit_gamma_gamma(x, m).as_dict(),
    }


def train_clv(
    settings: Settings,
    window: tuple[date, date] | None = None,
    *,
    promote: bool = False,
    started_by: str | None = None,
    parameters: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> registry.Entry:
    """Evaluate on the hold-out, refit on everything, register (promote the first or on request)."""
    say = progress or (lambda _message: None)
    version_read = warehouse_version(settings)
    repairs = read_customer_repairs(settings, window)
    tx = transactions(repairs)
    end = last_day(repairs)
    first = tx["date"].min()
    weeks = int((parameters or {}).get("holdout_weeks", holdout_weeks(first, end)))
    say(f"read {tx.height:,} customer visits from warehouse {version_read}")
    try:
        metrics = evaluate_holdout(tx, end, weeks)
        final = fit_params(tx, end)
    except ClvInputError as error:
        raise NotEnoughHistoryError(f"cannot fit lifetime value on this history: {error}") from None
    say(
        f"hold-out {weeks} weeks: repeat visits "
        f"{metrics['predicted_repeat_visits']:.0f} predicted, "
        f"{metrics['actual_repeat_visits']:.0f} actual"
    )
    artifact = {
        "format": 1,
        "bgnbd": final["bgnbd"],
        "gamma_gamma": final["gamma_gamma"],
        "time_unit": TIME_UNIT,
        "data_end": end.isoformat(),
    }
    user = started_by or registry.current_user()
    entry = registry.register(
        KIND,
        json.dumps(artifact, sort_keys=True).encode(),
        artifact_name="model.json",
        started_by=user,
        parameters={
            "holdout_weeks": weeks,
            "time_unit": TIME_UNIT,
            **final["bgnbd"],
            **final["gamma_gamma"],
        },
        metrics=metrics,
        window=(first, end),
        warehouse_version=version_read,
        settings=settings,
    )
    return registry.promote_if_first(entry, requested=promote, by=user, settings=settings)


def describe_entry(entry: registry.Entry) -> str:
    m = entry.metrics
    return (
        f"clv v{entry.version} ({entry.status}) trained on {entry.window_start} … "
        f"{entry.window_end}: {m['holdout_weeks']}-week hold-out repeat visits "
        f"{m['predicted_repeat_visits']:.0f} predicted vs {m['actual_repeat_visits']:.0f} actual "
        f"(run-rate baseline {m['baseline_repeat_visits']:.0f}); per-customer RMSE "
        f"{m['rmse']:.3f} (baseline {m['baseline_rmse']:.3f}), MAE {m['mae']:.3f} "
        f"({m['baseline_mae']:.3f})"
    )


def load_params(settings: Settings) -> tuple[registry.Entry, BgNbdParams, GammaGammaParams]:
    """The production CLV parameters, or :class:`ClvNotTrainedError`."""
    entry = registry.production(KIND, settings=settings)
    if entry is None:
        raise ClvNotTrainedError("no lifetime value model yet: run `repairlens train clv`")
    data = json.loads(registry.load_artifact(entry))
    return entry, BgNbdParams(**data["bgnbd"]), GammaGammaParams(**data["gamma_gamma"])


def score_customers(
    bgnbd: BgNbdParams,
    gamma_gamma: GammaGammaParams,
    repairs: pl.DataFrame,
    as_of: date,
    horizon_weeks: int = DEFAULT_HORIZON_WEEKS,
) -> pl.DataFrame:
    """Per customer as of ``as_of``: ``frequency, recency, T, monetary_value, p_alive,
    expected_repairs`` (over the horizon) ``, expected_average_value, expected_value``."""
    summary = rfm_summary(transactions(repairs), as_of, TIME_UNIT)
    x, t_x, t_cal, m = (
        summary[c].to_numpy().astype(float) for c in ("frequency", "recency", "T", "monetary_value")
    )
    repairs_ahead = expected_purchases(bgnbd, horizon_weeks, x, t_x, t_cal)
    average = expected_average_value(gamma_gamma, x, m)
    return summary.with_columns(
        pl.Series("p_alive", p_alive(bgnbd, x, t_x, t_cal)),
        pl.Series("expected_repairs", repairs_ahead),
        pl.Series("expected_average_value", average),
        pl.Series("expected_value", repairs_ahead * average),
    )
