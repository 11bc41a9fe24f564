"""The one error type the ETL raises for problems a user can fix."""

from __future__ import annotations


class EtlError(RuntimeError):
    """The ETL cannot run or did not publish; ``str(error)`` is one line: what, and what to run."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))
