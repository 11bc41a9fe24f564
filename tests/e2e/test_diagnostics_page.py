"""The Diagnostics page in a real browser: pick a device by searching the catalogue, describe the
fault, get explained candidates and confirm the diagnosis."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from core.settings import Settings
from models.diagnostics.prediction_log import read_predictions
from tests.conftest import diagnostics_copy
from tests.e2e.conftest import screenshot, wait_for_page


def test_a_technician_diagnoses_and_confirms_in_chromium(
    trained_diagnostics_dir: Path, tmp_path: Path, serve_app, page
) -> None:
    directory = diagnostics_copy(trained_diagnostics_dir, tmp_path / "var")
    wait_for_page(page, serve_app(directory) + "/Diagnostics")

    device = page.locator('[data-testid="stSelectbox"]').filter(has_text="Device model")
    device.locator("input").fill("iPhone 12")
    page.get_by_role("option", name="Apple iPhone 12", exact=True).click()
    page.get_by_label("What the customer says").fill(
        "dropped it yesterday, screen smashed and touch dead at the top"
    )
    dropped = page.locator('[data-testid="stRadio"]').filter(has_text="Was it dropped?")
    dropped.get_by_text("Yes", exact=True).click()
    page.get_by_role("button", name="Diagnose").click()

    first = page.locator('[data-testid="stExpander"]').first
    expect(first).to_contain_text("1. Cracked front glass / display", timeout=60_000)
    expect(first.locator('[data-testid="stVegaLiteChart"]')).to_be_visible(timeout=30_000)
    expect(page.get_by_text("PH-APL-IP12-DSP").first).to_be_visible()
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    expect(page.locator('[data-testid="stDataFrame"]')).to_be_visible(timeout=60_000)
    page.set_viewport_size({"width": 1400, "height": 3000})  # the whole answer in one picture
    screenshot(page, "diagnostics")

    page.get_by_label("Technician").fill("Ana")
    page.get_by_label("Technician").press("Enter")  # commit the value before the click
    page.get_by_role("button", name="Confirm: Cracked front glass / display").click()
    expect(page.get_by_text("Recorded: Cracked front glass / display")).to_be_visible(
        timeout=30_000
    )
    (row,) = read_predictions(Settings(data_dir=directory)).to_dicts()
    assert (row["source"], row["device_model"], row["dropped"]) == ("app", "iPhone 12", True)
    assert (row["confirmed_fault"], row["confirmed_by"]) == ("cracked_screen", "Ana")

    page.get_by_role("tab", name="How the answers held up").click()
    known = page.locator('[data-testid="stMetric"]').filter(has_text="With a known outcome")
    expect(known).to_contain_text("1", timeout=30_000)
    expect(page.locator('[data-testid="stVegaLiteChart"]').last).to_be_visible(timeout=30_000)
    screenshot(page, "diagnostics-loop")


def test_a_model_missing_from_the_catalogue_can_be_typed_in_chromium(
    trained_diagnostics_dir: Path, tmp_path: Path, serve_app, page
) -> None:
    directory = diagnostics_copy(trained_diagnostics_dir, tmp_path / "var")
    wait_for_page(page, serve_app(directory) + "/Diagnostics")

    device = page.locator('[data-testid="stSelectbox"]').filter(has_text="Device model")
    device.locator("input").fill("Fairphone 9")
    page.get_by_role("option", name="Add: Fairphone 9").click()
    page.get_by_label("What the customer says").fill("wont charge unless i wiggle the cable")
    page.get_by_role("button", name="Diagnose").click()

    alert = page.locator('[data-testid="stAlert"]').filter(has_text="not in the catalogue")
    expect(alert).to_contain_text("using Fairphone and phone history only", timeout=60_000)
    expect(page.locator('[data-testid="stExpander"]').first).to_contain_text("Charging port")
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
