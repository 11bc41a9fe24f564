"""Dirt planted on purpose, at realistic rates, for the ETL's validation to find.

Every rate here is documented in data/README.md; change both together.
"""

from __future__ import annotations

import numpy as np
import polars as pl

MISSING_EMAIL_RATE = 0.03  # customers without an email address
DUPLICATE_CUSTOMER_RATE = 0.015  # customer rows that re-register an existing customer
LATE_EVENT_RATE = 0.02  # status events recorded (created_at) 1-5 days after they occurred
LATE_EVENT_DELAY_DAYS = (1, 5)

# Invalid values, per 10,000 rows of the table named, that validation must quarantine.
MALFORMED_EMAILS_PER_10K_CUSTOMERS = 5
UNKNOWN_FAULT_CODES_PER_10K_REPAIRS = 3
ABSURD_LABOUR_MINUTES_PER_10K_REPAIRS = 2
EVENTS_BEFORE_RECEIVED_PER_10K_REPAIRS = 2

ABSURD_LABOUR_MINUTES = (9999, 6000, 99999)
UNKNOWN_FAULT_CODES = {  # misspellings an ETL must not accept as taxonomy codes
    "cracked_screen": "craked_screen",
    "battery_worn": "battery_warn",
    "charging_port": "charging port",
    "liquid_damage": "liquid_dammage",
    "software_fault": "Software_Fault",
    "display_failure": "display_failiure",
    "controller_drift": "controler_drift",
}
FALLBACK_UNKNOWN_FAULT_CODE = "unknown"


def count_for(rate_per_10k: float, rows: int, rng: np.random.Generator) -> int:
    """How many rows to spoil: the expected count, rounded at random so small tables get some."""
    expected = rate_per_10k * rows / 10_000
    return int(expected) + int(rng.random() < expected - int(expected))


def pick_rows(rng: np.random.Generator, candidates: np.ndarray, count: int) -> np.ndarray:
    count = min(count, candidates.size)
    return np.sort(rng.choice(candidates, size=count, replace=False)) if count else candidates[:0]


def without_some_emails(rng: np.random.Generator, email: pl.Series) -> pl.Series:
    return email.scatter(np.flatnonzero(rng.random(len(email)) < MISSING_EMAIL_RATE), None)


def with_malformed_emails(rng: np.random.Generator, email: pl.Series) -> pl.Series:
    """Spoil a few present emails: no domain suffix, no @, a space, or nothing before the @."""
    present = np.flatnonzero(email.is_not_null().to_numpy())
    rows = pick_rows(rng, present, count_for(MALFORMED_EMAILS_PER_10K_CUSTOMERS, len(email), rng))
    if rows.size == 0:
        return email
    chosen = pl.DataFrame({"email": email.gather(rows), "style": rng.integers(0, 4, rows.size)})
    col = pl.col
    spoiled = chosen.select(
        pl.when(col("style") == 0).then(col("email").str.replace(r"\.[a-z]+$", ""))
        .when(col("style") == 1).then(col("email").str.replace("@", ".", literal=True))
        .when(col("style") == 2).then(col("email").str.replace(".", " ", literal=True))
        .otherwise(col("email").str.replace(r"^[^@]+", ""))
    ).to_series()  # fmt: skip
    return email.scatter(rows, spoiled)


def with_unknown_fault_codes(rng: np.random.Generator, fault_code: pl.Series) -> pl.Series:
    present = np.flatnonzero(fault_code.is_not_null().to_numpy())
    count = count_for(UNKNOWN_FAULT_CODES_PER_10K_REPAIRS, len(fault_code), rng)
    rows = pick_rows(rng, present, count)
    if rows.size == 0:
        return fault_code
    misspelt = [
        UNKNOWN_FAULT_CODES.get(code, FALLBACK_UNKNOWN_FAULT_CODE)
        for code in fault_code.gather(rows).to_list()
    ]
    return fault_code.scatter(rows, pl.Series(misspelt, dtype=pl.String))


def with_absurd_labour(rng: np.random.Generator, labour_minutes: pl.Series) -> pl.Series:
    present = np.flatnonzero(labour_minutes.is_not_null().to_numpy())
    count = count_for(ABSURD_LABOUR_MINUTES_PER_10K_REPAIRS, len(labour_minutes), rng)
    rows = pick_rows(rng, present, count)
    values = rng.choice(np.array(ABSURD_LABOUR_MINUTES), rows.size)
    return labour_minutes.scatter(rows, pl.Series(values, dtype=labour_minutes.dtype))


def late_recording_delays(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds between an event happening and being recorded (0 for most events)."""
    late = rng.random(n) < LATE_EVENT_RATE
    low, high = LATE_EVENT_DELAY_DAYS
    return np.where(late, rng.integers(low * 86_400, high * 86_400, n), 0)


def repairs_with_events_before_received(
    rng: np.random.Generator, candidates: np.ndarray, n_repairs: int
) -> np.ndarray:
    """Repairs (positions) whose diagnosing event gets a date before the repair was received."""
    return pick_rows(
        rng, candidates, count_for(EVENTS_BEFORE_RECEIVED_PER_10K_REPAIRS, n_repairs, rng)
    )
