"""Time ``generate_history`` for a given number of repairs on PostgreSQL and on SQLite.

    .venv/bin/python benchmarks/bench_generate.py --repairs 1000000 --engine postgresql
    .venv/bin/python benchmarks/bench_generate.py --repairs 1000000 --engine sqlite

Each engine runs in its own process (so peak RSS is per engine) against a fresh database the
script creates: a PostgreSQL database ``repairlens_bench_generate_<random>`` (dropped afterwards
unless --keep) or a SQLite file in a temporary directory. It prints wall time, repairs per second,
rows per table, peak RSS, and the machine's load average before and after, since other work on the
machine slows the run down.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_PG_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


def main() -> None:
    args = _arguments()
    if args.engine == "both":
        for engine in ("postgresql", "sqlite"):
            command = [sys.executable, __file__, *_forwarded(args), "--engine", engine]
            subprocess.run(command, check=True)
        return
    result = _run(args)
    print(json.dumps(result) if args.json else _report(result))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repairs", type=int, default=1_000_000, help="about this many repairs")
    parser.add_argument(
        "--stores", type=int, default=30, help="stores (default 30: ~30 a day each)"
    )
    parser.add_argument("--years", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--end-date", default="2026-06-30", help="fixed so runs are comparable")
    parser.add_argument("--engine", choices=("postgresql", "sqlite", "both"), default="both")
    parser.add_argument(
        "--pg-admin-dsn", default=os.environ.get("REPAIRLENS_BENCH_PG_DSN", DEFAULT_PG_ADMIN_DSN)
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    parser.add_argument("--quiet", action="store_true", help="no progress messages")
    return parser.parse_args()


def _forwarded(args: argparse.Namespace) -> list[str]:
    forwarded = [
        "--repairs", str(args.repairs), "--stores", str(args.stores), "--years", str(args.years),
        "--seed", str(args.seed), "--end-date", args.end_date, "--pg-admin-dsn", args.pg_admin_dsn,
    ]  # fmt: skip
    return forwarded + [
        flag
        for flag, on in (("--keep", args.keep), ("--json", args.json), ("--quiet", args.quiet))
        if on
    ]


def _run(args: argparse.Namespace) -> dict:
    from core.db import make_engine
    from data.generator import GeneratorConfig, generate_history
    from ops.migrate import upgrade_to_head

    config = GeneratorConfig(
        stores=args.stores,
        years=args.years,
        seed=args.seed,
        repairs=args.repairs,
        end_date=dt.date.fromisoformat(args.end_date),
    )
    with _database(args) as url:
        engine = make_engine(url)
        upgrade_to_head(engine)
        load_before = os.getloadavg()
        started = time.perf_counter()

        def progress(message: str) -> None:
            if not args.quiet:
                print(
                    f"{time.perf_counter() - started:8.1f}s  {message}", file=sys.stderr, flush=True
                )

        written = generate_history(engine, config, progress=progress)
        wall = time.perf_counter() - started
        engine.dispose()
    return {
        "engine": args.engine,
        "requested_repairs": args.repairs,
        "repairs": written["repairs"],
        "rows": sum(written.values()),
        "written": written,
        "wall_seconds": round(wall, 1),
        "repairs_per_second": round(written["repairs"] / wall),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "date": dt.date.today().isoformat(),
        "config": {
            "stores": args.stores,
            "years": args.years,
            "seed": args.seed,
            "end_date": args.end_date,
        },
    }


class _database:
    """A fresh database URL for the run, removed afterwards unless --keep."""

    def __init__(self, args: argparse.Namespace) -> None:
        self._args = args
        self._cleanup = lambda: None

    def __enter__(self) -> str:
        if self._args.engine == "sqlite":
            directory = Path(tempfile.mkdtemp(prefix="repairlens_bench_generate_"))
            path = directory / "ops.sqlite"
            if not self._args.keep:
                self._cleanup = lambda: _remove_tree(directory)
            else:
                print(f"keeping {path}", file=sys.stderr)
            return f"sqlite:///{path}"
        import psycopg

        name = f"repairlens_bench_generate_{uuid.uuid4().hex[:8]}"
        dsn = self._args.pg_admin_dsn
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        if self._args.keep:
            print(f"keeping database {name}", file=sys.stderr)
        else:
            self._cleanup = lambda: _drop_database(dsn, name)
        params = dict(part.split("=", 1) for part in dsn.split())
        host, port, user = (
            params.get("host", "127.0.0.1"),
            params.get("port", "5432"),
            params["user"],
        )
        return f"postgresql+psycopg://{user}@{host}:{port}/{name}"

    def __exit__(self, *_exc: object) -> None:
        self._cleanup()


def _drop_database(dsn: str, name: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _remove_tree(directory: Path) -> None:
    for child in directory.iterdir():
        child.unlink()
    directory.rmdir()


def _report(result: dict) -> str:
    rows = ", ".join(f"{table} {count:,}" for table, count in result["written"].items())
    before, after = result["load_average_before"][0], result["load_average_after"][0]
    return (
        f"{result['engine']}: {result['repairs']:,} repairs ({result['rows']:,} rows) in "
        f"{result['wall_seconds']:.1f} s = {result['repairs_per_second']:,} repairs/s, "
        f"peak RSS {result['peak_rss_mb']:,} MB, load average {before:.1f} before / "
        f"{after:.1f} after on {result['cpus']} CPUs\n  {rows}"
    )


if __name__ == "__main__":
    main()
