"""Technicians: 3+ positions per store, skill levels, turnover, and the traits that make them differ
(speed, rework propensity, effect on customer satisfaction)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from data.generator.calendar import OpeningCalendar
from data.generator.config import HistoryWindow
from data.generator.stores import Stores
from ops.schema import SKILL_LEVELS

SKILL_MIX = (0.4, 0.4, 0.2)  # junior, senior, expert
# Per skill level: mean time factor (1.0 = price-list labour minutes), rework probability per
# repair, and the shift in customer satisfaction (CSAT points).
SPEED_FACTOR = (1.25, 1.0, 0.85)
REWORK_RATE = (0.060, 0.035, 0.020)
CSAT_EFFECT = (-0.15, 0.0, 0.15)
# Individual spread around the skill level.
SPEED_SPREAD = 0.10  # lognormal sigma
REWORK_SPREAD = 0.25  # lognormal sigma
CSAT_SPREAD = 0.25  # normal sd
WEEKLY_HOURS = ((40, 0.6), (32, 0.2), (24, 0.12), (20, 0.08))
MEAN_TENURE_YEARS = 3.5
REPLACEMENT_GAP_DAYS = (10, 40)
REPAIRS_PER_TECHNICIAN_DAY = 7.0  # sizes the team: one position per this many repairs a day
MIN_POSITIONS = 3

_FIRST_NAMES = (
    "Lukas", "Anna", "Jonas", "Sofia", "Mateo", "Emma", "Noah", "Lea", "Elias", "Mia", "Luca",
    "Sara", "Finn", "Julia", "Hugo", "Nora", "Milan", "Eva", "Oskar", "Ines", "Tomas", "Clara",
    "Jan", "Marta", "Pablo", "Alba", "Leon", "Ida", "Marco", "Freya", "Emil", "Zoe",
)  # fmt: skip
_LAST_NAMES = (
    "Müller", "de Vries", "García", "Rossi", "Novak", "Jensen", "Schmidt", "Martin", "Silva",
    "Kowalski", "Bauer", "Peeters", "Lindqvist", "Dubois", "Costa", "Horvat", "Weber", "Janssen",
    "Moreno", "Ricci", "Nielsen", "Fischer", "Virtanen", "Murphy", "Nagy", "Svoboda",
)  # fmt: skip


@dataclass(frozen=True)
class Staff:
    """All technicians (index ``t`` is technicians.id ``t + 1``) and who works where when."""

    frame: pl.DataFrame
    store: np.ndarray  # [tech]
    speed: np.ndarray  # [tech] multiplies labour and diagnosis time
    rework_rate: np.ndarray  # [tech] probability a repair by this tech comes back as rework
    csat_effect: np.ndarray  # [tech] satisfaction shift
    hired_day: np.ndarray  # [tech]
    left_day: np.ndarray  # [tech] first day no longer employed (beyond the calendar if never)
    weekly_hours: np.ndarray  # [tech]
    roster: np.ndarray  # [store, day, position] tech index or -1 for a vacancy
    capacity: np.ndarray  # [store, day] full-time equivalents on the payroll

    def pick(self, rng: np.random.Generator, store: np.ndarray, day: np.ndarray) -> np.ndarray:
        """A technician on the payroll of ``store`` on ``day``, chosen in proportion to hours."""
        techs = self.roster[store, np.clip(day, 0, self.roster.shape[1] - 1)]
        hours = np.where(techs >= 0, self.weekly_hours[np.maximum(techs, 0)], 0).astype(float)
        cumulative = np.cumsum(hours, axis=1)
        draw = rng.random((len(store), 1)) * cumulative[:, -1:]
        position = np.minimum((cumulative <= draw).sum(axis=1), techs.shape[1] - 1)
        return techs[np.arange(len(store)), position]


def positions_per_store(expected_daily_repairs: np.ndarray) -> np.ndarray:
    """How many technician positions each store has, from its mean expected repairs per open day."""
    return np.maximum(MIN_POSITIONS, np.round(expected_daily_repairs / REPAIRS_PER_TECHNICIAN_DAY))


def make_staff(
    rng: np.random.Generator,
    stores: Stores,
    calendar: OpeningCalendar,
    window: HistoryWindow,
    positions: np.ndarray,
) -> Staff:
    """Hire a team per store before it opens; people leave after ~3.5 years and are replaced."""
    n_days = calendar.days
    rows: list[tuple[int, int, int, int, int]] = []  # store, position, hired_day, left_day, level
    for s in range(stores.count):
        opened = int(stores.opened_day[s])
        for position in range(int(positions[s])):
            # The first store's team was hired before the history; others shortly before opening.
            hired = opened - int(rng.integers(30, 900) if s == 0 else rng.integers(7, 60))
            while hired < n_days:
                tenure = int(rng.exponential(MEAN_TENURE_YEARS * 365.25)) + 30
                left = hired + tenure
                rows.append((s, position, hired, left, int(rng.choice(3, p=SKILL_MIX))))
                # Position 0 is never vacant, so every open store always has someone to book.
                gap = 0 if position == 0 else int(rng.integers(*REPLACEMENT_GAP_DAYS))
                hired = left + gap
    store, position, hired_day, left_day, level = (np.array(col) for col in zip(*rows, strict=True))
    n = len(store)
    speed = np.array(SPEED_FACTOR)[level] * rng.lognormal(0, SPEED_SPREAD, n)
    rework = np.array(REWORK_RATE)[level] * rng.lognormal(0, REWORK_SPREAD, n)
    csat = np.array(CSAT_EFFECT)[level] + rng.normal(0, CSAT_SPREAD, n)
    hours_options, hours_p = zip(*WEEKLY_HOURS, strict=True)
    hours = rng.choice(np.array(hours_options), size=n, p=np.array(hours_p))

    roster = np.full((stores.count, n_days, int(positions.max())), -1)
    for t in range(n):
        first, last = max(hired_day[t], 0), min(left_day[t], n_days)
        if first < last:
            roster[store[t], first:last, position[t]] = t
    on_payroll = np.where(roster >= 0, hours[np.maximum(roster, 0)] / 40.0, 0.0)

    frame = _technicians_table(rng, window, store, level, hired_day, left_day, hours)
    return Staff(
        frame=frame,
        store=store,
        speed=speed,
        rework_rate=rework,
        csat_effect=csat,
        hired_day=hired_day,
        left_day=left_day,
        weekly_hours=hours,
        roster=roster,
        capacity=on_payroll.sum(axis=2),
    )


def _technicians_table(
    rng: np.random.Generator,
    window: HistoryWindow,
    store: np.ndarray,
    level: np.ndarray,
    hired_day: np.ndarray,
    left_day: np.ndarray,
    hours: np.ndarray,
) -> pl.DataFrame:
    n = len(store)
    names = [
        f"{_FIRST_NAMES[a]} {_LAST_NAMES[b]}"
        for a, b in zip(
            rng.integers(len(_FIRST_NAMES), size=n),
            rng.integers(len(_LAST_NAMES), size=n),
            strict=True,
        )
    ]
    has_left = left_day <= window.days - 1
    start = dt.datetime.combine(window.start, dt.time(9))
    hired_at = [start + dt.timedelta(days=int(d)) for d in hired_day]
    left_at = [start + dt.timedelta(days=int(d)) for d in np.where(has_left, left_day, hired_day)]
    return pl.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "store_id": store + 1,
            "name": names,
            "skill_level": [SKILL_LEVELS[x] for x in level],
            "hired_on": [d.date() for d in hired_at],
            "left_on": pl.Series(
                [d.date() if gone else None for d, gone in zip(left_at, has_left, strict=True)],
                dtype=pl.Date,
            ),
            "weekly_hours": hours,
            "created_at": [d - dt.timedelta(days=7) for d in hired_at],
            "updated_at": [
                (lft if gone else hired) - dt.timedelta(days=7 if not gone else 0)
                for hired, lft, gone in zip(hired_at, left_at, has_left, strict=True)
            ],
        }
    )
