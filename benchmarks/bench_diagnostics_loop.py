"""Prediction log and feedback loop: logging latency, concurrent writers, and the loop's figures
over a large log against a large warehouse; similar-repair search on that warehouse.

    .venv/bin/python benchmarks/bench_diagnostics_loop.py --warehouse-dir /work/bench1m/var \\
        --work-dir /tmp/loop-bench --predictions 100000

``--warehouse-dir`` is a data directory with a published warehouse; it is only read (its
warehouse file is linked into ``--work-dir``, where the prediction log is written). The log is
filled with one synthetic prediction per sampled completed repair (half linked by repair id, half
by booking reference when the repair has one), with the recorded fault as the top candidate 80 %
of the time, so the matched accuracy is known in advance.

Prints Markdown for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.settings import Settings  # noqa: E402
from data import reference  # noqa: E402
from models.diagnostics.diagnose import (  # noqa: E402
    Candidate,
    Diagnosis,
    SimilarRepairs,
    past_repairs,
)
from models.diagnostics.features import Case  # noqa: E402
from models.diagnostics.feedback import (  # noqa: E402
    accuracy_by,
    accuracy_over_time,
    confusion_matrix,
    matched_predictions,
    summarise,
)
from models.diagnostics.prediction_log import (  # noqa: E402
    read_predictions,
    record_prediction,
    record_predictions,
)
from warehouse.reader import connect_read_only  # noqa: E402

CASE = Case("phone", "screen cracked after a drop", model="iPhone 12", dropped=True)
ANSWER = Diagnosis(
    tuple(Candidate(f, p, "x", None, None, None, "none") for f, p in
          [("cracked_screen", 0.8), ("touch_failure", 0.1), ("display_failure", 0.05)]),
    False, "",
)  # fmt: skip


def _timed(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _writer(directory: str, count: int) -> None:
    settings = Settings(data_dir=Path(directory))
    for _ in range(count):
        record_prediction(settings, source="api", case=CASE, answer=ANSWER, model_version=1)


def bench_logging(work: Path) -> list[str]:
    single = work / "single"
    single.mkdir()
    settings = Settings(data_dir=single)
    record_prediction(settings, source="app", case=CASE, answer=ANSWER, model_version=1)
    times = [
        _timed(lambda: record_prediction(
            settings, source="app", case=CASE, answer=ANSWER, model_version=1))
        for _ in range(300)
    ]  # fmt: skip
    shared = work / "shared"
    shared.mkdir()
    workers, each = 4, 250
    context = multiprocessing.get_context("fork")
    start = time.perf_counter()
    processes = [context.Process(target=_writer, args=(str(shared), each)) for _ in range(workers)]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    elapsed = time.perf_counter() - start
    logged = read_predictions(Settings(data_dir=shared)).height
    return [
        "| measure | result |",
        "|---|---:|",
        f"| one `record_prediction` (median of 300, p95) | {statistics.median(times) * 1e3:.1f} ms "
        f"(p95 {sorted(times)[284] * 1e3:.1f} ms) |",
        f"| {workers} processes × {each} predictions at once | {elapsed:.2f} s, "
        f"{logged:,} of {workers * each:,} rows logged |",
    ]


def fill_log(settings: Settings, count: int, seed: int = 7) -> tuple[int, float, float]:
    """Log ``count`` synthetic predictions for sampled completed repairs; returns (rows whose
    top candidate is the recorded fault, wall and CPU seconds spent building and logging)."""
    connection = connect_read_only(settings)
    try:
        rows = connection.execute(
            "SELECT * FROM (SELECT r.repair_id, b.booking_reference, r.fault_code, "
            "r.device_category, d.model, r.completed_at FROM fct_repairs r "
            "JOIN dim_device_model d USING (device_model_id) "
            "LEFT JOIN fct_bookings b ON b.repair_id = r.repair_id "
            "WHERE r.is_completed AND r.fault_code IS NOT NULL) "
            f"USING SAMPLE reservoir({int(count)} ROWS) REPEATABLE (7)"
        ).fetchall()
    finally:
        connection.close()
    codes = sorted(reference.fault_codes())
    rng = random.Random(seed)
    right, batch = 0, []
    started, started_cpu = time.perf_counter(), time.process_time()
    for repair_id, booking_reference, fault, category, model, completed_at in rows:
        top = fault if rng.random() < 0.8 else rng.choice([c for c in codes if c != fault])
        right += top == fault
        others = rng.sample([c for c in codes if c != top], 2)
        answer = Diagnosis(
            tuple(Candidate(f, p, "x", None, None, None, "none")
                  for f, p in zip([top, *others], [0.7, 0.2, 0.1], strict=True)),
            rng.random() < 0.3, "",
        )  # fmt: skip
        by_booking = booking_reference is not None and rng.random() < 0.5
        batch.append((Case(category, "text", model=model), answer,
                      None if by_booking else repair_id,
                      booking_reference if by_booking else None,
                      completed_at - dt.timedelta(days=2)))  # fmt: skip
        if len(batch) == 1000:
            _flush(settings, batch)
            batch = []
    _flush(settings, batch)
    return right, time.perf_counter() - started, time.process_time() - started_cpu


def _flush(settings: Settings, batch: list) -> None:
    # record_predictions stamps one made_at per call: log per day, spread over the history.
    by_day: dict = {}
    for case, answer, repair_id, reference_, made_at in batch:
        by_day.setdefault(made_at.date(), []).append((case, answer, repair_id, reference_))
    for day, items in by_day.items():
        record_predictions(
            settings, source="api", answers=[(c, a) for c, a, _, _ in items], model_version=1,
            repair_ids=[r for _, _, r, _ in items], booking_references=[b for _, _, _, b in items],
            made_at=dt.datetime.combine(day, dt.time(12)),
        )  # fmt: skip


def bench_loop(settings: Settings, count: int) -> list[str]:
    right, fill_seconds, fill_cpu = fill_log(settings, count)
    times, cpu, matched, logged = [], [], None, 0
    for _ in range(3):
        start, start_cpu = time.perf_counter(), time.process_time()
        matched, logged = matched_predictions(settings)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    start = time.perf_counter()
    summary = summarise(matched, logged)
    accuracy_over_time(matched, "1w")
    accuracy_by(matched, "device_model")
    cells = confusion_matrix(matched)
    summaries = time.perf_counter() - start
    return [
        "| measure | result |",
        "|---|---:|",
        f"| predictions built and logged (one transaction per day) | {logged:,} in "
        f"{fill_seconds:.1f} s wall, {fill_cpu:.1f} s CPU |",
        f"| `matched_predictions` (read log + warehouse lookup + match), median of 3 | "
        f"{statistics.median(times):.2f} s wall, {statistics.median(cpu):.2f} s CPU |",
        f"| summary, weekly accuracy, per-model accuracy, confusion matrix | {summaries:.2f} s |",
        f"| matched | {summary.matched:,} (top-1 {summary.top1_accuracy:.3f}; planted "
        f"{right / logged:.3f}); {cells.height} confusion cells |",
    ]


def bench_similar(settings: Settings) -> list[str]:
    connection = connect_read_only(settings)
    try:
        start = time.perf_counter()
        repairs = past_repairs(connection, "phone")
        load = time.perf_counter() - start
    finally:
        connection.close()
    start, start_cpu = time.perf_counter(), time.process_time()
    index = SimilarRepairs.build(repairs)
    build, build_cpu = time.perf_counter() - start, time.process_time() - start_cpu
    index.query("warm up")
    queries = [
        _timed(lambda: index.query("scrn cracked after i dropped it", "iPhone 12"))
        for _ in range(50)
    ]
    return [
        "| measure | result |",
        "|---|---:|",
        f"| load the {repairs.height:,} most recent phone repairs | {load:.2f} s |",
        f"| build the similarity index (once per warehouse version and category) | "
        f"{build:.2f} s wall, {build_cpu:.2f} s CPU |",
        f"| one query, median of 50 | {statistics.median(queries) * 1e3:.1f} ms |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse-dir", type=Path, required=True)
    parser.add_argument("--work-dir", type=Path, required=True)
    parser.add_argument("--predictions", type=int, default=100_000)
    args = parser.parse_args()
    if args.work_dir.exists():
        shutil.rmtree(args.work_dir)
    loop_dir = args.work_dir / "loop"
    loop_dir.mkdir(parents=True)
    (loop_dir / "warehouse.duckdb").symlink_to((args.warehouse_dir / "warehouse.duckdb").resolve())
    settings = Settings(data_dir=loop_dir)
    print("#### Logging\n")
    print("\n".join(bench_logging(args.work_dir)))
    print(f"\n#### Feedback loop over {args.predictions:,} predictions\n")
    print("\n".join(bench_loop(settings, args.predictions)))
    print("\n#### Similar past repairs\n")
    print("\n".join(bench_similar(settings)))


if __name__ == "__main__":
    main()
