"""The home page in a real browser: served by `repairlens app`, rendered by Chromium."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, wait_for_page


def test_home_renders_its_kpis_in_chromium_without_an_exception(built_data_dir, serve_app, page):
    wait_for_page(page, serve_app(built_data_dir))
    expect(page.locator('[data-testid="stMetric"]')).to_have_count(8, timeout=60_000)
    expect(page.get_by_text("Last 30 days")).to_be_visible()
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    assert screenshot(page, "home").stat().st_size > 10_000


def test_home_without_data_tells_the_user_what_to_run_in_chromium(data_dir, serve_app, page):
    wait_for_page(page, serve_app(data_dir))
    alert = page.locator('[data-testid="stAlert"]')
    expect(alert).to_contain_text("repairlens demo --no-serve", timeout=60_000)
    screenshot(page, "home-empty")
