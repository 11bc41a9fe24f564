"""Why a customer is at risk (exact TreeSHAP values of the churn model) and what to do about it."""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from models.churn.features import MODEL_FEATURES

TOP_REASONS = 3
RECOVERABLE_DAYS = 540  # beyond this a customer is lost rather than at risk

# The suggested action for the strongest reason, by feature.
ACTIONS: dict[str, str] = {
    "last_csat": "call back about their last visit",
    "min_csat": "call back: they once rated us poorly",
    "last_nps": "call back about their last visit",
    "reworks": "offer a free check of the repaired device",
    "last_price_over_quote": "explain the final price; goodwill voucher",
    "max_price_over_quote": "explain the final price; goodwill voucher",
    "last_waited_for_parts": "apologise for the wait; priority next time",
    "last_turnaround_days": "apologise for the wait; priority next time",
    "last_junior_technician": "book them with a senior technician next time",
    "days_since_last": "reminder with a seasonal check-up offer",
    "visits": "welcome-back offer for a second repair",
    "tenure_days": "reminder with a seasonal check-up offer",
    "last_device_age_years": "trade-in or upgrade offer",
    "cancellations": "revisit the declined quote with a better price",
    "overdue": "reminder with a seasonal check-up offer",
    "p_alive": "personal reminder with a small loyalty discount",
}
DEFAULT_ACTION = "personal reminder with a small loyalty discount"


NEGATED = {
    "last_waited_for_parts": "last repair did not wait for a part",
    "last_junior_technician": "last repair not by a junior technician",
    "last_expert_technician": "last repair not by an expert technician",
}


def _describe(feature: str, value: float) -> str:
    label = MODEL_FEATURES[feature]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return f"{label}: none"
    if feature in {"last_price_over_quote", "max_price_over_quote"}:
        return f"{label}: {value:+.0%}"
    if feature in NEGATED:
        return label if value >= 0.5 else NEGATED[feature]
    return f"{label}: " + f"{value:,.1f}".removesuffix(".0")


def shap_values(model, x: np.ndarray) -> np.ndarray:
    """Exact TreeSHAP values (log-odds of churn) of a fitted tree ensemble, one row per row."""
    import shap  # slow to import: only when explaining

    return np.asarray(shap.TreeExplainer(model).shap_values(x))


def reasons(model, frame: pl.DataFrame, features: list[str]) -> pl.DataFrame:
    """Per customer: the ``TOP_REASONS`` features pushing hardest toward churn (``reason_k``, its
    SHAP ``push_k`` in log-odds) and the ``action`` that answers the strongest one."""
    x = frame.select(features).to_numpy().astype(float)
    values = shap_values(model, x)
    order = np.argsort(-values, axis=1)[:, :TOP_REASONS]
    columns: dict[str, list] = {"customer_id": frame["customer_id"].to_list(), "action": []}
    for k in range(TOP_REASONS):
        columns[f"reason_{k + 1}"] = []
        columns[f"push_{k + 1}"] = []
    for row, top in enumerate(order):
        for k, index in enumerate(top):
            push = float(values[row, index])
            text = _describe(features[index], x[row, index]) if push > 0 else ""
            columns[f"reason_{k + 1}"].append(text)
            columns[f"push_{k + 1}"].append(push)
        strongest = features[top[0]]
        columns["action"].append(
            ACTIONS.get(strongest, DEFAULT_ACTION) if values[row, top[0]] > 0 else "no action"
        )
    return pl.DataFrame(columns)


def at_risk(
    scores: pl.DataFrame, value: pl.DataFrame | None = None, top: int = 100
) -> pl.DataFrame:
    """The call list: customers still recoverable (last visit within ``RECOVERABLE_DAYS``),
    ranked by value at risk = churn probability × expected value (from the CLV scores when given,
    otherwise revenue per visit so far)."""
    recoverable = scores.filter(pl.col("days_since_last") <= RECOVERABLE_DAYS)
    if value is not None:
        recoverable = recoverable.join(
            value.select("customer_id", "expected_value"), on="customer_id", how="left"
        )
    else:
        recoverable = recoverable.with_columns(pl.lit(None, pl.Float64).alias("expected_value"))
    return (
        recoverable.with_columns(
            (pl.col("churn_probability") * pl.col("expected_value").fill_null(0)).alias(
                "value_at_risk_eur"
            )
        )
        .sort(["value_at_risk_eur", "churn_probability"], descending=True)
        .head(top)
    )
