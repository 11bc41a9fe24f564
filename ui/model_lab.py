"""The Model Lab's logic: registry tables, training requests, job streams, comparisons, drift.

Pages call these with widget values. Everything reads the live registry and job store (both
small SQLite files), except the comparison and the drift report, which are cached by the
warehouse version and the model versions they describe, so they recompute exactly when one of
those changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import altair as alt
import polars as pl
import streamlit as st

from core.settings import get_settings
from models import jobs, registry
from models.jobs import Job
from models.monitoring import Comparison, MonitoringReport, compare, monitor
from models.registry.store import previous_production
from models.training import FAMILIES, Family
from warehouse.reader import warehouse_version

LOG_TAIL = 15  # the latest lines of a running job; the store keeps them all


@dataclass(frozen=True)
class ParameterField:
    """One hyperparameter as the training form shows it."""

    name: str
    default: Any
    widget: str  # "bool", "int", "float", "choice" or "text"
    choices: tuple[Any, ...] = ()


def families() -> dict[str, Family]:
    """The trainable families, read from the catalogue at each run (new families appear)."""
    return dict(FAMILIES)


def parameter_fields(item: Family) -> list[ParameterField]:
    fields = []
    for name, default in item.default_parameters().items():
        choices = tuple(item.choices.get(name, ()))
        if choices:
            widget = "choice"
        elif isinstance(default, bool):
            widget = "bool"
        elif isinstance(default, int):
            widget = "int"
        elif isinstance(default, float):
            widget = "float"
        else:
            widget = "text"
        fields.append(ParameterField(name, default, widget, choices))
    return fields


def versions_frame(kind: str) -> pl.DataFrame:
    """One row per registered version of ``kind``, newest first, with its numeric metrics."""
    items = registry.entries(kind, settings=get_settings())
    metric_names = sorted(
        {k for item in items for k, v in item.metrics.items() if _is_number(v)} - {"rows"}
    )
    rows = [
        {
            "version": item.version,
            "status": item.status,
            "trained_at": item.trained_at.strftime("%Y-%m-%d %H:%M"),
            "started_by": item.started_by,
            "window": window_text(item.window_start, item.window_end),
            **{name: _number(item.metrics.get(name)) for name in metric_names},
            "warehouse_version": item.warehouse_version or "",
            "sha256": item.artifact_sha256[:12],
            "artifact": str(item.artifact_path),
        }
        for item in items
    ]
    return pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame()


def production_summary(item: Family) -> str | None:
    """The family's one-line description of its production version, if one exists."""
    current = registry.production(item.kind, settings=get_settings())
    if current is None:
        return None
    try:
        return item.describe(current)
    except (KeyError, TypeError, ValueError):  # an entry from before the family's metrics changed
        return f"{item.kind} v{current.version} ({current.status})"


def start_training(
    kind: str,
    user: str,
    start: date | None,
    end: date | None,
    values: dict[str, Any],
    promote: bool,
) -> Job:
    """Start a background job; raises ``JobInputError``/``JobConflictError`` with a message."""
    if not user.strip():
        raise jobs.JobInputError("enter your name first: it goes into the registry and audit trail")
    defaults = FAMILIES[kind].default_parameters()
    changed = {name: value for name, value in values.items() if value != defaults.get(name)}
    return jobs.start_job(
        get_settings(),
        kind,
        started_by=user,
        window=(start, end),
        parameters=changed,
        promote=promote,
    )


def latest_jobs(kind: str, limit: int = 10) -> list[Job]:
    """The latest jobs of ``kind``, newest first (one read and one stale check per refresh); a
    running job is among them, as no other job of its kind can start while it runs."""
    return jobs.list_jobs(get_settings(), kind, limit)


def job_log(job_id: str, tail: int = LOG_TAIL) -> list[str]:
    lines = jobs.log_lines(get_settings(), job_id, last=tail)
    return [f"{line.logged_at:%H:%M:%S}  {line.line}" for line in lines]


def cancel(job_id: str, user: str) -> Job:
    return jobs.cancel_job(get_settings(), job_id, by=user or None)


def jobs_frame(recent: list[Job]) -> pl.DataFrame:
    """The jobs from ``latest_jobs``: who, when, how long, outcome."""
    rows = [
        {
            "job": job.job_id,
            "state": job.state,
            "started_by": job.started_by,
            "started": f"{job.created_at:%Y-%m-%d %H:%M:%S}",
            "duration_s": round(job.elapsed().total_seconds(), 1),
            "version": job.entry_version,
            "window": window_text(job.window_start, job.window_end),
            "parameters": ", ".join(f"{k}={v}" for k, v in sorted(job.parameters.items())),
            "error": job.error or "",
        }
        for job in recent
    ]
    return pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame()


def candidates(kind: str) -> list[int]:
    """Versions that could be promoted (everything not in production), newest first."""
    return [
        e.version
        for e in registry.entries(kind, settings=get_settings())
        if e.status != "production"
    ]


def production_version(kind: str) -> int | None:
    return registry.production_version(kind, settings=get_settings())


def rollback_target(kind: str) -> int | None:
    """The version a rollback would restore, or None when there is nothing to go back to."""
    current = production_version(kind)
    if current is None:
        return None
    history = [
        (event.version, event.action)
        for event in registry.events(kind, settings=get_settings())
        if event.action in ("promoted", "rolled back")
    ]
    return previous_production(history, current)


def promote(kind: str, version: int, user: str, reason: str) -> registry.Entry:
    _require(user, reason)
    return registry.promote(
        kind, version, by=user.strip(), reason=reason.strip(), settings=get_settings()
    )


def rollback(kind: str, user: str, reason: str) -> registry.Entry:
    _require(user, reason)
    return registry.rollback(kind, by=user.strip(), reason=reason.strip(), settings=get_settings())


def audit_frame(kind: str) -> pl.DataFrame:
    """The registry's audit trail of ``kind``, newest first."""
    rows = [
        {
            "when": f"{event.occurred_at:%Y-%m-%d %H:%M:%S}",
            "version": event.version,
            "action": event.action,
            "by": event.actor,
            "reason": event.reason,
        }
        for event in reversed(registry.events(kind, settings=get_settings()))
    ]
    return pl.DataFrame(rows) if rows else pl.DataFrame()


def current_warehouse() -> str | None:
    return warehouse_version(get_settings())


@st.cache_data(ttl=3600, max_entries=16, show_spinner="Scoring both models on the hold-out…")
def comparison(warehouse: str | None, kind: str, candidate: int, production: int) -> Comparison:
    """Candidate against production (cached per warehouse and version pair)."""
    settings = get_settings()
    return compare(
        settings,
        registry.entry(kind, candidate, settings=settings),
        registry.entry(kind, production, settings=settings),
    )


@st.cache_data(ttl=600, max_entries=16, show_spinner="Measuring drift…")
def monitoring(warehouse: str | None, kind: str, production: int | None) -> MonitoringReport:
    """The drift report of ``kind`` (cached per warehouse and production version)."""
    return monitor(get_settings(), kind)


def checks_frame(report: MonitoringReport) -> pl.DataFrame:
    rows = [
        {
            "check": check.name,
            "drift": check.drift,
            "statistic": check.statistic,
            "value": None if check.value is None else round(check.value, 4),
            "threshold": None if check.threshold == float("inf") else check.threshold,
            "status": "retrain" if check.exceeded else ("n/a" if check.value is None else "ok"),
            "detail": check.detail,
        }
        for check in report.checks
    ]
    return pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame()


def metric_deltas(result: Comparison) -> pl.DataFrame:
    """The comparison's metrics with a ``difference`` column (candidate − production)."""
    first, second = result.labels
    return result.metrics.with_columns(
        (pl.col(first) - pl.col(second)).round(4).alias("difference")
    )


def calibration_chart(frame: pl.DataFrame) -> alt.LayerChart:
    """Reliability diagram: accuracy against mean confidence per bin, one line per version."""
    diagonal = (
        alt.Chart(pl.DataFrame({"confidence": [0.0, 1.0], "accuracy": [0.0, 1.0]}))
        .mark_line(strokeDash=[4, 4], color="gray")
        .encode(x="confidence:Q", y="accuracy:Q")
    )
    lines = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X("confidence:Q", title="mean confidence", scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("accuracy:Q", title="accuracy", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("version:N"),
            tooltip=["version", "confidence", "accuracy", "count"],
        )
    )
    return (diagonal + lines).properties(height=320)


def confusion_chart(frame: pl.DataFrame) -> alt.FacetChart:
    """Top-1 confusion counts, actual against predicted, one panel per version."""
    return (
        alt.Chart(frame)
        .mark_rect()
        .encode(
            x=alt.X("predicted:N", title="predicted"),
            y=alt.Y("actual:N", title="actual"),
            color=alt.Color("count:Q", scale=alt.Scale(scheme="blues")),
            tooltip=["version", "actual", "predicted", "count"],
        )
        .properties(width=320, height=320)
        .facet(column=alt.Column("version:N", title=None))
    )


def window_text(start: str | None, end: str | None) -> str:
    """A training window as the tables show it; open ends read as the history's own ends."""
    if start is None and end is None:
        return "whole history"
    return f"{start or 'start'} … {end or 'latest'}"


def _require(user: str, reason: str) -> None:
    if not user.strip():
        raise registry.RegistryError("enter your name first: the audit trail records who")
    if not reason.strip():
        raise registry.RegistryError("give a reason: the audit trail records why")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(value: object) -> float | None:
    return float(value) if _is_number(value) else None
