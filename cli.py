"""`repairlens`: the project's verbs on the command line.

Every command reads the same Settings (``REPAIRLENS_DATA_DIR``, ``REPAIRLENS_OPS_DB_URL``). Errors a
user can fix are printed as one line on stderr with a non-zero exit, never a traceback.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
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
) -> None:
    """Load the operational database into the DuckDB warehouse (incremental unless --full)."""
    from pipelines.run import run_etl

    current = settings()
    with user_errors():
        summary = run_etl(current, full=full, progress=say)
    say(
        f"etl run {summary.run_id} {summary.status} in {summary.duration_s:.1f}s: "
        f"{summary.rows_written:,} rows written, {summary.rows_quarantined:,} quarantined"
    )


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
    return subprocess.call(command, cwd=PROJECT_ROOT, env=os.environ.copy())


def _trainer(current: Settings, item: Family) -> Callable[[], None]:
    def run() -> None:
        say(item.describe(item.train(current, progress=say)))

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
) -> None:
    """Everything in one go: migrate, generate demo history if empty, ETL, train, serve."""
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
        raise typer.Exit(_serve_streamlit(host, port))


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
    from models.training import FAMILIES, UnknownFamilyError, family

    current = settings()
    try:
        chosen = list(FAMILIES.values()) if kind == "all" else [family(kind)]
    except UnknownFamilyError as error:
        raise fail(f"{error} (or all)") from None
    window = _window(since, until)
    for item in chosen:
        if len(chosen) > 1:
            say(f"== train {item.kind}")
        with user_errors(), model_errors():
            entry = item.train(current, window, promote=promote, progress=say)
        say(item.describe(entry))
        if entry.status == "candidate":
            say("kept as a candidate: production is unchanged (train with --promote to replace it)")


def _window(since: datetime | None, until: datetime | None) -> tuple[date, date] | None:
    if since is None and until is None:
        return None
    start = since.date() if since else date.min
    end = until.date() if until else date.max
    if start > end:
        raise fail("--since must not be after --until")
    return start, end


@contextmanager
def model_errors() -> Iterator[None]:
    """Training problems a user can act on (too little data, a broken registry) in one line."""
    from models.errors import ModelInputError
    from models.registry import RegistryError

    try:
        yield
    except (ModelInputError, RegistryError) as error:
        raise fail(str(error)) from None


if __name__ == "__main__":
    app()
