"""A booking made through the API reaches the warehouse and its headline numbers after ETL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
from fastapi.testclient import TestClient

from booking.bookings import local
from ops.schema import utcnow
from pipelines.run import run_etl
from tests.booking.conftest import booking_body, build_app, sign_in
from warehouse.kpis import window_kpis


def test_a_collected_api_booking_appears_in_the_warehouse_and_its_kpis(shop):
    tomorrow = local(utcnow(), "Europe/Berlin").date() + dt.timedelta(days=1)
    with TestClient(build_app(shop.settings, clock=None)) as client:
        slots = client.get(f"/api/v1/stores/S01/slots?day={tomorrow}").json()["slots"]
        slot = slots[0]["start_at"]
        booked = client.post("/api/v1/bookings", json=booking_body(slot)).json()
        staff = sign_in(client)
        rid = client.post(
            f"/api/v1/staff/bookings/{booked['reference']}/check-in",
            json={"quoted_price_eur": "150.00", "initial_fault_code": "cracked_screen"},
            headers=staff,
        ).json()["id"]
        for status, extra in [
            ("diagnosing", {"fault_code": "cracked_screen"}),
            ("in_repair", {}),
            ("ready", {"labour_minutes": 45, "final_price_eur": "150.00"}),
        ]:
            response = client.post(
                f"/api/v1/staff/repairs/{rid}/status", json={"status": status, **extra},
                headers=staff,
            )  # fmt: skip
            assert response.status_code == 200, response.text
        client.post(
            f"/api/v1/staff/repairs/{rid}/payments",
            json={"amount_eur": "150.00", "method": "card"},
            headers=staff | {"Idempotency-Key": "e2e-payment-1"},
        )
        assert client.post(f"/api/v1/staff/repairs/{rid}/collect", headers=staff).is_success
        feedback = client.post(f"{booked['access_path']}/feedback", json={"csat": 4, "nps": 8})
        assert feedback.status_code == 201

    summary = run_etl(shop.settings)
    assert summary.rows_quarantined == 0

    today = utcnow().date()
    with duckdb.connect(str(shop.settings.warehouse_path), read_only=True) as conn:
        ((revenue, collected, csat),) = conn.execute(
            "SELECT revenue_eur, collected_date, csat FROM fct_repairs WHERE repair_id = ?", [rid]
        ).fetchall()
        kpis = window_kpis(conn, today, today)
    assert (revenue, collected, csat) == (Decimal("150.00"), today, 4)
    assert kpis["revenue_eur"] == 150.0
    assert kpis["repairs"] == 1
    assert kpis["csat"] == 4.0
