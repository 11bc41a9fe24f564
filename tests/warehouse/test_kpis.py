"""Headline KPIs computed on a hand-made warehouse, expected values worked out by hand."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from warehouse.kpis import headline_kpis, latest_activity_date, window_kpis

D = dt.date


@pytest.fixture
def warehouse() -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    conn.execute(
        "CREATE TABLE fct_repairs (repair_id INT, received_date DATE, ready_date DATE, "
        "collected_date DATE, received_to_ready_hours DOUBLE, revenue_eur DECIMAL(12,2), "
        "is_first_time_fix BOOLEAN)"
    )
    conn.execute("CREATE TABLE fct_feedback (submitted_date DATE, csat TINYINT)")
    conn.executemany(
        "INSERT INTO fct_repairs VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            # in the current window (Mar 2-31): three repairs, two collected in it
            (1, D(2026, 3, 5), D(2026, 3, 6), D(2026, 3, 7), 24.0, 100, True),
            (2, D(2026, 3, 10), D(2026, 3, 12), D(2026, 3, 12), 48.0, 60, False),
            (3, D(2026, 3, 30), None, None, None, None, None),  # still open
            # in the previous window (Jan 31 - Mar 1)
            (4, D(2026, 2, 10), D(2026, 2, 10), D(2026, 2, 11), 8.0, 80, True),
        ],
    )
    conn.executemany(
        "INSERT INTO fct_feedback VALUES (?, ?)",
        [(D(2026, 3, 8), 5), (D(2026, 3, 13), 2), (D(2026, 2, 12), 4)],
    )
    return conn


def test_a_window_sums_revenue_of_repairs_collected_in_it(warehouse):
    assert window_kpis(warehouse, D(2026, 3, 2), D(2026, 3, 31))["revenue_eur"] == 160.0


def test_a_window_counts_repairs_received_in_it_including_open_ones(warehouse):
    assert window_kpis(warehouse, D(2026, 3, 2), D(2026, 3, 31))["repairs"] == 3


def test_median_turnaround_is_over_repairs_ready_in_the_window(warehouse):
    assert window_kpis(warehouse, D(2026, 3, 2), D(2026, 3, 31))["median_turnaround_hours"] == 36


def test_csat_averages_feedback_submitted_in_the_window(warehouse):
    assert window_kpis(warehouse, D(2026, 3, 2), D(2026, 3, 31))["csat"] == 3.5


def test_first_time_fix_rate_is_the_share_of_collected_repairs(warehouse):
    assert window_kpis(warehouse, D(2026, 3, 2), D(2026, 3, 31))["first_time_fix_rate"] == 0.5


def test_an_empty_window_has_no_values_rather_than_zeros(warehouse):
    values = window_kpis(warehouse, D(2020, 1, 1), D(2020, 1, 30))
    assert values["revenue_eur"] is None and values["csat"] is None
    assert values["repairs"] == 0


def test_headline_kpis_compare_with_the_30_days_before(warehouse):
    kpis = {kpi.name: kpi for kpi in headline_kpis(warehouse, D(2026, 3, 31), days=30)}
    assert kpis["revenue_eur"].previous == 80.0
    assert kpis["revenue_eur"].change == pytest.approx(1.0)  # 160 against 80
    assert kpis["repairs"].change == pytest.approx(2.0)  # 3 against 1


def test_a_kpi_without_a_previous_value_has_no_change(warehouse):
    kpis = {kpi.name: kpi for kpi in headline_kpis(warehouse, D(2026, 2, 15), days=5)}
    assert kpis["revenue_eur"].current == 80.0  # Feb 11-15
    assert kpis["revenue_eur"].previous is None  # Feb 6-10: nothing collected
    assert kpis["revenue_eur"].change is None


def test_latest_activity_is_the_last_day_a_repair_was_received(warehouse):
    assert latest_activity_date(warehouse) == D(2026, 3, 30)
