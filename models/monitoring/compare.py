"""A candidate against production on the same hold-out.

For diagnostics both artifacts are loaded from the registry (checksums verified) and scored on
one set of rows: the hold-out of the candidate's training window (its last 15 % by time), which
the candidate never saw. If production was trained on a later window it may have seen those
rows; the comparison says so. Other kinds are compared on the metrics each version registered
on its own hold-out, side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl

from core.settings import Settings
from models import registry

CALIBRATION_BINS = 10
CONFUSION_CODES = 8
# Metrics shown for diagnostics, in order, with the label the page uses.
DIAGNOSTICS_METRICS = {
    "top1": "top-1 accuracy",
    "top3": "top-3 accuracy",
    "ece": "expected calibration error",
    "bench_rate": "bench diagnosis recommended",
    "accepted_top1": "top-1 when not sent to the bench",
    "baseline_top1": "keyword baseline top-1",
    "baseline_top3": "keyword baseline top-3",
}


@dataclass(frozen=True)
class Comparison:
    """Metrics per version (columns ``metric`` then one per version label), and for
    diagnostics the calibration bins and confusion counts of each version."""

    kind: str
    labels: tuple[str, ...]
    holdout: str
    metrics: pl.DataFrame
    calibration: pl.DataFrame | None = None
    confusion: pl.DataFrame | None = None
    notes: list[str] = field(default_factory=list)


def label(item: registry.Entry) -> str:
    return f"v{item.version} ({item.status})"


def compare(
    settings: Settings, candidate: registry.Entry, production: registry.Entry
) -> Comparison:
    """Candidate against production: on one shared hold-out for diagnostics, otherwise the
    metrics each registered."""
    if candidate.kind == "diagnostics":
        return compare_diagnostics(settings, candidate, production)
    return compare_registered(candidate, production)


def compare_registered(*items: registry.Entry) -> Comparison:
    """The numeric metrics each version registered, one column per version."""
    names = sorted({k for item in items for k, v in item.metrics.items() if _numeric(v)})
    frame = pl.DataFrame(
        {"metric": names}
        | {label(item): [_float(item.metrics.get(name)) for name in names] for item in items}
    )
    return Comparison(
        items[0].kind,
        tuple(label(item) for item in items),
        "each version's own hold-out, as registered",
        frame,
        notes=[
            "these are the metrics each version registered on the hold-out of its own training "
            "window; they are comparable when the windows match"
        ],
    )


def compare_diagnostics(
    settings: Settings, candidate: registry.Entry, production: registry.Entry
) -> Comparison:
    from models.diagnostics.train import (
        baseline_from_rows,
        cases_of,
        evaluate,
        time_split,
        training_rows,
    )

    window = _window(candidate)
    rows = training_rows(settings, window)
    if rows.height == 0:
        raise registry.RegistryError(
            f"no completed repairs in the training window of {label(candidate)} "
            "in the current warehouse"
        )
    fit_part, _, holdout = time_split(rows.height)
    test = rows[holdout]
    cases, labels = cases_of(test), test["fault_code"].to_numpy()
    baseline = baseline_from_rows(rows[fit_part])
    items = (candidate, production)
    metric_columns, calibration, confusion = {}, [], []
    loaded: dict[str, object] = {}  # by checksum: a re-registered artifact is loaded once
    for item in items:
        if item.artifact_sha256 not in loaded:
            loaded[item.artifact_sha256] = _load_diagnostics(item)
        model = loaded[item.artifact_sha256]
        evaluation = evaluate(model, baseline, cases, labels).as_dict()
        metric_columns[label(item)] = [evaluation[name] for name in DIAGNOSTICS_METRICS]
        probabilities = model.predict_proba(cases)
        top = probabilities.argmax(axis=1)
        predicted = np.array(model.fault_codes)[top]
        confidence = probabilities.max(axis=1)
        calibration.append(
            calibration_bins(confidence, predicted == labels).with_columns(
                pl.lit(label(item)).alias("version")
            )
        )
        confusion.append(
            confusion_counts(labels.tolist(), predicted.tolist()).with_columns(
                pl.lit(label(item)).alias("version")
            )
        )
    start, end = test["received_date"].min(), test["received_date"].max()
    notes = []
    production_end = window_day(production.window_end)
    if production_end is not None and production_end >= start:
        notes.append(
            f"{label(production)} was trained on data up to {production_end}, which overlaps "
            "this hold-out: its figures here are optimistic"
        )
    return Comparison(
        "diagnostics",
        tuple(label(item) for item in items),
        f"{test.height:,} completed repairs received {start} … {end} (the hold-out of "
        f"{label(candidate)}'s training window)",
        pl.DataFrame({"metric": list(DIAGNOSTICS_METRICS.values())} | metric_columns),
        pl.concat(calibration),
        pl.concat(confusion),
        notes,
    )


def calibration_bins(
    confidence: np.ndarray, correct: np.ndarray, bins: int = CALIBRATION_BINS
) -> pl.DataFrame:
    """Reliability diagram data: per equal-width confidence bin with members, the mean
    confidence, the accuracy and the count."""
    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=float)
    which = np.clip((confidence * bins).astype(int), 0, bins - 1)
    out = []
    for b in range(bins):
        members = which == b
        if members.any():
            out.append(
                (
                    b,
                    float(confidence[members].mean()),
                    float(correct[members].mean()),
                    int(members.sum()),
                )
            )
    return pl.DataFrame(
        out, schema=["bin", "confidence", "accuracy", "count"], orient="row"
    ).with_columns(pl.col("bin").cast(pl.Int64), pl.col("count").cast(pl.Int64))


def confusion_counts(
    actual: list[str], predicted: list[str], top: int = CONFUSION_CODES
) -> pl.DataFrame:
    """Counts of (actual, predicted) top-1 codes; codes outside the ``top`` most frequent actual
    codes are pooled as ``other`` so the matrix stays readable."""
    frame = pl.DataFrame(
        {"actual": actual, "predicted": predicted},
        schema={"actual": pl.String, "predicted": pl.String},
    )
    keep = (
        frame.group_by("actual")
        .len()
        .sort(["len", "actual"], descending=[True, False])
        .head(top)["actual"]
        .to_list()
    )

    def pooled(column: str) -> pl.Expr:
        return pl.when(pl.col(column).is_in(keep)).then(pl.col(column)).otherwise(pl.lit("other"))

    return (
        frame.with_columns(pooled("actual"), pooled("predicted"))
        .group_by("actual", "predicted")
        .len(name="count")
        .sort("actual", "predicted")
    )


def _load_diagnostics(item: registry.Entry):
    from models.diagnostics.store import TRUSTED_TYPES, model_from_artifact
    from models.registry.store import loads_skops

    model, _prices = model_from_artifact(loads_skops(registry.load_artifact(item), TRUSTED_TYPES))
    return model


def _window(item: registry.Entry) -> tuple[date, date] | None:
    start, end = window_day(item.window_start), window_day(item.window_end)
    if start is None and end is None:
        return None
    return start or date.min, end or date.max


def window_day(text: str | None) -> date | None:
    """The day of a registry entry's window bound (stored as text), or None when open."""
    return None if not text else date.fromisoformat(str(text)[:10])


def _numeric(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _float(value: object) -> float | None:
    return float(value) if _numeric(value) else None
