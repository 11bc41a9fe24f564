"""Which booking slots a store can honour on a day: pure functions, no database.

A slot is 30 minutes inside the store's opening hours (store-local time; stored as naive UTC).
A technician can take a booking in a slot when they are employed that day, hold no live booking in
that slot, and have booked fewer slots that day than their daily capacity: their weekly hours
spread over the store's open days. The same function answers the slot search and picks the
technician for a new booking, so a slot that is offered can be booked.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

SLOT_MINUTES = 30
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class TechnicianShift:
    technician_id: int
    weekly_hours: int
    hired_on: dt.date
    left_on: dt.date | None

    def works_on(self, day: dt.date) -> bool:
        return self.hired_on <= day and (self.left_on is None or day <= self.left_on)


@dataclass(frozen=True)
class Slot:
    start_at: dt.datetime  # naive UTC
    end_at: dt.datetime
    technician_ids: tuple[int, ...]  # who could take it, best choice first


def parse_opening_hours(text: str) -> dict[str, tuple[dt.time, dt.time] | None]:
    """``{"mon": ["09:00", "18:00"], "sun": null}`` → weekday → (opens, closes) or None; days
    missing from the text count as closed."""
    raw = json.loads(text or "{}")
    hours: dict[str, tuple[dt.time, dt.time] | None] = {}
    for day in WEEKDAYS:
        window = raw.get(day)
        if not window:
            hours[day] = None
            continue
        opens, closes = (dt.time.fromisoformat(value) for value in window)
        hours[day] = (opens, closes) if closes > opens else None
    return hours


def daily_capacity(weekly_hours: int, open_days: int) -> int:
    """Slots a technician can take in a day: weekly hours over the open days, at least one."""
    per_day_minutes = weekly_hours * 60 / max(open_days, 1)
    return max(1, math.floor(per_day_minutes / SLOT_MINUTES))


def slot_starts(
    hours: dict[str, tuple[dt.time, dt.time] | None], timezone: str, day: dt.date
) -> list[dt.datetime]:
    """Naive-UTC starts of the slots that fit entirely within the day's opening hours."""
    window = hours[WEEKDAYS[day.weekday()]]
    if window is None:
        return []
    zone = ZoneInfo(timezone)
    opens = dt.datetime.combine(day, window[0], zone)
    closes = dt.datetime.combine(day, window[1], zone)
    step = dt.timedelta(minutes=SLOT_MINUTES)
    starts = []
    start = opens
    while start + step <= closes:
        starts.append(start.astimezone(dt.UTC).replace(tzinfo=None))
        start += step
    return starts


def day_bounds_utc(timezone: str, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The store-local day as a naive-UTC half-open interval."""
    zone = ZoneInfo(timezone)
    start = dt.datetime.combine(day, dt.time(0), zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), zone)
    return (
        start.astimezone(dt.UTC).replace(tzinfo=None),
        end.astimezone(dt.UTC).replace(tzinfo=None),
    )


def available_slots(
    opening_hours: str,
    timezone: str,
    day: dt.date,
    technicians: list[TechnicianShift],
    live_bookings: list[tuple[int | None, dt.datetime]],
    not_before: dt.datetime,
) -> list[Slot]:
    """The slots of ``day`` starting at or after ``not_before`` (naive UTC) that at least one
    technician can take, given the day's live bookings as (technician id, slot start) pairs.

    Technicians are ranked least-booked first (then by id), which spreads the day's work.
    """
    hours = parse_opening_hours(opening_hours)
    open_days = sum(1 for window in hours.values() if window is not None)
    working = [t for t in technicians if t.works_on(day)]
    capacity = {t.technician_id: daily_capacity(t.weekly_hours, open_days) for t in working}
    booked_count = Counter(tech for tech, _ in live_bookings if tech is not None)
    taken = {(tech, start) for tech, start in live_bookings}
    step = dt.timedelta(minutes=SLOT_MINUTES)
    slots = []
    for start in slot_starts(hours, timezone, day):
        if start < not_before:
            continue
        free = sorted(
            (
                tech
                for tech in capacity
                if (tech, start) not in taken and booked_count[tech] < capacity[tech]
            ),
            key=lambda tech: (booked_count[tech], tech),
        )
        if free:
            slots.append(Slot(start, start + step, tuple(free)))
    return slots
