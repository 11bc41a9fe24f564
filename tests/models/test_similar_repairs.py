"""Similar past repairs: found by how the description reads, despite misspellings."""

from __future__ import annotations

from datetime import date

import polars as pl

from models.diagnostics.diagnose import SIMILAR_COLUMNS, SimilarRepairs


def _repairs(*rows: tuple[int, str, str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            (repair_id, date(2026, 1, repair_id), "Apple", model, text, fault, None, "x",
             100.0, 30.0, True, False, 5)
            for repair_id, model, text, fault in rows
        ],
        schema=SIMILAR_COLUMNS,
        orient="row",
    )  # fmt: skip


HISTORY = _repairs(
    (1, "iPhone 12", "wont charge unless i wiggle the cable", "charging_port"),
    (2, "iPhone 13", "wont charge unless i wiggle the cable", "charging_port"),
    (3, "iPhone 12", "screen cracked after a drop", "cracked_screen"),
    (4, "iPhone 13", "screen cracked after a drop, touch still works", "cracked_screen"),
    (5, "iPhone 12", "battery dies really fast", "battery_worn"),
    (6, "iPhone 13", "battery dies fast and phone gets hot", "battery_worn"),
)


def test_a_misspelt_description_finds_the_repairs_that_read_like_it() -> None:
    found = SimilarRepairs.build(HISTORY).query("scren crackd after a drop")
    assert found["repair_id"][0] == 3
    assert set(found["fault_code"]) == {"cracked_screen"}
    assert found["similarity"].is_between(0, 1).all()


def test_the_same_device_model_wins_among_equally_close_descriptions() -> None:
    found = SimilarRepairs.build(HISTORY).query("wont charge, have to wiggle the cable",
                                                model="iPhone 13", limit=1)  # fmt: skip
    assert found["repair_id"].to_list() == [2]


def test_identical_descriptions_are_shown_once() -> None:
    found = SimilarRepairs.build(HISTORY).query("wont charge unless i wiggle the cable")
    assert found["symptoms"].to_list().count("wont charge unless i wiggle the cable") == 1


def test_text_sharing_nothing_with_the_history_finds_nothing() -> None:
    index = SimilarRepairs.build(HISTORY)
    assert index.query("qwxz vbnm").is_empty()
    assert index.query("").is_empty()
    assert SimilarRepairs.build(HISTORY.head(0)).query("screen cracked").is_empty()
