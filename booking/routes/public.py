"""Customer routes: no account, rate limited per client; a booking opens only with its secret."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status
from sqlalchemy import Connection

from booking import bookings, schemas
from booking.deps import API_PREFIX, DatabaseDep, Now, StateDep, rate_limit
from booking.quotes import link_quote
from booking.schemas import Problem

router = APIRouter(
    prefix=API_PREFIX,
    dependencies=[Depends(rate_limit)],
    responses={
        400: {
            "model": Problem,
            "description": "A body that is not JSON, or a value the database refuses.",
        }
    },
)

LIMITED = {429: {"model": Problem, "description": "Too many requests from this client."}}
NOT_FOUND = {404: {"model": Problem}}
CONFLICT = {409: {"model": Problem}}
AccessToken = Annotated[
    str,
    Path(
        min_length=1,
        max_length=128,
        description="The secret from the booking's access link.",
        examples=["RL-7KQ9M2XA.secret"],
    ),
]
StoreCode = Annotated[str, Path(pattern=schemas.STORE_CODE_PATTERN, examples=["BER-01"])]


@router.get("/stores", response_model=list[schemas.StorePublic], tags=["stores"], responses=LIMITED)
def list_stores(db: DatabaseDep, now: Now) -> list[schemas.StorePublic]:
    """Stores taking bookings, with opening hours."""
    with db.read() as session:
        return [bookings.store_public(s) for s in bookings.list_stores(session, now.date())]


@router.get(
    "/stores/{store_code}/slots",
    response_model=schemas.SlotList,
    tags=["stores"],
    responses=LIMITED | NOT_FOUND,
)
async def list_slots(
    store_code: StoreCode,
    db: DatabaseDep,
    now: Now,
    day: Annotated[dt.date, Query(description="Store-local day, YYYY-MM-DD.")],
) -> schemas.SlotList:
    """Free slots of a store on a day."""

    def search(conn: Connection) -> schemas.SlotList:
        store = bookings.store_by_code(conn, store_code, ("path", "store_code"))
        bookings.check_day(store, day, now, ("query", "day"))
        return bookings.slot_list(store, day, bookings.slots_for(conn, store, day, now))

    return await db.run_read(search)


@router.get(
    "/device-models",
    response_model=list[schemas.DeviceModelPublic],
    tags=["stores"],
    responses=LIMITED,
)
def list_device_models(
    db: DatabaseDep,
    category: schemas.Category | None = None,
    q: Annotated[
        str | None,
        Query(max_length=60, pattern=r"^[^\x00-\x1f]*$", description="Part of brand or model."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[schemas.DeviceModelPublic]:
    """Device models a booking can name."""
    with db.read() as session:
        return [
            schemas.DeviceModelPublic(id=m.id, brand=m.brand, model=m.model, category=m.category)
            for m in bookings.list_device_models(session, category, q, limit)
        ]


@router.post(
    "/quotes",
    response_model=schemas.QuoteResponse,
    tags=["quotes"],
    responses=LIMITED | {503: {"model": Problem, "description": "No model trained."}},
)
def create_quote(body: schemas.QuoteRequest, state: StateDep, now: Now) -> schemas.QuoteResponse:
    """Likely faults for a device and its symptoms, with price and time ranges."""
    return state.quoter.quote(body, now.date())


@router.post(
    "/bookings",
    response_model=schemas.BookingCreated,
    tags=["bookings"],
    status_code=status.HTTP_201_CREATED,
    responses=LIMITED | CONFLICT,
)
def create_booking(
    body: schemas.BookingCreate, db: DatabaseDep, state: StateDep, now: Now
) -> schemas.BookingCreated:
    """Book a slot; the answer holds the secret access link, shown only this once."""
    with db.write() as session:
        made = bookings.create_booking(session, body, now)
    b = made.booking
    if body.quote_id is not None:
        link_quote(state.settings, body.quote_id, b.reference)
    return schemas.BookingCreated(
        reference=b.reference,
        access_token=made.access_token,
        access_path=f"/api/v1/bookings/{made.access_token}",
        status=b.status,
        store_code=made.store.code,
        slot_start_at=bookings.local(b.slot_start_at, made.store.timezone),
        slot_end_at=bookings.local(b.slot_end_at, made.store.timezone),
    )


@router.get(
    "/bookings/{access_token}",
    response_model=schemas.BookingPublic,
    tags=["bookings"],
    responses=LIMITED | NOT_FOUND,
)
async def read_booking(access_token: AccessToken, db: DatabaseDep, now: Now) -> Response:
    """Status and timeline of a booking and its repair."""
    view = await db.run_driver_read(
        lambda driver: bookings.booking_status_async(driver, access_token, now),
        lambda conn: bookings.booking_status(conn, access_token, now),
    )
    # The same JSON FastAPI would write from ``response_model``, without first validating again
    # the model that was just built.
    return Response(view.model_dump_json(), media_type="application/json")


@router.post(
    "/bookings/{access_token}/reschedule",
    response_model=schemas.BookingPublic,
    tags=["bookings"],
    responses=LIMITED | NOT_FOUND | CONFLICT,
)
def reschedule_booking(
    access_token: AccessToken, body: schemas.Reschedule, db: DatabaseDep, now: Now
) -> schemas.BookingPublic:
    """Move a booking to another free slot of the same store."""
    with db.write() as session:
        bookings.reschedule_booking(session, access_token, body.slot_start_at, now)
    with db.engine.connect() as conn:
        return bookings.booking_status(conn, access_token, now)


@router.post(
    "/bookings/{access_token}/cancel",
    response_model=schemas.BookingPublic,
    tags=["bookings"],
    responses=LIMITED | NOT_FOUND | CONFLICT,
)
def cancel_booking(access_token: AccessToken, db: DatabaseDep, now: Now) -> schemas.BookingPublic:
    """Cancel a booking before its slot; the slot is offered again."""
    with db.write() as session:
        bookings.cancel_booking(session, access_token, now)
    with db.engine.connect() as conn:
        return bookings.booking_status(conn, access_token, now)


@router.post(
    "/bookings/{access_token}/feedback",
    response_model=schemas.FeedbackPublic,
    tags=["bookings"],
    status_code=status.HTTP_201_CREATED,
    responses=LIMITED | NOT_FOUND | CONFLICT,
)
def create_feedback(
    access_token: AccessToken, body: schemas.FeedbackCreate, db: DatabaseDep, now: Now
) -> schemas.FeedbackPublic:
    """Rate the repair, once, after collecting the device."""
    with db.write() as session:
        feedback = bookings.give_feedback(session, access_token, body, now)
    return schemas.FeedbackPublic(
        csat=feedback.csat, nps=feedback.nps, submitted_at=feedback.submitted_at
    )
