"""The model registry: versions, checksums, promotion and its audit trail."""

from __future__ import annotations

from pathlib import Path

import pytest
from sklearn.linear_model import LogisticRegression

from core.settings import Settings
from models import registry
from models.registry.store import dumps_skops


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var")


def _register(settings: Settings, payload: bytes = b"model bytes", **metrics: float):
    return registry.register(
        "demo",
        payload,
        started_by="tester",
        parameters={"C": 1.0},
        metrics=metrics or {"top1": 0.9},
        window=("2024-01-01", "2024-12-31"),
        warehouse_version="abc",
        artifact_name="model.bin",
        settings=settings,
    )


def test_register_round_trips_entry_and_artifact(settings: Settings) -> None:
    first = _register(settings, b"one", top1=0.8)
    second = _register(settings, b"two", top1=0.9)
    assert (first.version, second.version) == (1, 2)
    assert second.status == "candidate"
    assert second.parameters == {"C": 1.0} and second.metrics == {"top1": 0.9}
    assert (second.window_start, second.window_end) == ("2024-01-01", "2024-12-31")
    assert second.artifact_path == settings.models_dir / "demo" / "v2" / "model.bin"
    assert registry.load_artifact(second) == b"two"
    assert [e.version for e in registry.entries("demo", settings=settings)] == [2, 1]


def test_skops_artifact_loads_from_production(settings: Settings) -> None:
    model = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    item = registry.register("clf", dumps_skops(model), started_by="t", parameters={},
                             metrics={}, settings=settings)  # fmt: skip
    registry.promote("clf", item.version, by="t", reason="first", settings=settings)
    loaded_entry, loaded = registry.load_production("clf", settings=settings)
    assert loaded_entry.version == 1
    assert loaded.predict([[1.0]]).tolist() == [1]


def test_tampered_artifact_is_refused(settings: Settings) -> None:
    item = _register(settings)
    registry.promote("demo", item.version, by="t", reason="first", settings=settings)
    item.artifact_path.write_bytes(b"something else")
    with pytest.raises(registry.ArtifactChecksumError, match="refusing to load demo v1"):
        registry.load_production("demo", settings=settings)


def test_promotion_archives_previous_production(settings: Settings) -> None:
    first, second = _register(settings), _register(settings)
    registry.promote("demo", first.version, by="ann", reason="first model", settings=settings)
    assert registry.production_version("demo", settings=settings) == 1
    registry.promote("demo", second.version, by="bob", reason="better top-1", settings=settings)
    assert registry.production("demo", settings=settings).version == 2
    assert registry.entry("demo", 1, settings=settings).status == "archived"
    assert registry.production_version("demo", settings=settings) == 2


def test_audit_trail_records_who_when_why(settings: Settings) -> None:
    first, second = _register(settings), _register(settings)
    registry.promote("demo", first.version, by="ann", reason="first model", settings=settings)
    registry.promote("demo", second.version, by="bob", reason="better top-1", settings=settings)
    trail = [
        (e.version, e.action, e.actor, e.reason) for e in registry.events("demo", settings=settings)
    ]
    assert trail == [
        (1, "registered", "tester", "trained"),
        (2, "registered", "tester", "trained"),
        (1, "promoted", "ann", "first model"),
        (1, "archived", "bob", "replaced by v2"),
        (2, "promoted", "bob", "better top-1"),
    ]
    assert all(e.occurred_at.tzinfo is not None for e in registry.events(settings=settings))


def test_no_production_is_none_and_loading_it_is_an_error(settings: Settings) -> None:
    assert registry.production("demo", settings=settings) is None
    assert registry.production_version("demo", settings=settings) is None
    with pytest.raises(registry.RegistryError, match="no production demo model"):
        registry.load_production("demo", settings=settings)


def test_promoting_unknown_version_is_an_error(settings: Settings) -> None:
    _register(settings)
    with pytest.raises(registry.RegistryError, match="no demo model version 7"):
        registry.promote("demo", 7, by="t", reason="why not", settings=settings)


def test_artifact_file_is_copied_into_its_version_directory(
    settings: Settings, tmp_path: Path
) -> None:
    source = tmp_path / "trained.bin"
    source.write_bytes(b"from a file")
    item = registry.register("demo", source, started_by="t", parameters={}, metrics={},
                             artifact_name="model.bin", settings=settings)  # fmt: skip
    source.write_bytes(b"changed later")
    assert registry.load_artifact(item) == b"from a file"


def test_production_version_is_none_before_any_registry_exists(settings: Settings) -> None:
    assert registry.production_version("demo", settings=settings) is None
    assert registry.entries("demo", settings=settings) == []
