"""The model registry: every trained model is a versioned entry with its metrics and artifact.

See :mod:`models.registry.store` for the storage rules.
"""

from models.registry.store import (
    ArtifactChecksumError,
    Entry,
    Event,
    RegistryError,
    current_user,
    entries,
    entry,
    events,
    load_artifact,
    load_production,
    production,
    production_version,
    promote,
    promote_if_first,
    register,
    rollback,
)

__all__ = [
    "ArtifactChecksumError",
    "Entry",
    "Event",
    "RegistryError",
    "current_user",
    "entries",
    "entry",
    "events",
    "load_artifact",
    "load_production",
    "production",
    "production_version",
    "promote",
    "promote_if_first",
    "register",
    "rollback",
]
