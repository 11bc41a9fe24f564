"""The SQLite files beside the warehouse: many processes may create and write one at once."""

from __future__ import annotations

import threading
from pathlib import Path

from core import sidestore

SCHEMA = "CREATE TABLE IF NOT EXISTS marks (who TEXT NOT NULL);"


def test_connections_racing_to_create_a_new_file_all_succeed(tmp_path: Path):
    path, barrier, errors = tmp_path / "side.sqlite", threading.Barrier(16), []

    def create_and_write(who: int) -> None:
        barrier.wait()
        try:
            connection = sidestore.connect(path, SCHEMA)
            with sidestore.write_transaction(connection):
                connection.execute("INSERT INTO marks VALUES (?)", (str(who),))
            connection.close()
        except Exception as error:  # collected: a thread's exception would be lost
            errors.append(error)

    threads = [threading.Thread(target=create_and_write, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    reader = sidestore.connect(path)
    assert reader.execute("SELECT COUNT(*) FROM marks").fetchone()[0] == 16
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
