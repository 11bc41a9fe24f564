"""Booking API throughput and latency under 50 concurrent connections, with wrk on loopback.

    .venv/bin/python benchmarks/bench_api.py                    # defaults: 3 rounds of 10 s each
    .venv/bin/python benchmarks/bench_api.py --rounds 5 --duration 20 --workers 2
    .venv/bin/python benchmarks/bench_api.py --compare /tmp/old-tree  # before/after, one run

Steps, all in one run so the ratios compare like with like on the same machine state:

1. create a PostgreSQL database, migrate it and fill it with ``generate_history`` (25,000 repairs,
   4 stores, 2 years, seed 7), so the tables the routes read hold a real history;
2. serve the app as ``repairlens api`` does (uvicorn with uvloop and httptools, ``--workers``
   processes, JSON request logs on, the rate limiter on with a limit no client reaches);
3. make 200 bookings through the API over the next days and keep their access tokens;
4. per round, start the server afresh, warm up each route for a few seconds (discarded), then
   run wrk (``-c 50``) against the trivial ``GET /healthz`` of the same app, the status read
   ``GET /api/v1/bookings/{token}`` (a Lua script cycles through the 200 tokens) and the slot
   search ``GET /api/v1/stores/{code}/slots?day=…`` (cycling through stores and days);
5. print the medians over the rounds as the Markdown of the "## Booking API" section of
   benchmarks/RESULTS.md, with each route's throughput as a share of the trivial endpoint's.

With ``--compare DIR`` (a copy of an older source tree) each round also serves that tree's app
on the same database and measures it the same way, alternating which tree goes first, so before
and after meet the same machine state; each tree's shares are against its own trivial endpoint.
Servers run one at a time and start afresh each round (warm-up included).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.db import make_engine  # noqa: E402
from ops.migrate import upgrade_to_head  # noqa: E402

ADMIN_DSN = os.environ.get("REPAIRLENS_BENCH_PG_DSN", "host=127.0.0.1 port=5432 user=postgres")
DATABASE = "repairlens_bench_api"
CONNECTIONS = 50
BOOKINGS = 200
WARM_UP_SECONDS = 3

LUA_PATHS = """
local paths = {%s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""


def admin() -> psycopg.Connection:
    return psycopg.connect(f"{ADMIN_DSN} dbname=postgres", autocommit=True)


def database_url(name: str) -> str:
    params = dict(part.split("=", 1) for part in ADMIN_DSN.split())
    return f"postgresql+psycopg://{params['user']}@{params['host']}:{params['port']}/{name}"


def fresh_database(name: str) -> str:
    from data.generator import GeneratorConfig, generate_history

    with admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = database_url(name)
    engine = make_engine(url)
    upgrade_to_head(engine)
    started = time.perf_counter()
    generate_history(engine, GeneratorConfig(repairs=25_000, stores=4, years=2, seed=7))
    print(f"generated history in {time.perf_counter() - started:.0f}s", flush=True)
    engine.dispose()
    return url


def serve(url: str, data_dir: Path, port: int, workers: int, tree: Path) -> subprocess.Popen:
    """``tree``'s app (``python -m`` puts the working directory first on the import path)."""
    env = os.environ | {
        "REPAIRLENS_OPS_DB_URL": url,
        "REPAIRLENS_DATA_DIR": str(data_dir),
        "REPAIRLENS_API_RATE_LIMIT_PER_MINUTE": str(10**9),
        "REPAIRLENS_API_TOKEN_SECRET": "benchmark-signing-key-" + "b" * 32,
    }
    command = [sys.executable, "-m", "uvicorn", "booking.main:create_served_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    command += [
        "--no-access-log",
        "--log-level",
        "warning",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
    ]
    server = subprocess.Popen(
        command, cwd=tree, env=env, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the API did not become ready within 60 s")


def make_bookings(base: str) -> tuple[list[str], list[str]]:
    """Book ``BOOKINGS`` slots through the API; their status paths and the slot-search paths."""
    client = httpx.Client(base_url=base, timeout=30)
    stores = [s["code"] for s in client.get("/api/v1/stores").json()]
    device = client.get("/api/v1/device-models?limit=1").json()[0]["id"]
    today = dt.date.today()
    days = [today + dt.timedelta(days=d) for d in range(1, 8)]
    search = [f"/api/v1/stores/{code}/slots?day={day}" for code in stores for day in days]
    tokens: list[str] = []
    for path in search:
        for slot in client.get(path).json()["slots"][: BOOKINGS // len(search) + 1]:
            body = {
                "store_code": path.split("/")[4],
                "slot_start_at": slot["start_at"],
                "device_model_id": device,
                "symptoms": "battery drains in an hour",
                "customer": {
                    "first_name": "Bench",
                    "last_name": f"Mark{len(tokens)}",
                    "email": f"bench{len(tokens)}@example.com",
                    "privacy_consent": True,
                },
            }
            made = client.post("/api/v1/bookings", json=body)
            if made.status_code == 201:
                tokens.append(made.json()["access_path"])
    client.close()
    return tokens[:BOOKINGS], search


def wrk(base: str, paths: list[str], duration: int, scratch: Path) -> dict[str, float]:
    script = scratch / "paths.lua"
    script.write_text(LUA_PATHS % ", ".join(f'"{p}"' for p in paths))
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(CONNECTIONS), "-d", f"{duration}s", "--latency",
         "-s", str(script), base],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        raise SystemExit(f"{non_2xx.group(1)} error responses from {paths[0]}:\n{out}")
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": _ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1)),
        "p99": _ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1)),
    }


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def measure_round(
    base: str,
    targets: dict[str, list[str]],
    duration: int,
    scratch: Path,
    runs: dict[tuple[str, str], list[dict[str, float]]],
    label: str,
    round_: int,
) -> None:
    """Each endpoint once, after a discarded warm-up of each (every pooled connection opens
    and prepares its statements)."""
    for paths in targets.values():
        wrk(base, paths, WARM_UP_SECONDS, scratch)
    for name, paths in targets.items():
        runs[label, name].append(wrk(base, paths, duration, scratch))
        load = os.getloadavg()[0]
        print(
            f"round {round_ + 1} {label} {name}: {runs[label, name][-1]}, load {load:.1f}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument(
        "--compare",
        type=Path,
        metavar="DIR",
        help="an older copy of the source tree, measured in turn with this one in every round",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    trees = {"after": ROOT, "before": args.compare.resolve()} if args.compare else {"": ROOT}
    url = fresh_database(DATABASE)
    scratch = Path(tempfile.mkdtemp(prefix="bench-api-"))
    base = f"http://127.0.0.1:{args.port}"
    try:
        first = serve(url, scratch, args.port, args.workers, ROOT)
        try:
            status_paths, search_paths = make_bookings(base)
        finally:
            stop(first)
        print(f"{len(status_paths)} bookings made", flush=True)
        targets = {
            "trivial `GET /healthz`": ["/healthz"],
            "status read `GET /api/v1/bookings/{token}`": status_paths,
            "slot search `GET /api/v1/stores/{code}/slots`": search_paths,
        }
        runs = {(label, name): [] for label in trees for name in targets}
        for round_ in range(args.rounds):
            labels = list(trees) if round_ % 2 == 0 else list(reversed(trees))
            for label in labels:
                # One server at a time, started afresh: two at once would hold twice the
                # database connections, and neither competes with the other for the cores.
                server = serve(url, scratch, args.port, args.workers, trees[label])
                try:
                    measure_round(base, targets, args.duration, scratch, runs, label, round_)
                finally:
                    stop(server)
    finally:
        with admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        shutil.rmtree(scratch, ignore_errors=True)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nload average at the end: {load}; {args.workers} workers, wrk -t 2 -c {CONNECTIONS}")
    print("\n| code | endpoint | requests/s | share of trivial | p50 ms | p99 ms |")
    print("|---|---|---:|---:|---:|---:|")
    for label in trees:
        trivial = statistics.median(r["rps"] for r in runs[label, "trivial `GET /healthz`"])
        for name in targets:
            results = runs[label, name]
            rps = statistics.median(r["rps"] for r in results)
            p50 = statistics.median(r["p50"] for r in results)
            p99 = statistics.median(r["p99"] for r in results)
            shares = ", ".join(
                f"{r['rps'] / t['rps']:.0%}"
                for r, t in zip(results, runs[label, "trivial `GET /healthz`"], strict=True)
            )
            print(
                f"| {label} | {name} | {rps:,.0f} | {rps / trivial:.0%} ({shares}) "
                f"| {p50:.1f} | {p99:.1f} |"
            )


if __name__ == "__main__":
    main()
