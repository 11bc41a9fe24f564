"""Scoring the diagnostics model on text people really write: the Open Repair Alliance's labelled
bench records, and a small hand-written set of customer phrasings.

OpenRepair fault types are coarser than our codes. Each maps to the set of our codes it covers, and
a prediction counts as correct when it is any of them. Types with no counterpart (``None`` below)
are dropped and counted. The data (CC BY-SA 4.0) lives in ``eval_data/`` with its attribution.

``eval_data/handwritten*.csv`` hold customer descriptions written by hand for testing only
(shorthand, typos, several symptoms at once, lay wording, backstory), each with the codes that
count as a right answer (``|``-separated: for two symptoms at once either fault is right).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import polars as pl

from models.diagnostics.baseline import KeywordBaseline
from models.diagnostics.features import Case, known_brands
from models.diagnostics.metrics import ranked_codes, top_k_accuracy
from models.diagnostics.model import DiagnosticsModel

EVAL_DIR = Path(__file__).parent / "eval_data"

_BATTERY_POWER = frozenset({"battery_worn", "battery_swollen", "charging_port", "board_failure"})

# compcat (laptops) fault type → our codes; None = no counterpart (dropped).
LAPTOP_FAULTS: dict[str, frozenset[str] | None] = {
    "Boot": frozenset({"software_fault", "board_failure", "storage_fault"}),
    "Case/chassis": frozenset({"hinge_fault"}),
    "Configuration": frozenset({"software_fault"}),
    "Integrated keyboard": frozenset({"keyboard_fault"}),
    "Integrated pointing device": frozenset({"keyboard_fault"}),  # ours covers the trackpad
    "Integrated media component": frozenset({"camera_fault", "audio_fault"}),
    "Integrated screen": frozenset({"cracked_screen", "display_failure"}),
    "Internal damage": frozenset({"liquid_damage", "board_failure"}),
    "Integrated optical drive": frozenset({"disc_drive"}),
    "Internal storage": frozenset({"storage_fault"}),
    "Operating system": frozenset({"software_fault"}),
    "Overheating": frozenset({"overheating"}),
    "Performance": frozenset({"software_fault", "storage_fault", "overheating"}),
    "Ports/slots/connectors": frozenset({"charging_port", "video_port", "audio_fault"}),
    "Power/battery": _BATTERY_POWER,
    "System board": frozenset({"board_failure"}),
    "Virus/malware": frozenset({"software_fault"}),
    "Multiple": None,
    "Other": None,
    "Unknown": None,
}

# tabicat (tablets) fault type → our codes; None = no counterpart (dropped).
TABLET_FAULTS: dict[str, frozenset[str] | None] = {
    "Screen": frozenset({"cracked_screen", "display_failure", "touch_failure"}),
    "Power/battery": _BATTERY_POWER,
    "USB/charging port": frozenset({"charging_port"}),
    "Charger": frozenset({"charging_port"}),  # an external charger: "does not charge" is ours
    "Help/configuration": frozenset({"software_fault"}),
    "Performance": frozenset({"software_fault"}),
    "Software issue": frozenset({"software_fault"}),
    "Software update": frozenset({"software_fault"}),
    "Access issue": frozenset({"software_fault"}),  # forgotten passcode
    "Storage problem": frozenset({"software_fault"}),  # tablets: storage full, no drive fault
    "Stuck booting": frozenset({"software_fault", "board_failure"}),
    "On/Off button": frozenset({"button_fault"}),
    "Volume buttons": frozenset({"button_fault"}),
    "Other buttons": frozenset({"button_fault"}),
    "Internal damage": frozenset({"liquid_damage", "board_failure"}),
    "Liquid damage": frozenset({"liquid_damage"}),
    "Headphone jack": frozenset({"audio_fault"}),
    "Speaker/amplifier": frozenset({"audio_fault"}),
    "Camera": frozenset({"camera_fault"}),
    "Poor data": None,
    "Other": None,
    "External damage": None,
}

DATASETS = {
    "laptop": ("compcat_laptops.csv", LAPTOP_FAULTS),
    "tablet": ("tabicat.csv", TABLET_FAULTS),
}


@dataclass(frozen=True)
class RealTextScore:
    category: str
    rows: int
    empty_rows: int
    dropped_rows: int
    dropped_types: tuple[str, ...]
    top1: float
    top3: float
    baseline_top1: float
    baseline_top3: float

    def as_dict(self) -> dict[str, object]:
        return self.__dict__ | {"dropped_types": list(self.dropped_types)}


def labelled_records(category: str) -> tuple[pl.DataFrame, int, tuple[str, ...]]:
    """(records with a non-empty problem and a mappable fault type, rows dropped for their type,
    types dropped)."""
    records, mapping = _non_empty(category), DATASETS[category][1]
    unknown = set(records["fault_type"].unique()) - set(mapping)
    if unknown:
        raise ValueError(f"unmapped {category} fault types: {sorted(unknown)}")
    dropped_types = tuple(sorted(t for t, codes in mapping.items() if codes is None))
    kept = records.filter(~pl.col("fault_type").is_in(list(dropped_types)))
    return kept, records.height - kept.height, dropped_types


@cache
def _all_records(category: str) -> pl.DataFrame:
    file, _ = DATASETS[category]
    return pl.read_csv(EVAL_DIR / file, infer_schema=False)


def _non_empty(category: str) -> pl.DataFrame:
    return _all_records(category).filter(pl.col("problem").str.strip_chars().str.len_chars() > 0)


def empty_problem_rows(category: str) -> int:
    """Records without any problem text (left out before mapping)."""
    return _all_records(category).height - _non_empty(category).height


def score_real_text(
    model: DiagnosticsModel, baseline: KeywordBaseline, category: str
) -> RealTextScore:
    """Top-1 and top-3 of the model and the baseline on one category's records (category given,
    brand passed when the record names a catalogue brand, model and age unknown)."""
    records, dropped, dropped_types = labelled_records(category)
    mapping = DATASETS[category][1]
    truth = [set(mapping[t]) for t in records["fault_type"]]
    brands = {brand.lower(): brand for brand in known_brands()}
    cases = [
        Case(category=category, symptoms=text, brand=brands.get((brand or "").strip().lower()))
        for text, brand in zip(records["problem"], records["brand"], strict=True)
    ]
    ranked = ranked_codes(model.predict_proba(cases), model.fault_codes, 3)
    baseline_ranked = baseline.rank([c.symptoms for c in cases], [category] * len(cases))
    return RealTextScore(
        category,
        records.height,
        empty_problem_rows(category),
        dropped,
        dropped_types,
        top1=top_k_accuracy(ranked, truth, 1),
        top3=top_k_accuracy(ranked, truth, 3),
        baseline_top1=top_k_accuracy(baseline_ranked, truth, 1),
        baseline_top3=top_k_accuracy(baseline_ranked, truth, 3),
    )


# Customer phrasings written for testing: the first set by the people who wrote the generator's
# vocabulary (before the vocabulary was extended), the second ("unseen") by someone who never read
# that vocabulary, so it measures wording the history does not contain.
HANDWRITTEN_FILES = {
    "hand-written": "handwritten.csv",
    "hand-written, unseen": "handwritten_unseen.csv",
    "hand-written, rambling": "handwritten_rambling.csv",
}


@dataclass(frozen=True)
class HandwrittenScore:
    rows: int
    top1: float
    top3: float
    baseline_top1: float
    baseline_top3: float
    by_kind: dict[str, tuple[int, float, float]]  # kind → (rows, model top-1, model top-3)

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def handwritten_cases(file: str) -> tuple[list[Case], list[set[str]], list[str]]:
    """(cases, acceptable codes per case, kind per case) of the hand-written set in ``file``."""
    records = pl.read_csv(EVAL_DIR / file, infer_schema=False)
    cases = [
        Case(category=row["category"], symptoms=row["symptoms"], model=row["model"] or None)
        for row in records.iter_rows(named=True)
    ]
    truth = [set(codes.split("|")) for codes in records["faults"]]
    return cases, truth, records["kind"].to_list()


def score_handwritten(
    model: DiagnosticsModel, baseline: KeywordBaseline, file: str
) -> HandwrittenScore:
    """Top-1 and top-3 of the model and the baseline on the hand-written set in ``file`` (model
    given when the row names one), with the model's scores per kind of phrasing."""
    cases, truth, kinds = handwritten_cases(file)
    ranked = ranked_codes(model.predict_proba(cases), model.fault_codes, 3)
    baseline_ranked = baseline.rank([c.symptoms for c in cases], [c.category for c in cases])
    by_kind = {}
    for kind in sorted(set(kinds)):
        members = [i for i, k in enumerate(kinds) if k == kind]
        picked_ranked = [ranked[i] for i in members]
        picked_truth = [truth[i] for i in members]
        by_kind[kind] = (
            len(members),
            top_k_accuracy(picked_ranked, picked_truth, 1),
            top_k_accuracy(picked_ranked, picked_truth, 3),
        )
    return HandwrittenScore(
        len(cases),
        top1=top_k_accuracy(ranked, truth, 1),
        top3=top_k_accuracy(ranked, truth, 3),
        baseline_top1=top_k_accuracy(baseline_ranked, truth, 1),
        baseline_top3=top_k_accuracy(baseline_ranked, truth, 3),
        by_kind=by_kind,
    )
