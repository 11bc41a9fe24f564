"""Races over a live server on both engines: the last slot, and the last parts in stock."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import partial

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ops.schema import Booking, RepairPart, StockLevel, StockMovement
from tests.booking.conftest import STOCK, booking_body, build_app, sign_in


def _race(requests: list, workers: int) -> list[httpx.Response]:
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda send: send(), requests))


def test_two_customers_racing_for_the_last_slot_get_exactly_one_booking(any_shop, live_server):
    with live_server(build_app(any_shop.settings)) as url, httpx.Client(base_url=url) as client:

        def book(name: str):
            body = booking_body()
            body["customer"] = body["customer"] | {"first_name": name}
            return lambda: client.post("/api/v1/bookings", json=body)

        responses = _race([book("Ada"), book("Grace")], workers=2)
    assert sorted(r.status_code for r in responses) == [201, 409]
    with Session(any_shop.engine) as session:
        assert session.scalar(select(func.count()).select_from(Booking)) == 1


def test_fifty_concurrent_part_uses_against_a_stock_of_ten_succeed_exactly_ten_times(
    any_shop, live_server
):
    with (
        live_server(build_app(any_shop.settings)) as url,
        httpx.Client(base_url=url, timeout=60, limits=httpx.Limits(max_connections=50)) as client,
    ):
        booked = client.post("/api/v1/bookings", json=booking_body()).json()
        manager = sign_in(client)
        repair = client.post(
            f"/api/v1/staff/bookings/{booked['reference']}/check-in",
            json={"quoted_price_eur": "50.00"},
            headers=manager,
        ).json()
        use = partial(
            client.post,
            f"/api/v1/staff/repairs/{repair['id']}/parts",
            json={"sku": "P-0001", "quantity": 1},
            headers=manager,
        )
        responses = _race([use] * 50, workers=50)
    codes = [r.status_code for r in responses]
    assert (codes.count(201), codes.count(409)) == (STOCK, 50 - STOCK)
    with Session(any_shop.engine) as session:
        assert session.scalar(select(StockLevel.quantity_on_hand)) == 0
        assert session.scalar(select(func.sum(RepairPart.quantity))) == STOCK
        assert session.scalar(select(func.sum(StockMovement.quantity))) == -STOCK
