"""Route dependencies as type aliases. They are ``async`` on purpose: a sync dependency costs a
thread-pool hop per request, so routes open their own sessions from ``DatabaseDep``."""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select

from booking.db import Database
from booking.errors import ApiError, Forbidden
from booking.quotes import Quoter
from booking.security import RateLimiter, StaffClaims, credential_fingerprint, read_token
from core.settings import Settings
from ops.schema import StaffAccount, Technician, utcnow

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


async def get_database(request: Request) -> Database:
    # Straight from the app state rather than through ``StateDep``: every nested dependency
    # is one more pass of FastAPI's dependency solver on each request.
    return request.app.state.repairlens.db


DatabaseDep = Annotated[Database, Depends(get_database)]


async def current_time() -> dt.datetime:
    """Naive UTC now (tests override this dependency to move the clock)."""
    return utcnow()


Now = Annotated[dt.datetime, Depends(current_time)]


async def rate_limit(request: Request) -> None:
    client = request.client.host if request.client else "unknown"
    retry_after = request.app.state.repairlens.limiter.retry_after(client)
    if retry_after is not None:
        raise TooManyRequests(
            "too many requests: slow down", headers={"Retry-After": str(retry_after)}
        )


INVALID_TOKEN = "the token is invalid or has expired: sign in again"
bearer = HTTPBearer(auto_error=False, description="A token from POST /api/v1/staff/token.")


def current_staff(
    state: StateDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> StaffClaims:
    """The signed-in account as it stands now: a token of a deactivated account (or of a
    technician who has left), or one issued before a password change, is refused, and a role
    change applies at once. (A sync
    dependency: the account lookup runs on the thread pool, not the event loop.)"""
    if credentials is None:
        raise NotAuthenticated()
    secret = state.token_secret
    token = read_token(secret, credentials.credentials, state.settings.api_token_minutes)
    if token is None:
        raise NotAuthenticated(INVALID_TOKEN)
    with state.db.read() as session:
        account = session.execute(
            select(
                StaffAccount.role,
                StaffAccount.technician_id,
                StaffAccount.is_active,
                StaffAccount.password_hash,
                Technician.store_id,
                Technician.left_on,
            )
            .outerjoin(Technician, Technician.id == StaffAccount.technician_id)
            .where(StaffAccount.id == token.staff_id)
        ).first()
    if (
        account is None
        or not account.is_active
        or (account.left_on is not None and account.left_on < utcnow().date())
        or not hmac.compare_digest(
            token.credential, credential_fingerprint(secret, account.password_hash)
        )
    ):
        raise NotAuthenticated(INVALID_TOKEN)
    store_id = account.store_id if account.role == "technician" else None
    return StaffClaims(token.staff_id, account.role, account.technician_id, store_id)


def require(*roles: str) -> Callable[..., Awaitable[StaffClaims]]:
    """A dependency that lets in staff with one of ``roles``."""

    async def check(staff: Annotated[StaffClaims, Depends(current_staff)]) -> StaffClaims:
        if staff.role not in roles:
            raise Forbidden(f"this needs the {' or '.join(roles)} role")
        return staff

    return check


AnyStaff = Annotated[StaffClaims, Depends(require("technician", "manager"))]
Manager = Annotated[StaffClaims, Depends(require("manager"))]
