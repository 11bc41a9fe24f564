"""Customer flows on the operational database: stores, slots, bookings, status and feedback.

Each function takes an open session (a write session for changes), raises :mod:`booking.errors`
for what the customer can act on, and commits its own changes. Times are naive UTC, like the
schema.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from psycopg import AsyncConnection as AsyncDriverConnection
from psycopg.rows import namedtuple_row
from sqlalchemy import Connection, Row, Select, bindparam, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from booking import schemas
from booking.errors import BOOKING_NOT_FOUND, Conflict, FieldError, NotFound
from booking.security import (
    new_access_secret,
    new_reference,
    secret_matches,
    split_access_token,
)
from booking.slots import (
    SLOT_MINUTES,
    Slot,
    TechnicianShift,
    available_slots,
    day_bounds_utc,
    parse_opening_hours,
)
from ops.schema import (
    Booking,
    BookingAccess,
    Customer,
    CustomerDevice,
    DeviceModel,
    Feedback,
    Repair,
    RepairStatusEvent,
    Store,
    Technician,
    utcnow,
)

LIVE_STATUSES = ("booked", "checked_in")
_BOOKINGS, _ACCESS, _STORES = Booking.__table__, BookingAccess.__table__, Store.__table__
_CUSTOMER_DEVICES, _DEVICE_MODELS = CustomerDevice.__table__, DeviceModel.__table__
_REPAIRS, _FEEDBACK, _EVENTS = Repair.__table__, Feedback.__table__, RepairStatusEvent.__table__
_TECHNICIANS = Technician.__table__
MAX_DAYS_AHEAD = 60
MIN_LEAD = dt.timedelta(minutes=30)  # the shop needs this much notice before a slot
SLOT_TAKEN = "this slot is no longer available: search the slots again"


def to_utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def local(moment: dt.datetime, timezone: str) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(timezone))


# --- stores and slots -------------------------------------------------------------------------


def list_stores(session: Session, today: dt.date) -> list[Store]:
    query = select(Store).where((Store.closed_on.is_(None)) | (Store.closed_on >= today))
    return list(session.scalars(query.order_by(Store.code)))


_STORE_BY_CODE = select(_STORES).where(_STORES.c.code == bindparam("code"))


def store_by_code(db: Session | Connection, code: str, location: tuple[str, ...]) -> Row:
    """The store row (a Core row: attribute access like the ORM class, none of its cost)."""
    store = db.execute(_STORE_BY_CODE, {"code": code}).first()
    if store is None:
        if location[0] == "path":
            raise NotFound("no store has this code")
        raise FieldError(location, "no store has this code")
    return store


def store_public(store: Store | Row) -> schemas.StorePublic:
    hours = parse_opening_hours(store.opening_hours)
    return schemas.StorePublic(
        code=store.code,
        name=store.name,
        city=store.city,
        country_code=store.country_code,
        timezone=store.timezone,
        opening_hours={
            day: schemas.OpeningWindow(opens=f"{w[0]:%H:%M}", closes=f"{w[1]:%H:%M}") if w else None
            for day, w in hours.items()
        },
    )


def store_today(store: Store | Row, now: dt.datetime) -> dt.date:
    return local(now, store.timezone).date()


def check_day(
    store: Store | Row, day: dt.date, now: dt.datetime, location: tuple[str, ...]
) -> None:
    today = store_today(store, now)
    if not today <= day <= today + dt.timedelta(days=MAX_DAYS_AHEAD):
        raise FieldError(location, f"choose a day from today to {MAX_DAYS_AHEAD} days ahead")
    if store.closed_on is not None and day > store.closed_on:
        raise FieldError(location, "the store is closed for good by then")


def slots_for(
    db: Session | Connection,
    store: Store | Row,
    day: dt.date,
    now: dt.datetime,
    ignore_booking_id: int | None = None,
) -> list[Slot]:
    """The slots the store can honour on ``day`` (store-local), from now plus the notice."""
    t, b = _TECHNICIANS, _BOOKINGS
    technicians = [
        TechnicianShift(*row)
        for row in db.execute(
            select(t.c.id, t.c.weekly_hours, t.c.hired_on, t.c.left_on).where(
                t.c.store_id == store.id
            )
        )
    ]
    start, end = day_bounds_utc(store.timezone, day)
    live = db.execute(
        select(b.c.technician_id, b.c.slot_start_at).where(
            b.c.store_id == store.id,
            b.c.slot_start_at >= start,
            b.c.slot_start_at < end,
            b.c.status.in_(LIVE_STATUSES),
            b.c.id != (ignore_booking_id or 0),
        )
    ).all()
    return available_slots(
        store.opening_hours,
        store.timezone,
        day,
        technicians,
        [(tech, slot) for tech, slot in live],
        now + MIN_LEAD,
    )


def slot_list(store: Store | Row, day: dt.date, slots: list[Slot]) -> schemas.SlotList:
    return schemas.SlotList(
        store_code=store.code,
        day=day,
        slot_minutes=SLOT_MINUTES,
        slots=[
            schemas.SlotPublic(
                start_at=local(s.start_at, store.timezone), end_at=local(s.end_at, store.timezone)
            )
            for s in slots
        ],
    )


def list_device_models(
    session: Session, category: str | None, search: str | None, limit: int
) -> list[DeviceModel]:
    query = select(DeviceModel)
    if category:
        query = query.where(DeviceModel.category == category)
    if search:
        # % and _ are what the customer typed, not wildcards.
        literal = search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        name = func.lower(DeviceModel.brand + " " + DeviceModel.model)
        query = query.where(name.like(f"%{literal}%", escape="\\"))
    return list(session.scalars(query.order_by(DeviceModel.brand, DeviceModel.model).limit(limit)))


# --- bookings ---------------------------------------------------------------------------------


def _lock_store_technicians(session: Session, store: Store | Row) -> None:
    """Serialise bookings per store on PostgreSQL so capacity counts cannot interleave (SQLite
    write sessions are serialised already)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            select(Technician.id).where(Technician.store_id == store.id).with_for_update()
        )


def _pick_slot(
    session: Session,
    store: Store,
    start_at: dt.datetime,
    now: dt.datetime,
    ignore_booking_id: int | None = None,
) -> Slot:
    day = local(to_utc(start_at), store.timezone).date()
    check_day(store, day, now, ("body", "slot_start_at"))
    start = to_utc(start_at)
    for slot in slots_for(session, store, day, now, ignore_booking_id):
        if slot.start_at == start:
            return slot
    raise Conflict(SLOT_TAKEN)


def _customer_for(session: Session, given: schemas.CustomerIn, store: Store | Row) -> Customer:
    """The returning customer with this email and name, or a new one.

    Anyone can book under any email and name, so a booking never changes what is stored about
    a returning customer beyond withdrawing consent: it cannot replace their phone number (and
    so where their messages go) nor opt them in to marketing or SMS."""
    email = given.email.lower()
    existing = session.scalar(
        select(Customer)
        .where(
            Customer.email == email,
            func.lower(Customer.first_name) == given.first_name.lower(),
            func.lower(Customer.last_name) == given.last_name.lower(),
        )
        .order_by(Customer.id)
        .limit(1)
    )
    if existing is not None:
        existing.marketing_consent = existing.marketing_consent and given.marketing_consent
        existing.sms_consent = existing.sms_consent and given.sms_consent
        return existing
    customer = Customer(
        first_name=given.first_name,
        last_name=given.last_name,
        email=email,
        phone=given.phone,
        city=store.city,
        home_store_id=store.id,
        acquisition_channel="web",
        marketing_consent=given.marketing_consent,
        sms_consent=given.sms_consent,
    )
    session.add(customer)
    return customer


@dataclass(frozen=True)
class NewBooking:
    booking: Booking
    store: Store | Row
    access_token: str


def create_booking(session: Session, body: schemas.BookingCreate, now: dt.datetime) -> NewBooking:
    store = store_by_code(session, body.store_code, ("body", "store_code"))
    device_model = session.get(DeviceModel, body.device_model_id)
    if device_model is None:
        raise FieldError(("body", "device_model_id"), "no device model has this id")
    _lock_store_technicians(session, store)
    slot = _pick_slot(session, store, body.slot_start_at, now)
    customer = _customer_for(session, body.customer, store)
    session.flush()
    device = CustomerDevice(customer_id=customer.id, device_model_id=device_model.id)
    session.add(device)
    session.flush()
    booking = Booking(
        reference=new_reference(),
        customer_id=customer.id,
        customer_device_id=device.id,
        store_id=store.id,
        technician_id=slot.technician_ids[0],
        slot_start_at=slot.start_at,
        slot_end_at=slot.end_at,
        channel="web",
        status="booked",
        symptoms_text=body.symptoms,
    )
    session.add(booking)
    secret, digest = new_access_secret()
    try:
        session.flush()
        session.add(BookingAccess(booking_id=booking.id, secret_sha256=digest))
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(SLOT_TAKEN) from None
    return NewBooking(booking, store, f"{booking.reference}.{secret}")


def booking_for_token(session: Session, token: str, for_update: bool = False) -> Booking:
    """The booking the access token opens; the same NotFound for a wrong secret and for a
    reference that does not exist."""
    reference, secret = split_access_token(token) or ("", token)
    query = (
        select(Booking, BookingAccess.secret_sha256)
        .join(BookingAccess, BookingAccess.booking_id == Booking.id)
        .where(Booking.reference == reference)
    )
    if for_update and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Booking)
    row = session.execute(query).first()
    if not secret_matches(row[1] if row else None, secret):
        raise NotFound(BOOKING_NOT_FOUND)
    return row[0]


def _status_queries() -> tuple[Select, Select]:
    b, a, s, cd, dm = _BOOKINGS, _ACCESS, _STORES, _CUSTOMER_DEVICES, _DEVICE_MODELS
    r, f, e = _REPAIRS, _FEEDBACK, _EVENTS
    booking = (
        select(
            b.c.id, b.c.reference, b.c.status, b.c.slot_start_at, b.c.slot_end_at,
            b.c.symptoms_text, b.c.created_at, b.c.updated_at, a.c.secret_sha256,
            s.c.code, s.c.name, s.c.timezone, dm.c.brand, dm.c.model,
            r.c.id.label("repair_id"), r.c.status.label("repair_status"), r.c.quoted_price_eur,
            r.c.final_price_eur, r.c.received_at, r.c.completed_at, r.c.collected_at,
            f.c.id.label("feedback_id"),
        )
        .select_from(
            b.join(a, a.c.booking_id == b.c.id)
            .join(s, s.c.id == b.c.store_id)
            .outerjoin(cd, cd.c.id == b.c.customer_device_id)
            .outerjoin(dm, dm.c.id == cd.c.device_model_id)
            .outerjoin(r, r.c.booking_id == b.c.id)
            .outerjoin(f, f.c.repair_id == r.c.id)
        )
        .where(b.c.reference == bindparam("reference"))
    )  # fmt: skip
    events = (
        select(e.c.occurred_at, e.c.status, e.c.note)
        .where(e.c.repair_id == bindparam("repair_id"))
        .order_by(e.c.occurred_at, e.c.id)
    )
    return booking, events


# Built once: a statement object memoises its cache key, so each request skips rebuilding the
# joins and re-deriving the key of its compiled form.
_STATUS_QUERY, _EVENTS_QUERY = _status_queries()


def booking_status(conn: Connection, token: str, now: dt.datetime) -> schemas.BookingPublic:
    """What the access link shows. Core queries on a bare connection: this is the hottest read,
    and ORM objects would only be turned back into the response model."""
    reference, secret = split_access_token(token) or ("", token)
    row = conn.execute(_STATUS_QUERY, {"reference": reference}).first()
    _check_secret(row, secret)
    events = []
    if row.repair_id is not None:
        events = conn.execute(_EVENTS_QUERY, {"repair_id": row.repair_id}).all()
    return _status_view(row, events, now)


async def booking_status_async(
    conn: AsyncDriverConnection, token: str, now: dt.datetime
) -> schemas.BookingPublic:
    """:func:`booking_status` on a PostgreSQL driver connection (the same statements, compiled
    once), for the event loop: no thread, and none of the per-call work of SQLAlchemy's
    execution layer, which on this route costs more than the queries."""
    reference, secret = split_access_token(token) or ("", token)
    async with conn.cursor(row_factory=namedtuple_row) as cursor:
        await cursor.execute(_postgres_sql(_STATUS_QUERY), {"reference": reference})
        row = await cursor.fetchone()
        _check_secret(row, secret)
        events = []
        if row.repair_id is not None:
            await cursor.execute(_postgres_sql(_EVENTS_QUERY), {"repair_id": row.repair_id})
            events = await cursor.fetchall()
    return _status_view(row, events, now)


@cache
def _postgres_sql(statement: Select) -> str:
    return str(statement.compile(dialect=postgresql.dialect()))


def _check_secret(row: Any, secret: str) -> None:
    if not secret_matches(row.secret_sha256 if row else None, secret):
        raise NotFound(BOOKING_NOT_FOUND)


def _status_view(row: Any, events: Sequence[Any], now: dt.datetime) -> schemas.BookingPublic:
    timeline = [schemas.TimelineEntry(at=row.created_at, status="booked")]
    if row.repair_id is None and row.status in ("cancelled", "no_show"):
        timeline.append(schemas.TimelineEntry(at=row.updated_at, status=row.status))
    repair_view = None
    if row.repair_id is not None:
        timeline += [schemas.TimelineEntry(at=at, status=st, note=note) for at, st, note in events]
        repair_view = schemas.RepairPublic(
            status=row.repair_status,
            quoted_price_eur=row.quoted_price_eur,
            final_price_eur=row.final_price_eur,
            received_at=row.received_at,
            completed_at=row.completed_at,
            collected_at=row.collected_at,
        )
    changeable = row.status == "booked" and row.slot_start_at > now
    return schemas.BookingPublic(
        reference=row.reference,
        status=row.status,
        store_code=row.code,
        store_name=row.name,
        slot_start_at=local(row.slot_start_at, row.timezone),
        slot_end_at=local(row.slot_end_at, row.timezone),
        device=f"{row.brand} {row.model}" if row.brand else "unknown device",
        symptoms=row.symptoms_text,
        repair=repair_view,
        timeline=timeline,
        can_reschedule=changeable,
        can_cancel=changeable,
        can_give_feedback=row.repair_status == "collected" and row.feedback_id is None,
    )


def _changeable(booking: Booking, now: dt.datetime) -> None:
    if booking.status != "booked":
        raise Conflict(f"the booking is {booking.status.replace('_', ' ')} and cannot change")
    if booking.slot_start_at <= now:
        raise Conflict("the booked slot has started: ask the store")


def reschedule_booking(
    session: Session, token: str, start_at: dt.datetime, now: dt.datetime
) -> Booking:
    booking = booking_for_token(session, token, for_update=True)
    _changeable(booking, now)
    store = session.get(Store, booking.store_id)
    assert store is not None  # foreign key
    _lock_store_technicians(session, store)
    slot = _pick_slot(session, store, start_at, now, ignore_booking_id=booking.id)
    tech = booking.technician_id if booking.technician_id in slot.technician_ids else None
    booking.technician_id = tech or slot.technician_ids[0]
    booking.slot_start_at, booking.slot_end_at = slot.start_at, slot.end_at
    booking.updated_at = utcnow()
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(SLOT_TAKEN) from None
    return booking


def cancel_booking(session: Session, token: str, now: dt.datetime) -> Booking:
    booking = booking_for_token(session, token, for_update=True)
    _changeable(booking, now)
    booking.status = "cancelled"
    booking.updated_at = utcnow()
    session.commit()
    return booking


def give_feedback(
    session: Session, token: str, body: schemas.FeedbackCreate, now: dt.datetime
) -> Feedback:
    booking = booking_for_token(session, token, for_update=True)
    repair = session.scalar(select(Repair).where(Repair.booking_id == booking.id))
    if repair is None or repair.status != "collected":
        raise Conflict("feedback opens once the device has been collected")
    if session.scalar(select(Feedback.id).where(Feedback.repair_id == repair.id)) is not None:
        raise Conflict("feedback for this repair has already been given")
    feedback = Feedback(
        repair_id=repair.id, csat=body.csat, nps=body.nps, comment=body.comment, submitted_at=now
    )
    session.add(feedback)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict("feedback for this repair has already been given") from None
    return feedback
