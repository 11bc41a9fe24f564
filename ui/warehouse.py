"""Cached access to the published warehouse for Streamlit pages.

Every cache is keyed by the warehouse version, so a page picks up a newly published warehouse on
its next rerun without a restart, and never mixes numbers from two versions.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import duckdb
import streamlit as st

from core.settings import get_settings

# The run log belongs to the ETL; the home page reads it to report failed runs.
from pipelines.runlog import RunLog
from warehouse.kpis import Kpi, headline_kpis, latest_activity_date
from warehouse.metrics import summaries
from warehouse.reader import connect_read_only, warehouse_version

EMPTY_WAREHOUSE = (
    "The warehouse is empty: the operational database had no repairs at the last ETL run."
)


def current_version() -> str | None:
    """The published warehouse version, or None when ETL has not run yet."""
    return warehouse_version(get_settings())


def require_warehouse() -> str:
    """The published warehouse version; without one, say which command builds it and stop the
    page there."""
    version = current_version()
    if version is None:
        st.info(
            "No data yet: the warehouse has not been built. Run `repairlens demo --no-serve` for "
            "a demo history, or `repairlens etl` on an operational database that has data."
        )
        st.stop()
    return version


@st.cache_resource(max_entries=2)
def connection(version: str) -> duckdb.DuckDBPyConnection:
    """A read-only connection to one warehouse version, shared by every session; query it
    through ``cursor(version)``, since a DuckDB connection is not safe across threads."""
    return connect_read_only(get_settings())


# One summary build at a time: two would only share the same two cores.
_SUMMARY_BUILDS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="summaries")


@st.cache_resource(max_entries=2, show_spinner=False)
def _summaries_build(version: str) -> Future[dict[str, float]]:
    """The build of the metric layer's per-version summaries, rollups and cubes on the shared
    connection, started once per version on a background thread (its result: the seconds each
    table took). Cursors read the summaries only once the build has finished."""
    return _SUMMARY_BUILDS.submit(summaries.prepare, connection(version))


def start_summaries(version: str) -> None:
    """Start building ``version``'s summaries without waiting: the Home page calls this, so the
    first dashboard view after an ETL publish usually finds them ready."""
    _summaries_build(version)


def prepare_summaries(version: str) -> dict[str, float]:
    """Wait for ``version``'s summaries (starting the build if no page has), so no filter change
    pays for them; returns the seconds each table took.

    Only pages that read the metric layer wait for the build.
    """
    build = _summaries_build(version)
    if not build.done():
        with st.spinner(
            "Preparing the dashboard's summaries of this warehouse version (once per ETL run)"
        ):
            build.exception()  # waits
    if build.exception() is not None:
        _summaries_build.clear()  # a failed build is tried again on the next call
    return build.result()


def cursor(version: str) -> duckdb.DuckDBPyConnection:
    """A per-call cursor on the shared connection, with the warehouse as its default catalog."""
    result = connection(version).cursor()
    result.execute("USE warehouse")
    return result


@st.cache_data(ttl=600, max_entries=32)
def home_kpis(version: str, days: int) -> tuple[dt.date | None, list[Kpi]]:
    """The KPI window end (the last day with repairs, capped at today) and the headline KPIs."""
    db = cursor(version)
    latest = latest_activity_date(db)
    if latest is None:
        return None, []
    as_of = min(latest, dt.datetime.now(dt.UTC).date())
    return as_of, headline_kpis(db, as_of, days)


@dataclass(frozen=True)
class Freshness:
    finished_at: dt.datetime | None
    fact_rows: int
    failed_since: int
    last_error: str | None

    @property
    def age(self) -> dt.timedelta | None:
        if self.finished_at is None:
            return None
        return dt.datetime.now(dt.UTC).replace(tzinfo=None) - self.finished_at


def freshness(version: str) -> Freshness:
    """When the published warehouse was built, how big it is, and failed runs since then.

    The run log file is read live (two indexed queries): a failed run, or one that found nothing
    to change, publishes no new warehouse version, so it would not show up in anything cached by
    version.
    """
    finished_at, fact_rows = _published_run(version)
    log = RunLog(get_settings().data_dir)
    # A later run that found nothing to change published nothing, but the data is current as of it.
    checked = log.last_success()
    if checked is not None and (finished_at is None or checked > finished_at):
        finished_at = checked
    failed, last_error = log.failures_since(finished_at)
    return Freshness(finished_at, fact_rows, failed, last_error)


@st.cache_data(ttl=600, max_entries=8)
def _published_run(version: str) -> tuple[dt.datetime | None, int]:
    """The finishing time of the run that built this version, and its fact-table row count."""
    db = cursor(version)
    finished_at = db.execute(
        "SELECT max(finished_at) FROM etl_runs WHERE status = 'success'"
    ).fetchone()[0]
    fact_tables = [
        name
        for (name,) in db.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'warehouse' "
            "AND table_name LIKE 'fct\\_%' ESCAPE '\\'"
        ).fetchall()
    ]
    fact_rows = sum(
        db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in fact_tables
    )
    return finished_at, fact_rows
