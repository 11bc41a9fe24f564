"""Booking slots: 30-minute slots within opening hours, at most one live booking per technician
and slot (the partial unique index ``uq_bookings_technician_slot``)."""

from __future__ import annotations

import numpy as np

from data.generator.calendar import OpeningCalendar
from data.generator.technicians import Staff

SLOT_SECONDS = 1800
SLOTS_PER_DAY = 86_400 // SLOT_SECONDS
_ATTEMPTS = 8  # a booking that finds no free slot after this many tries becomes a walk-in


class SlotBook:
    """Which (technician, slot) pairs hold a live booking."""

    def __init__(self, n_technicians: int, n_days: int) -> None:
        self._slots_per_tech = n_days * SLOTS_PER_DAY
        self._taken = np.zeros(n_technicians * self._slots_per_tech, dtype=bool)

    def reserve(
        self,
        rng: np.random.Generator,
        calendar: OpeningCalendar,
        staff: Staff,
        store: np.ndarray,
        day: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """A free slot start (local seconds) and technician per request; -1 where none was found."""
        n = len(store)
        slot_start, technician = np.full(n, -1, np.int64), np.full(n, -1, np.int64)
        opens = calendar.opens[store, day]
        slots = np.maximum((calendar.closes[store, day] - opens) // SLOT_SECONDS, 1)
        todo = np.arange(n)
        for _ in range(_ATTEMPTS):
            if todo.size == 0:
                break
            start = opens[todo] + rng.integers(0, slots[todo]) * SLOT_SECONDS
            tech = staff.pick(rng, store[todo], day[todo])
            key = np.maximum(tech, 0) * self._slots_per_tech + start // SLOT_SECONDS
            first = np.zeros(todo.size, dtype=bool)
            first[np.unique(key, return_index=True)[1]] = True
            ok = first & (tech >= 0) & ~self._taken[key]
            self._taken[key[ok]] = True
            slot_start[todo[ok]], technician[todo[ok]] = start[ok], tech[ok]
            todo = todo[~ok]
        return slot_start, technician
