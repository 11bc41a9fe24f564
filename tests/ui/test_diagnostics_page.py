"""The Diagnostics page under AppTest: symptoms in, ranked and explained candidates out, the
technician's verdict recorded in the prediction log, the loop's accuracy shown, and every empty
state explained."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.settings import Settings
from models.diagnostics.diagnose import Candidate, Diagnosis
from models.diagnostics.features import Case
from models.diagnostics.prediction_log import read_predictions, record_outcome, record_predictions
from tests.conftest import diagnostics_copy

PAGE = str(Path(__file__).parents[2] / "pages" / "2_Diagnostics.py")
CRACKED = "dropped it yesterday, screen smashed and touch dead at the top"


def _page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def _diagnose(at: AppTest, symptoms: str, model: str | None = "iPhone 12") -> AppTest:
    if model is not None:
        at.selectbox(key="dx_device_phone").set_value(model)
    at.text_area(key="dx_symptoms").set_value(symptoms)
    at.button(key="dx_run").click().run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def workdir(trained_diagnostics_dir: Path, tmp_path: Path, use_data_dir) -> Path:
    """A private data directory with the trained model, so this test's log is its own."""
    directory = diagnostics_copy(trained_diagnostics_dir, tmp_path / "var")
    use_data_dir(directory)
    return directory


def test_without_a_model_the_page_says_to_train_one(data_dir: Path) -> None:
    at = _page()
    assert "repairlens train diagnostics" in at.info[0].value
    assert "No predictions logged yet" in at.info[1].value
    assert not at.text_area


def test_symptoms_give_ranked_priced_explained_candidates(workdir: Path) -> None:
    at = _diagnose(_page(), CRACKED)
    labels = [expander.label for expander in at.expander]
    assert labels[0].startswith("1. Cracked front glass / display — ")
    assert len(labels) == 5
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Estimated price"].startswith("€") and metrics["Bench time"].endswith("min")
    assert any("Inspect the front glass" in m.value for m in at.markdown)  # the bench checklist
    assert any("PH-APL-IP12-DSP" in m.value for m in at.markdown)  # the part for this model
    assert any(m.value.startswith("**Why Cracked front glass / display rather than")
               for m in at.markdown)  # fmt: skip
    assert len(at.get("vega_lite_chart")) == 5  # one explanation per candidate
    assert at.dataframe  # similar past repairs


def test_every_answer_is_logged_from_the_app(workdir: Path) -> None:
    _diagnose(_page(), CRACKED)
    (row,) = read_predictions(Settings(data_dir=workdir)).to_dicts()
    assert (row["source"], row["device_category"], row["device_model"]) == (
        "app",
        "phone",
        "iPhone 12",
    )
    assert row["top_fault"] == "cracked_screen" and len(row["candidate_faults"]) == 5


def test_a_booking_reference_links_the_answer_to_its_repair(workdir: Path) -> None:
    at = _page()
    at.text_input(key="dx_reference").set_value("rl-bkfls3h")
    _diagnose(at, CRACKED)
    (row,) = read_predictions(Settings(data_dir=workdir)).to_dicts()
    assert (row["booking_reference"], row["repair_id"]) == ("RL-BKFLS3H", None)


def test_confirming_records_the_outcome_and_the_loop_counts_it(workdir: Path) -> None:
    at = _diagnose(_page(), CRACKED)
    at.text_input(key="dx_technician").set_value("Ana")
    at.button(key="dx_confirm").click().run()
    assert "Recorded: Cracked front glass / display" in at.success[-1].value
    (row,) = read_predictions(Settings(data_dir=workdir)).to_dicts()
    assert (row["confirmed_fault"], row["confirmed_by"]) == ("cracked_screen", "Ana")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["With a known outcome"] == "1" and metrics["Top-1 accuracy"] == "100%"


def test_correcting_records_the_technicians_fault_and_note(workdir: Path) -> None:
    at = _diagnose(_page(), CRACKED)
    at.selectbox(key="dx_actual").set_value("touch_failure")
    at.text_input(key="dx_note").set_value("glass fine, digitizer dead")
    at.button(key="dx_correct").click().run()
    (row,) = read_predictions(Settings(data_dir=workdir)).to_dicts()
    assert (row["confirmed_fault"], row["confirmed_note"]) == (
        "touch_failure",
        "glass fine, digitizer dead",
    )
    assert {m.label: m.value for m in at.metric}["Top-1 accuracy"] == "0%"


def test_an_empty_description_is_refused_and_not_logged(workdir: Path) -> None:
    at = _diagnose(_page(), "   ")
    assert "Type what the customer describes" in at.error[0].value
    assert not at.expander
    assert read_predictions(Settings(data_dir=workdir)).is_empty()


def test_gibberish_recommends_a_bench_diagnosis(workdir: Path) -> None:
    at = _diagnose(_page(), "qwxz vbnm plkj", model=None)
    assert "bench diagnosis recommended" in at.warning[0].value
    assert "no word the model knows" in at.warning[0].value


def test_without_a_warehouse_the_model_still_answers_and_says_what_is_missing(
    trained_diagnostics_dir: Path, tmp_path: Path, use_data_dir
) -> None:
    directory = tmp_path / "var"
    shutil.copytree(trained_diagnostics_dir / "models", directory / "models")
    use_data_dir(directory)
    at = _diagnose(_page(), CRACKED)
    assert "No warehouse yet" in at.info[0].value
    assert at.expander[0].label.startswith("1. Cracked front glass")
    assert any("past repairs appear here after `repairlens etl`" in i.value for i in at.info)


def test_the_loop_shows_what_the_logged_quick_answers_would_teach(workdir: Path) -> None:
    settings = Settings(data_dir=workdir)
    answer = Diagnosis((Candidate("cracked_screen", 0.5, "repair", None, None, None, "none"),),
                       False, "")  # fmt: skip
    faults = ["liquid_damage" if i % 4 == 0 else "cracked_screen" for i in range(200)]
    cases = [Case("phone", "stopped working", liquid_exposure=f == "liquid_damage") for f in faults]
    ids = record_predictions(
        settings, source="app", answers=[(c, answer) for c in cases], model_version=1
    )
    for prediction_id, fault in zip(ids, faults, strict=True):
        record_outcome(settings, prediction_id, confirmed_fault=fault, by="tests")

    weights = next(d.value for d in _page().dataframe if "From outcomes so far" in d.value.columns)
    wet = weights[(weights["Answer"] == "Liquid: yes") & (weights["Fault"] == "Liquid damage")]
    assert wet["Outcomes"].item() == 50
    assert wet["From outcomes so far"].item() != wet["In use"].item()
