"""Model Lab costs on a large warehouse: drift report, candidate comparison, job start latency.

The warehouse is opened read-only through a symlink in a private data directory, so the registry
and job store this writes never touch the source. A small diagnostics model (fitted on the first
``--rows`` repairs of a window ending ``--days-back`` days before the latest) is registered twice
and promoted, then each operation is timed ``--repeat`` times; medians are printed.

    python -m benchmarks.bench_model_lab --warehouse /work/bench1m/var/warehouse.duckdb
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from core.settings import Settings
from models import jobs, registry
from models.training import Family

KIND = "diagnostics"

# A job whose training registers a few bytes: the timing is the process start and bookkeeping.
INSTANT = Family("instant", "Benchmark no-op", "benchmarks.bench_model_lab", "instant", "describe")


def instant(settings, window, *, promote, started_by, parameters, progress):
    progress("registering")
    return registry.register(
        "instant", b"x", started_by=started_by, parameters={}, metrics={}, settings=settings
    )


def describe(entry: registry.Entry) -> str:
    return f"instant v{entry.version}"


def _median(action, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--rows", type=int, default=3_000)
    parser.add_argument("--days-back", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    # Imported here so that the worker importing this module for INSTANT starts as light as a
    # family module can.
    from models.diagnostics.pricing import price_table
    from models.diagnostics.store import save_model
    from models.diagnostics.train import fit_model, training_rows
    from models.monitoring import compare, monitor
    from models.monitoring.report import _latest_received

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "var"
        directory.mkdir()
        (directory / "warehouse.duckdb").symlink_to(args.warehouse.resolve())
        settings = Settings(data_dir=directory)
        latest = _latest_received(settings)
        end = latest - timedelta(days=args.days_back)
        rows = training_rows(settings, (end - timedelta(days=60), end)).tail(args.rows)
        model, evaluation = fit_model(rows, {"max_char_features": 20_000})
        received = rows["received_date"]
        first = registry.register(
            KIND,
            save_model(model, price_table(rows)),
            started_by="bench",
            parameters={},
            metrics=evaluation.as_dict(),
            window=(received.min(), received.max()),
            settings=settings,
        )
        registry.promote(KIND, first.version, by="bench", reason="bench", settings=settings)
        second = registry.register(
            KIND,
            first.artifact_path,
            started_by="bench",
            parameters={},
            metrics=first.metrics,
            window=(first.window_start, first.window_end),
            settings=settings,
        )
        production = registry.production(KIND, settings=settings)

        seconds, report = _median(lambda: monitor(settings, KIND), args.repeat)
        print(f"monitor(diagnostics): median {seconds:.2f} s over {args.repeat}")
        for check in report.checks:
            print(f"  {check.name}: {check.value} ({check.detail[:90]})")
        seconds, result = _median(lambda: compare(settings, second, production), args.repeat)
        print(f"compare(v2, v1) on {result.holdout[:40]}…: median {seconds:.2f} s")

        starts = []

        def start_and_finish():
            started = time.perf_counter()
            job = jobs.start_job(settings, "instant", item=INSTANT, started_by="bench")
            starts.append(time.perf_counter() - started)
            jobs.wait_for_job(settings, job.job_id)

        seconds, _ = _median(start_and_finish, args.repeat)
        print(f"start_job returns: median {statistics.median(starts) * 1000:.0f} ms")
        print(f"start_job → worker finished (no-op family): median {seconds:.2f} s")
        seconds, _ = _median(lambda: jobs.list_jobs(settings, "instant"), 20)
        print(f"list_jobs (page poll): median {seconds * 1000:.1f} ms")
        seconds, _ = _median(lambda: jobs.log_lines(settings, "x"), 20)
        print(f"log_lines (page poll): median {seconds * 1000:.1f} ms")


if __name__ == "__main__":
    main()
