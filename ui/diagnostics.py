"""Loading, computing and charting for the technicians' Diagnostics page.

The page (``pages/2_Diagnostics.py``) holds widgets and layout; everything it shows comes from
here. The production model is cached per data directory and reloads itself after a promotion
(``ProductionModel.get``); warehouse reads are cached by warehouse version; the feedback loop is
cached for a minute, but a session sees what it records itself at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import altair as alt
import polars as pl
import streamlit as st

from core.settings import get_settings
from data import reference
from models.diagnostics import answers, feedback, prediction_log
from models.diagnostics.diagnose import (
    Diagnosis,
    SimilarRepairs,
    diagnose_many,
    explain_candidates,
    past_repairs,
    stock_at_store,
)
from models.diagnostics.features import Case
from models.diagnostics.model import DiagnosticsModel, Explanation
from models.diagnostics.store import LoadedModel, ModelNotTrainedError, ProductionModel
from models.registry import RegistryError
from ui.warehouse import cursor

TOP = 5
MAX_SYMPTOMS_CHARS = 2_000
QUICK_CHOICES = ("Don't know", "Yes", "No")
QUICK_QUESTIONS = {
    "powers_on": "Does it power on?",
    "liquid_exposure": "Any liquid exposure?",
    "dropped": "Was it dropped?",
}
PERIODS = {"Week": "1w", "Day": "1d", "Month": "1mo"}
GENERATION_KEY = "dx_log_generation"


@dataclass(frozen=True)
class Result:
    """One answered case as the page shows it, and where it was logged."""

    case: Case
    answer: Diagnosis
    explanations: dict[str, Explanation]
    model_version: int
    store: str | None
    prediction_id: str | None
    log_error: str | None


# ---- the model ---------------------------------------------------------------------------------


@st.cache_resource(max_entries=4)
def _production(data_dir: str) -> ProductionModel:
    return ProductionModel(get_settings())


def load_model() -> tuple[LoadedModel | None, str | None]:
    """The production model, or None and a one-line message saying what to do."""
    settings = get_settings()
    try:
        return _production(str(settings.data_dir.resolve())).get(), None
    except ModelNotTrainedError as error:
        return None, str(error)
    except RegistryError as error:
        return None, f"the diagnostics model cannot be loaded: {error}"


def category_label(category: str) -> str:
    return category.replace("_", " ").capitalize()


def fault_names() -> dict[str, str]:
    return dict(reference.faults().select("code", "name").iter_rows())


def faults_for(category: str) -> list[str]:
    """Fault codes possible for a category, in faults.csv order."""
    return reference.fault_categories().filter(pl.col("category") == category)["code"].to_list()


def catalogue(category: str) -> dict[str, str]:
    """Catalogue models of a category → brand, sorted by brand and model."""
    rows = (
        reference.device_models()
        .filter(pl.col("category") == category)
        .sort("brand", "model")
        .select("model", "brand")
        .iter_rows()
    )
    return dict(rows)


def brand_of(model: str | None, category: str) -> str | None:
    """The brand of a catalogue model, or of a typed model whose first word is a known brand
    ("Fairphone 9" → Fairphone), so an unknown model still gets its brand's history."""
    if not model:
        return None
    known = catalogue(category)
    if model in known:
        return known[model]
    first = model.split()[0].lower()
    brands = {b.lower(): b for b in reference.device_models()["brand"].unique().to_list()}
    return brands.get(first)


def percent(probability: float) -> str:
    """A probability as the page shows it: whole percent, and "<1%" rather than a bare 0%."""
    return "<1%" if 0 < probability < 0.005 else f"{probability:.0%}"


def quick_answer(choice: str | None) -> bool | None:
    return {"Yes": True, "No": False}.get(choice or "")


def symptoms_problem(text: str) -> str | None:
    """A one-line reason the description cannot be diagnosed, or None."""
    if not text.strip():
        return "Type what the customer describes (for example “screen cracked, touch still works”)."
    if len(text) > MAX_SYMPTOMS_CHARS:
        return f"The description is too long: keep it under {MAX_SYMPTOMS_CHARS:,} characters."
    return None


def parse_reference(text: str) -> tuple[int | None, str | None]:
    """(repair id, booking reference) from what the technician typed: a number is a repair,
    anything else a booking reference (``RL-…``); both None when empty."""
    text = text.strip().lstrip("#")
    if not text:
        return None, None
    if text.isdigit():
        return int(text), None
    return None, text.upper()


def diagnose(
    loaded: LoadedModel,
    case: Case,
    stock: dict[str, int] | None,
    store: str | None,
    reference_text: str = "",
) -> Result:
    """Answer one case, explain every candidate and log the answer (source ``app``) with the
    repair or booking it is for, so the loop can match it once the repair is done.

    DiagnoseInputError (one line) when the case cannot be answered. A log that cannot be
    written does not lose the answer: ``log_error`` says why.
    """
    (answer,) = diagnose_many(loaded.model, loaded.prices, [case], TOP, stock)
    explanations = explain_candidates(loaded.model, case, answer)
    repair_id, booking_reference = parse_reference(reference_text)
    prediction_id, log_error = None, None
    try:
        prediction_id = prediction_log.record_prediction(
            get_settings(),
            source="app",
            case=case,
            answer=answer,
            model_version=loaded.version,
            repair_id=repair_id,
            booking_reference=booking_reference,
        )
    except prediction_log.PredictionLogError as error:
        log_error = str(error)
    else:
        _logged()
    return Result(case, answer, explanations, loaded.version, store, prediction_id, log_error)


def record_outcome(prediction_id: str, fault: str, by: str, note: str = "") -> str | None:
    """Record the technician's verdict; a one-line error, or None when it was recorded."""
    try:
        prediction_log.record_outcome(
            get_settings(),
            prediction_id,
            confirmed_fault=fault,
            by=by or "technician",
            note=note,
        )
    except prediction_log.PredictionLogError as error:
        return str(error)
    _logged()
    return None


# ---- the warehouse: stores, stock, similar repairs --------------------------------------------


@st.cache_data(ttl=600, max_entries=8)
def stores(version: str) -> dict[str, str]:
    """Open stores: code → name."""
    rows = cursor(version).execute(
        "SELECT store_code, store_name FROM dim_store WHERE is_open ORDER BY store_code"
    )
    return dict(rows.fetchall())


@st.cache_data(ttl=600, max_entries=16)
def stock(version: str, store_code: str) -> dict[str, int]:
    """Quantity on hand per SKU at one store."""
    return stock_at_store(cursor(version), store_code)


@st.cache_resource(max_entries=6, show_spinner="Indexing past repairs of this category…")
def _similar_index(version: str, category: str) -> SimilarRepairs:
    return SimilarRepairs.build(past_repairs(cursor(version), category))


def similar_repairs(version: str, case: Case, limit: int = 5) -> pl.DataFrame:
    """Past repairs of the case's category whose description reads most like this one."""
    found = _similar_index(version, case.category).query(case.symptoms, case.model, limit)
    names = fault_names()
    return found.select(
        pl.col("received_date").dt.to_string("%Y-%m-%d").alias("Received"),
        (pl.col("brand") + " " + pl.col("model")).alias("Device"),
        pl.col("symptoms").alias("Customer said"),
        pl.col("fault_code").replace_strict(names, default=pl.col("fault_code")).alias("Fault"),
        pl.col("price_eur").alias("Price €"),
        pl.col("labour_minutes").alias("Minutes"),
        pl.when(pl.col("has_rework"))
        .then(pl.lit("came back"))
        .when(pl.col("is_first_time_fix"))
        .then(pl.lit("fixed first time"))
        .otherwise(pl.lit("—"))
        .alias("Outcome"),
        pl.col("csat").alias("CSAT"),
        pl.col("similarity").round(2).alias("Similarity"),
    )


# ---- the feedback loop ---------------------------------------------------------------------------


@st.cache_data(ttl=60, max_entries=8, show_spinner="Matching logged predictions to repairs…")
def _loop(data_dir: str, warehouse: str | None, generation: int) -> tuple[pl.DataFrame, int]:
    return feedback.matched_predictions(get_settings())


def loop(warehouse: str | None) -> tuple[pl.DataFrame, int, str | None]:
    """(matched predictions, predictions logged, a one-line problem or None) for the current
    log and warehouse.

    Reading a large log takes seconds, so it is cached for a minute; what this session logs or
    records bumps its generation, so its own verdicts show up at once.
    """
    generation = st.session_state.get(GENERATION_KEY, 0)
    try:
        matched, logged = _loop(str(get_settings().data_dir.resolve()), warehouse, generation)
    except prediction_log.PredictionLogError as error:
        return pl.DataFrame(), 0, str(error)
    return matched, logged, None


def _logged() -> None:
    st.session_state[GENERATION_KEY] = st.session_state.get(GENERATION_KEY, 0) + 1


# ---- charts ------------------------------------------------------------------------------------


def explanation_chart(explanation: Explanation, n: int = 6) -> alt.Chart:
    """The terms pushing hardest toward the candidate (and toward the runner-up instead)."""
    terms = [*explanation.toward(n), *explanation.away(max(2, n // 2))]
    frame = pl.DataFrame(
        {
            "term": [_term_label(c.feature, c.kind) for c in terms],
            "weight": [round(c.value, 3) for c in terms],
            "direction": [
                f"toward {explanation.fault}" if c.value > 0 else f"toward {explanation.versus}"
                for c in terms
            ],
        },
        schema={"term": pl.String, "weight": pl.Float64, "direction": pl.String},
    )
    return (
        alt.Chart(frame.to_pandas())
        .mark_bar()
        .encode(
            x=alt.X("weight:Q", title=f"pushes toward {explanation.fault} (log-odds)"),
            y=alt.Y("term:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260)),
            color=alt.Color(
                "direction:N",
                scale=alt.Scale(range=["#2e7d32", "#c62828"]),
                legend=alt.Legend(orient="bottom", title=None),
            ),
            tooltip=["term", "weight", "direction"],
        )
        .properties(height=alt.Step(18))
    )


def _term_label(feature: str, kind: str) -> str:
    if kind in ("word", "phrase"):
        return f"“{feature}”"
    if kind == "intercept":
        return "base rate"
    return feature


def accuracy_chart(over_time: pl.DataFrame) -> alt.Chart:
    frame = over_time.unpivot(
        ["top1_accuracy", "top3_accuracy"],
        index=["period_start", "predictions"],
        variable_name="measure",
        value_name="accuracy",
    ).with_columns(pl.col("measure").replace({"top1_accuracy": "top-1", "top3_accuracy": "top-3"}))
    return (
        alt.Chart(frame.to_pandas())
        .mark_line(point=True)
        .encode(
            x=alt.X("period_start:T", title=None),
            y=alt.Y("accuracy:Q", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("measure:N", title=None),
            tooltip=[
                "period_start:T",
                "measure",
                alt.Tooltip("accuracy:Q", format=".0%"),
                "predictions",
            ],
        )
    )


def accuracy_by_chart(by: pl.DataFrame, column: str) -> alt.Chart:
    return (
        alt.Chart(by.to_pandas())
        .mark_bar()
        .encode(
            x=alt.X(
                "top1_accuracy:Q",
                title="top-1 accuracy",
                axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            y=alt.Y(f"{column}:N", sort="-x", title=None),
            tooltip=[
                column,
                "predictions",
                alt.Tooltip("top1_accuracy:Q", format=".0%"),
                alt.Tooltip("top3_accuracy:Q", format=".0%"),
            ],
        )
        .properties(height=alt.Step(20))
    )


def confusion_chart(cells: pl.DataFrame) -> alt.Chart:
    base = alt.Chart(cells.to_pandas()).encode(
        x=alt.X("predicted_fault:N", title="top prediction"),
        y=alt.Y("actual_fault:N", title="actual fault"),
    )
    heat = base.mark_rect().encode(
        color=alt.Color(
            "share_of_actual:Q",
            title="share of actual",
            scale=alt.Scale(scheme="blues", domain=[0, 1]),
        ),
        tooltip=[
            "actual_fault",
            "predicted_fault",
            "count",
            alt.Tooltip("share_of_actual:Q", format=".0%"),
        ],
    )
    text = base.mark_text(fontSize=11).encode(
        text="count:Q",
        color=alt.condition("datum.share_of_actual > 0.5", alt.value("white"), alt.value("black")),
    )
    return heat + text


QUESTION_LABELS = {"powers_on": "Powers on", "liquid_exposure": "Liquid", "dropped": "Dropped"}


def answer_weights(model: DiagnosticsModel, matched: pl.DataFrame, n: int = 12) -> pl.DataFrame:
    """How much each quick answer multiplies each fault's odds: the hand-set start, the model in
    use, and what the outcomes logged so far would give at the next training; the ``n`` where
    retraining would change most first."""
    outcomes = answers.answered_outcomes(matched)
    now = answers.learned_ratios(outcomes, model.fault_codes)
    names = fault_names()
    sources = (answers.HAND_SET, model.answer_ratios, now)
    rows = []
    for question in answers.QUESTIONS:
        counts = outcomes.filter(pl.col(question).is_not_null())["actual_fault"].value_counts()
        of_fault = dict(counts.iter_rows())
        for answer in (True, False):
            cells = [ratios.get(question, {}).get(answer, {}) for ratios in sources]
            faults = set().union(*cells)
            for fault in faults:
                hand, in_use, learnt = (cell.get(fault, 0.0) for cell in cells)
                rows.append({
                    "Answer": f"{QUESTION_LABELS[question]}: {'yes' if answer else 'no'}",
                    "Fault": names.get(fault, fault),
                    "Hand-set": f"×{math.exp(hand):.2f}",
                    "In use": f"×{math.exp(in_use):.2f}",
                    "From outcomes so far": f"×{math.exp(learnt):.2f}",
                    "Outcomes": of_fault.get(fault, 0),
                    "change": abs(learnt - in_use),
                })  # fmt: skip
    frame = pl.DataFrame(rows)  # never empty: the hand-set ratios always have rows
    return frame.sort(["change", "Outcomes"], descending=True).head(n).drop("change")


def recent_predictions(matched: pl.DataFrame, n: int = 20) -> pl.DataFrame:
    names = fault_names()
    return (
        matched.sort("made_at", descending=True)
        .head(n)
        .select(
            pl.col("made_at").dt.strftime("%Y-%m-%d %H:%M").alias("When"),
            pl.col("device_category").alias("Category"),
            pl.col("device_model").alias("Model"),
            pl.col("symptoms").alias("Customer said"),
            pl.col("top_fault")
            .replace_strict(names, default=pl.col("top_fault"))
            .alias("Top prediction"),
            pl.col("actual_fault")
            .replace_strict(names, default=pl.col("actual_fault"))
            .alias("Actual"),
            pl.col("actual_source").alias("From"),
            pl.col("is_top1_correct").alias("Right"),
        )
    )
