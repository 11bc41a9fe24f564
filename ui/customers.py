"""Customer insights for the page: cached loaders keyed by warehouse and model versions, and the
Altair charts.

Everything computed from the warehouse is cached by its version; churn scores by the production
churn version (they were computed when it was trained); lifetime value by both the warehouse and
the production CLV version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import altair as alt
import polars as pl
import streamlit as st

from core.settings import get_settings
from models import registry
from models.behaviour import cohort_retention, repeat_patterns, rfm_segments, segment_mix
from models.behaviour import segment_summary as _segment_summary
from models.churn.explain import at_risk
from models.churn.train import load_scores
from models.clv.history import customer_repairs, last_day
from models.clv.train import load_params, score_customers
from models.recommend import fit_next_repair, recommend
from models.satisfaction import (
    DriverEffects,
    comment_themes,
    detractors,
    key_phrases,
    low_score_drivers,
    satisfaction_trend,
)
from models.satisfaction.drivers import NotEnoughFeedbackError
from ui.warehouse import cursor

BY_LABELS = {"store_id": "Store", "technician_id": "Technician", "repair_type": "Repair type"}
HORIZON_WEEKS = 52
RECOMMENDATION_COLUMNS = {
    "customer_id": None,
    "probability": st.column_config.NumberColumn("chance", format="percent"),
    "expected_value_eur": st.column_config.NumberColumn("expected value", format="€%.2f"),
}
RISK_COLUMNS = {
    "customer_id": st.column_config.NumberColumn("customer", format="%d"),
    "churn_probability": st.column_config.ProgressColumn(
        "churn risk", format="percent", min_value=0.0, max_value=1.0
    ),
    "value_at_risk_eur": st.column_config.NumberColumn("value at risk", format="€%.0f"),
    "expected_value": st.column_config.NumberColumn("12-month value", format="€%.0f"),
    "days_since_last": st.column_config.NumberColumn("days since last visit", format="%d"),
    "reason_1": "main reason",
    "reason_2": "second reason",
    "action": "suggested action",
}


# A resource, not data: st.cache_data would unpickle a copy of every repair on each call, and
# polars frames are immutable, so sharing one is safe.
@st.cache_resource(ttl=600, max_entries=2, show_spinner="Reading customer histories…")
def history(version: str) -> pl.DataFrame:
    """Every repair with its customer's experience (see ``models.clv.history``)."""
    return customer_repairs(cursor(version))


@st.cache_data(ttl=600, max_entries=2, show_spinner=False)
def names(version: str) -> dict[str, dict[int, str]]:
    """Display names of stores and technicians by id."""
    db = cursor(version)
    return {
        "store_id": dict(db.execute("SELECT store_id, store_name FROM dim_store").fetchall()),
        "technician_id": dict(
            db.execute("SELECT technician_id, technician_name FROM dim_technician").fetchall()
        ),
    }


def as_of(version: str) -> date:
    return last_day(history(version))


def with_names(frame: pl.DataFrame, version: str, columns: tuple[str, ...]) -> pl.DataFrame:
    """Replace store and technician ids by their names for display."""
    lookup = names(version)
    return frame.with_columns(
        pl.col(c).replace_strict(
            lookup[c], default=pl.col(c).cast(pl.String), return_dtype=pl.String
        )
        for c in columns
        if c in frame.columns
    )


# ---- satisfaction -------------------------------------------------------------------------


@st.cache_data(ttl=600, max_entries=8, show_spinner=False)
def trend(version: str, by: str | None) -> pl.DataFrame:
    frame = satisfaction_trend(history(version), by)  # type: ignore[arg-type]
    return frame if by is None else with_names(frame, version, (by,))


@st.cache_data(ttl=600, max_entries=2, show_spinner="Fitting the low-score driver model…")
def drivers(version: str) -> DriverEffects | str:
    """The driver effects, or the reason they cannot be measured (too little feedback)."""
    try:
        return low_score_drivers(history(version))
    except NotEnoughFeedbackError as error:
        return str(error)


@st.cache_data(ttl=600, max_entries=2, show_spinner=False)
def themes(version: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    repairs = history(version)
    return comment_themes(repairs), key_phrases(repairs)


@st.cache_data(ttl=600, max_entries=4, show_spinner=False)
def call_backs(version: str, days: int) -> pl.DataFrame:
    repairs = history(version)
    return with_names(
        detractors(repairs, last_day(repairs), days), version, ("store_id", "technician_id")
    )


def trend_chart(frame: pl.DataFrame, measure: str, by: str | None) -> alt.Chart:
    title = {"csat": "CSAT (1–5)", "nps": "NPS", "low_csat_share": "Share of CSAT ≤ 3"}[measure]
    encoding = {
        "x": alt.X("period:T", title=None),
        "y": alt.Y(f"{measure}:Q", title=title, scale=alt.Scale(zero=False)),
        "tooltip": ["period:T", f"{measure}:Q", "answers:Q"],
    }
    if by is not None:
        encoding["color"] = alt.Color(f"{by}:N", title=BY_LABELS[by])
        encoding["tooltip"] = [*encoding["tooltip"], f"{by}:N"]
    return (
        alt.Chart(frame.to_pandas()).mark_line(point=True).encode(**encoding).properties(height=300)
    )


def driver_chart(effects: pl.DataFrame) -> alt.LayerChart:
    """Average marginal effect on P(low CSAT) in percentage points, with 95 % intervals."""
    data = effects.to_pandas()
    base = alt.Chart(data).encode(
        y=alt.Y("meaning:N", sort="-x", title=None, axis=alt.Axis(labelLimit=320))
    )
    bars = base.mark_bar(color="#e8590c").encode(
        x=alt.X("effect_pp:Q", title="change in chance of CSAT ≤ 3 (percentage points)"),
        tooltip=[
            "meaning",
            alt.Tooltip("effect_pp:Q", format=".1f"),
            alt.Tooltip("odds_ratio:Q", format=".2f"),
            alt.Tooltip("p_value:Q", format=".2g"),
        ],
    )
    whiskers = base.mark_rule().encode(x="effect_pp_low:Q", x2="effect_pp_high:Q")
    return (bars + whiskers).properties(height=220)


# ---- behaviour ----------------------------------------------------------------------------


@st.cache_data(ttl=600, max_entries=2, show_spinner="Scoring RFM segments…")
def segments(version: str) -> pl.DataFrame:
    repairs = history(version)
    return rfm_segments(repairs, last_day(repairs))


def segment_summary(version: str) -> pl.DataFrame:
    return _segment_summary(segments(version))


@st.cache_data(ttl=600, max_entries=4, show_spinner=False)
def mix(version: str, column: str) -> pl.DataFrame:
    return segment_mix(segments(version), history(version), column)


@st.cache_data(ttl=600, max_entries=4, show_spinner=False)
def cohorts(version: str, by: str | None) -> pl.DataFrame:
    repairs = history(version)
    return cohort_retention(repairs, last_day(repairs), by)


@st.cache_data(ttl=600, max_entries=2, show_spinner=False)
def patterns(version: str) -> pl.DataFrame:
    return repeat_patterns(history(version))


def mix_chart(frame: pl.DataFrame, title: str) -> alt.Chart:
    return (
        alt.Chart(frame.to_pandas())
        .mark_bar()
        .encode(
            y=alt.Y("segment:N", title=None, axis=alt.Axis(labelLimit=200)),
            x=alt.X("share:Q", stack="normalize", axis=alt.Axis(format="%"), title=title),
            color=alt.Color("value:N", title=None),
            tooltip=["segment", "value", "count", alt.Tooltip("share:Q", format=".0%")],
        )
        .properties(height=220)
    )


def cohort_chart(frame: pl.DataFrame, by: str | None) -> alt.Chart:
    """Retention curves: by channel (customers pooled over months) or by quarterly cohort."""
    if by is None:
        grouped = frame.with_columns(
            pl.col("cohort_month").dt.truncate("1q").dt.strftime("%Y Q%q").alias("cohort")
        )
        colour = "cohort"
    else:
        grouped = frame.rename({by: "cohort"})
        colour = "cohort"
    curves = (
        grouped.group_by("cohort", "months")
        .agg(pl.col("customers").sum(), pl.col("returned").sum())
        .with_columns((pl.col("returned") / pl.col("customers")).alias("retention"))
        .sort("cohort", "months")
    )
    return (
        alt.Chart(curves.to_pandas())
        .mark_line()
        .encode(
            x=alt.X("months:Q", title="months after the first repair"),
            y=alt.Y("retention:Q", axis=alt.Axis(format="%"), title="came back at least once"),
            color=alt.Color(f"{colour}:N", title="acquired via" if by else "first repair in"),
            tooltip=["cohort", "months", alt.Tooltip("retention:Q", format=".1%"), "customers"],
        )
        .properties(height=320)
    )


# ---- churn, value, recommendations --------------------------------------------------------


@dataclass(frozen=True)
class ChurnScores:
    version: int
    as_of: str
    metrics: dict
    scores: pl.DataFrame


def churn_version() -> int | None:
    return registry.production_version("churn", settings=get_settings())


def clv_version() -> int | None:
    return registry.production_version("clv", settings=get_settings())


@st.cache_data(ttl=600, max_entries=2, show_spinner="Loading churn scores…")
def churn(version: int) -> ChurnScores:
    entry, scored_as_of, scores = load_scores(get_settings())
    return ChurnScores(entry.version, scored_as_of, entry.metrics, scores)


@st.cache_data(ttl=600, max_entries=4, show_spinner="Scoring lifetime value…")
def lifetime_value(
    warehouse: str, version: int, horizon_weeks: int = HORIZON_WEEKS
) -> pl.DataFrame:
    _, bgnbd, gamma_gamma = load_params(get_settings())
    repairs = history(warehouse)
    return score_customers(bgnbd, gamma_gamma, repairs, last_day(repairs), horizon_weeks)


def risk_list(warehouse: str, churn_v: int, clv_v: int | None, top: int = 100) -> pl.DataFrame:
    value = None if clv_v is None else lifetime_value(warehouse, clv_v)
    return at_risk(churn(churn_v).scores, value, top)


@st.cache_data(ttl=600, max_entries=2, show_spinner=False)
def next_repair_model(version: str):
    return fit_next_repair(history(version))


def recommendations(warehouse: str, customer_id: int, churn_v: int | None) -> pl.DataFrame:
    repairs = history(warehouse).filter(pl.col("customer_id") == customer_id)
    p_return = None
    if churn_v is not None:
        scores = churn(churn_v).scores.filter(pl.col("customer_id") == customer_id)
        p_return = scores.select("customer_id", (1 - pl.col("churn_probability")).alias("p_return"))
    return recommend(next_repair_model(warehouse), repairs, as_of(warehouse), p_return)


def customer_repairs_of(warehouse: str, customer_id: int) -> pl.DataFrame:
    """The customer's repairs, newest first, in the columns a manager reads."""
    frame = history(warehouse).filter(pl.col("customer_id") == customer_id)
    return with_names(
        frame.sort("received_at", descending=True).select(
            pl.col("received_date").cast(pl.String),
            "store_id",
            "technician_id",
            "device_brand",
            "device_model",
            "repair_type",
            "repair_status",
            "revenue_eur",
            pl.col("turnaround_days").round(1),
            "price_over_quote",
            "is_rework",
            "csat",
            "nps",
            "comment",
        ),
        warehouse,
        ("store_id", "technician_id"),
    )


def customer_ids(warehouse: str) -> list[int]:
    return segments(warehouse).sort("revenue_eur", descending=True)["customer_id"].to_list()
