"""The Model Lab in a real browser: served by `repairlens app`, rendered by Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from core.settings import Settings
from models import jobs, registry
from tests.conftest import linked_warehouse
from tests.e2e.conftest import screenshot, wait_for_page
from tests.models.test_registry_consumers import register_small_diagnostics
from tests.ui.test_model_lab_page import SLOW_DIAGNOSTICS


@pytest.fixture
def lab_dir(built_data_dir: Path, tmp_path: Path) -> Path:
    """The shared warehouse with diagnostics v1 in production and v2 a candidate."""
    directory = linked_warehouse(built_data_dir, tmp_path / "lab")
    settings = Settings(data_dir=directory)
    first = register_small_diagnostics(settings, settings, started_by="ann")
    registry.promote("diagnostics", 1, by="ann", reason="first model", settings=settings)
    registry.register(
        "diagnostics",
        first.artifact_path,
        started_by="bob",
        parameters=first.parameters,
        metrics=first.metrics,
        window=(first.window_start, first.window_end),
        artifact_name=first.artifact_path.name,
        settings=settings,
    )
    yield directory
    for job in jobs.list_jobs(settings):
        if job.is_running:
            jobs.cancel_job(settings, job.job_id, by="teardown", grace_s=2)


def test_the_model_lab_compares_streams_a_job_and_cancels_it_in_chromium(lab_dir, serve_app, page):
    settings = Settings(data_dir=lab_dir)
    url = serve_app(lab_dir)
    wait_for_page(page, f"{url}/Model_Lab")
    main = page.locator('[data-testid="stMain"]')
    expect(main.get_by_role("heading", name="Model Lab")).to_be_visible(timeout=60_000)
    expect(main.get_by_text("In production:")).to_be_visible(timeout=60_000)

    page.get_by_role("button", name="Compare v2 with production v1").click()
    expect(main.get_by_text(re.compile(r"^Hold-out: \d"))).to_be_visible(timeout=90_000)
    expect(page.locator('[data-testid="stVegaLiteChart"]')).to_have_count(2, timeout=60_000)

    running = jobs.start_job(settings, "diagnostics", item=SLOW_DIAGNOSTICS, started_by="ann")
    status = main.get_by_text(re.compile(f"Job {running.job_id} running"))
    expect(status).to_be_visible(timeout=30_000)  # the job panel refreshes on its own
    log = main.locator('[data-testid="stCode"]')
    expect(log).to_contain_text(re.compile(r"step \d+ of"), timeout=30_000)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    assert screenshot(page, "model-lab").stat().st_size > 10_000

    page.get_by_role("button", name="Cancel this job").click()
    expect(main.get_by_text(f"Job {running.job_id} cancelled.")).to_be_visible(timeout=30_000)
    assert jobs.get_job(settings, running.job_id).state == "cancelled"
