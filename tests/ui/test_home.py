"""The home page: headline KPIs, data freshness, and an empty state that says what to run."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from core.settings import Settings
from pipelines.run import run_etl
from pipelines.runlog import RunLog
from ui import formatting
from ui.warehouse import current_version, cursor, freshness
from warehouse.metrics import summaries

HOME = str(Path(__file__).parents[2] / "Home.py")


def _home() -> AppTest:
    at = AppTest.from_file(HOME, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def test_without_a_warehouse_the_home_page_names_the_command_that_loads_data(data_dir):
    at = _home()
    assert "repairlens demo" in at.info[0].value
    assert not at.metric


def test_the_home_page_shows_five_kpis_with_deltas_against_the_previous_30_days(
    built_data_dir, use_data_dir
):
    use_data_dir(built_data_dir)
    at = _home()
    labels = [metric.label for metric in at.metric]
    for label in ["Revenue", "Repairs received", "Median turnaround", "CSAT", "First-time fix"]:
        assert label in labels
    revenue = next(m for m in at.metric if m.label == "Revenue")
    assert revenue.value.startswith("€")
    assert revenue.delta and revenue.delta.endswith("%")


def test_the_home_page_reports_when_the_data_was_last_loaded(built_data_dir, use_data_dir):
    use_data_dir(built_data_dir)
    at = _home()
    metrics = {metric.label: metric.value for metric in at.metric}
    assert metrics["Last ETL run"].endswith("UTC")
    assert int(metrics["Rows in the warehouse"].replace(",", "")) > 1000


def test_a_failed_etl_run_after_the_last_publish_is_flagged(built_data_dir, use_data_dir, tmp_path):
    copy = tmp_path / "var"
    shutil.copytree(built_data_dir, copy)
    log = RunLog(copy)
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    log.start("failed-run", started, full=False)
    log.finish("failed-run", "failed", started, 0.1, {}, error="database unreachable")
    use_data_dir(copy)
    at = _home()
    assert "database unreachable" in at.warning[0].value


def test_the_home_page_links_every_page_of_the_workbench_by_role(data_dir):
    at = _home()
    linked = {element.proto.page for element in at.get("page_link")}
    # Streamlit names a page by its file name without the ordering prefix.
    pages = {path.stem.split("_", 1)[1] for path in (Path(HOME).parent / "pages").glob("*.py")}
    assert linked == pages


def test_opening_the_home_page_starts_building_the_dashboards_summaries(
    built_data_dir, use_data_dir
):
    use_data_dir(built_data_dir)
    st.cache_resource.clear()  # no summaries from an earlier test: only Home can start them
    _home()
    version = current_version()
    deadline = time.monotonic() + 60
    while not summaries.is_prepared(cursor(version)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert summaries.is_prepared(cursor(version))


def test_the_last_etl_run_counts_a_run_that_changed_nothing(built_data_dir, use_data_dir, tmp_path):
    copy = tmp_path / "var"
    shutil.copytree(built_data_dir, copy)
    use_data_dir(copy)
    version = current_version()
    summary = run_etl(Settings(data_dir=copy))
    assert summary.published is False and current_version() == version

    assert freshness(version).finished_at == summary.finished_at
    at = _home()
    metrics = {metric.label: metric.value for metric in at.metric}
    assert metrics["Last ETL run"] == formatting.timestamp(summary.finished_at)
    assert not at.warning
