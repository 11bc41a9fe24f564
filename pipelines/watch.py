"""``repairlens etl --watch``: keep the warehouse in step with the operational database.

One long-lived process runs an incremental ETL every ``interval`` seconds (start to start). While
it waits it deletes old versions and copies the published warehouse to a spare
(``warehouse/publish.py``), so the next run starts from that copy instead of making one; its
imports and caches stay warm: a run costs what the changes cost. A run that finds nothing to
change publishes nothing, so readers keep their version and their caches. A failed run (database
down, a data check failing) is reported and the next tick tries again; as for any run, the
published warehouse stays as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import suppress
from threading import Event

from core.errors import first_line
from core.settings import Settings
from pipelines.errors import EtlError
from pipelines.run import EtlRunSummary, run_etl
from warehouse import publish

Report = Callable[[str], None]


def watch(settings: Settings, interval: float, report: Report, stop: Event) -> int:
    """Run the ETL every ``interval`` seconds until ``stop`` is set; how many runs published.

    A run in progress when ``stop`` is set finishes first.
    """
    published = 0
    while not stop.is_set():
        started = time.monotonic()
        try:
            summary = run_etl(settings, prune=False)
        except EtlError as error:
            report(f"etl failed: {error}")
        except Exception as error:  # before the run could start: the run log, the lock file
            report(f"etl failed: {first_line(error)}")
        else:
            published += summary.published
            report(run_line(summary))
        _tidy(settings, report)
        stop.wait(max(0.0, started + interval - time.monotonic()))
    return published


def run_line(summary: EtlRunSummary) -> str:
    """One line about a successful run, for the watch's output."""
    if not summary.published:
        return f"etl run {summary.run_id}: nothing changed ({summary.duration_s:.1f}s)"
    return (
        f"etl run {summary.run_id}: published {summary.rows_written:,} changed rows "
        f"({summary.duration_s:.1f}s)"
    )


def _tidy(settings: Settings, report: Report) -> None:
    """Between runs: delete old versions, then copy the published warehouse for the next run."""
    try:
        publish.prune_versions(settings)
        publish.prepare_spare(settings)
    except OSError as error:  # a full disk, say: the next run copies for itself
        report(f"could not prepare a copy of the warehouse for the next run: {error}")
        with suppress(OSError):
            publish.discard_spares(settings)
