"""Pure transforms of the dimensions and ``fct_inventory_daily``: each function is named after the
warehouse table it returns (the other facts are SQL, in ``pipelines.facts``).

Inputs are staging frames (``stg_*`` columns: ``<entity>_id`` keys, ``_date`` dates); outputs carry
exactly the mart's columns with fixed types, so an empty input yields a correctly typed empty mart.
Nothing here touches a database: the loader decides which rows to pass in and where the output goes.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipelines.sources import SourceTable

MONEY = pl.Decimal(12, 2)
INVENTORY_WINDOW_DAYS = 90
"""Days of ``fct_inventory_daily`` history kept, ending on the last day with a stock movement."""
_EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"


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
