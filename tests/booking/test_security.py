"""Headers, CORS, rate limits and logs: what every response carries and what never leaks."""

from __future__ import annotations

import json
import logging
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from booking.middleware import configure_logging
from tests.booking.conftest import api_settings, booking_body, build_app


def test_every_response_carries_the_security_headers(client):
    headers = client.get("/api/v1/stores").headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert "default-src 'none'" in headers["content-security-policy"]
    assert "strict-transport-security" not in headers


def test_hsts_is_sent_over_https(shop):
    with TestClient(build_app(shop.settings), base_url="https://testserver") as https_client:
        headers = https_client.get("/healthz").headers
    assert headers["strict-transport-security"].startswith("max-age=")


def test_cors_answers_only_the_allowed_origins(shop, sqlite_engine, data_dir):
    settings = api_settings(sqlite_engine, data_dir, api_cors_origins=["https://shop.example"])
    with TestClient(build_app(settings)) as client:
        allowed = client.get("/api/v1/stores", headers={"Origin": "https://shop.example"})
        other = client.get("/api/v1/stores", headers={"Origin": "https://evil.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://shop.example"
    assert "access-control-allow-origin" not in other.headers


def test_public_routes_are_rate_limited_per_client(shop, sqlite_engine, data_dir):
    settings = api_settings(sqlite_engine, data_dir, api_rate_limit_per_minute=3)
    with TestClient(build_app(settings)) as client:
        codes = [client.get("/api/v1/stores").status_code for _ in range(4)]
        limited = client.get("/api/v1/stores")
    assert codes == [200, 200, 200, 429]
    assert int(limited.headers["retry-after"]) >= 1


def test_request_logs_carry_a_request_id_but_no_secret_or_personal_data(client, caplog):
    with caplog.at_level(logging.INFO, logger="repairlens.api"):
        made = client.post(
            "/api/v1/bookings", json=booking_body(), headers={"X-Request-ID": "req-42"}
        ).json()
        client.get(made["access_path"])
    records = [json.loads(r.getMessage()) for r in caplog.records]
    assert records[0]["request_id"] == "req-42"
    assert {r["route"] for r in records} == {
        "/api/v1/bookings",
        "/api/v1/bookings/{access_token}",
    }
    logged = caplog.text
    secret = made["access_token"].split(".", 1)[1]
    assert secret not in logged and "ada@example.com" not in logged and "Lovelace" not in logged


def test_the_response_names_its_request_id(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc-1"}).headers["x-request-id"] == (
        "abc-1"
    )
    assert len(client.get("/healthz").headers["x-request-id"]) == 32


def test_an_unexpected_error_is_a_bare_500_without_a_traceback(shop, caplog):
    app = build_app(shop.settings)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("ada@example.com broke it")

    with TestClient(app) as client, caplog.at_level(logging.INFO, logger="repairlens.api"):
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.json()["detail"] == "internal error"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "ada@example.com" not in response.text and "ada@example.com" not in caplog.text
    assert "Traceback" not in caplog.text


def test_uvicorns_access_log_never_holds_an_access_secret(caplog):
    access = logging.getLogger("uvicorn.access")
    api_logger = logging.getLogger("repairlens.api")
    saved = api_logger.handlers[:], api_logger.level, api_logger.propagate, access.filters[:]
    try:
        configure_logging()
        with caplog.at_level(logging.INFO, logger="uvicorn.access"):
            access.info(
                '%s - "%s %s HTTP/%s" %d',
                "127.0.0.1:5000",
                "POST",
                "/api/v1/bookings/RL-7KQ9M2XA.s3cr3t-Value_x/cancel",
                "1.1",
                200,
            )
    finally:
        api_logger.handlers[:], api_logger.level, api_logger.propagate, access.filters[:] = saved
    assert "s3cr3t" not in caplog.text
    assert "/api/v1/bookings/{access_token}/cancel" in caplog.text


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_load_only_what_their_content_security_policy_allows(client, page):
    response = client.get(page)
    csp = response.headers["content-security-policy"]
    directives = (d.strip().split(" ", 1) for d in csp.split(";"))
    policy = {name: sources for name, sources in directives}
    sources = re.findall(r'(?:src|href)="(https?://[^"]+)"', response.text)
    assert sources  # the viewer's script, styles and icon
    for url in sources:
        origin = "/".join(url.split("/")[:3])
        kind = "script-src" if url.endswith(".js") else "style-src"
        kind = "img-src" if "favicon" in url else kind
        assert origin in policy[kind].split(), (kind, url)
    assert "'self'" in policy["connect-src"]  # the page fetches /openapi.json
    assert client.get("/openapi.json").status_code == 200


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("INSERT ... 'ada@example.com'", {}, Exception("gone")),
        PoolTimeout("QueuePool limit reached for ada@example.com"),
    ],
    ids=["unreachable", "pool exhausted"],
)
def test_a_database_outage_is_a_503_without_a_traceback_or_row_values(shop, caplog, error):
    app = build_app(shop.settings)

    @app.get("/db-boom")
    def db_boom() -> None:
        raise error

    with TestClient(app) as client, caplog.at_level(logging.INFO, logger="repairlens.api"):
        response = client.get("/db-boom")
    assert response.status_code == 503
    assert set(response.json()) == {"detail", "request_id"}
    assert "ada@example.com" not in response.text + caplog.text


def test_an_oversized_body_is_refused_before_it_is_read(client):
    body = booking_body(symptoms="x" * 100_000)
    response = client.post("/api/v1/bookings", json=body)
    assert response.status_code == 413
    assert response.json() == {"detail": "the request body is too large"}


def test_an_oversized_chunked_body_is_refused_while_it_streams(client):
    def chunks():
        yield b'{"symptoms": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}'

    response = client.post(
        "/api/v1/bookings", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
