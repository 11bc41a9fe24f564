"""Stores: European cities, local opening hours and staggered opening dates."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import numpy as np
import polars as pl

from data.generator.config import HistoryWindow

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# Opening hours by retail custom: most of Europe closes on Sundays; the Netherlands, the Nordics,
# Ireland and the Baltics open on Sunday afternoons.
_HOURS_STYLES: dict[str, dict[str, tuple[str, str] | None]] = {
    "central": {
        **{d: ("10:00", "19:00") for d in WEEKDAYS[:5]},
        "sat": ("10:00", "18:00"),
        "sun": None,
    },
    "south": {**{d: ("10:00", "20:00") for d in WEEKDAYS[:6]}, "sun": None},
    "north": {
        **{d: ("10:00", "19:00") for d in WEEKDAYS[:5]},
        "sat": ("10:00", "17:00"),
        "sun": ("12:00", "16:00"),
    },
}

# (city, country_code, IANA timezone, hours style); stores take cities in this order.
CITIES: tuple[tuple[str, str, str, str], ...] = (
    ("Berlin", "DE", "Europe/Berlin", "central"),
    ("Amsterdam", "NL", "Europe/Amsterdam", "north"),
    ("Madrid", "ES", "Europe/Madrid", "south"),
    ("Vienna", "AT", "Europe/Vienna", "central"),
    ("Lyon", "FR", "Europe/Paris", "south"),
    ("Milan", "IT", "Europe/Rome", "south"),
    ("Copenhagen", "DK", "Europe/Copenhagen", "north"),
    ("Munich", "DE", "Europe/Berlin", "central"),
    ("Lisbon", "PT", "Europe/Lisbon", "south"),
    ("Brussels", "BE", "Europe/Brussels", "central"),
    ("Dublin", "IE", "Europe/Dublin", "north"),
    ("Warsaw", "PL", "Europe/Warsaw", "central"),
    ("Prague", "CZ", "Europe/Prague", "central"),
    ("Stockholm", "SE", "Europe/Stockholm", "north"),
    ("Barcelona", "ES", "Europe/Madrid", "south"),
    ("Hamburg", "DE", "Europe/Berlin", "central"),
    ("Rotterdam", "NL", "Europe/Amsterdam", "north"),
    ("Paris", "FR", "Europe/Paris", "south"),
    ("Rome", "IT", "Europe/Rome", "south"),
    ("Helsinki", "FI", "Europe/Helsinki", "north"),
    ("Budapest", "HU", "Europe/Budapest", "central"),
    ("Porto", "PT", "Europe/Lisbon", "south"),
    ("Cologne", "DE", "Europe/Berlin", "central"),
    ("Oslo", "NO", "Europe/Oslo", "north"),
    ("Zurich", "CH", "Europe/Zurich", "central"),
    ("Athens", "GR", "Europe/Athens", "south"),
    ("Antwerp", "BE", "Europe/Brussels", "central"),
    ("Valencia", "ES", "Europe/Madrid", "south"),
    ("Krakow", "PL", "Europe/Warsaw", "central"),
    ("Gothenburg", "SE", "Europe/Stockholm", "north"),
    ("Frankfurt", "DE", "Europe/Berlin", "central"),
    ("Turin", "IT", "Europe/Rome", "south"),
    ("Utrecht", "NL", "Europe/Amsterdam", "north"),
    ("Luxembourg", "LU", "Europe/Luxembourg", "central"),
    ("Tallinn", "EE", "Europe/Tallinn", "north"),
    ("Bratislava", "SK", "Europe/Bratislava", "central"),
    ("Ljubljana", "SI", "Europe/Ljubljana", "central"),
    ("Riga", "LV", "Europe/Riga", "north"),
    ("Marseille", "FR", "Europe/Paris", "south"),
    ("Stuttgart", "DE", "Europe/Berlin", "central"),
)

# Later stores open at evenly spread points over this share of the history.
_OPENINGS_SPREAD = 0.9


@dataclass(frozen=True)
class Stores:
    """The chain's stores; index ``i`` is store id ``i + 1``."""

    frame: pl.DataFrame
    opened_day: np.ndarray  # day index of opening (0 for the first store)
    country_codes: tuple[str, ...]
    timezones: tuple[str, ...]
    hours: tuple[dict[str, tuple[str, str] | None], ...]
    cities: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.country_codes)


def make_stores(count: int, window: HistoryWindow, rng: np.random.Generator) -> Stores:
    """``count`` stores: the first opens on day 0, the others one by one during the history."""
    rows = [_city(i) for i in range(count)]
    jitter = rng.integers(-10, 11, size=count)
    opened = np.array(
        [0] + [round(i / count * _OPENINGS_SPREAD * window.days) for i in range(1, count)]
    )
    opened = np.where(np.arange(count) == 0, 0, np.clip(opened + jitter, 1, window.days - 1))
    opened_on = [window.date_of(d) for d in opened]
    hours = tuple(_HOURS_STYLES[style] for _, _, _, style in rows)
    codes = [f"{city[:3].upper()}-{i + 1:02d}" for i, (city, _, _, _) in enumerate(rows)]
    # A store's row was last touched when it opened.
    written = [dt.datetime.combine(d, dt.time(8, 0)) - dt.timedelta(days=30) for d in opened_on]
    frame = pl.DataFrame(
        {
            "id": np.arange(1, count + 1),
            "code": codes,
            "name": [f"RepairLens {city}" for city, _, _, _ in rows],
            "city": [city for city, _, _, _ in rows],
            "country_code": [cc for _, cc, _, _ in rows],
            "timezone": [tz for _, _, tz, _ in rows],
            "opening_hours": [
                json.dumps({d: h and list(h) for d, h in hs.items()}) for hs in hours
            ],
            "opened_on": opened_on,
            "closed_on": pl.Series([None] * count, dtype=pl.Date),
            "created_at": written,
            "updated_at": written,
        }
    )
    return Stores(
        frame=frame,
        opened_day=opened.astype(np.int64),
        country_codes=tuple(cc for _, cc, _, _ in rows),
        timezones=tuple(tz for _, _, tz, _ in rows),
        hours=hours,
        cities=tuple(city for city, _, _, _ in rows),
    )


def _city(index: int) -> tuple[str, str, str, str]:
    """The i-th city; beyond the list, cities repeat as a second branch ("Berlin 2")."""
    city, cc, tz, style = CITIES[index % len(CITIES)]
    branch = index // len(CITIES)
    return (f"{city} {branch + 1}" if branch else city, cc, tz, style)
