"""Cold first load of the Inventory page's data: the reorder plan (with orders and alerts) the
page shows first, then the policy backtest it shows below it.

Each run is a fresh Python process (imports, no Streamlit cache) calling what the page's
loaders call with the page's default policy. The warehouse is only read. Last, the backtest is
kept beside a forecast version in a scratch data directory linked to the warehouse, as
`repairlens train forecast` does, and read back as the page then does.

    .venv/bin/python benchmarks/bench_inventory_page.py --data-dir /work/bench1m/var [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

ONE_RUN = """
import json, resource, time
start = time.perf_counter()
from core.settings import get_settings
from models.inventory import inventory_backtest, inventory_report
from ui.inventory import policy_settings
policy = policy_settings(0.95, "eoq", 5.0)
imported = time.perf_counter()
cpu = lambda: time.process_time()
cpu0 = cpu()
report = inventory_report(get_settings(), policy, backtest=False)
plan = time.perf_counter()
cpu_plan = cpu() - cpu0
cpu0 = cpu()
replay = inventory_backtest(get_settings(), policy)
done = time.perf_counter()
print(json.dumps({
    "import_s": imported - start, "plan_s": plan - imported, "plan_cpu_s": cpu_plan,
    "backtest_s": done - plan, "backtest_cpu_s": cpu() - cpu0,
    "pairs": len(report.plan), "alerts": len(report.alerts), "orders": len(report.orders),
    "replayed_days": None if replay is None else replay.days,
}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    env = {**os.environ, "REPAIRLENS_DATA_DIR": str(args.data_dir)}
    runs = []
    for _ in range(args.runs):
        out = subprocess.run(
            [sys.executable, "-c", ONE_RUN], cwd=ROOT, env=env, check=True,
            capture_output=True, text=True,
        )  # fmt: skip
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(runs[-1], flush=True)
    first = runs[0]
    print(f"{first['pairs']:,} pairs, {first['alerts']:,} alerts, {first['orders']:,} order lines")
    for key in ("import_s", "plan_s", "plan_cpu_s", "backtest_s", "backtest_cpu_s"):
        print(f"median {key}: {statistics.median(r[key] for r in runs):.2f}")
    kept_backtest(args.data_dir)
    print(f"load average: {os.getloadavg()[0]:.1f}")


def kept_backtest(source: Path) -> None:
    """Time keeping the default-policy backtest with a forecast version, then reading it."""
    import shutil
    import tempfile
    import time

    from core.settings import Settings
    from models.forecasting.store import version_dir
    from models.inventory import PolicySettings
    from models.inventory.report import store_backtest, stored_backtest
    from warehouse.reader import warehouse_version

    scratch = Path(tempfile.mkdtemp(prefix="bench-inventory-"))
    try:
        (scratch / "warehouse.duckdb").symlink_to((source / "warehouse.duckdb").resolve())
        settings = Settings(data_dir=scratch)
        version_dir(settings, 1).mkdir(parents=True)
        version = warehouse_version(settings)
        started = time.perf_counter()
        store_backtest(settings, 1, version, PolicySettings())
        kept = time.perf_counter() - started
        reads = []
        for _ in range(3):
            started = time.perf_counter()
            assert stored_backtest(settings, 1, version, PolicySettings()) is not None
            reads.append(time.perf_counter() - started)
        print(
            f"backtest kept at training time: {kept:.2f} s; page reads it in "
            f"{statistics.median(reads) * 1000:.0f} ms (median of 3)"
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
