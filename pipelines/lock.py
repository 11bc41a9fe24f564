"""Only one ETL at a time: an exclusive ``flock`` on a file in the data directory.

The kernel releases the lock when the holding process exits, however it exits, so a killed run
never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipelines.errors import EtlError


@contextmanager
def etl_lock(data_dir: Path) -> Iterator[None]:
    """Hold the ETL lock for the ``with`` block; :class:`EtlError` if another run holds it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "etl.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise EtlError(
                f"another ETL run (pid {holder}) is in progress on {data_dir}: "
                "wait for it to finish, then run `repairlens etl` again"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
