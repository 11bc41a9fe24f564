"""Bookings: the ones customers turned up for (checked_in), the week of future bookings (booked),
and bookings that never became repairs (no_show, cancelled)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from data.generator.slots import SLOT_SECONDS
from data.generator.visits import BOOKING_LEAD_MEAN_DAYS, Simulation
from ops.schema import BOOKING_CHANNELS

# Of all bookings, these shares never become repairs (the rest are checked in or still booked).
NO_SHOW_SHARE = 0.06
CANCELLED_SHARE = 0.08
NEW_CUSTOMER_SHARE_OF_LOST = 0.35  # lost bookings by people who never became customers
LOST_BOOKING_DAY_SPREAD = 14  # days around a real booking that lost bookings are placed
NO_SHOW_UPDATE_DELAY = 15 * 60  # marked no_show 15 minutes after the slot ends
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_DAY = 86_400


@dataclass(frozen=True)
class LostBookings:
    """Bookings that never became repairs, in simulation terms."""

    person: np.ndarray
    store: np.ndarray
    technician: np.ndarray
    slot_start: np.ndarray
    booking_made: np.ndarray
    updated: np.ndarray
    no_show: np.ndarray  # else cancelled
    channel: np.ndarray
    model: np.ndarray  # the device they meant to bring
    device: np.ndarray  # the person's device row, -1 if they never registered one


def lost_bookings(sim: Simulation, rng: np.random.Generator) -> LostBookings:
    """No-shows and cancellations near real bookings; new people among them become customers
    (``sim.persons`` grows) who never had a repair."""
    world, v = sim.world, sim.visits
    booked = np.flatnonzero(v["booked"])
    live = booked.size
    n = round(live * (NO_SHOW_SHARE + CANCELLED_SHARE) / (1 - NO_SHOW_SHARE - CANCELLED_SHARE))
    template = rng.choice(booked, size=n) if live else booked[:0]
    store = v["store"][template]
    day = v["slot_start"][template] // _DAY + rng.integers(
        -LOST_BOOKING_DAY_SPREAD, LOST_BOOKING_DAY_SPREAD + 1, n
    )
    day = np.clip(day, 0, world.window.days - 1)
    day = world.calendar.next_open(store, day * _DAY) // _DAY
    opens = world.calendar.opens[store, np.minimum(day, world.calendar.days - 1)]
    closes = world.calendar.closes[store, np.minimum(day, world.calendar.days - 1)]
    slots = np.maximum((closes - opens) // SLOT_SECONDS, 1)
    slot_start = opens + rng.integers(0, slots) * SLOT_SECONDS
    lead = (rng.exponential(BOOKING_LEAD_MEAN_DAYS, n) * _DAY).astype(np.int64) + 3600
    booking_made = slot_start - lead
    no_show = rng.random(n) < NO_SHOW_SHARE / (NO_SHOW_SHARE + CANCELLED_SHARE)
    cancelled_at = booking_made + (rng.random(n) * lead).astype(np.int64)
    updated = np.where(no_show, slot_start + SLOT_SECONDS + NO_SHOW_UPDATE_DELAY, cancelled_at)
    # Only what is settled by the end of the history: later ones would still be live bookings.
    keep = (day < world.window.days) & (updated < world.end_seconds)
    template, store, day, slot_start = template[keep], store[keep], day[keep], slot_start[keep]
    booking_made, updated, no_show = booking_made[keep], updated[keep], no_show[keep]
    n = template.size

    person = _existing_people(sim, rng, store, booking_made)
    person = np.where(rng.random(n) < NEW_CUSTOMER_SHARE_OF_LOST, -1, person)
    newcomers = person < 0
    person[newcomers] = sim.persons.append(
        home_store=store[newcomers], first_contact=booking_made[newcomers]
    )
    device = _first_device_per_person(sim)[person]  # -1 for the newcomers
    model = np.where(
        device >= 0, sim.device_rows["model"][np.maximum(device, 0)], v["model"][template]
    )
    return LostBookings(
        person=person,
        store=store,
        technician=world.staff.pick(rng, store, day),
        slot_start=slot_start,
        booking_made=booking_made,
        updated=updated,
        no_show=no_show,
        channel=v["channel"][template],
        model=model,
        device=device,
    )


def _existing_people(
    sim: Simulation, rng: np.random.Generator, store: np.ndarray, before: np.ndarray
) -> np.ndarray:
    """A random person of ``store`` who had registered before ``before`` (-1 if none)."""
    home = sim.persons["home_store"]
    since = sim.persons["first_contact"]
    person = np.full(store.size, -1)
    for s in np.unique(store):
        members = np.flatnonzero(home == s)
        members = members[np.argsort(since[members], kind="stable")]
        rows = np.flatnonzero(store == s)
        available = np.searchsorted(since[members], before[rows])
        pick = (rng.random(rows.size) * available).astype(np.int64)
        person[rows] = np.where(available > 0, members[np.minimum(pick, members.size - 1)], -1)
    return person


def _first_device_per_person(sim: Simulation) -> np.ndarray:
    v = sim.visits
    first = np.flatnonzero(v["visit_number"] == 0)
    device = np.full(sim.persons.size, -1)
    device[v["person"][first]] = v["device"][first]
    return device


def references(ids: np.ndarray, seed: int) -> pl.Series:
    """Unique, unguessable booking references ("RL-7K2M9QX") from booking ids: the id is
    scrambled by a bijection on 32-bit integers and written in base 32."""
    scrambled = (ids.astype(np.uint64) * np.uint64(2_654_435_761) + np.uint64(seed)) % np.uint64(
        1 << 32
    )
    scrambled ^= np.uint64((seed * 0x9E3779B1) & 0xFFFFFFFF)
    alphabet = np.frombuffer(REFERENCE_ALPHABET.encode(), dtype=np.uint8)
    characters = np.empty((ids.size, 10), np.uint8)
    characters[:, :3] = np.frombuffer(b"RL-", np.uint8)
    for position in range(7):
        characters[:, 9 - position] = alphabet[
            (scrambled >> np.uint64(5 * position)) & np.uint64(31)
        ]
    return pl.Series(np.ascontiguousarray(characters).view("S10").ravel()).cast(pl.String)


def channel_names(codes: np.ndarray) -> pl.Series:
    return pl.Series(BOOKING_CHANNELS, dtype=pl.String).gather(codes.astype(np.int64))
