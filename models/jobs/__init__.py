"""Background training jobs: one process per job, progress in a store that any process can read.

See :mod:`models.jobs.runner` (start, cancel, wait) and :mod:`models.jobs.store` (the job table,
its log and the stale-job check).
"""

from models.jobs.parameters import JobInputError, check_window, validate_parameters
from models.jobs.runner import cancel_job, follow_job, start_job, wait_for_job
from models.jobs.store import (
    Job,
    JobConflictError,
    JobError,
    LogLine,
    get_job,
    list_jobs,
    log_lines,
    running_job,
)

__all__ = [
    "Job",
    "JobConflictError",
    "JobError",
    "JobInputError",
    "LogLine",
    "cancel_job",
    "check_window",
    "follow_job",
    "get_job",
    "list_jobs",
    "log_lines",
    "running_job",
    "start_job",
    "validate_parameters",
    "wait_for_job",
]
