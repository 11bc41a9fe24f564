"""``generate_history``: size the world, simulate it, and write it to the operational database."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl
from sqlalchemy import Engine

from data.generator.config import GeneratorConfig
from data.generator.tables import operational_tables
from data.generator.visits import Simulation, simulate
from data.generator.world import EXPECTED_RETURN_UPLIFT, build_world
from data.generator.writer import bulk_load, ensure_empty, write_tables
from ops.bulk import reset_sequences
from ops.schema import TABLES_IN_LOAD_ORDER

PILOT_REPAIRS = 60_000  # a sized history is first simulated at most this large to measure it
SIZE_TOLERANCE = 0.03  # re-run with a corrected rate when further off the requested size
_MAX_RUNS = 4


def generate_history(
    engine: Engine,
    config: GeneratorConfig,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Fill an empty, migrated operational database with a synthetic history; returns the rows
    written per table. Raises DatabaseNotEmptyError if ``repairs`` or ``stores`` has rows."""
    say = progress or (lambda _message: None)
    ensure_empty(engine)
    sim = simulate_history(config, say)
    concurrent = engine.dialect.name == "postgresql"  # foreign keys are off during its load
    with bulk_load(engine, TABLES_IN_LOAD_ORDER, say):
        written = write_tables(engine, operational_tables(sim, say), say, concurrent)
    reset_sequences(engine)
    say(f"done: {written.get('repairs', 0):,} repairs")
    return written


def simulate_history(
    config: GeneratorConfig, say: Callable[[str], None] | None = None
) -> Simulation:
    """The simulated history for ``config``; with ``config.repairs`` set, the base demand is
    scaled so the history holds that many repairs (±SIZE_TOLERANCE when large enough)."""
    say = say or (lambda _message: None)
    world = build_world(config)
    if config.repairs is None:
        say("simulating visits")
        return simulate(world)
    # Repairs are roughly proportional to the base rate of new customers; a pilot measures how
    # many repairs (returns and reworks included) each expected new customer brings.
    per_unit_rate = world.new_customer_demand.sum() / world.base_rate
    repairs_per_new_customer = EXPECTED_RETURN_UPLIFT
    scale = min(1.0, PILOT_REPAIRS / config.repairs)
    for _ in range(_MAX_RUNS):
        target = config.repairs * scale
        rate = target / (per_unit_rate * repairs_per_new_customer)
        say(f"simulating visits (about {target:,.0f} repairs)")
        sim = simulate(build_world(config, base_rate=rate))
        repairs = recorded_repairs(sim)
        repairs_per_new_customer = repairs / sim.world.new_customer_demand.sum()
        if scale == 1.0 and abs(repairs / config.repairs - 1) <= SIZE_TOLERANCE:
            break
        scale = 1.0
    return sim


def recorded_repairs(sim: Simulation) -> int:
    return int(np.count_nonzero(~sim.visits["future"]))


def history_tables(config: GeneratorConfig) -> dict[str, pl.DataFrame]:
    """The tables ``generate_history`` writes for ``config``, in memory (tests, notebooks)."""
    return dict(operational_tables(simulate_history(config)))
