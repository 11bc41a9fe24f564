"""Rolling back a promotion: the previous production version returns, with who, when and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings
from models import registry
from models.registry.store import previous_production


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var")


def _versions(settings: Settings, count: int, kind: str = "demo") -> list[registry.Entry]:
    return [
        registry.register(
            kind,
            f"model {i}".encode(),
            started_by="tester",
            parameters={},
            metrics={"top1": 0.5 + i / 100},
            settings=settings,
        )
        for i in range(count)
    ]


def _promote_all(settings: Settings, versions: list[int], kind: str = "demo") -> None:
    for version in versions:
        registry.promote(kind, version, by="ann", reason=f"ship v{version}", settings=settings)


def test_rollback_restores_the_previous_production_version_and_archives_the_current(settings):
    _versions(settings, 2)
    _promote_all(settings, [1, 2])
    restored = registry.rollback("demo", by="bob", reason="v2 misroutes screens", settings=settings)
    assert (restored.version, restored.status) == (1, "production")
    assert registry.entry("demo", 2, settings=settings).status == "archived"
    assert registry.production_version("demo", settings=settings) == 1


def test_rollback_is_in_the_audit_trail_with_who_and_why(settings):
    _versions(settings, 2)
    _promote_all(settings, [1, 2])
    registry.rollback("demo", by="bob", reason="v2 misroutes screens", settings=settings)
    last_two = [
        (e.version, e.action, e.actor, e.reason) for e in registry.events("demo", settings=settings)
    ][-2:]
    assert last_two == [
        (2, "rolled back", "bob", "v2 misroutes screens"),
        (1, "restored", "bob", "rollback from v2"),
    ]


def test_repeated_rollbacks_walk_back_through_the_promotions(settings):
    _versions(settings, 3)
    _promote_all(settings, [1, 2, 3])
    assert registry.rollback("demo", by="b", reason="bad", settings=settings).version == 2
    assert registry.rollback("demo", by="b", reason="also bad", settings=settings).version == 1


def test_a_candidate_never_promoted_is_skipped_by_rollback(settings):
    _versions(settings, 3)
    _promote_all(settings, [1, 3])
    assert registry.rollback("demo", by="b", reason="bad", settings=settings).version == 1
    assert registry.entry("demo", 2, settings=settings).status == "candidate"


def test_rollback_without_an_earlier_production_version_is_refused(settings):
    _versions(settings, 1)
    _promote_all(settings, [1])
    with pytest.raises(registry.RegistryError, match="no earlier production version"):
        registry.rollback("demo", by="b", reason="bad", settings=settings)
    assert registry.production_version("demo", settings=settings) == 1


def test_rollback_needs_a_production_model_and_a_reason(settings):
    _versions(settings, 1)
    with pytest.raises(registry.RegistryError, match="no production demo model"):
        registry.rollback("demo", by="b", reason="bad", settings=settings)
    _promote_all(settings, [1])
    with pytest.raises(registry.RegistryError, match="needs a reason"):
        registry.rollback("demo", by="b", reason="  ", settings=settings)


def test_rollback_refuses_to_restore_a_tampered_artifact_and_changes_nothing(settings):
    first, _ = _versions(settings, 2)
    _promote_all(settings, [1, 2])
    first.artifact_path.write_bytes(b"swapped on disk")
    with pytest.raises(registry.ArtifactChecksumError, match="refusing to load demo v1"):
        registry.rollback("demo", by="b", reason="bad", settings=settings)
    assert registry.production_version("demo", settings=settings) == 2
    assert registry.events("demo", settings=settings)[-1].action == "promoted"


@pytest.mark.parametrize(
    ("history", "current", "expected"),
    [
        ([(1, "promoted"), (2, "promoted")], 2, 1),  # plain undo
        ([(1, "promoted"), (2, "promoted"), (2, "rolled back")], 1, None),  # nothing left
        ([(1, "promoted"), (2, "promoted"), (1, "promoted")], 1, 2),  # re-promoted v1
        ([(1, "promoted"), (2, "promoted"), (3, "promoted"), (3, "rolled back")], 2, 1),
        ([], 1, None),
    ],
)
def test_previous_production_reads_promotions_as_a_stack(history, current, expected):
    assert previous_production(history, current) == expected


def test_entries_without_a_kind_lists_every_kind(settings):
    _versions(settings, 1, "alpha")
    _versions(settings, 2, "beta")
    listed = [(e.kind, e.version) for e in registry.entries(settings=settings)]
    assert listed == [("alpha", 1), ("beta", 2), ("beta", 1)]


def test_an_entry_records_everything_the_lab_shows(settings):
    item = registry.register(
        "demo",
        b"bytes",
        started_by="ann",
        parameters={"C": 2.0},
        metrics={"top1": 0.8, "baseline_top1": 0.5},
        window=("2024-01-01", "2024-06-30"),
        warehouse_version="w1",
        settings=settings,
    )
    assert item.started_by == "ann" and item.trained_at.tzinfo is not None
    assert (item.window_start, item.window_end, item.warehouse_version) == (
        "2024-01-01",
        "2024-06-30",
        "w1",
    )
    assert item.metrics["baseline_top1"] == 0.5 and item.parameters == {"C": 2.0}
    assert len(item.artifact_sha256) == 64 and item.artifact_path.exists()
