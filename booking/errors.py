"""Errors the API answers with a status code and one line; nothing else reaches the client."""

from __future__ import annotations


class ApiError(Exception):
    status_code = 400

    def __init__(self, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers


class Forbidden(ApiError):
    status_code = 403


class NotFound(ApiError):
    status_code = 404


class Conflict(ApiError):
    status_code = 409


class Unavailable(ApiError):
    status_code = 503


class FieldError(ApiError):
    """A value that is well-formed but not acceptable, reported like a validation error."""

    status_code = 422

    def __init__(self, location: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.location = location


BOOKING_NOT_FOUND = "no booking matches this link"
