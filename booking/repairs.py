"""Staff flows: check-in, assignment, status changes, parts, payments and collection.

Stock is decremented by one conditional ``UPDATE … WHERE quantity_on_hand >= n`` so concurrent
uses can never take it below zero (the CHECK constraint is the last line of defence); payments
are keyed by the client's ``Idempotency-Key`` so a retried request returns the first payment.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from booking import schemas
from booking.bookings import day_bounds_utc, local
from booking.errors import Conflict, FieldError, Forbidden, NotFound
from booking.security import StaffClaims
from data import reference
from ops.schema import (
    Booking,
    CustomerDevice,
    DeviceModel,
    Part,
    Payment,
    Repair,
    RepairPart,
    RepairStatusEvent,
    StockLevel,
    StockMovement,
    Store,
    Technician,
)

# Where a repair may go next through the status route (collection has its own route).
NEXT_STATUSES: dict[str, tuple[str, ...]] = {
    "received": ("diagnosing", "cancelled"),
    "diagnosing": ("awaiting_parts", "in_repair", "ready", "cancelled"),
    "awaiting_parts": ("in_repair", "cancelled"),
    "in_repair": ("awaiting_parts", "quality_check", "ready", "cancelled"),
    "quality_check": ("in_repair", "ready"),
    "ready": (),
    "collected": (),
    "cancelled": (),
}
OPEN_FOR_PARTS = ("received", "diagnosing", "awaiting_parts", "in_repair", "quality_check")


def _fault_code(code: str | None, location: tuple[str, ...]) -> str | None:
    if code is not None and code not in reference.fault_codes():
        raise FieldError(location, "not a fault code of the taxonomy")
    return code


def get_repair(session: Session, repair_id: int, for_update: bool = True) -> Repair:
    query = select(Repair).where(Repair.id == repair_id)
    if for_update and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    repair = session.scalar(query)
    if repair is None:
        raise NotFound("no repair has this id")
    return repair


def check_store(staff: StaffClaims, store_id: int) -> None:
    """Technicians see and act on their own store only; managers on every store."""
    if staff.role == "manager":
        return
    if staff.store_id is None or staff.store_id != store_id:
        raise Forbidden("this belongs to another store")


def _may_work_on(repair: Repair, staff: StaffClaims) -> None:
    """Technicians act on their own repairs (or unassigned ones) of their store; managers on
    any."""
    check_store(staff, repair.store_id)
    if staff.role == "manager":
        return
    if repair.technician_id not in (None, staff.technician_id):
        raise Forbidden("this repair is assigned to another technician")


def _event(
    session: Session,
    repair: Repair,
    status: str,
    at: dt.datetime,
    staff: StaffClaims,
    note: str | None = None,
) -> None:
    session.add(
        RepairStatusEvent(
            repair_id=repair.id,
            status=status,
            occurred_at=at,
            technician_id=staff.technician_id or repair.technician_id,
            note=note,
        )
    )


def repair_view(session: Session, repair: Repair) -> schemas.RepairStaff:
    reference_, code = session.execute(
        select(Booking.reference, Store.code)
        .select_from(Store)
        .outerjoin(Booking, Booking.id == repair.booking_id)
        .where(Store.id == repair.store_id)
    ).one()
    paid = _paid(session, repair.id)
    return schemas.RepairStaff(
        id=repair.id,
        booking_reference=reference_,
        store_code=code,
        status=repair.status,
        technician_id=repair.technician_id,
        quoted_price_eur=repair.quoted_price_eur,
        final_price_eur=repair.final_price_eur,
        fault_code=repair.fault_code,
        received_at=repair.received_at,
        completed_at=repair.completed_at,
        collected_at=repair.collected_at,
        paid_eur=paid.quantize(Decimal("0.01")),
    )


def store_bookings(session: Session, store: Store, day: dt.date) -> list[schemas.StaffBooking]:
    start, end = day_bounds_utc(store.timezone, day)
    rows = session.execute(
        select(Booking, DeviceModel.brand, DeviceModel.model)
        .outerjoin(CustomerDevice, CustomerDevice.id == Booking.customer_device_id)
        .outerjoin(DeviceModel, DeviceModel.id == CustomerDevice.device_model_id)
        .where(
            Booking.store_id == store.id,
            Booking.slot_start_at >= start,
            Booking.slot_start_at < end,
        )
        .order_by(Booking.slot_start_at, Booking.id)
    ).all()
    return [
        schemas.StaffBooking(
            reference=b.reference,
            status=b.status,
            slot_start_at=local(b.slot_start_at, store.timezone),
            technician_id=b.technician_id,
            device=f"{brand} {model}" if brand else "unknown device",
            symptoms=b.symptoms_text,
        )
        for b, brand, model in rows
    ]


def check_in(
    session: Session,
    booking_reference: str,
    body: schemas.CheckIn,
    staff: StaffClaims,
    now: dt.datetime,
) -> Repair:
    query = select(Booking).where(Booking.reference == booking_reference)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    booking = session.scalar(query)
    if booking is None:
        raise NotFound("no booking has this reference")
    check_store(staff, booking.store_id)
    if booking.status != "booked":
        raise Conflict(f"the booking is {booking.status.replace('_', ' ')}, not awaiting check-in")
    if booking.customer_device_id is None:
        raise Conflict("the booking names no device: book it again at the desk")
    repair = Repair(
        booking_id=booking.id,
        customer_id=booking.customer_id,
        customer_device_id=booking.customer_device_id,
        store_id=booking.store_id,
        technician_id=booking.technician_id,
        received_at=now,
        reported_symptoms=booking.symptoms_text,
        initial_fault_code=_fault_code(body.initial_fault_code, ("body", "initial_fault_code")),
        status="received",
        quoted_price_eur=body.quoted_price_eur,
        discount_eur=Decimal("0"),
    )
    booking.status = "checked_in"
    booking.updated_at = now
    session.add(repair)
    session.flush()
    _event(session, repair, "received", now, staff, "checked in")
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict("the booking is already checked in") from None
    return repair


def assign_technician(
    session: Session, repair_id: int, technician_id: int, now: dt.datetime
) -> Repair:
    repair = get_repair(session, repair_id)
    technician = session.get(Technician, technician_id)
    today = now.date()
    if (
        technician is None
        or technician.store_id != repair.store_id
        or (technician.left_on is not None and technician.left_on < today)
    ):
        raise FieldError(("body", "technician_id"), "no current technician of this store")
    if repair.status in ("collected", "cancelled"):
        raise Conflict(f"the repair is {repair.status}")
    repair.technician_id = technician.id
    repair.updated_at = now
    session.commit()
    return repair


def change_status(
    session: Session,
    repair_id: int,
    body: schemas.StatusChange,
    staff: StaffClaims,
    now: dt.datetime,
) -> Repair:
    repair = get_repair(session, repair_id)
    _may_work_on(repair, staff)
    if body.status not in NEXT_STATUSES[repair.status]:
        allowed = ", ".join(NEXT_STATUSES[repair.status]) or "nothing (use the collect route)"
        raise Conflict(f"a {repair.status} repair can move to {allowed}")
    if body.fault_code is not None:
        repair.fault_code = _fault_code(body.fault_code, ("body", "fault_code"))
        repair.repair_type = reference.faults().filter(code=body.fault_code)["repair_type"][0]
    if body.labour_minutes is not None:
        repair.labour_minutes = body.labour_minutes
    if body.final_price_eur is not None:
        repair.final_price_eur = body.final_price_eur
    if repair.technician_id is None and staff.technician_id is not None:
        repair.technician_id = staff.technician_id
    if body.status == "ready":
        repair.completed_at = now
        if repair.final_price_eur is None:
            repair.final_price_eur = repair.quoted_price_eur
    repair.status = body.status
    repair.updated_at = now
    _event(session, repair, body.status, now, staff, body.note)
    session.commit()
    return repair


def use_part(
    session: Session, repair_id: int, body: schemas.PartUse, staff: StaffClaims, now: dt.datetime
) -> schemas.PartUsed:
    repair = get_repair(session, repair_id, for_update=False)
    _may_work_on(repair, staff)
    if repair.status not in OPEN_FOR_PARTS:
        raise Conflict(f"the repair is {repair.status.replace('_', ' ')}: no more parts")
    part = session.scalar(select(Part).where(Part.sku == body.sku))
    if part is None:
        raise FieldError(("body", "sku"), "no part has this SKU")
    left = session.execute(
        update(StockLevel)
        .where(
            StockLevel.store_id == repair.store_id,
            StockLevel.part_id == part.id,
            StockLevel.quantity_on_hand >= body.quantity,
        )
        .values(quantity_on_hand=StockLevel.quantity_on_hand - body.quantity, updated_at=now)
        .returning(StockLevel.quantity_on_hand, StockLevel.reorder_point)
    ).first()
    if left is None:
        on_hand = session.scalar(
            select(StockLevel.quantity_on_hand).where(
                StockLevel.store_id == repair.store_id, StockLevel.part_id == part.id
            )
        )
        session.rollback()
        raise Conflict(
            f"stock-out: {part.sku} has {on_hand or 0} on hand at this store, "
            f"{body.quantity} needed"
        )
    session.add(
        RepairPart(
            repair_id=repair.id,
            part_id=part.id,
            quantity=body.quantity,
            unit_cost_eur=part.unit_cost_eur,
        )
    )
    session.add(
        StockMovement(
            store_id=repair.store_id,
            part_id=part.id,
            quantity=-body.quantity,
            reason="repair_use",
            repair_id=repair.id,
            occurred_at=now,
        )
    )
    session.commit()
    on_hand, reorder_point = left
    return schemas.PartUsed(
        sku=part.sku,
        quantity=body.quantity,
        quantity_on_hand=on_hand,
        below_reorder_point=on_hand <= reorder_point,
        stock_out=on_hand == 0,
    )


def _same_payment(payment: Payment, repair_id: int, body: schemas.PaymentCreate) -> Payment:
    if (payment.repair_id, payment.amount_eur, payment.method) != (
        repair_id,
        body.amount_eur,
        body.method,
    ):
        raise Conflict("this Idempotency-Key was already used for a different payment")
    return payment


def _paid(session: Session, repair_id: int) -> Decimal:
    paid = session.scalar(
        select(func.coalesce(func.sum(Payment.amount_eur), 0)).where(
            Payment.repair_id == repair_id, Payment.status == "succeeded"
        )
    )
    return Decimal(paid)


def record_payment(
    session: Session,
    repair_id: int,
    body: schemas.PaymentCreate,
    key: str,
    staff: StaffClaims,
    now: dt.datetime,
) -> tuple[Payment, bool]:
    """The payment and whether it is new (False: the key was seen, the first one is returned).

    Payments never add up to more than the price (the final price once set, else the quote)."""
    repair = get_repair(session, repair_id)  # locked on PostgreSQL: payments to it queue
    check_store(staff, repair.store_id)
    existing = session.scalar(select(Payment).where(Payment.idempotency_key == key))
    if existing is not None:
        return _same_payment(existing, repair_id, body), False
    if repair.status in ("cancelled", "collected"):
        raise Conflict(f"the repair is {repair.status}: no more payments")
    price = (repair.final_price_eur or repair.quoted_price_eur) - (repair.discount_eur or 0)
    paid = _paid(session, repair.id)
    if paid + body.amount_eur > price:
        raise Conflict(
            f"EUR {body.amount_eur:.2f} is more than the EUR {max(price - paid, 0):.2f} still due"
        )
    payment = Payment(
        repair_id=repair.id,
        amount_eur=body.amount_eur,
        method=body.method,
        status="succeeded",
        idempotency_key=key,
        paid_at=now,
    )
    session.add(payment)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()  # a concurrent retry with the same key won
        existing = session.scalar(select(Payment).where(Payment.idempotency_key == key))
        if existing is None:
            raise
        return _same_payment(existing, repair_id, body), False
    return payment, True


def collect(session: Session, repair_id: int, staff: StaffClaims, now: dt.datetime) -> Repair:
    repair = get_repair(session, repair_id)
    check_store(staff, repair.store_id)
    if repair.status != "ready":
        raise Conflict(f"the repair is {repair.status.replace('_', ' ')}, not ready")
    due = (repair.final_price_eur or Decimal("0")) - repair.discount_eur
    paid = _paid(session, repair.id)
    if not repair.is_warranty and paid < due:
        raise Conflict(f"EUR {due - paid:.2f} still to pay before collection")
    repair.status = "collected"
    repair.collected_at = now
    repair.updated_at = now
    _event(session, repair, "collected", now, staff)
    session.commit()
    return repair
