"""The simulation proper: customers' visits, week by week.

New customers arrive from the demand curve (calendar.py). Each visit gets a device, a booking or
walk-in time, a technician, a fault, a quote and a diagnosis time when it is created. The weekly
loop then takes the visits whose diagnosis ends that week, gets their parts from the ledger
(inventory.py), runs them to collection, scores the experience and schedules what follows: a
warranty rework or, driven by satisfaction, the customer's next visit. Follow-ups always land at
least a week after the visit that caused them, so a week never creates visits for itself.

Everything is vectorised over the visits of a batch; the loops run over weeks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from data.generator import devices, experience, faults, pricing
from data.generator.columns import Columns
from data.generator.inventory import PartsLedger, plan_base_stock
from data.generator.seeds import stream
from data.generator.slots import SlotBook
from data.generator.timestamps import NEVER
from data.generator.world import World
from ops.schema import BOOKING_CHANNELS

NEW, SAME_DEVICE, NEW_DEVICE, REWORK = 0, 1, 2, 3  # visit kinds
HONEST, MISLEADING, VAGUE = 0, 1, 2  # how the symptom text relates to the true fault

BOOKING_RATE = {NEW: 0.50, SAME_DEVICE: 0.60, NEW_DEVICE: 0.60, REWORK: 0.45}
# Booking channels: the app gains share over the history, from the first to the second figure.
APP_SHARE = (0.12, 0.30)
PHONE_SHARE = (0.35, 0.25)
BOOKING_LEAD_MEAN_DAYS = 2.5
SAME_TECHNICIAN_FOR_REWORK = 0.5
PART_USE_RATE = {"liquid_damage": 0.25, "board_failure": 0.20}  # others always need their part
TWO_JOYSTICKS_RATE = 0.25  # controller drift on both sticks
REWORK_REUSES_PART = 0.6
CANCEL_BASE_RATE = 0.015  # customers decline the quote at diagnosis ...
CANCEL_VALUE_SLOPE = 0.10  # ... more often when the quote is high for what the device is worth
DEVICE_VALUE_RETAINED_PER_YEAR = 0.75
REWORK_TYPE_FACTOR = {
    "board_repair": 2.0,
    "liquid_damage_treatment": 2.5,
    "software_restore": 1.2,
    "battery_replacement": 0.6,
}
DIAGNOSIS_HOURS = {
    "board_repair": 1.5, "liquid_damage_treatment": 1.0, "software_restore": 0.75,
    "antenna_repair": 1.0, "biometric_repair": 0.75, "screen_replacement": 0.25,
    "battery_replacement": 0.3, "back_glass_replacement": 0.2, "joystick_replacement": 0.25,
}  # fmt: skip
DEFAULT_DIAGNOSIS_HOURS = 0.5
QUEUE_HOURS = 0.35  # mean wait before diagnosis at nominal load
REPAIR_QUEUE_HOURS = (1.0, 2.0)  # mean wait before the bench: part in stock, part just arrived
QUALITY_CHECK_HOURS = 0.4
PICKUP_MEDIAN_HOURS = 22.0
PICKUP_SIGMA = 1.0
PICKUP_CAP_DAYS = 45

_DAY = 86_400
_HOUR = 3_600

# One row per visit. Times are store-local seconds since the history start (NEVER: not happened);
# indices are positions in the simulation's tables (persons, device_rows, staff, catalogue).
VISIT_COLUMNS: dict[str, type] = {
    "person": np.int64,  # who came (a person; re-registrations are decided when writing)
    "device": np.int64,  # row in Simulation.device_rows
    "model": np.int64,  # catalogue model index
    "store": np.int64,
    "technician": np.int64,  # staff index
    "kind": np.int8,  # NEW, SAME_DEVICE, NEW_DEVICE or REWORK
    "previous": np.int64,  # the person's previous visit (the reworked one for REWORK), -1 if none
    "visit_number": np.int32,  # 0 for a person's first visit
    "received": np.int64,
    "booked": bool,
    "booking_made": np.int64,  # when the booking was made (received, for walk-ins)
    "slot_start": np.int64,  # booked slot, -1 for walk-ins
    "channel": np.int8,  # index into BOOKING_CHANNELS
    "future": bool,  # a booking for the week after the end date (no repair yet)
    "fault": np.int16,  # the true fault (what the technician records)
    "guess": np.int16,  # the front desk's first guess
    "text_fault": np.int16,  # the fault the customer's description describes
    "text_mode": np.int8,  # HONEST, MISLEADING or VAGUE description
    "quote": np.float64,  # EUR, from the guess
    "final": np.float64,  # EUR charged before discount
    "discount": np.float64,  # EUR
    "labour_minutes": np.int64,
    "part": np.int64,  # part index needed, -1 for none
    "units": np.int8,  # how many of it
    "cancelled": bool,  # declined at the quote
    "needs_rework": bool,  # this repair will fail and come back under warranty
    "diagnosing": np.int64,
    "diagnosed": np.int64,  # diagnosis done; the part is requested now
    "awaiting_parts": bool,
    "part_available": np.int64,  # when the part was taken from stock
    "in_repair": np.int64,
    "quality_check": np.int64,
    "ready": np.int64,
    "collected": np.int64,
    "cancelled_at": np.int64,
    "satisfaction": np.float64,  # latent, on the CSAT scale
    "device_age_years": np.float64,  # since purchase, at the visit
}


@dataclass
class Seeds:
    """Visits to create: who, where, which day, and why (kind and the visit before)."""

    person: np.ndarray  # -1 for a new customer
    store: np.ndarray
    day: np.ndarray
    kind: np.ndarray
    previous: np.ndarray  # the person's previous visit, -1 for a first visit

    def take(self, mask: np.ndarray) -> Seeds:
        return Seeds(*(getattr(self, name)[mask] for name in self.__dataclass_fields__))


@dataclass
class Simulation:
    world: World
    visits: Columns
    persons: Columns  # home_store, first_contact
    device_rows: Columns  # person, model, purchase_day, created
    popularity: np.ndarray  # [day, model] from devices.model_popularity
    ledger: PartsLedger | None = None  # planned once the first visits are known


class _Streams:
    """One named random stream per concern, created on first use."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._streams: dict[str, np.random.Generator] = {}

    def __getattr__(self, name: str) -> np.random.Generator:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._streams:
            self._streams[name] = stream(self._seed, f"visits/{name}")
        return self._streams[name]


def simulate(world: World) -> Simulation:
    """Run the history: all visits with their timelines, customers, devices and part requests."""
    rng = _Streams(world.config.seed)
    n_weeks = _week_of(world, np.array([world.calendar.days * _DAY]))[0] + 2
    expected = int(world.new_customer_demand.sum() * 1.6) + 1024
    sim = Simulation(
        world=world,
        visits=Columns(VISIT_COLUMNS, capacity=expected),
        persons=Columns({"home_store": np.int64, "first_contact": np.int64}, expected),
        device_rows=Columns(
            {"person": np.int64, "model": np.int64, "purchase_day": np.int64, "created": np.int64},
            expected,
        ),
        popularity=devices.model_popularity(world.catalogue, world.calendar.days),
    )
    slots = SlotBook(len(world.staff.store), world.calendar.days)
    buckets: list[list[np.ndarray]] = [[] for _ in range(n_weeks)]

    first_visits = _create_visits(sim, rng, slots, _new_customer_seeds(world, rng.arrivals))
    uses_part = sim.visits["part"][first_visits] >= 0
    sim.ledger = plan_base_stock(
        world,
        sim.visits["store"][first_visits][uses_part],
        sim.visits["part"][first_visits][uses_part],
        sim.visits["received"][first_visits][uses_part] // _DAY,
        n_weeks,
    )
    _bucket(sim, buckets, first_visits, not_before=0)
    for week in range(n_weeks):
        rows = np.concatenate(buckets[week]) if buckets[week] else np.zeros(0, np.int64)
        buckets[week] = []
        _run_to_collection(sim, rng, week, rows)
        follow_ups = _follow_ups(sim, rng, rows)
        if follow_ups.day.size:
            created = _create_visits(sim, rng, slots, follow_ups)
            _bucket(sim, buckets, created, not_before=week + 1)
    return sim


# --- creating visits --------------------------------------------------------------------------


def _new_customer_seeds(world: World, rng: np.random.Generator) -> Seeds:
    counts = rng.poisson(world.new_customer_demand)
    store, day = np.nonzero(counts)
    repeats = counts[store, day]
    n = int(repeats.sum())
    return Seeds(
        person=np.full(n, -1),
        store=np.repeat(store, repeats),
        day=np.repeat(day, repeats),
        kind=np.full(n, NEW, np.int8),
        previous=np.full(n, -1),
    )


def _create_visits(sim: Simulation, rng: _Streams, slots: SlotBook, seeds: Seeds) -> np.ndarray:
    """Append visits for ``seeds``; returns their row indices."""
    world, v, cat = sim.world, sim.visits, sim.world.catalogue
    booked, received, booking_made, slot_start, booked_tech = _arrival_times(
        world, rng, slots, seeds
    )
    future = received >= world.end_seconds
    # After the history only bookings exist, and only those already made.
    keep = (~future | booked) & (booking_made < world.end_seconds)
    seeds = seeds.take(keep)
    booked, received, booking_made = booked[keep], received[keep], booking_made[keep]
    slot_start, booked_tech, future = slot_start[keep], booked_tech[keep], future[keep]
    n = len(received)
    first_contact = np.where(booked, booking_made, received)
    previous, has_previous = seeds.previous, seeds.previous >= 0
    rework = seeds.kind == REWORK

    person = seeds.person.copy()
    is_new = person < 0
    person[is_new] = sim.persons.append(
        home_store=seeds.store[is_new], first_contact=first_contact[is_new]
    )
    device = _of_previous(v, "device", previous, -1)
    fresh = (seeds.kind == NEW) | (seeds.kind == NEW_DEVICE)
    previous_model = np.where(seeds.kind == NEW_DEVICE, _of_previous(v, "model", previous, -1), -1)
    device[fresh] = _new_devices(
        sim, rng, person[fresh], seeds.day[fresh], first_contact[fresh], previous_model[fresh]
    )
    model = sim.device_rows["model"][device]
    age_years = np.maximum(seeds.day - sim.device_rows["purchase_day"][device], 0) / 365.25

    technician = _technicians(sim, rng, seeds, booked_tech)
    fault = _faults(sim, rng, model, age_years, seeds)
    guess, text_fault, text_mode = _first_guesses(world, rng, model, fault, rework)

    years_before_end = (world.end_seconds - received) / (_DAY * 365.25)
    position = pricing.quote_positions(rng.prices, cat, model)
    quote = pricing.list_prices(cat, model, guess, position, years_before_end)
    correct = pricing.list_prices(cat, model, fault, position, years_before_end)
    liquid_or_board = np.isin(
        fault, [cat.fault_index("liquid_damage"), cat.fault_index("board_failure")]
    )
    final = pricing.final_prices(rng.prices, quote, correct, guess == fault, liquid_or_board)
    fee = pricing.warranty_fees(rng.prices, n)
    quote, final = np.where(rework, fee, quote), np.where(rework, fee, final)
    discount = np.where(rework, 0.0, pricing.discounts(rng.prices, final, has_previous))
    speed = world.staff.speed[technician]
    labour = pricing.labour_minutes(rng.prices, cat, model, fault, speed)
    part, units = _parts_needed(sim, rng, model, fault, seeds)

    device_value = cat.model_launch_price[model] * DEVICE_VALUE_RETAINED_PER_YEAR**age_years
    cancel_rate = CANCEL_BASE_RATE + CANCEL_VALUE_SLOPE * np.clip(
        quote / device_value - 0.4, 0, 1.5
    )
    cancelled = ~rework & (rng.outcomes.random(n) < cancel_rate)
    type_factor = np.array([REWORK_TYPE_FACTOR.get(t, 1.0) for t in cat.repair_types])[fault]
    needs_rework = ~cancelled & (
        rng.outcomes.random(n) < world.staff.rework_rate[technician] * type_factor
    )

    day = np.clip(seeds.day, 0, world.calendar.days - 1)
    queue = rng.timeline.exponential(QUEUE_HOURS, n) * world.load[seeds.store, day] * _HOUR
    diagnosing = world.calendar.next_open(seeds.store, received + queue.astype(np.int64))
    hours = np.array([DIAGNOSIS_HOURS.get(t, DEFAULT_DIAGNOSIS_HOURS) for t in cat.repair_types])
    diagnosis = hours[fault] * speed * rng.timeline.lognormal(0, 0.3, n) * _HOUR
    diagnosed = world.calendar.next_open(seeds.store, diagnosing + diagnosis.astype(np.int64))

    never = np.full(n, NEVER)
    return v.append(
        person=person, device=device, model=model, store=seeds.store, technician=technician,
        kind=seeds.kind, previous=previous,
        visit_number=_of_previous(v, "visit_number", previous, -1) + 1,
        received=received, booked=booked, booking_made=booking_made, slot_start=slot_start,
        channel=_booking_channels(world, rng.bookings, seeds.day), future=future,
        fault=fault, guess=guess, text_fault=text_fault, text_mode=text_mode, quote=quote,
        final=final, discount=discount, labour_minutes=labour, part=part, units=units,
        cancelled=cancelled, needs_rework=needs_rework, diagnosing=diagnosing,
        diagnosed=diagnosed, part_available=never, in_repair=never, quality_check=never,
        ready=never, collected=never, cancelled_at=never, device_age_years=age_years,
    )  # fmt: skip


def _of_previous(v: Columns, name: str, previous: np.ndarray, default: int) -> np.ndarray:
    """Column ``name`` of each seed's previous visit, ``default`` for first visits."""
    out = np.full(len(previous), default, dtype=v[name].dtype)
    has = previous >= 0
    out[has] = v[name][previous[has]]
    return out


def _arrival_times(
    world: World, rng: _Streams, slots: SlotBook, seeds: Seeds
) -> tuple[np.ndarray, ...]:
    """Booked or walk-in, and when the customer arrives (local seconds)."""
    n = len(seeds.day)
    rate = np.array([BOOKING_RATE[k] for k in (NEW, SAME_DEVICE, NEW_DEVICE, REWORK)])[seeds.kind]
    wants_booking = rng.bookings.random(n) < rate
    slot_start = np.full(n, -1, np.int64)
    technician = np.full(n, -1, np.int64)
    rows = np.flatnonzero(wants_booking)
    slot_start[rows], technician[rows] = slots.reserve(
        rng.bookings, world.calendar, world.staff, seeds.store[rows], seeds.day[rows]
    )
    booked = slot_start >= 0
    opens = world.calendar.opens[seeds.store, seeds.day]
    closes = world.calendar.closes[seeds.store, seeds.day]
    punctuality = rng.bookings.integers(-10 * 60, 15 * 60, n)
    received = np.where(
        booked,
        np.clip(slot_start + punctuality, opens, closes - 300),
        _walk_in_times(rng.arrivals, opens, closes, seeds.day),
    )
    lead = (rng.bookings.exponential(BOOKING_LEAD_MEAN_DAYS, n) * _DAY).astype(np.int64) + _HOUR
    booking_made = np.where(booked, slot_start - lead, received)
    return booked, received, booking_made, slot_start, technician


def _walk_in_times(
    rng: np.random.Generator, opens: np.ndarray, closes: np.ndarray, day: np.ndarray
) -> np.ndarray:
    """Walk-ins through the day, with a lunchtime and an after-work peak."""
    n = len(day)
    mix = rng.random(n)
    uniform = opens + (rng.random(n) * (closes - opens - 900)).astype(np.int64)
    lunch = day * _DAY + (12.75 * _HOUR + rng.normal(0, 0.9 * _HOUR, n)).astype(np.int64)
    evening = day * _DAY + (17.25 * _HOUR + rng.normal(0, 1.0 * _HOUR, n)).astype(np.int64)
    chosen = np.where(mix < 0.45, uniform, np.where(mix < 0.72, lunch, evening))
    return np.clip(chosen, opens, closes - 900)


def _booking_channels(world: World, rng: np.random.Generator, day: np.ndarray) -> np.ndarray:
    """Index into BOOKING_CHANNELS: web, phone or app, with the app gaining share over time."""
    progress = np.clip(day / world.window.days, 0, 1)
    app = APP_SHARE[0] + (APP_SHARE[1] - APP_SHARE[0]) * progress
    phone = PHONE_SHARE[0] + (PHONE_SHARE[1] - PHONE_SHARE[0]) * progress
    draw = rng.random(len(day))
    code = {name: BOOKING_CHANNELS.index(name) for name in ("app", "phone", "web")}
    return np.where(
        draw < app, code["app"], np.where(draw < app + phone, code["phone"], code["web"])
    ).astype(np.int8)


def _new_devices(
    sim: Simulation,
    rng: _Streams,
    person: np.ndarray,
    day: np.ndarray,
    created: np.ndarray,
    previous_model: np.ndarray,
) -> np.ndarray:
    """Register the devices customers bring for the first time; returns their row indices."""
    world = sim.world
    category = devices.sample_categories(rng.devices, len(day))
    replacing = previous_model >= 0
    category[replacing] = devices.sample_new_device_categories(
        rng.devices, world.catalogue.model_category[previous_model[replacing]]
    )
    model = devices.sample_models(rng.devices, world.catalogue, sim.popularity, category, day)
    purchase = devices.sample_purchase_days(
        rng.devices, world.catalogue.model_release_day[model], day
    )
    return sim.device_rows.append(
        person=person, model=model, purchase_day=purchase, created=created
    )


def _technicians(
    sim: Simulation,
    rng: _Streams,
    seeds: Seeds,
    booked_technician: np.ndarray,
) -> np.ndarray:
    """The booked technician; for an unbooked rework, half the time the original technician if
    still employed; otherwise whoever is on the payroll that day, in proportion to hours."""
    staff = sim.world.staff
    tech = np.where(
        booked_technician >= 0,
        booked_technician,
        staff.pick(rng.technicians, seeds.store, seeds.day),
    )
    rework = np.flatnonzero((seeds.kind == REWORK) & (booked_technician < 0))
    if rework.size:
        original = sim.visits["technician"][seeds.previous[rework]]
        day = seeds.day[rework]
        employed = (staff.hired_day[original] <= day) & (staff.left_day[original] > day)
        same = employed & (rng.technicians.random(rework.size) < SAME_TECHNICIAN_FOR_REWORK)
        tech[rework[same]] = original[same]
    return tech


def _faults(
    sim: Simulation,
    rng: _Streams,
    model: np.ndarray,
    age_years: np.ndarray,
    seeds: Seeds,
) -> np.ndarray:
    """The true fault: sampled from the priors; a rework has its original repair's fault."""
    world = sim.world
    dates = np.datetime64(world.window.start, "D") + seeds.day
    day_of_year = (dates - dates.astype("datetime64[Y]")).astype(np.int64) + 1
    fault = faults.sample_faults(rng.faults, world.catalogue, model, age_years, day_of_year)
    rework = seeds.kind == REWORK
    fault[rework] = sim.visits["fault"][seeds.previous[rework]]
    return fault


def _first_guesses(
    world: World, rng: _Streams, model: np.ndarray, fault: np.ndarray, rework: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The desk's first guess, the fault the symptom text describes, and the text mode."""
    n = len(fault)
    decoy = faults.sample_confusions(rng.faults, world.catalogue, model, fault)
    draw = rng.faults.random(n)
    mode = np.where(
        draw < faults.MISLEADING_TEXT_RATE,
        MISLEADING,
        np.where(draw < faults.MISLEADING_TEXT_RATE + faults.VAGUE_TEXT_RATE, VAGUE, HONEST),
    ).astype(np.int8)
    mode[rework | ((mode == MISLEADING) & (decoy == fault))] = HONEST
    slip = rng.faults.random(n)
    wrong = (
        (mode == MISLEADING)
        | ((mode == VAGUE) & (slip < faults.VAGUE_WRONG_GUESS_RATE))
        | ((mode == HONEST) & ~rework & (slip < faults.DESK_ERROR_RATE))
    )
    guess = np.where(wrong, decoy, fault)
    return guess, np.where(mode == MISLEADING, decoy, fault), mode


def _parts_needed(
    sim: Simulation,
    rng: _Streams,
    model: np.ndarray,
    fault: np.ndarray,
    seeds: Seeds,
) -> tuple[np.ndarray, np.ndarray]:
    """The part (index, -1 for none) and units each repair consumes."""
    cat = sim.world.catalogue
    n = len(fault)
    use_rate = np.ones(cat.n_faults)
    for code, rate in PART_USE_RATE.items():
        use_rate[cat.fault_index(code)] = rate
    part = np.where(rng.parts.random(n) < use_rate[fault], cat.fault_part[model, fault], -1)
    two = (fault == cat.fault_index("controller_drift")) & (
        rng.parts.random(n) < TWO_JOYSTICKS_RATE
    )
    units = np.where(two, 2, 1).astype(np.int8)
    rework = np.flatnonzero(seeds.kind == REWORK)
    if rework.size:
        original = sim.visits["part"][seeds.previous[rework]]
        reuse = rng.parts.random(rework.size) < REWORK_REUSES_PART
        part[rework] = np.where(reuse, original, -1)
        units[rework] = 1
    return part, units


# --- the weekly loop --------------------------------------------------------------------------


def _run_to_collection(sim: Simulation, rng: _Streams, week: int, rows: np.ndarray) -> None:
    """Parts, bench work, quality check, ready and collection for visits diagnosed this week."""
    world, v = sim.world, sim.visits
    calendar, n = world.calendar, len(rows)
    store, diagnosed = v["store"][rows], v["diagnosed"][rows]
    cancelled = v["cancelled"][rows]
    needs_part = (v["part"][rows] >= 0) & ~cancelled & (diagnosed < world.end_seconds)
    requests = rows[needs_part]
    available = diagnosed.copy()
    available[needs_part] = sim.ledger.fulfil(
        week,
        requests,
        v["store"][requests],
        v["part"][requests],
        v["units"][requests].astype(np.int64),
        v["diagnosed"][requests],
    )
    awaiting = available > diagnosed

    day = np.clip(diagnosed // _DAY, 0, calendar.days - 1)
    speed = world.staff.speed[v["technician"][rows]]
    wait_mean = np.where(awaiting, REPAIR_QUEUE_HOURS[1], REPAIR_QUEUE_HOURS[0])
    wait = rng.timeline.exponential(1.0, n) * wait_mean * world.load[store, day] * _HOUR
    in_repair = calendar.next_open(store, available + wait.astype(np.int64))
    bench = v["labour_minutes"][rows] * 60 * rng.timeline.lognormal(0, 0.15, n)
    quality_check = calendar.next_open(store, in_repair + bench.astype(np.int64))
    check = rng.timeline.exponential(QUALITY_CHECK_HOURS, n) * speed * _HOUR
    ready = calendar.next_open(store, quality_check + check.astype(np.int64))
    pickup = np.minimum(
        rng.timeline.lognormal(np.log(PICKUP_MEDIAN_HOURS * _HOUR), PICKUP_SIGMA, n),
        PICKUP_CAP_DAYS * _DAY,
    )
    collected = calendar.next_open(store, ready + pickup.astype(np.int64))
    declined = calendar.next_open(
        store, diagnosed + (rng.timeline.exponential(5.0, n) * _HOUR).astype(np.int64)
    )

    v["awaiting_parts"][rows] = awaiting & ~cancelled
    v["part_available"][rows] = np.where(needs_part, available, NEVER)
    for name, times in (
        ("in_repair", in_repair),
        ("quality_check", quality_check),
        ("ready", ready),
        ("collected", collected),
    ):
        v[name][rows] = np.where(cancelled, NEVER, times)
    v["cancelled_at"][rows] = np.where(cancelled, declined, NEVER)

    promised = experience.promised_days(world.catalogue.repair_types)[v["fault"][rows]]
    # A part the store does not stock is ordered at the desk, and the promise says so.
    part = v["part"][rows]
    ordered = needs_part & (sim.ledger.stocked_index[store, np.maximum(part, 0)] < 0)
    promised += np.where(ordered, world.catalogue.part_lead_days[np.maximum(part, 0)] + 1, 0)
    quote, final = v["quote"][rows], v["final"][rows]
    v["satisfaction"][rows] = experience.satisfaction(
        rng.experience,
        world.staff.csat_effect[v["technician"][rows]],
        (ready - v["received"][rows]) / _DAY - promised,
        np.where(quote > 0, final / np.maximum(quote, 1e-9) - 1, 0.0),
        v["kind"][rows] == REWORK,
        cancelled,
    )


def _follow_ups(sim: Simulation, rng: _Streams, rows: np.ndarray) -> Seeds:
    """Warranty reworks of repairs that failed, and returns of customers who come back."""
    world, v = sim.world, sim.visits
    cancelled = v["cancelled"][rows]
    anchor = np.where(cancelled, v["cancelled_at"][rows], v["collected"][rows])
    settled = anchor < world.end_seconds
    rework_due = settled & v["needs_rework"][rows]
    p_return = experience.return_probability(v["satisfaction"][rows], v["visit_number"][rows])
    returning = settled & ~rework_due & (rng.returns.random(len(rows)) < p_return)

    fixes = rows[rework_due]
    fix_store = v["store"][fixes]
    # Counted from the day after collection, so a rework always comes at least a full week later.
    gap = experience.rework_gaps_days(rng.returns, fixes.size)
    fix_day = (anchor[rework_due] // _DAY + 1 + gap).astype(np.int64)
    fix_day = _next_open_day(world, fix_store, fix_day)

    back = rows[returning]
    gap = experience.return_gaps_days(rng.returns, back.size)
    proposed = (anchor[returning] // _DAY + gap).astype(np.int64)
    age_then = v["device_age_years"][back] + gap / 365.25
    new_device = experience.comes_with_new_device(rng.returns, age_then)
    back_store = _return_stores(sim, rng.returns, back, proposed)
    back_day = _place_on_days(world, rng.returns, back_store, proposed)

    seeds = Seeds(
        person=np.concatenate([v["person"][fixes], v["person"][back]]),
        store=np.concatenate([fix_store, back_store]),
        day=np.concatenate([fix_day, back_day]),
        kind=np.concatenate(
            [np.full(fixes.size, REWORK), np.where(new_device, NEW_DEVICE, SAME_DEVICE)]
        ).astype(np.int8),
        previous=np.concatenate([fixes, back]),
    )
    return seeds.take(seeds.day < world.calendar.days)


def _return_stores(
    sim: Simulation, rng: np.random.Generator, rows: np.ndarray, day: np.ndarray
) -> np.ndarray:
    """Mostly the customer's home store; otherwise any store already open by then."""
    world = sim.world
    home = sim.persons["home_store"][sim.visits["person"][rows]]
    other = rng.integers(0, world.stores.count, rows.size)
    elsewhere = (rng.random(rows.size) > experience.HOME_STORE_RATE) & (
        world.stores.opened_day[other] <= day
    )
    return np.where(elsewhere, other, home)


def _place_on_days(
    world: World, rng: np.random.Generator, store: np.ndarray, day: np.ndarray
) -> np.ndarray:
    """Move proposed visit days forward onto plausible days: a day is kept with probability equal
    to the store's visit propensity, so returns follow the weekly and yearly rhythm too."""
    day = day.copy()
    placed = np.zeros(day.size, dtype=bool)
    for _ in range(10):
        todo = np.flatnonzero(~placed & (day < world.calendar.days))
        if todo.size == 0:
            break
        accepted = rng.random(todo.size) < world.propensity[store[todo], day[todo]]
        placed[todo[accepted]] = True
        day[todo[~accepted]] += rng.integers(1, 5, int((~accepted).sum()))
    rest = np.flatnonzero(~placed & (day < world.calendar.days))
    day[rest] = _next_open_day(world, store[rest], day[rest])
    return day


def _next_open_day(world: World, store: np.ndarray, day: np.ndarray) -> np.ndarray:
    inside = day < world.calendar.days
    opened = world.calendar.next_open(store, np.where(inside, day, 0) * _DAY) // _DAY
    return np.where(inside, opened, day)


def _week_of(world: World, t: np.ndarray) -> np.ndarray:
    """Monday-based week index of local time ``t`` (week 0 holds day 0)."""
    return (t // _DAY + world.window.first_weekday) // 7


def _bucket(
    sim: Simulation, buckets: list[list[np.ndarray]], rows: np.ndarray, not_before: int
) -> None:
    """File visits under the week their diagnosis ends (future bookings never run)."""
    rows = rows[~sim.visits["future"][rows]]
    if rows.size == 0:
        return
    week = np.clip(_week_of(sim.world, sim.visits["diagnosed"][rows]), not_before, len(buckets) - 1)
    order = np.argsort(week, kind="stable")
    rows, week = rows[order], week[order]
    starts = np.flatnonzero(np.r_[True, week[1:] != week[:-1]])
    for start, stop in zip(starts, [*starts[1:], rows.size], strict=True):
        buckets[week[start]].append(rows[start:stop])
