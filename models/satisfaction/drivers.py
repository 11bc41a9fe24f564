"""What drives a low CSAT: a logistic regression with effect sizes and confidence intervals.

Outcome: CSAT ≤ 3 on an answered repair. Drivers, each in a unit a manager can read:

| driver | unit |
|---|---|
| ``days_late`` | per day the turnaround (intake → ready) exceeded the median for its repair type |
| ``price_rise`` | per +10 % of final price over the quote (price cuts count as 0) |
| ``rework`` | the visit was a warranty rework of an earlier repair |
| ``waited_for_parts`` | the repair waited for a part |
| ``junior_technician`` / ``expert_technician`` | against a senior technician |

Effects are reported three ways: the odds ratio per unit, the average marginal effect (change in
the probability of a low score, in percentage points, averaged over the answered repairs: for the
yes/no drivers the discrete change from no to yes), and the standardised coefficient (log-odds per
standard deviation), which ranks drivers measured in different units. Intervals are 95 % Wald
intervals of the maximum-likelihood fit (statsmodels).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import statsmodels.api as sm

from models.errors import ModelInputError

LOW_CSAT = 3
MIN_ANSWERS = 200
MAX_DAYS_LATE = 14.0
DRIVERS: dict[str, str] = {
    "days_late": "per day later than usual for the repair type",
    "price_rise": "per +10 % of final price over the quote",
    "rework": "warranty rework (yes vs no)",
    "waited_for_parts": "waited for a part (yes vs no)",
    "junior_technician": "junior vs senior technician",
    "expert_technician": "expert vs senior technician",
}
BINARY = {"rework", "waited_for_parts", "junior_technician", "expert_technician"}


class NotEnoughFeedbackError(ModelInputError):
    pass


@dataclass(frozen=True)
class DriverEffects:
    """``effects``: one row per driver, largest average marginal effect first."""

    effects: pl.DataFrame
    answers: int
    low_share: float
    pseudo_r2: float


def driver_features(repairs: pl.DataFrame) -> pl.DataFrame:
    """Answered, collected repairs with the driver columns and ``low`` (CSAT ≤ 3)."""
    answered = repairs.filter(
        pl.col("csat").is_not_null() & pl.col("turnaround_days").is_not_null()
    )
    typical = (
        answered.filter(~pl.col("waited_for_parts"))
        .group_by("repair_type")
        .agg(pl.col("turnaround_days").median().alias("typical_days"))
    )
    return (
        answered.join(typical, on="repair_type", how="left")
        .with_columns(
            (pl.col("turnaround_days") - pl.col("typical_days").fill_null(0))
            .clip(0, MAX_DAYS_LATE)
            .alias("days_late"),
            (pl.col("price_over_quote").fill_null(0).clip(0, None) * 10).alias("price_rise"),
            pl.col("is_rework").cast(pl.Float64).alias("rework"),
            pl.col("waited_for_parts").cast(pl.Float64),
            (pl.col("skill_level") == "junior")
            .fill_null(False)
            .cast(pl.Float64)
            .alias("junior_technician"),
            (pl.col("skill_level") == "expert")
            .fill_null(False)
            .cast(pl.Float64)
            .alias("expert_technician"),
            (pl.col("csat") <= LOW_CSAT).cast(pl.Float64).alias("low"),
        )
        .select("repair_id", *DRIVERS, "low")
    )


def low_score_drivers(repairs: pl.DataFrame) -> DriverEffects:
    """Fit P(CSAT ≤ 3) = logistic(drivers) and report each driver's effect with its interval."""
    frame = driver_features(repairs)
    if frame.height < MIN_ANSWERS or frame["low"].n_unique() < 2:
        raise NotEnoughFeedbackError(
            f"only {frame.height} answered repairs with a known turnaround; the driver model needs "
            f"at least {MIN_ANSWERS} with both low and high scores"
        )
    names = [name for name in DRIVERS if frame[name].std() > 0]
    x = frame.select(names).to_numpy()
    y = frame["low"].to_numpy()
    result = sm.Logit(y, sm.add_constant(x, has_constant="add")).fit(disp=0, maxiter=200)
    coef = np.asarray(result.params)[1:]
    interval = np.asarray(result.conf_int(0.05))[1:]
    margins = result.get_margeff(at="overall", method="dydx", dummy=True)
    margin_interval = np.asarray(margins.conf_int(0.05))
    effects = pl.DataFrame(
        {
            "driver": names,
            "meaning": [DRIVERS[name] for name in names],
            "odds_ratio": np.exp(coef),
            "odds_ratio_low": np.exp(interval[:, 0]),
            "odds_ratio_high": np.exp(interval[:, 1]),
            "effect_pp": 100 * np.asarray(margins.margeff),
            "effect_pp_low": 100 * margin_interval[:, 0],
            "effect_pp_high": 100 * margin_interval[:, 1],
            "standardised": coef * x.std(axis=0),
            "p_value": np.asarray(result.pvalues)[1:],
            "share_with": [
                float((frame[name] > 0).mean()) if name in BINARY else float(frame[name].mean())
                for name in names
            ],
        }
    ).sort("effect_pp", descending=True)
    return DriverEffects(
        effects=effects,
        answers=frame.height,
        low_share=float(y.mean()),
        pseudo_r2=float(result.prsquared),
    )
