"""The BI dashboard page under AppTest: filters driven through widgets and through the query
string (a shareable link), every section rendered, empty selections explained."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui.filters import FilterOptions, filters_from_query, preset_range, query_from_filters

PAGE = str(Path(__file__).parents[2] / "pages" / "1_BI_Dashboard.py")


def _page(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params.update(query or {})
    at.run()
    assert not at.exception, at.exception
    return at


def _charts(at: AppTest) -> list:
    return at.get("vega_lite_chart")


@pytest.fixture
def built(built_data_dir, use_data_dir) -> Path:
    use_data_dir(built_data_dir)
    return built_data_dir


def test_without_a_warehouse_the_page_names_the_command_that_loads_data(data_dir):
    at = _page()
    assert "repairlens demo" in at.info[0].value
    assert not at.metric


def test_the_default_view_shows_kpi_cards_with_deltas_and_charts(built):
    at = _page()
    cards = {metric.label: metric for metric in at.metric}
    assert cards["Revenue"].value.startswith("€")
    assert cards["Revenue"].delta.endswith("%")
    assert cards["First-time fix"].delta.endswith("pp")
    assert len(_charts(at)) >= 6  # time series, four breakdowns, payment methods
    assert at.get("download_button")


@pytest.mark.parametrize("section", ["operations", "customers", "technicians"])
def test_every_section_renders_from_its_link(built, section):
    at = _page({"section": section})
    assert at.radio(key="bi_section").value == section
    assert _charts(at)
    assert not at.error


def test_binned_quantiles_are_announced_only_without_a_selection(built):
    def announced(at: AppTest) -> bool:
        return any("binned" in caption.value for caption in at.caption)

    assert announced(_page({"section": "operations"}))
    assert not announced(_page({"section": "operations", "store": "1"}))  # exact then


def test_a_shareable_link_sets_the_filters(built):
    at = _page({"preset": "30d", "cmp": "yoy", "grain": "day", "store": "1"})
    assert at.selectbox(key="bi_preset").value == "30d"
    assert at.radio(key="bi_comparison").value == "same_period_last_year"
    assert at.radio(key="bi_grain").value == "day"
    assert at.multiselect(key="bi_stores").value == [1]


def test_changing_a_filter_rewrites_the_link(built):
    at = _page()
    at.multiselect(key="bi_stores").select(2).run()
    at.radio(key="bi_comparison").set_value("none").run()
    assert not at.exception
    assert at.query_params["store"] == "2"
    assert at.query_params["cmp"] == "none"
    assert not any(metric.delta for metric in at.metric if metric.label == "Revenue")


def test_a_store_filter_changes_the_numbers(built):
    everything = _page()
    one_store = _page({"store": "1"})
    revenue = [
        next(m.value for m in at.metric if m.label == "Revenue") for at in (everything, one_store)
    ]
    assert revenue[0] != revenue[1]


def test_dates_outside_the_data_explain_themselves(built):
    at = _page({"preset": "custom", "from": "2001-01-01", "to": "2001-01-31"})
    assert "the warehouse holds repairs from" in at.info[0].value
    assert not at.metric


def test_a_selection_matching_no_repair_says_which_filters_to_clear(built):
    at = _page({"category": "game_console", "brand": "Apple"})
    message = at.info[0].value
    assert "No repair matches device categories game_console; brands Apple" in message
    assert "Clear a filter" in message


def test_link_values_that_are_not_understood_are_named_and_ignored(built):
    at = _page({"store": "999", "grain": "hourly"})
    assert "store=999" in at.warning[0].value and "grain=hourly" in at.warning[0].value
    assert at.multiselect(key="bi_stores").value == []


def test_a_link_sets_sla_targets_and_the_breaches_follow_them(built):
    at = _page({"section": "operations", "sla": "screen_replacement:1000"})
    sla_table = next(frame.value for frame in at.dataframe if "breach_rate" in frame.value.columns)
    screens = sla_table[sla_table["repair_type"] == "screen_replacement"].iloc[0]
    assert (screens["target_hours"], screens["breaches"]) == (1000, 0)
    assert at.query_params["sla"] == "screen_replacement:1000"


def test_drilling_into_a_technician_shows_their_history(built):
    at = _page({"section": "technicians"})
    at.selectbox(key="bi_drill_technician").select_index(1).run()
    assert not at.exception
    assert "Labour vs standard" in [metric.label for metric in at.metric]
    assert any(" — " in header.value for header in at.subheader)


OPTIONS = FilterOptions(
    first_date=dt.date(2025, 1, 1),
    last_date=dt.date(2026, 5, 20),
    stores={1: "Berlin", 2: "Amsterdam"},
    device_categories=("laptop", "phone"),
    brands=("Apple",),
    repair_types=("screen_replacement",),
    technicians={7: "Ada (BER-01)"},
)


def test_a_query_string_survives_the_round_trip_through_the_filters():
    query = {
        "section": "technicians",
        "preset": "custom",
        "from": "2026-01-05",
        "to": "2026-02-05",
        "cmp": "yoy",
        "grain": "month",
        "store": ["1", "2"],
        "category": ["phone"],
        "tech": ["7"],
        "sla": ["screen_replacement:36", "board_repair:200.5"],
    }
    view = filters_from_query(query, OPTIONS)
    assert view.filters.stores == (1, 2) and view.filters.technicians == (7,)
    assert view.sla_targets == (("screen_replacement", 36.0), ("board_repair", 200.5))
    assert query_from_filters(view) == query


def test_sla_targets_equal_to_the_defaults_or_not_understood_stay_out_of_the_link():
    view = filters_from_query(
        {"sla": ["screen_replacement:24", "teleport:5", "battery_replacement:soon"]}, OPTIONS
    )
    assert view.sla_targets == ()  # 24 h is the screen default
    assert view.ignored == (
        "sla=teleport:5 (use repair_type:hours)",
        "sla=battery_replacement:soon (use repair_type:hours)",
    )


def test_the_default_view_has_an_empty_query_string():
    assert query_from_filters(filters_from_query({}, OPTIONS)) == {}


def test_presets_end_on_the_last_day_with_data():
    assert preset_range("qtd", dt.date(2026, 5, 20)) == (dt.date(2026, 4, 1), dt.date(2026, 5, 20))
    assert preset_range("30d", dt.date(2026, 5, 20)) == (dt.date(2026, 4, 21), dt.date(2026, 5, 20))
