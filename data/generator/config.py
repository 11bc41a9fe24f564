"""What the caller chooses (``GeneratorConfig``) and the calendar window it resolves to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

FUTURE_BOOKING_DAYS = 7  # bookings already made for the week after end_date


@dataclass(frozen=True)
class GeneratorConfig:
    """How much history to generate; the same config (including end_date) writes the same rows."""

    stores: int = 4
    years: float = 3.0
    seed: int = 42
    repairs: int | None = None  # when set, size the history to about this many repairs
    end_date: dt.date | None = None  # default: today (UTC); history ends here

    def __post_init__(self) -> None:
        if self.stores < 1:
            raise ValueError(f"stores must be at least 1, got {self.stores}")
        if not 0.1 <= self.years <= 20:
            raise ValueError(f"years must be between 0.1 and 20, got {self.years}")
        if self.repairs is not None and self.repairs < 100:
            raise ValueError(f"repairs must be at least 100 when set, got {self.repairs}")


@dataclass(frozen=True)
class HistoryWindow:
    """The simulated days: day 0 is ``start``; ``end`` is the last day of recorded history.

    Times inside the simulation are whole seconds of store-local wall-clock time since ``start``
    at midnight; they are converted to naive UTC only when the tables are built.
    """

    start: dt.date
    end: dt.date

    @classmethod
    def for_config(cls, config: GeneratorConfig) -> HistoryWindow:
        end = config.end_date or dt.datetime.now(dt.UTC).date()
        days = max(1, round(config.years * 365.25))
        return cls(start=end - dt.timedelta(days=days - 1), end=end)

    @property
    def days(self) -> int:
        """Days of recorded history, ``start`` to ``end`` inclusive."""
        return (self.end - self.start).days + 1

    @property
    def calendar_days(self) -> int:
        """Days the calendar covers: the history plus the week of future bookings."""
        return self.days + FUTURE_BOOKING_DAYS

    @property
    def end_seconds(self) -> int:
        """Local seconds at which recording stops (midnight after ``end``)."""
        return self.days * 86_400

    @property
    def first_weekday(self) -> int:
        """Weekday of day 0 (Monday = 0)."""
        return self.start.weekday()

    def date_of(self, day: int) -> dt.date:
        return self.start + dt.timedelta(days=int(day))

    def day_of(self, date: dt.date) -> int:
        return (date - self.start).days
