"""数据质量 Data quality: check results, failing records, trend, fix history, Data Docs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard import data
from dashboard.components import (
    error_sentence,
    page_header,
    stale_checks_notice,
    style,
    table,
)
from dashboard.i18n import current_language, t
from dashboard.masking import mask_failures
from dashboard.roles import current_actor, current_role
from pipelines.errors import PermissionDeniedError


def run_now() -> None:
    """Run every check as of the sidebar's date and store the run (the button's action)."""
    from data_checks.results import save_run
    from data_checks.runner import run_checks

    with st.spinner(t("data_quality.running")):
        run = run_checks(data.store(), st.session_state.as_of, actor=current_actor())
        save_run(data.store(), run, actor=current_actor())
    st.session_state.dq_message = t("data_quality.ran", run=run.run_id,
                                    seconds=f"{run.duration_seconds:.1f}")


def docs_folder() -> Path:
    return data.store().path.with_name(data.store().path.stem + "_data_docs")


def build_docs() -> None:
    from data_checks.results import save_run
    from data_checks.runner import run_checks

    with st.spinner(t("data_quality.building_docs")):
        run = run_checks(data.store(), st.session_state.as_of, docs_dir=docs_folder(),
                         actor=current_actor())
        save_run(data.store(), run, actor=current_actor())
    st.session_state.dq_message = t("data_quality.docs_built", path=run.docs_index)


def summary(run: dict | None, results: pd.DataFrame) -> str | None:
    """The per-check table; returns the check the user selected."""
    lang = current_language()
    buttons = st.container(horizontal=True)
    may_run = current_actor().may("run_checks")
    if may_run and buttons.button(t("data_quality.run_now"), type="primary",
                                  icon=":material/play_arrow:"):
        run_now()
        st.rerun()
    if may_run and buttons.button(t("data_quality.build_docs"),
                                  icon=":material/description:"):
        build_docs()
        st.rerun()
    if st.session_state.get("dq_message"):
        st.success(st.session_state.pop("dq_message"), icon=":material/check_circle:")
    if run is None:
        st.info(t("data_quality.no_run"))
        return None
    stale_checks_notice()
    st.caption(t("data_quality.run_caption", run=run["run_id"],
                 at=f"{run['started_at']:%Y-%m-%d %H:%M}",
                 as_of=run["as_of"], seconds=f"{run['duration_seconds']:.1f}",
                 failed=run["count_failed_checks"], checks=run["count_checks"]))
    frame = pd.DataFrame({
        "check_id": results["check_id"],
        "description": results[f"description_{lang}"],
        "checked": results["count_records_checked"],
        "failed": results["count_records_failed"],
        "status": results["is_passed"].map(lambda ok: "✅" if ok else "❌"),
    })
    labels = {c: t(f"data_quality.columns.{c}") for c in frame.columns}
    chart = px.bar(frame[frame["failed"] > 0], x="failed", y="check_id", orientation="h",
                   labels={"failed": labels["failed"], "check_id": labels["check_id"]},
                   color_discrete_sequence=["#d64545"])
    chart.update_layout(yaxis={"categoryorder": "total ascending"})
    picked = st.plotly_chart(style(chart, t("data_quality.chart_title"), height=380),
                             width="stretch", on_select="rerun", key="dq_chart")
    event = table(frame, "data_checks", labels=labels, key="dq_checks", selectable=True)
    if event is not None and event.selection.rows:
        return frame.iloc[event.selection.rows[0]]["check_id"]
    points = (picked or {}).get("selection", {}).get("points", []) if picked else []
    if points:
        return points[0].get("y")
    return None


def trend() -> None:
    history = data.check_history(data.version())
    if history.empty or history["run_id"].nunique() < 2:
        return
    totals = history.groupby(["run_id", "started_at"], as_index=False)[
        "count_records_failed"].sum()
    fig = px.line(totals, x="started_at", y="count_records_failed", markers=True,
                  labels={"started_at": t("data_quality.run_time"),
                          "count_records_failed": t("data_quality.columns.failed")})
    st.plotly_chart(style(fig, t("data_quality.trend_title")), width="stretch")


def failing_records(check_id: str | None) -> None:
    from data_checks.registry import BY_ID

    choices = list(BY_ID)
    index = choices.index(check_id) if check_id in choices else None
    chosen = st.selectbox(t("data_quality.pick_check"), choices, index=index,
                          placeholder=t("data_quality.all_checks"), key="dq_check")
    frame = data.check_failures(data.version(), chosen)
    st.subheader(t("data_quality.failing_title", n=len(frame)))
    if frame.empty:
        st.success(t("data_quality.no_failures"), icon=":material/check_circle:")
    else:
        shown = mask_failures(frame, current_role())
        table(shown, f"failures_{chosen or 'all'}", key="dq_failures",
              labels={c: t(f"data_quality.columns.{c}") for c in shown.columns})
    st.subheader(t("data_quality.fixes_title"))
    fixes = data.fix_history(data.version(), chosen)
    resolved = fixes[fixes["resolved_run"].notna()] if not fixes.empty else fixes
    if resolved.empty:
        st.caption(t("data_quality.no_fixes"))
        return
    columns = ["check_id", "record_key", "column_name", "offending_value", "first_seen_at",
               "resolved_at", "resolved_run", "resolved_by_batch"]
    table(mask_failures(resolved[columns], current_role()), "fix_history", key="dq_fixes",
          labels={c: t(f"data_quality.columns.{c}") for c in columns})


def docs_download() -> None:
    """The Data Docs as a zip built for the viewer when clicked (data_checks/docs_export.py:
    confidential values the role may not see are masked, the export is audited); a role
    limited to a team or its own handovers is told why it gets none."""
    from data_checks.docs_export import docs_zip_for, require_docs_export

    folder = docs_folder()
    index = folder / "index.html"
    if not index.exists():
        return
    actor = current_actor()
    try:
        require_docs_export(actor)
    except PermissionDeniedError as error:
        if actor.may("export"):  # refused for its scope: say why; without export, nothing
            st.caption(error_sentence(error))
        return
    store = data.store()
    st.caption(t("data_quality.docs_where", path=index))
    st.download_button(t("data_quality.docs_download"),
                       lambda: docs_zip_for(store, folder, actor),
                       file_name="data_docs.zip", mime="application/zip", on_click="ignore",
                       icon=":material/folder_zip:", key="dq_docs_zip")


def data_quality() -> None:
    page_header("data_quality")
    run, results = data.check_results(data.version())
    chosen = summary(run, results)
    trend()
    if run is not None:
        failing_records(chosen)
    docs_download()


data_quality()
