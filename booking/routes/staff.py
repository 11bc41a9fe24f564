"""Staff routes: a bearer token from ``/staff/token``; every route checks the role."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Response, status
from sqlalchemy import func, select

from booking import bookings, repairs, schemas
from booking.deps import (
    API_PREFIX,
    AnyStaff,
    DatabaseDep,
    Manager,
    NotAuthenticated,
    Now,
    StateDep,
    rate_limit,
)
from booking.errors import FieldError
from booking.schemas import STORE_CODE_PATTERN, Problem
from booking.security import REFERENCE_PATTERN, issue_token, verify_password
from ops.schema import StaffAccount

router = APIRouter(
    prefix=f"{API_PREFIX}/staff",
    tags=["staff"],
    responses={
        400: {
            "model": Problem,
            "description": "A body that is not JSON, or a value the database refuses.",
        }
    },
)

AUTH = {
    401: {"model": Problem, "description": "Missing, invalid or expired token."},
    403: {"model": Problem, "description": "The role does not allow this."},
}
NOT_FOUND = {404: {"model": Problem}}
CONFLICT = {409: {"model": Problem}}
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2099, 12, 31)
StoreCode = Annotated[str, Path(pattern=STORE_CODE_PATTERN, examples=["BER-01"])]
RepairId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Reference = Annotated[str, Path(pattern=f"^{REFERENCE_PATTERN.pattern}$", examples=["RL-7KQ9M2XA"])]
IdempotencyKey = Annotated[
    str,
    Header(
        min_length=8,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="Unique per payment attempt; a retry with the same key is not charged again.",
    ),
]


@router.post(
    "/token",
    response_model=schemas.Token,
    dependencies=[Depends(rate_limit)],
    responses={401: {"model": Problem}, 429: {"model": Problem}},
)
def create_token(body: schemas.TokenRequest, state: StateDep, db: DatabaseDep) -> schemas.Token:
    """Sign in with email and password for a short-lived bearer token."""
    with db.read() as session:
        account = session.scalar(
            select(StaffAccount).where(func.lower(StaffAccount.email) == body.email.lower())
        )
    usable = account is not None and account.is_active
    if not verify_password(account.password_hash if usable else None, body.password):
        raise NotAuthenticated("wrong email or password")
    assert account is not None
    minutes = state.settings.api_token_minutes
    return schemas.Token(
        access_token=issue_token(state.token_secret, account.id, account.password_hash, minutes),
        expires_in=minutes * 60,
        role=account.role,
    )


@router.get(
    "/stores/{store_code}/bookings",
    response_model=list[schemas.StaffBooking],
    responses=AUTH | NOT_FOUND,
)
def list_store_bookings(
    store_code: StoreCode,
    day: Annotated[dt.date, Query(description="Store-local day.")],
    staff: AnyStaff,
    db: DatabaseDep,
) -> list[schemas.StaffBooking]:
    """A store's bookings on a day, in slot order."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise FieldError(("query", "day"), f"choose a day from {FIRST_DAY} to {LAST_DAY}")
    with db.read() as session:
        store = bookings.store_by_code(session, store_code, ("path", "store_code"))
        repairs.check_store(staff, store.id)
        return repairs.store_bookings(session, store, day)


@router.post(
    "/bookings/{reference}/check-in",
    response_model=schemas.RepairStaff,
    status_code=status.HTTP_201_CREATED,
    responses=AUTH | NOT_FOUND | CONFLICT,
)
def check_in_booking(
    reference: Reference, body: schemas.CheckIn, staff: AnyStaff, db: DatabaseDep, now: Now
) -> schemas.RepairStaff:
    """Receive the device of a booking: opens a repair."""
    with db.write() as session:
        repair = repairs.check_in(session, reference, body, staff, now)
        return repairs.repair_view(session, repair)


@router.get("/repairs/{repair_id}", response_model=schemas.RepairStaff, responses=AUTH | NOT_FOUND)
def read_repair(repair_id: RepairId, staff: AnyStaff, db: DatabaseDep) -> schemas.RepairStaff:
    """One repair with what has been paid."""
    with db.read() as session:
        repair = repairs.get_repair(session, repair_id, for_update=False)
        repairs.check_store(staff, repair.store_id)
        return repairs.repair_view(session, repair)


@router.put(
    "/repairs/{repair_id}/technician",
    response_model=schemas.RepairStaff,
    responses=AUTH | NOT_FOUND | CONFLICT,
)
def assign_technician(
    repair_id: RepairId, body: schemas.AssignTechnician, staff: Manager, db: DatabaseDep, now: Now
) -> schemas.RepairStaff:
    """Give the repair to a technician of its store (managers)."""
    with db.write() as session:
        repair = repairs.assign_technician(session, repair_id, body.technician_id, now)
        return repairs.repair_view(session, repair)


@router.post(
    "/repairs/{repair_id}/status",
    response_model=schemas.RepairStaff,
    responses=AUTH | NOT_FOUND | CONFLICT,
)
def change_repair_status(
    repair_id: RepairId, body: schemas.StatusChange, staff: AnyStaff, db: DatabaseDep, now: Now
) -> schemas.RepairStaff:
    """Move the repair to its next status, with a note the customer sees."""
    with db.write() as session:
        repair = repairs.change_status(session, repair_id, body, staff, now)
        return repairs.repair_view(session, repair)


@router.post(
    "/repairs/{repair_id}/parts",
    response_model=schemas.PartUsed,
    status_code=status.HTTP_201_CREATED,
    responses=AUTH | NOT_FOUND | {409: {"model": Problem, "description": "Stock-out."}},
)
def use_part(
    repair_id: RepairId, body: schemas.PartUse, staff: AnyStaff, db: DatabaseDep, now: Now
) -> schemas.PartUsed:
    """Fit parts from the store's stock (never below zero)."""
    with db.write() as session:
        return repairs.use_part(session, repair_id, body, staff, now)


@router.post(
    "/repairs/{repair_id}/payments",
    response_model=schemas.PaymentPublic,
    status_code=status.HTTP_201_CREATED,
    responses=AUTH
    | NOT_FOUND
    | CONFLICT
    | {200: {"model": schemas.PaymentPublic, "description": "A replayed request."}},
)
def record_payment(
    repair_id: RepairId,
    body: schemas.PaymentCreate,
    idempotency_key: IdempotencyKey,
    staff: AnyStaff,
    db: DatabaseDep,
    now: Now,
    response: Response,
) -> schemas.PaymentPublic:
    """Record a payment; the same Idempotency-Key returns the first payment (200)."""
    with db.write() as session:
        payment, created = repairs.record_payment(
            session, repair_id, body, idempotency_key, staff, now
        )
    if not created:
        response.status_code = status.HTTP_200_OK
    return schemas.PaymentPublic(
        id=payment.id,
        amount_eur=payment.amount_eur,
        method=payment.method,
        status=payment.status,
        paid_at=payment.paid_at,
    )


@router.post(
    "/repairs/{repair_id}/collect",
    response_model=schemas.RepairStaff,
    responses=AUTH | NOT_FOUND | CONFLICT,
)
def collect_repair(
    repair_id: RepairId, staff: AnyStaff, db: DatabaseDep, now: Now
) -> schemas.RepairStaff:
    """Hand the device back: the repair must be ready and paid (unless under warranty)."""
    with db.write() as session:
        repair = repairs.collect(session, repair_id, staff, now)
        return repairs.repair_view(session, repair)
