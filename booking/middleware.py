"""The API's one pure ASGI middleware layer (cheaper than Starlette's BaseHTTPMiddleware, and
than a layer per concern, on every request): security headers, the request body limit, and one
structured log line per request under a request id.

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

from psycopg import OperationalError as DriverOperationalError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("repairlens.api")

API_CSP = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
# The documentation pages load Swagger UI / ReDoc from their CDN (ReDoc also Google Fonts and a
# blob: web worker); their inline start-up scripts need 'unsafe-inline' on these two pages only.
DOCS_CSP = (
    b"default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    b"font-src https://fonts.gstatic.com; worker-src blob:; "
    b"img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; connect-src 'self'; "
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
ACCESS_SECRET_IN_PATH = re.compile(r"(/bookings/)(?!\{)[^/?#\s\"]+")


# The database is down or unreachable: SQLAlchemy's errors, and the driver's own from the
# routes that query it directly.
UNREACHABLE = (OperationalError, PoolTimeout, DriverOperationalError)
MAX_BODY_BYTES = 64 * 1024  # the largest valid body (a booking with long texts) is ~10 KiB
BODY_TOO_LARGE = "the request body is too large"


def _request_id(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if REQUEST_ID_PATTERN.match(candidate):
                return candidate
            break
    return uuid.uuid4().hex


class ApiEdge:
    """Everything the API does around each HTTP request, in one layer (each ASGI layer costs a
    coroutine and a wrapped ``send`` per request):

    - a request id (the client's ``X-Request-ID`` when well-formed) echoed in the response;
    - security headers on every response, the layer's own 413/500/503 included;
    - bodies over ``limit`` refused with 413 before they are buffered in memory: by their
      Content-Length up front, or while a chunked body streams in;
    - one JSON log line per request; an exception that escapes a route is logged by type only
      and answered with a bare 500 (503 when the database is unreachable).
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = scope["headers"]
        request_id = _request_id(headers)
        scope.setdefault("state", {})["request_id"] = request_id
        extra_headers = [
            *COMMON_HEADERS,
            (
                b"content-security-policy",
                DOCS_CSP if scope["path"] in ("/docs", "/redoc") else API_CSP,
            ),
            (b"x-request-id", request_id.encode()),
        ]
        if scope.get("scheme") == "https":
            extra_headers.append(HSTS)
        status = 500
        response_started = False

        async def send_wrapped(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), *extra_headers]
            await send(message)

        error: str | None = None
        try:
            if self._too_large(headers):
                await _send_json(send_wrapped, 413, {"detail": BODY_TOO_LARGE})
            else:
                await self.app(scope, self._limited(receive), send_wrapped)
        except Exception as exc:  # answer, log the type only: messages can carry row values
            error = type(exc).__name__
            if not response_started:
                unreachable = isinstance(exc, UNREACHABLE)
                await _send_error(
                    send_wrapped,
                    503 if unreachable else 500,
                    "the database is unavailable, try again shortly"
                    if unreachable
                    else "internal error",
                    request_id,
                )
        if error or logger.isEnabledFor(logging.INFO):
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
            else:
                logger.info(json.dumps(record))

    def _too_large(self, headers: list[tuple[bytes, bytes]]) -> bool:
        for name, value in headers:
            if name == b"content-length":
                return not value.isdigit() or int(value) > self.limit
        return False

    def _limited(self, receive: Receive) -> Receive:
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    # An HTTPException passes FastAPI's body parsing as itself (413).
                    raise HTTPException(413, BODY_TOO_LARGE)
            return message

        return limited_receive


async def _send_error(send: Send, status: int, detail: str, request_id: str) -> None:
    await _send_json(send, status, {"detail": detail, "request_id": request_id})


async def _send_json(send: Send, status: int, content: dict[str, str]) -> None:
    body = json.dumps(content).encode()
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


def redact_path(text: str) -> str:
    """``/api/v1/bookings/RL-….<secret>/cancel`` → ``/api/v1/bookings/{access_token}/cancel``."""
    return ACCESS_SECRET_IN_PATH.sub(r"\1{access_token}", text)


class RedactAccessSecrets(logging.Filter):
    """Takes booking access secrets out of uvicorn's access log lines, for servers started
    with the access log on (``repairlens api`` turns it off: the request log replaces it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact_path(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact_path(record.msg)
        return True


def configure_logging(level: int = logging.INFO) -> None:
    """One JSON object per line on stderr for the API logger; access secrets redacted from
    uvicorn's access log."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactAccessSecrets) for f in access.filters):
        access.addFilter(RedactAccessSecrets())
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
