"""Diagnostics rules that need no trained model: text normalisation, concept spelling, the device
build rule, class weights and the hand-written evaluation set."""

from __future__ import annotations

import numpy as np
import pytest

from data import reference
from models.diagnostics.features import device_fault_mask, find_device
from models.diagnostics.openrepair import HANDWRITTEN_FILES, handwritten_cases
from models.diagnostics.text import concepts, normalise_text
from models.diagnostics.train import class_weights

CODES = tuple(reference.faults()["code"].to_list())


def _impossible(model: str) -> set[str]:
    device = find_device(model)
    assert device is not None
    return {c for c, ok in zip(CODES, device_fault_mask(device, CODES), strict=True) if not ok}


def test_clause_saying_a_part_works_is_left_out() -> None:
    assert normalise_text("Cracked display, touch still ok") == "cracked display"
    assert normalise_text("picture is fine but tapping does nothing") == "but tapping does nothing"


def test_clause_that_also_complains_is_kept() -> None:
    assert normalise_text("touch works only sometimes") == "touch works only sometimes"
    assert normalise_text("it was working fine then died") == "it was working fine then died"
    assert normalise_text("cracked, wifi works on and off") == "cracked wi fi works on and off"


def test_text_that_only_says_it_works_is_kept_whole() -> None:
    assert normalise_text("works fine") == "works fine"


def test_damage_the_customer_denies_is_left_out() -> None:
    assert normalise_text("not cracked at all, just black") == "not at all just black"
    assert normalise_text("no visible damage but wont boot") == "no visible but will not boot"
    assert normalise_text("screen wasn't cracked") == "screen was not"


def test_a_denial_covers_damage_listed_with_or() -> None:
    assert normalise_text("not cracked or chipped") == "not or"
    assert normalise_text("not working or cracked") == "not working or cracked"


def test_a_denied_part_or_function_is_kept_as_the_symptom() -> None:
    assert normalise_text("no sound, no image") == "no sound no image"


def test_damage_after_a_denial_in_another_clause_is_kept() -> None:
    assert normalise_text("not charging, cracked back") == "not charging cracked back"


def test_english_words_that_are_also_foreign_repair_words_keep_their_english_meaning() -> None:
    assert normalise_text("my son dropped it, ghost touches") == "my son dropped it ghost touches"
    assert normalise_text("a ton of pop ups") == "a ton of pop ups"


def test_those_words_are_translated_in_a_foreign_text() -> None:
    assert normalise_text("kein Ton mehr") == "no sound more"
    assert normalise_text("Touches ne marche pas") == "keys ne works not"


def test_misspelt_concept_words_still_count() -> None:
    assert concepts(normalise_text("home buton stuck")) == "concept_button"
    assert "concept_liquid" in concepts(normalise_text("cofee on it"))
    assert "concept_screen" in concepts(normalise_text("screeen black"))


def test_cracking_is_damage_not_a_misspelt_crackling_sound() -> None:
    assert concepts(normalise_text("screen cracking")) == "concept_screen concept_damage"


def test_short_common_words_are_not_taken_for_misspellings() -> None:
    assert concepts(normalise_text("all over the place")) == ""


def test_device_build_rules_out_faults_it_has_no_part_for() -> None:
    assert {"display_failure", "touch_failure", "cracked_screen"} <= _impossible("PS5")
    assert "disc_drive" in _impossible("PlayStation 5 Digital Edition")
    assert "disc_drive" not in _impossible("PlayStation 5")
    assert "overheating" in _impossible("MacBook Air (M1, 2020)")  # fanless
    assert "software_fault" not in _impossible("MacBook Air (M1, 2020)")  # needs no part


def test_console_nicknames_find_the_catalogue_model() -> None:
    assert find_device("PS5").model == "PlayStation 5"
    assert find_device("sony ps4 pro").model == "PlayStation 4 Pro"


KINDS = {
    "handwritten.csv": {"lay", "multi", "shorthand", "terse", "typo"},
    "handwritten_unseen.csv": {"lay", "several", "rambling", "shorthand", "terse", "typo"},
    "handwritten_rambling.csv": {"rambling"},
}


@pytest.mark.parametrize("file", HANDWRITTEN_FILES.values())
def test_handwritten_sets_have_valid_codes_for_each_category(file: str) -> None:
    allowed = set(reference.fault_categories().select("code", "category").iter_rows())
    cases, truth, kinds = handwritten_cases(file)
    assert len(cases) >= 60
    assert set(kinds) == KINDS[file]
    for case, codes in zip(cases, truth, strict=True):
        assert codes and all((code, case.category) in allowed for code in codes), case


def test_class_weights_of_power_one_give_every_fault_the_same_total_weight() -> None:
    labels = np.array(["cracked_screen"] * 6 + ["audio_fault"] * 2)
    weights = class_weights(labels, 1.0)
    assert weights["cracked_screen"] * 6 == pytest.approx(weights["audio_fault"] * 2)
    assert class_weights(labels, 0.0) is None
