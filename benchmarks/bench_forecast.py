"""Forecasting engine benchmark: accuracy on real series, and the time to fit a fleet.

Accuracy: for each reference series (``models.forecasting.reference_series``), the last
``--windows`` horizons are held out one at a time (rolling origin: each forecast sees only the
history before its window). Scores are MASE against the in-sample seasonal naive error, for the
method ``forecast_series`` selects with its defaults (``repairlens forecast``), for seasonal
naive and for additive Holt-Winters, plus the coverage of the selected method's 80 and 95 %
intervals.

Speed: a synthetic fleet shaped like a 1M-repair history: 100 stores × (daily repair count,
daily revenue) over three years, about a million repairs in all, forecast 28 days ahead with
``forecast_many`` defaults, on one worker process and on two.

Warehouse: ``repairlens train forecast`` (every demand series of a built warehouse: read,
backtest, select, forecast, register, publish) timed on a warehouse given by ``--data-dir``, which
is only read: the registry and forecasts go to a scratch data directory that links to it. Then
the parts-inventory report on the same warehouse, with its backtest of the reorder policy
against the shops' fixed min/max rule.

Run from the project root::

    .venv/bin/python benchmarks/bench_forecast.py            # accuracy and speed, print only
    .venv/bin/python benchmarks/bench_forecast.py --write    # also update benchmarks/RESULTS.md
    .venv/bin/python benchmarks/bench_forecast.py --part speed --stores 20
    .venv/bin/python benchmarks/bench_forecast.py --part warehouse --data-dir /path/var --write
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.forecasting import (  # noqa: E402  (the project root goes on the path first)
    fit_forecast,
    forecast_many,
    forecast_series,
    prepare_series,
)
from models.forecasting.periods import PRIMARY_SEASON, Freq  # noqa: E402
from models.forecasting.reference_series import REFERENCE_SERIES  # noqa: E402
from models.forecasting.scores import coverage, mase, seasonal_naive_scale  # noqa: E402

HORIZONS: dict[Freq, int] = {"D": 28, "W": 26, "MS": 12}
HOLIDAY_COUNTRY = {"us_births": "US", "elecdaily": "AU"}
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
SECTION = "## Forecasting"
WAREHOUSE_SUBSECTION = "### Training on a warehouse and the inventory backtest"


def accuracy_table(names: list[str], windows: int) -> pd.DataFrame:
    """One row per series: mean held-out MASE of selected / seasonal naive / Holt-Winters."""
    rows = []
    for name in names:
        reference = REFERENCE_SERIES[name]
        series, _ = prepare_series(reference.load(), reference.freq)
        horizon = HORIZONS[reference.freq]
        scores = [
            _window_scores(series, reference.freq, horizon, k, HOLIDAY_COUNTRY.get(name))
            for k in range(1, windows + 1)
        ]
        frame = pd.DataFrame(scores)
        rows.append(
            {
                "series": name,
                "freq": reference.freq,
                "periods": len(series),
                "h": horizon,
                "method (last window)": frame["method"].iloc[0],
                "selected": frame["selected"].mean(),
                "seasonal naive": frame["seasonal_naive"].mean(),
                "Holt-Winters": frame["holt_winters"].mean(),
                "cover 80": frame["coverage_80"].mean(),
                "cover 95": frame["coverage_95"].mean(),
                "s/forecast": frame["seconds"].mean(),
            }
        )
        print(rows[-1], flush=True)
    return pd.DataFrame(rows)


def _window_scores(
    series: pd.Series, freq: Freq, horizon: int, k: int, country: str | None
) -> dict[str, object]:
    end = len(series) - (k - 1) * horizon
    train, test = series.iloc[: end - horizon], series.iloc[end - horizon : end].to_numpy()
    scale = seasonal_naive_scale(train.to_numpy(), PRIMARY_SEASON[freq])
    started = time.perf_counter()
    result = forecast_series(train, horizon, freq, country=country)
    seconds = time.perf_counter() - started
    intervals = result.intervals
    baselines = {
        method: fit_forecast(train, horizon, freq, method, 95)["yhat"].clip(lower=0).to_numpy()
        for method in ("seasonal_naive", "holt_winters")
    }
    return {
        "method": result.method,
        "selected": mase(test, result.forecast["yhat"].to_numpy(), scale),
        "seasonal_naive": mase(test, baselines["seasonal_naive"], scale),
        "holt_winters": mase(test, baselines["holt_winters"], scale),
        "coverage_80": coverage(test, intervals["yhat_lower_80"], intervals["yhat_upper_80"]),
        "coverage_95": coverage(test, intervals["yhat_lower_95"], intervals["yhat_upper_95"]),
        "seconds": seconds,
    }


def repair_fleet(stores: int, years: int = 3, seed: int = 7) -> dict[str, pd.Series]:
    """Daily repair counts and revenue per store: weekly and yearly seasonality, drift, noise.

    About 9 repairs per store-day on average, so 100 stores over three years is ~1M repairs.
    """
    rng = np.random.default_rng(seed)
    days = pd.date_range("2022-01-01", periods=365 * years, freq="D", name="ds")
    t = np.arange(len(days))
    weekday = np.array([1.0, 1.1, 1.1, 1.05, 1.2, 1.3, 0.25])[days.weekday]
    fleet = {}
    for store in range(stores):
        base = rng.lognormal(np.log(8.0), 0.5)
        yearly = 1 + rng.uniform(0.05, 0.3) * np.sin(2 * np.pi * (t / 365.25 + rng.uniform()))
        drift = 1 + rng.normal(0, 0.15) * t / len(t)
        repairs = rng.poisson(base * weekday * yearly * drift)
        ticket = rng.lognormal(np.log(85.0), 0.6, size=repairs.sum())
        revenue = np.bincount(np.repeat(t, repairs), weights=ticket, minlength=len(t))
        fleet[f"store_{store:03d}_repairs"] = pd.Series(repairs.astype(float), index=days)
        fleet[f"store_{store:03d}_revenue_eur"] = pd.Series(revenue.round(2), index=days)
    return fleet


def cpu_seconds() -> float:
    """CPU time of this process and of its finished worker processes, user + system."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def speed_table(stores: int) -> tuple[pd.DataFrame, int]:
    """Wall and CPU time of ``forecast_many`` on 20 series (1 and 2 workers) and on all.

    CPU time stays meaningful when other jobs load the machine; ``idle 2-core estimate`` is the
    CPU time spread over two cores, what the run would take with the machine to itself.
    """
    fleet = repair_fleet(stores)
    repairs = int(sum(s.sum() for name, s in fleet.items() if name.endswith("_repairs")))
    sample = dict(list(fleet.items())[:20])
    forecast_many(dict(list(fleet.items())[:1]), HORIZONS["D"], "D", workers=1)  # imports, once
    rows = []
    for label, series, workers in (
        ("20 series, 1 worker", sample, 1),
        ("20 series, 2 workers", sample, 2),
        (f"{len(fleet)} series, 2 workers", fleet, 2),
    ):
        started, cpu_started = time.perf_counter(), cpu_seconds()
        result = forecast_many(series, HORIZONS["D"], "D", workers=workers)
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
        rows.append(
            {
                "run": label,
                "wall s": seconds,
                "CPU s": cpu,
                "CPU s/series": cpu / len(series),
                "idle 2-core estimate s": cpu / 2,
                "failed": len(result.failures),
                "backtest MASE": result.methods["mase"].mean(),
                "seasonal naive MASE": result.methods["seasonal_naive_mase"].mean(),
            }
        )
        print(rows[-1], flush=True)
    return pd.DataFrame(rows), repairs


def warehouse_run(source: Path, workers: int | None) -> dict[str, object]:
    """Time ``train_forecast`` and ``inventory_report`` on the warehouse in ``source`` (read
    only: the registry and forecasts go to a scratch data directory linked to it)."""
    import duckdb

    from core.settings import Settings
    from models.forecasting.train import train_forecast
    from models.inventory import inventory_report

    scratch = Path(tempfile.mkdtemp(prefix="bench-forecast-"))
    try:
        (scratch / "warehouse.duckdb").symlink_to((source / "warehouse.duckdb").resolve())
        settings = Settings(data_dir=scratch)
        with duckdb.connect() as connection:
            connection.execute(f"ATTACH '{source / 'warehouse.duckdb'}' AS w (READ_ONLY)")
            repairs, stores, first, last = connection.execute(
                "SELECT count(*), count(DISTINCT store_id), min(received_date), "
                "max(received_date) FROM w.fct_repairs"
            ).fetchone()
        started, cpu_started = time.perf_counter(), cpu_seconds()
        entry = train_forecast(
            settings, started_by="benchmark", parameters={"workers": workers}, progress=print
        )
        train_wall, train_cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
        started, cpu_started = time.perf_counter(), cpu_seconds()
        report = inventory_report(settings)
        inventory_wall, inventory_cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return {
        "repairs": repairs,
        "stores": stores,
        "first": first,
        "last": last,
        "entry": entry,
        "train_wall": train_wall,
        "train_cpu": train_cpu,
        "inventory_wall": inventory_wall,
        "inventory_cpu": inventory_cpu,
        "report": report,
    }


def warehouse_section(command: str, run: dict[str, object]) -> str:
    entry, report = run["entry"], run["report"]
    m = entry.metrics
    load = os.getloadavg()[0]
    speed = pd.DataFrame(
        [
            {
                "step": "train forecast (read, backtest, select, forecast, register, publish)",
                "wall s": run["train_wall"],
                "CPU s": run["train_cpu"],
                "idle 2-core estimate s": run["train_cpu"] / 2,
            },
            {
                "step": "inventory report (plan, alerts, 2-rule backtest)",
                "wall s": run["inventory_wall"],
                "CPU s": run["inventory_cpu"],
                "idle 2-core estimate s": run["inventory_cpu"],
            },
        ]
    )
    backtest = report.backtest
    policy = report.policy
    lines = [
        WAREHOUSE_SUBSECTION,
        "",
        f"Run {date.today().isoformat()} with `{command}` on {os.cpu_count()} cores (1-minute "
        f"load average {load:.1f} at the end: other jobs share the machine, so wall time is "
        "mostly waiting; CPU time counts the worker processes too). Warehouse: "
        f"{run['repairs']:,} repairs, {run['stores']} stores, {run['first']} … {run['last']}.",
        "",
        markdown(speed, digits=1),
        "",
        f"{m['series']} series (daily 28 days ahead, weekly 13 weeks ahead), {m['failed']} "
        f"failed. Backtest median MASE {m['median_mase']:.3f} against seasonal naive's "
        f"{m['median_seasonal_naive_mase']:.3f} (daily {m['median_daily_mase']:.3f}, weekly "
        f"{m['median_weekly_mase']:.3f}); the chosen method beats seasonal naive on "
        f"{m['share_beating_seasonal_naive']:.0%} of series; mean 95 % interval coverage in "
        f"the backtest {m['coverage_95']:.0%}.",
    ]
    if backtest is not None:
        table = pd.DataFrame(
            {
                "figure": [name.replace("_", " ") for name in backtest.table().columns[1:]],
                **{
                    rule.name: _figures(rule.as_dict())
                    for rule in (backtest.min_max, backtest.policy)
                },
            }
        )
        lines += [
            "",
            f"Inventory backtest: {backtest.days} days ({backtest.first_day:%Y-%m-%d} … "
            f"{backtest.last_day:%Y-%m-%d}) × {backtest.pairs:,} store × part pairs; service "
            f"level {policy.service_level:.0%}, EOQ with €{policy.order_cost_eur:.0f} per order "
            f"line, holding {policy.holding_rate:.0%} a year, €{policy.shortage_cost_eur:.0f} "
            "per unit short, service level capped per part where stock stops paying for itself "
            f"({'on' if policy.cost_capped else 'off'}).",
            "",
            markdown(table, digits=2),
        ]
    return "\n".join(lines) + "\n"


def _figures(values: dict[str, object]) -> list[str]:
    """The backtest figures of one rule as the table shows them."""
    shown = []
    for name, value in list(values.items())[1:]:
        if name == "fill_rate":
            shown.append(f"{value:.1%}")
        elif name.endswith("_eur"):
            shown.append(f"€{value:,.0f}")
        else:
            shown.append(f"{value:,}")
    return shown


def write_subsection(text: str, heading: str) -> None:
    """Replace ``heading``'s subsection of the Forecasting section, or add it at its end."""
    existing = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    lines = existing.splitlines(keepends=True)
    section = next((i for i, line in enumerate(lines) if line.strip() == SECTION), None)
    if section is None:
        RESULTS.write_text(existing.rstrip("\n") + f"\n\n{SECTION}\n\n" + text)
        return
    section_end = next(
        (i for i in range(section + 1, len(lines)) if lines[i].startswith("## ")), len(lines)
    )
    start = next((i for i in range(section, section_end) if lines[i].strip() == heading), None)
    if start is None:
        start = end = section_end
        text = text + "\n" if section_end < len(lines) else "\n" + text
    else:
        end = next(
            (i for i in range(start + 1, section_end) if lines[i].startswith(("## ", "### "))),
            section_end,
        )
        text = text + ("\n" if end < len(lines) else "")
    RESULTS.write_text("".join(lines[:start]) + text + "".join(lines[end:]))


def markdown(table: pd.DataFrame, digits: int = 3) -> str:
    header = "| " + " | ".join(table.columns) + " |"
    rule = "|" + "|".join("---" for _ in table.columns) + "|"
    lines = [header, rule]
    for row in table.itertuples(index=False):
        cells = [f"{v:.{digits}f}" if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def results_section(
    command: str,
    accuracy: pd.DataFrame | None,
    speed: pd.DataFrame | None,
    repairs: int,
    windows: int,
) -> str:
    load = os.getloadavg()[0]
    parts = [
        SECTION,
        "",
        f"Run {date.today().isoformat()} with `{command}` on {os.cpu_count()} cores "
        f"(1-minute load average {load:.1f} at the end: other jobs share the machine).",
    ]
    if accuracy is not None:
        ratio_sn = np.exp(np.mean(np.log(accuracy["selected"] / accuracy["seasonal naive"])))
        ratio_hw = np.exp(np.mean(np.log(accuracy["selected"] / accuracy["Holt-Winters"])))
        parts += [
            "",
            f"### Accuracy on real series (mean over the last {windows} held-out horizons)",
            "",
            "MASE = mean absolute error over the in-sample seasonal naive error (lower is "
            "better); `selected` is `forecast_series` with its defaults, as `repairlens "
            "forecast` runs it (Prophet competes on daily series, with US/AU holidays for the "
            "two daily series). Coverage is that of the selected method's intervals.",
            "",
            markdown(accuracy),
            "",
            f"Geometric mean of MASE ratios: selected / seasonal naive **{ratio_sn:.3f}**, "
            f"selected / Holt-Winters **{ratio_hw:.3f}**.",
        ]
    if speed is not None:
        parts += [
            "",
            "### Fleet speed (`forecast_many` defaults: fast methods, no refit)",
            "",
            f"Synthetic repair history: {speed['run'].iloc[-1].split()[0]} daily series of 3 "
            f"years ({repairs:,} repairs), horizon 28, 3 backtest folds. Wall time depends on "
            "what else runs; CPU time much less so.",
            "",
            markdown(speed, digits=2),
        ]
    return "\n".join(parts) + "\n"


def write_section(text: str) -> None:
    """Replace this benchmark's section of RESULTS.md, or append it; other sections stay."""
    existing = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    lines = existing.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.strip() == SECTION), None)
    if start is None:
        RESULTS.write_text(existing.rstrip("\n") + "\n\n" + text)
        return
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    # The warehouse subsection is written by its own part: keep it.
    kept = next((i for i in range(start, end) if lines[i].strip() == WAREHOUSE_SUBSECTION), end)
    tail = "".join(lines[kept:])
    RESULTS.write_text("".join(lines[:start]) + text + ("\n" + tail if tail else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--part", choices=("accuracy", "speed", "both", "warehouse"), default="both"
    )
    parser.add_argument("--data-dir", type=Path, help="a built data directory (read only)")
    parser.add_argument("--workers", type=int, default=None, help="default: all cores")
    parser.add_argument("--series", default=",".join(REFERENCE_SERIES), help="reference names")
    parser.add_argument("--windows", type=int, default=3)
    parser.add_argument("--stores", type=int, default=100)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    command = ".venv/bin/python benchmarks/bench_forecast.py " + " ".join(sys.argv[1:])
    if args.part == "warehouse":
        if args.data_dir is None or not (args.data_dir / "warehouse.duckdb").exists():
            parser.error("--part warehouse needs --data-dir with a warehouse.duckdb")
        section = warehouse_section(command.strip(), warehouse_run(args.data_dir, args.workers))
        if args.write:
            write_subsection(section, WAREHOUSE_SUBSECTION)
        print(section)
        return
    accuracy = speed = None
    repairs = 0
    if args.part in ("accuracy", "both"):
        accuracy = accuracy_table(args.series.split(","), args.windows)
        print(markdown(accuracy))
    if args.part in ("speed", "both"):
        speed, repairs = speed_table(args.stores)
        print(markdown(speed, digits=2))
    section = results_section(command.strip(), accuracy, speed, repairs, args.windows)
    if args.write:
        write_section(section)
    print(section)


if __name__ == "__main__":
    main()
