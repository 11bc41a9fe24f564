"""Customer routes over HTTP: slots, bookings, the secret link, rescheduling, cancelling."""

from __future__ import annotations

from tests.booking.conftest import DAY, FIRST_SLOT, booking_body

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
    # In a path, PostgreSQL refuses it (400) where SQLite just finds nothing (404).
    assert any_client.get(f"/api/v1/stores/S%0001/slots?day={DAY}").status_code in (400, 404)
