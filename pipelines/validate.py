"""Row-level validation of extracted operational rows, and the quarantine rows for failures.

Each rule is a named polars expression that is true for rows that pass. We evaluate rules as plain
expressions rather than through pandera because quarantine needs, for every failing row, its key,
the names of all the rules it broke and the raw row — pandera's polars backend reports failure
cases per check, not per row, and would need a second pass to get there. Rules evaluate as one
vectorised ``select`` per table, so validation costs little even on millions of rows.

Rules only cover what the database does not already guarantee on both engines (NOT NULL is
re-checked because a hand-made SQLite file may not enforce it): codes outside the fault taxonomy,
absurd values, and timelines out of order. Softer defects that lose no information — a malformed
or missing email, a duplicate customer, a status update recorded days late — are kept and flagged in
the marts instead, because quarantining a customer would orphan all of their repairs.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import polars as pl

from ops import schema as ops
from pipelines.sources import SourceTable, required_columns

MAX_LABOUR_MINUTES = 16 * 60
"""Two full working days at the bench: anything above is a typo (e.g. 9999), not a repair."""

QUARANTINE_SCHEMA = {
    "table_name": pl.String(),
    "row_key": pl.String(),
    "reason": pl.String(),
    "raw_row": pl.String(),
}

_ACCEPTED_VALUES: dict[tuple[str, str], tuple[str, ...]] = {
    ("customers", "acquisition_channel"): ops.ACQUISITION_CHANNELS,
    ("device_models", "category"): ops.DEVICE_CATEGORIES,
    ("device_models", "device_class"): ops.DEVICE_CLASSES,
    ("technicians", "skill_level"): ops.SKILL_LEVELS,
    ("bookings", "status"): ops.BOOKING_STATUSES,
    ("bookings", "channel"): ops.BOOKING_CHANNELS,
    ("repairs", "status"): ops.REPAIR_STATUSES,
    ("repair_status_events", "status"): ops.REPAIR_STATUSES,
    ("payments", "method"): ops.PAYMENT_METHODS,
    ("payments", "status"): ops.PAYMENT_STATUSES,
    ("stock_movements", "reason"): ops.STOCK_MOVEMENT_REASONS,
}


@dataclass(frozen=True)
class Rule:
    """A named check; ``passes`` is true for good rows (null counts as passing)."""

    name: str
    passes: pl.Expr


@dataclass(frozen=True)
class Validated:
    valid: pl.DataFrame  # the rows that passed, raw ops columns
    invalid: pl.DataFrame  # the rows that failed, raw ops columns
    quarantined: pl.DataFrame  # one row per invalid row, QUARANTINE_SCHEMA


def rules_for(table: str, fault_codes: Collection[str]) -> list[Rule]:
    """Every rule that rows of ``table`` must pass."""
    rules = [Rule(f"{c}_missing", pl.col(c).is_not_null()) for c in required_columns(table)]
    rules += [
        Rule(f"{column}_not_accepted", pl.col(column).is_in(list(values)))
        for (owner, column), values in _ACCEPTED_VALUES.items()
        if owner == table
    ]
    if table == "repairs":
        rules += [
            Rule("fault_code_not_in_taxonomy", pl.col("fault_code").is_in(list(fault_codes))),
            Rule(
                "initial_fault_code_not_in_taxonomy",
                pl.col("initial_fault_code").is_in(list(fault_codes)),
            ),
            Rule(
                "labour_minutes_out_of_range",
                pl.col("labour_minutes").is_between(0, MAX_LABOUR_MINUTES),
            ),
            Rule("completed_before_received", pl.col("completed_at") >= pl.col("received_at")),
            Rule("collected_before_completed", pl.col("collected_at") >= pl.col("completed_at")),
        ]
    if table == "repair_status_events":
        rules.append(
            Rule("occurred_before_repair_received", pl.col("occurred_at") >= pl.col("_received_at"))
        )
    return rules


def passes_every_rule(rules: list[Rule]) -> pl.Expr:
    """True for rows that break no rule (cheap: no strings are built for passing rows)."""
    return pl.all_horizontal([r.passes.fill_null(True) for r in rules]) if rules else pl.lit(True)


def failure_reasons(frame: pl.DataFrame, rules: list[Rule]) -> pl.Series:
    """For each row, the names of the rules it breaks joined by ``"; "`` (empty when it passes)."""
    if not rules:
        return pl.Series("reason", [""] * frame.height, dtype=pl.String)
    broken = [pl.when(r.passes.fill_null(True)).then(None).otherwise(pl.lit(r.name)) for r in rules]
    return frame.select(
        pl.concat_str(broken, separator="; ", ignore_nulls=True).fill_null("").alias("reason")
    ).to_series()


def row_key(key: tuple[str, ...]) -> pl.Expr:
    """The quarantine key of a row: its id, or ``col=value/col=value`` for composite keys."""
    parts = [pl.col(c).cast(pl.String).fill_null("null") for c in key]
    if len(key) == 1:
        return parts[0]
    return pl.concat_str(
        [pl.concat_str(pl.lit(f"{c}="), part) for c, part in zip(key, parts, strict=True)],
        separator="/",
    )


def validate(
    source: SourceTable,
    frame: pl.DataFrame,
    fault_codes: Collection[str],
    repair_received_at: pl.DataFrame | None = None,
) -> Validated:
    """Split extracted rows into those that pass every rule and quarantine rows for the others.

    ``repair_received_at`` (``id``, ``received_at`` of every known repair) lets status events be
    checked against their repair; an event whose repair is unknown is not judged on that rule.
    """
    checked = frame
    if source.name == "repair_status_events":
        lookup = (
            repair_received_at
            if repair_received_at is not None
            else pl.DataFrame(schema={"id": pl.Int64, "received_at": pl.Datetime("us")})
        )
        # Join only the key column and add the result: joining the whole frame would copy
        # every column of millions of events.
        received_at = frame.select("repair_id").join(
            lookup.select(
                pl.col("id").alias("repair_id"), pl.col("received_at").alias("_received_at")
            ),
            on="repair_id",
            how="left",
            maintain_order="left",
        )["_received_at"]
        checked = frame.with_columns(received_at)
    rules = rules_for(source.name, fault_codes)
    passes = checked.with_columns(passes_every_rule(rules).alias("_passes"))["_passes"]
    # Reasons are spelled out only for the few failing rows.
    invalid = frame.filter(~passes)
    quarantined = invalid.select(
        pl.lit(source.name).alias("table_name"),
        row_key(source.key).alias("row_key"),
        failure_reasons(checked.filter(~passes), rules).alias("reason"),
        pl.struct(pl.all()).struct.json_encode().alias("raw_row"),
    )
    return Validated(
        # Most tables have no failing row: keep the frame rather than copy it through a filter.
        valid=frame if invalid.is_empty() else frame.filter(passes),
        invalid=invalid,
        quarantined=quarantined,
    )
