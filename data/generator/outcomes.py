"""What a collected repair leaves behind: payments and (sometimes) feedback."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from data.generator.experience import SATISFACTION_BASE, promised_days
from data.generator.sampling import uuid4_strings
from data.generator.symptoms import VOCABULARY_DIR
from data.generator.timestamps import NEVER, utc
from data.generator.visits import REWORK
from ops.schema import DEVICE_CLASSES

if TYPE_CHECKING:
    from data.generator.tables import Records
    from data.generator.timeline import StatusEvents

# Payments: insurance pays for some accidents on dear devices; otherwise this mix.
PAYMENT_MIX = {"card": 0.66, "cash": 0.22, "bank_transfer": 0.12}
INSURANCE_RATE = 0.05
INSURANCE_RATE_ACCIDENT_PREMIUM = 0.25  # cracked screen or liquid damage on a premium device
BANK_TRANSFER_DAYS = (0, 5)
INSURANCE_DAYS = (3, 21)
FAILED_CARD_ATTEMPT_RATE = 0.03  # a declined card before the payment that succeeded
REFUND_RATE = 0.003

# Feedback: share of collected repairs answering the survey, more when the experience was extreme.
RESPONSE_RATE = 0.30
EXTREME_RESPONSE_BONUS = 0.25
EXTREME_SATISFACTION_DISTANCE = 1.5
CSAT_NOISE = 0.35
NPS_RATE = 0.9
NPS_FROM_CSAT = (2.2, -1.0, 1.0)  # slope, intercept, noise sd
COMMENT_RATE = 0.4
SUBMIT_MEDIAN_HOURS = 20.0

_DAY = 86_400


def payments_table(
    records: Records, events: StatusEvents, rng: np.random.Generator
) -> pl.DataFrame:
    world, cat = records.world, records.world.catalogue
    collected = events.time_of("collected")
    amount = np.round(records.of_repairs("final") - records.of_repairs("discount"), 2)
    due = np.flatnonzero((collected < NEVER) & (amount > 0))
    n = due.size
    store = records.of_repairs("store")[due]
    fault = records.of_repairs("fault")[due]
    premium = cat.model_class[records.of_repairs("model")[due]] == DEVICE_CLASSES.index("premium")
    accident = np.isin(fault, [cat.fault_index("cracked_screen"), cat.fault_index("liquid_damage")])
    insured = rng.random(n) < np.where(
        accident & premium, INSURANCE_RATE_ACCIDENT_PREMIUM, INSURANCE_RATE
    )
    methods = np.array(list(PAYMENT_MIX))
    shares = np.array(list(PAYMENT_MIX.values()))
    method = np.where(insured, "insurance", methods[rng.choice(len(methods), n, p=shares)])

    at_desk = collected[due] + rng.integers(30, 240, n)
    transfer_days = rng.uniform(*BANK_TRANSFER_DAYS, n)
    insurance_days = rng.uniform(*INSURANCE_DAYS, n)
    settled = np.select(
        [method == "bank_transfer", method == "insurance"],
        [collected[due] + (transfer_days * _DAY).astype(np.int64),
         collected[due] + (insurance_days * _DAY).astype(np.int64)],
        at_desk,
    )  # fmt: skip
    created = np.where(np.isin(method, ["card", "cash"]), at_desk, collected[due])
    paid = settled < world.end_seconds
    refunded_at = settled + rng.integers(1 * _DAY, 14 * _DAY, n)
    refunded = paid & np.isin(method, ["card", "cash"]) & (rng.random(n) < REFUND_RATE)
    refunded &= refunded_at < world.end_seconds
    status = np.where(refunded, "refunded", np.where(paid, "succeeded", "pending"))
    updated = np.where(refunded, refunded_at, np.where(paid, settled, created))

    declined = np.flatnonzero((method == "card") & (rng.random(n) < FAILED_CARD_ATTEMPT_RATE))
    attempt = created[declined] - rng.integers(60, 300, declined.size)
    rows = np.concatenate([np.arange(n), declined])
    store = store[rows]
    created_all = np.concatenate([created, attempt])
    frame = pl.DataFrame(
        {
            "repair_id": records.repair_id[records.repairs[due[rows]]],
            "amount_eur": pl.Series(amount[due][rows]).cast(pl.Decimal(10, 2)),
            "method": np.concatenate([method, np.full(declined.size, "card")]),
            "status": np.concatenate([status, np.full(declined.size, "failed")]),
            "paid_at": utc(
                world,
                store,
                np.concatenate([np.where(paid, settled, NEVER), np.full(declined.size, NEVER)]),
            ),
            "created_at": utc(world, store, created_all),
            "updated_at": utc(world, store, np.concatenate([updated, attempt])),
            "_order": world.calendar.to_utc(store, created_all),
        }
    )
    frame = frame.sort("_order", "repair_id", maintain_order=True).drop("_order")
    return frame.with_columns(
        id=pl.int_range(1, frame.height + 1, dtype=pl.Int64),
        idempotency_key=uuid4_strings(rng, frame.height),
    ).select(
        "id",
        "repair_id",
        "amount_eur",
        "method",
        "status",
        "idempotency_key",
        "paid_at",
        "created_at",
        "updated_at",
    )


def feedback_table(
    records: Records, events: StatusEvents, rng: np.random.Generator
) -> pl.DataFrame:
    world, cat, staff = records.world, records.world.catalogue, records.world.staff
    collected = events.time_of("collected")
    done = np.flatnonzero(collected < NEVER)
    score = records.of_repairs("satisfaction")[done]
    extreme = np.abs(score - SATISFACTION_BASE) > EXTREME_SATISFACTION_DISTANCE
    answered = rng.random(done.size) < RESPONSE_RATE + EXTREME_RESPONSE_BONUS * extreme
    submitted = collected[done] + np.maximum(
        rng.lognormal(np.log(SUBMIT_MEDIAN_HOURS * 3600), 1.0, done.size), 600
    ).astype(np.int64)
    keep = answered & (submitted < world.end_seconds)
    rows, score, submitted = done[keep], score[keep], submitted[keep]
    n = rows.size
    csat = np.clip(np.round(score + rng.normal(0, CSAT_NOISE, n)), 1, 5).astype(np.int64)
    slope, intercept, noise = NPS_FROM_CSAT
    nps = np.clip(np.round(slope * csat + intercept + rng.normal(0, noise, n)), 0, 10).astype(
        np.int64
    )

    visits = records.repairs[rows]
    v = records.sim.visits
    promised = promised_days(cat.repair_types)[v["fault"][visits]]
    late = (v["ready"][visits] - v["received"][visits]) / _DAY > promised + 1
    dearer = v["final"][visits] > v["quote"][visits] * 1.05
    unfriendly = staff.csat_effect[v["technician"][visits]] < -0.2
    praise = np.where(rng.random(n) < 0.8, "praise", "neutral")
    topic = np.select(
        [csat >= 4, v["kind"][visits] == REWORK, dearer, late, unfriendly],
        [praise, "rework", "price", "delay", "staff"],
        "neutral",
    )
    comment = _comments(rng, topic).scatter(np.flatnonzero(rng.random(n) >= COMMENT_RATE), None)
    store = v["store"][visits]
    order = np.lexsort((rows, world.calendar.to_utc(store, submitted)))
    submitted_at = utc(world, store, submitted)
    return (
        pl.DataFrame(
            {
                "repair_id": records.repair_id[visits],
                "csat": csat,
                "nps": pl.Series(nps).scatter(np.flatnonzero(rng.random(n) >= NPS_RATE), None),
                "comment": comment,
                "submitted_at": submitted_at,
                "created_at": submitted_at,
                "updated_at": submitted_at,
            }
        )[order]
        .with_columns(id=pl.int_range(1, n + 1, dtype=pl.Int64))
        .select(
            "id", "repair_id", "csat", "nps", "comment", "submitted_at", "created_at", "updated_at"
        )
    )


@cache
def _comment_vocabulary() -> pl.DataFrame:
    return pl.read_csv(
        VOCABULARY_DIR / "comments.csv", schema={"topic": pl.String, "text": pl.String}
    )


def _comments(rng: np.random.Generator, topic: np.ndarray) -> pl.Series:
    vocabulary = _comment_vocabulary()
    texts = vocabulary["text"]
    topics = vocabulary["topic"].to_numpy()
    index = np.zeros(topic.size, np.int64)
    for name in np.unique(topic):
        options = np.flatnonzero(topics == name)
        rows = np.flatnonzero(topic == name)
        index[rows] = options[rng.integers(0, options.size, rows.size)]
    return texts.gather(index)
