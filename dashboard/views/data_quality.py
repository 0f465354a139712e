"""数据质量 Data quality: check results, failing records, trend, fix history, Data Docs.

Quality's path from a failed check to the record: the checks (table ``dq_checks``, chart
``dq_chart``; either selects a check for ``dq_check``), the failing records with their client,
company, owner, team and handovers (selectable table ``dq_failures``), and for the selected
record (container ``dq_record``) the action that opens its handover's record
(``dq_open_handover``, with ``dq_open_handover_pick`` when a client has several) and its fix
history; any record's fix history by key (``dq_record_lookup``); every fix so far."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard import check_data, data
from dashboard.check_text import check_name
from dashboard.check_views import failures_table, history_table, open_handover_action
from dashboard.components import (
    PAGE_ROWS,
    error_sentence,
    page_header,
    pager,
    stale_checks_notice,
    style,
    table,
)
from dashboard.i18n import current_language, t
from dashboard.progress import bar as progress_bar
from dashboard.roles import current_actor
from dashboard.text import chart_text
from pipelines.errors import PermissionDeniedError


def run_now() -> None:
    """Run every check as of the sidebar's date and store the run (the button's action)."""
    from data_checks.results import save_run
    from data_checks.runner import run_checks

    with st.spinner(t("data_quality.running")), progress_bar() as progress:
        run = run_checks(
            data.store(), st.session_state.as_of, actor=current_actor(), progress=progress
        )
        save_run(data.store(), run, actor=current_actor())
    st.session_state.dq_message = t(
        "data_quality.ran", run=run.run_id, seconds=f"{run.duration_seconds:.1f}"
    )


def docs_folder() -> Path:
    return data.store().path.with_name(data.store().path.stem + "_data_docs")


def build_docs() -> None:
    from data_checks.results import save_run
    from data_checks.runner import run_checks

    with st.spinner(t("data_quality.building_docs")), progress_bar() as progress:
        run = run_checks(
            data.store(),
            st.session_state.as_of,
            docs_dir=docs_folder(),
            actor=current_actor(),
            progress=progress,
        )
        save_run(data.store(), run, actor=current_actor())
    st.session_state.dq_message = t("data_quality.docs_built", path=run.docs_index)


CHART_LABEL = 36  # characters of a check's name on the chart's axis (the hover has all)


def _axis_label(name: str) -> str:
    return name if len(name) <= CHART_LABEL else name[: CHART_LABEL - 1] + "…"


def summary(run: dict | None, results: pd.DataFrame) -> str | None:
    """The per-check table and chart, with check names in the language; returns the check
    the user selected (in the table or on the chart)."""
    lang = current_language()
    buttons = st.container(horizontal=True)
    may_run = current_actor().may("run_checks")
    if may_run and buttons.button(
        t("data_quality.run_now"), type="primary", icon=":material/play_arrow:", key="dq_run_now"
    ):
        run_now()
        st.rerun()
    if may_run and buttons.button(
        t("data_quality.build_docs"), icon=":material/description:", key="dq_build_docs"
    ):
        build_docs()
        st.rerun()
    if st.session_state.get("dq_message"):
        st.success(st.session_state.pop("dq_message"), icon=":material/check_circle:")
    if run is None:
        st.info(t("data_quality.no_run"))
        return None
    stale_checks_notice()
    st.caption(
        t(
            "data_quality.run_caption",
            run=run["run_id"],
            at=f"{run['started_at']:%Y-%m-%d %H:%M}",
            as_of=run["as_of"],
            seconds=f"{run['duration_seconds']:.1f}",
            failed=run["count_failed_checks"],
            checks=run["count_checks"],
        )
    )
    frame = pd.DataFrame(
        {
            "check": results["check_id"].map(lambda c: check_name(c, lang)),
            "checked": results["count_records_checked"],
            "failed": results["count_records_failed"],
            "status": results["is_passed"].map(lambda ok: "✅" if ok else "❌"),
            "check_id": results["check_id"],
        }
    )
    labels = {c: t(f"data_quality.columns.{c}") for c in frame.columns}
    failing = frame[frame["failed"] > 0]
    axis = {
        _axis_label(name): check_id
        for name, check_id in zip(failing["check"], failing["check_id"], strict=False)
    }
    shown = pd.DataFrame(
        {
            "label": [chart_text(a) for a in axis],
            "name": failing["check"].map(chart_text).tolist(),
            "failed": failing["failed"].tolist(),
        }
    )
    chart = px.bar(
        shown,
        x="failed",
        y="label",
        orientation="h",
        hover_data={"name": True, "label": False},
        labels={
            "failed": labels["failed"],
            "label": t("data_quality.chart_check"),
            "name": t("data_quality.chart_check"),
        },
        color_discrete_sequence=["#d64545"],
    )
    chart.update_layout(yaxis={"categoryorder": "total ascending", "title": None})
    picked = st.plotly_chart(
        style(chart, t("data_quality.chart_title"), height=380),
        width="stretch",
        on_select="rerun",
        key="dq_chart",
    )
    event = table(frame, "data_checks", labels=labels, key="dq_checks", selectable=True)
    if event is not None and event.selection.rows:
        return frame.iloc[event.selection.rows[0]]["check_id"]
    points = picked.get("selection", {}).get("points", []) if picked else []
    if points:
        index = points[0].get("point_index")
        if index is not None and 0 <= index < len(axis):
            return list(axis.values())[index]
    return None


def trend() -> None:
    history = data.check_history(data.version())
    if history.empty or history["run_id"].nunique() < 2:
        return
    totals = history.groupby(["run_id", "started_at"], as_index=False)["count_records_failed"].sum()
    fig = px.line(
        totals,
        x="started_at",
        y="count_records_failed",
        markers=True,
        labels={
            "started_at": t("data_quality.run_time"),
            "count_records_failed": t("data_quality.columns.failed"),
        },
    )
    fig.update_xaxes(
        tickformat="%-m月%-d日 %H:%M" if current_language() == "zh" else "%Y-%m-%d %H:%M"
    )
    st.plotly_chart(style(fig, t("data_quality.trend_title")), width="stretch")


def failing_records(check_id: str | None) -> None:
    """The failing records of a check (or all) with where each belongs; a selected record's
    handovers to open and its fix history."""
    from data_checks.registry import BY_ID

    lang = current_language()
    choices = list(BY_ID)
    index = choices.index(check_id) if check_id in choices else None
    chosen = st.selectbox(
        t("data_quality.pick_check"),
        choices,
        index=index,
        format_func=lambda c: check_name(c, lang),
        placeholder=t("data_quality.all_checks"),
        key="dq_check",
    )
    found = check_data.failures(data.version(), chosen)
    st.subheader(t("data_quality.failing_title", n=len(found)))
    if found.empty:
        st.success(t("data_quality.no_failures"), icon=":material/check_circle:")
        return
    st.caption(t("data_quality.failing_hint"))
    first = pager(len(found), "dq_failures")
    page = check_data.page_in_context(data.version(), chosen, first, PAGE_ROWS)
    event = failures_table(
        page,
        f"failures_{chosen or 'all'}",
        key="dq_failures",
        selectable=True,
        everything=check_data.all_in_context(data.version(), chosen),
    )
    rows = event.selection.rows if event is not None else []
    if rows and rows[0] < len(page):
        record_panel(page.iloc[rows[0]])


def record_panel(row: pd.Series) -> None:
    """One failing record: where it belongs, the action that opens its handover, and the
    fix history of the record."""
    lang = current_language()
    with st.container(border=True, key="dq_record"):
        st.markdown(
            "**"
            + t(
                "data_quality.record_title",
                record=row["record_key"],
                check=check_name(row["check_id"], lang),
            )
            + "**"
        )
        st.caption(
            t(
                "data_quality.record_where",
                **{
                    k: _or_dash(row.get(c))
                    for k, c in (
                        ("client", "client_id"),
                        ("company", "company_name"),
                        ("owner", "owner"),
                        ("team", "team"),
                    )
                },
            )
        )
        open_handover_action(list(row.get("handover_ids") or []), key="dq_open_handover")
        history = check_data.record_history(data.version(), ((row["suite"], row["record_key"]),))
        st.markdown("**" + t("data_quality.record_history_title", n=len(history)) + "**")
        if history.empty:
            st.caption(t("data_quality.no_record_history"))
        else:
            history_table(history, f"history_{row['record_key']}", key="dq_record_history")


def _or_dash(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    return str(value) if str(value).strip() else "—"


def record_lookup() -> None:
    """The fix history of any record, by its key (a record of the account's scope)."""
    from data_checks.results import RAW_TABLES

    with st.expander(t("data_quality.lookup_title")):
        key = st.text_input(t("data_quality.lookup_label"), key="dq_record_lookup").strip()
        if not key:
            return
        history = check_data.record_history(
            data.version(), tuple((suite, key) for suite in RAW_TABLES)
        )
        if history.empty:
            st.caption(t("data_quality.lookup_none"))
        else:
            history_table(history, f"history_{key}", key="dq_lookup_history")


def fixes() -> None:
    """Every failure resolved so far, newest first."""
    st.subheader(t("data_quality.fixes_title"))
    history = data.fix_history(data.version(), None)
    resolved = history[history["resolved_run"].notna()] if not history.empty else history
    if resolved.empty:
        st.caption(t("data_quality.no_fixes"))
        return
    files = data.batches(data.version())
    names = (
        dict(zip(files["batch_id"], files["file_name"], strict=False)) if not files.empty else {}
    )
    resolved = resolved.assign(
        runs=[[] for _ in range(len(resolved))],
        resolved_by_file=resolved["resolved_by_batch"].map(
            lambda b: names.get(b) if pd.notna(b) else None
        ),
    )
    history_table(resolved, "fix_history", key="dq_fixes")


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
    st.download_button(
        t("data_quality.docs_download"),
        lambda: docs_zip_for(store, folder, actor),
        file_name="data_docs.zip",
        mime="application/zip",
        on_click="ignore",
        icon=":material/folder_zip:",
        key="dq_docs_zip",
    )


def data_quality() -> None:
    page_header("data_quality")
    run, results = data.check_results(data.version())
    chosen = summary(run, results)
    trend()
    if run is not None:
        failing_records(chosen)
        record_lookup()
        fixes()
    docs_download()


data_quality()
