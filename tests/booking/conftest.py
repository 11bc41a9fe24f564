"""A tiny shop on each engine, the API app on it, and helpers that speak to it over HTTP."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import httpx
import pytest
import uvicorn
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from booking.deps import current_time
from booking.main import create_app
from booking.slots import WEEKDAYS
from core.db import make_engine
from core.settings import Settings
from ops.migrate import upgrade_to_head
from ops.schema import StaffAccount
from tests.factories import (
    device_model_row,
    insert,
    part_row,
    stock_level_row,
    store_row,
    technician_row,
    url_of,
)

NOW = dt.datetime(2030, 1, 7, 6, 0)  # a Monday, naive UTC (07:00 in Berlin)
DAY = dt.date(2030, 1, 8)
FIRST_SLOT = "2030-01-08T09:00:00+01:00"
HOURS = json.dumps({day: ["09:00", "18:00"] for day in WEEKDAYS})
PASSWORD = "correct horse battery staple"
TOKEN_SECRET = "test-signing-key-" + "k" * 32
STOCK = 10


@dataclass(frozen=True)
class Shop:
    settings: Settings
    engine: Engine
    store_code: str = "S01"
    device_model_id: int = 1
    sku: str = "P-0001"
    technician_ids: tuple[int, ...] = (1,)


@cache
def password_hash() -> str:
    # Cheap argon2 parameters keep sign-ins fast in tests; the hash records its parameters,
    # so verification follows them.
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


def seed_booking_shop(engine: Engine, technicians: int = 1, hours: str = HOURS) -> None:
    """One store open 09:00–18:00 every day, ``technicians`` full-timers, one device model, one
    part with 10 in stock, and a manager plus one technician account per technician."""
    insert(engine, "stores", [store_row(opening_hours=hours)])
    insert(engine, "technicians", [technician_row(i) for i in range(1, technicians + 1)])
    insert(engine, "device_models", [device_model_row()])
    insert(engine, "parts", [part_row()])
    insert(engine, "stock_levels", [stock_level_row(quantity_on_hand=STOCK)])
    with Session(engine) as session:
        session.add(
            StaffAccount(email="manager@example.com", password_hash=password_hash(), role="manager")
        )
        for i in range(1, technicians + 1):
            session.add(
                StaffAccount(
                    email=f"tech{i}@example.com",
                    password_hash=password_hash(),
                    role="technician",
                    technician_id=i,
                )
            )
        session.commit()


def api_settings(engine: Engine, data_dir, **overrides: Any) -> Settings:
    return Settings(
        data_dir=data_dir,
        ops_db_url=url_of(engine),
        api_token_secret=TOKEN_SECRET,
        api_rate_limit_per_minute=overrides.pop("api_rate_limit_per_minute", 100_000),
        **overrides,
    )


def build_app(settings: Settings, clock: dt.datetime | None = NOW) -> FastAPI:
    app = create_app(settings)
    if clock is not None:

        async def fixed_now() -> dt.datetime:
            return clock

        app.dependency_overrides[current_time] = fixed_now
    return app


@pytest.fixture
def sqlite_engine(tmp_path) -> Iterator[Engine]:
    """A migrated, empty SQLite operational database (most route tests need one engine only;
    the flows and races run on both through ``ops_engine``)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'ops.sqlite'}")
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def shop(sqlite_engine: Engine, data_dir) -> Shop:
    seed_booking_shop(sqlite_engine)
    return Shop(api_settings(sqlite_engine, data_dir), sqlite_engine)


@pytest.fixture
def any_shop(ops_engine: Engine, data_dir) -> Shop:
    """The shop on SQLite and on PostgreSQL."""
    seed_booking_shop(ops_engine)
    return Shop(api_settings(ops_engine, data_dir), ops_engine)


@pytest.fixture
def client(shop: Shop) -> Iterator[TestClient]:
    with TestClient(build_app(shop.settings), base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def any_client(any_shop: Shop) -> Iterator[TestClient]:
    with TestClient(build_app(any_shop.settings), base_url="http://testserver") as test_client:
        yield test_client


def booking_body(slot: str = FIRST_SLOT, **overrides: Any) -> dict[str, Any]:
    body = {
        "store_code": "S01",
        "slot_start_at": slot,
        "device_model_id": 1,
        "symptoms": "screen cracked after a drop",
        "customer": {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@example.com",
            "phone": "+49 170 1234567",
            "privacy_consent": True,
        },
    }
    return body | overrides


def sign_in(client: httpx.Client | TestClient, email: str = "manager@example.com") -> dict:
    response = client.post("/api/v1/staff/token", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def manager(client: TestClient) -> dict:
    return sign_in(client)


@pytest.fixture
def booked(client: TestClient) -> dict:
    """A booking made through the API: its creation answer."""
    response = client.post("/api/v1/bookings", json=booking_body())
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def checked_in(client: TestClient, booked: dict, manager: dict) -> dict:
    """The booked device received at the desk: the repair as staff see it."""
    response = client.post(
        f"/api/v1/staff/bookings/{booked['reference']}/check-in",
        json={"quoted_price_eur": "120.00", "initial_fault_code": "cracked_screen"},
        headers=manager,
    )
    assert response.status_code == 201, response.text
    return response.json()


class LiveServer:
    """The app served by uvicorn on a free loopback port in a background thread."""

    def __init__(self, app: FastAPI) -> None:
        self.config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
        self.server = uvicorn.Server(self.config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the API server did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live_server() -> Callable[[FastAPI], LiveServer]:
    return LiveServer
