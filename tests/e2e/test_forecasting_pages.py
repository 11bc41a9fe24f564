"""The Forecasting page in a real browser: served by `repairlens app`, rendered by Chromium."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, wait_for_page


def test_forecasting_page_renders_the_forecast_peaks_and_capacity_in_chromium(
    trained_forecast_dir, serve_app, page
):
    wait_for_page(page, serve_app(trained_forecast_dir) + "/Forecasting")
    expect(page.get_by_text("Forecast model v1")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Capacity: technician hours needed per store and week")).to_be_visible(
        timeout=60_000
    )
    # The forecast, the components and the capacity heat map are drawn by Vega.
    expect(page.locator('[data-testid="stVegaLiteChart"]')).to_have_count(3, timeout=60_000)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    assert screenshot(page, "forecasting").stat().st_size > 10_000
