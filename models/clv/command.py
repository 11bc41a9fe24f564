"""``repairlens clv``: fit BG/NBD + Gamma-Gamma to a transaction CSV and forecast each customer.

Register with ``app.command("clv")(clv)``. Input errors print one line on stderr starting
``error: `` and exit with code 1, never a traceback.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer

from core.errors import first_line
from models.clv.errors import ClvInputError
from models.clv.rfm import check_calibration_end, check_time_unit
from models.clv.value import clv_report


def _read_transactions(path: Path) -> pl.DataFrame:
    if not path.is_file():
        raise ClvInputError(f"transactions file {path} does not exist")
    try:
        # Every column as text: customer ids keep leading zeros, and the date and amount
        # checks report the offending value instead of a parser message.
        return pl.read_csv(path, infer_schema=False)
    except pl.exceptions.NoDataError:
        raise ClvInputError(f"transactions file {path} is empty") from None
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as error:
        raise ClvInputError(f"cannot read {path} as CSV: {first_line(error)}") from None


def _json_ready(value: Any) -> Any:
    """NaN and infinity become null: JSON has no spelling for them."""
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _summary_lines(params: dict[str, Any]) -> list[str]:
    unit = {"D": "days", "W": "weeks"}[params["time_unit"]]
    bgnbd, spend = params["bgnbd"], params["gamma_gamma"]
    correlation = params["frequency_monetary_correlation"]
    return [
        f"customers: {params['customers']:,} ({params['repeat_customers']:,} with repeat "
        f"purchases by {params['calibration_end']})",
        "BG/NBD: r={r:.4g} alpha={alpha:.4g} a={a:.4g} b={b:.4g}".format(**bgnbd),
        "Gamma-Gamma: p={p:.4g} q={q:.4g} v={v:.4g}".format(**spend),
        f"frequency-spend correlation among repeat customers: {correlation:.3f} "
        "(Gamma-Gamma assumes about 0)",
        f"next {params['horizon']} {unit}: {params['expected_purchases']:,.1f} expected "
        f"purchases worth {params['expected_value']:,.2f}",
    ]


def clv(
    transactions: Annotated[
        Path,
        typer.Option(
            "--transactions",
            help="CSV with a header and columns customer_id,date (YYYY-MM-DD),amount.",
        ),
    ],
    calibration_end: Annotated[
        str,
        typer.Option(
            "--calibration-end",
            help="Last day (YYYY-MM-DD) of the history to fit on; it is included.",
        ),
    ],
    time_unit: Annotated[
        str, typer.Option("--time-unit", help="D (days) or W (weeks) for recency, T, horizon.")
    ] = "D",
    horizon: Annotated[
        int | None,
        typer.Option(
            "--horizon", help="Forecast span in time units (default: a year, 365 D or 52 W)."
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", help="Write the per-customer forecast CSV here.")
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print parameters and totals as JSON on stdout.")
    ] = False,
) -> None:
    """Fit BG/NBD and Gamma-Gamma models and forecast each customer's purchases and spend."""
    try:
        unit = check_time_unit(time_unit.strip().upper())
        end = check_calibration_end(calibration_end)
        if horizon is not None and horizon < 1:
            raise ClvInputError(f"--horizon must be ≥ 1, got {horizon}")
        frame = _read_transactions(transactions)
        params, per_customer = clv_report(frame, end, unit, horizon)
        if output is not None:
            try:
                per_customer.write_csv(output)
            except OSError as error:
                raise ClvInputError(f"cannot write {output}: {first_line(error)}") from None
    except ClvInputError as error:
        typer.echo(f"error: {first_line(error)}", err=True)
        raise typer.Exit(1) from None
    if json_output:
        typer.echo(json.dumps(_json_ready(params), indent=2))
    else:
        typer.echo("\n".join(_summary_lines(params)))
    if output is not None:
        typer.echo(f"wrote {per_customer.height:,} customers to {output}", err=True)
