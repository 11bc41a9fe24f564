"""The diagnostics prediction log: every answer given in the app, the API or the command line, and
what the fault turned out to be.

The log is its own SQLite file beside the warehouse, ``$REPAIRLENS_DATA_DIR/predictions.sqlite``:
the published warehouse is written only by ETL, so predictions never go into it. The file runs in
WAL mode and every write is one short ``BEGIN IMMEDIATE`` transaction, so the Streamlit app, several
API workers and the command line can log at the same time; a writer waits at most
``core.sidestore.BUSY_TIMEOUT_MS`` for another, and readers never wait. Connections stay open per
thread and process with ``synchronous = NORMAL``, so a write costs no fsync (about 0.1 ms): a
crashed process loses nothing, a power cut may lose the last few predictions.

Stable API (keyword arguments, safe to call from any process)::

    record_prediction(settings, *, source, case, answer, model_version,
                      repair_id=None, booking_reference=None, made_at=None) -> str
        Log one answer (``source`` is "app", "api" or "cli"; ``case`` a features.Case; ``answer``
        a diagnose.Diagnosis) and return its prediction id (32 hex characters).

    record_predictions(settings, *, source, answers, model_version,
                       repair_ids=None, booking_references=None, made_at=None) -> list[str]
        The same for a batch of (case, answer) pairs, in one transaction; ids in input order.

    record_outcome(settings, prediction_id, *, confirmed_fault, by, note="", recorded_at=None)
        -> int
        The technician confirms (or corrects) the fault of a logged prediction; returns the
        outcome id. A later outcome for the same prediction supersedes the earlier one; both
        are kept.

    link_prediction(settings, prediction_id, *, repair_id=None, booking_reference=None)
        Attach the repair (or booking) a prediction turned into, once it is known.

    read_predictions(settings) -> polars.DataFrame
        One row per prediction, oldest first, with its latest outcome (null when none).

Errors a caller can act on raise :class:`PredictionLogError` (a ``ModelInputError``) with a one-line
message. Timestamps are naive UTC, as in the warehouse.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import polars as pl

from core import sidestore
from core.settings import Settings
from data import reference
from models.errors import ModelInputError

if TYPE_CHECKING:
    from models.diagnostics.diagnose import Diagnosis
    from models.diagnostics.features import Case

Source = Literal["app", "api", "cli"]
SOURCES: tuple[str, ...] = ("app", "api", "cli")
LOG_FILE = "predictions.sqlite"
MAX_SYMPTOMS_CHARS = 5_000  # a description longer than this is kept truncated

_SCHEMA = """
CREATE TABLE IF NOT EXISTS predictions (
    prediction_id TEXT PRIMARY KEY,
    made_at TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('app', 'api', 'cli')),
    device_category TEXT NOT NULL,
    device_brand TEXT,
    device_model TEXT,
    symptoms TEXT NOT NULL,
    powers_on INTEGER,
    liquid_exposure INTEGER,
    dropped INTEGER,
    model_version INTEGER NOT NULL,
    top_fault TEXT,
    top_probability REAL,
    is_bench_recommended INTEGER NOT NULL,
    candidates_json TEXT NOT NULL,
    repair_id INTEGER,
    booking_reference TEXT
);
CREATE INDEX IF NOT EXISTS predictions_made_at ON predictions (made_at);
CREATE INDEX IF NOT EXISTS predictions_repair ON predictions (repair_id);
CREATE INDEX IF NOT EXISTS predictions_booking ON predictions (booking_reference);
CREATE TABLE IF NOT EXISTS prediction_outcomes (
    outcome_id INTEGER PRIMARY KEY AUTOINCREMENT,
    prediction_id TEXT NOT NULL REFERENCES predictions (prediction_id),
    confirmed_fault TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    note TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS outcomes_prediction ON prediction_outcomes (prediction_id);
"""

PREDICTION_COLUMNS = {
    "prediction_id": pl.String,
    "made_at": pl.Datetime("us"),
    "source": pl.String,
    "device_category": pl.String,
    "device_brand": pl.String,
    "device_model": pl.String,
    "symptoms": pl.String,
    "powers_on": pl.Boolean,
    "liquid_exposure": pl.Boolean,
    "dropped": pl.Boolean,
    "model_version": pl.Int64,
    "top_fault": pl.String,
    "top_probability": pl.Float64,
    "is_bench_recommended": pl.Boolean,
    "candidate_faults": pl.List(pl.String),
    "candidate_probabilities": pl.List(pl.Float64),
    "repair_id": pl.Int64,
    "booking_reference": pl.String,
    "confirmed_fault": pl.String,
    "confirmed_by": pl.String,
    "confirmed_note": pl.String,
    "confirmed_at": pl.Datetime("us"),
}


_RAW_PREDICTION_COLUMNS = (
    "prediction_id", "made_at", "source", "device_category", "device_brand", "device_model",
    "symptoms", "powers_on", "liquid_exposure", "dropped", "model_version", "top_fault",
    "top_probability", "is_bench_recommended", "candidates_json", "repair_id", "booking_reference",
)  # fmt: skip
_RAW_SCHEMA = {
    **{column: pl.String for column in _RAW_PREDICTION_COLUMNS},
    **{column: pl.Int64 for column in ("powers_on", "liquid_exposure", "dropped",
                                       "model_version", "is_bench_recommended", "repair_id")},
    "top_probability": pl.Float64,
    "confirmed_fault": pl.String,
    "recorded_by": pl.String,
    "note": pl.String,
    "recorded_at": pl.String,
}  # fmt: skip


class PredictionLogError(ModelInputError):
    """A log request that cannot be served; ``str(error)`` is one line for the user."""


def log_path(settings: Settings) -> Path:
    return settings.data_dir / LOG_FILE


def record_prediction(
    settings: Settings,
    *,
    source: Source,
    case: Case,
    answer: Diagnosis,
    model_version: int,
    repair_id: int | None = None,
    booking_reference: str | None = None,
    made_at: datetime | None = None,
) -> str:
    """Log one answer and return its prediction id."""
    (prediction_id,) = record_predictions(
        settings,
        source=source,
        answers=[(case, answer)],
        model_version=model_version,
        repair_ids=[repair_id],
        booking_references=[booking_reference],
        made_at=made_at,
    )
    return prediction_id


def record_predictions(
    settings: Settings,
    *,
    source: Source,
    answers: Sequence[tuple[Case, Diagnosis]],
    model_version: int,
    repair_ids: Sequence[int | None] | None = None,
    booking_references: Sequence[str | None] | None = None,
    made_at: datetime | None = None,
) -> list[str]:
    """Log a batch of answers in one transaction; their ids in input order."""
    if source not in SOURCES:
        raise PredictionLogError(f"prediction source must be one of {', '.join(SOURCES)}")
    n = len(answers)
    repair_ids = list(repair_ids) if repair_ids is not None else [None] * n
    booking_references = list(booking_references) if booking_references is not None else [None] * n
    if not len(repair_ids) == len(booking_references) == n:
        raise PredictionLogError("give one repair id and booking reference per answer, or none")
    when = _text(made_at or _now())
    ids, rows = [], []
    for (case, answer), repair_id, booking_reference in zip(
        answers, repair_ids, booking_references, strict=True
    ):
        prediction_id = uuid.uuid4().hex
        ids.append(prediction_id)
        row = _row(prediction_id, when, source, case, answer, model_version, repair_id,
                   booking_reference)  # fmt: skip
        rows.append(row)
    if rows:
        with _write(settings) as connection:
            connection.executemany(
                f"INSERT INTO predictions VALUES ({', '.join('?' * len(rows[0]))})", rows
            )
    return ids


def _row(prediction_id: str, made_at: str, source: str, case: Case, answer: Diagnosis,
         model_version: int, repair_id: int | None,
         booking_reference: str | None) -> tuple:  # fmt: skip
    candidates = [[c.fault, round(float(c.probability), 6)] for c in answer.candidates]
    return (
        prediction_id,
        made_at,
        source,
        case.category,
        case.brand,
        case.model,
        (case.symptoms or "")[:MAX_SYMPTOMS_CHARS],
        _flag(case.powers_on),
        _flag(case.liquid_exposure),
        _flag(case.dropped),
        int(model_version),
        candidates[0][0] if candidates else None,
        candidates[0][1] if candidates else None,
        int(bool(answer.bench_diagnosis_recommended)),
        json.dumps(candidates),
        None if repair_id is None else int(repair_id),
        booking_reference,
    )


def record_outcome(
    settings: Settings,
    prediction_id: str,
    *,
    confirmed_fault: str,
    by: str,
    note: str = "",
    recorded_at: datetime | None = None,
) -> int:
    """Record the fault a technician found for a logged prediction; returns the outcome id."""
    if confirmed_fault not in reference.fault_codes():
        raise PredictionLogError(f"unknown fault code {confirmed_fault!r}; see faults.csv")
    if not by.strip():
        raise PredictionLogError("an outcome needs the name of who recorded it")
    now = _now()
    with _write(settings) as connection:
        found = connection.execute(
            "SELECT 1 FROM predictions WHERE prediction_id = ?", (prediction_id,)
        ).fetchone()
        if found is None:
            raise PredictionLogError(f"no logged prediction {prediction_id!r}")
        cursor = connection.execute(
            "INSERT INTO prediction_outcomes (prediction_id, confirmed_fault, recorded_by, note, "
            "recorded_at) VALUES (?, ?, ?, ?, ?)",
            (prediction_id, confirmed_fault, by.strip(), note.strip(), _text(recorded_at or now)),
        )
        return int(cursor.lastrowid)


def link_prediction(
    settings: Settings,
    prediction_id: str,
    *,
    repair_id: int | None = None,
    booking_reference: str | None = None,
) -> None:
    """Attach the repair and/or booking a prediction belongs to (values given replace old ones)."""
    if repair_id is None and booking_reference is None:
        raise PredictionLogError("give a repair id or a booking reference to link")
    with _write(settings) as connection:
        updated = connection.execute(
            "UPDATE predictions SET repair_id = coalesce(?, repair_id), "
            "booking_reference = coalesce(?, booking_reference) WHERE prediction_id = ?",
            (repair_id, booking_reference, prediction_id),
        ).rowcount
        if updated == 0:
            raise PredictionLogError(f"no logged prediction {prediction_id!r}")


def read_predictions(settings: Settings) -> pl.DataFrame:
    """One row per logged prediction, oldest first, with its latest outcome (null when none);
    an empty frame with the same columns when nothing has been logged."""
    if not log_path(settings).exists():
        return pl.DataFrame(schema=PREDICTION_COLUMNS)
    with _read(settings) as connection:
        cursor = connection.cursor()
        cursor.row_factory = None  # plain tuples: the frame is built column-wise below
        rows = cursor.execute(
            f"""
            SELECT {", ".join(f"p.{column}" for column in _RAW_PREDICTION_COLUMNS)},
                   o.confirmed_fault, o.recorded_by, o.note, o.recorded_at
            FROM predictions p
            LEFT JOIN prediction_outcomes o ON o.outcome_id = (
                SELECT max(outcome_id) FROM prediction_outcomes
                WHERE prediction_id = p.prediction_id)
            ORDER BY p.made_at, p.rowid
            """
        ).fetchall()
    raw = pl.DataFrame(rows, schema=_RAW_SCHEMA, orient="row").with_columns(
        pl.col("candidates_json").str.json_decode(pl.List(pl.List(pl.String)))
    )
    timestamp = {"format": "%Y-%m-%dT%H:%M:%S%.f", "time_unit": "us"}
    return raw.select(
        "prediction_id",
        pl.col("made_at").str.to_datetime(**timestamp),
        "source",
        "device_category",
        "device_brand",
        "device_model",
        "symptoms",
        pl.col("powers_on", "liquid_exposure", "dropped", "is_bench_recommended").cast(pl.Boolean),
        "model_version",
        "top_fault",
        "top_probability",
        candidate_faults=pl.col("candidates_json").list.eval(pl.element().list.get(0)),
        candidate_probabilities=pl.col("candidates_json").list.eval(
            pl.element().list.get(1).cast(pl.Float64)
        ),
        repair_id="repair_id",
        booking_reference="booking_reference",
        confirmed_fault="confirmed_fault",
        confirmed_by="recorded_by",
        confirmed_note="note",
        confirmed_at=pl.col("recorded_at").str.to_datetime(**timestamp),
    ).select(list(PREDICTION_COLUMNS))


def outcomes(settings: Settings, prediction_id: str) -> list[dict]:
    """Every outcome recorded for one prediction, oldest first (the audit trail)."""
    if not log_path(settings).exists():
        return []
    with _read(settings) as connection:
        rows = connection.execute(
            "SELECT outcome_id, confirmed_fault, recorded_by, note, recorded_at "
            "FROM prediction_outcomes WHERE prediction_id = ? ORDER BY outcome_id",
            (prediction_id,),
        ).fetchall()
    return [dict(row) for row in rows]


def _connect(settings: Settings) -> sqlite3.Connection:
    """This thread's connection to the log, opened (with the schema in place) on first use.

    Connections are kept open: closing the last one on a WAL file checkpoints and removes the
    WAL, which would cost every write an fsync. One per thread (Streamlit serves sessions on
    threads) and per process (a forked worker must not share its parent's connection).
    """
    path = log_path(settings)
    key = (str(path.absolute()), os.getpid())
    cache = _LOCAL.__dict__.setdefault("connections", {})
    connection = cache.get(key)
    if connection is not None:
        return connection
    connection = sidestore.connect(path, _SCHEMA)
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: a crash of the process loses
    # nothing, a power cut may lose the last few predictions, and a log write costs no fsync.
    connection.execute("PRAGMA synchronous = NORMAL")
    cache[key] = connection
    return connection


_LOCAL = threading.local()


def _open(settings: Settings) -> sqlite3.Connection:
    try:
        return _connect(settings)
    except (sqlite3.Error, OSError) as error:
        raise PredictionLogError(
            f"cannot open the prediction log {log_path(settings)}: {error}"
        ) from None


@contextmanager
def _read(settings: Settings) -> Iterator[sqlite3.Connection]:
    yield _open(settings)


@contextmanager
def _write(settings: Settings) -> Iterator[sqlite3.Connection]:
    with sidestore.write_transaction(_open(settings)) as connection:
        yield connection


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _text(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds")


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(bool(value))
