"""`repairlens clv`: reads a transaction CSV, prints parameters, writes per-customer forecasts,
and turns bad input into one `error:` line with exit code 1."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import typer
from typer.testing import CliRunner, Result

from models.clv import BgNbdParams, GammaGammaParams, simulate_transactions
from models.clv.command import clv

app = typer.Typer()
app.command("clv")(clv)


@pytest.fixture(scope="module")
def transactions_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    frame = simulate_transactions(
        BgNbdParams(r=0.25, alpha=4.0, a=0.8, b=2.5),
        GammaGammaParams(p=6.0, q=4.0, v=15.0),
        1_500,
        date(2024, 1, 1),
        date(2024, 12, 31),
        np.random.default_rng(20240504),
        acquired_by=date(2024, 3, 31),
        days_per_unit=7,
    )
    path = tmp_path_factory.mktemp("clv") / "transactions.csv"
    frame.write_csv(path)
    return path


def _run(*arguments: str) -> Result:
    return CliRunner().invoke(app, list(arguments))


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "input.csv"
    path.write_text(text)
    return path


def _assert_one_line_error(result: Result, fragment: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert fragment in lines[0]


def test_json_output_has_both_models_parameters_and_the_customer_count(
    transactions_csv: Path,
) -> None:
    result = _run(
        "--transactions", str(transactions_csv), "--calibration-end", "2024-12-31",
        "--time-unit", "W", "--horizon", "26", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    params = json.loads(result.stdout)
    assert set(params["bgnbd"]) == {"r", "alpha", "a", "b"}
    assert set(params["gamma_gamma"]) == {"p", "q", "v"}
    assert (params["customers"], params["horizon"], params["time_unit"]) == (1_500, 26, "W")


def test_output_writes_the_per_customer_forecast_csv(
    transactions_csv: Path, tmp_path: Path
) -> None:
    output = tmp_path / "per_customer.csv"
    result = _run(
        "--transactions", str(transactions_csv), "--calibration-end", "2024-12-31",
        "--output", str(output),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    written = pl.read_csv(output)
    assert written.height == 1_500
    assert written.columns[-4:] == [
        "p_alive",
        "expected_purchases",
        "expected_average_value",
        "expected_value",
    ]
    assert "wrote 1,500 customers" in result.stderr


def test_without_json_prints_a_readable_summary(transactions_csv: Path) -> None:
    result = _run("--transactions", str(transactions_csv), "--calibration-end", "2024-12-31")
    assert result.exit_code == 0, result.stderr
    assert "BG/NBD: r=" in result.stdout
    assert "Gamma-Gamma: p=" in result.stdout
    assert "next 365 days:" in result.stdout


def test_time_unit_is_case_insensitive(transactions_csv: Path) -> None:
    result = _run(
        "--transactions", str(transactions_csv), "--calibration-end", "2024-12-31",
        "--time-unit", "w", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["time_unit"] == "W"


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (["--calibration-end", "31/12/2024"], "calibration end '31/12/2024' is not a date"),
        (["--calibration-end", "2024-12-31", "--time-unit", "M"], "time unit 'M'"),
        (["--calibration-end", "2024-12-31", "--horizon", "0"], "--horizon must be ≥ 1"),
        (["--calibration-end", "2023-12-31"], "no transactions on or before"),
        (["--calibration-end", "2024-01-02"], "too few repeat customers"),
    ],
)
def test_bad_options_are_one_error_line(
    transactions_csv: Path, options: list[str], fragment: str
) -> None:
    _assert_one_line_error(_run("--transactions", str(transactions_csv), *options), fragment)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "is empty"),
        ("customer_id,date\nA,2024-01-01\n", "missing column(s) amount"),
        ("customer_id,date,amount\nA,2024-13-01,5\n", "'2024-13-01' on data row 1 is not a date"),
        ("customer_id,date,amount\nA,2024-01-01,5\nA,2024-02-01,-5\n", "is negative"),
        ("customer_id,date,amount\nA,2024-01-01,five\n", "'five' on data row 1 is not a number"),
        ("customer_id,date,amount\nA,2024-01-01,5,extra,fields\n", "cannot read"),
    ],
)
def test_bad_files_are_one_error_line(tmp_path: Path, text: str, fragment: str) -> None:
    path = _csv(tmp_path, text)
    _assert_one_line_error(
        _run("--transactions", str(path), "--calibration-end", "2024-12-31"), fragment
    )


def test_missing_file_is_one_error_line(tmp_path: Path) -> None:
    result = _run("--transactions", str(tmp_path / "nope.csv"), "--calibration-end", "2024-12-31")
    _assert_one_line_error(result, "does not exist")


def test_unwritable_output_is_one_error_line(transactions_csv: Path, tmp_path: Path) -> None:
    result = _run(
        "--transactions", str(transactions_csv), "--calibration-end", "2024-12-31",
        "--output", str(tmp_path / "no" / "such" / "dir" / "out.csv"),
    )  # fmt: skip
    _assert_one_line_error(result, "cannot write")


def test_leading_zeros_in_customer_ids_survive(transactions_csv: Path, tmp_path: Path) -> None:
    zero_padded = tmp_path / "zero_padded.csv"
    frame = pl.read_csv(transactions_csv)
    frame.with_columns(pl.col("customer_id").str.slice(1)).write_csv(
        zero_padded
    )  # "C00001"→"00001"
    output = tmp_path / "out.csv"
    result = _run(
        "--transactions", str(zero_padded), "--calibration-end", "2024-12-31",
        "--output", str(output),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    ids = pl.read_csv(output, schema_overrides={"customer_id": pl.String})["customer_id"]
    assert ids[0] == "00001"


def test_data_the_models_cannot_pin_down_is_one_error_line(tmp_path: Path) -> None:
    # Every repeat customer bought twice and nobody went quiet: dropout is not identified.
    rows = ["customer_id,date,amount"]
    for customer in range(12):
        rows += [f"R{customer},2024-01-0{1 + customer % 3},10", f"R{customer},2024-02-01,20"]
    rows += [f"S{customer},2024-01-15,5" for customer in range(40)]
    path = _csv(tmp_path, "\n".join(rows) + "\n")
    result = _run("--transactions", str(path), "--calibration-end", "2024-03-31")
    _assert_one_line_error(result, "did not converge")
