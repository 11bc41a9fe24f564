"""The one error family the CLV models raise for input they cannot use."""

from __future__ import annotations

from models.errors import ModelInputError


class ClvInputError(ModelInputError):
    """Input the CLV models cannot use; the message is one line saying what to fix."""


class ClvFitError(ClvInputError):
    """Maximum likelihood found no usable optimum for this data.

    A subclass of :class:`ClvInputError` because the cause is nearly always the data (too few
    repeat customers, too short a calibration period, no variation), and callers that turn input
    errors into one-line messages should treat it the same way.
    """
