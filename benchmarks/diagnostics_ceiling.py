"""How well any diagnostics model could do on generated history: the ceiling its planted noise sets.

    .venv/bin/python benchmarks/diagnostics_ceiling.py --stores 4 --years 3 --seed 42

Re-runs the generator's simulation in memory (no database) and reads what the written tables
hide: the fault each description really describes (``text_fault``) and whether the text is honest,
misleading (it describes a confusable fault) or vague (it names no symptom). An *oracle* that
reads every honest or misleading text perfectly still cannot tell a misleading text from an honest
one, and learns nothing from a vague one beyond the device. Its best ranking for a repair is the
most frequent true faults among earlier repairs with the same category, device age bin and
described fault (or "vague"). Counted on the first 85 % of repairs by intake time, scored on the
last 15 % (the model's hold-out), like the model.

Prints a Markdown table: oracle top-1 / top-3 overall and per text mode, and the mode shares.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from data.generator.config import GeneratorConfig  # noqa: E402
from data.generator.history import simulate_history  # noqa: E402
from data.generator.visits import HONEST, MISLEADING, VAGUE  # noqa: E402

HOLDOUT_SHARE = 0.15
MODES = {HONEST: "honest", MISLEADING: "misleading", VAGUE: "vague"}


def oracle_scores(visits: dict[str, np.ndarray]) -> dict[str, tuple[int, float, float]]:
    """mode → (hold-out rows, oracle top-1, oracle top-3); ``all`` for every row."""
    order = np.argsort(visits["received"], kind="stable")
    v = {name: column[order] for name, column in visits.items()}
    age_bin = np.minimum(np.floor(np.nan_to_num(v["age"], nan=-1.0)), 5).astype(int)
    described = np.where(v["mode"] == VAGUE, -1, v["text_fault"])
    keys = list(zip(v["category"], age_bin, described, strict=True))
    n = len(keys)
    split = round(n * (1 - HOLDOUT_SHARE))
    counts: dict[tuple, Counter] = defaultdict(Counter)
    coarse: dict[tuple, Counter] = defaultdict(Counter)  # without age, for unseen key groups
    for key, fault in zip(keys[:split], v["fault"][:split], strict=True):
        counts[key][fault] += 1
        coarse[(key[0], key[2])][fault] += 1
    hits1, hits3 = np.zeros(n - split, bool), np.zeros(n - split, bool)
    for i in range(split, n):
        table = counts.get(keys[i]) or coarse.get((keys[i][0], keys[i][2]), Counter())
        best = [fault for fault, _ in table.most_common(3)]
        hits1[i - split] = bool(best) and best[0] == v["fault"][i]
        hits3[i - split] = v["fault"][i] in best
    modes = v["mode"][split:]
    out = {"all": (n - split, float(hits1.mean()), float(hits3.mean()))}
    for code, name in MODES.items():
        members = modes == code
        out[name] = (int(members.sum()), float(hits1[members].mean()), float(hits3[members].mean()))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=4)
    parser.add_argument("--years", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    sim = simulate_history(GeneratorConfig(stores=args.stores, years=args.years, seed=args.seed))
    visits = sim.visits
    # Repairs the warehouse trains on: recorded (not future bookings) and not declined.
    kept = ~visits["future"] & ~visits["cancelled"]
    catalogue = sim.world.catalogue
    columns = {
        "received": visits["received"][kept],
        "fault": visits["fault"][kept],
        "text_fault": visits["text_fault"][kept],
        "mode": visits["text_mode"][kept],
        "age": visits["device_age_years"][kept],
        "category": catalogue.model_category[visits["model"][kept]],
    }
    scores = oracle_scores(columns)
    total = scores["all"][0]
    print("| hold-out text mode | share | rows | oracle top-1 | oracle top-3 |")
    print("|---|---:|---:|---:|---:|")
    for name in ("honest", "misleading", "vague", "all"):
        rows, top1, top3 = scores[name]
        print(f"| {name} | {rows / total:.1%} | {rows:,} | {top1:.3f} | {top3:.3f} |")


if __name__ == "__main__":
    main()
