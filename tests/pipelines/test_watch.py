"""`repairlens etl --watch`, spare copies of the warehouse, and runs that change nothing.

The file handling does not depend on the ops engine, so the spare tests run on SQLite only; the
watch loop itself runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from cli import app
from core.db import make_engine
from core.settings import Settings
from ops.migrate import upgrade_to_head
from pipelines.run import run_etl
from pipelines.runlog import RunLog
from pipelines.watch import watch
from tests.factories import seed_shop, settings_for, touch
from warehouse.publish import prepare_spare, spare_dir, work_dir
from warehouse.reader import connect_read_only, warehouse_version

PUBLISHED_LINE = re.compile(r"etl run \S+: published [\d,]+ changed rows \(\d+\.\d+s\)")
UNCHANGED_LINE = re.compile(r"etl run \S+: nothing changed \(\d+\.\d+s\)")


def spares(settings: Settings) -> list[str]:
    directory = spare_dir(settings)
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def price_of_repair(settings: Settings, repair_id: int) -> Decimal:
    with connect_read_only(settings) as con:
        return con.execute(
            "SELECT price_eur FROM fct_repairs WHERE repair_id = ?", [repair_id]
        ).fetchall()[0][0]


@pytest.fixture
def loaded(sqlite_settings: Settings, sqlite_ops_engine: Engine) -> Settings:
    """A published warehouse of a three-repair shop (SQLite)."""
    seed_shop(sqlite_ops_engine, repairs=3)
    run_etl(sqlite_settings)
    return sqlite_settings


# ------------------------------------------------------------------ runs that change nothing


def test_a_run_that_changes_nothing_leaves_its_copy_as_the_spare(loaded):
    version = warehouse_version(loaded)

    summary = run_etl(loaded)

    assert summary.status == "success" and summary.published is False
    assert warehouse_version(loaded) == version
    assert spares(loaded) == [f"{version}.duckdb"]
    assert not list(work_dir(loaded).iterdir())
    runs, _ = RunLog(loaded.data_dir).frames()
    assert runs["status"].to_list() == ["success", "success"]


def test_the_next_run_starts_from_the_spare(loaded, sqlite_ops_engine):
    run_etl(loaded)  # changes nothing: its copy becomes the spare
    [spare] = spare_dir(loaded).iterdir()
    spare_inode = spare.stat().st_ino

    touch(sqlite_ops_engine, "repairs", 1, final_price_eur=Decimal("175.00"))
    summary = run_etl(loaded)

    assert summary.published is True
    assert loaded.warehouse_path.stat().st_ino == spare_inode  # moved into place, not copied
    assert spares(loaded) == []
    assert price_of_repair(loaded, 1) == Decimal("175.00")
    assert price_of_repair(loaded, 2) == Decimal("150.00")


def test_a_publish_discards_stale_spares(loaded):
    assert prepare_spare(loaded) is not None
    (spare_dir(loaded) / "0-0-0.duckdb").write_bytes(b"a spare of a replaced version")
    (spare_dir(loaded) / ".0-0-0.123.partial").write_bytes(b"an unfinished copy")

    summary = run_etl(loaded, full=True)  # starts fresh, so it takes no spare

    assert summary.published is True
    assert spares(loaded) == []


def test_prepare_spare_copies_the_published_version(loaded):
    spare = prepare_spare(loaded)

    assert spare is not None
    assert spare.name == f"{warehouse_version(loaded)}.duckdb"
    assert spare.read_bytes() == loaded.warehouse_path.read_bytes()
    assert spares(loaded) == [spare.name]


def test_prepare_spare_without_a_published_warehouse_makes_none(sqlite_settings):
    assert prepare_spare(sqlite_settings) is None
    assert spares(sqlite_settings) == []


# ------------------------------------------------------------------------------------- watch


def test_watch_picks_up_changes_between_runs(settings, ops_engine):
    seed_shop(ops_engine, repairs=2)
    lines: list[str] = []
    stop = threading.Event()

    def report(line: str) -> None:
        lines.append(line)
        if len(lines) == 1:
            touch(ops_engine, "repairs", 2, final_price_eur=Decimal("190.00"))
        elif len(lines) == 3:
            stop.set()

    published = watch(settings, 0.05, report, stop)

    assert published == 2
    assert PUBLISHED_LINE.fullmatch(lines[0]), lines
    assert PUBLISHED_LINE.fullmatch(lines[1]), lines
    assert UNCHANGED_LINE.fullmatch(lines[2]), lines
    assert price_of_repair(settings, 2) == Decimal("190.00")
    # Between runs it readied a copy of what is published for the next one.
    assert spares(settings) == [f"{warehouse_version(settings)}.duckdb"]


def test_watch_reports_a_failed_run_and_carries_on(data_dir, monkeypatch):
    ops_path = data_dir / "shop.sqlite"
    settings = settings_for(f"sqlite:///{ops_path}", monkeypatch)
    lines: list[str] = []
    stop = threading.Event()

    def report(line: str) -> None:
        lines.append(line)
        if len(lines) == 1:  # the database shows up after the first run failed
            engine = make_engine(settings.ops_url)
            upgrade_to_head(engine)
            seed_shop(engine, repairs=1)
            engine.dispose()
        else:
            stop.set()

    published = watch(settings, 0.05, report, stop)

    assert published == 1
    assert lines[0].startswith("etl failed: operational database") and "\n" not in lines[0]
    assert PUBLISHED_LINE.fullmatch(lines[1]), lines
    runs, _ = RunLog(data_dir).frames()
    assert runs["status"].to_list() == ["failed", "success"]


def test_watch_reports_a_run_that_could_not_start_and_carries_on(loaded, sqlite_ops_engine):
    run_log = loaded.data_dir / "etl-runs.sqlite"
    run_log.rename(loaded.data_dir / "etl-runs.moved")
    run_log.mkdir()  # the run log cannot be opened: the run fails before it starts
    lines: list[str] = []
    stop = threading.Event()

    def report(line: str) -> None:
        lines.append(line)
        if len(lines) == 1:
            run_log.rmdir()
            (loaded.data_dir / "etl-runs.moved").rename(run_log)
            touch(sqlite_ops_engine, "repairs", 1, final_price_eur=Decimal("170.00"))
        else:
            stop.set()

    assert watch(loaded, 0.05, report, stop) == 1
    assert lines[0].startswith("etl failed: ") and "\n" not in lines[0]
    assert PUBLISHED_LINE.fullmatch(lines[1]), lines
    assert price_of_repair(loaded, 1) == Decimal("170.00")


# ------------------------------------------------------------------------------ the run log


def test_a_run_that_changes_nothing_keeps_no_table_counts(loaded):
    summary = run_etl(loaded)

    runs, counts = RunLog(loaded.data_dir).frames()
    assert runs.height == 2
    assert summary.run_id not in counts["run_id"].to_list()
    assert counts["run_id"].n_unique() == 1  # the first run's


def test_quiet_runs_leave_the_log_after_a_day_and_every_run_after_ninety_days(loaded):
    log = RunLog(loaded.data_dir)
    quiet = run_etl(loaded)
    first = log.frames()[0]["run_id"][0]

    assert log.prune(quiet.started_at + dt.timedelta(hours=23)) == 0
    assert log.prune(quiet.started_at + dt.timedelta(days=2)) == 1
    assert log.frames()[0]["run_id"].to_list() == [first]
    assert log.prune(quiet.started_at + dt.timedelta(days=91)) == 1
    runs, counts = log.frames()
    assert runs.height == 0 and counts.height == 0


# --------------------------------------------------------------------------------------- CLI


def test_watch_and_full_do_not_combine(data_dir):
    result = CliRunner().invoke(app, ["etl", "--watch", "--full"])

    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "--full" in lines[0] and "--watch" in lines[0]
    assert not (data_dir / "warehouse.duckdb").exists()


@pytest.fixture
def watching(data_dir: Path) -> Iterator[subprocess.Popen]:
    """``repairlens etl --watch --interval 1`` on a seeded SQLite shop, stderr piped."""
    ops_url = f"sqlite:///{data_dir / 'ops.sqlite'}"
    engine = make_engine(ops_url)
    upgrade_to_head(engine)
    seed_shop(engine, repairs=2)
    engine.dispose()
    env = os.environ | {"REPAIRLENS_DATA_DIR": str(data_dir), "REPAIRLENS_OPS_DB_URL": ops_url}
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "repairlens"), "etl", "--watch", "--interval", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    yield process
    if process.poll() is None:
        process.kill()
        process.wait(timeout=30)


def lines_of(stream) -> queue.Queue[str | None]:
    """The stream's lines as they come (None at its end), read on a background thread."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def wait_for_a_run_in_progress(data_dir: Path, after: int, timeout: float) -> None:
    """Poll the run log until a run later than the first ``after`` ones is running."""
    log, deadline = RunLog(data_dir), time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs, _ = log.frames()
        if runs.height > after and runs["status"][-1] == "running":
            return
        time.sleep(0.002)
    pytest.fail(f"no run started within {timeout}s")


def test_watch_stops_after_the_run_in_progress_on_sigterm(watching, data_dir):
    lines = lines_of(watching.stderr)
    assert lines.get(timeout=60).startswith("running the ETL every 1s")
    assert PUBLISHED_LINE.fullmatch(lines.get(timeout=120) or "")

    wait_for_a_run_in_progress(data_dir, after=1, timeout=60)
    watching.send_signal(signal.SIGTERM)
    assert watching.wait(timeout=60) == 0

    rest = []
    while (line := lines.get(timeout=10)) is not None:
        rest.append(line)
    assert rest[-1] == "stopped"
    assert UNCHANGED_LINE.fullmatch(rest[-2]), rest  # the run in progress finished first
    runs, _ = RunLog(data_dir).frames()
    assert set(runs["status"]) == {"success"}
