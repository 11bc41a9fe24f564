"""The dirt data/README.md promises is there, at the promised rates, for validation to catch."""

from __future__ import annotations

import polars as pl
import pytest

from data import reference
from data.generator import dirt

col = pl.col
EMAIL = r"(?i)^[^@\s]+@[^@\s]+\.[a-z]{2,}$"


@pytest.fixture(scope="module")
def customers(history: dict[str, pl.DataFrame]) -> pl.DataFrame:
    return history["customers"]


def per_10k(count: int, rows: int) -> float:
    return count / rows * 10_000


def test_about_three_percent_of_customers_have_no_email(customers: pl.DataFrame):
    assert 0.02 < customers["email"].null_count() / customers.height < 0.045


def test_about_one_and_a_half_percent_of_customers_are_re_registrations(customers: pl.DataFrame):
    """Same person: same name (in any casing) and the same phone number, written differently."""
    key = customers.with_columns(
        name=pl.concat_str(
            col("first_name").str.to_lowercase(), col("last_name").str.to_lowercase()
        ),
        number=col("phone").str.replace_all(r"\D", "").str.slice(-7),
    ).filter(col("number").is_not_null())
    repeated = key.select(pl.struct("name", "number").is_duplicated().sum()).item() / 2
    assert 0.008 < repeated / customers.height < 0.025


def test_some_emails_are_malformed(customers: pl.DataFrame):
    malformed = customers.filter(col("email").is_not_null() & ~col("email").str.contains(EMAIL))
    rate = per_10k(malformed.height, customers.height)
    assert (
        0.4 * dirt.MALFORMED_EMAILS_PER_10K_CUSTOMERS
        < rate
        < 2 * dirt.MALFORMED_EMAILS_PER_10K_CUSTOMERS
    )


def test_about_two_percent_of_status_events_are_recorded_days_late(
    history: dict[str, pl.DataFrame],
):
    events = history["repair_status_events"]
    late = events.filter((col("created_at") - col("occurred_at")).dt.total_hours() >= 24)
    assert 0.015 < late.height / events.height < 0.026


def test_a_few_repairs_carry_a_fault_code_outside_the_taxonomy(history: dict[str, pl.DataFrame]):
    repairs = history["repairs"]
    unknown = repairs.filter(
        col("fault_code").is_not_null() & ~col("fault_code").is_in(list(reference.fault_codes()))
    )
    rate = per_10k(unknown.height, repairs.height)
    assert (
        0.4 * dirt.UNKNOWN_FAULT_CODES_PER_10K_REPAIRS
        < rate
        < 2 * dirt.UNKNOWN_FAULT_CODES_PER_10K_REPAIRS
    )
    assert "craked_screen" in set(unknown["fault_code"]) or unknown.height < 10


def test_a_few_repairs_record_absurd_labour_minutes(history: dict[str, pl.DataFrame]):
    repairs = history["repairs"]
    absurd = repairs.filter(col("labour_minutes") >= 1000)
    rate = per_10k(absurd.height, repairs.height)
    assert (
        0.4 * dirt.ABSURD_LABOUR_MINUTES_PER_10K_REPAIRS
        < rate
        < 2.5 * dirt.ABSURD_LABOUR_MINUTES_PER_10K_REPAIRS
    )
    assert repairs.filter(col("labour_minutes").is_between(1000, 5999)).is_empty()  # a clear gap


def test_a_few_status_events_are_dated_before_their_repair_was_received(
    history: dict[str, pl.DataFrame],
):
    repairs = history["repairs"].select(col("id").alias("repair_id"), "received_at")
    early = (
        history["repair_status_events"]
        .join(repairs, on="repair_id")
        .filter(col("occurred_at") < col("received_at"))
    )
    rate = per_10k(early.height, repairs.height)
    assert (
        0.4 * dirt.EVENTS_BEFORE_RECEIVED_PER_10K_REPAIRS
        < rate
        < 2.5 * dirt.EVENTS_BEFORE_RECEIVED_PER_10K_REPAIRS
    )
    assert set(early["status"]) == {"diagnosing"}
