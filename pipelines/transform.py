"""Pure transforms: each function is named after the warehouse table it returns.

Inputs are staging frames (``stg_*`` columns: ``<entity>_id`` keys, ``_date`` dates); outputs carry
exactly the mart's columns with fixed types, so an empty input yields a correctly typed empty mart.
Nothing here touches a database: the loader decides which rows to pass in (all of them on a full
run, the affected repairs' on an incremental one) and where the output goes.

Money definitions (identities checked in ``warehouse/checks.py``):

- ``price_eur``          = the final price on the invoice, 0 while there is none (open, cancelled)
- ``revenue_eur``        = ``price_eur - discount_eur``
- ``parts_cost_eur``     = Σ quantity × unit cost of the parts fitted
- ``labour_revenue_eur`` = ``price_eur - parts_cost_eur`` (parts are passed on at cost)
- ``gross_margin_eur``   = ``revenue_eur - parts_cost_eur``

so ``revenue_eur = parts_cost_eur + labour_revenue_eur - discount_eur``.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipelines.sources import SourceTable

MONEY = pl.Decimal(12, 2)
INVENTORY_WINDOW_DAYS = 90
"""Days of ``fct_inventory_daily`` history kept, ending on the last day with a stock movement."""
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
TERMINAL_STATUSES = ("collected", "cancelled")

_EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"


def hours_between(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    return (end - start).dt.total_microseconds().cast(pl.Float64) / 3_600_000_000


def previous_in_group(column: str, group: str) -> pl.Expr:
    """The previous row's ``column`` within the same ``group`` (frame sorted by group first).

    Equivalent to ``shift(1).over(group)`` on a sorted frame, without the cost of a window.
    """
    return pl.when(pl.col(group).shift(1) == pl.col(group)).then(pl.col(column).shift(1))


def next_in_group(column: str, group: str) -> pl.Expr:
    """The next row's ``column`` within the same ``group`` (frame sorted by group first)."""
    return pl.when(pl.col(group).shift(-1) == pl.col(group)).then(pl.col(column).shift(-1))


def stg_table(source: SourceTable, raw: pl.DataFrame) -> pl.DataFrame:
    """A staging frame: the ops rows renamed to warehouse names (types were cast on extraction)."""
    return raw.rename(source.renames)


# ---------------------------------------------------------------------------------------- dims


def dim_date(first_date: dt.date, last_date: dt.date) -> pl.DataFrame:
    """One row per calendar day from ``first_date`` to ``last_date`` inclusive."""
    days = pl.date_range(first_date, last_date, interval="1d", eager=True).alias("calendar_date")
    return pl.DataFrame(days).select(
        "calendar_date",
        pl.col("calendar_date").dt.year().cast(pl.Int32).alias("year"),
        pl.col("calendar_date").dt.quarter().cast(pl.Int8).alias("quarter"),
        pl.col("calendar_date").dt.month().cast(pl.Int8).alias("month"),
        pl.col("calendar_date").dt.strftime("%Y-%m").alias("year_month"),
        pl.col("calendar_date").dt.strftime("%B").alias("month_name"),
        pl.col("calendar_date").dt.week().cast(pl.Int8).alias("iso_week"),
        pl.col("calendar_date").dt.weekday().cast(pl.Int8).alias("iso_day_of_week"),
        pl.col("calendar_date").dt.strftime("%A").alias("day_name"),
        (pl.col("calendar_date").dt.weekday() >= 6).alias("is_weekend"),
    )


def dim_store(stg_stores: pl.DataFrame) -> pl.DataFrame:
    """One row per store."""
    return stg_stores.select(
        "store_id",
        pl.col("code").alias("store_code"),
        pl.col("name").alias("store_name"),
        "city",
        "country_code",
        "timezone",
        pl.col("opening_hours").alias("opening_hours_json"),
        "opened_date",
        "closed_date",
        pl.col("closed_date").is_null().alias("is_open"),
    )


def dim_device_model(stg_device_models: pl.DataFrame) -> pl.DataFrame:
    """One row per device model (brand + model)."""
    return stg_device_models.select(
        "device_model_id",
        "brand",
        "model",
        pl.col("category").alias("device_category"),
        "device_class",
        "release_date",
        pl.col("launch_price_eur").cast(MONEY),
    )


def dim_technician(stg_technicians: pl.DataFrame) -> pl.DataFrame:
    """One row per technician."""
    return stg_technicians.select(
        "technician_id",
        "store_id",
        pl.col("name").alias("technician_name"),
        "skill_level",
        "hired_date",
        "left_date",
        pl.col("weekly_hours").cast(pl.Int32),
        pl.col("left_date").is_null().alias("is_active"),
    )


def dim_part(stg_parts: pl.DataFrame, stg_part_compatibility: pl.DataFrame) -> pl.DataFrame:
    """One row per part (SKU), with how many device models it fits."""
    fits = stg_part_compatibility.group_by("part_id").agg(
        pl.len().cast(pl.Int32).alias("count_compatible_models")
    )
    return stg_parts.join(fits, on="part_id", how="left").select(
        "part_id",
        "sku",
        pl.col("name").alias("part_name"),
        "part_category",
        pl.col("unit_cost_eur").cast(MONEY),
        pl.col("lead_time_days").cast(pl.Int32),
        "supplier",
        pl.col("count_compatible_models").fill_null(0),
    )


def dim_fault(faults: pl.DataFrame) -> pl.DataFrame:
    """One row per fault code of the taxonomy (data/reference/faults.csv)."""
    return faults.select(
        pl.col("code").alias("fault_code"),
        pl.col("name").alias("fault_name"),
        pl.col("device_categories"),
        "repair_type",
        "part_category",
        "description",
    )


def normalized_email(email: pl.Expr) -> pl.Expr:
    """Trimmed, lower-case, without dots or a ``+tag`` in the local part: the form two
    registrations of one person share however the address was typed."""
    parts = email.str.strip_chars().str.to_lowercase().str.split_exact("@", 1)
    local = (
        parts.struct.field("field_0")
        .str.replace(r"\+.*$", "")
        .str.replace_all(".", "", literal=True)
    )
    domain = parts.struct.field("field_1")
    return pl.when((local != "") & (domain != "")).then(pl.concat_str(local, pl.lit("@"), domain))


def normalized_phone(phone: pl.Expr) -> pl.Expr:
    """The last eight digits: drops spacing and the +49 / 0049 / 0 prefix variants (eight is the
    shortest national mobile number in the shops' countries)."""
    digits = phone.str.replace_all(r"\D", "")
    return pl.when(digits.str.len_chars() >= 8).then(digits.str.slice(-8))


def canonical_customer_ids(customers: pl.DataFrame) -> pl.DataFrame:
    """``customer_id`` → ``canonical_customer_id`` for duplicate registrations of one person.

    Rule: two records are the same person when they have the same first and last name (case and
    spacing ignored) and share a normalised email or a normalised phone number; "same person" is
    transitive (A~B by email, B~C by phone puts A, B, C together). The canonical id is the lowest
    customer id in the group, i.e. the first registration. Label propagation converges in as many
    rounds as the longest email/phone chain, which is two or three in practice.
    """
    name = pl.concat_str(
        [pl.col(c).str.strip_chars().str.to_lowercase() for c in ("first_name", "last_name")],
        separator="|",
    )
    people = customers.select(
        "customer_id",
        name.alias("_name"),
        normalized_email(pl.col("email")).alias("_email"),
        normalized_phone(pl.col("phone")).alias("_phone"),
    ).with_columns(pl.col("customer_id").alias("canonical_customer_id"))
    while True:
        previous = people["canonical_customer_id"]
        for key in ("_email", "_phone"):
            group_min = pl.col("canonical_customer_id").min().over("_name", key)
            people = people.with_columns(
                pl.when(pl.col(key).is_not_null())
                .then(pl.min_horizontal("canonical_customer_id", group_min))
                .otherwise(pl.col("canonical_customer_id"))
                .alias("canonical_customer_id")
            )
        if people["canonical_customer_id"].equals(previous):
            return people.select("customer_id", "canonical_customer_id")


def dim_customer(stg_customers: pl.DataFrame) -> pl.DataFrame:
    """One row per customer record; duplicates point at their person's ``canonical_customer_id``."""
    canonical = canonical_customer_ids(stg_customers)
    email = pl.col("email").str.strip_chars()
    return stg_customers.join(canonical, on="customer_id", how="left").select(
        "customer_id",
        "canonical_customer_id",
        (pl.col("customer_id") != pl.col("canonical_customer_id")).alias("is_duplicate"),
        "first_name",
        "last_name",
        "email",
        "phone",
        "city",
        "home_store_id",
        "acquisition_channel",
        "has_marketing_consent",
        "has_sms_consent",
        (email.is_not_null() & (email != "")).alias("has_email"),
        email.str.contains(_EMAIL_PATTERN).fill_null(False).alias("is_email_valid"),
        pl.col("created_at").alias("registered_at"),
        pl.col("created_at").dt.date().alias("registered_date"),
    )


# --------------------------------------------------------------------------------------- facts


def stage_hours(stg_repairs: pl.DataFrame, stg_status_events: pl.DataFrame) -> pl.DataFrame:
    """Hours each repair spent in each turnaround stage, when it was ready, and its total.

    A repair's timeline starts at ``received_at`` and ends at its first collected/cancelled event;
    each event opens a stage that lasts until the next event. Time in a stage the repair is still in
    is not counted (it has no end yet). ``ready_at`` is the last time it became ready before that
    end; ``total_turnaround_hours`` runs from intake to collection, so for collected repairs the
    five stages add up to it.
    """
    start = stg_repairs.select(
        "repair_id", pl.lit("received").alias("status"), pl.col("received_at").alias("occurred_at")
    )
    events = pl.concat(
        [start, stg_status_events.select("repair_id", "status", "occurred_at")], how="vertical"
    ).sort("repair_id", "occurred_at", maintain_order=True)
    ends = (
        events.filter(pl.col("status").is_in(TERMINAL_STATUSES))
        .group_by("repair_id")
        .agg(pl.col("occurred_at").min().alias("_ended_at"))
    )
    timeline = events.join(ends, on="repair_id", how="left", maintain_order="left").filter(
        pl.col("_ended_at").is_null() | (pl.col("occurred_at") <= pl.col("_ended_at"))
    )
    spans = timeline.with_columns(
        hours_between(pl.col("occurred_at"), next_in_group("occurred_at", "repair_id")).alias(
            "_hours"
        ),
        pl.col("status").replace_strict(STAGE_OF_STATUS, default=None).alias("_stage"),
    )
    per_repair = spans.group_by("repair_id").agg(
        *[
            pl.col("_hours").filter(pl.col("_stage") == stage).sum().alias(stage)
            for stage in STAGE_COLUMNS
        ],
        pl.col("occurred_at").filter(pl.col("status") == "ready").last().alias("ready_at"),
        pl.col("occurred_at")
        .filter(pl.col("status") == "collected")
        .first()
        .alias("_collected_at"),
    )
    return (
        stg_repairs.select("repair_id", "received_at")
        .join(per_repair, on="repair_id", how="left")
        .select(
            "repair_id",
            *[pl.col(stage).fill_null(0.0) for stage in STAGE_COLUMNS],
            "ready_at",
            hours_between(pl.col("received_at"), pl.col("ready_at")).alias(
                "received_to_ready_hours"
            ),
            hours_between(pl.col("received_at"), pl.col("_collected_at")).alias(
                "total_turnaround_hours"
            ),
        )
    )


def fct_repairs(
    stg_repairs: pl.DataFrame,
    stg_repair_status_events: pl.DataFrame,
    stg_repair_parts: pl.DataFrame,
    stg_payments: pl.DataFrame,
    stg_feedback: pl.DataFrame,
    stg_customer_devices: pl.DataFrame,
    stg_device_models: pl.DataFrame,
) -> pl.DataFrame:
    """One row per repair (intake to collection), with turnaround, money, quality and satisfaction.

    ``is_first_time_fix``: completed, not itself a rework, and no later repair is a rework of it.
    Reworks are found among the repairs passed in, so the caller passes the repairs that point at
    the ones it wants (see ``pipelines.load``).
    """
    parts = stg_repair_parts.group_by("repair_id").agg(
        (pl.col("quantity") * pl.col("unit_cost_eur")).sum().cast(MONEY).alias("parts_cost_eur"),
        pl.col("quantity").sum().cast(pl.Int32).alias("count_parts"),
    )
    paid = stg_payments.group_by("repair_id").agg(
        pl.col("amount_eur")
        .filter(pl.col("status") == "succeeded")
        .sum()
        .cast(MONEY)
        .alias("paid_eur"),
        pl.col("amount_eur")
        .filter(pl.col("status") == "refunded")
        .sum()
        .cast(MONEY)
        .alias("refunded_eur"),
    )
    feedback = stg_feedback.select("repair_id", "csat", "nps")
    devices = stg_customer_devices.select("customer_device_id", "device_model_id").join(
        stg_device_models.select(
            "device_model_id",
            pl.col("brand").alias("device_brand"),
            pl.col("category").alias("device_category"),
            "device_class",
        ),
        on="device_model_id",
        how="left",
    )
    reworked = stg_repairs.select(pl.col("rework_of_repair_id").alias("repair_id")).drop_nulls()
    zero = pl.lit(0, dtype=MONEY)
    price = pl.col("final_price_eur").fill_null(zero)
    parts_cost = pl.col("parts_cost_eur").fill_null(zero)
    is_completed = pl.col("completed_at").is_not_null()
    is_rework = pl.col("rework_of_repair_id").is_not_null()
    has_rework = pl.col("repair_id").is_in(reworked["repair_id"].implode())
    return (
        stg_repairs.join(devices, on="customer_device_id", how="left")
        .join(parts, on="repair_id", how="left")
        .join(paid, on="repair_id", how="left")
        .join(feedback, on="repair_id", how="left")
        .join(stage_hours(stg_repairs, stg_repair_status_events), on="repair_id", how="left")
        .select(
            "repair_id",
            "booking_id",
            "customer_id",
            "customer_device_id",
            "device_model_id",
            "store_id",
            "technician_id",
            pl.col("status").alias("repair_status"),
            "received_at",
            pl.col("received_at").dt.date().alias("received_date"),
            "completed_at",
            pl.col("completed_at").dt.date().alias("completed_date"),
            "ready_at",
            pl.col("ready_at").dt.date().alias("ready_date"),
            "collected_at",
            pl.col("collected_at").dt.date().alias("collected_date"),
            "reported_symptoms",
            "initial_fault_code",
            "fault_code",
            "repair_type",
            "device_category",
            "device_brand",
            "device_class",
            "is_warranty",
            is_completed.alias("is_completed"),
            (pl.col("status") == "cancelled").alias("is_cancelled"),
            is_rework.alias("is_rework"),
            "rework_of_repair_id",
            has_rework.alias("has_rework"),
            (is_completed & ~is_rework & ~has_rework).alias("is_first_time_fix"),
            (pl.col("initial_fault_code") == pl.col("fault_code"))
            .fill_null(False)
            .alias("is_initial_fault_correct"),
            pl.col("labour_minutes").cast(pl.Int32),
            pl.col("quoted_price_eur").cast(MONEY),
            price.cast(MONEY).alias("price_eur"),
            pl.col("discount_eur").cast(MONEY),
            (price - pl.col("discount_eur")).cast(MONEY).alias("revenue_eur"),
            parts_cost.cast(MONEY).alias("parts_cost_eur"),
            (price - parts_cost).cast(MONEY).alias("labour_revenue_eur"),
            (price - pl.col("discount_eur") - parts_cost).cast(MONEY).alias("gross_margin_eur"),
            pl.col("paid_eur").fill_null(zero).cast(MONEY),
            pl.col("refunded_eur").fill_null(zero).cast(MONEY),
            pl.col("count_parts").fill_null(0),
            *STAGE_COLUMNS,
            "received_to_ready_hours",
            "total_turnaround_hours",
            pl.col("csat").cast(pl.Int8),
            pl.col("nps").cast(pl.Int8),
            pl.col("csat").is_not_null().alias("has_feedback"),
        )
    )


def fct_status_events(
    stg_repair_status_events: pl.DataFrame, stg_repairs: pl.DataFrame
) -> pl.DataFrame:
    """One row per repair status change, with the time spent in the previous status.

    Events of repairs that are not in ``stg_repairs`` (quarantined ones) are left out.
    """
    ordered = stg_repair_status_events.join(
        stg_repairs.select("repair_id", "store_id"), on="repair_id", how="inner"
    ).sort("repair_id", "occurred_at", "status_event_id")
    delay = hours_between(pl.col("occurred_at"), pl.col("created_at"))
    return ordered.select(
        "status_event_id",
        "repair_id",
        "store_id",
        "technician_id",
        pl.col("status").alias("repair_status"),
        previous_in_group("status", "repair_id").alias("previous_status"),
        "occurred_at",
        pl.col("occurred_at").dt.date().alias("occurred_date"),
        pl.col("created_at").alias("recorded_at"),
        hours_between(previous_in_group("occurred_at", "repair_id"), pl.col("occurred_at")).alias(
            "hours_in_previous_status"
        ),
        delay.alias("recording_delay_hours"),
        (delay > LATE_RECORDING_HOURS).alias("is_recorded_late"),
        "note",
    )


def fct_parts_usage(stg_repair_parts: pl.DataFrame, stg_repairs: pl.DataFrame) -> pl.DataFrame:
    """One row per part line fitted in a repair (a repair_parts row)."""
    repairs = stg_repairs.select(
        "repair_id",
        "store_id",
        "technician_id",
        pl.coalesce("completed_at", "received_at").dt.date().alias("used_date"),
    )
    return stg_repair_parts.join(repairs, on="repair_id", how="inner").select(
        "repair_part_id",
        "repair_id",
        "part_id",
        "store_id",
        "technician_id",
        "used_date",
        pl.col("quantity").cast(pl.Int32),
        pl.col("unit_cost_eur").cast(MONEY),
        (pl.col("quantity") * pl.col("unit_cost_eur")).cast(MONEY).alias("cost_eur"),
    )


def fct_payments(stg_payments: pl.DataFrame, stg_repairs: pl.DataFrame) -> pl.DataFrame:
    """One row per payment attempt on a repair (succeeded, failed, pending or refunded)."""
    return stg_payments.join(
        stg_repairs.select("repair_id", "customer_id", "store_id"), on="repair_id", how="inner"
    ).select(
        "payment_id",
        "repair_id",
        "customer_id",
        "store_id",
        pl.col("amount_eur").cast(MONEY),
        pl.col("method").alias("payment_method"),
        pl.col("status").alias("payment_status"),
        (pl.col("status") == "succeeded").alias("is_succeeded"),
        (pl.col("status") == "refunded").alias("is_refunded"),
        pl.col("created_at").alias("requested_at"),
        "paid_at",
        pl.col("paid_at").dt.date().alias("paid_date"),
    )


def nps_group(nps: pl.Expr) -> pl.Expr:
    return (
        pl.when(nps >= 9)
        .then(pl.lit("promoter"))
        .when(nps >= 7)
        .then(pl.lit("passive"))
        .when(nps.is_not_null())
        .then(pl.lit("detractor"))
    )


def fct_feedback(stg_feedback: pl.DataFrame, stg_repairs: pl.DataFrame) -> pl.DataFrame:
    """One row per feedback survey answer (at most one per repair)."""
    repairs = stg_repairs.select("repair_id", "customer_id", "store_id", "technician_id")
    return stg_feedback.join(repairs, on="repair_id", how="inner").select(
        "feedback_id",
        "repair_id",
        "customer_id",
        "store_id",
        "technician_id",
        pl.col("csat").cast(pl.Int8),
        pl.col("nps").cast(pl.Int8),
        nps_group(pl.col("nps")).alias("nps_group"),
        pl.col("comment").str.strip_chars().replace("", None).is_not_null().alias("has_comment"),
        "comment",
        "submitted_at",
        pl.col("submitted_at").dt.date().alias("submitted_date"),
    )


def fct_bookings(
    stg_bookings: pl.DataFrame,
    stg_repairs: pl.DataFrame,
    stg_customer_devices: pl.DataFrame,
) -> pl.DataFrame:
    """One row per booking, with the repair it turned into (if any)."""
    repairs = stg_repairs.select("booking_id", "repair_id").drop_nulls("booking_id")
    devices = stg_customer_devices.select("customer_device_id", "device_model_id")
    return (
        stg_bookings.join(repairs, on="booking_id", how="left")
        .join(devices, on="customer_device_id", how="left")
        .select(
            "booking_id",
            pl.col("reference").alias("booking_reference"),
            "customer_id",
            "customer_device_id",
            "device_model_id",
            "store_id",
            "technician_id",
            "repair_id",
            pl.col("channel").alias("booking_channel"),
            pl.col("status").alias("booking_status"),
            pl.col("created_at").alias("booked_at"),
            pl.col("created_at").dt.date().alias("booked_date"),
            "slot_start_at",
            "slot_end_at",
            pl.col("slot_start_at").dt.date().alias("slot_date"),
            (hours_between(pl.col("slot_start_at"), pl.col("slot_end_at")) * 60)
            .round(0)
            .cast(pl.Int32)
            .alias("slot_minutes"),
            hours_between(pl.col("created_at"), pl.col("slot_start_at")).alias("lead_time_hours"),
            pl.col("repair_id").is_not_null().alias("has_repair"),
            (pl.col("status") == "no_show").alias("is_no_show"),
            (pl.col("status") == "cancelled").alias("is_cancelled"),
            "symptoms_text",
        )
    )


def fct_inventory_daily(
    stg_stock_levels: pl.DataFrame,
    stg_stock_movements: pl.DataFrame,
    as_of: dt.date | None,
    window_days: int = INVENTORY_WINDOW_DAYS,
) -> pl.DataFrame:
    """One row per stocked store × part × day over the ``window_days`` ending ``as_of``.

    Only pairs with a stock_levels row are kept (a store stocks a few hundred of the catalogue's
    parts), and only a bounded recent window, so the table stays at stores × stocked parts ×
    ``window_days`` rows however long the history is. End-of-day quantities are reconstructed
    backwards from today's ``quantity_on_hand`` by undoing later movements.
    """
    if as_of is None or stg_stock_levels.is_empty():
        days = pl.DataFrame(schema={"inventory_date": pl.Date})
    else:
        first = as_of - dt.timedelta(days=window_days - 1)
        days = pl.DataFrame(
            pl.date_range(first, as_of, interval="1d", eager=True).alias("inventory_date")
        )
    pairs = stg_stock_levels.select("store_id", "part_id", "quantity_on_hand", "reorder_point")
    moves = (
        stg_stock_movements.select(
            "store_id",
            "part_id",
            pl.col("occurred_at").dt.date().alias("inventory_date"),
            "quantity",
            "reason",
        )
        .group_by("store_id", "part_id", "inventory_date")
        .agg(
            pl.col("quantity").filter(pl.col("quantity") > 0).sum().alias("quantity_in"),
            (-pl.col("quantity").filter(pl.col("quantity") < 0)).sum().alias("quantity_out"),
            pl.col("quantity")
            .filter(pl.col("reason") == "repair_use")
            .sum()
            .neg()
            .alias("quantity_used"),
            pl.col("quantity").sum().alias("_net"),
        )
    )
    # Net movement after each day = what to undo from today's quantity to get that day's close.
    after = (
        pairs.join(days, how="cross")
        .join(moves, on=["store_id", "part_id", "inventory_date"], how="left")
        .sort("store_id", "part_id", "inventory_date", descending=[False, False, True])
        .with_columns(
            pl.col("_net")
            .fill_null(0)
            .cum_sum()
            .shift(1, fill_value=0)
            .over("store_id", "part_id")
            .alias("_net_after"),
        )
    )
    later_than_window = (
        stg_stock_movements.filter(pl.col("occurred_at").dt.date() > (as_of or dt.date.max))
        .group_by("store_id", "part_id")
        .agg(pl.col("quantity").sum().alias("_net_later"))
    )
    closing = pl.col("quantity_on_hand") - pl.col("_net_after") - pl.col("_net_later").fill_null(0)
    return after.join(later_than_window, on=["store_id", "part_id"], how="left").select(
        "store_id",
        "part_id",
        "inventory_date",
        closing.cast(pl.Int32).alias("quantity_on_hand"),
        pl.col("quantity_in").fill_null(0).cast(pl.Int32),
        pl.col("quantity_out").fill_null(0).cast(pl.Int32),
        pl.col("quantity_used").fill_null(0).cast(pl.Int32),
        pl.col("reorder_point").cast(pl.Int32),
        (closing <= pl.col("reorder_point")).alias("is_below_reorder_point"),
        (closing <= 0).alias("is_stockout"),
    )
