"""Route dependencies as type aliases. They are ``async`` on purpose: a sync dependency costs a
thread-pool hop per request, so routes open their own sessions from ``DatabaseDep``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from booking.db import Database
from booking.errors import ApiError, Forbidden
from booking.quotes import Quoter
from booking.security import RateLimiter, StaffClaims, read_token
from core.settings import Settings
from ops.schema import utcnow

API_PREFIX = "/api/v1"


class TooManyRequests(ApiError):
    status_code = 429


class NotAuthenticated(ApiError):
    status_code = 401

    def __init__(self, detail: str = "sign in first: send a valid bearer token") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


@dataclass
class AppState:
    settings: Settings
    db: Database
    quoter: Quoter
    limiter: RateLimiter
    token_secret: str


async def get_state(request: Request) -> AppState:
    return request.app.state.repairlens


StateDep = Annotated[AppState, Depends(get_state)]


async def get_database(state: StateDep) -> Database:
    return state.db


DatabaseDep = Annotated[Database, Depends(get_database)]


async def current_time() -> dt.datetime:
    """Naive UTC now (tests override this dependency to move the clock)."""
    return utcnow()


Now = Annotated[dt.datetime, Depends(current_time)]


async def rate_limit(request: Request, state: StateDep) -> None:
    client = request.client.host if request.client else "unknown"
    retry_after = state.limiter.retry_after(client)
    if retry_after is not None:
        raise TooManyRequests(
            "too many requests: slow down", headers={"Retry-After": str(retry_after)}
        )


bearer = HTTPBearer(auto_error=False, description="A token from POST /api/v1/staff/token.")


async def current_staff(
    state: StateDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> StaffClaims:
    if credentials is None:
        raise NotAuthenticated()
    claims = read_token(state.token_secret, credentials.credentials)
    if claims is None:
        raise NotAuthenticated("the token is invalid or has expired: sign in again")
    return claims


def require(*roles: str) -> Callable[..., Awaitable[StaffClaims]]:
    """A dependency that lets in staff with one of ``roles``."""

    async def check(staff: Annotated[StaffClaims, Depends(current_staff)]) -> StaffClaims:
        if staff.role not in roles:
            raise Forbidden(f"this needs the {' or '.join(roles)} role")
        return staff

    return check


AnyStaff = Annotated[StaffClaims, Depends(require("technician", "manager"))]
Manager = Annotated[StaffClaims, Depends(require("manager"))]
