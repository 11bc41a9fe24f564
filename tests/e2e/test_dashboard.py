"""The BI dashboard in a real browser: served by `repairlens app`, rendered by Chromium."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, wait_for_page

CHART = '[data-testid="stVegaLiteChart"]'


def test_the_dashboard_renders_its_charts_in_chromium_without_an_exception(
    built_data_dir, serve_app, page
):
    wait_for_page(page, serve_app(built_data_dir) + "/BI_Dashboard")
    heading = page.get_by_text("Repairs collected in the window", exact=True)
    expect(heading).to_be_visible(timeout=90_000)
    charts = page.locator(CHART)
    expect(charts.first).to_be_visible(timeout=60_000)
    # Streamlit renders the page progressively: wait for the sixth chart rather than count now.
    expect(charts.nth(5)).to_be_visible(timeout=60_000)
    # Vega has drawn marks (SVG paths or a canvas) in the time-series chart.
    expect(charts.first.locator("svg .mark-line path, canvas").first).to_be_attached(timeout=30_000)
    expect(page.locator('[data-testid="stMetric"]').first).to_be_visible(timeout=30_000)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    assert screenshot(page, "bi-dashboard").stat().st_size > 10_000


def test_clicking_a_bar_filters_the_repairs_table_in_chromium(built_data_dir, serve_app, page):
    wait_for_page(page, serve_app(built_data_dir) + "/BI_Dashboard?section=revenue")
    bar = page.locator(".st-key-bi_pick_store .mark-rect path").first
    expect(bar).to_be_visible(timeout=90_000)
    bar.click()
    expect(page.get_by_text("store: 1 picked")).to_be_visible(timeout=60_000)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    screenshot(page, "bi-dashboard-store-picked")
