"""The operational schema refuses what must never happen, on both engines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ops.schema import (
    Booking,
    Customer,
    CustomerDevice,
    DeviceModel,
    Feedback,
    Part,
    Payment,
    Repair,
    StockLevel,
    Store,
    Technician,
)

SLOT = dt.datetime(2026, 3, 2, 10, 0)


def _shop(session: Session) -> dict[str, int]:
    """One store, technician, customer, device and repair; returns their ids."""
    store = Store(
        code="BER1",
        name="Berlin Mitte",
        city="Berlin",
        country_code="DE",
        timezone="Europe/Berlin",
        opening_hours="{}",
        opened_on=dt.date(2024, 1, 1),
    )
    model = DeviceModel(
        brand="Apple",
        model="iPhone 12",
        category="phone",
        device_class="premium",
        release_date=dt.date(2020, 10, 23),
    )
    session.add_all([store, model])
    session.flush()
    technician = Technician(
        store_id=store.id,
        name="Ana Ruiz",
        skill_level="senior",
        hired_on=dt.date(2024, 1, 1),
        weekly_hours=38,
    )
    customer = Customer(first_name="Jo", last_name="Bloggs", acquisition_channel="web")
    part = Part(
        sku="PH-APL-IP12-BAT",
        name="iPhone 12 battery",
        part_category="battery",
        unit_cost_eur=Decimal("21.50"),
        lead_time_days=2,
        supplier="Fixez Europe",
    )
    session.add_all([technician, customer, part])
    session.flush()
    device = CustomerDevice(customer_id=customer.id, device_model_id=model.id)
    session.add(device)
    session.flush()
    repair = Repair(
        customer_id=customer.id,
        customer_device_id=device.id,
        store_id=store.id,
        technician_id=technician.id,
        received_at=SLOT,
        reported_symptoms="battery dies",
        status="received",
        quoted_price_eur=Decimal("79.00"),
    )
    session.add(repair)
    session.commit()
    return {
        "store": store.id,
        "technician": technician.id,
        "customer": customer.id,
        "device": device.id,
        "repair": repair.id,
        "part": part.id,
    }


def _booking(ids: dict[str, int], reference: str, status: str = "booked") -> Booking:
    return Booking(
        reference=reference,
        customer_id=ids["customer"],
        store_id=ids["store"],
        technician_id=ids["technician"],
        slot_start_at=SLOT,
        slot_end_at=SLOT + dt.timedelta(minutes=30),
        channel="web",
        status=status,
        symptoms_text="screen cracked",
    )


def test_stock_can_never_go_negative(ops_engine: Engine):
    with Session(ops_engine) as session:
        ids = _shop(session)
        session.add(
            StockLevel(
                store_id=ids["store"],
                part_id=ids["part"],
                quantity_on_hand=1,
                reorder_point=2,
                reorder_quantity=5,
            )
        )
        session.commit()
        with pytest.raises(IntegrityError):
            session.execute(
                update(StockLevel).values(quantity_on_hand=StockLevel.quantity_on_hand - 2)
            )


def test_a_payment_needs_a_repair(ops_engine: Engine):
    with Session(ops_engine) as session:
        _shop(session)
        session.add(
            Payment(
                repair_id=999_999,
                amount_eur=Decimal("10"),
                method="card",
                status="succeeded",
                idempotency_key="k-1",
            )
        )
        with pytest.raises(IntegrityError):
            session.commit()


def test_a_retried_payment_with_the_same_idempotency_key_is_refused(ops_engine: Engine):
    with Session(ops_engine) as session:
        ids = _shop(session)
        for _ in range(2):
            session.add(
                Payment(
                    repair_id=ids["repair"],
                    amount_eur=Decimal("79"),
                    method="card",
                    status="succeeded",
                    idempotency_key="same-key",
                )
            )
        with pytest.raises(IntegrityError):
            session.commit()


def test_a_technician_cannot_hold_two_live_bookings_in_one_slot(ops_engine: Engine):
    with Session(ops_engine) as session:
        ids = _shop(session)
        session.add(_booking(ids, "RL-AAAA01"))
        session.commit()
        session.add(_booking(ids, "RL-AAAA02"))
        with pytest.raises(IntegrityError):
            session.commit()


def test_a_cancelled_booking_frees_its_slot(ops_engine: Engine):
    with Session(ops_engine) as session:
        ids = _shop(session)
        session.add(_booking(ids, "RL-AAAA01", status="cancelled"))
        session.add(_booking(ids, "RL-AAAA02"))
        session.commit()
        assert session.query(Booking).count() == 2


@pytest.mark.parametrize(("csat", "nps"), [(0, 5), (6, 5), (3, 11), (3, -1)])
def test_feedback_scores_outside_their_scales_are_refused(ops_engine: Engine, csat, nps):
    with Session(ops_engine) as session:
        ids = _shop(session)
        session.add(Feedback(repair_id=ids["repair"], csat=csat, nps=nps, submitted_at=SLOT))
        with pytest.raises(IntegrityError):
            session.commit()


def test_a_repair_status_outside_the_timeline_is_refused(ops_engine: Engine):
    with Session(ops_engine) as session:
        ids = _shop(session)
        with pytest.raises(IntegrityError):
            session.execute(update(Repair).where(Repair.id == ids["repair"]).values(status="lost"))


def test_updating_a_row_through_the_orm_moves_its_updated_at(ops_engine: Engine):
    with Session(ops_engine) as session:
        ids = _shop(session)
        repair = session.get(Repair, ids["repair"])
        before = repair.updated_at
        repair.status = "diagnosing"
        session.commit()
        session.refresh(repair)
        assert repair.updated_at > before
