"""Staff routes over HTTP: sign-in, roles, the repair from check-in to collection."""

from __future__ import annotations

import datetime as dt

import jwt
from sqlalchemy import select
from sqlalchemy.orm import Session

from ops.schema import Payment, StaffAccount, StockLevel, StockMovement
from tests.booking.conftest import (
    PASSWORD,
    TOKEN_SECRET,
    booking_body,
    password_hash,
    sign_in,
)
from tests.factories import insert, technician_row

STAFF = "/api/v1/staff"


def _status(client, repair_id: int, headers: dict, status: str, **extra):
    return client.post(
        f"{STAFF}/repairs/{repair_id}/status", json={"status": status, **extra}, headers=headers
    )


def _pay(client, repair_id: int, headers: dict, key: str, amount: str = "120.00"):
    return client.post(
        f"{STAFF}/repairs/{repair_id}/payments",
        json={"amount_eur": amount, "method": "card"},
        headers=headers | {"Idempotency-Key": key},
    )


def test_a_repair_goes_from_booking_to_collection_and_feedback(any_client):
    """The whole journey on both engines: book, check in, diagnose, fit a part, finish, pay,
    collect, and the customer rates it once."""
    client = any_client
    booked = client.post("/api/v1/bookings", json=booking_body()).json()
    manager = sign_in(client)
    technician = sign_in(client, "tech1@example.com")
    repair = client.post(
        f"{STAFF}/bookings/{booked['reference']}/check-in",
        json={"quoted_price_eur": "120.00"},
        headers=manager,
    ).json()
    rid = repair["id"]
    assert repair["status"] == "received" and repair["booking_reference"] == booked["reference"]
    note = "glass and digitizer cracked"
    assert _status(client, rid, technician, "diagnosing", note=note).status_code == 200
    used = client.post(
        f"{STAFF}/repairs/{rid}/parts", json={"sku": "P-0001", "quantity": 1}, headers=technician
    )
    assert used.status_code == 201 and used.json()["quantity_on_hand"] == 9
    assert _status(client, rid, technician, "in_repair", fault_code="cracked_screen").is_success
    done = _status(client, rid, technician, "ready", labour_minutes=40, final_price_eur="130.00")
    assert done.json()["final_price_eur"] == "130.00"
    assert _pay(client, rid, manager, "pay-journey-1", "130.00").status_code == 201
    collected = client.post(f"{STAFF}/repairs/{rid}/collect", headers=manager)
    assert collected.status_code == 200 and collected.json()["status"] == "collected"

    view = client.get(booked["access_path"]).json()
    assert view["status"] == "checked_in" and view["repair"]["status"] == "collected"
    assert [e["status"] for e in view["timeline"]] == [
        "booked", "received", "diagnosing", "in_repair", "ready", "collected",
    ]  # fmt: skip
    assert note in [e["note"] for e in view["timeline"]]
    assert view["can_give_feedback"]
    feedback = {"csat": 5, "nps": 9, "comment": "fast"}
    first = client.post(f"{booked['access_path']}/feedback", json=feedback)
    again = client.post(f"{booked['access_path']}/feedback", json=feedback)
    assert (first.status_code, again.status_code) == (201, 409)


def test_feedback_before_collection_is_refused(client, booked, checked_in):
    response = client.post(f"{booked['access_path']}/feedback", json={"csat": 4})
    assert response.status_code == 409


def test_staff_routes_need_a_token(client, booked):
    response = client.post(
        f"{STAFF}/bookings/{booked['reference']}/check-in", json={"quoted_price_eur": "1.00"}
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_wrong_password_and_an_unknown_account_get_the_same_answer(client):
    wrong = client.post(
        f"{STAFF}/token", json={"email": "manager@example.com", "password": "wrong password"}
    )
    unknown = client.post(
        f"{STAFF}/token", json={"email": "nobody@example.com", "password": PASSWORD}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_an_expired_token_is_refused(client):
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    token = jwt.encode(
        {"sub": "1", "role": "manager", "iss": "repairlens", "iat": past, "exp": past},
        TOKEN_SECRET,
        algorithm="HS256",
    )
    response = client.get(f"{STAFF}/repairs/1", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_a_technician_may_not_assign_repairs(client, checked_in):
    technician = sign_in(client, "tech1@example.com")
    response = client.put(
        f"{STAFF}/repairs/{checked_in['id']}/technician",
        json={"technician_id": 1},
        headers=technician,
    )
    assert response.status_code == 403


def test_a_manager_assigns_a_technician_of_the_store(client, checked_in, manager):
    url = f"{STAFF}/repairs/{checked_in['id']}/technician"
    assert client.put(url, json={"technician_id": 1}, headers=manager).json()["technician_id"] == 1
    unknown = client.put(url, json={"technician_id": 99}, headers=manager)
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "technician_id"]


def test_a_status_cannot_skip_the_workflow(client, checked_in, manager):
    response = _status(client, checked_in["id"], manager, "ready")
    assert response.status_code == 409
    assert "diagnosing" in response.json()["detail"]


def test_a_fault_code_outside_the_taxonomy_is_a_field_error(client, checked_in, manager):
    response = _status(client, checked_in["id"], manager, "diagnosing", fault_code="bad_code")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "fault_code"]


def test_using_more_parts_than_in_stock_reports_a_stock_out(client, shop, checked_in, manager):
    url = f"{STAFF}/repairs/{checked_in['id']}/parts"
    assert client.post(url, json={"sku": "P-0001", "quantity": 10}, headers=manager).json()[
        "stock_out"
    ]
    refused = client.post(url, json={"sku": "P-0001", "quantity": 1}, headers=manager)
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("stock-out: P-0001 has 0 on hand")
    with Session(shop.engine) as session:
        assert session.scalar(select(StockLevel.quantity_on_hand)) == 0
        assert session.scalars(select(StockMovement.quantity)).all() == [-10]


def test_a_retried_payment_is_recorded_once(client, shop, checked_in, manager):
    first = _pay(client, checked_in["id"], manager, "retry-key-1")
    retry = _pay(client, checked_in["id"], manager, "retry-key-1")
    assert (first.status_code, retry.status_code) == (201, 200)
    assert first.json() == retry.json()
    with Session(shop.engine) as session:
        assert len(session.scalars(select(Payment)).all()) == 1


def test_reusing_a_payment_key_for_another_amount_is_a_conflict(client, checked_in, manager):
    assert _pay(client, checked_in["id"], manager, "reused-key-1").status_code == 201
    assert _pay(client, checked_in["id"], manager, "reused-key-1", "99.00").status_code == 409


def test_a_payment_needs_an_idempotency_key(client, checked_in, manager):
    response = client.post(
        f"{STAFF}/repairs/{checked_in['id']}/payments",
        json={"amount_eur": "10.00", "method": "card"},
        headers=manager,
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["header", "idempotency-key"]


def test_an_unpaid_repair_cannot_be_collected(client, checked_in, manager):
    rid = checked_in["id"]
    for status in ("diagnosing", "in_repair", "ready"):
        assert _status(client, rid, manager, status).status_code == 200
    response = client.post(f"{STAFF}/repairs/{rid}/collect", headers=manager)
    assert response.status_code == 409
    assert "120.00 still to pay" in response.json()["detail"]


def test_staff_see_a_stores_bookings_of_a_day(client, booked, manager):
    response = client.get(f"{STAFF}/stores/S01/bookings?day=2030-01-08", headers=manager)
    assert [b["reference"] for b in response.json()] == [booked["reference"]]


def test_a_technician_may_not_move_a_repair_assigned_to_someone_else(client, shop, checked_in):
    insert(shop.engine, "technicians", [technician_row(2)])
    with Session(shop.engine) as session:
        session.add(StaffAccount(email="tech2@example.com", password_hash=password_hash(),
                                 role="technician", technician_id=2))  # fmt: skip
        session.commit()
    other = sign_in(client, "tech2@example.com")
    response = _status(client, checked_in["id"], other, "diagnosing")
    assert response.status_code == 403


def test_a_day_outside_the_calendar_is_a_field_error_for_staff_too(client, manager):
    response = client.get(f"{STAFF}/stores/S01/bookings?day=9999-12-31", headers=manager)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "day"]


def test_payment_amounts_out_of_range_are_field_errors(client, checked_in, manager):
    for n, amount in enumerate(["0", "-5.00", "100000.01", "1.001", "NaN", "Infinity"]):
        response = _pay(client, checked_in["id"], manager, f"bad-amount-{n}", amount)
        assert response.status_code == 422, amount
        assert response.json()["detail"][0]["loc"] == ["body", "amount_eur"]


def test_a_payment_in_another_currency_is_a_field_error(client, checked_in, manager):
    response = client.post(
        f"{STAFF}/repairs/{checked_in['id']}/payments",
        json={"amount_eur": "10.00", "currency": "USD", "method": "card"},
        headers=manager | {"Idempotency-Key": "usd-payment-1"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "currency"]


def test_payments_beyond_the_price_are_a_conflict(client, shop, checked_in, manager):
    assert _pay(client, checked_in["id"], manager, "deposit-key-1", "100.00").status_code == 201
    over = _pay(client, checked_in["id"], manager, "deposit-key-2", "20.01")
    assert over.status_code == 409
    assert "EUR 20.00 still due" in over.json()["detail"]
    with Session(shop.engine) as session:
        assert len(session.scalars(select(Payment)).all()) == 1


def test_reusing_a_payment_key_on_another_repair_is_a_conflict(client, checked_in, manager):
    assert _pay(client, checked_in["id"], manager, "shared-key-1", "10.00").status_code == 201
    second = client.post("/api/v1/bookings", json=booking_body("2030-01-08T10:00:00+01:00"))
    other = client.post(
        f"{STAFF}/bookings/{second.json()['reference']}/check-in",
        json={"quoted_price_eur": "50.00"},
        headers=manager,
    ).json()
    assert _pay(client, other["id"], manager, "shared-key-1", "10.00").status_code == 409


def test_a_collected_repair_takes_no_more_status_changes_or_payments(client, checked_in, manager):
    rid = checked_in["id"]
    for status in ("diagnosing", "in_repair", "ready"):
        assert _status(client, rid, manager, status).status_code == 200
    assert _pay(client, rid, manager, "final-pay-1").status_code == 201
    assert client.post(f"{STAFF}/repairs/{rid}/collect", headers=manager).status_code == 200
    assert _status(client, rid, manager, "in_repair").status_code == 409
    assert _pay(client, rid, manager, "late-pay-1", "1.00").status_code == 409
    assert client.post(f"{STAFF}/repairs/{rid}/collect", headers=manager).status_code == 409


def test_a_booking_cannot_be_checked_in_twice(client, booked, checked_in, manager):
    again = client.post(
        f"{STAFF}/bookings/{booked['reference']}/check-in",
        json={"quoted_price_eur": "120.00"},
        headers=manager,
    )
    assert again.status_code == 409
