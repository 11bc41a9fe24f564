"""Every signal the generator plants (data/README.md) can be recovered from what it writes.

These tests read the LARGE history (three stores over three years) the way an analyst would:
from the tables alone, with the reference data and the holiday calendar.
"""

from __future__ import annotations

import datetime as dt

import holidays
import numpy as np
import polars as pl
import pytest

from data import reference

col = pl.col


@pytest.fixture(scope="module")
def repairs(history: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Repairs with the store's local date, the device and its model."""
    stores = history["stores"].select(
        col("id").alias("store_id"), "timezone", "country_code", "opened_on"
    )
    devices = history["customer_devices"].select(
        col("id").alias("customer_device_id"), "device_model_id", "purchased_on"
    )
    models = history["device_models"].select(
        col("id").alias("device_model_id"), "category", "device_class", "release_date"
    )
    frame = history["repairs"].join(stores, on="store_id").join(devices, on="customer_device_id")
    frame = frame.join(models, on="device_model_id")
    local = pl.concat(
        part.with_columns(local_at=_local(col("received_at"), part["timezone"][0]))
        for part in frame.partition_by("timezone", maintain_order=True)
    )
    return local.with_columns(day=col("local_at").dt.date()).sort("id")


@pytest.fixture(scope="module")
def daily(repairs: pl.DataFrame, history: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Repairs per store and calendar day from opening to the end (zero-filled)."""
    end = history["repairs"]["received_at"].max().date()
    days = pl.concat(
        [
            pl.DataFrame({"store_id": store, "day": pl.date_range(opened, end, eager=True)})
            for store, opened in history["stores"].select("id", "opened_on").iter_rows()
        ]
    )
    counts = repairs.group_by("store_id", "day").len()
    stores = history["stores"].select(col("id").alias("store_id"), "opened_on", "country_code")
    return (
        days.join(counts, on=["store_id", "day"], how="left")
        .with_columns(repairs=col("len").fill_null(0))
        .join(stores, on="store_id")
        .with_columns(age_days=(col("day") - col("opened_on")).dt.total_days())
    )


def _local(utc: pl.Expr, timezone: str) -> pl.Expr:
    return utc.dt.replace_time_zone("UTC").dt.convert_time_zone(timezone).dt.replace_time_zone(None)


def mature(frame: pl.DataFrame) -> pl.DataFrame:
    """Days at least half a year after the store opened (past its ramp-up)."""
    return frame.filter(col("age_days") >= 180)


# --- demand -----------------------------------------------------------------------------------


def test_saturday_is_the_busiest_day_and_sunday_the_quietest(daily: pl.DataFrame):
    by_weekday = (
        mature(daily).group_by(col("day").dt.weekday().alias("weekday")).agg(col("repairs").mean())
    )
    mean = dict(by_weekday.iter_rows())
    assert mean[6] > 1.3 * np.mean([mean[d] for d in range(1, 6)])
    assert mean[7] < 0.6 * mean[1]


def test_stores_closed_on_sundays_record_no_sunday_repairs(daily: pl.DataFrame):
    sundays = daily.filter(col("country_code").is_in(["DE", "ES"]) & (col("day").dt.weekday() == 7))
    assert sundays["repairs"].sum() == 0


def test_december_peaks_and_summer_dips(daily: pl.DataFrame):
    days = mature(daily).with_columns(month=col("day").dt.month(), dom=col("day").dt.day())
    december = days.filter((col("month") == 12) & col("dom").is_between(8, 20))["repairs"].mean()
    summer = days.filter(
        col("month").is_in([7, 8]) & (col("day").dt.ordinal_day().is_between(200, 232))
    )["repairs"].mean()
    spring = days.filter(col("month").is_in([4, 5]))["repairs"].mean()
    assert december > 1.3 * spring > 1.3 * 0.85 * summer
    assert summer < 0.9 * spring


def test_back_to_school_lifts_early_september(daily: pl.DataFrame):
    days = mature(daily).with_columns(ordinal=col("day").dt.ordinal_day())
    early_september = days.filter(col("ordinal").is_between(246, 256))["repairs"].mean()
    late_august = days.filter(col("ordinal").is_between(226, 238))["repairs"].mean()
    assert early_september > 1.15 * late_august


def test_stores_are_closed_on_their_public_holidays(repairs: pl.DataFrame):
    for country, part in repairs.partition_by("country_code", as_dict=True).items():
        calendar = holidays.country_holidays(country[0], years=range(2023, 2027))
        assert not part["day"].is_in(list(calendar)).any(), country


def test_new_stores_open_during_the_history_and_ramp_up(daily: pl.DataFrame, repairs: pl.DataFrame):
    opened = daily.group_by("store_id").agg(col("opened_on").first(), col("day").min())
    assert opened["opened_on"].n_unique() == opened.height  # staggered openings
    first_repair = repairs.group_by("store_id").agg(col("day").min().alias("first"))
    assert (
        opened.join(first_repair, on="store_id").filter(col("first") < col("opened_on")).is_empty()
    )
    later = daily.filter(col("store_id") > 1)
    first_month = later.filter(col("age_days") < 30)["repairs"].mean()
    settled = later.filter(col("age_days").is_between(180, 270))["repairs"].mean()
    assert first_month < 0.75 * settled


def test_new_customer_demand_grows_about_eight_percent_a_year(repairs: pl.DataFrame):
    """Year-over-year growth of first visits, same store and calendar month, after ramp-up."""
    first_visits = repairs.sort("received_at").group_by("customer_id", maintain_order=True).first()
    monthly = (
        first_visits.with_columns(month_start=col("day").dt.truncate("1mo"))
        .filter((col("month_start") - col("opened_on")).dt.total_days() >= 270)
        .group_by(
            "store_id", col("day").dt.year().alias("year"), col("day").dt.month().alias("month")
        )
        .len()
    )
    pairs = monthly.join(
        monthly.with_columns(col("year") + 1), on=["store_id", "year", "month"], suffix="_before"
    )
    growth = np.exp(np.log(pairs["len"] / pairs["len_before"]).mean())
    assert pairs.height >= 10
    assert 1.03 < growth < 1.14


def test_models_are_never_repaired_before_release_and_follow_launch_and_decline(
    repairs: pl.DataFrame,
):
    assert repairs.filter(col("day") < col("release_date")).is_empty()
    start, end = repairs["day"].min(), repairs["day"].max()
    launched = repairs.filter(
        (col("category") == "phone")
        & (col("release_date") > start)
        & (col("release_date") < end - dt.timedelta(days=540))
    )
    months = launched.with_columns(
        age=((col("day") - col("release_date")).dt.total_days() // 30).cast(pl.Int64)
    )
    month_total = (
        repairs.filter(col("category") == "phone")
        .group_by(col("day").dt.truncate("1mo").alias("m"))
        .len()
    )
    share = (
        months.with_columns(m=col("day").dt.truncate("1mo"))
        .group_by("device_model_id", "age", "m")
        .len()
        .join(month_total, on="m", suffix="_all")
        .group_by("age")
        .agg((col("len") / col("len_all")).mean().alias("share"))
        .sort("age")
    )
    curve = dict(share.iter_rows())
    peak_age = max(range(0, 18), key=lambda a: curve.get(a, 0))
    assert 2 <= peak_age <= 12
    assert curve[0] < 0.8 * curve[peak_age]
    assert np.mean([curve.get(a, 0) for a in range(16, 18)]) < 0.85 * curve[peak_age]


# --- faults -----------------------------------------------------------------------------------


def diagnosed(repairs: pl.DataFrame) -> pl.DataFrame:
    return repairs.filter(col("fault_code").is_in(list(reference.fault_codes())))


def test_battery_wear_rises_with_device_age(repairs: pl.DataFrame):
    phones = diagnosed(repairs).filter(
        (col("category") == "phone") & col("purchased_on").is_not_null()
    )
    aged = phones.with_columns(
        age_years=(col("day") - col("purchased_on")).dt.total_days() / 365.25
    )

    def share(frame: pl.DataFrame) -> float:
        return (frame["fault_code"] == "battery_worn").mean()

    young, old = aged.filter(col("age_years") < 1), aged.filter(col("age_years") >= 2.5)
    assert share(old) > 2 * share(young)


def test_consoles_come_in_with_stick_drift_and_hdmi_faults(repairs: pl.DataFrame):
    consoles = diagnosed(repairs).filter(col("category") == "game_console")
    assert consoles["fault_code"].is_in(["controller_drift", "video_port"]).mean() > 0.35
    others = diagnosed(repairs).filter(col("category") != "game_console")
    assert others["fault_code"].is_in(["controller_drift"]).sum() == 0


def test_laptops_come_in_with_keyboard_and_hinge_faults(repairs: pl.DataFrame):
    laptops = diagnosed(repairs).filter(col("category") == "laptop")
    assert laptops["fault_code"].is_in(["keyboard_fault", "hinge_fault"]).mean() > 0.18


def test_liquid_damage_peaks_in_summer(repairs: pl.DataFrame):
    month = diagnosed(repairs).with_columns(month=col("day").dt.month())

    def liquid(months: list[int]) -> float:
        return (month.filter(col("month").is_in(months))["fault_code"] == "liquid_damage").mean()

    assert liquid([6, 7, 8]) > 1.5 * liquid([11, 12, 1, 2])


def test_five_to_ten_percent_of_first_guesses_are_wrong(repairs: pl.DataFrame):
    guessed = diagnosed(repairs).filter(~col("is_warranty"))
    wrong = (guessed["initial_fault_code"] != guessed["fault_code"]).mean()
    assert 0.05 <= wrong <= 0.10


# --- people -----------------------------------------------------------------------------------


def test_technicians_differ_in_speed_rework_and_csat(
    history: dict[str, pl.DataFrame], repairs: pl.DataFrame
):
    listed = reference.price_list().rename({"fault_code": "fault_code"})
    work = (
        diagnosed(repairs)
        .filter(col("labour_minutes") < 1000)
        .join(listed, on=["fault_code", "category", "device_class"], suffix="_listed")
    )
    speed = (
        work.group_by("technician_id")
        .agg((col("labour_minutes") / col("labour_minutes_listed")).mean().alias("pace"), pl.len())
        .filter(col("len") >= 300)
    )
    assert speed["pace"].max() > 1.3 * speed["pace"].min()

    reworked = repairs.filter(col("rework_of_repair_id").is_not_null())["rework_of_repair_id"]
    rework = (
        repairs.filter(~col("is_warranty"))
        .group_by("technician_id")
        .agg(col("id").is_in(reworked.implode()).mean().alias("rate"), pl.len())
        .filter(col("len") >= 300)
    )
    assert rework["rate"].max() > 2 * rework["rate"].min()

    csat = history["feedback"].join(
        repairs.select("id", "technician_id"), left_on="repair_id", right_on="id"
    )
    by_tech = (
        csat.group_by("technician_id").agg(col("csat").mean(), pl.len()).filter(col("len") >= 100)
    )
    assert by_tech["csat"].max() - by_tech["csat"].min() > 0.4


def test_stock_outs_put_repairs_into_awaiting_parts(
    history: dict[str, pl.DataFrame], repairs: pl.DataFrame
):
    events = history["repair_status_events"]
    waiting = events.filter(col("status") == "awaiting_parts").select(
        "repair_id", col("occurred_at").alias("since")
    )
    resumed = events.filter(col("status") == "in_repair").select(
        "repair_id", col("occurred_at").alias("until")
    )
    used = history["repair_parts"].select("repair_id", "part_id", "quantity")
    with_parts = repairs.join(used, left_on="id", right_on="repair_id")
    share = with_parts["id"].is_in(waiting["repair_id"].implode()).mean()
    assert 0.05 < share < 0.35

    parts = history["parts"].select(col("id").alias("part_id"), "lead_time_days")
    waits = (
        waiting.join(resumed, on="repair_id").join(used, on="repair_id").join(parts, on="part_id")
    )
    days = (waits["until"] - waits["since"]).dt.total_hours() / 24
    assert (
        np.corrcoef(days.rank().to_numpy(), waits["lead_time_days"].rank().to_numpy())[0, 1] > 0.3
    )

    # When a repair starts waiting for a stocked part, the store has fewer than it needs: none,
    # one of the two joysticks a double stick drift takes, or (rarely) units already set aside
    # for a double stick drift that is itself waiting for its second joystick.
    stocked = history["stock_levels"].filter(col("reorder_point") > 0).select("store_id", "part_id")
    movements = (
        history["stock_movements"]
        .sort("store_id", "part_id", "occurred_at", "id")
        .with_columns(on_hand=col("quantity").cum_sum().over("store_id", "part_id"))
    )
    waiting_for_stock = (
        waiting.join(repairs.select(col("id").alias("repair_id"), "store_id"), on="repair_id")
        .join(used, on="repair_id")
        .join(stocked, on=["store_id", "part_id"])
        .sort("store_id", "part_id", "since")
    )
    at_the_time = waiting_for_stock.join_asof(
        movements.select("store_id", "part_id", col("occurred_at").alias("since"), "on_hand"),
        on="since", by=["store_id", "part_id"], strategy="backward", check_sortedness=False,
    )  # fmt: skip
    assert waiting_for_stock.height > 50
    assert (at_the_time["on_hand"].fill_null(0) < at_the_time["quantity"]).mean() > 0.995


def test_customers_with_a_bad_experience_come_back_less(
    history: dict[str, pl.DataFrame], repairs: pl.DataFrame
):
    end = repairs["received_at"].max()
    visits = repairs.sort("received_at").with_columns(
        next_visit=col("received_at").shift(-1).over("customer_id")
    )
    settled = col("collected_at") < end - dt.timedelta(days=365)
    days_to_next = (col("next_visit") - col("collected_at")).dt.total_days()
    csat = history["feedback"].select(col("repair_id").alias("id"), "csat")
    first = (
        visits.filter(settled)
        .group_by("customer_id", maintain_order=True)
        .first()
        .with_columns(
            returned=days_to_next.is_between(0, 365).fill_null(False),
            turnaround_days=(col("completed_at") - col("received_at")).dt.total_hours() / 24,
        )
        .join(csat, on="id", how="left")
    )

    def rate(frame: pl.DataFrame) -> float:
        return frame["returned"].mean()

    assert rate(first.filter(col("csat") <= 2)) < 0.6 * rate(first.filter(col("csat") >= 4))
    assert rate(first.filter(col("turnaround_days") > 4)) < 0.85 * rate(
        first.filter(col("turnaround_days") < 1)
    )
    assert 0.1 < rate(first) < 0.4
