"""How much each quick answer (powers on? liquid exposure? dropped?) moves each fault.

An answer adds its log likelihood ratio ``log P(answer | fault) / P(answer)`` to the fault's
logit; the softmax only sees differences between faults, so two faults move apart by
``log P(answer | one) / P(answer | the other)``, and a fault that the answer says nothing about
gets 0. The repair history records no quick answers, so the starting ratios are bench knowledge
set by hand (``HAND_SET``, kept modest: a factor of 2–6). The prediction log does record the
answers given in the app and the API, and the feedback loop (``feedback.matched_predictions``)
knows which fault each of those predictions turned out to have. Training re-estimates every
ratio from those outcomes (``learned_ratios``), with the hand-set ratio as a prior worth
``PRIOR_OUTCOMES`` outcomes of that fault: a shop with no answered outcomes keeps the hand-set
ratios, and one with thousands gets its own.

The ratios are added to what the text already says, as if the answer and the text were
independent given the fault; "dropped it, screen cracked" with dropped = yes counts the drop
twice. The cap (``MAX_LOG_RATIO``) bounds what that can cost.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import polars as pl

QUESTIONS = ("powers_on", "liquid_exposure", "dropped")

# question → answer → fault → log likelihood ratio; a fault not listed gets 0.
AnswerRatios = dict[str, dict[bool, dict[str, float]]]

HAND_SET: AnswerRatios = {
    "powers_on": {
        False: {"board_failure": 1.6, "liquid_damage": 1.0, "battery_worn": 0.5,
                "charging_port": 0.7, "battery_swollen": 0.3, "software_fault": -0.3,
                "cracked_screen": -1.2, "camera_fault": -1.5, "audio_fault": -1.5,
                "back_glass": -1.5, "keyboard_fault": -1.2, "hinge_fault": -1.5,
                "controller_drift": -1.5, "connectivity_fault": -1.5, "biometric_fault": -1.5,
                "button_fault": -0.5, "touch_failure": -1.2, "video_port": -1.0,
                "disc_drive": -1.2, "overheating": -0.7, "storage_fault": -0.3},
        True: {"board_failure": -1.0, "liquid_damage": -0.3, "battery_swollen": 0.0},
    },
    "liquid_exposure": {
        True: {"liquid_damage": 1.8, "board_failure": 0.5, "audio_fault": 0.3,
               "charging_port": 0.3},
        False: {"liquid_damage": -1.5},
    },
    "dropped": {
        True: {"cracked_screen": 1.2, "back_glass": 1.1, "display_failure": 0.7,
               "touch_failure": 0.5, "hinge_fault": 0.8, "camera_fault": 0.3},
        False: {"cracked_screen": -0.7, "back_glass": -0.7, "hinge_fault": -0.5},
    },
}  # fmt: skip

OUTCOME_SCHEMA = {"actual_fault": pl.String, **dict.fromkeys(QUESTIONS, pl.Boolean)}
PRIOR_OUTCOMES = 30  # the hand-set ratio counts as this many answered outcomes of the fault
MAX_LOG_RATIO = 4.0  # customers misremember and deny spills: no answer rules a fault out


def answered_outcomes(matched: pl.DataFrame) -> pl.DataFrame:
    """The matched predictions that can teach the answers, with the actual fault and the three
    answers: one per repair (the latest, since a technician may ask again for the same repair),
    whether the prediction was linked to it directly or through its booking; a prediction linked
    to neither counts on its own."""
    key = pl.coalesce(
        pl.col("outcome_repair_id").cast(pl.String),
        pl.col("repair_id").cast(pl.String),
        "booking_reference",
        "prediction_id",
    ).alias("key")
    return (
        matched.filter(pl.col("actual_fault").is_not_null())
        .sort("made_at", maintain_order=True)
        .with_columns(key)
        .unique("key", keep="last", maintain_order=True)
        .select("actual_fault", *QUESTIONS)
    )


def learned_ratios(
    outcomes: pl.DataFrame,
    fault_codes: Sequence[str],
    prior: AnswerRatios = HAND_SET,
    prior_outcomes: float = PRIOR_OUTCOMES,
) -> AnswerRatios:
    """Every (question, answer, fault) ratio re-estimated from ``outcomes`` (``actual_fault`` and
    the answers, None when not asked): the observed ``log P(answer | fault) / P(answer)`` (counts
    smoothed) averaged with the prior's, weighted by the fault's answered outcomes against
    ``prior_outcomes``; outcomes of faults not in ``fault_codes`` are left out."""
    known = outcomes.filter(pl.col("actual_fault").is_in(list(fault_codes)))
    ratios: AnswerRatios = {}
    for question in QUESTIONS:
        answered = known.filter(pl.col(question).is_not_null())
        pairs = Counter(answered.select("actual_fault", question).iter_rows())
        given = Counter(answered[question].to_list())
        ratios[question] = {answer: {} for answer in (True, False)}
        for fault in fault_codes:
            of_fault = pairs[(fault, True)] + pairs[(fault, False)]
            for answer in (True, False):
                value = prior.get(question, {}).get(answer, {}).get(fault, 0.0)
                if of_fault:
                    observed = math.log((pairs[(fault, answer)] + 0.5) / (of_fault + 1)) - math.log(
                        (given[answer] + 1) / (answered.height + 2)
                    )
                    value = (of_fault * observed + prior_outcomes * value) / (
                        of_fault + prior_outcomes
                    )
                value = max(-MAX_LOG_RATIO, min(MAX_LOG_RATIO, value))
                if value:
                    ratios[question][answer][fault] = round(value, 4)
    return ratios


def outcome_counts(outcomes: pl.DataFrame) -> dict[str, int]:
    """How many answered outcomes each question's ratios were learnt from."""
    return {question: int(outcomes[question].is_not_null().sum()) for question in QUESTIONS}
