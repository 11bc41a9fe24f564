"""The prediction log: what is written comes back, outcomes supersede, several processes can log."""

from __future__ import annotations

import multiprocessing
from datetime import datetime
from pathlib import Path

import pytest

from core.settings import Settings
from models.diagnostics.diagnose import Candidate, Diagnosis
from models.diagnostics.features import Case
from models.diagnostics.prediction_log import (
    PredictionLogError,
    link_prediction,
    log_path,
    outcomes,
    read_predictions,
    record_outcome,
    record_prediction,
    record_predictions,
)

CASE = Case(
    "phone",
    "screen cracked after a drop",
    brand="Apple",
    model="iPhone 12",
    powers_on=True,
    dropped=True,
)


def _candidate(fault: str, probability: float) -> Candidate:
    return Candidate(fault, probability, "screen_replacement", 100.0, 200.0, 45.0, "history")


ANSWER = Diagnosis(
    (_candidate("cracked_screen", 0.81), _candidate("display_failure", 0.12)),
    bench_diagnosis_recommended=False,
    note="top candidate 81% likely",
)


def test_a_logged_prediction_reads_back_with_every_field(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    made_at = datetime(2026, 3, 1, 9, 30)
    prediction_id = record_prediction(
        settings, source="api", case=CASE, answer=ANSWER, model_version=4,
        booking_reference="BK-123", made_at=made_at,
    )  # fmt: skip
    (row,) = read_predictions(settings).to_dicts()
    assert row["prediction_id"] == prediction_id and len(prediction_id) == 32
    assert row["made_at"] == made_at and row["source"] == "api"
    assert (row["device_category"], row["device_brand"], row["device_model"]) == (
        "phone", "Apple", "iPhone 12",
    )  # fmt: skip
    assert row["symptoms"] == "screen cracked after a drop"
    assert (row["powers_on"], row["liquid_exposure"], row["dropped"]) == (True, None, True)
    assert row["model_version"] == 4
    assert row["candidate_faults"] == ["cracked_screen", "display_failure"]
    assert row["candidate_probabilities"] == [0.81, 0.12]
    assert (row["top_fault"], row["top_probability"]) == ("cracked_screen", 0.81)
    assert row["is_bench_recommended"] is False
    assert row["booking_reference"] == "BK-123" and row["repair_id"] is None
    assert row["confirmed_fault"] is None


def test_the_log_is_its_own_file_beside_the_warehouse(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    record_prediction(settings, source="app", case=CASE, answer=ANSWER, model_version=1)
    assert log_path(settings) == tmp_path / "predictions.sqlite"
    assert not settings.warehouse_path.exists()


def test_without_a_log_file_reading_gives_an_empty_frame(tmp_path: Path) -> None:
    frame = read_predictions(Settings(data_dir=tmp_path))
    assert frame.is_empty() and "confirmed_fault" in frame.columns


def test_the_latest_outcome_wins_and_earlier_ones_are_kept(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    prediction_id = record_prediction(
        settings, source="app", case=CASE, answer=ANSWER, model_version=1
    )
    record_outcome(settings, prediction_id, confirmed_fault="cracked_screen", by="ana")
    record_outcome(
        settings, prediction_id, confirmed_fault="touch_failure", by="ben", note="digitizer only"
    )
    (row,) = read_predictions(settings).to_dicts()
    assert (row["confirmed_fault"], row["confirmed_by"]) == ("touch_failure", "ben")
    assert row["confirmed_note"] == "digitizer only"
    assert [o["confirmed_fault"] for o in outcomes(settings, prediction_id)] == [
        "cracked_screen",
        "touch_failure",
    ]


def test_a_batch_is_logged_in_input_order_with_its_own_links(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    other = Case("laptop", "keys sticky", model="MacBook Air 13-inch (M2, 2022)")
    ids = record_predictions(
        settings, source="cli", answers=[(CASE, ANSWER), (other, ANSWER)], model_version=2,
        repair_ids=[5, None], booking_references=[None, "BK-7"],
    )  # fmt: skip
    frame = read_predictions(settings)
    by_id = {row["prediction_id"]: row for row in frame.to_dicts()}
    assert [by_id[i]["device_category"] for i in ids] == ["phone", "laptop"]
    assert [(by_id[i]["repair_id"], by_id[i]["booking_reference"]) for i in ids] == [
        (5, None),
        (None, "BK-7"),
    ]


def test_a_prediction_can_be_linked_to_its_repair_later(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    prediction_id = record_prediction(
        settings, source="api", case=CASE, answer=ANSWER, model_version=1, booking_reference="BK-9"
    )
    link_prediction(settings, prediction_id, repair_id=77)
    (row,) = read_predictions(settings).to_dicts()
    assert (row["repair_id"], row["booking_reference"]) == (77, "BK-9")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"confirmed_fault": "broken_thing", "by": "ana"}, "unknown fault code"),
        ({"confirmed_fault": "cracked_screen", "by": "  "}, "name of who recorded"),
    ],
)
def test_a_bad_outcome_is_refused_with_one_line(tmp_path: Path, kwargs, message) -> None:
    settings = Settings(data_dir=tmp_path)
    prediction_id = record_prediction(
        settings, source="app", case=CASE, answer=ANSWER, model_version=1
    )
    with pytest.raises(PredictionLogError, match=message):
        record_outcome(settings, prediction_id, **kwargs)


def test_an_outcome_for_an_unknown_prediction_is_refused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    with pytest.raises(PredictionLogError, match="no logged prediction"):
        record_outcome(settings, "0" * 32, confirmed_fault="cracked_screen", by="ana")


def test_an_unknown_source_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PredictionLogError, match="source must be one of"):
        record_prediction(
            Settings(data_dir=tmp_path), source="web", case=CASE, answer=ANSWER, model_version=1
        )


def _log_many(directory: str, worker: int, count: int) -> list[str]:
    settings = Settings(data_dir=Path(directory))
    ids = []
    for i in range(count):
        prediction_id = record_prediction(
            settings, source="api", case=CASE, answer=ANSWER, model_version=1, repair_id=worker
        )
        if i % 2 == 0:
            record_outcome(settings, prediction_id, confirmed_fault="cracked_screen", by="w")
        ids.append(prediction_id)
    return ids


def test_concurrent_processes_log_without_losing_a_row(tmp_path: Path) -> None:
    workers, each = 4, 40
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        results = pool.starmap(_log_many, [(str(tmp_path), w, each) for w in range(workers)])
    frame = read_predictions(Settings(data_dir=tmp_path))
    assert frame.height == workers * each
    assert set(frame["prediction_id"]) == {i for ids in results for i in ids}
    assert frame["confirmed_fault"].is_not_null().sum() == workers * each // 2
    assert sorted(frame["repair_id"].value_counts()["count"]) == [each] * workers


def test_the_command_logs_its_answers_only_when_asked(
    trained_diagnostics_dir: Path, tmp_path: Path, use_data_dir
) -> None:
    from typer.testing import CliRunner

    import cli
    from tests.conftest import diagnostics_copy

    directory = diagnostics_copy(trained_diagnostics_dir, tmp_path / "var")
    use_data_dir(directory)
    args = ["diagnose", "--category", "phone", "--model", "iPhone 12", "--symptoms", "batt dead"]
    assert CliRunner().invoke(cli.app, args).exit_code == 0
    assert read_predictions(Settings(data_dir=directory)).is_empty()
    assert CliRunner().invoke(cli.app, [*args, "--log"]).exit_code == 0
    (row,) = read_predictions(Settings(data_dir=directory)).to_dicts()
    assert (row["source"], row["symptoms"], row["model_version"]) == ("cli", "batt dead", 1)
