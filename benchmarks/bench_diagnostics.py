"""Diagnostics model: accuracy on generated and real text, and answer speed.

    .venv/bin/python benchmarks/bench_diagnostics.py --data-dir /tmp/diag/var

``--data-dir`` is a data directory whose warehouse holds the history to train on (build one with
``repairlens generate --stores 4 --years 3 --seed 42`` then ``repairlens etl``). The model is
trained and registered in that directory (``models/``), like ``repairlens train diagnostics``.

Prints the Markdown body of the "## Diagnostics" section of benchmarks/RESULTS.md:

1. generated hold-out (last 15 % by time) top-1, top-3, ECE, bench-diagnosis rate, against the
   keyword baseline;
2. OpenRepair real bench text (laptops, tablets; category given) top-1 and top-3, both models;
3. the hand-written customer phrasings of ``eval_data/handwritten*.csv``, both models, and the
   model per kind of phrasing;
4. speed: one warm prediction, one explanation, 1,000 predictions in a batch (median of runs).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.settings import Settings  # noqa: E402
from data.generator.symptoms import phrases  # noqa: E402
from models.diagnostics.features import Case  # noqa: E402
from models.diagnostics.metrics import ranked_codes  # noqa: E402
from models.diagnostics.openrepair import (  # noqa: E402
    HANDWRITTEN_FILES,
    score_handwritten,
    score_real_text,
)
from models.diagnostics.store import load_production_model  # noqa: E402
from models.diagnostics.train import (  # noqa: E402
    baseline_from_rows,
    cases_of,
    time_split,
    train_diagnostics,
    training_rows,
)

SPEED_CASE = Case("phone", "scrn cracked after i dropped it, touch still ok", model="iPhone 12")


def _median_seconds(run, repeat: int) -> tuple[float, float]:
    """Median wall-clock and median CPU seconds of ``run`` (CPU time is what a busy machine
    distorts least)."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        run()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def holdout_breakdown(model, rows) -> list[tuple[str, int, float, float]]:
    """(group, rows, top-1, top-3) on the hold-out for the generator's planted noise: texts whose
    technician's first guess was wrong (misleading), vague texts, and the rest."""
    holdout = rows[time_split(rows.height)[2]]
    ranked = ranked_codes(model.predict_proba(cases_of(holdout)), model.fault_codes, 3)
    truth = holdout["fault_code"].to_list()
    misleading = [a != b for a, b in zip(holdout["initial_fault_code"], truth, strict=True)]
    vague_phrases = [p.lower() for p in phrases("vague")]
    vague = [any(p in t.lower() for p in vague_phrases) for t in holdout["symptoms"]]
    groups = {
        "technician's first guess wrong (misleading text)": misleading,
        "vague text (a phrase of the generator's vague list)": [
            v and not m for v, m in zip(vague, misleading, strict=True)
        ],
        "the rest": [not v and not m for v, m in zip(vague, misleading, strict=True)],
    }
    out = []
    for name, members in groups.items():
        picked = [(r, y) for r, y, keep in zip(ranked, truth, members, strict=True) if keep]
        top1 = statistics.fmean(r[0] == y for r, y in picked)
        top3 = statistics.fmean(y in r for r, y in picked)
        out.append((name, len(picked), top1, top3))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    args = parser.parse_args()
    settings = Settings(data_dir=args.data_dir)

    start = time.perf_counter()
    entry = train_diagnostics(settings, started_by="bench_diagnostics", promote=True)
    train_seconds = time.perf_counter() - start
    loaded = load_production_model(settings)
    model = loaded.model
    rows = training_rows(settings)
    baseline = baseline_from_rows(rows)
    real = [score_real_text(model, baseline, category) for category in ("laptop", "tablet")]
    handwritten = {
        name: score_handwritten(model, baseline, file) for name, file in HANDWRITTEN_FILES.items()
    }

    model.predict_proba([SPEED_CASE])  # warm caches
    one = _median_seconds(lambda: model.predict_proba([SPEED_CASE]), 50)
    explain = _median_seconds(lambda: model.explain(SPEED_CASE, "cracked_screen"), 20)
    sample = rows.sample(1000, seed=1)
    batch_cases = [
        Case(category=r["category"], symptoms=r["symptoms"], model=r["model"])
        for r in sample.iter_rows(named=True)
    ]
    batch = _median_seconds(lambda: model.predict_proba(batch_cases), 5)

    m = entry.metrics
    print(f"Measured {dt.date.today().isoformat()} with `.venv/bin/python "
          f"benchmarks/bench_diagnostics.py --data-dir <dir>` on a warehouse of "
          f"{rows.height:,} completed repairs ({entry.window_start} … {entry.window_end}); "
          f"model v{entry.version}, trained in {train_seconds:.0f} s.\n")  # fmt: skip
    print("| test set | rows | model top-1 | model top-3 | keyword top-1 | keyword top-3 | ECE |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print(f"| generated hold-out (last 15 %) | {int(m['rows']):,} | {m['top1']:.3f} | "
          f"{m['top3']:.3f} | {m['baseline_top1']:.3f} | {m['baseline_top3']:.3f} | "
          f"{m['ece']:.3f} |")  # fmt: skip
    for score in real:
        figures = (score.top1, score.top3, score.baseline_top1, score.baseline_top3)
        print(
            f"| OpenRepair {score.category}s (real text) | {score.rows:,} | "
            + " | ".join(f"{x:.3f}" for x in figures)
            + " | – |"
        )
    for name, score in handwritten.items():
        figures = (score.top1, score.top3, score.baseline_top1, score.baseline_top3)
        print(
            f"| {name} phrasings | {score.rows:,} | "
            + " | ".join(f"{x:.3f}" for x in figures)
            + " | – |"
        )
    print()
    for name, score in handwritten.items():
        kinds = "; ".join(
            f"{kind} {rows} rows {top1:.2f} / {top3:.2f}"
            for kind, (rows, top1, top3) in score.by_kind.items()
        )
        print(f"{name.capitalize()}, model top-1 / top-3 per kind: {kinds}.")
    print(f"Bench diagnosis recommended (top probability < {model.threshold:.2f}) for "
          f"{m['bench_rate']:.1%} of the generated hold-out; top-1 on the rest "
          f"{m['accepted_top1']:.3f}.")  # fmt: skip
    for score in real:
        types = ", ".join(score.dropped_types)
        print(
            f"OpenRepair {score.category}s: {score.dropped_rows} rows of {types} dropped "
            f"(no counterpart in our taxonomy); {score.empty_rows} without problem text skipped."
        )
    print()
    print("| generated hold-out group | rows | top-1 | top-3 |")
    print("|---|---:|---:|---:|")
    for name, count, top1, top3 in holdout_breakdown(model, rows):
        print(f"| {name} | {count:,} | {top1:.3f} | {top3:.3f} |")
    print()
    print(f"| speed (load average {os.getloadavg()[0]:.1f}) | median wall | median CPU | target |")
    print("|---|---:|---:|---:|")
    print(f"| one prediction, warm | {one[0] * 1000:.1f} ms | {one[1] * 1000:.1f} ms | ≤ 20 ms |")
    print(f"| one explanation | {explain[0] * 1000:.1f} ms | {explain[1] * 1000:.1f} ms "
          "| ≤ 200 ms |")  # fmt: skip
    print(f"| 1,000 predictions in one batch | {batch[0]:.2f} s | {batch[1]:.2f} s | ≤ 2 s |")


if __name__ == "__main__":
    main()
