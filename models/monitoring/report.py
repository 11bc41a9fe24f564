"""Is the production model of a kind still fit for the repairs coming in? One report per kind.

Input drift compares the production model's training window (the *reference*) with the repairs
received since it ended, at most the last ``RECENT_DAYS`` days (*recent*):

- **symptom vocabulary** (diagnostics): Jensen–Shannon divergence of the normalised word
  distributions, minus the divergence between a random part of the reference of the recent size
  (at most half) and the rest (small samples always look different; only the excess is drift);
- **device mix**: PSI of the device categories of repairs received;
- **demand level**: relative change of repairs received per day against the last
  ``RECENT_DAYS`` days of the training window.

Performance drift compares the hold-out score recorded in the registry with the score on
repairs completed *after* the training window (the feedback loop): diagnostics top-1 accuracy
of the production model (on the latest ``MAX_SCORED`` of them), and the realised error of the
production forecasts on the days whose actuals have arrived against a seasonal-naive forecast
from the same origin. Another family can contribute its own performance check with a
module-level ``performance_check(settings, entry)`` that returns a :class:`Check` or None.

Each check has a threshold; crossing any of them sets ``retrain_recommended``.
"""

from __future__ import annotations

import importlib
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from core.settings import Settings
from models import registry
from models.monitoring.compare import window_day
from models.monitoring.drift import js_divergence, psi, relative_change, token_counts, top_movers
from warehouse.reader import connect_read_only

RECENT_DAYS = 90
VOCABULARY_EXCESS_JS = 0.03
DEVICE_MIX_PSI = 0.2
DEMAND_CHANGE = 0.3
ACCURACY_DROP = 0.05
MIN_RECENT_LABELLED = 50
MIN_FORECAST_DAYS = 7
MAX_SCORED = 5_000
NOISE_DRAWS = 3
MAX_TEXTS = 20_000


@dataclass(frozen=True)
class Check:
    """One drift measure against its threshold."""

    name: str
    drift: Literal["input", "performance"]
    statistic: str
    value: float | None
    threshold: float
    detail: str
    two_sided: bool = False

    @property
    def exceeded(self) -> bool:
        if self.value is None or math.isnan(self.value):
            return False
        return (abs(self.value) if self.two_sided else self.value) > self.threshold


@dataclass(frozen=True)
class MonitoringReport:
    kind: str
    version: int | None
    reference: tuple[date, date] | None
    recent: tuple[date, date] | None
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def retrain_recommended(self) -> bool:
        return any(check.exceeded for check in self.checks)

    @property
    def reasons(self) -> list[str]:
        return [f"{c.name}: {c.detail}" for c in self.checks if c.exceeded]


@dataclass(frozen=True)
class Repairs:
    """The repairs of one period, as the drift checks need them."""

    start: date
    end: date
    categories: Counter[str]
    symptoms: list[str]

    @property
    def per_day(self) -> float:
        return sum(self.categories.values()) / ((self.end - self.start).days + 1)


def monitor(settings: Settings, kind: str) -> MonitoringReport:
    """The drift report of ``kind``'s production model on the published warehouse."""
    entry = registry.production(kind, settings=settings)
    if entry is None:
        return MonitoringReport(kind, None, None, None, notes=[f"no production {kind} model"])
    latest = _latest_received(settings)
    if latest is None:
        return MonitoringReport(kind, entry.version, None, None, notes=["the warehouse is empty"])
    ref_start = window_day(entry.window_start) or _earliest_received(settings)
    ref_end = min(window_day(entry.window_end) or latest, latest)
    if ref_end >= latest:
        return MonitoringReport(
            kind,
            entry.version,
            (ref_start, ref_end),
            None,
            notes=[
                f"no repairs received since the training window ended ({ref_end}): drift is "
                "measured once new repairs arrive (after the next ETL)"
            ],
        )
    recent_start = max(ref_end + timedelta(days=1), latest - timedelta(days=RECENT_DAYS - 1))
    reference = _repairs(settings, ref_start, ref_end)
    recent = _repairs(settings, recent_start, latest)
    # Demand is compared with the end of the training window, not its average, so a steady
    # trend over a long window does not read as a sudden shift.
    level = _repairs(settings, max(ref_start, ref_end - timedelta(days=RECENT_DAYS - 1)), ref_end)
    checks = [
        device_mix_check(reference.categories, recent.categories),
        demand_check(level.per_day, recent.per_day),
    ]
    if kind == "diagnostics":
        from models.diagnostics.text import normalise_text

        checks.insert(0, vocabulary_check(reference.symptoms, recent.symptoms, normalise_text))
        checks.append(diagnostics_performance(settings, entry, latest))
    elif kind == "forecast":
        checks.append(forecast_performance(settings, entry, latest))
    else:
        checks.append(_family_performance(settings, entry))
    return MonitoringReport(
        kind,
        entry.version,
        (ref_start, ref_end),
        (recent_start, latest),
        [c for c in checks if c is not None],
    )


def vocabulary_check(
    reference: list[str], recent: list[str], normalise=None, seed: int = 0
) -> Check:
    """JS divergence of recent symptom words from the training window's, beyond sampling noise."""
    rng = random.Random(seed)
    # Each side is capped at a seeded sample: the divergence of word shares settles long before.
    reference = _normalised(_capped(reference, rng, MAX_TEXTS), normalise)
    # At most half the reference, so the noise estimate below compares samples of these sizes.
    recent = _normalised(_capped(recent, rng, max(1, len(reference) // 2)), normalise)
    ref_counts, recent_counts = token_counts(reference), token_counts(recent)
    observed = js_divergence(ref_counts, recent_counts)
    if not recent or not reference or math.isnan(observed):
        return Check(
            "symptom vocabulary",
            "input",
            "JS divergence beyond sampling noise",
            None,
            VOCABULARY_EXCESS_JS,
            "no symptom text to compare",
        )
    noise = sum(_split_divergence(reference, len(recent), rng) for _ in range(NOISE_DRAWS))
    noise /= NOISE_DRAWS
    excess = observed - noise
    movers = ", ".join(
        f"{word} {move:+.1%}" for word, move in top_movers(ref_counts, recent_counts, 3)
    )
    return Check(
        "symptom vocabulary",
        "input",
        "JS divergence beyond sampling noise",
        excess,
        VOCABULARY_EXCESS_JS,
        f"JS {observed:.3f} against {noise:.3f} between two random parts of the training window; "
        f"biggest moves: {movers}",
    )


def _split_divergence(texts: list[str], size: int, rng: random.Random) -> float:
    """JS divergence between a random part of ``texts`` of ``size`` (at most half) and the rest:
    what two samples of these sizes from one distribution show by chance."""
    size = max(1, min(size, len(texts) // 2))
    chosen = set(rng.sample(range(len(texts)), size))
    part = [text for i, text in enumerate(texts) if i in chosen]
    rest = [text for i, text in enumerate(texts) if i not in chosen]
    return js_divergence(token_counts(rest), token_counts(part))


def _capped(texts: list[str], rng: random.Random, cap: int) -> list[str]:
    return texts if len(texts) <= cap else rng.sample(texts, cap)


def _normalised(texts: list[str], normalise) -> list[str]:
    return [normalise(text) for text in texts] if normalise else list(texts)


def device_mix_check(reference: Counter[str], recent: Counter[str]) -> Check:
    value = psi(reference, recent)
    movers = ", ".join(f"{name} {move:+.1%}" for name, move in top_movers(reference, recent, 3))
    return Check(
        "device mix",
        "input",
        "PSI of device categories",
        None if math.isnan(value) else value,
        DEVICE_MIX_PSI,
        f"PSI {value:.3f}; share moves: {movers}",
    )


def demand_check(reference_per_day: float, recent_per_day: float) -> Check:
    change = relative_change(reference_per_day, recent_per_day)
    return Check(
        "demand level",
        "input",
        "change in repairs received per day",
        None if math.isnan(change) else change,
        DEMAND_CHANGE,
        f"{recent_per_day:.1f} a day recently against {reference_per_day:.1f} in the training "
        f"window ({change:+.0%})",
        two_sided=True,
    )


def accuracy_check(holdout_top1: float, recent_top1: float | None, recent_rows: int) -> Check:
    """Top-1 accuracy lost since the hold-out (positive = worse now)."""
    if recent_top1 is None or recent_rows < MIN_RECENT_LABELLED:
        return Check(
            "top-1 accuracy",
            "performance",
            "drop in top-1 since the hold-out",
            None,
            ACCURACY_DROP,
            f"only {recent_rows} completed repairs since the training "
            f"window; needs {MIN_RECENT_LABELLED} to judge",
        )
    drop = holdout_top1 - recent_top1
    return Check(
        "top-1 accuracy",
        "performance",
        "drop in top-1 since the hold-out",
        drop,
        ACCURACY_DROP,
        f"{recent_top1:.3f} on {recent_rows:,} repairs completed since the training window "
        f"against {holdout_top1:.3f} on the hold-out",
    )


def diagnostics_performance(settings: Settings, entry: registry.Entry, latest: date) -> Check:
    """Score the production diagnostics model on repairs completed after its training window."""
    from models.diagnostics.metrics import ranked_codes, top_k_accuracy
    from models.diagnostics.store import load_production_model
    from models.diagnostics.train import cases_of, training_rows

    end = window_day(entry.window_end)
    rows = training_rows(settings, (end + timedelta(days=1), latest)) if end else None
    holdout = float(entry.metrics.get("top1", float("nan")))
    if rows is None or rows.height < MIN_RECENT_LABELLED:
        return accuracy_check(holdout, None, 0 if rows is None else rows.height)
    rows = rows.tail(MAX_SCORED)  # the most recent: enough for a ±1.5-point estimate
    loaded = load_production_model(settings)
    probabilities = loaded.model.predict_proba(cases_of(rows))
    ranked = ranked_codes(probabilities, loaded.model.fault_codes, 1)
    recent = top_k_accuracy(ranked, rows["fault_code"].to_list(), 1)
    return accuracy_check(holdout, recent, rows.height)


def forecast_performance(settings: Settings, entry: registry.Entry, latest: date) -> Check:
    """Realised error of the production daily forecasts on the days that have arrived since,
    relative to a seasonal-naive forecast made at the same origin (above 1: worse than naive)."""
    import io

    import pandas as pd

    from models.forecasting.demand import daily_demand, demand_series

    origin = window_day(entry.window_end)
    backtest = entry.metrics.get("median_mase"), entry.metrics.get("median_seasonal_naive_mase")
    forecasts = pd.read_parquet(io.BytesIO(registry.load_artifact(entry)))
    daily = forecasts[forecasts["freq"] == "D"]
    connection = connect_read_only(settings)
    try:
        actual = demand_series(
            daily_demand(connection, (origin - timedelta(days=6), latest)), ("D",)
        )
    finally:
        connection.close()
    model_error = naive_error = 0.0
    days, inside = set(), []
    for series_id, rows in daily.groupby("series_id"):
        values = actual.get(series_id)
        if values is None or len(values) < 8:
            continue
        history = values[values.index <= pd.Timestamp(origin)].to_numpy()[-7:]
        arrived = rows[rows["ds"].isin(values.index[values.index > pd.Timestamp(origin)])]
        for row in arrived.itertuples():
            y = float(values[row.ds])
            h = (row.ds - pd.Timestamp(origin)).days
            model_error += abs(y - row.yhat)
            naive_error += abs(y - history[(h - 1) % 7])
            inside.append(row.yhat_lower <= y <= row.yhat_upper)
            days.add(row.ds)
    if len(days) < MIN_FORECAST_DAYS or naive_error == 0:
        return Check(
            "forecast error",
            "performance",
            "realised MAE / seasonal naive MAE",
            None,
            1.0,
            f"{len(days)} forecast day(s) have actuals so far; needs {MIN_FORECAST_DAYS} to judge",
        )
    ratio = float(model_error / naive_error)
    expected = (
        f"; the backtest had {backtest[0] / backtest[1]:.2f}"
        if all(isinstance(v, int | float) and v for v in backtest)
        else ""
    )
    return Check(
        "forecast error",
        "performance",
        "realised MAE / seasonal naive MAE",
        ratio,
        1.0,
        f"{ratio:.2f} over {len(days)} day(s) of actuals since {origin}{expected}; "
        f"{sum(inside) / len(inside):.0%} of actuals inside the forecast intervals",
    )


def _family_performance(settings: Settings, entry: registry.Entry) -> Check | None:
    from models.training import FAMILIES

    item = FAMILIES.get(entry.kind)
    hook = (
        getattr(importlib.import_module(item.module), "performance_check", None) if item else None
    )
    if hook is not None:
        return hook(settings, entry)
    return Check(
        "performance",
        "performance",
        "not measured",
        None,
        math.inf,
        f"{entry.kind} records no feedback to score against yet",
    )


def _repairs(settings: Settings, start: date, end: date) -> Repairs:
    connection = connect_read_only(settings)
    try:
        rows = connection.execute(
            "SELECT device_category, reported_symptoms FROM fct_repairs "
            "WHERE received_date BETWEEN ? AND ?",
            [start, end],
        ).fetchall()
    finally:
        connection.close()
    return Repairs(
        start,
        end,
        Counter(category or "unknown" for category, _ in rows),
        [text for _, text in rows if text and text.strip()],
    )


def _latest_received(settings: Settings) -> date | None:
    return _scalar(settings, "SELECT max(received_date) FROM fct_repairs")


def _earliest_received(settings: Settings) -> date:
    return _scalar(settings, "SELECT min(received_date) FROM fct_repairs")


def _scalar(settings: Settings, sql: str):
    connection = connect_read_only(settings)
    try:
        return connection.execute(sql).fetchone()[0]
    finally:
        connection.close()
