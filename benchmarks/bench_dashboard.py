"""BI dashboard benchmark: the server time of the page's data loading, per filter change.

For a set of filter combinations (date presets, comparisons, grains, store/category/repair-type/
technician selections) and each dashboard section, times ``ui.dashboard.section_frames`` — every
frame one render of that section loads, through the same ``st.cache_data`` loaders the page uses —
twice: **cold** (the cache emptied first, so every metric query runs on the warehouse) and
**warm** (the same filters again: cache hits). The revenue section's forecast is timed apart
(cold: backtest and fit; warm: cache hit). The baseline, measured in the same run, is the Home
page's ``headline_kpis`` on the same connection.

The cached connection holds the metric layer's per-version summaries, rollups and cubes
(``warehouse.metrics.summaries``), built once per warehouse version by
``ui.warehouse.prepare_summaries`` before the first metric runs; that build is timed apart, with
its slowest tables. ``--inline-summaries`` drops them after the build, so every metric computes
them in its own query again (cubes read one row per repair): the comparison that shows what
they save.

The warehouse is only read. Run from the project root::

    REPAIRLENS_DATA_DIR=/path/to/var .venv/bin/python benchmarks/bench_dashboard.py
    REPAIRLENS_DATA_DIR=/path/to/var .venv/bin/python benchmarks/bench_dashboard.py --write
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.settings import get_settings  # noqa: E402  (the project root goes on the path first)
from ui import dashboard  # noqa: E402
from ui.filters import View, preset_range  # noqa: E402
from ui.warehouse import connection, current_version, cursor, prepare_summaries  # noqa: E402
from warehouse.kpis import headline_kpis  # noqa: E402
from warehouse.metrics import Filters, summaries  # noqa: E402

RESULTS = ROOT / "benchmarks" / "RESULTS.md"
SECTION = "## BI dashboard"
SECTIONS = ("revenue", "operations", "customers", "technicians")


def _views(options: dashboard.FilterOptions) -> list[tuple[str, View]]:
    """Filter combinations a manager clicks through."""
    as_of = options.last_date
    stores = list(options.stores)
    technician = next(iter(options.technicians))

    def view(preset: str, grain: str = "week", **selection) -> View:
        start, end = preset_range(preset, as_of)
        return View(Filters(start, end, **selection), preset, grain)  # type: ignore[arg-type]

    return [
        ("90 days, all", view("90d")),
        ("30 days, 3 stores", view("30d", stores=tuple(stores[:3]))),
        ("12 months, monthly, last year", view("12m", "month", comparison="same_period_last_year")),
        ("year to date, laptops", view("ytd", device_categories=("laptop",))),
        ("quarter, screens, daily", view("qtd", "day", repair_types=("screen_replacement",))),
        ("7 days, one technician", view("7d", technicians=(technician,))),
        ("90 days, Apple phones", view("90d", device_categories=("phone",), brands=("Apple",))),
        ("30 days, 1 store, no comparison", view("30d", stores=(stores[-1],), comparison="none")),
    ]


def _ms(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def run(repeats: int, inline_summaries: bool = False) -> tuple[list[str], dict]:
    version = current_version()
    if version is None:
        sys.exit(f"error: no warehouse at {get_settings().warehouse_path}: run `repairlens etl`")
    started = time.perf_counter()
    built = prepare_summaries(version)
    opening = (time.perf_counter() - started) * 1000
    if inline_summaries:
        summaries.discard(connection(version))
    first_query = _ms(lambda: dashboard.filter_options(version))
    options = dashboard.filter_options(version)
    db = cursor(version)
    repairs = db.execute("SELECT count(*) FROM fct_repairs").fetchone()[0]
    baseline = [_ms(lambda: headline_kpis(db, options.last_date, 30)) for _ in range(5)]

    timings: dict[str, dict[str, list[float]]] = {
        s: {"cold": [], "warm": [], "cpu": []} for s in SECTIONS
    }
    forecast_cold: list[float] = []
    forecast_warm: list[float] = []
    rows = []
    views = _views(options)
    for _ in range(repeats):
        for name, view in views:
            line = [name]
            for section in SECTIONS:
                shown = replace(view, section=section)
                dashboard.metric.clear()
                cpu = time.process_time()
                cold = _ms(lambda shown=shown: dashboard.section_frames(version, shown, options))
                timings[section]["cpu"].append((time.process_time() - cpu) * 1000)
                warm = _ms(lambda shown=shown: dashboard.section_frames(version, shown, options))
                timings[section]["cold"].append(cold)
                timings[section]["warm"].append(warm)
                line += [f"{cold:.0f}", f"{warm:.1f}"]
            history = dashboard.history_filters(view, options)

            def predict(history: Filters = history, grain: str = view.grain) -> object:
                return dashboard.forecast(version, history, "revenue_eur", grain)

            dashboard.forecast.clear()
            forecast_cold.append(_ms(predict))
            forecast_warm.append(_ms(predict))
            line += [f"{forecast_cold[-1]:.0f}", f"{forecast_warm[-1]:.1f}"]
            rows.append("| " + " | ".join(line) + " |")
    summary = {
        "repairs": repairs,
        "opening_ms": opening,
        "built_s": built,
        "first_query_ms": first_query,
        "inline_summaries": inline_summaries,
        "baseline_ms": statistics.median(baseline),
        "timings": timings,
        "forecast": (forecast_cold, forecast_warm),
    }
    return rows, summary


def _slowest(built: dict[str, float], count: int = 4) -> str:
    """The tables of the summary build that took longest, e.g. 'stage_bins 1.2 s, …'."""
    ordered = sorted(built.items(), key=lambda item: item[1], reverse=True)[:count]
    return "slowest: " + ", ".join(f"`{name}` {seconds:.1f} s" for name, seconds in ordered)


def report(rows: list[str], summary: dict, command: str) -> str:
    load = os.getloadavg()[0]
    baseline = summary["baseline_ms"]
    lines = [
        SECTION,
        "",
        f"Run {dt.date.today()} with `{command}` on {os.cpu_count()} cores "
        f"(1-minute load average {load:.1f} at the end: other jobs share the machine, so read "
        "the ratios to the baseline more than the milliseconds). Warehouse: "
        f"{summary['repairs']:,} repairs (40 stores × 3 years).",
        "",
        "Server time of one render's data loading (`ui.dashboard.section_frames`: KPI cards and "
        "their comparison, alerts, and every frame of the section), per filter combination. "
        "**Cold**: cache emptied, every metric query runs on DuckDB. **Warm**: the same filters "
        "again, served by `st.cache_data` (keyed on the warehouse version and the filters, so a "
        "new ETL publish starts cold). Baseline: the Home page's `headline_kpis` (one window "
        f"against the previous), **{baseline:.0f} ms** median in this run. Opening the "
        f"warehouse version and building its summaries (once per ETL publish): "
        f"{summary['opening_ms']:.0f} ms ({_slowest(summary['built_s'])}); the first query: "
        f"{summary['first_query_ms']:.0f} ms. "
        + (
            "**Summaries inline** (`--inline-summaries`): every metric recomputes them."
            if summary["inline_summaries"]
            else "Metrics read the prepared summaries."
        ),
        "",
        "| section | cold median ms | cold p95 ms | cold ÷ baseline | cold CPU median ms "
        "| warm median ms | warm p95 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for section, times in summary["timings"].items():
        cold, warm = times["cold"], times["warm"]
        lines.append(
            f"| {section} | {statistics.median(cold):.0f} | {_p95(cold):.0f} "
            f"| {statistics.median(cold) / baseline:.1f}× | {statistics.median(times['cpu']):.0f} "
            f"| {statistics.median(warm):.1f} | {_p95(warm):.1f} |"
        )
    cold, warm = summary["forecast"]
    lines += [
        f"| revenue forecast | {statistics.median(cold):.0f} | {_p95(cold):.0f} "
        f"| {statistics.median(cold) / baseline:.1f}× | | {statistics.median(warm):.1f} "
        f"| {_p95(warm):.1f} |",
        "",
        "Cold CPU is the process CPU time of a cold load (all DuckDB threads): on an idle machine "
        "the wall time of a cold load is about this divided by the cores the queries overlap on.",
        "",
        "Per filter combination (ms, cold / warm):",
        "",
        "| filters | revenue cold | warm | operations cold | warm | customers cold | warm "
        "| technicians cold | warm | forecast cold | warm |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    return "\n".join(lines)


def write(text: str) -> None:
    content = RESULTS.read_text()
    if SECTION in content:
        start = content.index(SECTION)
        following = content.find("\n## ", start + len(SECTION))
        end = len(content) if following == -1 else following + 1
        content = content[:start] + text + content[end:]
    else:
        content = content.rstrip("\n") + "\n\n" + text
    RESULTS.write_text(content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1, help="passes over the combinations")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    parser.add_argument(
        "--inline-summaries",
        action="store_true",
        help="drop the per-version summaries: each metric computes them in its own query",
    )
    args = parser.parse_args()
    # Streamlit's caches work outside a running app; its "no runtime" notices are noise here.
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    rows, summary = run(args.repeats, args.inline_summaries)
    command = (
        "REPAIRLENS_DATA_DIR=… .venv/bin/python benchmarks/bench_dashboard.py"
        + (f" --repeats {args.repeats}" if args.repeats != 1 else "")
        + (" --inline-summaries" if args.inline_summaries else "")
        + (" --write" if args.write else "")
    )
    text = report(rows, summary, command)
    print(text)
    if args.write:
        write(text)


if __name__ == "__main__":
    main()
