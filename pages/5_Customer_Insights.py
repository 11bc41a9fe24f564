"""Customer insights for managers: satisfaction and its drivers, segments and cohorts, customers
at risk of not coming back, and one customer's full picture."""

from __future__ import annotations

import polars as pl
import streamlit as st

from ui import customers
from ui.warehouse import require_warehouse

st.set_page_config(page_title="Customer insights · RepairLens", page_icon="👥", layout="wide")
st.title("Customer insights")

warehouse = require_warehouse()
if customers.history(warehouse).is_empty():
    st.info(
        "The warehouse has no repairs yet: load history into the operational database, then "
        "run `repairlens etl`."
    )
    st.stop()

churn_v = customers.churn_version()
clv_v = customers.clv_version()
st.caption(
    f"History to {customers.as_of(warehouse):%d %b %Y}. Customers are people: duplicate "
    "registrations count once."
)

satisfaction, behaviour, risk, profile = st.tabs(
    ["Satisfaction", "Segments & cohorts", "At risk", "Customer 360"]
)

with satisfaction:
    left, right = st.columns(2)
    by = left.selectbox(
        "Split by",
        [None, *customers.BY_LABELS],
        key="ci_by",
        format_func=lambda value: "All stores" if value is None else customers.BY_LABELS[value],
    )
    measure = right.radio(
        "Measure",
        ["csat", "nps", "low_csat_share"],
        horizontal=True,
        key="ci_measure",
        format_func={"csat": "CSAT", "nps": "NPS", "low_csat_share": "Low scores"}.get,
    )
    st.altair_chart(
        customers.trend_chart(customers.trend(warehouse, by), measure, by), width="stretch"
    )

    st.subheader("What drives a low score (CSAT ≤ 3)")
    effects = customers.drivers(warehouse)
    if isinstance(effects, str):
        st.info(effects)
    else:
        st.caption(
            f"Logistic regression on {effects.answers:,} answered repairs ({effects.low_share:.0%} "
            "low). Bars: average change in the chance of a low score, in percentage points, with "
            "95 % intervals; odds ratios per unit in the table."
        )
        st.altair_chart(customers.driver_chart(effects.effects), width="stretch")
        st.dataframe(
            effects.effects.select(
                "meaning",
                "effect_pp",
                "effect_pp_low",
                "effect_pp_high",
                "odds_ratio",
                "odds_ratio_low",
                "odds_ratio_high",
                "p_value",
            ),
            hide_index=True,
            width="stretch",
        )

    themes, phrases = customers.themes(warehouse)
    left, right = st.columns(2)
    left.subheader("Complaint themes")
    if themes.is_empty():
        left.info("Too few low-score comments to find themes.")
    else:
        left.dataframe(themes.select("theme", "comments", "csat", "example"), hide_index=True)
    right.subheader("Phrases of unhappy customers")
    if phrases.is_empty():
        right.info("Too few comments to compare.")
    else:
        right.dataframe(phrases, hide_index=True)

    st.subheader("Detractors to call back")
    days = st.slider("Answered in the last … days", 7, 90, 30, key="ci_days")
    calls = customers.call_backs(warehouse, days)
    if calls.is_empty():
        st.success("No detractor without a later visit in this period.")
    else:
        st.dataframe(calls, hide_index=True, width="stretch")

with behaviour:
    st.subheader("RFM segments")
    st.dataframe(customers.segment_summary(warehouse), hide_index=True, width="stretch")
    left, right = st.columns(2)
    left.altair_chart(
        customers.mix_chart(customers.mix(warehouse, "acquisition_channel"), "acquisition channel"),
        width="stretch",
    )
    right.altair_chart(
        customers.mix_chart(
            customers.mix(warehouse, "device_category"), "device category of visits"
        ),
        width="stretch",
    )

    st.subheader("Cohort retention")
    split = st.radio(
        "Cohorts",
        [None, "acquisition_channel"],
        horizontal=True,
        key="ci_cohort_by",
        format_func=lambda value: "by quarter of first repair" if value is None else "by channel",
    )
    retention = customers.cohorts(warehouse, split)
    if retention.is_empty():
        st.info("No cohort has a full month of history after its first repair yet.")
    else:
        st.altair_chart(customers.cohort_chart(retention, split), width="stretch")

    st.subheader("First repair → next repair")
    st.dataframe(customers.patterns(warehouse), hide_index=True, width="stretch")

with risk:
    if churn_v is None:
        st.info("No churn model yet. Train one with\n\n```\nrepairlens train churn\n```")
    else:
        scores = customers.churn(churn_v)
        m = scores.metrics
        st.caption(
            f"Churn model v{churn_v}, scores as of {scores.as_of}. Hold-out at {m['test_cutoff']}: "
            f"ROC-AUC {m['roc_auc']:.3f} against {m['p_alive_roc_auc']:.3f} for BG/NBD P(alive) "
            f"and {m['bgnbd_roc_auc']:.3f} for its no-return probability; Brier {m['brier']:.3f}."
        )
        if clv_v is None:
            st.info("Value at risk needs lifetime values: run `repairlens train clv`.")
        at_risk = customers.risk_list(warehouse, churn_v, clv_v)
        st.dataframe(
            at_risk.select(
                "customer_id",
                "churn_probability",
                "value_at_risk_eur",
                "expected_value",
                "visits",
                "days_since_last",
                "reason_1",
                "reason_2",
                "action",
            ),
            hide_index=True,
            width="stretch",
            column_config=customers.RISK_COLUMNS,
        )

with profile:
    ids = customers.customer_ids(warehouse)
    chosen = st.selectbox("Customer (highest revenue first)", ids, key="ci_customer")
    if chosen is not None:
        left, middle, right = st.columns(3)
        if clv_v is None:
            left.info("Lifetime value: run `repairlens train clv`.")
        else:
            value = customers.lifetime_value(warehouse, clv_v).filter(
                pl.col("customer_id") == chosen
            )
            if value.height:
                row = value.row(0, named=True)
                left.metric("Expected value, next 12 months", f"€{row['expected_value']:,.0f}")
                middle.metric("Expected repairs, next 12 months", f"{row['expected_repairs']:.2f}")
                middle.metric("P(still a customer)", f"{row['p_alive']:.0%}")
        if churn_v is None:
            right.info("Churn risk: run `repairlens train churn`.")
        else:
            scored = customers.churn(churn_v).scores.filter(pl.col("customer_id") == chosen)
            if scored.height:
                row = scored.row(0, named=True)
                right.metric("Churn risk", f"{row['churn_probability']:.0%}")
                reasons = [row[f"reason_{k}"] for k in (1, 2, 3) if row[f"reason_{k}"]]
                right.caption("Why: " + ("; ".join(reasons) or "nothing stands out"))
                right.caption(f"Suggested: {row['action']}")
        st.subheader("Recommended next")
        st.dataframe(
            customers.recommendations(warehouse, chosen, churn_v),
            hide_index=True,
            width="stretch",
            column_config=customers.RECOMMENDATION_COLUMNS,
        )
        st.subheader("History")
        st.dataframe(
            customers.customer_repairs_of(warehouse, chosen), hide_index=True, width="stretch"
        )
