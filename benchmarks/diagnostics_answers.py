"""How many answered outcomes the quick answers' weights need before they are the shop's own.

    .venv/bin/python benchmarks/diagnostics_answers.py --seed 0

Plants a shop whose customers answer the three quick questions at known rates per fault (below:
a liquid-damaged phone is admitted wet 75 % of the time, a cracked screen follows a drop 75 % of
the time, …), over the generator's phone fault mix, so every true ratio
``log P(answer | fault) / P(answer)`` is known. For growing numbers of outcomes it draws that many
(each question answered 80 % of the time), runs ``answers.learned_ratios`` and prints, beside the
same figures for the hand-set ratios and for the planted ones:

- the mean absolute error of the ratios, over every (question, answer, fault) of a phone fault
  that is at least 2 % of repairs;
- the log loss of ``P(fault | answers) ∝ P(fault) · exp(Σ ratios)`` on 20,000 fresh answered
  intakes: what the answers are worth to the ranking (the fault mix stands in for the text).

Medians over ``--rounds`` draws.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from data.generator.faults import BASE_WEIGHTS  # noqa: E402
from models.diagnostics.answers import HAND_SET, QUESTIONS, learned_ratios  # noqa: E402

ANSWERED = 0.8
# P(answer "yes" | fault) for each question; faults not listed take the default.
PLANTED = {
    "powers_on": (0.95, {"board_failure": 0.3, "liquid_damage": 0.55, "charging_port": 0.65,
                         "battery_worn": 0.85, "display_failure": 0.85}),
    "liquid_exposure": (0.03, {"liquid_damage": 0.75, "board_failure": 0.1, "audio_fault": 0.08,
                               "charging_port": 0.08}),
    "dropped": (0.1, {"cracked_screen": 0.75, "back_glass": 0.7, "display_failure": 0.35,
                      "touch_failure": 0.3, "camera_fault": 0.2, "board_failure": 0.12}),
}  # fmt: skip
COMMON = 0.02


def true_ratios(faults: list[str], weights: np.ndarray) -> dict[tuple[str, bool, str], float]:
    """(question, answer, fault) → the planted ``log P(answer | fault) / P(answer)``."""
    out = {}
    for question, (default, rates) in PLANTED.items():
        yes = np.array([rates.get(f, default) for f in faults])
        for answer in (True, False):
            p = yes if answer else 1 - yes
            overall = float((weights * p).sum())
            for fault, p_fault in zip(faults, p, strict=True):
                out[(question, answer, fault)] = float(np.log(p_fault / overall))
    return out


def draw_outcomes(rng: np.random.Generator, faults: list[str], weights: np.ndarray, n: int):
    actual = rng.choice(faults, size=n, p=weights)
    columns = {"actual_fault": actual}
    for question, (default, rates) in PLANTED.items():
        yes = rng.random(n) < np.array([rates.get(f, default) for f in actual])
        asked = rng.random(n) < ANSWERED
        columns[question] = [bool(y) if a else None for y, a in zip(yes, asked, strict=True)]
    return pl.DataFrame(
        columns, schema={"actual_fault": pl.String, **dict.fromkeys(QUESTIONS, pl.Boolean)}
    )


def mean_error(ratios, truth, cells) -> float:
    return float(np.mean([abs(ratios[q][a].get(f, 0.0) - truth[(q, a, f)]) for q, a, f in cells]))


def log_loss(ratios, outcomes: pl.DataFrame, faults: list[str], weights: np.ndarray) -> float:
    """Mean ``−log P(actual fault | answers)`` with ``P ∝ weight · exp(Σ ratios)``."""
    logits = np.tile(np.log(weights), (outcomes.height, 1))
    for question in QUESTIONS:
        for answer in (True, False):
            rows = (outcomes[question] == answer).fill_null(False).to_numpy()
            terms = np.array([ratios[question][answer].get(f, 0.0) for f in faults])
            logits[rows] += terms
    logits -= logits.max(axis=1, keepdims=True)
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    actual = np.array([faults.index(f) for f in outcomes["actual_fault"]])
    return float(-log_p[np.arange(len(actual)), actual].mean())


def as_ratios(truth: dict[tuple[str, bool, str], float]):
    out: dict = {q: {True: {}, False: {}} for q in QUESTIONS}
    for (q, a, f), value in truth.items():
        out[q][a][f] = value
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    faults = list(BASE_WEIGHTS["phone"])
    weights = np.array([BASE_WEIGHTS["phone"][f] for f in faults], dtype=float)
    weights /= weights.sum()
    truth = true_ratios(faults, weights)
    common = {f for f, w in zip(faults, weights, strict=True) if w >= COMMON}
    cells = [cell for cell in truth if cell[2] in common]
    rng = np.random.default_rng(args.seed)
    test = draw_outcomes(rng, faults, weights, 20_000)
    hand_error = mean_error(HAND_SET, truth, cells)
    hand_loss = log_loss(HAND_SET, test, faults, weights)
    best_loss = log_loss(as_ratios(truth), test, faults, weights)
    no_answers = log_loss({q: {True: {}, False: {}} for q in QUESTIONS}, test, faults, weights)
    print(
        f"Log loss with no answers {no_answers:.3f}, hand-set {hand_loss:.3f}, planted "
        f"{best_loss:.3f}; hand-set ratios off by {hand_error:.2f} ({len(cells)} ratios)."
    )
    print()
    print("| answered outcomes | mean error of the learnt ratios | log loss, learnt |")
    print("|---:|---:|---:|")
    for n in (0, 100, 300, 1_000, 3_000, 10_000, 30_000):
        errors, losses = [], []
        for _ in range(args.rounds):
            learned = learned_ratios(draw_outcomes(rng, faults, weights, n), faults)
            errors.append(mean_error(learned, truth, cells))
            losses.append(log_loss(learned, test, faults, weights))
        print(f"| {n:,} | {statistics.median(errors):.2f} | {statistics.median(losses):.3f} |")


if __name__ == "__main__":
    main()
