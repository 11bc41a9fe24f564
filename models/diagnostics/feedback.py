"""Closing the loop: logged predictions matched to the fault each repair turned out to have.

A prediction's *actual fault* is, in this order of precedence:

1. ``fct_repairs.fault_code`` of its completed repair, found by the logged ``repair_id`` or through
   the booking it was made for (``fct_bookings.booking_reference`` → ``repair_id``): the fault the
   technician recorded when the repair was done, the same label the model is trained on;
2. otherwise the technician's latest confirmation or correction on the Diagnostics page
   (``prediction_log.record_outcome``).

Predictions with neither are still open and left out of every accuracy figure. Cancelled and
unfinished repairs do not count as outcomes.

The frames here are plain polars, so the arithmetic can be checked by hand on a few rows:
``match_outcomes`` (pure) does the matching, ``accuracy_over_time``, ``accuracy_by`` and
``confusion_matrix`` summarise its result, and ``matched_predictions(settings)`` runs it on the
prediction log and the published warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from core.settings import Settings
from models.diagnostics.prediction_log import read_predictions

REPAIR_COLUMNS = {
    "repair_id": pl.Int64,
    "booking_reference": pl.String,
    "actual_fault": pl.String,
    "completed_at": pl.Datetime("us"),
}
NO_FAULT = "(none)"  # a prediction that proposed nothing (no possible fault for the category)
NOT_GIVEN = "(not given)"


@dataclass(frozen=True)
class LoopSummary:
    logged: int
    matched: int
    top1_accuracy: float | None
    top3_accuracy: float | None
    bench_share: float | None  # share of matched answers that recommended a bench diagnosis
    accepted_top1_accuracy: float | None  # top-1 accuracy of the answers given with confidence


def repair_outcomes(
    settings: Settings, repair_ids: list[int], booking_references: list[str]
) -> pl.DataFrame:
    """The recorded fault of every completed repair with one of the given ids or booking
    references (``REPAIR_COLUMNS``); empty when there is no published warehouse yet."""
    from warehouse.reader import WarehouseMissingError, connect_read_only

    empty = pl.DataFrame(schema=REPAIR_COLUMNS)
    if not repair_ids and not booking_references:
        return empty
    try:
        connection = connect_read_only(settings)
    except WarehouseMissingError:
        return empty
    try:
        result = connection.execute(
            """
            WITH ids AS (SELECT DISTINCT unnest(?::BIGINT[]) AS repair_id),
            refs AS (SELECT DISTINCT unnest(?::VARCHAR[]) AS booking_reference),
            wanted AS (
                SELECT repair_id FROM ids
                UNION
                SELECT b.repair_id FROM fct_bookings b JOIN refs USING (booking_reference)
                WHERE b.repair_id IS NOT NULL
            )
            SELECT r.repair_id, b.booking_reference, r.fault_code AS actual_fault, r.completed_at
            FROM fct_repairs r
            JOIN wanted USING (repair_id)
            LEFT JOIN fct_bookings b ON b.repair_id = r.repair_id
            WHERE r.is_completed AND r.fault_code IS NOT NULL
            """,
            [repair_ids, booking_references],
        )
        rows = result.fetchall()
    finally:
        connection.close()
    return pl.DataFrame(rows, schema=REPAIR_COLUMNS, orient="row")


def match_outcomes(predictions: pl.DataFrame, repairs: pl.DataFrame) -> pl.DataFrame:
    """The predictions that have an outcome, each with ``actual_fault``, ``actual_source``
    (``repair`` or ``technician``), ``resolved_at``, the completed repair it came from
    (``outcome_repair_id``, null for a technician's verdict) and whether the actual fault was the
    top candidate (``is_top1_correct``) or among the first three (``is_top3_correct``).

    ``predictions`` is ``prediction_log.read_predictions``; ``repairs`` has ``REPAIR_COLUMNS``.
    """
    by_repair = repairs.select(
        "repair_id",
        repair_fault=pl.col("actual_fault"),
        repair_completed_at=pl.col("completed_at"),
    ).unique("repair_id")
    by_booking = (
        repairs.filter(pl.col("booking_reference").is_not_null())
        .select(
            "booking_reference",
            booking_repair_id=pl.col("repair_id"),
            booking_fault=pl.col("actual_fault"),
            booking_completed_at=pl.col("completed_at"),
        )
        .unique("booking_reference")
    )
    joined = predictions.join(by_repair, on="repair_id", how="left").join(
        by_booking, on="booking_reference", how="left"
    )
    actual = pl.coalesce("repair_fault", "booking_fault", "confirmed_fault")
    source = (
        pl.when(pl.col("repair_fault").is_not_null() | pl.col("booking_fault").is_not_null())
        .then(pl.lit("repair"))
        .when(pl.col("confirmed_fault").is_not_null())
        .then(pl.lit("technician"))
    )
    resolved = (
        pl.when(pl.col("repair_fault").is_not_null())
        .then(pl.col("repair_completed_at"))
        .when(pl.col("booking_fault").is_not_null())
        .then(pl.col("booking_completed_at"))
        .otherwise(pl.col("confirmed_at"))
    )
    outcome_repair = (
        pl.when(pl.col("repair_fault").is_not_null())
        .then(pl.col("repair_id"))
        .otherwise(pl.col("booking_repair_id"))
    )
    return (
        joined.with_columns(
            actual_fault=actual,
            actual_source=source,
            resolved_at=resolved,
            outcome_repair_id=outcome_repair,
        )
        .filter(pl.col("actual_fault").is_not_null())
        .with_columns(
            is_top1_correct=(pl.col("top_fault") == pl.col("actual_fault")).fill_null(False),
            is_top3_correct=pl.col("candidate_faults")
            .list.head(3)
            .list.contains(pl.col("actual_fault"))
            .fill_null(False),
        )
        .drop(
            "repair_fault",
            "booking_fault",
            "booking_repair_id",
            "repair_completed_at",
            "booking_completed_at",
        )
    )


def matched_predictions(settings: Settings) -> tuple[pl.DataFrame, int]:
    """(the matched predictions of the log, how many predictions are logged in all)."""
    logged = read_predictions(settings)
    repair_ids = logged["repair_id"].drop_nulls().unique().to_list()
    references = logged["booking_reference"].drop_nulls().unique().to_list()
    repairs = repair_outcomes(settings, repair_ids, references)
    return match_outcomes(logged, repairs), logged.height


def summarise(matched: pl.DataFrame, logged: int) -> LoopSummary:
    """Headline figures of the loop."""
    if matched.is_empty():
        return LoopSummary(logged, 0, None, None, None, None)
    accepted = matched.filter(~pl.col("is_bench_recommended"))
    return LoopSummary(
        logged=logged,
        matched=matched.height,
        top1_accuracy=float(matched["is_top1_correct"].mean()),
        top3_accuracy=float(matched["is_top3_correct"].mean()),
        bench_share=float(matched["is_bench_recommended"].mean()),
        accepted_top1_accuracy=(
            float(accepted["is_top1_correct"].mean()) if accepted.height else None
        ),
    )


def accuracy_over_time(matched: pl.DataFrame, every: str = "1w") -> pl.DataFrame:
    """Per period of ``made_at`` (``1d``, ``1w`` weeks from Monday, ``1mo``): ``period_start``,
    ``predictions``, ``top1_accuracy``, ``top3_accuracy``; oldest first."""
    return (
        matched.with_columns(period_start=pl.col("made_at").dt.truncate(every).dt.date())
        .group_by("period_start")
        .agg(
            predictions=pl.len(),
            top1_accuracy=pl.col("is_top1_correct").mean(),
            top3_accuracy=pl.col("is_top3_correct").mean(),
        )
        .sort("period_start")
    )


def accuracy_by(matched: pl.DataFrame, column: str = "device_category") -> pl.DataFrame:
    """Per value of ``column`` (``device_category``, ``device_model``, ``model_version``,
    ``source``…): ``predictions``, ``top1_accuracy``, ``top3_accuracy``; most predictions first."""
    key = pl.col(column).cast(pl.String).fill_null(NOT_GIVEN).alias(column)
    return (
        matched.group_by(key)
        .agg(
            predictions=pl.len(),
            top1_accuracy=pl.col("is_top1_correct").mean(),
            top3_accuracy=pl.col("is_top3_correct").mean(),
        )
        .sort(["predictions", column], descending=[True, False])
    )


def confusion_matrix(matched: pl.DataFrame) -> pl.DataFrame:
    """Long form: one row per (``actual_fault``, ``predicted_fault``) pair that occurred, with
    ``count`` and ``share_of_actual`` (the row-normalised rate: how often that actual fault got
    that top prediction). The diagonal is the per-fault recall."""
    return (
        matched.select("actual_fault", predicted_fault=pl.col("top_fault").fill_null(NO_FAULT))
        .group_by("actual_fault", "predicted_fault")
        .agg(count=pl.len())
        .with_columns(share_of_actual=pl.col("count") / pl.col("count").sum().over("actual_fault"))
        .sort("actual_fault", "predicted_fault")
    )
