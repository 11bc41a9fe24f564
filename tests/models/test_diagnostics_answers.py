"""The quick answers' weights: hand-set without outcomes, learnt from the prediction log's
outcomes as they accumulate."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from core.settings import Settings
from data import reference
from models.diagnostics.answers import (
    HAND_SET,
    MAX_LOG_RATIO,
    OUTCOME_SCHEMA,
    answered_outcomes,
    learned_ratios,
)
from models.diagnostics.prediction_log import log_path
from models.diagnostics.train import logged_outcomes

CODES = tuple(reference.faults()["code"].to_list())


def _planted_outcomes(n: int, seed: int = 0) -> pl.DataFrame:
    """Outcomes over four faults where a liquid-damaged device is admitted wet 90 % of the time
    and any other 5 %: "yes, liquid" moves liquid damage log(0.9 / 0.05) above any other."""
    rng = np.random.default_rng(seed)
    faults = rng.choice(["liquid_damage", "cracked_screen", "battery_worn", "software_fault"], n)
    wet = rng.random(n) < np.where(faults == "liquid_damage", 0.9, 0.05)
    return pl.DataFrame(
        {"actual_fault": faults, "powers_on": None, "liquid_exposure": wet, "dropped": None},
        schema=OUTCOME_SCHEMA,
    )


def _wet_shift(outcomes: pl.DataFrame, versus: str = "cracked_screen") -> float:
    """How far "yes, liquid" moves liquid damage's logit above ``versus``'s."""
    wet = learned_ratios(outcomes, CODES)["liquid_exposure"][True]
    return wet["liquid_damage"] - wet.get(versus, 0.0)


def test_without_outcomes_the_hand_set_ratios_hold() -> None:
    learned = learned_ratios(pl.DataFrame(schema=OUTCOME_SCHEMA), CODES)
    for question, by_answer in HAND_SET.items():
        for answer, by_fault in by_answer.items():
            assert learned[question][answer] == {f: v for f, v in by_fault.items() if v}


def test_many_outcomes_recover_the_planted_shift_between_faults() -> None:
    many = _planted_outcomes(20_000)
    assert _wet_shift(many) == pytest.approx(math.log(0.9 / 0.05), abs=0.15)
    assert _wet_shift(many, versus="battery_worn") == pytest.approx(math.log(0.9 / 0.05), abs=0.15)


def test_faults_the_answer_does_not_tell_apart_stay_level() -> None:
    wet = learned_ratios(_planted_outcomes(20_000), CODES)["liquid_exposure"][True]
    assert wet["cracked_screen"] == pytest.approx(wet["battery_worn"], abs=0.15)


def test_a_few_outcomes_barely_move_the_hand_set_ratio() -> None:
    hand = HAND_SET["liquid_exposure"][True]["liquid_damage"]
    few = learned_ratios(_planted_outcomes(12), CODES)["liquid_exposure"][True]["liquid_damage"]
    many = learned_ratios(_planted_outcomes(20_000), CODES)["liquid_exposure"][True]
    assert abs(few - hand) < abs(many["liquid_damage"] - hand) / 2


def test_a_question_nobody_answered_keeps_its_hand_set_ratios() -> None:
    learned = learned_ratios(_planted_outcomes(5_000), CODES)
    assert learned["dropped"][True]["cracked_screen"] == HAND_SET["dropped"][True]["cracked_screen"]


def test_an_answer_never_rules_a_fault_out() -> None:
    always_wet = pl.DataFrame(
        {
            "actual_fault": ["liquid_damage"] * 5_000 + ["cracked_screen"] * 5_000,
            "liquid_exposure": [True] * 5_000 + [False] * 5_000,
        }
    ).with_columns(powers_on=pl.lit(None, pl.Boolean), dropped=pl.lit(None, pl.Boolean))
    learned = learned_ratios(always_wet, CODES)
    assert learned["liquid_exposure"][False]["liquid_damage"] == -MAX_LOG_RATIO


def test_outcomes_of_unknown_fault_codes_are_left_out() -> None:
    outcomes = _planted_outcomes(2_000)
    typo = outcomes.with_columns(actual_fault=pl.lit("liquid_dmg"), liquid_exposure=pl.lit(True))
    assert _wet_shift(pl.concat([outcomes, typo])) == _wet_shift(outcomes)


def test_one_repair_asked_about_twice_counts_once_with_its_latest_answers() -> None:
    start = datetime(2026, 11, 1, 9)
    matched = pl.DataFrame(
        {
            "prediction_id": ["a", "b", "c", "d"],
            "made_at": [start, start + timedelta(minutes=5), start, start],
            "repair_id": [7, None, None, None],
            "booking_reference": [None, "RL-7", "RL-1", None],  # RL-7 became repair 7
            "outcome_repair_id": [7, 7, 12, None],
            "actual_fault": ["liquid_damage", "liquid_damage", "cracked_screen", "battery_worn"],
            "powers_on": [None, False, True, True],
            "liquid_exposure": [None, True, False, None],
            "dropped": [None, None, True, None],
        }
    )
    outcomes = answered_outcomes(matched)
    assert outcomes["actual_fault"].sort().to_list() == [
        "battery_worn", "cracked_screen", "liquid_damage"
    ]  # fmt: skip
    assert outcomes.filter(pl.col("actual_fault") == "liquid_damage")["liquid_exposure"].item()


def test_an_unreadable_prediction_log_leaves_training_the_hand_set_weights(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    log_path(settings).write_bytes(b"not a database" * 100)
    outcomes, problem = logged_outcomes(settings)
    assert outcomes.is_empty() and problem is not None
    assert "cannot open the prediction log" in problem and "stay hand-set" in problem
