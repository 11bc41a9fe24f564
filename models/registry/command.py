"""`repairlens models …`: the registry and training jobs from the command line, for schedulers
and analysts.

Register the group with ``app.add_typer(models_app, name="models")``. The module imports only
the registry (SQLite) and typer; the job commands import the rest when they run, so the CLI
stays quick to start.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer

from core.settings import Settings, get_settings
from models.registry.store import Entry, RegistryError, current_user, entries, promote, rollback

models_app = typer.Typer(
    help="List, promote and roll back registered models; run training jobs.",
    no_args_is_help=True,
)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def _settings() -> Settings:
    from pydantic import ValidationError

    try:
        return get_settings()
    except ValidationError as error:
        first = error.errors()[0]
        raise _fail(f"invalid setting {first['loc'][0]}: {first['msg']}") from None


def _actor(by: str | None) -> str:
    return (by or "").strip() or current_user()


def entry_line(item: Entry) -> str:
    """One registry entry as one line: identity, provenance, then its hold-out metrics."""
    window = f"{item.window_start or '…'}..{item.window_end or '…'}"
    metrics = ", ".join(
        f"{name}={value:.4g}" if isinstance(value, float) else f"{name}={value}"
        for name, value in sorted(item.metrics.items())
    )
    return (
        f"{item.kind}\tv{item.version}\t{item.status}\t{item.trained_at:%Y-%m-%d %H:%M}\t"
        f"{item.started_by}\t{window}\t{metrics}"
    )


@models_app.command("list")
def list_models(
    kind: Annotated[str | None, typer.Argument(help="Only this model kind.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Every registered version (of one kind), newest first, with status and hold-out metrics."""
    current = _settings()
    found = entries(kind, settings=current)
    if kind is not None and not found:
        raise _fail(f"no {kind} models in the registry (train one with `repairlens train {kind}`)")
    if not as_json:
        typer.echo("kind\tversion\tstatus\ttrained_at\tstarted_by\twindow\tmetrics")
    for item in found:
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "kind": item.kind,
                        "version": item.version,
                        "status": item.status,
                        "trained_at": item.trained_at.isoformat(),
                        "started_by": item.started_by,
                        "window_start": item.window_start,
                        "window_end": item.window_end,
                        "warehouse_version": item.warehouse_version,
                        "parameters": item.parameters,
                        "metrics": item.metrics,
                        "artifact_path": str(item.artifact_path),
                        "artifact_sha256": item.artifact_sha256,
                    },
                    default=str,
                )
            )
        else:
            typer.echo(entry_line(item))


@models_app.command("promote")
def promote_model(
    kind: Annotated[str, typer.Argument(help="Model kind, e.g. diagnostics.")],
    version: Annotated[int, typer.Argument(help="The version to put in production.")],
    reason: Annotated[str, typer.Option(help="Why, for the audit trail.")],
    by: Annotated[str | None, typer.Option(help="Who (defaults to the login name).")] = None,
) -> None:
    """Put a version in production; the previous production version is archived."""
    current = _settings()
    try:
        item = promote(kind, version, by=_actor(by), reason=reason, settings=current)
    except RegistryError as error:
        raise _fail(str(error)) from None
    typer.echo(f"{item.kind} v{item.version} is now in production", err=True)


@models_app.command("rollback")
def rollback_model(
    kind: Annotated[str, typer.Argument(help="Model kind, e.g. diagnostics.")],
    reason: Annotated[str, typer.Option(help="Why, for the audit trail.")],
    by: Annotated[str | None, typer.Option(help="Who (defaults to the login name).")] = None,
) -> None:
    """Put back the previous production version; the current one is archived."""
    current = _settings()
    try:
        item = rollback(kind, by=_actor(by), reason=reason, settings=current)
    except RegistryError as error:
        raise _fail(str(error)) from None
    typer.echo(f"{item.kind} rolled back: v{item.version} is in production again", err=True)


@models_app.command("train")
def train_job(
    kind: Annotated[str, typer.Argument(help="Model kind, e.g. diagnostics.")],
    since: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="First day of training data.")
    ] = None,
    until: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Last day of training data.")
    ] = None,
    param: Annotated[
        list[str] | None, typer.Option(help="A hyperparameter as NAME=VALUE (repeatable).")
    ] = None,
    promote: Annotated[bool, typer.Option("--promote", help="Promote when it succeeds.")] = False,
    by: Annotated[str | None, typer.Option(help="Who (defaults to the login name).")] = None,
    wait: Annotated[
        bool, typer.Option(help="Follow the job's log until it ends (exit 1 unless it succeeds).")
    ] = True,
) -> None:
    """Train as a background job, like the Model Lab: one job per kind at a time."""
    from models import jobs
    from models.training import UnknownFamilyError

    current = _settings()
    parameters = {}
    for item in param or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise _fail(f"--param takes NAME=VALUE, got {item!r}")
        parameters[name.strip()] = value.strip()
    try:
        job = jobs.start_job(
            current,
            kind,
            started_by=_actor(by),
            window=(since.date() if since else None, until.date() if until else None),
            parameters=parameters,
            promote=promote,
        )
    except (UnknownFamilyError, jobs.JobInputError, jobs.JobError) as error:
        raise _fail(str(error)) from None
    typer.echo(f"job {job.job_id} started", err=True)
    if not wait:
        typer.echo(job.job_id)
        return
    job = jobs.follow_job(current, job.job_id, lambda line: typer.echo(line, err=True))
    if job.state != "succeeded":
        raise _fail(f"job {job.job_id} {job.state}: {job.error}")


@models_app.command("jobs")
def list_jobs(
    kind: Annotated[str | None, typer.Argument(help="Only this model kind.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many, newest first.")] = 20,
) -> None:
    """The latest training jobs with their state, duration and outcome."""
    from models import jobs

    typer.echo("job\tkind\tstate\tstarted_by\tstarted\tseconds\tversion\terror")
    for job in jobs.list_jobs(_settings(), kind, limit):
        typer.echo(
            f"{job.job_id}\t{job.kind}\t{job.state}\t{job.started_by}\t"
            f"{job.created_at:%Y-%m-%d %H:%M:%S}\t{job.elapsed().total_seconds():.0f}\t"
            f"{'' if job.entry_version is None else job.entry_version}\t{job.error or ''}"
        )


@models_app.command("cancel")
def cancel_job(
    job_id: Annotated[str, typer.Argument(help="The job to cancel.")],
    by: Annotated[str | None, typer.Option(help="Who (defaults to the login name).")] = None,
) -> None:
    """Cancel a running training job (its process group is terminated)."""
    from models import jobs

    try:
        jobs.cancel_job(_settings(), job_id, by=_actor(by))
    except jobs.JobError as error:
        raise _fail(str(error)) from None
    typer.echo(f"job {job_id} cancelled", err=True)
