"""Customer routes over HTTP: slots, bookings, the secret link, rescheduling, cancelling."""

from __future__ import annotations

import hmac

from sqlalchemy import select
from sqlalchemy.orm import Session

from ops.schema import Customer
from tests.booking.conftest import DAY, FIRST_SLOT, booking_body, sign_in

SLOTS = f"/api/v1/stores/S01/slots?day={DAY}"


def _starts(client) -> list[str]:
    response = client.get(SLOTS)
    assert response.status_code == 200, response.text
    return [slot["start_at"] for slot in response.json()["slots"]]


def test_stores_are_listed_with_their_opening_hours(client):
    (store,) = client.get("/api/v1/stores").json()
    assert store["code"] == "S01"
    assert store["opening_hours"]["mon"] == {"opens": "09:00", "closes": "18:00"}


def test_slot_search_offers_every_half_hour_of_the_opening_hours(client):
    starts = _starts(client)
    assert starts[0] == FIRST_SLOT
    assert starts[-1] == "2030-01-08T17:30:00+01:00"
    assert len(starts) == 18


def test_a_booked_slot_is_no_longer_offered(client, booked):
    assert booked["slot_start_at"] == FIRST_SLOT
    assert FIRST_SLOT not in _starts(client)


def test_a_cancelled_booking_frees_its_slot(any_client):
    client = any_client
    booked = client.post("/api/v1/bookings", json=booking_body()).json()
    response = client.post(f"/api/v1/bookings/{booked['access_token']}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert FIRST_SLOT in _starts(client)


def test_rescheduling_moves_the_booking_and_frees_the_old_slot(any_client):
    client = any_client
    booked = client.post("/api/v1/bookings", json=booking_body()).json()
    later = "2030-01-08T11:00:00+01:00"
    response = client.post(
        f"/api/v1/bookings/{booked['access_token']}/reschedule", json={"slot_start_at": later}
    )
    assert response.status_code == 200, response.text
    assert response.json()["slot_start_at"] == later
    starts = _starts(client)
    assert FIRST_SLOT in starts and later not in starts


def test_booking_a_slot_that_is_taken_is_a_conflict(client, booked):
    response = client.post("/api/v1/bookings", json=booking_body())
    assert response.status_code == 409
    assert "no longer available" in response.json()["detail"]


def test_the_access_link_shows_status_and_timeline(client, booked):
    response = client.get(booked["access_path"])
    assert response.status_code == 200
    view = response.json()
    assert view["reference"] == booked["reference"]
    assert view["status"] == "booked"
    assert [entry["status"] for entry in view["timeline"]] == ["booked"]
    assert view["can_cancel"] and not view["can_give_feedback"]


def test_the_access_link_shows_a_check_in_at_once_however_often_it_was_read(any_client):
    client = any_client
    booked = client.post("/api/v1/bookings", json=booking_body()).json()
    # Enough reads for the driver to prepare the statements it reuses on its pooled connections.
    for _ in range(12):
        assert client.get(booked["access_path"]).json()["repair"] is None
    checked_in = client.post(
        f"/api/v1/staff/bookings/{booked['reference']}/check-in",
        json={"quoted_price_eur": "120.00", "initial_fault_code": "cracked_screen"},
        headers=sign_in(client),
    )
    assert checked_in.status_code == 201, checked_in.text
    view = client.get(booked["access_path"]).json()
    assert view["status"] == "checked_in"
    assert view["repair"]["quoted_price_eur"] == "120.00"
    assert [entry["status"] for entry in view["timeline"]][-1] == "received"


def test_a_wrong_secret_and_an_unknown_reference_get_the_same_answer(client, booked):
    reference, _ = booked["access_token"].split(".", 1)
    wrong_secret = client.get(f"/api/v1/bookings/{reference}.not-the-secret")
    unknown = client.get("/api/v1/bookings/RL-ZZZZZZZZ.not-the-secret")
    garbage = client.get("/api/v1/bookings/whatever")
    assert wrong_secret.status_code == unknown.status_code == garbage.status_code == 404
    assert wrong_secret.json() == unknown.json() == garbage.json()


def test_validation_errors_name_the_field_without_echoing_the_input(client):
    body = booking_body()
    body["customer"] = body["customer"] | {"email": "not-an-email", "privacy_consent": False}
    response = client.post("/api/v1/bookings", json=body)
    assert response.status_code == 422
    locations = {tuple(error["loc"]) for error in response.json()["detail"]}
    assert ("body", "customer", "email") in locations
    assert ("body", "customer", "privacy_consent") in locations
    assert "not-an-email" not in response.text


def test_an_unknown_device_model_is_a_field_error(client):
    response = client.post("/api/v1/bookings", json=booking_body(device_model_id=999))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "device_model_id"]


def test_a_day_too_far_ahead_is_a_field_error(client):
    response = client.get("/api/v1/stores/S01/slots?day=2031-06-01")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "day"]


def test_an_unknown_store_is_not_found(client):
    assert client.get(f"/api/v1/stores/NOPE/slots?day={DAY}").status_code == 404


def test_a_slot_outside_the_century_is_a_field_error(client):
    response = client.post("/api/v1/bookings", json=booking_body("0001-01-01T00:30:00+01:00"))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "slot_start_at"]


def test_a_nul_character_is_refused_without_a_server_error(any_client):
    body = booking_body()
    body["customer"] = body["customer"] | {"last_name": "Love\u0000lace"}
    refused = any_client.post("/api/v1/bookings", json=body)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "customer", "last_name"]
    in_path = any_client.get(f"/api/v1/stores/S%0001/slots?day={DAY}")
    assert in_path.status_code == 422  # the same answer on both engines
    assert in_path.json()["detail"][0]["loc"] == ["path", "store_code"]
    in_query = any_client.get("/api/v1/device-models?q=App%00le")
    assert in_query.status_code == 422


def test_a_checked_in_booking_can_no_longer_be_rescheduled_or_cancelled(client, booked, checked_in):
    token = booked["access_token"]
    later = {"slot_start_at": "2030-01-08T11:00:00+01:00"}
    assert client.post(f"/api/v1/bookings/{token}/reschedule", json=later).status_code == 409
    assert client.post(f"/api/v1/bookings/{token}/cancel").status_code == 409
    view = client.get(booked["access_path"]).json()
    assert not view["can_reschedule"] and not view["can_cancel"]


def test_a_cancelled_booking_cannot_be_cancelled_again_or_rescheduled(client, booked):
    token = booked["access_token"]
    assert client.post(f"/api/v1/bookings/{token}/cancel").status_code == 200
    assert client.post(f"/api/v1/bookings/{token}/cancel").status_code == 409
    later = {"slot_start_at": "2030-01-08T11:00:00+01:00"}
    assert client.post(f"/api/v1/bookings/{token}/reschedule", json=later).status_code == 409


def test_a_slot_start_is_an_instant_whatever_its_utc_offset(client):
    same_instant = "2030-01-08T08:00:00+00:00"  # 09:00 in Berlin
    response = client.post("/api/v1/bookings", json=booking_body(same_instant))
    assert response.status_code == 201
    assert response.json()["slot_start_at"] == FIRST_SLOT


def test_a_slot_start_without_a_utc_offset_is_a_field_error(client):
    response = client.post("/api/v1/bookings", json=booking_body("2030-01-08T09:00:00"))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "slot_start_at"]


def test_a_slot_in_the_past_is_refused(client):
    response = client.post("/api/v1/bookings", json=booking_body("2030-01-06T09:00:00+01:00"))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "slot_start_at"]


def test_feedback_scores_out_of_range_are_field_errors(client, booked):
    for body, field in [({"csat": 0}, "csat"), ({"csat": 6}, "csat"),
                        ({"csat": 3, "nps": 11}, "nps")]:  # fmt: skip
        response = client.post(f"{booked['access_path']}/feedback", json=body)
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", field]


def test_a_booking_under_someone_elses_email_cannot_change_their_phone_or_opt_them_in(
    client, shop, booked
):
    impostor = booking_body("2030-01-08T10:00:00+01:00")
    impostor["customer"] = impostor["customer"] | {
        "phone": "+44 7700 900000",
        "marketing_consent": True,
        "sms_consent": True,
    }
    assert client.post("/api/v1/bookings", json=impostor).status_code == 201
    with Session(shop.engine) as session:
        (customer,) = session.scalars(select(Customer)).all()
    assert customer.phone == "+49 170 1234567"
    assert not customer.marketing_consent and not customer.sms_consent


def test_validation_errors_never_echo_personal_data(client):
    body = booking_body()
    body["customer"] = body["customer"] | {"phone": "call Ada Lovelace at home", "email": "a@b"}
    response = client.post("/api/v1/bookings", json=body)
    assert response.status_code == 422
    assert "Lovelace" not in response.text and "a@b" not in response.text
    assert "input" not in response.json()["detail"][0]


def test_a_wrong_secret_and_an_unknown_reference_cost_the_same_comparison(
    client, booked, monkeypatch
):
    """Both hash the presented secret and compare two 64-character digests once, so the answer
    takes as long whether the booking exists or not."""
    compared: list[tuple[int, int]] = []
    real = hmac.compare_digest

    def spy(a, b):
        compared.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    reference, _ = booked["access_token"].split(".", 1)
    client.get(f"/api/v1/bookings/{reference}.not-the-secret")
    client.get("/api/v1/bookings/RL-ZZZZZZZZ.not-the-secret")
    client.get("/api/v1/bookings/no-reference-at-all")
    assert compared == [(64, 64)] * 3


def test_a_day_in_the_past_is_a_field_error(client):
    response = client.get("/api/v1/stores/S01/slots?day=2030-01-06")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "day"]
