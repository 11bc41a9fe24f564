"""ETL speed on a 1M-repair history in PostgreSQL, against ``psql COPY`` of the same tables.

    .venv/bin/python benchmarks/bench_etl.py                  # generate, measure, drop the database
    .venv/bin/python benchmarks/bench_etl.py --keep-db bench  # keep (or reuse) database "bench"
    .venv/bin/python benchmarks/bench_etl.py --keep-db bench --runs 3  # medians of 3 rounds

Steps, all in one run so the ratios compare like with like on the same machine state:

1. create a PostgreSQL database and fill it with ``generate_history`` (1M repairs, 12 stores,
   5 years, seed 7) — skipped when ``--keep-db`` names a database that already has it;
2. baseline: ``psql -c "COPY <table> TO STDOUT" > /dev/null`` for every table the ETL reads;
3. full ETL (``run_etl(full=True)``) in a child process under ``/usr/bin/time -v``;
4. change 1 % of the repairs (a price correction, ``updated_at`` bumped), then an incremental ETL,
   also under ``/usr/bin/time -v``;
5. the same through ``repairlens etl --watch`` (a resident process that makes the next run's
   copy of the warehouse while it waits): three times, wait for its spare copy, change 1 % of
   the repairs, wait for the run that publishes them and take that run's duration from the run
   log;
6. repeat 2–5 ``--runs`` times (default 2) and print the medians as the Markdown of the "## ETL"
   section of benchmarks/RESULTS.md, with every round's figures and ratios below it. Ratios are
   taken within a round, so a machine that is busier in one round than another skews them less.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import queue
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.db import make_engine  # noqa: E402
from ops.migrate import upgrade_to_head  # noqa: E402
from ops.schema import TABLES_IN_LOAD_ORDER  # noqa: E402
from warehouse.reader import file_version  # noqa: E402

WATCHED_CHANGES = 3

ADMIN_DSN = os.environ.get("REPAIRLENS_BENCH_PG_DSN", "host=127.0.0.1 port=5432 user=postgres")
CHILD = """
import json, sys
from core.settings import get_settings
from pipelines.run import run_etl
summary = run_etl(get_settings(), full=sys.argv[1] == "full")
print("SUMMARY " + json.dumps({"duration_s": summary.duration_s, "rows_read": summary.rows_read,
      "rows_written": summary.rows_written, "rows_quarantined": summary.rows_quarantined}))
"""


def admin() -> psycopg.Connection:
    return psycopg.connect(f"{ADMIN_DSN} dbname=postgres", autocommit=True)


def database_url(name: str) -> str:
    params = dict(part.split("=", 1) for part in ADMIN_DSN.split())
    return f"postgresql+psycopg://{params['user']}@{params['host']}:{params['port']}/{name}"


def ensure_history(name: str, repairs: int) -> None:
    with admin() as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    engine = make_engine(database_url(name))
    try:
        upgrade_to_head(engine)
        with engine.connect() as conn:
            has_history = conn.exec_driver_sql("SELECT count(*) FROM repairs").scalar()
        if has_history:
            print(f"reusing {name}: {has_history:,} repairs", flush=True)
            return
        from data.generator import GeneratorConfig, generate_history

        started = time.perf_counter()
        written = generate_history(
            engine, GeneratorConfig(repairs=repairs, stores=12, years=5, seed=7)
        )
        print(f"generated in {time.perf_counter() - started:.0f}s: {written}", flush=True)
    finally:
        engine.dispose()
    with psycopg.connect(f"{ADMIN_DSN} dbname={name}", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def copy_baseline(name: str) -> float:
    """Seconds for psql to COPY every ops table to /dev/null."""
    params = dict(part.split("=", 1) for part in ADMIN_DSN.split())
    started = time.perf_counter()
    for table in TABLES_IN_LOAD_ORDER:
        with open(os.devnull, "wb") as devnull:
            subprocess.run(
                [
                    "psql",
                    "-h",
                    params["host"],
                    "-p",
                    params["port"],
                    "-U",
                    params["user"],
                    "-d",
                    name,
                    "-c",
                    f'COPY "{table}" TO STDOUT',
                ],
                stdout=devnull,
                check=True,
            )
    return time.perf_counter() - started


def timed_etl(name: str, data_dir: Path, mode: str) -> dict:
    """Run the ETL in a child under /usr/bin/time -v; its summary plus wall time and peak RSS."""
    env = etl_env(name, data_dir)
    started = time.perf_counter()
    completed = subprocess.run(
        ["/usr/bin/time", "-v", sys.executable, "-c", CHILD, mode],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(f"{mode} ETL failed:\n{completed.stdout}\n{completed.stderr[-3000:]}")
    summary = json.loads(completed.stdout.split("SUMMARY ", 1)[1])

    def measured(label: str) -> float:
        return float(re.search(rf"{label}: ([\d.]+)", completed.stderr)[1])

    return {
        **summary,
        "wall_s": wall,
        "cpu_s": measured(r"User time \(seconds\)") + measured(r"System time \(seconds\)"),
        "peak_rss_mib": measured(r"Maximum resident set size \(kbytes\)") / 1024,
    }


def etl_env(name: str, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "REPAIRLENS_DATA_DIR": str(data_dir),
        "REPAIRLENS_OPS_DB_URL": database_url(name),
        "PYTHONPATH": str(ROOT),
    }


def watched_runs(name: str, data_dir: Path) -> list[float]:
    """Durations (from the run log) of ``repairlens etl --watch`` runs that each published a 1 %
    change made once the watch had its spare copy ready."""
    watch = subprocess.Popen(
        [sys.executable, str(ROOT / "cli.py"), "etl", "--watch", "--interval", "2"],
        cwd=ROOT,
        env=etl_env(name, data_dir),
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in watch.stderr], daemon=True).start()
    durations = []
    try:
        for _ in range(WATCHED_CHANGES):
            wait_for_spare(data_dir)
            change_one_percent(name)
            run_id = published_run(lines)
            with sqlite3.connect(data_dir / "etl-runs.sqlite") as log:
                (duration,) = log.execute(
                    "SELECT duration_s FROM etl_runs WHERE run_id = ?", [run_id]
                ).fetchone()
            print(f"  watched run {run_id}: {duration:.2f}s", flush=True)
            durations.append(duration)
    finally:
        watch.send_signal(signal.SIGTERM)
        watch.wait(timeout=120)
    return durations


def wait_for_spare(data_dir: Path, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        published = data_dir / "warehouse.duckdb"
        version = file_version(published.stat())
        if (data_dir / ".warehouse-spare" / f"{version}.duckdb").exists():
            return
        time.sleep(0.2)
    raise SystemExit("the watch made no spare copy in time")


def published_run(lines: queue.Queue[str], timeout: float = 300) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        if match := re.match(r"etl run (\S+): published", line):
            return match[1]
        if line.startswith("etl failed"):
            raise SystemExit(line)
    raise SystemExit("the watch published nothing in time")


def change_one_percent(name: str) -> int:
    with psycopg.connect(f"{ADMIN_DSN} dbname={name}", autocommit=True) as conn:
        return conn.execute(
            "UPDATE repairs SET final_price_eur = final_price_eur + 1, "
            "updated_at = (now() AT TIME ZONE 'utc') WHERE id % 100 = 0"
        ).rowcount


def table_sizes(name: str) -> dict[str, int]:
    with psycopg.connect(f"{ADMIN_DSN} dbname={name}") as conn:
        return {
            t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
            for t in TABLES_IN_LOAD_ORDER
        }


def median(rounds: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in rounds)


def report(
    sizes: dict[str, int],
    rounds: list[dict],
    warehouse_mib: float,
) -> str:
    """The Markdown of the "## ETL" section: medians over ``rounds``, then each round."""
    rows = sum(sizes.values())
    full = [r["full"] for r in rounds]
    incremental = [r["incremental"] for r in rounds]
    copy_s = statistics.median(r["copy_s"] for r in rounds)
    full_ratio = statistics.median(r["full"]["wall_s"] / r["copy_s"] for r in rounds)
    incremental_share = statistics.median(
        100 * r["incremental"]["wall_s"] / r["full"]["wall_s"] for r in rounds
    )
    changed = rounds[-1]["changed"]
    watched_s = statistics.median(r["watched_s"] for r in rounds)
    # A watched run's duration is measured inside the process: compare it with the full run's
    # own in-process duration, and with its wall time (start-up included) too.
    watched_share = statistics.median(
        100 * r["watched_s"] / r["full"]["duration_s"] for r in rounds
    )
    watched_wall_share = statistics.median(
        100 * r["watched_s"] / r["full"]["wall_s"] for r in rounds
    )
    lines = [
        "## ETL",
        "",
        f"Measured {dt.date.today().isoformat()} on this project's machine (2 cores, 24 GiB), "
        "PostgreSQL 15 on localhost, with",
        "`.venv/bin/python benchmarks/bench_etl.py` (generates the history with "
        "`GeneratorConfig(repairs=1_000_000, stores=12, years=5, seed=7)`).",
        "",
        f"History: {sizes['repairs']:,} repairs, {rows:,} rows in {len(sizes)} tables "
        f"(largest: repair_status_events {sizes['repair_status_events']:,}).",
        "",
        f"Medians of {len(rounds)} rounds (ratios are medians of each round's own ratio):",
        "",
        "| run | time | vs. baseline | CPU (user + sys) | peak RSS |",
        "|---|---|---|---|---|",
        f'| baseline: `psql -c "COPY … TO STDOUT" > /dev/null`, every table | {copy_s:.1f} s '
        "| 1× | — | — |",
        f"| full ETL (`run_etl(full=True)`) | {median(full, 'wall_s'):.1f} s | "
        f"{full_ratio:.1f}× COPY | {median(full, 'cpu_s'):.1f} s | "
        f"{median(full, 'peak_rss_mib'):,.0f} MiB |",
        f"| incremental ETL after {changed:,} repairs (1 %) changed | "
        f"{median(incremental, 'wall_s'):.1f} s | {incremental_share:.1f} % of full | "
        f"{median(incremental, 'cpu_s'):.1f} s | {median(incremental, 'peak_rss_mib'):,.0f} MiB |",
        f"| the same change under `repairlens etl --watch` (median of {WATCHED_CHANGES} runs, "
        f"run log) | {watched_s:.2f} s | {watched_share:.1f} % of the full run's "
        f"{median(full, 'duration_s'):.1f} s in-process ({watched_wall_share:.1f} % of its wall "
        "time) | — | — |",
        "",
        "| round | COPY | full | full ÷ COPY | incremental | incremental ÷ full | watched "
        "| watched ÷ full in-process |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for number, r in enumerate(rounds, 1):
        lines.append(
            f"| {number} | {r['copy_s']:.1f} s | {r['full']['wall_s']:.1f} s | "
            f"{r['full']['wall_s'] / r['copy_s']:.2f}× | {r['incremental']['wall_s']:.1f} s | "
            f"{100 * r['incremental']['wall_s'] / r['full']['wall_s']:.1f} % | "
            f"{r['watched_s']:.2f} s | {100 * r['watched_s'] / r['full']['duration_s']:.1f} % |"
        )
    lines += [
        "",
        f"Times are wall clock of the whole process (Python start-up included); the published "
        f"warehouse is {warehouse_mib:,.0f} MiB. Full run: {full[-1]['rows_read']:,} rows read, "
        f"{full[-1]['rows_written']:,} written, {full[-1]['rows_quarantined']:,} quarantined. "
        f"Incremental: {incremental[-1]['rows_read']:,} read, "
        f"{incremental[-1]['rows_written']:,} written.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep-db", help="database name to create or reuse, and keep")
    parser.add_argument("--repairs", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=2, help="rounds to take medians over")
    args = parser.parse_args()
    name = args.keep_db or f"repairlens_bench_{os.getpid()}"
    try:
        ensure_history(name, args.repairs)
        sizes = table_sizes(name)
        rounds = []
        for number in range(1, args.runs + 1):
            with tempfile.TemporaryDirectory(prefix="bench-etl-") as tmp:
                data_dir = Path(tmp)
                copy_s = copy_baseline(name)
                print(f"round {number}: COPY baseline {copy_s:.2f}s", flush=True)
                full = timed_etl(name, data_dir, "full")
                print(f"round {number}: full {full}", flush=True)
                changed = change_one_percent(name)
                incremental = timed_etl(name, data_dir, "incremental")
                print(f"round {number}: incremental {incremental}", flush=True)
                watched = watched_runs(name, data_dir)
                warehouse_mib = (data_dir / "warehouse.duckdb").stat().st_size / 2**20
            rounds.append(
                {
                    "copy_s": copy_s,
                    "full": full,
                    "incremental": incremental,
                    "changed": changed,
                    "watched_s": statistics.median(watched),
                }
            )
        print()
        print(report(sizes, rounds, warehouse_mib))
    finally:
        if not args.keep_db:
            with admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
