"""Pure ASGI middleware (cheaper than Starlette's BaseHTTPMiddleware on every request):
security headers, and one structured log line per request under a request id.

The log line holds the route template (``/api/v1/bookings/{access_token}``), never the raw path,
so access secrets, emails and names stay out of the logs. An exception that escapes a route is
logged by type only and answered with a bare 500 (or 503 when the database is unreachable).
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from sqlalchemy.exc import OperationalError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("repairlens.api")

API_CSP = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
# The interactive docs page loads Swagger UI's script and styles from its CDN.
DOCS_CSP = (
    b"default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; "
    b"frame-ancestors 'none'; base-uri 'none'"
)
COMMON_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]
HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"] in ("/docs", "/redoc")
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += COMMON_HEADERS
                headers.append((b"content-security-policy", DOCS_CSP if docs else API_CSP))
                if https:
                    headers.append(HSTS)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if REQUEST_ID_PATTERN.match(candidate):
                return candidate
            break
    return uuid.uuid4().hex


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        error: str | None = None
        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:  # answer, log the type only: messages can carry row values
            error = type(exc).__name__
            if not response_started:
                unreachable = isinstance(exc, OperationalError)
                await _send_error(
                    send_with_id,
                    503 if unreachable else 500,
                    "the database is unavailable, try again shortly"
                    if unreachable
                    else "internal error",
                    request_id,
                )
        route = scope.get("route")
        record = {
            "event": "request",
            "request_id": request_id,
            "method": scope["method"],
            "route": getattr(route, "path", None) or "unmatched",
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        }
        if error:
            record["error"] = error
            logger.error(json.dumps(record))
        elif logger.isEnabledFor(logging.INFO):
            logger.info(json.dumps(record))


async def _send_error(send: Send, status: int, detail: str, request_id: str) -> None:
    body = json.dumps({"detail": detail, "request_id": request_id}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def configure_logging(level: int = logging.INFO) -> None:
    """One JSON object per line on stderr for the API logger."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter(
            '{"ts": "%(asctime)s", "level": "%(levelname)s", '
            '"logger": "%(name)s", "data": %(message)s}'
        )
    )
    api_logger = logging.getLogger("repairlens.api")
    api_logger.handlers[:] = [handler]
    api_logger.setLevel(level)
    api_logger.propagate = False
