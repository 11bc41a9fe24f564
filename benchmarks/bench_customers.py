"""Customer insights on a larger history: churn against BG/NBD, CLV hold-out, next-repair hit rate.

Reads the published warehouse of ``--data-dir`` read-only and trains into a private models
directory (``--work-dir``), so it can run against a shared benchmark history::

    python benchmarks/bench_customers.py --data-dir /tmp/bench/var --work-dir /tmp/bench-models

Prints one JSON object with the registry metrics of both families, the recommendation hit rates
and the timings.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import timedelta
from pathlib import Path

from core.settings import Settings
from models.churn.train import train_churn
from models.clv.history import last_day, read_customer_repairs, transactions
from models.clv.train import evaluate_holdout, holdout_weeks, train_clv
from models.recommend import evaluate_next_repair


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--work-dir", type=Path, required=True)
    parser.add_argument("--hit-horizon-days", type=int, default=365)
    parser.add_argument(
        "--evaluate-only",
        action="store_true",
        help="only the CLV hold-out and the next-repair hit rates: no training, no churn",
    )
    args = parser.parse_args()
    args.work_dir.mkdir(parents=True, exist_ok=True)
    linked = args.work_dir / "warehouse.duckdb"
    if not linked.exists():
        linked.symlink_to((args.data_dir / "warehouse.duckdb").resolve())
    settings = Settings(data_dir=args.work_dir)
    result: dict = {}

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    started = time.perf_counter()
    repairs = read_customer_repairs(settings)
    result["repairs"] = repairs.height
    result["customers"] = repairs["customer_id"].n_unique()
    result["read_seconds"] = round(time.perf_counter() - started, 1)

    if args.evaluate_only:
        started = time.perf_counter()
        tx = transactions(repairs)
        end = last_day(repairs)
        weeks = holdout_weeks(tx["date"].min(), end)
        result["clv"] = evaluate_holdout(tx, end, weeks) | {
            "seconds": round(time.perf_counter() - started, 1)
        }
    else:
        started = time.perf_counter()
        clv = train_clv(settings, started_by="benchmark", progress=say)
        result["clv"] = clv.metrics | {"seconds": round(time.perf_counter() - started, 1)}

        started = time.perf_counter()
        churn = train_churn(settings, started_by="benchmark", progress=say)
        metrics = {k: v for k, v in churn.metrics.items() if k != "calibration"}
        result["churn"] = metrics | {"seconds": round(time.perf_counter() - started, 1)}
        result["churn_calibration"] = churn.metrics["calibration"]

    started = time.perf_counter()
    cutoff = last_day(repairs) - timedelta(days=args.hit_horizon_days)
    result["next_repair"] = evaluate_next_repair(repairs, cutoff, args.hit_horizon_days) | {
        "cutoff": cutoff.isoformat(),
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
