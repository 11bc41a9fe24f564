"""`repairlens forecast`: reads ds,y, writes ds,yhat,yhat_lower,yhat_upper for the H periods
after the last date, reports the method on stderr, and turns bad input into one `error:` line."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner, Result

from models.forecasting.command import forecast

app = typer.Typer()
app.command("forecast")(forecast)

FAST = ("--methods", "holt_winters,theta")


def _run(*arguments: str) -> Result:
    """A Typer app with one command runs it without naming it, as the CLV tests do."""
    return CliRunner().invoke(app, list(arguments))


def _csv(tmp_path: Path, text: str, name: str = "series.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _monthly_csv(tmp_path: Path, periods: int = 48) -> Path:
    t = np.arange(periods)
    y = 50 + t + 8 * np.sin(2 * np.pi * t / 12) + np.random.default_rng(3).normal(0, 1, periods)
    dates = pd.date_range("2020-01-01", periods=periods, freq="MS")
    lines = ["ds,y", *(f"{d:%Y-%m-%d},{v:.2f}" for d, v in zip(dates, y, strict=True))]
    return _csv(tmp_path, "\n".join(lines) + "\n")


def _assert_one_line_error(result: Result, fragment: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert fragment in lines[0]


def test_without_output_the_forecast_csv_goes_to_stdout_with_horizon_rows(tmp_path: Path) -> None:
    result = _run("--input", str(_monthly_csv(tmp_path)), "--horizon", "6", "--freq", "MS", *FAST)

    assert result.exit_code == 0, result.output
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert list(frame.columns) == ["ds", "yhat", "yhat_lower", "yhat_upper"]
    assert list(frame["ds"]) == [f"2024-{month:02d}-01" for month in range(1, 7)]


def test_the_method_and_its_backtest_against_seasonal_naive_go_to_stderr(tmp_path: Path) -> None:
    result = _run("--input", str(_monthly_csv(tmp_path)), "--horizon", "6", "--freq", "MS", *FAST)

    assert result.exit_code == 0, result.output
    assert "method: " in result.stderr
    assert "vs seasonal naive" in result.stderr
    assert "method:" not in result.stdout


def test_with_output_the_csv_is_written_there_and_stdout_stays_empty(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"

    result = _run(
        "--input", str(_monthly_csv(tmp_path)), "--horizon", "3", "--freq", "MS",
        "--output", str(target), *FAST,
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert len(pd.read_csv(target)) == 3
    assert f"wrote 3 periods to {target}" in result.stderr


def test_filled_gaps_are_reported_as_notes_on_stderr(tmp_path: Path) -> None:
    rows = [f"2024-01-{day:02d},{day}" for day in range(1, 32) if day != 10]
    path = _csv(tmp_path, "ds,y\n" + "\n".join(rows) + "\n")

    result = _run("--input", str(path), "--horizon", "3", "--freq", "D", *FAST)

    assert result.exit_code == 0, result.output
    assert "note: filled 1 missing period(s) by linear interpolation: 2024-01-10" in result.stderr


def test_weekly_output_continues_on_the_series_weekday(tmp_path: Path) -> None:
    dates = pd.date_range("2023-01-02", periods=40, freq="W-MON")
    lines = ["ds,y", *(f"{d:%Y-%m-%d},{10 + i % 5}" for i, d in enumerate(dates))]
    path = _csv(tmp_path, "\n".join(lines) + "\n")

    result = _run("--input", str(path), "--horizon", "2", "--freq", "W", *FAST)

    assert result.exit_code == 0, result.output
    assert list(pd.read_csv(io.StringIO(result.stdout))["ds"]) == ["2023-10-09", "2023-10-16"]


@pytest.mark.parametrize(
    ("text", "arguments", "fragment"),
    [
        # a value that is not a number
        ("ds,y\n2024-01-01,1\n2024-02-01,ten\n", (), "row 2 has y='ten', which is not a number"),
        # an unparseable date
        ("ds,y\n2024-01-01,1\n2024-02-30,2\n", (), "row 2 has ds='2024-02-30'"),
        # the same month twice
        ("ds,y\n2024-01-01,1\n2024-01-01,2\n", (), "appear more than once: 2024-01-01 (rows 1, 2)"),
        # a negative value
        ("ds,y\n2024-01-01,1\n2024-02-01,-4\n", (), "negative value(s), the first in row 2"),
        # mid-month dates for a monthly series
        ("ds,y\n2024-01-15,1\n", (), "must be dated on the first day of each month"),
        # too short for a forecast of 6 to be checked
        ("ds,y\n2024-01-01,1\n2024-02-01,2\n2024-03-01,3\n", (), "the series has 3 periods"),
        # an unknown frequency
        ("ds,y\n2024-01-01,1\n", ("--freq", "Q"), "frequency must be one of"),
        # an unknown holiday country
        ("ds,y\n2024-01-01,1\n", ("--country", "XX"), "country 'XX'"),
        # an unknown method
        (
            "ds,y\n" + "".join(f"2024-{month:02d}-01,{month}\n" for month in range(1, 13)),
            ("--methods", "theta,lstm", "--horizon", "2"),
            "unknown method 'lstm': choose from seasonal_naive",
        ),
        # a header only
        ("ds,y\n", (), "the input has no rows"),
        # an empty file
        ("", (), "is empty: it needs a header ds,y"),
    ],
)
def test_bad_input_is_one_error_line_and_exit_code_1(
    tmp_path: Path, text: str, arguments: tuple[str, ...], fragment: str
) -> None:
    path = _csv(tmp_path, text)
    options = {"--freq": "MS", "--horizon": "6"} | dict(
        zip(arguments[::2], arguments[1::2], strict=True)
    )

    result = _run("--input", str(path), *(item for pair in options.items() for item in pair))

    _assert_one_line_error(result, fragment)


def test_a_missing_input_file_is_one_error_line(tmp_path: Path) -> None:
    result = _run("--input", str(tmp_path / "nope.csv"), "--horizon", "3", "--freq", "D")

    _assert_one_line_error(result, "does not exist")


def test_negative_values_pass_with_allow_negative(tmp_path: Path) -> None:
    rows = [f"2024-01-{day:02d},{day - 15}" for day in range(1, 29)]
    path = _csv(tmp_path, "ds,y\n" + "\n".join(rows) + "\n")

    result = _run("--input", str(path), "--horizon", "3", "--freq", "D", "--allow-negative", *FAST)

    assert result.exit_code == 0, result.output
