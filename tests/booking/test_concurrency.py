"""Races over a live server on both engines: the last slot, and the last parts in stock.

Each racer has its own connection, opened before the start; a barrier releases them together,
and the server counts how many requests it held at once, so a race that never overlapped fails
instead of passing by luck."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ops.schema import Booking, RepairPart, StockLevel, StockMovement
from tests.booking.conftest import STOCK, booking_body, build_app, sign_in


class InFlight:
    """ASGI wrapper that records the most requests the app was handling at the same time."""

    def __init__(self, app) -> None:
        self.app, self.now, self.peak = app, 0, 0
        self._lock = threading.Lock()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with self._lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        try:
            await self.app(scope, receive, send)
        finally:
            with self._lock:
                self.now -= 1


def _race(url: str, requests: list[dict[str, Any]]) -> list[httpx.Response]:
    """Send each request (``httpx.Client.request`` arguments) from its own thread and client."""
    barrier = threading.Barrier(len(requests))

    def send(request: dict[str, Any]) -> httpx.Response:
        with httpx.Client(base_url=url, timeout=60) as client:
            client.get("/healthz")  # the connection is open before the start
            barrier.wait(timeout=30)
            return client.request(**request)

    with ThreadPoolExecutor(len(requests)) as pool:
        return list(pool.map(send, requests))


def test_customers_racing_for_the_last_slot_get_exactly_one_booking(any_shop, live_server):
    app = InFlight(build_app(any_shop.settings))
    with live_server(app) as url:
        requests = []
        for name in ("Ada", "Grace", "Hedy", "Katherine", "Radia"):
            body = booking_body()
            body["customer"] = body["customer"] | {"first_name": name}
            requests.append({"method": "POST", "url": "/api/v1/bookings", "json": body})
        app.peak = 0
        responses = _race(url, requests)
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409, 409]
    assert app.peak >= 2
    with Session(any_shop.engine) as session:
        assert session.scalar(select(func.count()).select_from(Booking)) == 1


def _checked_in_repair(client: httpx.Client, quoted_price_eur: str) -> tuple[dict, dict]:
    """A booking made and checked in by a manager: the repair, and the manager's headers."""
    booked = client.post("/api/v1/bookings", json=booking_body()).json()
    manager = sign_in(client)
    repair = client.post(
        f"/api/v1/staff/bookings/{booked['reference']}/check-in",
        json={"quoted_price_eur": quoted_price_eur},
        headers=manager,
    ).json()
    return repair, manager


def test_fifty_concurrent_part_uses_against_a_stock_of_ten_succeed_exactly_ten_times(
    any_shop, live_server
):
    app = InFlight(build_app(any_shop.settings))
    with live_server(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        repair, manager = _checked_in_repair(client, "50.00")
        use = {
            "method": "POST",
            "url": f"/api/v1/staff/repairs/{repair['id']}/parts",
            "json": {"sku": "P-0001", "quantity": 1},
            "headers": manager,
        }
        app.peak = 0
        responses = _race(url, [use] * 50)
    codes = [r.status_code for r in responses]
    assert (codes.count(201), codes.count(409)) == (STOCK, 50 - STOCK)
    assert app.peak >= 5  # the uses overlapped at the server, not one after another
    with Session(any_shop.engine) as session:
        assert session.scalar(select(StockLevel.quantity_on_hand)) == 0
        assert session.scalar(select(func.sum(RepairPart.quantity))) == STOCK
        assert session.scalar(select(func.sum(StockMovement.quantity))) == -STOCK


def test_concurrent_payments_never_add_up_to_more_than_the_price(any_shop, live_server):
    app = InFlight(build_app(any_shop.settings))
    with live_server(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        repair, manager = _checked_in_repair(client, "120.00")
        payments = [
            {
                "method": "POST",
                "url": f"/api/v1/staff/repairs/{repair['id']}/payments",
                "json": {"amount_eur": "50.00", "method": "card"},
                "headers": manager | {"Idempotency-Key": f"race-payment-{n}"},
            }
            for n in range(8)
        ]
        app.peak = 0
        responses = _race(url, payments)
        paid = client.get(f"/api/v1/staff/repairs/{repair['id']}", headers=manager).json()
    codes = [r.status_code for r in responses]
    assert (codes.count(201), codes.count(409)) == (2, 6)
    assert app.peak >= 2
    assert paid["paid_eur"] == "100.00"
