"""The feedback loop: logged predictions matched to actual faults, and the accuracy figures built
on them, checked against counts worked out by hand."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from core.settings import Settings
from models.diagnostics.diagnose import Candidate, Diagnosis
from models.diagnostics.features import Case
from models.diagnostics.feedback import (
    REPAIR_COLUMNS,
    accuracy_by,
    accuracy_over_time,
    confusion_matrix,
    match_outcomes,
    matched_predictions,
    summarise,
)
from models.diagnostics.prediction_log import read_predictions, record_outcome, record_prediction
from tests.conftest import linked_warehouse


def _answer(*faults: str, bench: bool = False) -> Diagnosis:
    share = 1 / (len(faults) + 1)
    candidates = tuple(Candidate(f, share, "repair", None, None, None, "none") for f in faults)
    return Diagnosis(candidates, bench, "")


def _log(settings: Settings, category: str, faults: tuple[str, ...], made_at: datetime,
         model: str | None = None, bench: bool = False, **links) -> str:  # fmt: skip
    return record_prediction(
        settings, source="app", case=Case(category, "text", model=model),
        answer=_answer(*faults, bench=bench), model_version=1, made_at=made_at, **links,
    )  # fmt: skip


def _repairs(*rows: tuple) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=REPAIR_COLUMNS, orient="row")


MONDAY_1 = datetime(2026, 3, 2, 10)  # week of 2 March
MONDAY_2 = datetime(2026, 3, 9, 10)  # week of 9 March
DONE = datetime(2026, 3, 20)


@pytest.fixture
def log(tmp_path: Path) -> Settings:
    """Five predictions, four with outcomes (top-3 logged → outcome):

    - a, week 1, phone: cracked_screen, display_failure, touch_failure → repair 10 recorded
      cracked_screen (the technician had said touch_failure);
    - b, week 1, phone: battery_worn, charging_port, board_failure → booking BK-2 became a
      charging_port repair;
    - c, week 2, laptop: keyboard_fault, liquid_damage, hinge_fault → technician: overheating;
    - d, week 2, phone (bench recommended): cracked_screen, … → technician: cracked_screen;
    - e, week 2, laptop: storage_fault → repair 99 is not finished: still open.
    """
    settings = Settings(data_dir=tmp_path)
    a = _log(settings, "phone", ("cracked_screen", "display_failure", "touch_failure"), MONDAY_1,
             model="iPhone 12", repair_id=10)  # fmt: skip
    record_outcome(settings, a, confirmed_fault="touch_failure", by="ana")
    _log(settings, "phone", ("battery_worn", "charging_port", "board_failure"), MONDAY_1,
         model="iPhone 12", booking_reference="BK-2")  # fmt: skip
    c = _log(settings, "laptop", ("keyboard_fault", "liquid_damage", "hinge_fault"), MONDAY_2)
    record_outcome(settings, c, confirmed_fault="overheating", by="ben")
    d = _log(settings, "phone", ("cracked_screen", "back_glass", "display_failure"), MONDAY_2,
             model="Galaxy S21", bench=True)  # fmt: skip
    record_outcome(settings, d, confirmed_fault="cracked_screen", by="ana")
    _log(settings, "laptop", ("storage_fault",), MONDAY_2, repair_id=99)
    return settings


REPAIRS = _repairs((10, None, "cracked_screen", DONE), (20, "BK-2", "charging_port", DONE))


def _matched(settings: Settings) -> pl.DataFrame:
    return match_outcomes(read_predictions(settings), REPAIRS)


def test_the_completed_repair_outranks_the_technicians_confirmation(log: Settings) -> None:
    matched = _matched(log)
    assert matched.height == 4  # e is still open
    a = matched.filter(pl.col("repair_id") == 10).row(0, named=True)
    assert (a["actual_fault"], a["actual_source"]) == ("cracked_screen", "repair")
    assert a["resolved_at"] == DONE


def test_a_booking_reference_finds_the_repair_it_became(log: Settings) -> None:
    b = _matched(log).filter(pl.col("booking_reference") == "BK-2").row(0, named=True)
    assert (b["actual_fault"], b["actual_source"]) == ("charging_port", "repair")
    assert b["outcome_repair_id"] == 20
    assert b["is_top1_correct"] is False and b["is_top3_correct"] is True


def test_without_a_repair_the_technicians_correction_is_the_outcome(log: Settings) -> None:
    c = _matched(log).filter(pl.col("device_category") == "laptop").row(0, named=True)
    assert (c["actual_fault"], c["actual_source"]) == ("overheating", "technician")
    assert c["is_top1_correct"] is False and c["is_top3_correct"] is False


def test_summary_counts_by_hand(log: Settings) -> None:
    summary = summarise(_matched(log), logged=5)
    # top-1 right: a, d → 2/4; top-3 right: a, b, d → 3/4; bench: d → 1/4;
    # confident answers a, b, c: only a right → 1/3
    assert (summary.logged, summary.matched) == (5, 4)
    assert summary.top1_accuracy == pytest.approx(2 / 4)
    assert summary.top3_accuracy == pytest.approx(3 / 4)
    assert summary.bench_share == pytest.approx(1 / 4)
    assert summary.accepted_top1_accuracy == pytest.approx(1 / 3)


def test_accuracy_over_time_by_week(log: Settings) -> None:
    weeks = accuracy_over_time(_matched(log), every="1w").to_dicts()
    # week 1: a right, b wrong (top-3 right); week 2: c wrong, d right
    assert [w["period_start"].isoformat() for w in weeks] == ["2026-03-02", "2026-03-09"]
    assert [w["predictions"] for w in weeks] == [2, 2]
    assert [w["top1_accuracy"] for w in weeks] == [0.5, 0.5]
    assert [w["top3_accuracy"] for w in weeks] == [1.0, 0.5]


def test_accuracy_per_device_category_and_model(log: Settings) -> None:
    matched = _matched(log)
    categories = {r["device_category"]: r for r in accuracy_by(matched).to_dicts()}
    assert categories["phone"]["predictions"] == 3
    assert categories["phone"]["top1_accuracy"] == pytest.approx(2 / 3)
    assert categories["laptop"]["top1_accuracy"] == 0.0
    models = {r["device_model"]: r["predictions"] for r in accuracy_by(matched, "device_model")
              .to_dicts()}  # fmt: skip
    assert models == {"iPhone 12": 2, "Galaxy S21": 1, "(not given)": 1}


def test_confusion_matrix_counts_and_row_shares(log: Settings) -> None:
    cells = {
        (r["actual_fault"], r["predicted_fault"]): (r["count"], r["share_of_actual"])
        for r in confusion_matrix(_matched(log)).to_dicts()
    }
    assert cells == {
        ("cracked_screen", "cracked_screen"): (2, 1.0),
        ("charging_port", "battery_worn"): (1, 1.0),
        ("overheating", "keyboard_fault"): (1, 1.0),
    }


def test_without_a_warehouse_only_confirmations_count(log: Settings) -> None:
    matched, logged = matched_predictions(log)
    assert logged == 5
    assert sorted(matched["actual_source"]) == ["technician"] * 3
    a = matched.filter(pl.col("repair_id") == 10).row(0, named=True)
    assert a["actual_fault"] == "touch_failure"


def test_repairs_in_the_warehouse_close_the_loop(built_data_dir: Path, tmp_path: Path) -> None:
    with duckdb.connect(str(built_data_dir / "warehouse.duckdb"), read_only=True) as db:
        completed = db.execute(
            "SELECT r.repair_id, r.fault_code, b.booking_reference FROM fct_repairs r JOIN "
            "fct_bookings b USING (repair_id) WHERE r.is_completed ORDER BY r.repair_id LIMIT 2"
        ).fetchall()
        (cancelled,) = db.execute(
            "SELECT repair_id FROM fct_repairs WHERE is_cancelled ORDER BY repair_id LIMIT 1"
        ).fetchone()
    directory = linked_warehouse(built_data_dir, tmp_path / "var")
    settings = Settings(data_dir=directory)
    (by_id, fault_1, _), (_, fault_2, reference) = completed
    _log(settings, "phone", ("cracked_screen",), MONDAY_1, repair_id=by_id)
    _log(settings, "phone", ("cracked_screen",), MONDAY_1, booking_reference=reference)
    _log(settings, "phone", ("cracked_screen",), MONDAY_1, repair_id=cancelled)
    matched, logged = matched_predictions(settings)
    assert logged == 3
    assert matched.sort("repair_id", nulls_last=True)["actual_fault"].to_list() == [
        fault_1, fault_2,
    ]  # fmt: skip
    assert set(matched["actual_source"]) == {"repair"}
