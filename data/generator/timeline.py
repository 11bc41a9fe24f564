"""Each repair's status history (repair_status_events) and the repairs table that mirrors it.

A repair moves received → diagnosing → (awaiting_parts) → in_repair → quality_check → ready →
collected, or received → diagnosing → cancelled. Events are written when recorded: most at once,
some days late (dirt.LATE_EVENT_RATE), and none after the end of the history, so recent repairs
are still open and the latest status of a repair may lag behind what really happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from data.generator import dirt
from data.generator.timestamps import NEVER, utc
from data.generator.visits import REWORK
from ops.schema import REPAIR_STATUSES

if TYPE_CHECKING:
    from data.generator.tables import Records

CANCEL_NOTES = (
    "customer declined the quote",
    "customer cancelled",
    "not worth repairing, customer informed",
    "customer will get a new device",
)
_STATUS = {name: i for i, name in enumerate(REPAIR_STATUSES)}
_TECHNICIAN_STATUSES = ("diagnosing", "awaiting_parts", "in_repair", "quality_check")
_DAY = 86_400


@dataclass(frozen=True)
class StatusEvents:
    """The events table and, per repair (in id order), what its events say."""

    frame: pl.DataFrame
    recorded: np.ndarray  # [repair, status] the event is in the table
    occurred: np.ndarray  # [repair, status] local seconds (NEVER if it did not happen)
    last_written: np.ndarray  # [repair] local seconds the repair row was last written
    status: np.ndarray  # [repair] index into REPAIR_STATUSES of the latest recorded event

    def time_of(self, status: str) -> np.ndarray:
        """Local seconds of ``status`` per repair where recorded, NEVER elsewhere."""
        column = _STATUS[status]
        return np.where(self.recorded[:, column], self.occurred[:, column], NEVER)


def status_events(records: Records, rng: np.random.Generator) -> StatusEvents:
    world = records.world
    end = world.end_seconds
    n = records.repairs.size
    occurred = np.full((n, len(REPAIR_STATUSES)), NEVER, np.int64)
    occurred[:, _STATUS["received"]] = records.of_repairs("received")
    occurred[:, _STATUS["diagnosing"]] = records.of_repairs("diagnosing")
    occurred[:, _STATUS["awaiting_parts"]] = np.where(
        records.of_repairs("awaiting_parts"), records.of_repairs("diagnosed"), NEVER
    )
    for name in ("in_repair", "quality_check", "ready", "collected"):
        occurred[:, _STATUS[name]] = records.of_repairs(name)
    occurred[:, _STATUS["cancelled"]] = records.of_repairs("cancelled_at")

    written = occurred + dirt.late_recording_delays(rng, occurred.size).reshape(occurred.shape)
    recorded = (occurred < end) & (written < end)
    status = len(REPAIR_STATUSES) - 1 - np.argmax(recorded[:, ::-1], axis=1)
    status = np.where(recorded.any(axis=1), status, _STATUS["received"])
    last_written = np.maximum(np.where(recorded, written, 0).max(axis=1), occurred[:, 0])

    # Dirt: a diagnosing event dated (by a typo) days before the repair was received.
    shown = occurred.copy()
    candidates = np.flatnonzero(recorded[:, _STATUS["diagnosing"]])
    spoiled = dirt.repairs_with_events_before_received(rng, candidates, n)
    shown[spoiled, _STATUS["diagnosing"]] = (
        occurred[spoiled, 0] - rng.integers(1, 31, spoiled.size) * _DAY
    )

    frame = _events_frame(records, rng, recorded, shown, written)
    return StatusEvents(frame, recorded, occurred, last_written, status)


def _events_frame(
    records: Records,
    rng: np.random.Generator,
    recorded: np.ndarray,
    occurred: np.ndarray,
    written: np.ndarray,
) -> pl.DataFrame:
    world = records.world
    repair, status = np.nonzero(recorded)  # row-major: by repair, then in status order
    store = records.of_repairs("store")[repair]
    technician = records.of_repairs("technician")[repair] + 1
    by_technician = np.isin(status, [_STATUS[s] for s in _TECHNICIAN_STATUSES])
    part = records.of_repairs("part")[repair]
    note = pl.Series([None] * repair.size, dtype=pl.String)
    waiting = np.flatnonzero(status == _STATUS["awaiting_parts"])
    skus = world.catalogue.parts["sku"].gather(np.maximum(part[waiting], 0))
    note = note.scatter(waiting, "waiting for part " + skus)
    cancelled = np.flatnonzero(status == _STATUS["cancelled"])
    reasons = pl.Series(CANCEL_NOTES).gather(rng.integers(0, len(CANCEL_NOTES), cancelled.size))
    note = note.scatter(cancelled, reasons)
    created = utc(world, store, written[repair, status])
    return pl.DataFrame(
        {
            "id": np.arange(1, repair.size + 1),
            "repair_id": repair + 1,
            "status": pl.Series(REPAIR_STATUSES, dtype=pl.String).gather(status),
            "occurred_at": utc(world, store, occurred[repair, status]),
            "technician_id": pl.Series(np.where(by_technician, technician, 0)).replace(0, None),
            "note": note,
            "created_at": created,
            "updated_at": created,
        }
    )


def repairs_table(records: Records, events: StatusEvents, rng: np.random.Generator) -> pl.DataFrame:
    world, cat = records.world, records.world.catalogue
    store = records.of_repairs("store")
    codes = pl.Series(cat.fault_codes, dtype=pl.String)
    diagnosed = records.of_repairs("diagnosed") < world.end_seconds
    fault = records.of_repairs("fault").astype(np.int64)
    fault_code = codes.gather(fault).scatter(np.flatnonzero(~diagnosed), None)
    repair_type = pl.Series(cat.repair_types, dtype=pl.String).gather(fault)
    repair_type = repair_type.scatter(np.flatnonzero(~diagnosed), None)
    ready = events.time_of("ready")
    completed = ready < NEVER
    benched = events.time_of("quality_check") < NEVER
    labour = pl.Series(records.of_repairs("labour_minutes")).scatter(np.flatnonzero(~benched), None)
    rework = records.of_repairs("kind") == REWORK
    rework_of = records.repair_id[np.maximum(records.of_repairs("previous"), 0)]
    final = np.where(completed, records.of_repairs("final"), np.nan)
    discount = np.where(completed, records.of_repairs("discount"), 0.0)
    booking = records.booking_id[records.repairs]
    return pl.DataFrame(
        {
            "id": records.repair_id[records.repairs],
            "booking_id": pl.Series(booking).replace(0, None),
            "customer_id": records.customer_id[records.customer_record[records.repairs]],
            "customer_device_id": records.device_id[records.device_record[records.repairs]],
            "store_id": store + 1,
            "technician_id": records.of_repairs("technician") + 1,
            "received_at": utc(world, store, records.of_repairs("received")),
            "reported_symptoms": records.symptoms.gather(records.repairs),
            "initial_fault_code": codes.gather(records.of_repairs("guess").astype(np.int64)),
            "fault_code": dirt.with_unknown_fault_codes(rng, fault_code),
            "repair_type": repair_type,
            "status": pl.Series(REPAIR_STATUSES, dtype=pl.String).gather(events.status),
            "quoted_price_eur": _money(records.of_repairs("quote")),
            "final_price_eur": _money(final),
            "discount_eur": _money(discount),
            "labour_minutes": dirt.with_absurd_labour(rng, labour),
            "is_warranty": rework,
            "rework_of_repair_id": pl.Series(np.where(rework, rework_of, 0)).replace(0, None),
            "completed_at": utc(world, store, ready),
            "collected_at": utc(world, store, events.time_of("collected")),
            "created_at": utc(world, store, records.of_repairs("received")),
            "updated_at": utc(world, store, events.last_written),
        }
    )


def _money(values: np.ndarray) -> pl.Series:
    return pl.Series(np.round(values, 2), nan_to_null=True).cast(pl.Decimal(10, 2))
