"""Instant quotes from the production diagnostics model, and the answer while there is none."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from models.diagnostics import prediction_log
from tests.booking.conftest import booking_body, build_app
from tests.conftest import diagnostics_copy

QUOTE = {
    "category": "phone",
    "brand": "Apple",
    "model": "iPhone 12",
    "symptoms": "the screen is cracked and the glass is shattered after a drop",
}


@pytest.fixture
def trained_dir(trained_diagnostics_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the session's trained diagnostics model (quotes write the prediction
    log), on the shared read-only warehouse."""
    return diagnostics_copy(trained_diagnostics_dir, tmp_path / "quotes-var")


def test_without_a_trained_model_quotes_are_unavailable(client):
    response = client.post("/api/v1/quotes", json=QUOTE)
    assert response.status_code == 503
    assert "no diagnostics model" in response.json()["detail"]
    assert response.headers["retry-after"]


def test_an_unknown_category_is_a_field_error(client):
    response = client.post("/api/v1/quotes", json=QUOTE | {"category": "toaster"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "category"]


def test_a_quote_ranks_candidates_with_price_and_time_ranges_and_is_logged(shop, trained_dir: Path):
    settings = shop.settings.model_copy(update={"data_dir": trained_dir})
    with TestClient(build_app(settings)) as client:
        quote = client.post("/api/v1/quotes", json=QUOTE).json()
        booked = client.post("/api/v1/bookings", json=booking_body(quote_id=quote["quote_id"]))
    top = quote["candidates"][0]
    assert top["fault"] == "cracked_screen"
    assert 0 < top["price_eur"]["low"] <= top["price_eur"]["high"]
    assert 1 <= top["ready_in_days"]["low"] <= top["ready_in_days"]["high"]
    assert len(quote["candidates"]) == 3
    logged = prediction_log.read_predictions(settings).row(0, named=True)
    assert (logged["prediction_id"], logged["source"]) == (quote["quote_id"], "api")
    assert logged["booking_reference"] == booked.json()["reference"]
