"""Registry storage: a SQLite file beside the warehouse, artifacts under ``models_dir/<kind>/vN/``.

The registry lives in ``settings.models_dir / "registry.sqlite"``, outside the warehouse file that
ETL replaces, so publishing a warehouse never loses a model. The file runs in WAL mode and every
write is one short ``BEGIN IMMEDIATE`` transaction, so readers (Streamlit, booking, the CLI) never
block each other and a writer waits at most ``busy_timeout`` for another.

Versions are integers per kind, allocated inside the write transaction. Artifacts are written to a
temporary directory first and renamed into ``vN/`` inside that transaction, so a crash leaves no
entry without its artifact. Artifacts are checked against their SHA-256 before they are read.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from core import sidestore
from core.settings import Settings, get_settings

Status = Literal["candidate", "production", "archived"]
REGISTRY_FILE = "registry.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS model_entries (
    kind TEXT NOT NULL,
    version INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('candidate', 'production', 'archived')),
    trained_at TEXT NOT NULL,
    started_by TEXT NOT NULL,
    window_start TEXT,
    window_end TEXT,
    warehouse_version TEXT,
    parameters_json TEXT NOT NULL,
    metrics_json TEXT NOT NULL,
    artifact_path TEXT NOT NULL,
    artifact_sha256 TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    PRIMARY KEY (kind, version)
);
CREATE UNIQUE INDEX IF NOT EXISTS one_production_per_kind
    ON model_entries (kind) WHERE status = 'production';
CREATE TABLE IF NOT EXISTS registry_events (
    event_id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    version INTEGER NOT NULL,
    action TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    occurred_at TEXT NOT NULL
);
"""


class RegistryError(RuntimeError):
    """A registry request that cannot be served; ``str(error)`` is one line for the user."""


class ArtifactChecksumError(RegistryError):
    """The artifact on disk is not the one that was registered (edited, truncated or replaced)."""


@dataclass(frozen=True)
class Entry:
    """One trained model: what it is, what it read, how well it did and where its artifact is."""

    kind: str
    version: int
    status: Status
    trained_at: datetime
    started_by: str
    window_start: str | None
    window_end: str | None
    warehouse_version: str | None
    parameters: dict[str, Any]
    metrics: dict[str, Any]
    artifact_path: Path
    artifact_sha256: str
    registered_at: datetime


@dataclass(frozen=True)
class Event:
    """One audit row: who did what to which model version, when and why."""

    event_id: int
    kind: str
    version: int
    action: str
    actor: str
    reason: str
    occurred_at: datetime


def registry_path(settings: Settings) -> Path:
    return settings.models_dir / REGISTRY_FILE


def register(
    kind: str,
    artifact: bytes | Path,
    *,
    started_by: str,
    parameters: dict[str, Any],
    metrics: dict[str, Any],
    window: tuple[date | str | None, date | str | None] = (None, None),
    warehouse_version: str | None = None,
    trained_at: datetime | None = None,
    artifact_name: str = "model.skops",
    reason: str = "trained",
    settings: Settings | None = None,
) -> Entry:
    """Store a new candidate version of ``kind`` and return its entry."""
    settings = settings or get_settings()
    _check_kind(kind)
    kind_dir = settings.models_dir / kind
    kind_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=kind_dir))
    try:
        staged = staging / artifact_name
        if isinstance(artifact, Path):
            shutil.copyfile(artifact, staged)
        else:
            staged.write_bytes(artifact)
        checksum = _sha256(staged)
        now = _now()
        with _write(settings) as connection:
            version = _next_version(connection, kind)
            final_dir = kind_dir / f"v{version}"
            if final_dir.exists():  # left by a crash between rename and commit
                shutil.rmtree(final_dir)
            os.replace(staging, final_dir)
            connection.execute(
                "INSERT INTO model_entries VALUES "
                "(?, ?, 'candidate', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    kind,
                    version,
                    _iso(trained_at or now),
                    started_by,
                    _date_text(window[0]),
                    _date_text(window[1]),
                    warehouse_version,
                    json.dumps(parameters, sort_keys=True, default=str),
                    json.dumps(metrics, sort_keys=True, default=str),
                    str((final_dir / artifact_name).relative_to(settings.models_dir)),
                    checksum,
                    _iso(now),
                ),
            )
            _log(connection, kind, version, "registered", started_by, reason, now)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return entry(kind, version, settings=settings)


def promote(
    kind: str, version: int, by: str, reason: str, *, settings: Settings | None = None
) -> Entry:
    """Make ``version`` the production model of ``kind``; the previous production is archived."""
    settings = settings or get_settings()
    if not reason.strip():
        raise RegistryError("a promotion needs a reason for the audit trail")
    now = _now()
    with _write(settings) as connection:
        row = connection.execute(
            "SELECT status FROM model_entries WHERE kind = ? AND version = ?", (kind, version)
        ).fetchone()
        if row is None:
            raise RegistryError(f"no {kind} model version {version} in the registry")
        if row[0] == "production":
            raise RegistryError(f"{kind} v{version} is already in production")
        previous = connection.execute(
            "SELECT version FROM model_entries WHERE kind = ? AND status = 'production'", (kind,)
        ).fetchone()
        if previous is not None:
            connection.execute(
                "UPDATE model_entries SET status = 'archived' WHERE kind = ? AND version = ?",
                (kind, previous[0]),
            )
            _log(connection, kind, previous[0], "archived", by, f"replaced by v{version}", now)
        connection.execute(
            "UPDATE model_entries SET status = 'production' WHERE kind = ? AND version = ?",
            (kind, version),
        )
        _log(connection, kind, version, "promoted", by, reason, now)
    return entry(kind, version, settings=settings)


def promote_if_first(
    item: Entry, *, requested: bool, by: str, settings: Settings | None = None
) -> Entry:
    """Promote a just-registered version when asked, or when its kind has no production model
    yet (the first model of a kind serves at once); otherwise it stays a candidate."""
    if not requested and production_version(item.kind, settings=settings) is not None:
        return item
    reason = "promoted on request" if requested else f"first {item.kind} model"
    return promote(item.kind, item.version, by=by, reason=reason, settings=settings)


def current_user() -> str:
    """Who runs this process, for "started by" and audit records."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def rollback(kind: str, by: str, reason: str, *, settings: Settings | None = None) -> Entry:
    """Put back the version that was in production before the current one; the current one is
    archived. Repeated rollbacks walk further back through the promotions, like an undo stack.

    The restored artifact is checked against its SHA-256 first, so a rollback never puts a
    damaged model in production. Returns the restored entry.
    """
    settings = settings or get_settings()
    if not reason.strip():
        raise RegistryError("a rollback needs a reason for the audit trail")
    now = _now()
    with _write(settings) as connection:
        current = connection.execute(
            "SELECT version FROM model_entries WHERE kind = ? AND status = 'production'", (kind,)
        ).fetchone()
        if current is None:
            raise RegistryError(f"no production {kind} model to roll back")
        history = connection.execute(
            "SELECT version, action FROM registry_events WHERE kind = ? "
            "AND action IN ('promoted', 'rolled back') ORDER BY event_id",
            (kind,),
        ).fetchall()
        previous = previous_production(
            [(int(version), action) for version, action in history], int(current[0])
        )
        if previous is None:
            raise RegistryError(
                f"{kind} v{current[0]} has no earlier production version to roll back to"
            )
        restored = _entry_from_row(
            settings,
            connection.execute(
                "SELECT * FROM model_entries WHERE kind = ? AND version = ?", (kind, previous)
            ).fetchone(),
        )
        load_artifact(restored)  # refuses a damaged artifact before anything changes
        connection.execute(
            "UPDATE model_entries SET status = 'archived' WHERE kind = ? AND version = ?",
            (kind, current[0]),
        )
        _log(connection, kind, current[0], "rolled back", by, reason, now)
        connection.execute(
            "UPDATE model_entries SET status = 'production' WHERE kind = ? AND version = ?",
            (kind, previous),
        )
        _log(connection, kind, previous, "restored", by, f"rollback from v{current[0]}", now)
    return entry(kind, previous, settings=settings)


def previous_production(history: Sequence[tuple[int, str]], current: int) -> int | None:
    """The version a rollback restores, from the ``promoted`` / ``rolled back`` events in order.

    Each promotion pushes its version on a stack and each rollback pops one, so the version below
    the top is the one that was in production before the current one.
    """
    stack: list[int] = []
    for version, action in history:
        if action == "promoted":
            stack.append(version)
        elif stack:
            stack.pop()
    while stack and stack[-1] == current:
        stack.pop()
    return stack[-1] if stack else None


def entry(kind: str, version: int, *, settings: Settings | None = None) -> Entry:
    """The entry of one version; RegistryError if there is none."""
    settings = settings or get_settings()
    rows = _select_entries(settings, "kind = ? AND version = ?", (kind, version))
    if not rows:
        raise RegistryError(f"no {kind} model version {version} in the registry")
    return rows[0]


def entries(kind: str | None = None, *, settings: Settings | None = None) -> list[Entry]:
    """Every version of ``kind`` (of every kind when None), by kind, newest first."""
    if kind is None:
        return _select_entries(settings or get_settings(), "1 = 1", ())
    return _select_entries(settings or get_settings(), "kind = ?", (kind,))


def production(kind: str, *, settings: Settings | None = None) -> Entry | None:
    """The production entry of ``kind``, or None when nothing has been promoted."""
    settings = settings or get_settings()
    rows = _select_entries(settings, "kind = ? AND status = 'production'", (kind,))
    return rows[0] if rows else None


def production_version(kind: str, *, settings: Settings | None = None) -> int | None:
    """The production version number of ``kind``: one indexed read, cheap enough to poll."""
    settings = settings or get_settings()
    if not registry_path(settings).exists():
        return None
    with _read(settings) as connection:
        row = connection.execute(
            "SELECT version FROM model_entries WHERE kind = ? AND status = 'production'", (kind,)
        ).fetchone()
    return None if row is None else int(row[0])


def events(kind: str | None = None, *, settings: Settings | None = None) -> list[Event]:
    """The audit trail, oldest first (of one kind when given)."""
    settings = settings or get_settings()
    if not registry_path(settings).exists():
        return []
    where, params = ("WHERE kind = ?", (kind,)) if kind else ("", ())
    with _read(settings) as connection:
        rows = connection.execute(
            "SELECT event_id, kind, version, action, actor, reason, occurred_at "
            f"FROM registry_events {where} ORDER BY event_id",
            params,
        ).fetchall()
    return [Event(*row[:6], occurred_at=datetime.fromisoformat(row[6])) for row in rows]


def load_artifact(item: Entry) -> bytes:
    """The artifact's bytes, after checking them against the registered SHA-256."""
    try:
        data = item.artifact_path.read_bytes()
    except FileNotFoundError:
        raise ArtifactChecksumError(
            f"the artifact of {item.kind} v{item.version} is missing at {item.artifact_path}"
        ) from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != item.artifact_sha256:
        raise ArtifactChecksumError(
            f"refusing to load {item.kind} v{item.version}: {item.artifact_path} has SHA-256 "
            f"{actual[:12]}…, the registry recorded {item.artifact_sha256[:12]}… "
            "(the file was changed after registration; retrain or restore it)"
        )
    return data


def load_production(
    kind: str, *, trusted: Sequence[str] = (), settings: Settings | None = None
) -> tuple[Entry, Any]:
    """The production entry of ``kind`` and its skops artifact, deserialised after verification.

    ``trusted`` lists the type names (beyond skops' defaults) the artifact may contain; skops
    refuses anything else, so a registry file cannot run arbitrary code the way a pickle can.
    """
    item = production(kind, settings=settings)
    if item is None:
        raise RegistryError(f"no production {kind} model in the registry")
    return item, loads_skops(load_artifact(item), trusted)


def dumps_skops(obj: Any) -> bytes:
    """Serialise scikit-learn objects (and plain containers, numpy arrays) with skops."""
    import skops.io as sio

    return sio.dumps(obj)


def loads_skops(data: bytes, trusted: Sequence[str]) -> Any:
    import skops.io as sio

    untrusted = set(sio.get_untrusted_types(data=data)) - set(trusted)
    if untrusted:
        raise RegistryError(
            "refusing to load an artifact with untrusted types: " + ", ".join(sorted(untrusted))
        )
    return sio.loads(data, trusted=list(trusted))


def _check_kind(kind: str) -> None:
    if not kind or not all(c.isalnum() or c in "_-" for c in kind):
        raise RegistryError(f"model kind {kind!r} must be letters, digits, '_' or '-'")


def _select_entries(settings: Settings, where: str, params: tuple[Any, ...]) -> list[Entry]:
    if not registry_path(settings).exists():
        return []
    with _read(settings) as connection:
        rows = connection.execute(
            f"SELECT * FROM model_entries WHERE {where} ORDER BY kind, version DESC", params
        ).fetchall()
    return [_entry_from_row(settings, row) for row in rows]


def _entry_from_row(settings: Settings, row: sqlite3.Row) -> Entry:
    return Entry(
        kind=row["kind"],
        version=int(row["version"]),
        status=row["status"],
        trained_at=datetime.fromisoformat(row["trained_at"]),
        started_by=row["started_by"],
        window_start=row["window_start"],
        window_end=row["window_end"],
        warehouse_version=row["warehouse_version"],
        parameters=json.loads(row["parameters_json"]),
        metrics=json.loads(row["metrics_json"]),
        artifact_path=settings.models_dir / row["artifact_path"],
        artifact_sha256=row["artifact_sha256"],
        registered_at=datetime.fromisoformat(row["registered_at"]),
    )


@contextmanager
def _read(settings: Settings) -> Iterator[sqlite3.Connection]:
    with sidestore.reading(registry_path(settings)) as connection:
        yield connection


@contextmanager
def _write(settings: Settings) -> Iterator[sqlite3.Connection]:
    with sidestore.writing(registry_path(settings), _SCHEMA) as connection:
        yield connection


def _next_version(connection: sqlite3.Connection, kind: str) -> int:
    row = connection.execute(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM model_entries WHERE kind = ?", (kind,)
    ).fetchone()
    return int(row[0])


def _log(connection: sqlite3.Connection, kind: str, version: int, action: str, actor: str,
         reason: str, when: datetime) -> None:  # fmt: skip
    connection.execute(
        "INSERT INTO registry_events (kind, version, action, actor, reason, occurred_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (kind, version, action, actor, reason, _iso(when)),
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _date_text(value: date | str | None) -> str | None:
    return None if value is None else str(value.isoformat() if isinstance(value, date) else value)
