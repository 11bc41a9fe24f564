"""Simulation time (store-local seconds since the history start) to the naive UTC datetimes
stored in the database."""

from __future__ import annotations

import numpy as np
import polars as pl

from data.generator.world import World

NEVER = np.iinfo(np.int64).max // 4  # "has not happened" in the simulation's time columns


def utc(world: World, store: np.ndarray, local_seconds: np.ndarray) -> pl.Series:
    """Naive UTC datetimes; null where the time is NEVER."""
    happened = local_seconds < NEVER
    seconds = world.calendar.to_utc(store, np.where(happened, local_seconds, 0))
    values = np.datetime64(world.window.start, "s") + seconds.astype("timedelta64[s]")
    values = np.where(happened, values, np.datetime64("NaT"))
    return pl.Series(values.astype("datetime64[us]"))


def local_date(world: World, day: np.ndarray) -> pl.Series:
    """Dates from day indices."""
    return pl.Series((np.datetime64(world.window.start, "D") + day).astype("datetime64[D]"))
