"""The one error the forecasting engine raises for input it cannot use."""

from __future__ import annotations

from models.errors import ModelInputError


class ForecastInputError(ModelInputError):
    """Input the forecasting engine cannot use; the message is one line saying what to fix."""
