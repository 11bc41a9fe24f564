"""The SQLite files beside the warehouse: many processes may create and write one at once."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

from core import sidestore

SCHEMA = "CREATE TABLE IF NOT EXISTS marks (who TEXT NOT NULL);"


def _create_and_write(path: str) -> str | None:
    try:
        connection = sidestore.connect(Path(path), SCHEMA)
        with sidestore.write_transaction(connection):
            connection.execute("INSERT INTO marks VALUES ('x')")
        connection.close()
    except sqlite3.Error as error:
        return str(error)
    return None


def test_processes_racing_to_create_new_files_all_succeed(tmp_path: Path):
    # The race is narrow (a WAL switch meeting another process's schema creation), so it is
    # run on many fresh files at once.
    paths = [str(tmp_path / f"side-{n}.sqlite") for n in range(20)]
    with multiprocessing.get_context("fork").Pool(8) as pool:
        errors = [e for path in paths for e in pool.map(_create_and_write, [path] * 8) if e]
    assert errors == []
    reader = sidestore.connect(Path(paths[0]))
    assert reader.execute("SELECT COUNT(*) FROM marks").fetchone()[0] == 8
    assert reader.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_failed_write_transaction_leaves_nothing_behind(tmp_path: Path):
    connection = sidestore.connect(tmp_path / "side.sqlite", SCHEMA)
    try:
        with sidestore.write_transaction(connection):
            connection.execute("INSERT INTO marks VALUES ('ann')")
            raise RuntimeError("interrupted")
    except RuntimeError:
        pass
    assert connection.execute("SELECT COUNT(*) FROM marks").fetchone()[0] == 0
