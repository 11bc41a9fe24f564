"""From the simulation to the operational tables: ids, foreign keys, timestamps and dirt.

``operational_tables`` yields (table, frame) pairs in foreign-key load order so the caller can
write each table while the next one is being built. Ids are 1..n in time order (repairs by
received_at, bookings by when they were made, ...), as they would be in a live system. Only what
was recorded by the end of ``end_date`` (store-local midnight) is written; the week of future
bookings is the one exception.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from data.generator import bookings, customers, dirt, inventory, outcomes, timeline
from data.generator.bookings import LostBookings
from data.generator.devices import UNKNOWN_PURCHASE_DATE_RATE
from data.generator.faults import sample_faults
from data.generator.sampling import random_codes
from data.generator.seeds import stream
from data.generator.slots import SLOT_SECONDS
from data.generator.symptoms import symptom_texts
from data.generator.timestamps import local_date, utc
from data.generator.visits import NEW_DEVICE, REWORK, SAME_DEVICE, VAGUE, Simulation
from data.generator.world import World

SERIAL_ALPHABET = b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
SERIAL_LENGTH = 12
MISSING_SERIAL_RATE = 0.08


@dataclass
class Records:
    """The simulation with the ids it is written under (``[x]``: what an array is indexed by)."""

    world: World
    sim: Simulation
    lost: LostBookings
    repairs: np.ndarray  # visit rows written as repairs, in repair id order
    repair_id: np.ndarray  # [visit] repairs.id, 0 when not written
    customer_record: np.ndarray  # [visit] customer record: people first, then re-registrations
    record_store: np.ndarray  # [customer record] home store
    record_created: np.ndarray  # [customer record] local seconds
    duplicates: np.ndarray  # visit rows where the customer was registered again
    customer_id: np.ndarray  # [customer record] customers.id
    device_record: np.ndarray  # [visit] customer_devices record
    device_owner: np.ndarray  # [device record] customer record
    device_row: np.ndarray  # [device record] the simulation's device row it describes
    device_created: np.ndarray  # [device record] local seconds
    device_id: np.ndarray  # [device record] customer_devices.id
    booking_id: np.ndarray  # [visit] bookings.id, 0 when not booked
    lost_booking_id: np.ndarray  # [lost booking] bookings.id
    symptoms: pl.Series = field(default_factory=lambda: pl.Series(dtype=pl.String))  # [visit]

    def of_repairs(self, name: str) -> np.ndarray:
        """Simulation column ``name`` for the written repairs, in repair id order."""
        return self.sim.visits[name][self.repairs]


def operational_tables(
    sim: Simulation, progress: Callable[[str], None] | None = None
) -> Iterator[tuple[str, pl.DataFrame]]:
    """All tables of the history, in foreign-key load order."""
    world, seed = sim.world, sim.world.config.seed
    say = progress or (lambda _message: None)
    lost = bookings.lost_bookings(sim, stream(seed, "tables/lost_bookings"))
    records = _identify(sim, lost, stream(seed, "tables/duplicates"))

    yield "device_models", world.catalogue.device_models
    yield "parts", world.catalogue.parts
    yield "stores", world.stores.frame
    yield "customers", _customers_table(records, stream(seed, "tables/customers"))
    yield "part_compatibility", world.catalogue.part_compatibility
    say("building the stock ledger")
    stock = inventory.stock_ledger(records, stream(seed, "tables/stock"))
    yield "stock_levels", stock.levels
    yield "technicians", world.staff.frame
    yield "customer_devices", _customer_devices_table(records, stream(seed, "tables/devices"))
    say("writing symptom descriptions")
    v = sim.visits
    records.symptoms = symptom_texts(
        stream(seed, "tables/symptoms"),
        world.catalogue,
        v["text_fault"],
        v["text_mode"] == VAGUE,
        v["model"],
        v["kind"] == REWORK,
    )
    yield "bookings", _bookings_table(records, stream(seed, "tables/bookings"))
    say("building repairs and status events")
    events = timeline.status_events(records, stream(seed, "tables/timeline"))
    yield "repairs", timeline.repairs_table(records, events, stream(seed, "tables/repairs"))
    yield "feedback", outcomes.feedback_table(records, events, stream(seed, "tables/feedback"))
    yield "payments", outcomes.payments_table(records, events, stream(seed, "tables/payments"))
    yield "repair_parts", inventory.repair_parts_table(records, stream(seed, "tables/parts"))
    yield "repair_status_events", events.frame
    yield "stock_movements", stock.movements


# --- identities -------------------------------------------------------------------------------


def _identify(sim: Simulation, lost: LostBookings, rng: np.random.Generator) -> Records:
    world, v = sim.world, sim.visits
    to_utc = world.calendar.to_utc

    repairs = np.flatnonzero(~v["future"])
    repairs = repairs[np.lexsort((repairs, to_utc(v["store"][repairs], v["received"][repairs])))]
    repair_id = np.zeros(v.size, np.int64)
    repair_id[repairs] = np.arange(1, repairs.size + 1)

    first_contact = np.where(v["booked"], v["booking_made"], v["received"])
    n_people = sim.persons.size
    duplicates = np.flatnonzero(_re_registrations(sim, rng))
    customer_record = v["person"].copy()
    customer_record[duplicates] = n_people + np.arange(duplicates.size)
    record_store = np.concatenate([sim.persons["home_store"], v["store"][duplicates]])
    record_created = np.concatenate([sim.persons["first_contact"], first_contact[duplicates]])
    customer_id = _ids_in_time_order(to_utc(record_store, record_created))

    # A re-registered customer's device is registered again too (a new device is simply theirs).
    n_devices = sim.device_rows.size
    owner = sim.device_rows["person"].copy()
    device_row = np.arange(n_devices)
    device_created = sim.device_rows["created"].copy()
    device_record = v["device"].copy()
    new_device = duplicates[v["kind"][duplicates] == NEW_DEVICE]
    owner[v["device"][new_device]] = customer_record[new_device]
    copied = duplicates[v["kind"][duplicates] == SAME_DEVICE]
    device_record[copied] = n_devices + np.arange(copied.size)
    owner = np.concatenate([owner, customer_record[copied]])
    device_row = np.concatenate([device_row, v["device"][copied]])
    device_created = np.concatenate([device_created, first_contact[copied]])
    device_id = _ids_in_time_order(to_utc(record_store[owner], device_created))

    booked = np.flatnonzero(v["booked"])
    made = np.concatenate(
        [
            to_utc(v["store"][booked], v["booking_made"][booked]),
            to_utc(lost.store, lost.booking_made),
        ]
    )
    ids = _ids_in_time_order(made)
    booking_id = np.zeros(v.size, np.int64)
    booking_id[booked] = ids[: booked.size]

    return Records(
        world=world,
        sim=sim,
        lost=lost,
        repairs=repairs,
        repair_id=repair_id,
        customer_record=customer_record,
        record_store=record_store,
        record_created=record_created,
        duplicates=duplicates,
        customer_id=customer_id,
        device_record=device_record,
        device_owner=owner,
        device_row=device_row,
        device_created=device_created,
        device_id=device_id,
        booking_id=booking_id,
        lost_booking_id=ids[booked.size :],
    )


def _re_registrations(sim: Simulation, rng: np.random.Generator) -> np.ndarray:
    """[visit] True where a returning customer was registered again instead of being found.

    The rate per return visit is set so that about DUPLICATE_CUSTOMER_RATE of customer rows are
    duplicates, whatever the length of the history.
    """
    v = sim.visits
    returns = np.flatnonzero((v["kind"] == SAME_DEVICE) | (v["kind"] == NEW_DEVICE))
    wanted = dirt.DUPLICATE_CUSTOMER_RATE * sim.persons.size / (1 - dirt.DUPLICATE_CUSTOMER_RATE)
    rate = min(wanted / max(returns.size, 1), 0.5)
    duplicate = np.zeros(v.size, dtype=bool)
    duplicate[returns[rng.random(returns.size) < rate]] = True
    return duplicate


def _ids_in_time_order(times: np.ndarray) -> np.ndarray:
    """1-based ids ordered by ``times`` (ties by position)."""
    order = np.lexsort((np.arange(times.size), times))
    ids = np.empty(times.size, np.int64)
    ids[order] = np.arange(1, times.size + 1)
    return ids


# --- customers, devices, bookings -------------------------------------------------------------


def _customers_table(records: Records, rng: np.random.Generator) -> pl.DataFrame:
    world, sim, v = records.world, records.sim, records.sim.visits
    n_people = sim.persons.size
    store, created = records.record_store, records.record_created
    # A customer row is touched whenever they come in or book.
    last_seen = created.copy()
    np.maximum.at(
        last_seen, records.customer_record, np.where(v["future"], v["booking_made"], v["received"])
    )
    np.maximum.at(last_seen, records.lost.person, records.lost.updated)

    progress = np.clip(created / world.end_seconds, 0, 1)
    details = customers.people(rng, world.stores, store[:n_people], progress[:n_people])
    again = customers.re_registered(rng, details[v["person"][records.duplicates]])
    details = pl.concat([details, again])
    email = dirt.with_malformed_emails(rng, dirt.without_some_emails(rng, details["email"]))
    frame = details.with_columns(email).select(
        pl.Series("id", records.customer_id),
        "first_name",
        "last_name",
        "email",
        "phone",
        "city",
        pl.Series("home_store_id", store + 1),
        "acquisition_channel",
        "marketing_consent",
        "sms_consent",
        utc(world, store, created).alias("created_at"),
        utc(world, store, np.minimum(last_seen, world.end_seconds - 1)).alias("updated_at"),
    )
    return frame.sort("id")


def _customer_devices_table(records: Records, rng: np.random.Generator) -> pl.DataFrame:
    world, rows = records.world, records.sim.device_rows
    n_rows, source = rows.size, records.device_row
    serial = random_codes(rng, n_rows, SERIAL_ALPHABET, SERIAL_LENGTH)
    serial = serial.scatter(np.flatnonzero(rng.random(n_rows) < MISSING_SERIAL_RATE), None)
    purchase = local_date(world, rows["purchase_day"])
    purchase = purchase.scatter(
        np.flatnonzero(rng.random(n_rows) < UNKNOWN_PURCHASE_DATE_RATE), None
    )
    created = utc(world, records.record_store[records.device_owner], records.device_created)
    frame = pl.DataFrame(
        {
            "id": records.device_id,
            "customer_id": records.customer_id[records.device_owner],
            "device_model_id": rows["model"][source] + 1,
            "serial_number": serial.gather(source),
            "purchased_on": purchase.gather(source),
            "created_at": created,
            "updated_at": created,
        }
    )
    return frame.sort("id")


def _bookings_table(records: Records, rng: np.random.Generator) -> pl.DataFrame:
    world, v, lost = records.world, records.sim.visits, records.lost
    booked = np.flatnonzero(v["booked"])
    future = v["future"][booked]
    store = v["store"][booked]
    kept = pl.DataFrame(
        {
            "id": records.booking_id[booked],
            "customer_id": records.customer_id[records.customer_record[booked]],
            "customer_device_id": records.device_id[records.device_record[booked]],
            "store_id": store + 1,
            "technician_id": v["technician"][booked] + 1,
            "slot_start_at": utc(world, store, v["slot_start"][booked]),
            "slot_end_at": utc(world, store, v["slot_start"][booked] + SLOT_SECONDS),
            "channel": bookings.channel_names(v["channel"][booked]),
            "status": np.where(future, "booked", "checked_in"),
            "symptoms_text": records.symptoms.gather(booked),
            "created_at": utc(world, store, v["booking_made"][booked]),
            "updated_at": utc(
                world, store, np.where(future, v["booking_made"][booked], v["received"][booked])
            ),
        }
    )
    lost_device = np.where(
        lost.device >= 0, records.device_id[np.maximum(lost.device, 0)], 0
    )  # a lost booking's device is the person's first device record
    model = lost.model
    fault = _any_fault(records, rng, model)
    lost_symptoms = symptom_texts(
        rng, world.catalogue, fault, np.zeros(model.size, bool), model, np.zeros(model.size, bool)
    )
    never_came = pl.DataFrame(
        {
            "id": records.lost_booking_id,
            "customer_id": records.customer_id[lost.person],
            "customer_device_id": pl.Series(lost_device).replace(0, None),
            "store_id": lost.store + 1,
            "technician_id": lost.technician + 1,
            "slot_start_at": utc(world, lost.store, lost.slot_start),
            "slot_end_at": utc(world, lost.store, lost.slot_start + SLOT_SECONDS),
            "channel": bookings.channel_names(lost.channel),
            "status": np.where(lost.no_show, "no_show", "cancelled"),
            "symptoms_text": lost_symptoms,
            "created_at": utc(world, lost.store, lost.booking_made),
            "updated_at": utc(world, lost.store, lost.updated),
        }
    )
    frame = pl.concat([kept, never_came], how="vertical_relaxed").sort("id")
    reference = bookings.references(frame["id"].to_numpy(), world.config.seed)
    return frame.insert_column(1, reference.alias("reference"))


def _any_fault(records: Records, rng: np.random.Generator, model: np.ndarray) -> np.ndarray:
    """A plausible fault for a device that never came in (a year old, any time of year)."""
    day_of_year = rng.integers(1, 366, model.size)
    return sample_faults(rng, records.world.catalogue, model, np.ones(model.size), day_of_year)
