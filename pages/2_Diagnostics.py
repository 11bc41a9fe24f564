"""Diagnostics, for technicians: the customer's words and the device → ranked, explained, priced
faults with bench checks, and how well the answers have held up once repairs were done."""

from __future__ import annotations

import streamlit as st

from models.diagnostics import feedback
from models.diagnostics.diagnose import DiagnoseInputError, bench_checks
from models.diagnostics.features import CATEGORIES, Case
from ui import diagnostics as dx
from ui.warehouse import current_version

st.set_page_config(page_title="Diagnostics · RepairLens", page_icon="🩺", layout="wide")
st.title("Diagnostics")
st.caption(
    "For technicians: what the customer says and the device → the likely faults, what to check "
    "first, parts, price and time, and why the model thinks so."
)

version = current_version()
names = dx.fault_names()
diagnose_tab, loop_tab = st.tabs(["Diagnose", "How the answers held up"])


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def show_result(result: dx.Result) -> None:
    answer, case = result.answer, result.case
    device = case.model or "model not given"
    st.subheader(f"Likely faults · {dx.category_label(case.category)}, {device}")
    if answer.bench_diagnosis_recommended:
        st.warning(_sentence(answer.note))
    else:
        st.success(_sentence(answer.note))
    if result.log_error:
        st.warning(f"This answer could not be logged: {result.log_error}")
    for rank, candidate in enumerate(answer.candidates, start=1):
        label = f"{rank}. {names[candidate.fault]} — {dx.percent(candidate.probability)}"
        with st.expander(label, expanded=rank == 1):
            price, minutes, repair = st.columns(3)
            price.metric(
                "Estimated price",
                f"€{candidate.price_low:,.0f}–{candidate.price_high:,.0f}"
                if candidate.price_low is not None
                else "on request",
                help=f"From {candidate.price_source}.",
            )
            minutes.metric(
                "Bench time",
                f"{candidate.minutes:.0f} min" if candidate.minutes is not None else "—",
            )
            repair.markdown(f"**Repair**  \n{candidate.repair_type.replace('_', ' ')}")
            checks, parts = st.columns(2)
            checks.markdown("**Check first**")
            checks.markdown(
                "\n".join(f"{n}. {c}" for n, c in enumerate(bench_checks(candidate.fault), 1))
            )
            parts.markdown("**Parts**")
            if not candidate.parts:
                parts.markdown("No part needed, or none known for this model.")
            for part in candidate.parts:
                if result.store is None:
                    where = "pick a store to see its stock"
                elif part.sku in candidate.stock and candidate.stock[part.sku] > 0:
                    where = f"**{candidate.stock[part.sku]} in stock** at {result.store}"
                else:
                    where = f"**none in stock** at {result.store}"
                parts.markdown(
                    f"`{part.sku}` {part.name} — {where}; "
                    f"supplier lead time {part.lead_time_days} days"
                )
            explanation = result.explanations.get(candidate.fault)
            if explanation is not None:
                st.markdown(
                    f"**Why {names[candidate.fault]} rather than {names[explanation.versus]}**"
                )
                st.altair_chart(dx.explanation_chart(explanation), width="stretch")

    st.subheader("Your verdict")
    if result.prediction_id is None:
        st.info("This answer was not logged, so a verdict cannot be recorded for it.")
    else:
        technician = st.text_input("Technician", key="dx_technician", placeholder="your name")
        confirm, correct = st.columns(2)
        top = answer.candidates[0].fault
        if confirm.button(f"Confirm: {names[top]}", key="dx_confirm", type="primary"):
            st.session_state.dx_verdict = (
                top,
                dx.record_outcome(result.prediction_id, top, technician),
            )
        actual = correct.selectbox(
            "Or correct it — the fault is",
            dx.faults_for(case.category),
            format_func=lambda code: names[code],
            key="dx_actual",
        )
        note = correct.text_input("Note (optional)", key="dx_note")
        if correct.button("Record correction", key="dx_correct"):
            st.session_state.dx_verdict = (
                actual,
                dx.record_outcome(result.prediction_id, actual, technician, note),
            )
        verdict = st.session_state.get("dx_verdict")
        if verdict is not None:
            fault, error = verdict
            if error:
                st.error(_sentence(error))
            else:
                st.success(f"Recorded: {names[fault]}. Thank you, this is how the model learns.")

    st.subheader("Similar past repairs")
    if version is None:
        st.info("No warehouse yet: past repairs appear here after `repairlens etl`.")
    else:
        similar = dx.similar_repairs(version, case)
        if similar.is_empty():
            st.info("No past repair of this category reads like this description.")
        else:
            st.dataframe(similar, hide_index=True)


with diagnose_tab:
    loaded, problem = dx.load_model()
    if loaded is None:
        st.info(
            f"{_sentence(problem)}\n\nThe model learns from completed repairs in the warehouse; "
            "train it once the warehouse has some (`repairlens demo --no-serve` builds everything "
            "on demo data)."
        )
    else:
        device_column, store_column = st.columns(2)
        category = device_column.selectbox(
            "Device category", CATEGORIES, format_func=dx.category_label, key="dx_category"
        )
        models = dx.catalogue(category)
        device = device_column.selectbox(
            "Device model",
            list(models),
            index=None,
            format_func=lambda m: f"{models[m]} {m}" if m in models else m,
            accept_new_options=True,
            placeholder="Search the catalogue, or type a model that is not in it",
            key=f"dx_device_{category}",
        )
        store = None
        if version is None:
            store_column.info(
                "No warehouse yet: parts stock and similar past repairs appear after "
                "`repairlens etl`."
            )
        else:
            store_names = dx.stores(version)
            store = store_column.selectbox(
                "Store (for parts stock)",
                [None, *store_names],
                format_func=lambda c: "—" if c is None else f"{c} · {store_names[c]}",
                key="dx_store",
            )
        reference_text = store_column.text_input(
            "Repair number or booking reference (optional)",
            key="dx_reference",
            placeholder="e.g. 10482 or RL-BKFLS3H",
            help="Links this answer to the repair, so it is scored once the repair is done.",
        )
        symptoms = st.text_area(
            "What the customer says",
            key="dx_symptoms",
            max_chars=dx.MAX_SYMPTOMS_CHARS,
            placeholder="e.g. dropped it yesterday, screen cracked and touch dead at the top",
        )
        answers = {}
        for column, (field, question) in zip(
            st.columns(len(dx.QUICK_QUESTIONS)), dx.QUICK_QUESTIONS.items(), strict=True
        ):
            answers[field] = dx.quick_answer(
                column.radio(question, dx.QUICK_CHOICES, horizontal=True, key=f"dx_{field}")
            )
        if st.button("Diagnose", type="primary", key="dx_run"):
            st.session_state.dx_result, st.session_state.dx_verdict = None, None
            problem = dx.symptoms_problem(symptoms)
            if problem:
                st.error(problem)
            else:
                case = Case(
                    category=category,
                    symptoms=symptoms,
                    model=device or None,
                    brand=dx.brand_of(device, category),
                    **answers,
                )
                try:
                    stock = dx.stock(version, store) if version and store else None
                    st.session_state.dx_result = dx.diagnose(
                        loaded, case, stock, store, reference_text
                    )
                except DiagnoseInputError as error:
                    st.error(_sentence(str(error)))
        result = st.session_state.get("dx_result")
        if result is not None:
            show_result(result)

with loop_tab:
    matched, logged, problem = dx.loop(version)
    if problem:
        st.error(_sentence(problem))
    elif logged == 0:
        st.info(
            "No predictions logged yet. Every answer given on this page or by the booking API is "
            "logged; its accuracy shows here once the repair is done or a technician confirms it."
        )
    elif matched.is_empty():
        st.info(
            f"{logged:,} predictions logged, none with a known outcome yet: outcomes come from "
            "completed repairs (after the next `repairlens etl`) and technicians' verdicts."
        )
    else:
        summary = feedback.summarise(matched, logged)
        cells = st.columns(5)
        cells[0].metric("Predictions logged", f"{summary.logged:,}")
        cells[1].metric("With a known outcome", f"{summary.matched:,}")
        cells[2].metric("Top-1 accuracy", f"{summary.top1_accuracy:.0%}")
        cells[3].metric("Top-3 accuracy", f"{summary.top3_accuracy:.0%}")
        cells[4].metric(
            "Top-1 when confident",
            "—"
            if summary.accepted_top1_accuracy is None
            else f"{summary.accepted_top1_accuracy:.0%}",
            help=f"Answers without a bench recommendation ({1 - summary.bench_share:.0%}).",
        )
        period = st.radio("Accuracy per", list(dx.PERIODS), horizontal=True, key="dx_period")
        st.altair_chart(
            dx.accuracy_chart(feedback.accuracy_over_time(matched, dx.PERIODS[period])),
            width="stretch",
        )
        by_label = st.radio(
            "Accuracy by", ["Device category", "Device model"], horizontal=True, key="dx_by"
        )
        column = "device_category" if by_label == "Device category" else "device_model"
        st.altair_chart(
            dx.accuracy_by_chart(feedback.accuracy_by(matched, column).head(20), column),
            width="stretch",
        )
        st.markdown("**Confusion matrix** (rows: the actual fault; cells: the top prediction)")
        st.altair_chart(dx.confusion_chart(feedback.confusion_matrix(matched)), width="stretch")
        st.markdown("**Latest predictions with an outcome**")
        st.dataframe(dx.recent_predictions(matched), hide_index=True)
        loaded, _ = dx.load_model()
        if loaded is not None:
            st.markdown(
                "**What the quick answers are worth** (how much an answer multiplies a fault's "
                f"odds: hand-set, in model v{loaded.version}, and from the answered outcomes so "
                "far, which the next training uses)"
            )
            st.dataframe(dx.answer_weights(loaded.model, matched), hide_index=True)
