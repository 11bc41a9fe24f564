"""Fact transforms in DuckDB SQL: each function is named after the fact table it produces.

Each returns one ``SELECT`` over the staging tables (``stg_*``) of the warehouse being built, so a
full run builds a fact inside DuckDB without reading millions of staged rows back into Python, and
an incremental run builds the same SQL for a few keys. ``scope`` is a SQL condition on the key the
fact hangs off (``repair_id``, ``booking_id``): the rows to build, ``TRUE`` for all of them. It is
applied to every staging table the fact reads that carries that key, the way the marts select
affected rows (see ``pipelines.marts``).

Outputs carry exactly the mart's columns with fixed types (money ``DECIMAL(12,2)``, hours
``DOUBLE``), so an empty staging table yields a correctly typed empty fact.

Money definitions (identities checked in ``warehouse/checks.py``):

- ``price_eur``          = the final price on the invoice, 0 while there is none (open, cancelled)
- ``revenue_eur``        = ``price_eur - discount_eur``
- ``parts_cost_eur``     = Σ quantity × unit cost of the parts fitted
- ``labour_revenue_eur`` = ``price_eur - parts_cost_eur`` (parts are passed on at cost)
- ``gross_margin_eur``   = ``revenue_eur - parts_cost_eur``

so ``revenue_eur = parts_cost_eur + labour_revenue_eur - discount_eur``.
"""

from __future__ import annotations

LATE_RECORDING_HOURS = 24
"""A status event entered more than this long after it happened is flagged ``is_recorded_late``."""

# Repair statuses grouped into the turnaround stages of fct_repairs; collected/cancelled end one.
STAGE_OF_STATUS = {
    "received": "received_to_diagnosed_hours",
    "diagnosing": "received_to_diagnosed_hours",
    "awaiting_parts": "awaiting_parts_hours",
    "in_repair": "in_repair_hours",
    "quality_check": "quality_check_hours",
    "ready": "ready_to_collected_hours",
}
STAGE_COLUMNS = list(dict.fromkeys(STAGE_OF_STATUS.values()))
STAGE_TOTALS = ["received_to_ready_hours", "total_turnaround_hours"]
MONEY = "DECIMAL(12, 2)"
TERMINAL = "('collected', 'cancelled')"
EVERY_ROW = "TRUE"


# Whole microseconds times the reciprocal, as polars computes ``Duration / int``: the published
# warehouse's hours were computed that way, and dividing differs in the last bit for many values.
_HOURS_PER_MICROSECOND = repr(1 / 3_600_000_000)


def hours_between(start: str, end: str) -> str:
    """Hours from ``start`` to ``end`` as DOUBLE."""
    return f"(CAST(epoch_us({end}) - epoch_us({start}) AS DOUBLE) * {_HOURS_PER_MICROSECOND})"


def _stage_case(status: str) -> str:
    arms = " ".join(f"WHEN '{s}' THEN '{stage}'" for s, stage in STAGE_OF_STATUS.items())
    return f"CASE {status} {arms} END"


def stage_hours(scope: str = EVERY_ROW) -> str:
    """One row per repair: hours in each turnaround stage, when it was ready, and its total.

    The timeline starts at ``received_at`` and ends at the first collected/cancelled event; each
    event opens a stage lasting until the next event (ties in time keep intake first, then event
    id order). Time in the stage a repair is still in is not counted. ``ready_at`` is the last
    time it became ready before the end; ``total_turnaround_hours`` runs from intake to
    collection, so for collected repairs the five stages add up to it.
    """
    stages = ",\n".join(
        f"coalesce(sum(span_hours) FILTER (WHERE stage = '{c}'), 0.0) AS {c}" for c in STAGE_COLUMNS
    )
    return f"""
WITH repairs AS (
    SELECT repair_id, received_at FROM stg_repairs WHERE {scope}
), events AS (
    SELECT repair_id, 'received' AS status, received_at AS occurred_at, 0 AS is_event,
        NULL::BIGINT AS status_event_id
    FROM repairs
    UNION ALL
    SELECT repair_id, status, occurred_at, 1, status_event_id
    FROM stg_repair_status_events WHERE {scope}
), ends AS (
    SELECT repair_id, min(occurred_at) AS ended_at FROM events
    WHERE status IN {TERMINAL} GROUP BY repair_id
), spans AS (
    SELECT e.repair_id, e.status, e.occurred_at, {_stage_case("e.status")} AS stage,
        {hours_between("e.occurred_at", "lead(e.occurred_at) OVER timeline")} AS span_hours
    FROM events AS e LEFT JOIN ends AS x USING (repair_id)
    WHERE x.ended_at IS NULL OR e.occurred_at <= x.ended_at
    WINDOW timeline AS (
        PARTITION BY e.repair_id ORDER BY e.occurred_at, e.is_event, e.status_event_id
    )
), per_repair AS (
    SELECT repair_id,
        {stages},
        max(occurred_at) FILTER (WHERE status = 'ready') AS ready_at,
        min(occurred_at) FILTER (WHERE status = 'collected') AS collected_at
    FROM spans GROUP BY repair_id
)
SELECT r.repair_id,
    {", ".join(f"coalesce(p.{c}, 0.0) AS {c}" for c in STAGE_COLUMNS)},
    p.ready_at,
    {hours_between("r.received_at", "p.ready_at")} AS received_to_ready_hours,
    {hours_between("r.received_at", "p.collected_at")} AS total_turnaround_hours
FROM repairs AS r LEFT JOIN per_repair AS p USING (repair_id)
"""


def fct_repairs(scope: str = EVERY_ROW, restage: str | None = None) -> str:
    """One row per repair (intake to collection), with turnaround, money, quality and CSAT.

    Money: ``price_eur`` is the final price (0 while there is none), ``revenue_eur`` = price −
    discount, ``parts_cost_eur`` = Σ quantity × unit cost, ``labour_revenue_eur`` = price − parts
    cost, ``gross_margin_eur`` = revenue − parts cost. ``has_rework``: a later repair anywhere in
    staging is a rework of this one; ``is_first_time_fix``: completed, not a rework, no rework.

    ``restage`` (incremental runs): the condition on ``repair_id`` of the repairs whose stage
    hours must be computed again; the other repairs in ``scope`` keep those of their current
    fct_repairs row (:func:`stage_hours` reads only the intake time and the status events, and
    theirs did not change), which spares the scan of the multi-million-row events.
    """
    if restage is None:
        stages = stage_hours(scope)
    else:
        kept = ", ".join([*STAGE_COLUMNS, "ready_at", *STAGE_TOTALS])
        stages = (
            f"{stage_hours(f'{scope} AND {restage}')} UNION ALL BY NAME "
            f"SELECT repair_id, {kept} FROM fct_repairs WHERE {scope} AND NOT ({restage})"
        )
    price = "coalesce(r.final_price_eur, 0)"
    parts_cost = "coalesce(pa.parts_cost_eur, 0)"
    has_rework = "rw.repair_id IS NOT NULL"
    return f"""
WITH parts AS (
    SELECT repair_id, sum(quantity * unit_cost_eur) AS parts_cost_eur,
        sum(quantity) AS count_parts
    FROM stg_repair_parts WHERE {scope} GROUP BY repair_id
), paid AS (
    SELECT repair_id,
        coalesce(sum(amount_eur) FILTER (WHERE status = 'succeeded'), 0) AS paid_eur,
        coalesce(sum(amount_eur) FILTER (WHERE status = 'refunded'), 0) AS refunded_eur
    FROM stg_payments WHERE {scope} GROUP BY repair_id
), reworked AS (
    SELECT DISTINCT rework_of_repair_id AS repair_id FROM stg_repairs
    WHERE rework_of_repair_id IS NOT NULL
), stages AS ({stages})
SELECT
    r.repair_id, r.booking_id, r.customer_id, r.customer_device_id, d.device_model_id,
    r.store_id, r.technician_id,
    r.status AS repair_status,
    r.received_at, CAST(r.received_at AS DATE) AS received_date,
    r.completed_at, CAST(r.completed_at AS DATE) AS completed_date,
    s.ready_at, CAST(s.ready_at AS DATE) AS ready_date,
    r.collected_at, CAST(r.collected_at AS DATE) AS collected_date,
    r.reported_symptoms, r.initial_fault_code, r.fault_code, r.repair_type,
    m.category AS device_category, m.brand AS device_brand, m.device_class,
    r.is_warranty,
    r.completed_at IS NOT NULL AS is_completed,
    r.status = 'cancelled' AS is_cancelled,
    r.rework_of_repair_id IS NOT NULL AS is_rework,
    r.rework_of_repair_id,
    {has_rework} AS has_rework,
    r.completed_at IS NOT NULL AND r.rework_of_repair_id IS NULL AND NOT {has_rework}
        AS is_first_time_fix,
    coalesce(r.initial_fault_code = r.fault_code, false) AS is_initial_fault_correct,
    CAST(r.labour_minutes AS INTEGER) AS labour_minutes,
    CAST(r.quoted_price_eur AS {MONEY}) AS quoted_price_eur,
    CAST({price} AS {MONEY}) AS price_eur,
    CAST(r.discount_eur AS {MONEY}) AS discount_eur,
    CAST({price} - r.discount_eur AS {MONEY}) AS revenue_eur,
    CAST({parts_cost} AS {MONEY}) AS parts_cost_eur,
    CAST({price} - {parts_cost} AS {MONEY}) AS labour_revenue_eur,
    CAST({price} - r.discount_eur - {parts_cost} AS {MONEY}) AS gross_margin_eur,
    CAST(coalesce(pd.paid_eur, 0) AS {MONEY}) AS paid_eur,
    CAST(coalesce(pd.refunded_eur, 0) AS {MONEY}) AS refunded_eur,
    CAST(coalesce(pa.count_parts, 0) AS INTEGER) AS count_parts,
    {", ".join(f"s.{c}" for c in STAGE_COLUMNS)},
    s.received_to_ready_hours, s.total_turnaround_hours,
    CAST(f.csat AS TINYINT) AS csat,
    CAST(f.nps AS TINYINT) AS nps,
    f.csat IS NOT NULL AS has_feedback
FROM (SELECT * FROM stg_repairs WHERE {scope}) AS r
LEFT JOIN stg_customer_devices AS d ON d.customer_device_id = r.customer_device_id
LEFT JOIN stg_device_models AS m ON m.device_model_id = d.device_model_id
LEFT JOIN parts AS pa ON pa.repair_id = r.repair_id
LEFT JOIN paid AS pd ON pd.repair_id = r.repair_id
LEFT JOIN (SELECT repair_id, csat, nps FROM stg_feedback WHERE {scope}) AS f
    ON f.repair_id = r.repair_id
LEFT JOIN stages AS s ON s.repair_id = r.repair_id
LEFT JOIN reworked AS rw ON rw.repair_id = r.repair_id
"""


def fct_status_events(scope: str = EVERY_ROW) -> str:
    """One row per repair status change, with the status before it and the hours spent there.

    Events of repairs that are not staged (quarantined ones) are left out.
    """
    delay = hours_between("e.occurred_at", "e.created_at")
    return f"""
SELECT
    e.status_event_id, e.repair_id, r.store_id, e.technician_id,
    e.status AS repair_status,
    lag(e.status) OVER timeline AS previous_status,
    e.occurred_at, CAST(e.occurred_at AS DATE) AS occurred_date,
    e.created_at AS recorded_at,
    {hours_between("lag(e.occurred_at) OVER timeline", "e.occurred_at")}
        AS hours_in_previous_status,
    {delay} AS recording_delay_hours,
    {delay} > {LATE_RECORDING_HOURS} AS is_recorded_late,
    e.note
FROM (SELECT * FROM stg_repair_status_events WHERE {scope}) AS e
JOIN (SELECT repair_id, store_id FROM stg_repairs WHERE {scope}) AS r USING (repair_id)
WINDOW timeline AS (PARTITION BY e.repair_id ORDER BY e.occurred_at, e.status_event_id)
"""


def fct_parts_usage(scope: str = EVERY_ROW) -> str:
    """One row per part line fitted in a repair (a repair_parts row) of a staged repair."""
    return f"""
SELECT
    p.repair_part_id, p.repair_id, p.part_id, r.store_id, r.technician_id,
    CAST(coalesce(r.completed_at, r.received_at) AS DATE) AS used_date,
    CAST(p.quantity AS INTEGER) AS quantity,
    CAST(p.unit_cost_eur AS {MONEY}) AS unit_cost_eur,
    CAST(p.quantity * p.unit_cost_eur AS {MONEY}) AS cost_eur
FROM (SELECT * FROM stg_repair_parts WHERE {scope}) AS p
JOIN (SELECT * FROM stg_repairs WHERE {scope}) AS r USING (repair_id)
"""


def fct_payments(scope: str = EVERY_ROW) -> str:
    """One row per payment attempt on a staged repair (succeeded, failed, pending or refunded)."""
    return f"""
SELECT
    p.payment_id, p.repair_id, r.customer_id, r.store_id,
    CAST(p.amount_eur AS {MONEY}) AS amount_eur,
    p.method AS payment_method,
    p.status AS payment_status,
    p.status = 'succeeded' AS is_succeeded,
    p.status = 'refunded' AS is_refunded,
    p.created_at AS requested_at,
    p.paid_at, CAST(p.paid_at AS DATE) AS paid_date
FROM (SELECT * FROM stg_payments WHERE {scope}) AS p
JOIN (SELECT * FROM stg_repairs WHERE {scope}) AS r USING (repair_id)
"""


def nps_group(nps: str) -> str:
    """promoter (9–10), passive (7–8), detractor (0–6), NULL without an NPS answer."""
    return (
        f"CASE WHEN {nps} >= 9 THEN 'promoter' WHEN {nps} >= 7 THEN 'passive' "
        f"WHEN {nps} IS NOT NULL THEN 'detractor' END"
    )


def fct_feedback(scope: str = EVERY_ROW) -> str:
    """One row per feedback survey answer on a staged repair (at most one per repair)."""
    return f"""
SELECT
    f.feedback_id, f.repair_id, r.customer_id, r.store_id, r.technician_id,
    CAST(f.csat AS TINYINT) AS csat,
    CAST(f.nps AS TINYINT) AS nps,
    {nps_group("f.nps")} AS nps_group,
    coalesce(regexp_matches(f.comment, '\\S'), false) AS has_comment,
    f.comment,
    f.submitted_at, CAST(f.submitted_at AS DATE) AS submitted_date
FROM (SELECT * FROM stg_feedback WHERE {scope}) AS f
JOIN (SELECT * FROM stg_repairs WHERE {scope}) AS r USING (repair_id)
"""


def fct_bookings(scope: str = EVERY_ROW) -> str:
    """One row per booking, with the repair it turned into (if any); ``scope`` is on
    ``booking_id``."""
    return f"""
SELECT
    b.booking_id, b.reference AS booking_reference, b.customer_id, b.customer_device_id,
    d.device_model_id, b.store_id, b.technician_id, r.repair_id,
    b.channel AS booking_channel,
    b.status AS booking_status,
    b.created_at AS booked_at, CAST(b.created_at AS DATE) AS booked_date,
    b.slot_start_at, b.slot_end_at, CAST(b.slot_start_at AS DATE) AS slot_date,
    CAST(round_even({hours_between("b.slot_start_at", "b.slot_end_at")} * 60, 0) AS INTEGER)
        AS slot_minutes,
    {hours_between("b.created_at", "b.slot_start_at")} AS lead_time_hours,
    r.repair_id IS NOT NULL AS has_repair,
    b.status = 'no_show' AS is_no_show,
    b.status = 'cancelled' AS is_cancelled,
    b.symptoms_text
FROM (SELECT * FROM stg_bookings WHERE {scope}) AS b
LEFT JOIN (
    SELECT booking_id, repair_id FROM stg_repairs WHERE booking_id IS NOT NULL AND {scope}
) AS r USING (booking_id)
LEFT JOIN stg_customer_devices AS d ON d.customer_device_id = b.customer_device_id
"""
