"""The Forecasting and Inventory pages: empty states that name the command to run, the forecast
with its components, peaks and capacity plan, and the reorder table with filters and export."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).parents[2]
FORECASTING = str(ROOT / "pages" / "3_Forecasting.py")
INVENTORY = str(ROOT / "pages" / "4_Inventory.py")


def _run(page: str) -> AppTest:
    at = AppTest.from_file(page, default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    return at


def _charts(at: AppTest) -> list:
    return at.get("vega_lite_chart")


@pytest.mark.parametrize("page", [FORECASTING, INVENTORY])
def test_without_a_warehouse_the_pages_name_the_command_that_loads_data(data_dir, page) -> None:
    at = _run(page)
    assert "repairlens demo" in at.info[0].value
    assert not at.metric


def test_without_a_trained_forecast_the_page_names_the_training_command(
    built_data_dir, use_data_dir
) -> None:
    use_data_dir(built_data_dir)
    at = _run(FORECASTING)
    assert "repairlens train forecast" in at.info[0].value
    assert not _charts(at)


def test_the_forecast_page_shows_a_series_with_its_band_method_and_backtest(
    trained_forecast_dir, use_data_dir
) -> None:
    use_data_dir(trained_forecast_dir)
    at = _run(FORECASTING)
    assert "Forecast model v1" in at.caption[0].value
    metrics = {m.label: m for m in at.metric}
    assert any(m.value.startswith("**Method**") for m in at.markdown)
    assert "vs seasonal naive" in metrics["Backtest MASE"].delta
    assert metrics["95 % interval coverage in backtest"].value.endswith("%")
    # Forecast with band, components, capacity heat map.
    assert len(_charts(at)) == 3
    assert at.subheader[0].value == "repairs · all stores · daily"


def test_picking_a_store_and_the_weekly_cadence_shows_that_series(
    trained_forecast_dir, use_data_dir
) -> None:
    use_data_dir(trained_forecast_dir)
    at = _run(FORECASTING)
    at.selectbox(key="fc_dimension").select("store").run()
    at.selectbox(key="fc_member").select("2").run()
    at.radio(key="fc_freq").set_value("W").run()
    assert not at.exception, at.exception
    assert at.subheader[0].value == "repairs · store 2 · weekly"


def test_the_capacity_plan_recommends_shifts_or_moves_for_the_forecast_weeks(
    trained_forecast_dir, use_data_dir
) -> None:
    use_data_dir(trained_forecast_dir)
    at = _run(FORECASTING)
    texts = " ".join(m.value for m in at.markdown)
    assert "Week of" in texts or "Every store's schedule fits" in " ".join(
        str(t.value) for t in at.text
    )


def test_capacity_is_judged_against_delivered_hours_unless_contracted_hours_are_chosen(
    trained_forecast_dir, use_data_dir
) -> None:
    use_data_dir(trained_forecast_dir)
    at = _run(FORECASTING)
    captions = " ".join(c.value for c in at.caption)
    assert "Capacity = the labour hours each team recorded in a busy recent week" in captions
    assert "store-weeks need more than the contracted hours" in captions
    at.radio(key="fc_capacity_basis").set_value("scheduled").run()
    assert not at.exception, at.exception
    assert "busy recent week" not in " ".join(c.value for c in at.caption)
    assert len(_charts(at)) == 3


def test_the_inventory_page_shows_value_orders_alerts_and_the_backtest(
    trained_forecast_dir, use_data_dir
) -> None:
    use_data_dir(trained_forecast_dir)
    at = _run(INVENTORY)
    labels = [m.label for m in at.metric]
    assert labels == ["Stock value", "Lines to order", "Order value", "Dead stock value"]
    assert "forecast model v1" in at.caption[0].value
    assert at.get("download_button")
    backtest = at.dataframe[-1].value
    assert list(backtest.columns) == ["figure", "min/max", "policy"]
    assert "units_short" in set(backtest["figure"])


def test_filtering_the_reorder_table_by_store_keeps_only_that_store(
    trained_forecast_dir, use_data_dir
) -> None:
    use_data_dir(trained_forecast_dir)
    at = _run(INVENTORY)
    at.toggle(key="inv_only_order").set_value(False).run()
    everything = at.dataframe[0].value
    at.multiselect(key="inv_stores").select(2).run()
    assert not at.exception, at.exception
    chosen = at.dataframe[0].value
    assert set(chosen["store"]) == {2}
    assert 0 < len(chosen) < len(everything)
