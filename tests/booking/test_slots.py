"""Slot arithmetic: opening hours, store time zones, technician capacity and existing bookings."""

from __future__ import annotations

import datetime as dt
import json

from booking.slots import TechnicianShift, available_slots, daily_capacity, slot_starts

WEEKDAY_HOURS = json.dumps({d: ["09:00", "11:00"] for d in ("mon", "tue", "wed", "thu", "fri")})
MONDAY = dt.date(2030, 1, 7)
EARLY = dt.datetime(2030, 1, 1)


def _tech(tech_id: int, weekly_hours: int = 40, **dates) -> TechnicianShift:
    return TechnicianShift(
        tech_id, weekly_hours, dates.get("hired_on", dt.date(2020, 1, 1)), dates.get("left_on")
    )


def _starts(slots) -> list[str]:
    return [f"{s.start_at:%H:%M}" for s in slots]


def test_slots_are_store_local_hours_stored_as_utc():
    hours = {"mon": (dt.time(9), dt.time(10))}
    assert [f"{s:%H:%M}" for s in slot_starts(hours, "Europe/Berlin", MONDAY)] == ["08:00", "08:30"]


def test_a_closed_day_has_no_slots():
    sunday = MONDAY - dt.timedelta(days=1)
    assert available_slots(WEEKDAY_HOURS, "UTC", sunday, [_tech(1)], [], EARLY) == []


def test_a_slot_booked_by_every_technician_is_not_offered():
    nine = dt.datetime(2030, 1, 7, 9)
    slots = available_slots(WEEKDAY_HOURS, "UTC", MONDAY, [_tech(1)], [(1, nine)], EARLY)
    assert _starts(slots) == ["09:30", "10:00", "10:30"]


def test_the_least_booked_technician_is_offered_first():
    nine = dt.datetime(2030, 1, 7, 9)
    slots = available_slots(WEEKDAY_HOURS, "UTC", MONDAY, [_tech(1), _tech(2)], [(1, nine)], EARLY)
    assert slots[0].technician_ids == (2,)
    assert slots[1].technician_ids == (2, 1)


def test_a_technician_at_daily_capacity_takes_no_more_bookings():
    # 5 hours a week over 5 open days: one hour, two slots a day.
    assert daily_capacity(5, 5) == 2
    taken = [(1, dt.datetime(2030, 1, 7, 9)), (1, dt.datetime(2030, 1, 7, 9, 30))]
    assert available_slots(WEEKDAY_HOURS, "UTC", MONDAY, [_tech(1, 5)], taken, EARLY) == []


def test_technicians_who_left_or_have_not_started_offer_nothing():
    gone = _tech(1, left_on=dt.date(2029, 12, 31))
    future = _tech(2, hired_on=dt.date(2030, 2, 1))
    assert available_slots(WEEKDAY_HOURS, "UTC", MONDAY, [gone, future], [], EARLY) == []


def test_slots_before_the_notice_period_are_not_offered():
    not_before = dt.datetime(2030, 1, 7, 10)
    slots = available_slots(WEEKDAY_HOURS, "UTC", MONDAY, [_tech(1)], [], not_before)
    assert _starts(slots) == ["10:00", "10:30"]
