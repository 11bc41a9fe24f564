"""Training the diagnostics model from the warehouse and registering it.

Rows: completed repairs with a description and a fault code of the taxonomy (quarantined repairs
never reach ``fct_repairs``; misspelt codes are dropped here too). Split by time: the last 15 % of
``received_at`` is the hold-out that the registry metrics describe; the last 15 % of the rest is
the validation split that fits the temperature and the bench-diagnosis threshold; the model is
fitted on what remains, so every reported number is out of sample. The quick answers' weights
come from the prediction log's outcomes instead (``answers.py``): the history records no answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from core.settings import Settings
from data import reference
from models import registry
from models.diagnostics.answers import (
    OUTCOME_SCHEMA,
    answered_outcomes,
    learned_ratios,
    outcome_counts,
)
from models.diagnostics.baseline import KeywordBaseline, fit_keyword_baseline
from models.diagnostics.features import CATEGORIES, Case, build_pipeline, case_frame
from models.diagnostics.feedback import matched_predictions
from models.diagnostics.metrics import expected_calibration_error, ranked_codes, top_k_accuracy
from models.diagnostics.model import DiagnosticsModel, fit_temperature, softmax
from models.diagnostics.prediction_log import PredictionLogError
from models.diagnostics.pricing import price_table
from models.diagnostics.store import KIND, save_model
from models.errors import ModelInputError
from warehouse.reader import connect_read_only, warehouse_version

HOLDOUT_SHARE = 0.15
VALIDATION_SHARE = 0.15
ACCEPTED_ACCURACY = 0.95  # answers given without a bench recommendation should be right this often
THRESHOLD_GRID = np.round(np.arange(0.20, 0.91, 0.05), 2)
MIN_ROWS = 200
UNKNOWN_DEVICE_SHARE = 0.2
PARAMETERS = {
    "C": 0.25,  # strong regularisation: as good on generated text, better on real text
    "max_char_features": 60_000,
    "classifier": "logreg",
    "device_priors": "all",
    "reference_docs": True,
    "class_weight_power": 0.0,
}


class TrainingDataError(ModelInputError):
    """The warehouse has too little usable history; ``str(error)`` says what to do."""


@dataclass(frozen=True)
class Evaluation:
    top1: float
    top3: float
    ece: float
    baseline_top1: float
    baseline_top3: float
    bench_rate: float
    accepted_top1: float
    rows: int

    def as_dict(self) -> dict[str, float]:
        return {key: round(float(value), 4) for key, value in self.__dict__.items()}


def training_rows(settings: Settings, window: tuple[date, date] | None = None) -> pl.DataFrame:
    """Completed repairs with text, device facts, age at intake, label (and the technician's
    initial guess, for error analysis only), price and minutes."""
    where = "" if window is None else "AND r.received_date BETWEEN ? AND ?"
    connection = connect_read_only(settings)
    try:
        result = connection.execute(
            f"""
            SELECT r.reported_symptoms AS symptoms, r.device_category AS category,
                   r.device_brand AS brand, d.model, r.device_class,
                   date_diff('day', d.release_date, r.received_date) / 365.25 AS age_years,
                   r.fault_code, r.initial_fault_code, r.received_at, r.received_date,
                   CAST(r.price_eur AS DOUBLE) AS price_eur, r.labour_minutes
            FROM fct_repairs r JOIN dim_device_model d USING (device_model_id)
            WHERE r.is_completed AND r.fault_code IS NOT NULL
              AND coalesce(trim(r.reported_symptoms), '') <> '' {where}
            ORDER BY r.received_at, r.repair_id
            """,
            [] if window is None else list(window),
        )
        rows = pl.DataFrame(
            result.fetchall(), schema=[column[0] for column in result.description], orient="row"
        )
    finally:
        connection.close()
    return rows.filter(pl.col("fault_code").is_in(sorted(reference.fault_codes())))


def cases_of(rows: pl.DataFrame) -> list[Case]:
    return [
        Case(
            category=r["category"],
            symptoms=r["symptoms"],
            brand=r["brand"],
            model=r["model"],
            age_years=r["age_years"],
        )
        for r in rows.select("category", "symptoms", "brand", "model", "age_years").iter_rows(
            named=True
        )
    ]


def with_unknown_devices(
    cases: list[Case], labels: np.ndarray, share: float = UNKNOWN_DEVICE_SHARE, seed: int = 0
) -> tuple[list[Case], np.ndarray]:
    """The cases plus a random ``share`` of them again with brand, model and age unknown, so the
    model learns what to say when the shop does not know the device (real intake text often)."""
    rng = np.random.default_rng(seed)
    chosen = np.flatnonzero(rng.random(len(cases)) < share)
    masked = [Case(category=cases[i].category, symptoms=cases[i].symptoms, age_years=-1.0)
              for i in chosen]  # fmt: skip
    return [*cases, *masked], np.concatenate([labels, labels[chosen]])


def with_reference_docs(cases: list[Case], labels: np.ndarray) -> tuple[list[Case], np.ndarray]:
    """The cases plus the taxonomy's own words: each fault's name and each ``/``-separated phrase
    of its faults.csv description, once per category it occurs on, device unknown. They teach the
    model vocabulary that customers rarely use in the history but bench notes do ("no boot",
    "corrupted data")."""
    extra, extra_labels = [], []
    for code, category in reference.fault_categories().iter_rows():
        fault = reference.faults().filter(pl.col("code") == code).row(0, named=True)
        for phrase in [fault["name"], *fault["description"].split(" / ")]:
            extra.append(Case(category=category, symptoms=phrase, age_years=-1.0))
            extra_labels.append(code)
    return [*cases, *extra], np.concatenate([labels, np.array(extra_labels, dtype=labels.dtype)])


def class_weights(labels: np.ndarray, power: float) -> dict[str, float] | None:
    """Per fault ``(mean count / count) ** power``: 0 weighs every row alike, 1 every fault alike
    (rare faults count more, so the model leans less on how common a fault is)."""
    if power == 0:
        return None
    codes, counts = np.unique(labels, return_counts=True)
    weights = (counts.mean() / counts) ** power
    return {str(code): float(w) for code, w in zip(codes, weights, strict=True)}


def allowed_faults() -> tuple[tuple[str, ...], dict[str, np.ndarray]]:
    """Fault codes in faults.csv order and, per category, which of them are possible."""
    codes = tuple(reference.faults()["code"].to_list())
    pairs = set(reference.fault_categories().select("code", "category").iter_rows())
    return codes, {c: np.array([(code, c) in pairs for code in codes]) for c in CATEGORIES}


def time_split(n: int) -> tuple[slice, slice, slice]:
    """(fit, validation, hold-out) slices of rows sorted by time."""
    holdout_start = round(n * (1 - HOLDOUT_SHARE))
    validation_start = round(holdout_start * (1 - VALIDATION_SHARE))
    return (
        slice(0, validation_start),
        slice(validation_start, holdout_start),
        slice(holdout_start, n),
    )


def fit_model(
    rows: pl.DataFrame, parameters: dict[str, Any] | None = None
) -> tuple[DiagnosticsModel, Evaluation]:
    """Fit on the early rows, calibrate on validation, score on the hold-out."""
    parameters = {**PARAMETERS, **(parameters or {})}
    if rows.height < MIN_ROWS:
        raise TrainingDataError(
            f"only {rows.height} completed repairs with a description and a known fault; "
            f"training needs at least {MIN_ROWS} (generate or load more history, then run ETL)"
        )
    codes, allowed = allowed_faults()
    fit_part, validation, holdout = time_split(rows.height)
    cases = cases_of(rows)
    labels = rows["fault_code"].to_numpy()
    pipeline = build_pipeline(
        c=parameters["C"],
        max_char_features=parameters["max_char_features"],
        classifier=parameters["classifier"],
        device_priors=parameters["device_priors"],
        class_weight=class_weights(labels[fit_part], parameters["class_weight_power"]),
    )
    fit_cases, fit_labels = with_unknown_devices(cases[fit_part], labels[fit_part])
    if parameters["reference_docs"]:
        fit_cases, fit_labels = with_reference_docs(fit_cases, fit_labels)
    pipeline.fit(case_frame(fit_cases), fit_labels)
    model = DiagnosticsModel(
        pipeline, codes, allowed,
        trained_categories=tuple(sorted(set(rows["category"][fit_part].to_list()))),
    )  # fmt: skip
    model.temperature = _temperature(model, cases[validation], labels[validation])
    model.threshold = _threshold(model, cases[validation], labels[validation])
    baseline = baseline_from_rows(rows[fit_part])
    return model, evaluate(model, baseline, cases[holdout], labels[holdout])


def baseline_from_rows(rows: pl.DataFrame) -> KeywordBaseline:
    """The keyword baseline with its tie-breaking prior counted from ``rows``."""
    codes, allowed = allowed_faults()
    return fit_keyword_baseline(
        codes, allowed, rows["fault_code"].to_list(), rows["category"].to_list()
    )


def evaluate(
    model: DiagnosticsModel, baseline: Any, cases: list[Case], labels: np.ndarray
) -> Evaluation:
    """Hold-out top-1, top-3 and ECE of the model beside the keyword baseline's top-1 and top-3."""
    probabilities = model.predict_proba(cases)
    ranked = ranked_codes(probabilities, model.fault_codes, 3)
    confidence = probabilities.max(axis=1)
    correct = np.array([r[0] == y for r, y in zip(ranked, labels, strict=True)])
    accepted = confidence >= model.threshold
    baseline_ranked = baseline.rank([c.symptoms for c in cases], [c.category for c in cases])
    return Evaluation(
        top1=top_k_accuracy(ranked, list(labels), 1),
        top3=top_k_accuracy(ranked, list(labels), 3),
        ece=expected_calibration_error(confidence, correct),
        baseline_top1=top_k_accuracy(baseline_ranked, list(labels), 1),
        baseline_top3=top_k_accuracy(baseline_ranked, list(labels), 3),
        bench_rate=float(1 - accepted.mean()),
        accepted_top1=float(correct[accepted].mean()) if accepted.any() else float("nan"),
        rows=len(cases),
    )


def _temperature(model: DiagnosticsModel, cases: list[Case], labels: np.ndarray) -> float:
    raw = model._reorder(model.pipeline.decision_function(case_frame(cases)))
    mask = model.possible(cases)
    index = {code: i for i, code in enumerate(model.fault_codes)}
    positions = np.array([index[y] for y in labels])
    # A recorded fault the catalogue says the model cannot have (a catalogue gap) would make the
    # likelihood zero at every temperature; let it count rather than break the fit.
    mask[np.arange(len(positions)), positions] = True
    return fit_temperature(raw, mask, positions)


def _threshold(model: DiagnosticsModel, cases: list[Case], labels: np.ndarray) -> float:
    """The lowest top probability at which validation answers are right ``ACCEPTED_ACCURACY`` of
    the time; below it the answer recommends a bench diagnosis."""
    probabilities = softmax(model.logits(cases))
    top = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1)
    correct = np.array([model.fault_codes[i] == y for i, y in zip(top, labels, strict=True)])
    for threshold in THRESHOLD_GRID:
        accepted = confidence >= threshold
        if accepted.any() and correct[accepted].mean() >= ACCEPTED_ACCURACY:
            return float(threshold)
    return float(THRESHOLD_GRID[-1])


def train_diagnostics(
    settings: Settings,
    window: tuple[date, date] | None = None,
    *,
    promote: bool = False,
    started_by: str | None = None,
    parameters: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> registry.Entry:
    """Train on the warehouse, register a candidate, promote it when asked or when none is in
    production yet; returns the (possibly promoted) entry."""
    say = progress or (lambda _message: None)
    version_read = warehouse_version(settings)
    rows = training_rows(settings, window)
    say(f"read {rows.height:,} completed repairs from warehouse {version_read}")
    model, evaluation = fit_model(rows, parameters)
    say(f"fitted: hold-out top-1 {evaluation.top1:.3f}, top-3 {evaluation.top3:.3f}")
    outcomes, problem = logged_outcomes(settings)
    model.answer_ratios = learned_ratios(outcomes, model.fault_codes)
    answered = outcome_counts(outcomes)
    say(
        problem
        or "quick-answer weights from "
        + ", ".join(f"{n:,} {question} outcomes" for question, n in answered.items())
        + " (hand-set where there are none)"
    )
    prices = price_table(rows)
    user = started_by or registry.current_user()
    received = rows["received_date"]
    entry = registry.register(
        KIND,
        save_model(model, prices),
        started_by=user,
        parameters={
            **PARAMETERS,
            **(parameters or {}),
            "temperature": model.temperature,
            "threshold": model.threshold,
            "rows": rows.height,
            "answer_outcomes": answered,
        },
        metrics=evaluation.as_dict(),
        window=(received.min(), received.max()),
        warehouse_version=version_read,
        settings=settings,
    )
    return registry.promote_if_first(entry, requested=promote, by=user, settings=settings)


def logged_outcomes(settings: Settings) -> tuple[pl.DataFrame, str | None]:
    """The prediction log's answered outcomes (``answers.answered_outcomes``), and a one-line
    problem when the log cannot be read: training then keeps the hand-set answer weights rather
    than fail."""
    try:
        return answered_outcomes(matched_predictions(settings)[0]), None
    except PredictionLogError as error:
        problem = f"{error}; quick-answer weights stay hand-set"
        return pl.DataFrame(schema=OUTCOME_SCHEMA), problem


def describe_entry(entry: registry.Entry) -> str:
    """One line for the terminal and the Model Lab: hold-out metrics against the keyword rules."""
    m = entry.metrics
    return (
        f"diagnostics v{entry.version} ({entry.status}) trained on {entry.window_start} … "
        f"{entry.window_end}: hold-out top-1 {m['top1']:.3f} (keyword baseline "
        f"{m['baseline_top1']:.3f}), top-3 {m['top3']:.3f} ({m['baseline_top3']:.3f}), "
        f"ECE {m['ece']:.3f}, bench recommended for {m['bench_rate']:.0%}"
    )
