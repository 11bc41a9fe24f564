"""The warehouse stays usable while the ETL runs, and a killed ETL leaves it intact.

The publish mechanism does not depend on the ops engine, so these run on SQLite only.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from core.db import make_engine
from core.settings import Settings
from ops.migrate import upgrade_to_head
from pipelines.run import run_etl
from pipelines.runlog import INTERRUPTED, RunLog
from tests.factories import insert, repair_row, seed_shop, settings_for, status_event_rows
from warehouse.publish import work_dir
from warehouse.reader import connect_read_only, warehouse_version

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def shop(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Settings, Engine]]:
    settings = settings_for(f"sqlite:///{data_dir / 'ops.sqlite'}", monkeypatch)
    engine = make_engine(settings.ops_url)
    upgrade_to_head(engine)
    seed_shop(engine, repairs=3)
    yield settings, engine
    engine.dispose()


def add_repair(engine: Engine, repair_id: int) -> None:
    row = repair_row(repair_id)
    insert(engine, "repairs", [row])
    insert(
        engine,
        "repair_status_events",
        status_event_rows(repair_id, repair_id * 10, row["received_at"]),
    )


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.pipelines.subprocesses", *args],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_readers_in_another_process_see_whole_versions_during_etl(shop, tmp_path):
    settings, engine = shop
    run_etl(settings)
    stop = tmp_path / "stop-reading"
    reader = start("read", str(stop))
    published_counts = {3}
    try:
        for repair_id in range(100, 103):
            add_repair(engine, repair_id)
            run_etl(settings)
            published_counts.add(repair_id - 96)
    finally:
        stop.touch()
        output, _ = reader.communicate(timeout=60)

    assert reader.returncode == 0, output
    reads = [line.split() for line in output.splitlines()]
    assert len(reads) > 10
    assert {int(repairs) for _version, repairs, _events, _runs in reads} <= published_counts
    assert len({version for version, *_ in reads}) >= 2  # it noticed new versions


def test_a_killed_etl_leaves_the_published_warehouse_and_the_next_run_succeeds(shop):
    settings, engine = shop
    run_etl(settings)
    before = digest(settings.warehouse_path)
    add_repair(engine, 100)

    etl = start("etl", "stg_repairs")
    for line in etl.stdout:
        if line.startswith("stg_repairs"):  # mid-run: staging half done, marts not started
            os.kill(etl.pid, signal.SIGKILL)
            break
    etl.wait(timeout=30)

    assert etl.returncode == -signal.SIGKILL
    assert digest(settings.warehouse_path) == before
    assert list(work_dir(settings).iterdir())  # its private copy is left behind...

    messages: list[str] = []
    summary = run_etl(settings, progress=messages.append)

    assert summary.status == "success"
    assert any(m.startswith("removed") for m in messages)  # ...and cleaned by the next run
    assert not list(work_dir(settings).iterdir())
    with connect_read_only(settings) as con:
        assert con.execute("SELECT count(*) FROM fct_repairs").fetchall() == [(4,)]
    runs, _ = RunLog(settings.data_dir).frames()
    assert runs["status"].to_list() == ["success", "failed", "success"]
    assert runs["error"].to_list()[1] == INTERRUPTED


def test_a_reader_connection_keeps_its_version_until_it_reopens(shop):
    settings, engine = shop
    run_etl(settings)
    first_version = warehouse_version(settings)
    old = connect_read_only(settings)
    add_repair(engine, 100)
    run_etl(settings)
    try:
        assert warehouse_version(settings) != first_version
        assert old.execute("SELECT count(*) FROM fct_repairs").fetchall() == [(3,)]
        with connect_read_only(settings) as new:
            assert new.execute("SELECT count(*) FROM fct_repairs").fetchall() == [(4,)]
    finally:
        old.close()
