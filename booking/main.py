"""The booking API application: ``create_app()`` builds it (``repairlens api`` serves it)."""

from __future__ import annotations

import gc
import secrets
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError

from booking.db import Database
from booking.deps import AppState
from booking.errors import ApiError, FieldError
from booking.middleware import ApiEdge
from booking.quotes import Quoter
from booking.routes import health, public, staff
from booking.security import RateLimiter
from core.settings import Settings, get_settings

YOUNG_COLLECTION_THRESHOLD = 10_000


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    secret = settings.api_token_secret
    state = AppState(
        settings=settings,
        db=Database(settings.ops_url),
        quoter=Quoter(settings),
        limiter=RateLimiter(settings.api_rate_limit_per_minute),
        token_secret=secret.get_secret_value() if secret else secrets.token_urlsafe(48),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        # What start-up loaded (~130,000 objects: FastAPI, SQLAlchemy, pydantic, the schema)
        # lives as long as the process. Frozen, a full garbage collection triggered by request
        # garbage scans only what requests allocate instead of pausing the worker, and every
        # request in flight on it, for tens of milliseconds. Young collections run every
        # YOUNG_COLLECTION_THRESHOLD allocations instead of 700: a request's objects are freed
        # by reference counting, so scanning the requests in flight that often is wasted work.
        thresholds = gc.get_threshold()
        gc.freeze()
        gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *thresholds[1:])
        yield
        gc.set_threshold(*thresholds)
        gc.unfreeze()
        await state.db.aclose()

    app = FastAPI(
        title="RepairLens booking API",
        version="1",
        description="Book a repair, get an instant quote and follow the repair; staff routes "
        "run the repair from check-in to collection.",
        lifespan=lifespan,
    )
    app.state.repairlens = state
    app.include_router(health.router)
    app.include_router(public.router)
    app.include_router(staff.router)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(DataError, _data_error)
    if settings.api_cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.api_cors_origins,
            allow_methods=["GET", "POST", "PUT"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID"],
            expose_headers=["X-Request-ID"],
            max_age=600,
        )
    app.add_middleware(ApiEdge)
    return app


async def _api_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ApiError)
    if isinstance(error, FieldError):
        detail = [{"loc": list(error.location), "msg": error.detail, "type": "value_error"}]
        return JSONResponse({"detail": detail}, status_code=422)
    return JSONResponse({"detail": error.detail}, error.status_code, headers=error.headers)


async def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    """Field-level messages without the submitted values (they can be personal data)."""
    assert isinstance(error, RequestValidationError)
    detail = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", "invalid"), "type": e.get("type", "")}
        for e in error.errors()
    ]
    return JSONResponse({"detail": detail}, status_code=422)


def create_served_app() -> FastAPI:
    """The app as ``repairlens api`` serves it: JSON request logs on stderr."""
    from booking.middleware import configure_logging

    configure_logging()
    return create_app()


async def _data_error(_request: Request, _error: Exception) -> JSONResponse:
    """A value the database refuses (a NUL character in a path, say): the client's mistake."""
    return JSONResponse({"detail": "the request holds a value that cannot be stored"}, 400)
