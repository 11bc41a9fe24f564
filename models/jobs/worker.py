"""The process that runs one training job: ``python -m models.jobs.worker JOB_ID``.

It reads what to train from the job store, runs ``Family.train`` with a progress callback that
appends to the job's log, and records the outcome. Cancellation arrives as SIGTERM to the job's
process group; it is turned into an exception so that open registry transactions roll back and
staged artifacts are removed on the way out.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from types import FrameType

from core.errors import first_line
from core.settings import Settings
from models.jobs import store


class JobCancelled(BaseException):
    """Raised in the worker by SIGTERM; a BaseException so training code cannot swallow it."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise JobCancelled


def run(job_id: str, settings: Settings) -> int:
    """Run the job and record its outcome; the exit status is 0 only when it succeeded."""
    from models.training import Family

    signal.signal(signal.SIGTERM, _on_sigterm)
    store.set_pid(settings, job_id, os.getpid())
    job = store.get_job(settings, job_id)
    family = Family(**job.family)

    def progress(line: str) -> None:
        store.append_log(settings, job_id, line)

    try:
        progress(f"training {job.kind} started by {job.started_by}")
        entry = family.train(
            settings,
            job.window,
            promote=job.promote,
            started_by=job.started_by,
            parameters=job.parameters,
            progress=progress,
        )
        summary = family.describe(entry)
        progress(summary)
        store.finish_job(
            settings, job_id, "succeeded", entry_version=entry.version, summary=summary
        )
        return 0
    except JobCancelled:
        store.finish_job(settings, job_id, "cancelled", error="cancelled")
        return 1
    except BaseException as error:  # the job's record is the only place a user will look
        traceback.print_exc()
        message = first_line(error)
        progress(f"error: {message}")
        store.finish_job(settings, job_id, "failed", error=message)
        return 1


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m models.jobs.worker JOB_ID", file=sys.stderr)
        return 2
    # The launcher passes the data directory and database URL it used in the environment.
    return run(argv[0], Settings())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
