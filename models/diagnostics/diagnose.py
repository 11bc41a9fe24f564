"""Answering one case: ranked candidates with what they would cost, and how sure the model is.

The answer recommends a bench diagnosis when the top probability is below the threshold chosen on
validation, when the description is empty, or when it has no word the model knows; its ``note``
says which, so a technician knows how little the ranking is worth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any, ClassVar

import numpy as np
import polars as pl

from data import reference
from models.diagnostics.features import CATEGORIES, Case, Device, find_device, known_brands
from models.diagnostics.model import Contribution, DiagnosticsModel, Explanation
from models.diagnostics.pricing import Part, parts_for, quote, repair_types
from models.diagnostics.text import normalise_text
from models.errors import ModelInputError


class DiagnoseInputError(ModelInputError):
    """A case the model cannot answer; ``str(error)`` is one line saying what is wrong."""


@dataclass(frozen=True)
class Candidate:
    fault: str
    probability: float
    repair_type: str
    price_low: float | None
    price_high: float | None
    minutes: float | None
    price_source: str
    parts: tuple[Part, ...] = ()
    stock: dict[str, int] = field(default_factory=dict)  # sku → quantity on hand at the store

    def as_json(self) -> dict[str, Any]:
        return {
            "fault": self.fault,
            "probability": round(self.probability, 4),
            "repair_type": self.repair_type,
            "price_low": self.price_low,
            "price_high": self.price_high,
            "minutes": self.minutes,
            "parts": [
                {"sku": p.sku, "name": p.name, "lead_time_days": p.lead_time_days}
                | ({"in_stock": self.stock[p.sku]} if p.sku in self.stock else {})
                for p in self.parts
            ],
        }


@dataclass(frozen=True)
class Diagnosis:
    candidates: tuple[Candidate, ...]
    bench_diagnosis_recommended: bool
    note: str

    def as_json(self) -> dict[str, Any]:
        return {
            "candidates": [c.as_json() for c in self.candidates],
            "bench_diagnosis_recommended": self.bench_diagnosis_recommended,
            "note": self.note,
        }


def resolve_case(model: DiagnosticsModel, case: Case) -> tuple[Case, Device | None, list[str]]:
    """The case with brand filled in from the catalogue, its device, and notes about what is
    unknown; DiagnoseInputError for a category the model cannot answer for."""
    if case.category not in CATEGORIES:
        raise DiagnoseInputError(
            f"unknown device category {case.category!r}; use one of {', '.join(CATEGORIES)}"
        )
    if case.category not in model.trained_categories:
        raise DiagnoseInputError(
            f"the model has no repair history for {case.category} devices; a bench diagnosis is "
            "needed (retrain once the warehouse has some)"
        )
    device = find_device(case.model)
    notes = []
    if device is not None and device.category != case.category:
        raise DiagnoseInputError(
            f"{device.brand} {device.model} is a {device.category.replace('_', ' ')}, "
            f"not a {case.category.replace('_', ' ')}"
        )
    if device is None:
        brand = case.brand if case.brand in known_brands() else None
        described = (
            f"model {case.model!r} is not in the catalogue" if case.model else "no model given"
        )
        basis = f"{brand} and {case.category}" if brand else case.category
        notes.append(f"{described}: using {basis} history only")
        case = Case(**{**case.__dict__, "brand": brand})
    else:
        case = Case(**{**case.__dict__, "brand": device.brand})
    return case, device, notes


def diagnose_many(
    model: DiagnosticsModel,
    prices: dict[tuple[str, str, str], tuple[float, float, float]],
    cases: list[Case],
    top: int = 3,
    stock: dict[str, int] | None = None,
    on: date | None = None,
) -> list[Diagnosis]:
    """One diagnosis per case, in input order (a batch shares one vectorised prediction)."""
    resolved = [resolve_case(model, case) for case in cases]
    probabilities = model.predict_proba([r[0] for r in resolved], on)
    return [
        _diagnosis(model, prices, case, device, notes, row, top, stock or {})
        for (case, device, notes), row in zip(resolved, probabilities, strict=True)
    ]


def _diagnosis(model: DiagnosticsModel, prices: dict, case: Case, device: Device | None,
               notes: list[str], probabilities: np.ndarray, top: int,
               stock: dict[str, int]) -> Diagnosis:  # fmt: skip
    order = [i for i in np.argsort(-probabilities, kind="stable")[:top] if probabilities[i] > 0]
    types = repair_types()
    candidates = []
    for i in order:
        fault = model.fault_codes[i]
        priced = quote(prices, fault, case.category, device.device_class if device else None)
        parts = tuple(parts_for(fault, case.brand, device.model if device else None))
        on_hand = {p.sku: stock[p.sku] for p in parts if p.sku in stock}
        candidates.append(Candidate(
            fault, float(probabilities[i]), types[fault], priced.price_low, priced.price_high,
            priced.minutes, priced.source, parts, on_hand,
        ))  # fmt: skip
    bench, reason = _bench_reason(model, case, float(probabilities[order[0]]))
    return Diagnosis(tuple(candidates), bench, "; ".join([*notes, reason]))


def _bench_reason(model: DiagnosticsModel, case: Case, top_probability: float) -> tuple[bool, str]:
    text = normalise_text(case.symptoms)
    if not text:
        return True, "no description: ranked from device history alone; bench diagnosis recommended"
    known = model.known_word_count(text)
    if known == 0:
        return True, (
            "the description has no word the model knows: ranked from fragments of its spelling "
            "and the device history only; bench diagnosis recommended"
        )
    if top_probability < model.threshold:
        return True, (
            f"top candidate only {top_probability:.0%} likely (below {model.threshold:.0%}); "
            "bench diagnosis recommended"
        )
    return False, f"top candidate {top_probability:.0%} likely"


def explain_candidates(model: DiagnosticsModel, case: Case, answer: Diagnosis,
                       on: date | None = None) -> dict[str, Explanation]:  # fmt: skip
    """Per candidate: the exact terms of its logit against the most likely other fault (faults
    absent from the training history have no weights to explain and are skipped)."""
    resolved, _, _ = resolve_case(model, case)
    learnt = set(model.pipeline.classes_)
    return {
        c.fault: model.explain(resolved, c.fault, on=on)
        for c in answer.candidates
        if c.fault in learnt
    }


def explanation_json(explanation: Explanation, n: int = 5) -> dict[str, Any]:
    def terms(items: list[Contribution]) -> list[list]:
        return [[c.feature, round(c.value, 3)] for c in items]

    return {
        "versus": explanation.versus,
        "logit_difference": round(explanation.logit_difference, 3),
        "toward": terms(explanation.toward(n)),
        "away": terms(explanation.away(n)),
    }


def stock_at_store(connection: Any, store_code: str) -> dict[str, int]:
    """Quantity on hand per SKU at one store, read on a warehouse ``connection``;
    DiagnoseInputError if the store code is unknown."""
    store = connection.execute(
        "SELECT store_id FROM stg_stores WHERE code = ?", [store_code]
    ).fetchone()
    if store is None:
        codes = [
            r[0] for r in connection.execute("SELECT code FROM stg_stores ORDER BY code").fetchall()
        ]
        raise DiagnoseInputError(f"unknown store {store_code!r}; stores: {', '.join(codes)}")
    rows = connection.execute(
        "SELECT p.sku, s.quantity_on_hand FROM stg_stock_levels s "
        "JOIN stg_parts p USING (part_id) WHERE s.store_id = ?",
        [store[0]],
    ).fetchall()
    return {sku: int(quantity) for sku, quantity in rows}


# ---- what a technician needs beside the ranking: bench checks and similar past repairs --------

SIMILAR_HISTORY = 10_000  # most recent completed repairs per category that similarity searches
SIMILAR_COLUMNS = {
    "repair_id": pl.Int64,
    "received_date": pl.Date,
    "brand": pl.String,
    "model": pl.String,
    "symptoms": pl.String,
    "fault_code": pl.String,
    "initial_fault_code": pl.String,
    "repair_type": pl.String,
    "price_eur": pl.Float64,
    "labour_minutes": pl.Float64,
    "is_first_time_fix": pl.Boolean,
    "has_rework": pl.Boolean,
    "csat": pl.Int64,
}


def bench_checks(fault: str) -> list[str]:
    """The first checks to run at the bench for a candidate fault, in order (faults.csv codes
    all have 2–4, from ``data/reference/fault_checks.csv``)."""
    return _checks().get(fault, [])


@cache
def _checks() -> dict[str, list[str]]:
    checks: dict[str, list[str]] = {}
    for code, _, text in reference.fault_checks().sort("fault_code", "step").iter_rows():
        checks.setdefault(code, []).append(text)
    return checks


def past_repairs(connection: Any, category: str, limit: int = SIMILAR_HISTORY) -> pl.DataFrame:
    """The ``limit`` most recent completed repairs of a category with a description and a fault,
    from a warehouse connection (``SIMILAR_COLUMNS``)."""
    result = connection.execute(
        """
        SELECT r.repair_id, r.received_date, d.brand, d.model, r.reported_symptoms AS symptoms,
               r.fault_code, r.initial_fault_code, r.repair_type,
               CAST(r.price_eur AS DOUBLE) AS price_eur,
               CAST(r.labour_minutes AS DOUBLE) AS labour_minutes,
               r.is_first_time_fix, r.has_rework, CAST(r.csat AS BIGINT) AS csat
        FROM fct_repairs r JOIN dim_device_model d USING (device_model_id)
        WHERE r.device_category = ? AND r.is_completed AND r.fault_code IS NOT NULL
          AND coalesce(trim(r.reported_symptoms), '') <> ''
        ORDER BY r.received_at DESC, r.repair_id DESC
        LIMIT ?
        """,
        [category, limit],
    )
    return pl.DataFrame(result.fetchall(), schema=SIMILAR_COLUMNS, orient="row")


@dataclass
class SimilarRepairs:
    """Past repairs of one category, searchable by how their description reads.

    Similarity is the cosine of TF-IDF word 1–2-grams and character 3–5-grams (within words) of
    the normalised text, so misspellings and shorthand still meet their correct spelling. A
    repair on the same device model gets a small bonus, so among equally close descriptions the
    same device wins; descriptions that normalise to the same text are shown once (the newest).
    """

    repairs: pl.DataFrame
    texts: list[str]
    vectorizer: Any
    matrix: Any  # scipy sparse, one L2-normalised row per repair

    SAME_MODEL_BONUS: ClassVar[float] = 0.05

    @classmethod
    def build(cls, repairs: pl.DataFrame) -> SimilarRepairs:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import FeatureUnion
        from sklearn.preprocessing import normalize

        texts = [normalise_text(t) for t in repairs["symptoms"].to_list()]
        vectorizer = FeatureUnion([
            ("word", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2,
                                     dtype=np.float32)),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True,
                                     min_df=2, max_features=50_000, dtype=np.float32)),
        ])  # fmt: skip
        try:
            matrix = normalize(vectorizer.fit_transform(texts))
        except ValueError:  # no text, or too little for min_df: nothing to compare with
            return cls(repairs, texts, None, None)
        return cls(repairs, texts, vectorizer, matrix)

    def query(self, symptoms: str, model: str | None = None, limit: int = 5,
              min_similarity: float = 0.15) -> pl.DataFrame:  # fmt: skip
        """The ``limit`` past repairs whose description is closest, best first, with a
        ``similarity`` column (0–1); empty when the text shares nothing with the history."""
        from sklearn.preprocessing import normalize

        empty = self.repairs.head(0).with_columns(similarity=pl.lit(None, pl.Float64))
        text = normalise_text(symptoms)
        if self.vectorizer is None or not text:
            return empty
        vector = normalize(self.vectorizer.transform([text]))
        if vector.nnz == 0:
            return empty
        scores = (self.matrix @ vector.T).toarray().ravel()
        ranking = scores.copy()
        device = find_device(model)
        if device is not None:
            ranking += self.SAME_MODEL_BONUS * (self.repairs["model"] == device.model).to_numpy()
        order, seen = [], set()
        for i in np.argsort(-ranking, kind="stable"):
            if scores[i] < min_similarity or len(order) == limit:
                break
            if self.texts[i] not in seen:
                seen.add(self.texts[i])
                order.append(int(i))
        return self.repairs[order].with_columns(
            similarity=pl.Series(scores[order], dtype=pl.Float64)
        )
