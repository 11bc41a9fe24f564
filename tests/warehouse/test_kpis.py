"""The Home page's headline KPIs are the metric layer's, on the hand-made warehouse of
``test_metrics`` (its table of repairs is in that module's docstring)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.warehouse.test_metrics import warehouse  # noqa: F401  (the shared fixture)
from warehouse import metrics as m
from warehouse.kpis import HOME_KPI_NAMES, headline_kpis, latest_activity_date, window_kpis

D = dt.date


def test_a_window_has_the_metric_layers_values_for_the_same_days(warehouse):  # noqa: F811
    kpis = window_kpis(warehouse, D(2026, 3, 1), D(2026, 3, 31))
    assert kpis["revenue_eur"] == 300  # 1, 2, 4 collected: 200 + 100 + 0
    assert kpis["repairs"] == 6  # 1, 2, 3, 4, 6, 7 received
    assert kpis["median_turnaround_hours"] == 36  # 6, 24, 48, 48 ready
    assert kpis["csat"] == 3.5  # 5 and 2
    assert kpis["first_time_fix_rate"] == pytest.approx(1 / 3)  # only 1 of 1, 2, 4
    summary = m.kpi_summary(warehouse, m.Filters(D(2026, 3, 1), D(2026, 3, 31)))
    assert {name: kpis[name] for name in HOME_KPI_NAMES} == pytest.approx(
        {name: float(summary[name][0]) for name in HOME_KPI_NAMES}
    )


def test_an_empty_window_has_no_values_rather_than_zeros(warehouse):  # noqa: F811
    kpis = window_kpis(warehouse, D(2020, 1, 1), D(2020, 1, 30))
    assert kpis["revenue_eur"] is None and kpis["csat"] is None
    assert kpis["repairs"] == 0


def test_headline_kpis_compare_with_as_many_days_before(warehouse):  # noqa: F811
    kpis = {kpi.name: kpi for kpi in headline_kpis(warehouse, D(2026, 3, 31), days=31)}
    assert kpis["revenue_eur"].previous == 370  # 29 Jan – 28 Feb: 5 and 8
    assert kpis["revenue_eur"].change == pytest.approx(300 / 370 - 1)
    assert kpis["repairs"].change == pytest.approx(2.0)  # 6 against 2


def test_headline_kpis_carry_the_metric_layers_labels(warehouse):  # noqa: F811
    kpis = headline_kpis(warehouse, D(2026, 3, 31))
    assert [kpi.name for kpi in kpis] == list(HOME_KPI_NAMES)
    assert [kpi.label for kpi in kpis] == [m.METRICS[name].label for name in HOME_KPI_NAMES]


def test_a_kpi_without_a_previous_value_has_no_change(warehouse):  # noqa: F811
    kpis = {kpi.name: kpi for kpi in headline_kpis(warehouse, D(2026, 3, 5), days=3)}
    assert kpis["revenue_eur"].current == 200  # 3–5 Mar: repair 1
    assert kpis["revenue_eur"].previous is None  # 28 Feb – 2 Mar: nothing collected
    assert kpis["revenue_eur"].change is None


def test_latest_activity_is_the_last_day_a_repair_was_received(warehouse):  # noqa: F811
    assert latest_activity_date(warehouse) == D(2026, 3, 28)
