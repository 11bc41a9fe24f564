"""How well any diagnostics model could do on generated history: the ceiling its planted noise sets.

    .venv/bin/python benchmarks/diagnostics_ceiling.py --stores 4 --years 3 --seed 42

Re-runs the generator's simulation in memory (no database) and ranks every repair's faults the
Bayes-optimal way, with everything the generator knows at intake and no model can see:

- the exact prior of each fault for the visit, as ``faults.sample_faults`` draws it: the
  category's weights, the faults the device model is built for, battery wear from the true age
  since purchase, the summer peak of liquid damage;
- which fault each description really describes (``text_fault``), read perfectly, and the
  generator's own rates: a text is honest, misleading (it describes a confusable fault, drawn
  evenly from those the device can have) or vague (it names no symptom).

So ``P(fault | intake) ∝ prior(fault) × P(this text | fault)``, where for a text describing ``d``
``P = (1 − misleading − vague)·[fault = d] + misleading·[d confusable with fault] / #confusable``
and a vague text says nothing beyond the device. Ranking by that posterior maximises the expected
top-k accuracy, so no model reading the same intake can beat it, except by chance. Scored on the
last 15 % of repairs by intake time, like the model's hold-out. Reworks are counted like any visit
(their fault repeats the earlier repair's, which intake does not record).

Prints a Markdown table: ceiling top-1 / top-3 overall and per text mode, and the mode shares.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from data.generator import faults  # noqa: E402
from data.generator.catalogue import Catalogue  # noqa: E402
from data.generator.config import GeneratorConfig  # noqa: E402
from data.generator.history import simulate_history  # noqa: E402
from data.generator.visits import HONEST, MISLEADING, VAGUE  # noqa: E402

HOLDOUT_SHARE = 0.15
MODES = {HONEST: "honest", MISLEADING: "misleading", VAGUE: "vague"}
_DAY = 86_400


def fault_priors(
    catalogue: Catalogue, model: np.ndarray, age_years: np.ndarray, day_of_year: np.ndarray
) -> np.ndarray:
    """[visit, fault] the weights ``faults.sample_faults`` draws the true fault from."""
    weights = faults.base_weight_matrix(catalogue)[catalogue.model_category[model]]
    weights *= catalogue.fault_possible[model]
    worn, swollen, liquid = (
        catalogue.fault_index(code) for code in ("battery_worn", "battery_swollen", "liquid_damage")
    )
    weights[:, worn] *= np.exp(faults.BATTERY_WORN_AGE_SLOPE * age_years)
    weights[:, swollen] *= np.exp(faults.BATTERY_SWOLLEN_AGE_SLOPE * age_years)
    weights[:, liquid] *= 1 + faults.LIQUID_SUMMER_BOOST * faults.summer_bump(day_of_year)
    return weights


def text_likelihoods(
    catalogue: Catalogue, model: np.ndarray, described: np.ndarray, vague: np.ndarray
) -> np.ndarray:
    """[visit, fault] P(the visit's text | fault): honest, misleading and vague, at the
    generator's rates; 1 everywhere for a vague text."""
    n, k = len(model), catalogue.n_faults
    rows = np.arange(n)
    d = np.where(vague, 0, described)
    # decoys[i, f]: the faults visit i's fault f may be described as (on this device model)
    decoys = (
        faults.confusion_matrix(catalogue)[None, :, :] & catalogue.fault_possible[model][:, None, :]
    )
    count = decoys.sum(axis=2)  # [visit, fault]
    misleading = np.where(
        decoys[rows, :, d], faults.MISLEADING_TEXT_RATE / np.maximum(count, 1), 0.0
    )
    honest = np.zeros((n, k))
    honest[rows, d] = 1 - faults.MISLEADING_TEXT_RATE - faults.VAGUE_TEXT_RATE
    # a fault with nothing to be confused with on this device is always described honestly
    honest[rows, d] += np.where(count[rows, d] == 0, faults.MISLEADING_TEXT_RATE, 0.0)
    return np.where(vague[:, None], 1.0, honest + misleading)


def ceiling_scores(sim) -> dict[str, tuple[int, float, float]]:
    """mode → (hold-out rows, ceiling top-1, ceiling top-3); ``all`` for every row."""
    visits, catalogue = sim.visits, sim.world.catalogue
    # Repairs the warehouse trains on: recorded (not future bookings) and not declined.
    kept = ~visits["future"] & ~visits["cancelled"]
    order = np.argsort(visits["received"][kept], kind="stable")
    holdout = order[round(len(order) * (1 - HOLDOUT_SHARE)) :]
    columns = ("received", "model", "device_age_years", "fault", "text_fault", "text_mode")
    v = {name: visits[name][kept][holdout] for name in columns}
    dates = np.datetime64(sim.world.window.start, "D") + v["received"] // _DAY
    day_of_year = (dates - dates.astype("datetime64[Y]")).astype(np.int64) + 1
    vague = v["text_mode"] == VAGUE
    posterior = fault_priors(catalogue, v["model"], v["device_age_years"], day_of_year)
    posterior *= text_likelihoods(catalogue, v["model"], v["text_fault"], vague)
    best = np.argsort(-posterior, axis=1, kind="stable")[:, :3]
    hits1 = best[:, 0] == v["fault"]
    hits3 = (best == v["fault"][:, None]).any(axis=1)
    out = {"all": (len(hits1), float(hits1.mean()), float(hits3.mean()))}
    for code, name in MODES.items():
        members = v["text_mode"] == code
        out[name] = (int(members.sum()), float(hits1[members].mean()), float(hits3[members].mean()))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=4)
    parser.add_argument("--years", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    sim = simulate_history(GeneratorConfig(stores=args.stores, years=args.years, seed=args.seed))
    scores = ceiling_scores(sim)
    total = scores["all"][0]
    print("| hold-out text mode | share | rows | ceiling top-1 | ceiling top-3 |")
    print("|---|---:|---:|---:|---:|")
    for name in ("honest", "misleading", "vague", "all"):
        rows, top1, top3 = scores[name]
        print(f"| {name} | {rows / total:.1%} | {rows:,} | {top1:.3f} | {top3:.3f} |")


if __name__ == "__main__":
    main()
