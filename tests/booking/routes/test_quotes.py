"""Instant quotes from the production diagnostics model, and the answer while there is none."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from core.settings import Settings
from models.diagnostics import prediction_log
from models.diagnostics.train import train_diagnostics
from tests.booking.conftest import booking_body, build_app

QUOTE = {
    "category": "phone",
    "brand": "Apple",
    "model": "iPhone 12",
    "symptoms": "the screen is cracked and the glass is shattered after a drop",
}


@pytest.fixture(scope="module")
def trained_dir(built_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with a production diagnostics model trained on the shared warehouse
    (which stays read-only: the directory links to it)."""
    directory = tmp_path_factory.mktemp("quotes") / "var"
    directory.mkdir()
    (directory / "warehouse.duckdb").symlink_to(built_data_dir / "warehouse.duckdb")
    train_diagnostics(
        Settings(data_dir=directory), started_by="tests", parameters={"max_char_features": 20_000}
    )
    return directory


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
