"""The diagnostics model: planted signals, category rules, calibration, explanations, commands.

One model is trained per session on the shared small warehouse (``built_data_dir``); the registry
it writes lives in a private directory that links to that warehouse, which stays read-only.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import cli
from core.settings import Settings
from models import registry
from models.diagnostics.answers import HAND_SET
from models.diagnostics.diagnose import Candidate, DiagnoseInputError, Diagnosis, diagnose_many
from models.diagnostics.features import Case
from models.diagnostics.openrepair import (
    DATASETS,
    HANDWRITTEN_FILES,
    labelled_records,
    score_handwritten,
)
from models.diagnostics.prediction_log import record_outcome, record_predictions
from models.diagnostics.store import KIND, ProductionModel, load_production_model
from models.diagnostics.text import normalise_text
from models.diagnostics.train import baseline_from_rows, train_diagnostics, training_rows
from tests.conftest import linked_warehouse

# Smaller text features than production: the session fit stays well under half a minute.
FAST = {"max_char_features": 20_000}


@pytest.fixture(scope="session")
def trained_dir(built_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = linked_warehouse(built_data_dir, tmp_path_factory.mktemp("diagnostics") / "var")
    train_diagnostics(Settings(data_dir=directory), started_by="tests", parameters=FAST)
    return directory


@pytest.fixture(scope="session")
def entry(trained_dir: Path) -> registry.Entry:
    return registry.production(KIND, settings=Settings(data_dir=trained_dir))


@pytest.fixture(scope="session")
def loaded(trained_dir: Path):
    return load_production_model(Settings(data_dir=trained_dir))


def _run(args: list[str]):
    return CliRunner().invoke(cli.app, args)


def _proba(loaded, case: Case) -> dict[str, float]:
    row = loaded.model.predict_proba([case])[0]
    return dict(zip(loaded.model.fault_codes, row, strict=True))


# ---- the model learns what the history plants ----------------------------------------------


def test_first_model_is_promoted_with_holdout_metrics(entry: registry.Entry) -> None:
    assert entry.status == "production" and entry.version == 1
    assert {"top1", "top3", "ece", "baseline_top1", "baseline_top3"} <= set(entry.metrics)
    assert entry.warehouse_version and entry.window_start < entry.window_end


def test_model_beats_keyword_baseline_on_generated_holdout(entry: registry.Entry) -> None:
    assert entry.metrics["top1"] >= 0.8
    assert entry.metrics["top1"] >= entry.metrics["baseline_top1"] + 0.15
    assert entry.metrics["top3"] > entry.metrics["baseline_top3"]


def test_holdout_calibration_error_is_small(entry: registry.Entry) -> None:
    assert entry.metrics["ece"] <= 0.05


def test_impossible_faults_get_zero_probability(loaded) -> None:
    probabilities = _proba(
        loaded, Case("phone", "keys on the keyboard are sticky", model="iPhone 12")
    )
    assert probabilities["keyboard_fault"] == 0.0
    assert probabilities["hinge_fault"] == probabilities["controller_drift"] == 0.0
    assert sum(probabilities.values()) == pytest.approx(1.0)


def test_older_device_makes_worn_battery_more_likely(loaded) -> None:
    text = "turns off randomly"
    new = _proba(loaded, Case("phone", text, model="iPhone 12", age_years=0.5))
    old = _proba(loaded, Case("phone", text, model="iPhone 12", age_years=6.0))
    assert old["battery_worn"] > new["battery_worn"] + 0.05


def test_clear_description_ranks_its_fault_first(loaded) -> None:
    probabilities = _proba(loaded, Case("game_console", "left stick drifting", model="PS5"))
    assert max(probabilities, key=probabilities.get) == "controller_drift"


def test_denied_damage_does_not_vote_for_a_crack(loaded) -> None:
    text = "the screen is not cracked at all, it just went black"
    probabilities = _proba(loaded, Case("phone", text, model="iPhone 12"))
    assert probabilities["display_failure"] > probabilities["cracked_screen"]


def test_liquid_quick_answer_raises_liquid_damage(loaded) -> None:
    text = "stopped working yesterday"
    unknown = _proba(loaded, Case("phone", text, model="iPhone 12"))
    wet = _proba(loaded, Case("phone", text, model="iPhone 12", liquid_exposure=True))
    assert wet["liquid_damage"] > 2 * unknown["liquid_damage"]


def test_naming_the_device_in_the_text_changes_nothing(loaded) -> None:
    named = _proba(loaded, Case("laptop", "Laptop blue screen", model="ThinkPad T480"))
    assert named == _proba(loaded, Case("laptop", "blue screen", model="ThinkPad T480"))


def test_unanswered_quick_questions_change_nothing(loaded) -> None:
    text = "screen went black"
    plain = _proba(loaded, Case("phone", text, model="iPhone 12"))
    unanswered = _proba(
        loaded,
        Case("phone", text, model="iPhone 12", powers_on=None, liquid_exposure=None, dropped=None),
    )
    assert plain == unanswered


def test_dead_device_answer_moves_probability_to_power_faults(loaded) -> None:
    text = "screen went black"
    unknown = _proba(loaded, Case("phone", text, model="iPhone 12"))
    dead = _proba(loaded, Case("phone", text, model="iPhone 12", powers_on=False))
    assert dead["board_failure"] > unknown["board_failure"]
    odds = dead["board_failure"] / dead["display_failure"]
    assert odds > unknown["board_failure"] / unknown["display_failure"]


def test_dropped_answer_shifts_the_odds_by_its_set_likelihood_ratio(loaded) -> None:
    text = "screen went black"
    unknown = _proba(loaded, Case("phone", text, model="iPhone 12"))
    dropped = _proba(loaded, Case("phone", text, model="iPhone 12", dropped=True))

    def log_odds(p: dict[str, float]) -> float:  # against a fault the answer says nothing about
        return float(np.log(p["cracked_screen"] / p["software_fault"]))

    shift = log_odds(dropped) - log_odds(unknown)
    assert shift == pytest.approx(HAND_SET["dropped"][True]["cracked_screen"], abs=1e-9)


def test_retraining_learns_quick_answer_weights_from_logged_outcomes(
    built_data_dir: Path, tmp_path: Path
) -> None:
    directory = linked_warehouse(built_data_dir, tmp_path / "var")
    settings = Settings(data_dir=directory)
    # 100 liquid-damaged phones all admitted wet; 15 of 300 others said wet too
    faults = ["liquid_damage" if i % 4 == 0 else "cracked_screen" for i in range(400)]
    wet = [fault == "liquid_damage" or i % 20 == 1 for i, fault in enumerate(faults)]
    answer = Diagnosis((Candidate("cracked_screen", 0.5, "repair", None, None, None, "none"),),
                       False, "")  # fmt: skip
    cases = [Case("phone", "stopped working", liquid_exposure=w) for w in wet]
    ids = record_predictions(
        settings, source="app", answers=[(c, answer) for c in cases], model_version=1
    )
    for prediction_id, fault in zip(ids, faults, strict=True):
        record_outcome(settings, prediction_id, confirmed_fault=fault, by="tests")

    entry = train_diagnostics(settings, started_by="tests", parameters=FAST)

    def wet_shift(ratios) -> float:  # how far "yes, liquid" moves liquid damage above a crack
        wet = ratios["liquid_exposure"][True]
        return wet["liquid_damage"] - wet.get("cracked_screen", 0.0)

    learned = load_production_model(settings).model.answer_ratios
    assert wet_shift(learned) > wet_shift(HAND_SET) + 0.5
    assert entry.parameters["answer_outcomes"] == {
        "powers_on": 0, "liquid_exposure": 400, "dropped": 0
    }  # fmt: skip


def test_faults_the_device_is_not_built_for_get_zero_probability(loaded) -> None:
    text = "no picture at all"
    console = _proba(loaded, Case("game_console", text, model="PS5"))
    assert console["display_failure"] == console["touch_failure"] == 0.0
    assert console["video_port"] > 0
    unknown = _proba(loaded, Case("game_console", text))
    assert unknown["display_failure"] > 0  # an unknown model may be a handheld with a screen


# ---- explanations --------------------------------------------------------------------------


def test_explanation_sums_exactly_to_logit_difference(loaded) -> None:
    laptop = "MacBook Air 13-inch (M2, 2022)"
    case = Case("laptop", "keys sticky n trackpad wont click", model=laptop, dropped=True)
    explanation = loaded.model.explain(case, "keyboard_fault", versus="liquid_damage")
    logits = loaded.model.logits([case])[0]
    codes = loaded.model.fault_codes
    expected = logits[codes.index("keyboard_fault")] - logits[codes.index("liquid_damage")]
    total = sum(c.value for c in explanation.contributions)
    assert explanation.logit_difference == pytest.approx(expected, rel=1e-9)
    assert total == pytest.approx(expected, rel=1e-4, abs=1e-4)


def test_explanation_names_the_words_behind_a_candidate(loaded) -> None:
    case = Case("laptop", "keyboard keys sticky", model="MacBook Air 13-inch (M2, 2022)")
    toward = {c.feature for c in loaded.model.explain(case, "keyboard_fault").toward(5)}
    assert toward & {"keyboard", "keys", "sticky"}


# ---- answers -------------------------------------------------------------------------------


def test_candidates_carry_repair_type_price_minutes_and_part(loaded) -> None:
    (answer,) = diagnose_many(loaded.model, loaded.prices,
                              [Case("phone", "cracked screen", model="iPhone 12")])  # fmt: skip
    first = answer.candidates[0]
    assert first.fault == "cracked_screen" and first.repair_type == "screen_replacement"
    assert 0 < first.price_low <= first.price_high and first.minutes > 0
    assert [p.sku for p in first.parts] == ["PH-APL-IP12-DSP"]


def test_gibberish_recommends_bench_diagnosis(loaded) -> None:
    (answer,) = diagnose_many(loaded.model, loaded.prices, [Case("phone", "qwzx vbnmk")])
    assert answer.bench_diagnosis_recommended
    assert "no word the model knows" in answer.note


def test_unknown_model_name_falls_back_and_says_so(loaded) -> None:
    case = Case("phone", "battery drains fast", model="Nokia 3310")
    (answer,) = diagnose_many(loaded.model, loaded.prices, [case])
    assert "'Nokia 3310' is not in the catalogue" in answer.note
    assert answer.candidates[0].fault == "battery_worn"


def test_model_of_another_category_is_refused(loaded) -> None:
    with pytest.raises(DiagnoseInputError, match="is a phone, not a laptop"):
        diagnose_many(loaded.model, loaded.prices, [Case("laptop", "x", model="iPhone 12")])


def test_production_model_reloads_after_a_promotion(trained_dir: Path, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    first = registry.production(KIND, settings=Settings(data_dir=trained_dir))
    data = registry.load_artifact(first)
    for _ in range(2):
        registry.register(KIND, data, started_by="t", parameters={}, metrics={}, settings=settings)
    registry.promote(KIND, 1, by="t", reason="first", settings=settings)
    current = ProductionModel(settings)
    assert current.get().version == 1
    registry.promote(KIND, 2, by="t", reason="newer", settings=settings)
    assert current.get().version == 2


# ---- commands ------------------------------------------------------------------------------


def test_diagnose_json_lists_top_candidates(trained_dir: Path, use_data_dir) -> None:
    use_data_dir(trained_dir)
    result = _run(["diagnose", "--category", "phone", "--model", "iPhone 12",
                   "--symptoms", "scrn smashed", "--top", "2", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["candidates"][0]["fault"] == "cracked_screen"
    assert len(answer["candidates"]) == 2
    assert set(answer) == {"candidates", "bench_diagnosis_recommended", "note"}


def test_input_file_answers_every_row_in_input_order(trained_dir: Path, use_data_dir,
                                                     tmp_path: Path) -> None:  # fmt: skip
    use_data_dir(trained_dir)
    cases = tmp_path / "cases.csv"
    cases.write_text(
        "category,model,symptoms\n"
        "laptop,,keyboard keys sticky\n"
        "game_console,PS5,left stick drifting\n"
        "phone,iPhone 12,cracked screen\n"
        "laptop,,fan very loud and gets hot\n"
    )
    result = _run(["diagnose", "--input", str(cases), "--top", "1"])
    assert result.exit_code == 0, result.output
    firsts = [json.loads(line)["candidates"][0]["fault"] for line in result.stdout.splitlines()]
    assert firsts == ["keyboard_fault", "controller_drift", "cracked_screen", "overheating"]


def test_input_file_bad_row_keeps_its_place_and_exits_1(trained_dir: Path, use_data_dir,
                                                       tmp_path: Path) -> None:  # fmt: skip
    use_data_dir(trained_dir)
    cases = tmp_path / "cases.csv"
    cases.write_text("category,model,symptoms\ntoaster,,burnt\nphone,,cracked screen\n")
    result = _run(["diagnose", "--input", str(cases)])
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert "unknown device category 'toaster'" in lines[0]["error"]
    assert "candidates" in lines[1]
    assert result.exit_code == 1
    assert "error: 1 of 2 rows could not be answered (line 2)" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--category", "toaster", "--symptoms", "x"], "error: unknown device category 'toaster'"),
        (["--category", "laptop", "--model", "iPhone 12", "--symptoms", "x"],
         "error: Apple iPhone 12 is a phone, not a laptop"),
        (["--category", "phone", "--symptoms", "x", "--store", "NOPE"], "error: unknown store"),
        (["--symptoms", "x"], "error: --category is required"),
        (["--input", "missing.csv"], "error: input file missing.csv does not exist"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_error(trained_dir: Path, use_data_dir, args, message) -> None:
    use_data_dir(trained_dir)
    result = _run(["diagnose", *args])
    assert result.exit_code == 1
    assert result.stderr.strip().startswith(message) and len(result.stderr.splitlines()) == 1


def test_empty_description_answers_with_bench_recommendation(
    trained_dir: Path, use_data_dir
) -> None:
    use_data_dir(trained_dir)
    result = _run(["diagnose", "--category", "phone", "--symptoms", "", "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["bench_diagnosis_recommended"] and "no description" in answer["note"]


def test_without_trained_model_says_to_train(data_dir: Path) -> None:
    result = _run(["diagnose", "--category", "phone", "--symptoms", "cracked"])
    assert result.exit_code == 1
    assert "run `repairlens train diagnostics`" in result.stderr


def test_tampered_artifact_is_refused_by_diagnose(trained_dir: Path, tmp_path: Path,
                                                  use_data_dir) -> None:  # fmt: skip
    directory = tmp_path / "var"
    settings = Settings(data_dir=directory)
    data = registry.load_artifact(
        registry.production(KIND, settings=Settings(data_dir=trained_dir))
    )
    item = registry.register(
        KIND, data, started_by="t", parameters={}, metrics={}, settings=settings
    )
    registry.promote(KIND, item.version, by="t", reason="first", settings=settings)
    item.artifact_path.write_bytes(data[:-10])
    use_data_dir(directory)
    result = _run(["diagnose", "--category", "phone", "--symptoms", "cracked"])
    assert result.exit_code == 1 and "error: refusing to load diagnostics v1" in result.stderr


# ---- text and real-data plumbing -----------------------------------------------------------


def test_normalise_expands_shorthand_and_folds_accents() -> None:
    assert normalise_text("SCRN cracked b4, batt dead") == "screen cracked before battery dead"
    assert normalise_text("Écran cassé") == "screen broken"


@pytest.mark.parametrize("file", HANDWRITTEN_FILES.values())
def test_model_beats_keyword_baseline_on_handwritten_phrasings(loaded, trained_dir, file) -> None:
    rows = training_rows(Settings(data_dir=trained_dir))
    score = score_handwritten(loaded.model, baseline_from_rows(rows), file)
    assert score.top1 > score.baseline_top1 and score.top3 > score.baseline_top3
    assert score.top3 >= 0.85


def test_every_openrepair_fault_type_is_mapped_or_dropped() -> None:
    for category in DATASETS:
        records, dropped, dropped_types = labelled_records(category)
        assert records.height > 400 and dropped > 0 and len(dropped_types) == 3


def test_probabilities_of_a_batch_match_one_by_one(loaded) -> None:
    cases = [Case("phone", "no sound on calls"), Case("tablet", "wont charge")]
    together = loaded.model.predict_proba(cases)
    alone = np.vstack([loaded.model.predict_proba([c]) for c in cases])
    np.testing.assert_allclose(together, alone, rtol=1e-6)


def test_diagnose_explain_adds_terms_for_each_candidate(trained_dir: Path, use_data_dir) -> None:
    use_data_dir(trained_dir)
    result = _run(["diagnose", "--category", "laptop", "--symptoms", "keyboard keys sticky",
                   "--top", "2", "--json", "--explain"])  # fmt: skip
    assert result.exit_code == 0, result.output
    first, second = json.loads(result.stdout)["candidates"]
    assert first["explanation"]["versus"] == second["fault"]
    assert {term[0] for term in first["explanation"]["toward"]} & {"keyboard", "keys", "sticky",
                                                                  "concept: keyboard"}  # fmt: skip


def test_category_without_history_is_refused(loaded) -> None:
    model = dataclasses.replace(loaded.model, trained_categories=("phone", "laptop"))
    with pytest.raises(DiagnoseInputError, match="no repair history for smartwatch devices"):
        diagnose_many(model, loaded.prices, [Case("smartwatch", "strap broke")])
