"""``repairlens diagnose`` (training is ``repairlens train diagnostics``, see
:mod:`models.training`).

Register with ``app.command("diagnose")(diagnose)``. Errors a user can fix print one line on stderr
starting ``error: `` and exit with code 1, never a traceback.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from core.settings import Settings, get_settings
from models.diagnostics.features import CATEGORIES, Case
from models.diagnostics.store import ModelNotTrainedError, load_production_model

INPUT_COLUMNS = ("category", "model", "symptoms")


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


@contextmanager
def _user_errors() -> Iterator[None]:
    """Errors with a one-line message for the person at the terminal become ``error: …``."""
    from pydantic import ValidationError

    from models.diagnostics.diagnose import DiagnoseInputError
    from models.diagnostics.train import TrainingDataError
    from models.registry import RegistryError
    from warehouse.reader import WarehouseError

    try:
        yield
    except (DiagnoseInputError, TrainingDataError, ModelNotTrainedError, RegistryError,
            WarehouseError) as error:  # fmt: skip
        raise _fail(str(error)) from None
    except ValidationError as error:
        raise _fail(f"invalid setting: {error.errors()[0]['msg']}") from None


def _settings() -> Settings:
    return get_settings()


def diagnose(
    category: Annotated[
        str | None, typer.Option(help=f"Device category: {', '.join(CATEGORIES)}.")
    ] = None,
    model: Annotated[str | None, typer.Option(help='Device model, e.g. "iPhone 12".')] = None,
    symptoms: Annotated[str | None, typer.Option(help="What the customer describes.")] = None,
    top: Annotated[int, typer.Option(min=1, max=22, help="How many candidates.")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per case.")] = False,
    store: Annotated[
        str | None, typer.Option(help="Store code: show stock of the parts there.")
    ] = None,
    input_path: Annotated[
        Path | None,
        typer.Option("--input", help="CSV with columns category,model,symptoms; JSON lines out."),
    ] = None,
    powers_on: Annotated[bool | None, typer.Option("--powers-on/--no-power")] = None,
    liquid_exposure: Annotated[bool | None, typer.Option("--liquid/--no-liquid")] = None,
    dropped: Annotated[bool | None, typer.Option("--dropped/--not-dropped")] = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show the words and facts behind each candidate.")
    ] = False,
    log: Annotated[
        bool, typer.Option("--log", help="Record the answers in the prediction log (source cli).")
    ] = False,
) -> None:
    """Rank the likely faults for described symptoms, with price range and bench time."""
    from models.diagnostics.diagnose import (
        diagnose_many,
        explain_candidates,
        explanation_json,
    )

    with _user_errors():
        if input_path is None:
            cases = [_single_case(category, model, symptoms, powers_on, liquid_exposure, dropped)]
        else:
            cases = _read_cases(input_path)
        settings = _settings()
        loaded = load_production_model(settings)
        stock = _stock(settings, store) if store else None
        if input_path is not None:
            _answer_each(loaded, cases, top, stock, settings if log else None)
            return
        (answer,) = diagnose_many(loaded.model, loaded.prices, cases, top, stock)
        if log:
            _log_answers(settings, loaded.version, cases, [answer])
        why = explain_candidates(loaded.model, cases[0], answer) if explain else {}
    if as_json:
        document = answer.as_json()
        for candidate in document["candidates"]:
            if candidate["fault"] in why:
                candidate["explanation"] = explanation_json(why[candidate["fault"]])
        typer.echo(json.dumps(document))
        return
    for candidate in answer.candidates:
        price = (
            f"€{candidate.price_low:.0f}–{candidate.price_high:.0f}"
            if candidate.price_low is not None
            else "price on request"
        )
        minutes = f"{candidate.minutes:.0f} min" if candidate.minutes is not None else ""
        typer.echo(
            f"{candidate.probability:6.1%}  {candidate.fault:<20} {candidate.repair_type:<26} "
            f"{price:<14} {minutes}"
        )
        if candidate.fault in why:
            typer.echo("        " + _because(why[candidate.fault]))
    typer.echo(answer.note)


def _stock(settings: Settings, store: str) -> dict[str, int]:
    from models.diagnostics.diagnose import stock_at_store
    from warehouse.reader import connect_read_only

    connection = connect_read_only(settings)
    try:
        return stock_at_store(connection, store)
    finally:
        connection.close()


def _because(explanation) -> str:
    toward = ", ".join(f"{c.feature} {c.value:+.2f}" for c in explanation.toward(4))
    away = ", ".join(f"{c.feature} {c.value:+.2f}" for c in explanation.away(3))
    return f"vs {explanation.versus}: for {toward or '—'}; against {away or '—'}"


def _log_answers(settings: Settings, version: int, cases: list[Case], answers: list) -> None:
    from models.diagnostics.prediction_log import PredictionLogError, record_predictions

    try:
        record_predictions(settings, source="cli", answers=list(zip(cases, answers, strict=True)),
                           model_version=version)  # fmt: skip
    except PredictionLogError as error:
        typer.echo(f"warning: the answers were not logged: {error}", err=True)


def _answer_each(loaded, cases: list[Case], top: int, stock: dict[str, int] | None,
                 log_to: Settings | None = None) -> None:  # fmt: skip
    """One JSON line per input row, in input order; a row that cannot be answered gets an
    ``error`` object in its place and the command exits 1 after the last row."""
    from models.diagnostics.diagnose import DiagnoseInputError, diagnose_many, resolve_case

    answerable, failures = [], {}
    for row, case in enumerate(cases):
        try:
            resolve_case(loaded.model, case)
            answerable.append(case)
        except DiagnoseInputError as error:
            failures[row] = str(error)
    answered = diagnose_many(loaded.model, loaded.prices, answerable, top, stock)
    if log_to is not None:
        _log_answers(log_to, loaded.version, answerable, answered)
    answers = iter(answered)
    for row in range(len(cases)):
        if row in failures:
            typer.echo(json.dumps({"error": failures[row]}))
        else:
            typer.echo(json.dumps(next(answers).as_json()))
    if failures:
        rows = ", ".join(str(r + 2) for r in failures)  # +2: the header is line 1
        lines = "line" if len(failures) == 1 else "lines"
        raise _fail(f"{len(failures)} of {len(cases)} rows could not be answered ({lines} {rows})")


def _single_case(category: str | None, model: str | None, symptoms: str | None,
                 powers_on: bool | None, liquid_exposure: bool | None,
                 dropped: bool | None) -> Case:  # fmt: skip
    if not category:
        raise _fail(f"--category is required (one of {', '.join(CATEGORIES)}), or use --input")
    return Case(category=category.strip().lower(), symptoms=symptoms or "", model=model or None,
                powers_on=powers_on, liquid_exposure=liquid_exposure, dropped=dropped)  # fmt: skip


def _read_cases(path: Path) -> list[Case]:
    if not path.is_file():
        raise _fail(f"input file {path} does not exist")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in INPUT_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise _fail(f"{path} needs the columns {','.join(INPUT_COLUMNS)}; "
                            f"missing: {', '.join(missing)}")  # fmt: skip
            rows = list(reader)
    except (UnicodeDecodeError, csv.Error) as error:
        raise _fail(f"cannot read {path} as UTF-8 CSV: {error}") from None
    if not rows:
        raise _fail(f"{path} has a header but no cases")
    return [
        Case(
            category=(r["category"] or "").strip().lower(),
            symptoms=r["symptoms"] or "",
            model=(r["model"] or "").strip() or None,
        )
        for r in rows
    ]
