"""Everything that exists before the first customer walks in: the calendar, stores, catalogue,
staff and the expected demand per store and day."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from data.generator.calendar import (
    OpeningCalendar,
    build_calendar,
    demand_shape,
    visit_propensity,
)
from data.generator.catalogue import Catalogue, build_catalogue
from data.generator.config import GeneratorConfig, HistoryWindow
from data.generator.seeds import stream
from data.generator.stores import Stores, make_stores
from data.generator.technicians import (
    REPAIRS_PER_TECHNICIAN_DAY,
    Staff,
    make_staff,
    positions_per_store,
)

# New customers per mature store on an average open day (Thursday outside the seasons).
DEFAULT_NEW_CUSTOMERS_PER_DAY = 20.0
# Returning customers and reworks add roughly this share on top of new customers; used only to
# size teams and queues before the simulation knows the real figure.
EXPECTED_RETURN_UPLIFT = 1.35


@dataclass(frozen=True)
class World:
    config: GeneratorConfig
    window: HistoryWindow
    stores: Stores
    calendar: OpeningCalendar
    catalogue: Catalogue
    staff: Staff
    base_rate: float  # new customers per mature store-day before the demand shape
    new_customer_demand: np.ndarray  # [store, day] expected new-customer visits
    propensity: np.ndarray  # [store, day] in 0..1, places returning customers on plausible days
    load: np.ndarray  # [store, day] expected repairs per on-duty FTE relative to nominal

    @property
    def end_seconds(self) -> int:
        return self.window.end_seconds


def build_world(config: GeneratorConfig, base_rate: float = DEFAULT_NEW_CUSTOMERS_PER_DAY) -> World:
    window = HistoryWindow.for_config(config)
    stores = make_stores(config.stores, window, stream(config.seed, "stores"))
    calendar = build_calendar(stores, window)
    shape = demand_shape(stores, calendar, window)
    demand = base_rate * shape
    expected_repairs = demand * EXPECTED_RETURN_UPLIFT
    open_days = np.maximum(calendar.is_open.sum(axis=1), 1)
    positions = positions_per_store(expected_repairs.sum(axis=1) / open_days)
    staff = make_staff(stream(config.seed, "staff"), stores, calendar, window, positions)
    capacity = np.maximum(staff.capacity, 0.5) * REPAIRS_PER_TECHNICIAN_DAY
    return World(
        config=config,
        window=window,
        stores=stores,
        calendar=calendar,
        catalogue=build_catalogue(window),
        staff=staff,
        base_rate=base_rate,
        new_customer_demand=demand,
        propensity=visit_propensity(calendar, window),
        load=np.clip(expected_repairs / capacity, 0.25, 4.0),
    )
