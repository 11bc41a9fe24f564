"""The dashboard metric layer on a hand-made warehouse; every expected value is worked out by hand
in the comment beside it.

The window is March 2026 (its comparison, the previous period, is 29 Jan – 28 Feb). Repairs:

| id | store | tech | device        | type    | received     | ready         | collected | € |
|----|-------|------|---------------|---------|--------------|---------------|-----------|---|
| 1  | 1     | 10   | phone Apple   | screen  | Mar 2 09:00  | Mar 3 09:00   | Mar 4     | 200 |
| 2  | 1     | 10   | phone Apple   | battery | Mar 9 10:00  | Mar 11 10:00  | Mar 12    | 100 |
| 3  | 2     | 20   | laptop Lenovo | board   | Mar 10 09:00 | open          |           | 0 |
| 4  | 1     | 10   | phone Apple   | battery | Mar 20 09:00 | Mar 20 15:00  | Mar 21    | 0 |
| 5  | 2     | 20   | laptop Lenovo | screen  | Feb 10 09:00 | Feb 11 15:00  | Feb 12    | 250 |
| 6  | 2     | 20   | phone Apple   | screen  | Mar 24 09:00 | cancelled 25th|           | 0 |
| 7  | 2     | 20   | laptop Lenovo | screen  | Mar 28 09:00 | Mar 30 09:00  | Apr 2     | 180 |
| 8  | 2     | 20   | phone Apple   | screen  | Feb 20 09:00 | Feb 20 17:00  | Feb 21    | 120 |

Repair 4 is a warranty rework of repair 2.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import duckdb
import pytest
from polars.testing import assert_frame_equal

from warehouse import metrics as m
from warehouse.metrics import Filters, MetricInputError, binned, summaries

D = dt.date
T = dt.datetime
MARCH = Filters(D(2026, 3, 1), D(2026, 3, 31))

_REPAIR_COLUMNS = """
    repair_id BIGINT, customer_id BIGINT, store_id BIGINT, technician_id BIGINT,
    device_category VARCHAR, device_brand VARCHAR, repair_type VARCHAR,
    received_at TIMESTAMP, completed_date DATE, ready_at TIMESTAMP, collected_at TIMESTAMP,
    is_cancelled BOOLEAN, rework_of_repair_id BIGINT, has_rework BOOLEAN,
    labour_minutes INTEGER, revenue_eur DECIMAL(12,2), parts_cost_eur DECIMAL(12,2),
    received_to_diagnosed_hours DOUBLE, awaiting_parts_hours DOUBLE, in_repair_hours DOUBLE,
    quality_check_hours DOUBLE, ready_to_collected_hours DOUBLE, csat TINYINT
"""

_REPAIRS = [
    # id cust store tech category brand type received completed ready collected
    # cancelled rework_of has_rework labour revenue parts  stages(5) csat
    (1, 100, 1, 10, "phone", "Apple", "screen_replacement", T(2026, 3, 2, 9), D(2026, 3, 3),
     T(2026, 3, 3, 9), T(2026, 3, 4, 9), False, None, False, 60, 200, 80, 2, 0, 20, 2, 24, 5),
    (2, 101, 1, 10, "phone", "Apple", "battery_replacement", T(2026, 3, 9, 10), D(2026, 3, 11),
     T(2026, 3, 11, 10), T(2026, 3, 12, 10), False, None, True, 40, 100, 30, 4, 40, 3, 1, 24, 2),
    (3, 200, 2, 20, "laptop", "Lenovo", "board_repair", T(2026, 3, 10, 9), None,
     None, None, False, None, False, None, 0, 0, 0, 0, 0, 0, 0, None),
    (4, 100, 1, 10, "phone", "Apple", "battery_replacement", T(2026, 3, 20, 9), D(2026, 3, 20),
     T(2026, 3, 20, 15), T(2026, 3, 21, 9), False, 2, False, 30, 0, 30, 1, 0, 4, 1, 18, None),
    (5, 200, 2, 20, "laptop", "Lenovo", "screen_replacement", T(2026, 2, 10, 9), D(2026, 2, 11),
     T(2026, 2, 11, 15), T(2026, 2, 12, 9), False, None, False, 90, 250, 100, 2, 0, 26, 2, 18, 4),
    (6, 200, 2, 20, "phone", "Apple", "screen_replacement", T(2026, 3, 24, 9), None,
     None, None, True, None, False, None, 0, 0, 3, 0, 0, 0, 0, None),
    (7, 200, 2, 20, "laptop", "Lenovo", "screen_replacement", T(2026, 3, 28, 9), D(2026, 3, 30),
     T(2026, 3, 30, 9), T(2026, 4, 2, 9), False, None, False, 120, 180, 60, 2, 0, 10, 2, 72, None),
    (8, 300, 2, 20, "phone", "Apple", "screen_replacement", T(2026, 2, 20, 9), D(2026, 2, 20),
     T(2026, 2, 20, 17), T(2026, 2, 21, 9), False, None, False, 40, 120, 50, 1, 0, 6, 1, 16, None),
]  # fmt: skip


@pytest.fixture(scope="module")
def warehouse() -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    conn.execute(f"CREATE TABLE raw_repairs ({_REPAIR_COLUMNS})")
    conn.executemany(f"INSERT INTO raw_repairs VALUES ({', '.join(['?'] * 23)})", _REPAIRS)
    # The derived columns follow the warehouse definitions (warehouse/README.md).
    conn.execute(
        """
        CREATE TABLE fct_repairs AS SELECT *,
            CAST(received_at AS DATE) AS received_date,
            CAST(ready_at AS DATE) AS ready_date,
            CAST(collected_at AS DATE) AS collected_date,
            completed_date IS NOT NULL AS is_completed,
            rework_of_repair_id IS NOT NULL AS is_rework,
            completed_date IS NOT NULL AND rework_of_repair_id IS NULL AND NOT has_rework
                AS is_first_time_fix,
            revenue_eur - parts_cost_eur AS gross_margin_eur,
            revenue_eur - parts_cost_eur AS labour_revenue_eur,
            date_diff('minute', received_at, ready_at) / 60.0 AS received_to_ready_hours,
            CASE WHEN collected_at IS NOT NULL THEN received_to_diagnosed_hours
                + awaiting_parts_hours + in_repair_hours + quality_check_hours
                + ready_to_collected_hours END AS total_turnaround_hours
        FROM raw_repairs
        """
    )
    conn.execute(
        "CREATE TABLE dim_store AS SELECT * FROM (VALUES (1, 'BER', 'Berlin'), "
        "(2, 'AMS', 'Amsterdam')) t(store_id, store_code, store_name)"
    )
    conn.execute(
        "CREATE TABLE dim_technician AS SELECT * FROM (VALUES (10, 1, 'Ada', 'senior'), "
        "(20, 2, 'Bo', 'junior')) t(technician_id, store_id, technician_name, skill_level)"
    )
    conn.execute(
        "CREATE TABLE dim_customer AS SELECT * FROM (VALUES (100, 100, 'web'), "
        "(101, 100, 'web'), (200, 200, 'walk_in'), (300, 300, 'referral')) "
        "t(customer_id, canonical_customer_id, acquisition_channel)"
    )
    conn.execute(
        "CREATE TABLE dim_device_model AS SELECT * FROM (VALUES (1, 'Apple', 'phone'), "
        "(2, 'Lenovo', 'laptop')) t(device_model_id, brand, device_category)"
    )
    conn.execute(
        "CREATE TABLE fct_feedback AS SELECT * FROM (VALUES (1, 5, DATE '2026-03-05'), "
        "(2, 2, DATE '2026-03-13'), (5, 4, DATE '2026-02-13')) "
        "t(repair_id, csat, submitted_date)"
    )
    conn.execute(
        "CREATE TABLE fct_payments AS SELECT * FROM (VALUES "
        "(1, 'card', 'succeeded', 200.00), (2, 'card', 'failed', 100.00), "
        "(2, 'cash', 'succeeded', 100.00), (5, 'card', 'succeeded', 250.00)) "
        "t(repair_id, payment_method, payment_status, amount_eur)"
    )
    conn.execute(
        "CREATE TABLE fct_status_events AS SELECT *, CAST(occurred_at AS DATE) AS occurred_date "
        "FROM (VALUES "
        "(1, 10, 'diagnosing', TIMESTAMP '2026-03-02 10:00'), "
        "(1, 10, 'in_repair', TIMESTAMP '2026-03-03 07:00'), "
        "(2, 10, 'in_repair', TIMESTAMP '2026-03-11 06:00'), "
        "(4, 10, 'in_repair', TIMESTAMP '2026-03-20 10:00'), "
        "(4, 10, 'quality_check', TIMESTAMP '2026-03-20 14:00'), "
        "(6, NULL, 'cancelled', TIMESTAMP '2026-03-25 12:00'), "
        "(7, 20, 'in_repair', TIMESTAMP '2026-03-28 11:00'), "
        "(7, 20, 'quality_check', TIMESTAMP '2026-03-30 08:00')) "
        "t(repair_id, technician_id, repair_status, occurred_at)"
    )
    conn.execute(
        "CREATE TABLE fct_bookings AS SELECT * FROM (VALUES "
        "(1, 1, 10, 1, 'web', 'checked_in', DATE '2026-03-02', true, false, false), "
        "(2, 1, 10, 1, 'web', 'no_show', DATE '2026-03-05', false, true, false), "
        "(3, 2, 20, 2, 'phone', 'cancelled', DATE '2026-03-06', false, false, true), "
        "(4, 2, 20, 2, 'phone', 'checked_in', DATE '2026-03-10', true, false, false), "
        "(5, 1, 10, 1, 'app', 'booked', DATE '2026-03-31', false, false, false), "
        "(6, 1, 10, 1, 'web', 'no_show', DATE '2026-02-02', false, true, false)) "
        "t(booking_id, store_id, technician_id, device_model_id, booking_channel, "
        "booking_status, slot_date, has_repair, is_no_show, is_cancelled)"
    )
    return conn


def _kpis(warehouse, filters: Filters) -> dict:
    return m.kpi_summary(warehouse, filters).row(0, named=True)


# ---------------------------------------------------------------------------------- filters


def test_the_previous_period_is_as_long_and_ends_the_day_before():
    assert MARCH.comparison_window() == (D(2026, 1, 29), D(2026, 2, 28))  # 31 days


def test_same_period_last_year_moves_29_february_to_the_28th():
    leap = Filters(D(2024, 2, 1), D(2024, 2, 29), comparison="same_period_last_year")
    assert leap.comparison_window() == (D(2023, 2, 1), D(2023, 2, 28))


def test_a_range_that_ends_before_it_starts_is_refused_with_one_line():
    with pytest.raises(MetricInputError, match=r"ends .* before it starts"):
        Filters(D(2026, 3, 31), D(2026, 3, 1))


# ---------------------------------------------------------------------------------- revenue


def test_revenue_sums_repairs_collected_in_the_window(warehouse):
    assert _kpis(warehouse, MARCH)["revenue_eur"] == 300  # 1, 2, 4: 200 + 100 + 0


def test_repairs_count_those_received_in_the_window_open_and_cancelled_included(warehouse):
    assert _kpis(warehouse, MARCH)["repairs"] == 6  # 1, 2, 3, 4, 6, 7


def test_average_ticket_divides_revenue_by_repairs_collected(warehouse):
    assert _kpis(warehouse, MARCH)["average_ticket_eur"] == 100  # 300 / 3


def test_gross_margin_rate_is_margin_over_revenue(warehouse):
    kpis = _kpis(warehouse, MARCH)
    assert kpis["gross_margin_eur"] == 160  # (200-80) + (100-30) + (0-30)
    assert kpis["gross_margin_rate"] == pytest.approx(160 / 300)


def test_median_turnaround_is_over_repairs_ready_in_the_window(warehouse):
    assert _kpis(warehouse, MARCH)["median_turnaround_hours"] == 36  # 6, 24, 48, 48


def test_first_time_fix_and_rework_rates_are_shares_of_collected_repairs(warehouse):
    kpis = _kpis(warehouse, MARCH)
    assert kpis["first_time_fix_rate"] == pytest.approx(1 / 3)  # only 1 (2 reworked, 4 a rework)
    assert kpis["rework_rate"] == pytest.approx(1 / 3)  # 2 was redone


def test_time_awaiting_parts_is_its_share_of_all_turnaround_hours(warehouse):
    assert _kpis(warehouse, MARCH)["awaiting_parts_share"] == pytest.approx(40 / 144)


def test_csat_averages_feedback_submitted_in_the_window(warehouse):
    assert _kpis(warehouse, MARCH)["csat"] == 3.5  # 5 and 2


def test_the_comparison_period_is_computed_the_same_way(warehouse):
    kpis = _kpis(warehouse, MARCH.compared())
    assert (kpis["revenue_eur"], kpis["repairs"]) == (370, 2)  # 5 and 8


def test_a_store_filter_keeps_only_that_stores_repairs(warehouse):
    kpis = _kpis(warehouse, Filters(D(2026, 3, 1), D(2026, 3, 31), stores=(2,)))
    assert kpis["repairs"] == 3  # 3, 6, 7
    assert kpis["revenue_eur"] is None  # 7 is collected in April: nothing, not zero


def test_filters_combine_with_and(warehouse):
    filters = Filters(
        D(2026, 3, 1), D(2026, 3, 31), device_categories=("phone",), brands=("Lenovo",)
    )
    assert _kpis(warehouse, filters)["repairs"] == 0


def test_the_weekly_series_has_every_week_touching_the_window_with_zeros(warehouse):
    series = m.timeseries(warehouse, MARCH, "week")
    assert series["period"].to_list() == [
        D(2026, 2, 23), D(2026, 3, 2), D(2026, 3, 9), D(2026, 3, 16), D(2026, 3, 23),
        D(2026, 3, 30),
    ]  # fmt: skip
    assert series["days_in_window"].to_list() == [1, 7, 7, 7, 7, 2]
    assert series["revenue_eur"].to_list() == [0, 200, 100, 0, 0, 0]
    assert series["repairs"].to_list() == [0, 1, 2, 1, 2, 0]
    assert series["repairs_collected"].to_list() == [0, 1, 1, 1, 0, 0]


def test_a_monthly_series_starts_periods_on_the_first(warehouse):
    series = m.timeseries(warehouse, Filters(D(2026, 2, 1), D(2026, 3, 31)), "month")
    assert series.select("period", "revenue_eur").rows() == [
        (D(2026, 2, 1), 370),
        (D(2026, 3, 1), 300),
    ]


def test_breakdown_by_store_gives_each_store_its_share_of_revenue(warehouse):
    stores = m.breakdown(warehouse, Filters(D(2026, 2, 1), D(2026, 3, 31)), "store")
    assert stores.select("label", "revenue_eur", "revenue_share").rows() == [
        ("Amsterdam", 370, pytest.approx(370 / 670)),
        ("Berlin", 300, pytest.approx(300 / 670)),
    ]


def test_payment_methods_sum_succeeded_payments_and_count_failed_attempts(warehouse):
    methods = m.payment_methods(warehouse, MARCH)
    assert methods.select("payment_method", "paid_eur", "failed_attempts", "paid_share").rows() == [
        ("card", 200, 1, pytest.approx(2 / 3)),
        ("cash", 100, 0, pytest.approx(1 / 3)),
    ]


def test_repair_details_keep_the_newest_collected_repairs(warehouse):
    details = m.repair_details(warehouse, MARCH, limit=2)
    assert details["repair_id"].to_list() == [4, 2]  # collected Mar 21 and 12; 1 on Mar 4


def test_repair_details_can_be_focused_on_a_clicked_week(warehouse):
    details = m.repair_details(warehouse, MARCH, (("period_week", (D(2026, 3, 9),)),))
    assert details["repair_id"].to_list() == [2]


# ------------------------------------------------------------------------------- operations


def _binned(hours: float) -> object:
    """An expected stage quantile: exact up to the documented binning error."""
    return pytest.approx(hours, rel=binned.QUANTILE_ERROR)


def test_stage_distributions_cover_repairs_that_passed_through_the_stage(warehouse):
    stages = {row["stage"]: row for row in m.stage_durations(warehouse, MARCH).to_dicts()}
    assert stages["awaiting_parts_hours"]["repairs_in_stage"] == 1  # only 2 waited
    assert stages["awaiting_parts_hours"]["share_of_repairs"] == pytest.approx(1 / 3)
    assert stages["awaiting_parts_hours"]["median_hours"] == _binned(40)
    assert stages["received_to_diagnosed_hours"]["median_hours"] == _binned(2)  # 1, 2, 4
    assert stages["total_turnaround_hours"]["median_hours"] == _binned(48)  # 24, 48, 72
    assert stages["total_turnaround_hours"]["p25_hours"] == _binned(36)  # halfway from 24 to 48
    assert stages["total_turnaround_hours"]["mean_hours"] == pytest.approx(48)  # exact


def test_stage_distributions_of_a_selection_bin_its_own_repairs(warehouse):
    stages = m.stage_durations(warehouse, replace(MARCH, stores=(1,)))
    total = stages.filter(stage="total_turnaround_hours").row(0, named=True)
    assert total["repairs_in_stage"] == 3  # 1, 2, 4 are Berlin's
    assert total["median_hours"] == _binned(48)


def test_bench_time_runs_from_in_repair_to_ready_per_repair_type(warehouse):
    bench = dict(
        m.bench_time_by_repair_type(warehouse, MARCH).select("repair_type", "median_hours").rows()
    )
    # (22, 12), (4, 5)
    assert bench == {"screen_replacement": _binned(17), "battery_replacement": _binned(4.5)}


def test_bench_time_of_a_selection_is_exact(warehouse):
    bench = m.bench_time_by_repair_type(warehouse, replace(MARCH, stores=(1,)))
    assert dict(bench.select("repair_type", "median_hours").rows()) == {
        "screen_replacement": 22,  # only 1 is Berlin's (7 is Amsterdam's)
        "battery_replacement": 4.5,
    }


def test_sla_breaches_use_the_default_target_per_repair_type(warehouse):
    sla = {row["repair_type"]: row for row in m.sla_breaches(warehouse, MARCH).to_dicts()}
    assert sla["screen_replacement"]["breaches"] == 1  # 7 took 48 h against 24
    assert sla["battery_replacement"]["breach_rate"] == 0.5  # 2 took 48 h, 4 took 6 h


def test_sla_medians_are_exact(warehouse):
    sla = dict(m.sla_breaches(warehouse, MARCH).select("repair_type", "median_hours").rows())
    assert sla == {"screen_replacement": 36, "battery_replacement": 27}  # (24, 48), (48, 6)


def test_sla_targets_can_be_changed_and_others_fall_back(warehouse):
    sla = m.sla_breaches(warehouse, MARCH, {"screen_replacement": 40}, fallback_hours=72)
    rows = {row["repair_type"]: (row["target_hours"], row["breaches"]) for row in sla.to_dicts()}
    assert rows == {"screen_replacement": (40, 1), "battery_replacement": (72, 0)}


def test_the_backlog_holds_repairs_open_at_the_end_of_the_last_day(warehouse):
    backlog = m.open_backlog(warehouse, MARCH)
    assert backlog["repair_id"].to_list() == [3]  # 6 was cancelled, 7 became ready
    assert backlog["age_days"][0] == pytest.approx(21 + 15 / 24)  # Mar 10 09:00 → Apr 1
    assert backlog["age_bucket"][0] == "> 2 weeks"


def test_a_repair_cancelled_later_was_still_open_before(warehouse):
    backlog = m.open_backlog(warehouse, Filters(D(2026, 3, 1), D(2026, 3, 24)))
    assert dict(backlog.select("repair_id", "age_bucket").rows()) == {
        3: "> 2 weeks",
        6: "< 1 day",  # received Mar 24 09:00, cancelled the next day
    }


def test_the_booking_funnel_counts_outcomes_over_bookings_no_longer_pending(warehouse):
    funnel = {row["booking_channel"]: row for row in m.booking_funnel(warehouse, MARCH).to_dicts()}
    total = funnel["all channels"]
    assert (total["bookings"], total["pending"]) == (5, 1)
    assert total["booking_conversion_rate"] == 0.5  # 2 of 4
    assert total["no_show_rate"] == 0.25
    assert total["booking_cancellation_rate"] == 0.25
    assert funnel["web"]["booking_conversion_rate"] == 0.5  # Feb's no-show is outside


def test_the_booking_funnel_applies_device_filters_through_the_device_model(warehouse):
    laptops = Filters(D(2026, 3, 1), D(2026, 3, 31), device_categories=("laptop",))
    funnel = m.booking_funnel(warehouse, laptops)
    assert funnel.filter(booking_channel="all channels")["bookings"][0] == 2  # 3 and 4


# -------------------------------------------------------------------------------- customers


def test_customer_value_sums_each_persons_history_duplicates_merged(warehouse):
    value = m.customer_value(warehouse, Filters(D(2026, 2, 1), D(2026, 3, 31)))
    groups = {
        (r["acquisition_channel"], r["segment"]): r for r in m.value_by_group(value).to_dicts()
    }
    # person 100 (records 100 and 101): 200 + 100 + 0; person 200: 250 (7 is collected in
    # April); person 300: 120
    assert groups[("web", "repeat")]["value_eur"] == 300
    assert groups[("walk_in", "one-off")]["value_eur"] == 250
    assert groups[("all", "all")]["customers"] == 3
    assert groups[("all", "all")]["median_value_eur"] == 250
    assert groups[("all", "one-off")]["customers"] == 2


def test_the_value_distribution_keeps_empty_bands(warehouse):
    value = m.customer_value(warehouse, Filters(D(2026, 2, 1), D(2026, 3, 31)))
    bands = dict(m.value_distribution(value).select("value_band", "customers").rows())
    assert len(bands) == len(m.customers.VALUE_BINS_EUR)
    assert bands["€100–150"] == 1 and bands["€200–300"] == 1 and bands["€300–400"] == 1
    assert bands["€0–50"] == 0


# ------------------------------------------------------------------------------ technicians


def test_the_leaderboard_ranks_by_revenue_per_day_worked(warehouse):
    board = m.technician_leaderboard(warehouse, MARCH)
    assert board.select("technician", "days_worked", "revenue_per_day_eur").rows() == [
        ("Bo", 2, 90),  # 7: 180 over Mar 28 and 30
        ("Ada", 4, 75),  # 1, 2, 4: 300 over Mar 2, 3, 11, 20
    ]


def test_labour_is_judged_against_the_standard_for_the_repair_mix(warehouse):
    board = {
        row["technician"]: row for row in m.technician_leaderboard(warehouse, MARCH).to_dicts()
    }
    # standards (median over all completed repairs): screen/phone (60, 40) → 50,
    # battery/phone (40, 30) → 35, screen/laptop (90, 120) → 105
    assert board["Ada"]["labour_vs_standard"] == pytest.approx(130 / 120)
    assert board["Bo"]["labour_vs_standard"] == pytest.approx(120 / 105)


def test_the_leaderboard_credits_rework_and_csat_to_the_technician(warehouse):
    ada = m.technician_leaderboard(warehouse, MARCH).filter(technician="Ada").row(0, named=True)
    assert ada["rework_rate"] == pytest.approx(1 / 3)
    assert ada["csat"] == 3.5
    assert ada["repairs_per_day"] == 0.75


def test_a_technicians_history_has_one_row_per_period_with_work(warehouse):
    history = m.technician_history(warehouse, MARCH, 10, "week")
    assert history.select("period", "repairs_completed").rows() == [
        (D(2026, 3, 2), 1),
        (D(2026, 3, 9), 1),
        (D(2026, 3, 16), 1),
    ]


# ----------------------------------------------------------------------------------- alerts


def test_the_expected_band_is_mean_plus_minus_two_standard_deviations():
    band = m.expected_band([10, 12, 14, 10, 12, 14])
    assert band.low == pytest.approx(12 - 2 * 1.7888543)
    assert band.high == pytest.approx(12 + 2 * 1.7888543)


def test_too_short_a_history_has_no_band():
    assert m.expected_band([10, 12, 14]) is None


def test_poisson_tail_matches_the_closed_form():
    # P(X >= 2 | λ = 1) = 1 - e^-1 - e^-1
    assert m.poisson_tail(2, 1.0) == pytest.approx(1 - 2 / 2.718281828459045)


def test_a_week_far_above_its_usual_revenue_raises_an_alert():
    conn = duckdb.connect()
    conn.execute(
        "CREATE TABLE fct_repairs AS SELECT range AS repair_id, "
        "CAST(DATE '2026-01-01' + CAST(range AS INTEGER) AS DATE) AS received_date, "
        "CAST(DATE '2026-01-01' + CAST(range AS INTEGER) AS DATE) AS collected_date, "
        "CAST(CASE WHEN range >= 84 THEN 1000 ELSE 100 + range % 3 END AS DECIMAL(12,2)) "
        "AS revenue_eur FROM range(91)"
    )  # 13 weeks: twelve at about €700 a week, then €7,000
    alerts = m.kpi_band_alerts(conn, Filters(D(2026, 3, 26), D(2026, 4, 1)))
    assert alerts["subject"].to_list() == ["Revenue"]
    assert "above its expected band" in alerts["message"][0]
    assert "(€7,000)" in alerts["message"][0]


# -------------------------------------------------------------------------------- summaries


def test_a_summary_catalog_still_being_built_is_not_read(warehouse):
    expected = m.kpi_summary(warehouse.cursor(), MARCH)
    warehouse.execute(f"ATTACH ':memory:' AS {summaries.CATALOG}")  # a build that has begun
    try:
        assert_frame_equal(m.kpi_summary(warehouse.cursor(), MARCH), expected)
    finally:
        warehouse.execute(f"DETACH {summaries.CATALOG}")


def test_prepared_summaries_give_the_same_results_as_computing_them_inline(warehouse):
    # The same selections as the tests above, once with each summary computed in the query and
    # once read from the per-version tables a long-lived reader prepares.
    berlin = replace(MARCH, stores=(1,))
    berlin_screens = replace(berlin, repair_types=("screen_replacement",))  # no cube grouping

    def results() -> list:
        return [
            frame
            # February 10th – March 31st: a partial month and a whole one.
            for filters in (MARCH, berlin, berlin_screens, Filters(D(2026, 2, 10), D(2026, 3, 31)))
            for frame in (
                m.kpi_summary(warehouse, filters),
                m.timeseries(warehouse, filters, "week"),
                m.breakdown(warehouse, filters, "brand"),
                m.payment_methods(warehouse, filters),
                m.repair_details(warehouse, filters, limit=2),
                m.stage_durations(warehouse, filters),
                m.bench_time_by_repair_type(warehouse, filters),
                m.technician_leaderboard(warehouse, filters),
                m.technician_history(warehouse, filters, 10, "week"),
                m.open_backlog(warehouse, filters),
                m.booking_funnel(warehouse, filters),
                m.customer_value(warehouse, filters),
                m.anomalies(warehouse, filters),
            )
        ]

    inline = results()
    summaries.prepare(warehouse)
    try:
        assert summaries.relation(warehouse, "open_spans").startswith(summaries.CATALOG)
        for computed, prepared in zip(inline, results(), strict=True):
            assert_frame_equal(computed, prepared)
    finally:
        summaries.discard(warehouse)
