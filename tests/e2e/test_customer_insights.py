"""The customer insights page in a real browser, with trained churn and lifetime value models."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, wait_for_page


def test_customer_insights_shows_the_at_risk_list_in_chromium(
    trained_customers_dir, serve_app, page
):
    wait_for_page(page, serve_app(trained_customers_dir) + "/Customer_Insights")
    expect(page.get_by_role("heading", name="Customer insights")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("What drives a low score")).to_be_visible(timeout=120_000)
    page.get_by_role("tab", name="At risk").click()
    expect(page.get_by_text("ROC-AUC")).to_be_visible(timeout=60_000)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    assert screenshot(page, "customer-insights-at-risk").stat().st_size > 10_000
