"""``repairlens forecast``: forecast one ``ds,y`` series, the method picked by backtest.

Register with ``app.command("forecast")(forecast)``. The forecast CSV (``ds,yhat,yhat_lower,
yhat_upper``) goes to ``--output`` or stdout; the repairs made to the input, warnings, the chosen
method and its backtest MASE against seasonal naive go to stderr. Input errors print one line on
stderr starting ``error: `` and exit with code 1, never a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from core.errors import first_line
from models.forecasting.errors import ForecastInputError
from models.forecasting.forecast import DEFAULT_FOLDS, SeriesForecast, forecast_series
from models.forecasting.periods import check_freq
from models.forecasting.prepare import prepare_series


def read_series_csv(path: Path) -> pd.DataFrame:
    """Every cell as text, so the checks in :func:`prepare_series` can quote the bad value."""
    if not path.is_file():
        raise ForecastInputError(f"input file {path} does not exist")
    try:
        return pd.read_csv(
            path, dtype=str, keep_default_na=False, skipinitialspace=True, encoding="utf-8-sig"
        )
    except pd.errors.EmptyDataError:
        raise ForecastInputError(f"input file {path} is empty: it needs a header ds,y") from None
    except (pd.errors.ParserError, OSError, UnicodeDecodeError) as error:
        raise ForecastInputError(f"cannot read {path} as CSV: {first_line(error)}") from None


def forecast_csv(result: SeriesForecast) -> str:
    return result.forecast.to_csv(index=False, date_format="%Y-%m-%d", float_format="%.4f")


def _candidate_methods(methods: str | None) -> list[str] | None:
    if methods is None:
        return None
    names = [name.strip() for name in methods.split(",") if name.strip()]
    if not names:
        raise ForecastInputError("--methods needs at least one method name")
    return names


def forecast(
    input: Annotated[
        Path,
        typer.Option(
            "--input", help="CSV with a header and columns ds (YYYY-MM-DD) and y, one row a period."
        ),
    ],
    horizon: Annotated[int, typer.Option("--horizon", help="Periods to forecast after the last.")],
    freq: Annotated[
        str,
        typer.Option("--freq", help="D (daily), W (weekly) or MS (monthly, on the 1st)."),
    ],
    output: Annotated[
        Path | None, typer.Option("--output", help="Write the forecast CSV here (default: stdout).")
    ] = None,
    level: Annotated[
        int, typer.Option("--level", help="Prediction interval width in percent.")
    ] = 95,
    country: Annotated[
        str | None,
        typer.Option(
            "--country",
            help="ISO country code whose public holidays Prophet models (daily data).",
        ),
    ] = None,
    prophet: Annotated[
        bool | None,
        typer.Option(
            "--prophet/--no-prophet",
            help="Let Prophet compete (default: on for daily series, off otherwise).",
        ),
    ] = None,
    methods: Annotated[
        str | None,
        typer.Option(
            "--methods",
            help="Comma-separated candidates (seasonal_naive, holt_winters, ets, theta, arima, "
            "mstl_ets, prophet); default: those suited to the frequency and length.",
        ),
    ] = None,
    folds: Annotated[int, typer.Option("--folds", help="Backtest folds.")] = DEFAULT_FOLDS,
    allow_negative: Annotated[
        bool,
        typer.Option("--allow-negative", help="Accept negative y (no clipping at zero)."),
    ] = False,
) -> None:
    """Forecast a ds,y series: backtest candidate methods, keep the best, write ds,yhat,bounds."""
    try:
        checked_freq = check_freq(freq)
        frame = read_series_csv(input)
        series, report = prepare_series(frame, checked_freq, allow_negative=allow_negative)
        result = forecast_series(
            series,
            horizon,
            checked_freq,
            level,
            methods=_candidate_methods(methods),
            folds=folds,
            country=country,
            include_prophet=prophet,
        )
        text = forecast_csv(result)
        if output is not None:
            try:
                output.write_text(text)
            except OSError as error:
                raise ForecastInputError(f"cannot write {output}: {first_line(error)}") from None
    except ForecastInputError as error:
        typer.echo(f"error: {first_line(error)}", err=True)
        raise typer.Exit(1) from None
    for line in [*report.notes(), *result.warnings]:
        typer.echo(f"note: {line}", err=True)
    typer.echo(result.summary(), err=True)
    if output is None:
        typer.echo(text, nl=False)
    else:
        typer.echo(f"wrote {len(result.forecast)} periods to {output}", err=True)
