"""Consumers pick up promotions and rollbacks without a restart.

A long-lived ``ProductionModel`` (what the diagnostics page and the booking API hold) polls the
registry's production version and reloads the artifact when it changes.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from core.settings import Settings
from models import registry
from models.diagnostics.pricing import price_table
from models.diagnostics.store import KIND, ProductionModel, save_model
from models.diagnostics.train import fit_model, training_rows

# A small, quick fit: enough for a real artifact, not for good accuracy.
SMALL_ROWS = 400
SMALL = {"max_char_features": 2_000}


def register_small_diagnostics(
    settings: Settings,
    source: Settings,
    window: tuple[date, date] | None = None,
    started_by: str = "tests",
) -> registry.Entry:
    """Fit a diagnostics model on the first rows of ``source``'s warehouse (in ``window``) and
    register it as a candidate in ``settings``' registry, window and metrics included."""
    rows = training_rows(source, window).head(SMALL_ROWS)
    model, evaluation = fit_model(rows, SMALL)
    received = rows["received_date"]
    return registry.register(
        KIND,
        save_model(model, price_table(rows)),
        started_by=started_by,
        parameters={**SMALL, "rows": rows.height},
        metrics=evaluation.as_dict(),
        window=(received.min(), received.max()),
        settings=settings,
    )


@pytest.fixture(scope="module")
def two_versions(built_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A registry with two registered diagnostics versions (the second a copy of the first's
    artifact, so only the version number tells them apart), neither promoted yet."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("consumers") / "var")
    first = register_small_diagnostics(settings, Settings(data_dir=built_data_dir))
    registry.register(
        KIND,
        first.artifact_path,
        started_by="tests",
        parameters=first.parameters,
        metrics=first.metrics,
        artifact_name=first.artifact_path.name,
        settings=settings,
    )
    return settings


def test_a_consumer_serves_the_new_version_after_a_promotion_and_the_old_after_rollback(
    two_versions,
):
    settings = two_versions
    registry.promote(KIND, 1, by="ann", reason="first", settings=settings)
    consumer = ProductionModel(settings)
    assert consumer.get().version == 1

    registry.promote(KIND, 2, by="ann", reason="newer", settings=settings)
    promoted = consumer.get()
    assert promoted.version == 2
    assert promoted.model.fault_codes  # a working model, loaded from v2's artifact

    registry.rollback(KIND, by="bob", reason="v2 misbehaves", settings=settings)
    assert consumer.get().version == 1


def test_a_consumer_keeps_its_loaded_model_while_production_is_unchanged(two_versions):
    settings = two_versions
    if registry.production_version(KIND, settings=settings) is None:
        registry.promote(KIND, 1, by="ann", reason="first", settings=settings)
    consumer = ProductionModel(settings)
    assert consumer.get() is consumer.get()
