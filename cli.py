"""`repairlens`: the project's verbs on the command line.

Every command reads the same Settings (``REPAIRLENS_DATA_DIR``, ``REPAIRLENS_OPS_DB_URL``). Errors a
user can fix are printed as one line on stderr with a non-zero exit, never a traceback.
"""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ClassVar

import click
import typer
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from typer.core import TyperGroup

from core.errors import first_line
from core.settings import Settings, get_settings
from models.registry.command import models_app

if TYPE_CHECKING:
    from models.training import Family


class _LazyCommands(TyperGroup):
    """Model commands import scikit-learn, scipy and pandas; load them only when they are used,
    so that `repairlens sql` and friends start quickly."""

    lazy: ClassVar[dict[str, tuple[str, str]]] = {
        "diagnose": ("models.diagnostics.command", "diagnose"),
        "forecast": ("models.forecasting.command", "forecast"),
        "clv": ("models.clv.command", "clv"),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *self.lazy]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.lazy:
            return super().get_command(ctx, cmd_name)
        module, function = self.lazy[cmd_name]
        single = typer.Typer()
        single.command(cmd_name)(getattr(importlib.import_module(module), function))
        return typer.main.get_command(single)


app = typer.Typer(
    cls=_LazyCommands,
    help="RepairLens: analytics and diagnostics workbench for device-repair shops.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# `repairlens models list|promote|rollback`: registry only (SQLite), cheap to import.
app.add_typer(models_app, name="models")

PROJECT_ROOT = Path(__file__).resolve().parent


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def say(message: str) -> None:
    typer.echo(message, err=True)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the errors a user can act on into one-line messages."""
    from data.generator import DatabaseNotEmptyError
    from pipelines.run import EtlError
    from warehouse.reader import ReadOnlyQueryError, WarehouseMissingError

    try:
        yield
    except (EtlError, WarehouseMissingError, ReadOnlyQueryError, DatabaseNotEmptyError) as error:
        raise fail(str(error)) from None
    except OperationalError as error:
        reason = first_line(error.orig or error)
        raise fail(f"cannot reach the operational database: {reason}") from None


def settings() -> Settings:
    from pydantic import ValidationError

    try:
        return get_settings()
    except ValidationError as error:
        first = error.errors()[0]
        message = first["msg"].removeprefix("Value error, ")
        raise fail(f"invalid setting {first['loc'][0]}: {message}") from None


def ops_engine(current: Settings) -> Engine:
    from core.db import make_engine

    return make_engine(current.ops_url)


@app.command()
def migrate() -> None:
    """Create or upgrade the operational database schema to the latest migration."""
    from ops.migrate import head_revision, upgrade_to_head

    current = settings()
    with user_errors():
        engine = ops_engine(current)
        upgrade_to_head(engine)
        say(f"operational database at revision {head_revision()}")


@app.command()
def generate(
    stores: Annotated[int, typer.Option(min=1, max=200, help="Number of stores.")] = 4,
    years: Annotated[float, typer.Option(min=0.1, max=15, help="Years of history.")] = 3.0,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same rows.")] = 42,
    repairs: Annotated[
        int | None, typer.Option(min=100, help="Size the history to about this many repairs.")
    ] = None,
) -> None:
    """Fill an empty operational database with a realistic synthetic repair history."""
    from data.generator import GeneratorConfig, generate_history
    from ops.migrate import upgrade_to_head

    current = settings()
    with user_errors():
        engine = ops_engine(current)
        upgrade_to_head(engine)
        config = GeneratorConfig(stores=stores, years=years, seed=seed, repairs=repairs)
        written = generate_history(engine, config, progress=say)
    summary = ", ".join(f"{table} {count:,}" for table, count in written.items())
    say(f"generated: {summary}")


@app.command()
def etl(
    full: Annotated[bool, typer.Option("--full", help="Rebuild the warehouse.")] = False,
    watch: Annotated[
        bool,
        typer.Option("--watch", help="Keep running: an incremental run every --interval seconds."),
    ] = False,
    interval: Annotated[
        float, typer.Option(min=1.0, help="Seconds from one run's start to the next, with --watch.")
    ] = 60.0,
) -> None:
    """Load the operational database into the DuckDB warehouse (incremental unless --full)."""
    from pipelines.run import run_etl

    current = settings()
    if watch:
        if full:
            raise fail(
                "--full and --watch do not combine: run `repairlens etl --full`, "
                "then `repairlens etl --watch`"
            )
        raise typer.Exit(_watch_etl(current, interval))
    with user_errors():
        summary = run_etl(current, full=full, progress=say)
    say(
        f"etl run {summary.run_id} {summary.status} in {summary.duration_s:.1f}s: "
        f"{summary.rows_written:,} rows written, {summary.rows_quarantined:,} quarantined"
    )


def _watch_etl(current: Settings, interval: float) -> int:
    """Run :func:`pipelines.watch.watch` until interrupted (Ctrl-C) or terminated (SIGTERM); a
    run in progress then finishes first, so none is left half-done. A second Ctrl-C stops at
    once: the interrupted run is recorded as failed by the next one, and the published warehouse
    is whichever version was last published.

    The watch runs in a worker thread: the signal handler (always run by the main thread) then
    never waits for a lock the interrupted code holds, as setting the stop event from the thread
    blocked in ``stop.wait`` could.
    """
    from pipelines.watch import watch

    stop = threading.Event()
    failure: list[BaseException] = []

    def work() -> None:
        try:
            watch(current, interval, say, stop)
        except BaseException as error:
            failure.append(error)

    def finish_then_stop(signum: int, _frame: object) -> None:
        stop.set()
        if signum == signal.SIGINT:  # a second Ctrl-C stops at once
            signal.signal(signal.SIGINT, signal.default_int_handler)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, finish_then_stop)
    say(f"running the ETL every {interval:g}s on {current.data_dir}; Ctrl-C stops")
    worker = threading.Thread(target=work, name="etl-watch", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.5)
    if failure:
        raise fail(f"the ETL watch stopped: {first_line(failure[0])}")
    say("stopped")
    return 0


@app.command()
def sql(query: Annotated[str, typer.Argument(help="A read-only SQL query.")]) -> None:
    """Run a read-only query on the published warehouse and print CSV with a header row."""
    from warehouse.reader import query_csv

    current = settings()
    with user_errors():
        query_csv(current, query, sys.stdout)


@app.command("app")
def serve_app(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to serve on.")] = 8501,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
) -> None:
    """Serve the Streamlit workbench."""
    raise typer.Exit(_serve_streamlit(host, port))


def _serve_streamlit(host: str, port: int) -> int:
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(PROJECT_ROOT / "Home.py"),
        "--server.port",
        str(port),
        "--server.address",
        host,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    say(f"workbench on http://{host}:{port}")
    return _wait_for_server(subprocess.Popen(command, cwd=PROJECT_ROOT, env=os.environ.copy()))


def _wait_for_server(process: subprocess.Popen) -> int:
    """Wait for a child server; stopping this command (Ctrl-C, SIGTERM) stops the child with it,
    so no server outlives the command that started it."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    try:
        return process.wait()
    except KeyboardInterrupt:
        return 130
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _trainer(current: Settings, item: Family) -> Callable[[], None]:
    from models.clv.history import NotEnoughHistoryError

    def run() -> None:
        try:
            say(item.describe(item.train(current, progress=say)))
        except NotEnoughHistoryError as error:  # a short demo history: the rest still works
            say(f"skipped {item.kind}: {error}")

    return run


def _ops_is_empty(engine: Engine) -> bool:
    from sqlalchemy import text

    with engine.connect() as conn:
        return conn.execute(text("SELECT COUNT(*) FROM repairs")).scalar_one() == 0


@app.command()
def demo(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port for the workbench.")] = 8501,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    stores: Annotated[int, typer.Option(min=1, help="Stores in the demo history.")] = 5,
    years: Annotated[float, typer.Option(min=0.1, help="Years of demo history.")] = 3.0,
    serve: Annotated[bool, typer.Option(help="Serve the app after loading.")] = True,
    api_port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port for the booking API (0: do not serve it).")
    ] = 8000,
    etl_every: Annotated[
        float,
        typer.Option(
            min=0.0,
            help="While serving, an incremental ETL every this many seconds, so bookings made "
            "through the API reach the workbench (0: off).",
        ),
    ] = 60.0,
) -> None:
    """Everything in one go: migrate, generate demo history if empty, ETL, train, serve the
    workbench and the booking API, and keep the warehouse in step while they run."""
    from data.generator import GeneratorConfig, generate_history
    from models.registry import production
    from models.training import FAMILIES
    from ops.migrate import upgrade_to_head
    from pipelines.run import run_etl

    current = settings()
    steps: list[tuple[str, Callable[[], object]]] = []
    with user_errors():
        engine = ops_engine(current)
        upgrade_to_head(engine)
        if _ops_is_empty(engine):
            config = GeneratorConfig(stores=stores, years=years, seed=42)
            steps.append(("generate", lambda: generate_history(engine, config, progress=say)))
        steps.append(("etl", lambda: run_etl(current, progress=say)))
        for item in FAMILIES.values():
            if production(item.kind, settings=current) is None:
                steps.append((f"train {item.kind}", _trainer(current, item)))
        with model_errors():
            for name, step in steps:
                say(f"== {name}")
                step()
    if serve:
        raise typer.Exit(_serve_demo(host, port, api_port, etl_every))


def _serve_demo(host: str, port: int, api_port: int, etl_every: float = 0.0) -> int:
    """The booking API and the ETL watch (``repairlens etl --watch``) in child processes beside
    the workbench; all stop together."""
    cli_command = [sys.executable, str(PROJECT_ROOT / "cli.py")]
    children = []
    if api_port:
        command = [*cli_command, "api", "--host", host, "--port", str(api_port)]
        children.append(subprocess.Popen(command, cwd=PROJECT_ROOT))
    if etl_every:
        command = [*cli_command, "etl", "--watch", "--interval", f"{max(etl_every, 1.0):g}"]
        children.append(subprocess.Popen(command, cwd=PROJECT_ROOT))
    try:
        return _serve_streamlit(host, port)
    finally:
        for child in children:
            _stop(child)


@app.command()
def api(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to serve on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
) -> None:
    """Serve the booking API under /api/v1 (OpenAPI documentation at /docs)."""
    from ops.migrate import is_at_head

    current = settings()
    with user_errors():
        if not is_at_head(ops_engine(current)):
            raise fail("the operational database is behind the code: run `repairlens migrate`")
    raise typer.Exit(_serve_api(current, host, port, workers))


def _serve_api(current: Settings, host: str, port: int, workers: int) -> int:
    import secrets

    import uvicorn

    if current.api_token_secret is None:
        # Every worker must sign with the same key; a random one lives as long as this server.
        os.environ["REPAIRLENS_API_TOKEN_SECRET"] = secrets.token_urlsafe(48)
    say(f"booking API on http://{host}:{port}/api/v1 (documentation at /docs)")
    uvicorn.run(
        "booking.main:create_served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,  # the app logs each request itself, without secrets in paths
        proxy_headers=True,
        log_level="warning",
    )
    return 0


staff_app = typer.Typer(help="Staff accounts of the booking API.", no_args_is_help=True)
app.add_typer(staff_app, name="staff")


@staff_app.command("add")
def staff_add(
    email: Annotated[str, typer.Option(help="Sign-in email.")],
    role: Annotated[str, typer.Option(help="technician or manager.")],
    technician_id: Annotated[
        int | None, typer.Option(help="The technician this account belongs to.")
    ] = None,
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="REPAIRLENS_STAFF_PASSWORD",
            help="At least 12 characters (prompted when not given).",
        ),
    ] = "",
) -> None:
    """Create a staff account that can sign in to the booking API."""
    from booking.accounts import StaffAccountError, add_staff_account

    current = settings()
    with user_errors():
        try:
            account = add_staff_account(ops_engine(current), email, role, password, technician_id)
        except StaffAccountError as error:
            raise fail(str(error)) from None
    say(f"staff account {account} created: {email.strip().lower()} ({role})")


@app.command()
def train(
    kind: Annotated[str, typer.Argument(help="A model kind, or `all` for every family.")],
    promote: Annotated[
        bool, typer.Option("--promote", help="Put the new model(s) in production at once.")
    ] = False,
    since: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="First day of training data.")
    ] = None,
    until: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Last day of training data.")
    ] = None,
) -> None:
    """Train a model family (or `all`) on the warehouse and register the result."""
    from models import jobs, registry
    from models.training import FAMILIES, UnknownFamilyError, family

    current = settings()
    try:
        chosen = list(FAMILIES.values()) if kind == "all" else [family(kind)]
    except UnknownFamilyError as error:
        raise fail(f"{error} (or all)") from None
    start, end = _window(since, until)
    for item in chosen:
        if len(chosen) > 1:
            say(f"== train {item.kind}")
        # A job like the Model Lab's: one per kind at a time, visible and cancellable there.
        with model_errors():
            job = jobs.start_job(current, item.kind, window=(start, end), promote=promote)
            job = jobs.follow_job(current, job.job_id, say)
        if job.state == "failed":
            raise typer.Exit(1)  # the job's log has just shown its `error: …` line
        if job.state != "succeeded":
            raise fail(f"{item.kind} training {job.state}")
        entry = registry.entry(item.kind, job.entry_version, settings=current)
        if entry.status == "candidate":
            say("kept as a candidate: production is unchanged (train with --promote to replace it)")


def _window(since: datetime | None, until: datetime | None) -> tuple[date | None, date | None]:
    start = since.date() if since else None
    end = until.date() if until else None
    if start and end and start > end:
        raise fail("--since must not be after --until")
    return start, end


@contextmanager
def model_errors() -> Iterator[None]:
    """Training problems a user can act on (too little data, a broken registry) in one line."""
    from models.errors import ModelInputError
    from models.jobs import JobError
    from models.registry import RegistryError

    try:
        yield
    except (ModelInputError, RegistryError, JobError) as error:
        raise fail(str(error)) from None


if __name__ == "__main__":
    app()
