"""Model Lab (analysts): versions and metrics, background training, comparison against
production, promotion and rollback with an audit trail, and drift monitoring, per model kind."""

from __future__ import annotations

import streamlit as st

from models.errors import ModelInputError
from models.jobs import JobError
from models.registry import RegistryError
from ui import model_lab as lab

REFRESH_S = 2

st.set_page_config(page_title="Model Lab · RepairLens", page_icon="🧪", layout="wide")
st.title("Model Lab")
st.caption(
    "For analysts: train new versions in the background, compare them with production on the "
    "same hold-out, promote or roll back with a reason, and watch for drift."
)

families = lab.families()
if not families:
    st.info("No model families are installed.")
    st.stop()

user = st.text_input(
    "Your name (recorded with every job, promotion and rollback)",
    placeholder="needed to train, promote or roll back",
    key="lab_user",
)
kind = st.selectbox(
    "Model kind",
    list(families),
    format_func=lambda k: f"{families[k].title} ({k})",
    key="lab_kind",
)
family = families[kind]
if flash := st.session_state.pop("lab_flash", None):
    st.success(flash)

# ---- versions -----------------------------------------------------------------------------------
st.header("Versions")
versions = lab.versions_frame(kind)
if versions.is_empty():
    st.info(f"No {kind} model has been trained yet: start a training job below.")
else:
    summary = lab.production_summary(family)
    if summary:
        st.markdown(f"**In production:** {summary}")
    st.dataframe(versions, hide_index=True, key="lab_versions")


# ---- training -----------------------------------------------------------------------------------
st.header("Train a new version")
with st.form("lab_train"):
    left, right = st.columns(2)
    start = left.date_input(
        "Training data from (empty: the whole history)", value=None, key="lab_start"
    )
    end = right.date_input(
        "Training data until (empty: the latest repairs)", value=None, key="lab_end"
    )
    values = {}
    fields = lab.parameter_fields(family)
    for column, field in zip(st.columns(max(len(fields), 1)), fields, strict=False):
        label, key = field.name.replace("_", " "), f"lab_{kind}_{field.name}"
        if field.widget == "choice":
            index = field.choices.index(field.default) if field.default in field.choices else 0
            values[field.name] = column.selectbox(label, field.choices, index=index, key=key)
        elif field.widget == "bool":
            values[field.name] = column.checkbox(label, value=field.default, key=key)
        elif field.widget == "int":
            values[field.name] = column.number_input(label, value=field.default, step=1, key=key)
        elif field.widget == "float":
            values[field.name] = column.number_input(
                label, value=field.default, format="%g", key=key
            )
        else:
            values[field.name] = column.text_input(label, value=str(field.default), key=key)
    promote_when_done = st.checkbox(
        "Promote to production when the job succeeds", key="lab_promote_done"
    )
    submitted = st.form_submit_button("Start training", type="primary")
if submitted:
    try:
        job = lab.start_training(kind, user, start, end, values, promote_when_done)
        st.success(f"Started job {job.job_id}: its progress is shown below.")
    except (ModelInputError, JobError) as error:
        st.error(str(error))


@st.fragment(run_every=REFRESH_S)
def job_panel() -> None:
    """Live progress of the running job (refreshes alone), and the latest jobs."""
    recent = lab.latest_jobs(kind)
    running = next((job for job in recent if job.is_running), None)
    seen = st.session_state.setdefault("lab_running", set())
    if running is None:
        if seen:  # a job just finished: refresh the versions table too
            seen.clear()
            st.rerun(scope="app")
    else:
        seen.add(running.job_id)
        with st.container(border=True):
            st.markdown(
                f"**Job {running.job_id} running** for "
                f"{running.elapsed().total_seconds():.0f} s (started by {running.started_by}): "
                f"{running.message or 'starting…'}"
            )
            st.code(
                "\n".join(lab.job_log(running.job_id)) or "waiting for the first line…",
                language=None,
            )
            if st.button("Cancel this job", key=f"lab_cancel_{running.job_id}"):
                try:
                    lab.cancel(running.job_id, user)
                    st.warning(f"Job {running.job_id} cancelled.")
                    recent = lab.latest_jobs(kind)  # the table below shows it cancelled
                except JobError as error:
                    st.error(str(error))
    table = lab.jobs_frame(recent)
    if not table.is_empty():
        st.caption("Latest jobs")
        st.dataframe(table, hide_index=True)
        latest = table.row(0, named=True)
        if latest["state"] == "failed":
            st.error(f"The latest job failed: {latest['error']} (production is unchanged)")


job_panel()

# ---- comparison ---------------------------------------------------------------------------------
st.header("Compare a candidate with production")
production = lab.production_version(kind)
others = lab.candidates(kind)
if production is None or not others:
    st.info("A comparison needs a production version and at least one other version.")
else:
    candidate = st.selectbox("Candidate", others, format_func=lambda v: f"v{v}", key="lab_cand")
    if st.button(f"Compare v{candidate} with production v{production}", key="lab_compare"):
        st.session_state["lab_compared"] = (kind, candidate, production)
    if st.session_state.get("lab_compared") == (kind, candidate, production):
        try:
            result = lab.comparison(lab.current_warehouse(), kind, candidate, production)
        except (ModelInputError, RegistryError) as error:
            st.error(str(error))
        else:
            st.caption(f"Hold-out: {result.holdout}")
            for note in result.notes:
                st.info(note)
            st.dataframe(lab.metric_deltas(result), hide_index=True, key="lab_metrics")
            if result.calibration is not None:
                st.subheader("Calibration")
                st.altair_chart(lab.calibration_chart(result.calibration))
            if result.confusion is not None:
                st.subheader("Confusion matrix (top-1, most frequent faults)")
                st.altair_chart(lab.confusion_chart(result.confusion))

# ---- promotion and rollback ---------------------------------------------------------------------
st.header("Promote or roll back")
pending = st.session_state.get("lab_pending")
reason = st.text_input("Reason (recorded in the audit trail)", key="lab_reason")
left, right = st.columns(2)
if others:
    chosen = left.selectbox(
        "Version to promote", others, format_func=lambda v: f"v{v}", key="lab_promote_version"
    )
    if left.button(f"Promote v{chosen}…", key="lab_promote"):
        st.session_state["lab_pending"] = pending = ("promote", kind, chosen)
target = lab.rollback_target(kind)
if target is not None and right.button(
    f"Roll back v{production} to v{target}…", key="lab_rollback"
):
    st.session_state["lab_pending"] = pending = ("rollback", kind, target)

if pending and pending[1] == kind:
    action, _, version = pending
    what = (
        f"promote {kind} v{version} to production"
        + (f", archiving v{production}" if production else "")
        if action == "promote"
        else f"roll {kind} back from v{production} to v{version}"
    )
    st.warning(f"Please confirm: {what}. Reason: {reason or '(none given)'}")
    confirm, cancel = st.columns(2)
    if confirm.button("Confirm", type="primary", key="lab_confirm"):
        try:
            if action == "promote":
                done = lab.promote(kind, version, user, reason)
            else:
                done = lab.rollback(kind, user, reason)
        except RegistryError as error:
            st.error(str(error))
        else:
            st.session_state.pop("lab_pending", None)
            st.session_state["lab_flash"] = f"{kind} v{done.version} is now in production."
            st.rerun()
    if cancel.button("Cancel", key="lab_cancel_action"):
        st.session_state.pop("lab_pending", None)
        st.rerun()

st.subheader("Audit trail")
audit = lab.audit_frame(kind)
if audit.is_empty():
    st.caption("Nothing recorded yet.")
else:
    st.dataframe(audit, hide_index=True, key="lab_audit")

# ---- monitoring ---------------------------------------------------------------------------------
st.header("Monitoring")
warehouse = lab.current_warehouse()
if warehouse is None:
    st.info("No warehouse has been published yet: run `repairlens etl`.")
else:
    try:
        report = lab.monitoring(warehouse, kind, lab.production_version(kind))
    except (ModelInputError, RegistryError) as error:
        st.error(str(error))
    else:
        for note in report.notes:
            st.info(note)
        if report.checks:
            if report.retrain_recommended:
                st.warning("Retrain recommended: " + "; ".join(report.reasons))
            else:
                st.success("No drift beyond the thresholds.")
            st.caption(
                f"Training window {report.reference[0]} … {report.reference[1]} against recent "
                f"repairs {report.recent[0]} … {report.recent[1]}"
            )
            st.dataframe(lab.checks_frame(report), hide_index=True, key="lab_checks")
