"""The files behind the published warehouse: private working copies, atomic publish, old versions.

Layout in the data directory::

    warehouse.duckdb                  the published version readers open (never written in place)
    .warehouse-work/<run>.duckdb      the ETL's private copy while it runs (removed at the end, or
                                      at the next start if the run was killed)
    warehouse-versions/<stamp>.duckdb the previously published versions, ``warehouse_keep_versions``
                                      of them, hard links so keeping them costs no copying
    .warehouse-spare/<version>.duckdb a copy of the published version made ahead of the next run
                                      (``repairlens etl --watch`` makes one while it waits; a run
                                      that changed nothing leaves its copy as one), so that run
                                      starts without copying; named by the version it copies, so
                                      a copy of a replaced version is never used

Only the ETL calls the writing functions here; all but :func:`prepare_spare` only while it holds
the ETL lock. A spare is made without the lock (a run may start meanwhile), so it is written under
a temporary name and renamed into place only once complete and on disk.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import threading
from pathlib import Path

from core.settings import Settings
from warehouse.reader import file_version, warehouse_version


def work_dir(settings: Settings) -> Path:
    return settings.data_dir / ".warehouse-work"


def versions_dir(settings: Settings) -> Path:
    return settings.data_dir / "warehouse-versions"


def remove_stale_work_files(settings: Settings) -> list[Path]:
    """Delete the working copies left by runs that were killed; returns what was removed."""
    directory = work_dir(settings)
    if not directory.exists():
        return []
    stale = sorted(directory.iterdir())
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def spare_dir(settings: Settings) -> Path:
    return settings.data_dir / ".warehouse-spare"


def private_copy(settings: Settings, run_id: str, fresh: bool) -> Path:
    """A working copy for ``run_id``: empty when ``fresh``, else the spare copy of the published
    file if one is ready, or a new copy of it."""
    directory = work_dir(settings)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{run_id}.duckdb"
    if not fresh and not _take_spare(settings, path):
        shutil.copyfile(settings.warehouse_path, path)
        _start_writeback(path)
    return path


def prepare_spare(settings: Settings) -> Path | None:
    """Copy the published warehouse ahead of the next run; the spare's path, or None when there
    is nothing published or the copy lost a race with a run (which then copies for itself)."""
    directory = spare_dir(settings)
    try:
        with open(settings.warehouse_path, "rb") as published:
            # Named by the version of the file actually opened, even if a publish renames
            # another file over the path meanwhile.
            spare = directory / f"{file_version(os.fstat(published.fileno()))}.duckdb"
            if spare.exists():
                return spare
            discard_spares(settings)
            directory.mkdir(parents=True, exist_ok=True)
            partial = directory / f".{spare.stem}.{os.getpid()}.partial"
            with open(partial, "wb") as copy:
                shutil.copyfileobj(published, copy, 16 * 2**20)
                copy.flush()
                os.fsync(copy.fileno())
        os.replace(partial, spare)
        _fsync(directory)
    except FileNotFoundError:
        return None
    return spare


def _take_spare(settings: Settings, path: Path) -> bool:
    """Move the spare of the published version to ``path``; False when there is none."""
    version = warehouse_version(settings)
    try:
        os.replace(spare_dir(settings) / f"{version}.duckdb", path)
    except FileNotFoundError:
        return False
    return True


def keep_as_spare(settings: Settings, path: Path, version: str | None) -> None:
    """Make the closed working copy of a run that changed nothing the spare of ``version``, the
    published version it was copied from. It equals that version but for the run's watermarks,
    which moved only past rows found identical, so a run can start from it just as well."""
    discard_spares(settings)
    if version is None or version != warehouse_version(settings):
        return  # the published file was replaced meanwhile (by hand): the copy is of no use
    directory = spare_dir(settings)
    directory.mkdir(parents=True, exist_ok=True)
    os.replace(path, directory / f"{version}.duckdb")


def discard_spares(settings: Settings) -> None:
    """Delete every spare copy and partial one (a run that publishes makes them all stale)."""
    directory = spare_dir(settings)
    if directory.exists():
        for leftover in directory.iterdir():
            leftover.unlink(missing_ok=True)


def _start_writeback(path: Path) -> None:
    """Flush the fresh copy to disk in the background while the run works on it, so the fsync
    before publishing is left with little more than the run's own changes (the whole copy took
    ~0.4 s of an incremental run on the 1M-repair history otherwise)."""
    fd = os.open(path, os.O_RDONLY)
    threading.Thread(target=_fsync_and_close, args=(fd,), daemon=True).start()


def discard(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)


def publish(settings: Settings, private_path: Path, prune: bool = True) -> None:
    """Make ``private_path`` (checkpointed and closed) the published warehouse, atomically.

    The previous version stays readable for connections already open on it (they hold its inode)
    and is kept under ``warehouse-versions/`` for ``warehouse_keep_versions`` publishes; older ones
    are deleted unless ``prune`` is False (deleting a large file takes a while: a caller may
    rather do it after).
    """
    published = settings.warehouse_path
    if published.exists():
        archive = versions_dir(settings)
        archive.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        os.link(published, archive / f"warehouse-{stamp}.duckdb")
    _fsync(private_path)
    os.replace(private_path, published)
    _fsync(published.parent)
    discard_spares(settings)
    if prune:
        prune_versions(settings)


def prune_versions(settings: Settings) -> None:
    """Delete the archived versions beyond the newest ``warehouse_keep_versions``."""
    if not versions_dir(settings).exists():
        return
    kept = sorted(versions_dir(settings).glob("warehouse-*.duckdb"))
    for old in kept[: max(0, len(kept) - settings.warehouse_keep_versions)]:
        old.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    # A rename is only durable once the renamed file's data and the directory entry are on disk.
    _fsync_and_close(os.open(path, os.O_RDONLY))


def _fsync_and_close(fd: int) -> None:
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
