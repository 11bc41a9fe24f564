"""The bench checklist: a few concrete checks for every fault of the taxonomy."""

from __future__ import annotations

import polars as pl

from data import reference


def test_every_fault_code_has_two_to_four_checks():
    counts = dict(reference.fault_checks().group_by("fault_code").len().iter_rows())
    assert set(counts) == reference.fault_codes()
    assert all(2 <= count <= 4 for count in counts.values())


def test_checks_are_numbered_from_one_without_gaps():
    steps = reference.fault_checks().group_by("fault_code").agg(pl.col("step").sort())
    for code, numbers in steps.iter_rows():
        assert numbers == list(range(1, len(numbers) + 1)), code


def test_every_check_is_a_sentence_of_its_own():
    checks = reference.fault_checks()["check"]
    assert checks.is_unique().all()
    assert (checks.str.len_chars() >= 30).all()
