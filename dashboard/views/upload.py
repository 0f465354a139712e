"""数据上传 Upload: choose the kind, drop a file, check what was detected and what is wrong,
then confirm; the upload history with rollback. The same import code as the command line.

Streamlit keeps the uploaded bytes in memory across reruns; each run that reads them writes
them into a private folder (0700, beside the database: pipelines/private_files.py) that is
deleted when the run ends."""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.components import error_sentence, page_header, show_error, table
from dashboard.i18n import current_language, t
from dashboard.masking import mask_failures
from dashboard.roles import current_actor, current_role
from dashboard.text import plain
from pipelines.errors import HandoverError
from pipelines.feedback.ingest import SOURCES
from pipelines.private_files import private_tempdir, write_private
from pipelines.templates import STORED

KINDS = tuple(STORED)  # clients, handovers, events, feedback
UNMAPPED = "—"


def problems_table(problems) -> None:
    frame = pd.DataFrame([{"row": p.row, "column": p.column, "value": p.value, "why": p.why}
                          for p in problems])
    table(frame, "rejected_rows", key="upload_problems",
          labels={c: t(f"upload.problem.{c}") for c in frame.columns})


def tabular(kind: str, path: Path, name: str) -> dict | None:
    from pipelines.headers import map_header, score
    from pipelines.ingest import ingest_file
    from pipelines.readers import read_grid
    from pipelines.templates import template

    tpl = template(kind)
    grid = read_grid(path, functools.partial(score, tpl), display_name=name)
    header = map_header(tpl, grid.header, name, grid.header_row)
    st.markdown(t("upload.detected", format=grid.format, row=grid.header_row))
    mapping = pd.DataFrame([{"field": f"{c.zh} ({c.name})",
                             "column": header.headers.get(c.name, UNMAPPED)}
                            for c in tpl.columns])
    left, right = st.columns([2, 3])
    with left:
        st.markdown(f"**{t('upload.mapping')}**")
        st.dataframe(mapping.rename(columns={"field": t("upload.field"),
                                             "column": t("upload.column")}),
                     hide_index=True, width="stretch")
        if header.extras:
            st.caption(t("upload.extras", columns="、".join(header.extras.values())))
    with right:
        st.markdown(f"**{t('upload.preview')}**")
        first = next(grid.chunks).head(20)
        first.columns = [grid.header[i] if i < len(grid.header) else str(i)
                         for i in first.columns]
        st.dataframe(first, width="stretch")
    report = ingest_file(data.store(), kind, path, display_name=name, dry_run=True,
                         actor=current_actor())
    return {"report": report, "options": {}}


def survey(path: Path, name: str) -> dict | None:
    from pipelines.feedback.fields import DIMENSIONS, FIELD_LABELS, MAPPABLE
    from pipelines.feedback.ingest import ingest_feedback, prepare

    source = st.selectbox(t("upload.source"), SOURCES, key="upload_source",
                          format_func=lambda s: t(f"upload.sources.{s}"))
    detected, mapping = prepare(path, source, display_name=name)
    st.markdown(t("upload.detected_survey", tool=detected.tool.label, format=detected.format,
                  n=len(detected.rows)))
    columns = [UNMAPPED] + [c.shown for c in detected.columns]
    st.markdown(f"**{t('upload.mapping')}**")
    st.caption(t("upload.mapping_help"))
    maps: dict[str, str] = {}
    cells = st.columns(3)
    for index, field in enumerate((*MAPPABLE, *DIMENSIONS)):
        current = mapping.columns.get(field)
        candidates = mapping.candidates.get(field, [])
        default = current.shown if current else (candidates[0].shown if candidates else UNMAPPED)
        chosen = cells[index % 3].selectbox(
            FIELD_LABELS[field], columns, index=columns.index(default), key=f"map_{field}",
            help=t("upload.candidates", columns="；".join(c.shown for c in candidates))
            if candidates else None)
        if chosen != UNMAPPED:
            maps[field] = chosen
    if mapping.missing or mapping.candidates:
        st.warning(t("upload.unsure"), icon=":material/help:")
    st.markdown(f"**{t('upload.preview')}**")
    preview = detected.rows.head(10).copy()
    preview.columns = [detected.columns[i].shown if i < len(detected.columns) else str(i)
                       for i in range(preview.shape[1])]
    st.dataframe(preview, width="stretch")
    chosen_map = {f: c for f, c in maps.items() if (mapping.columns.get(f) is None
                                                    or mapping.columns[f].shown != c)}
    override = {**{f: c.shown for f, c in mapping.columns.items()}, **maps}
    removed = [f for f in mapping.columns if f not in maps]
    if removed:  # a field set to "—" is not mapped
        override = {f: c for f, c in override.items() if f not in removed}
    report = ingest_feedback(data.store(), path, source=source, maps=override,
                             display_name=name, dry_run=True, actor=current_actor()
                             ) if _has_answer(override) else None
    return {"report": report, "options": {"source": source, "maps": override},
            "changed": chosen_map}


def _has_answer(maps: dict[str, str]) -> bool:
    from pipelines.feedback.fields import IDENTIFIERS

    return any(f in maps for f in IDENTIFIERS) and any(
        f in maps for f in ("overall_satisfaction", "recommend_score"))


def validation(kind: str, prepared: dict) -> bool:
    """The validation report; True when the user may import."""
    report = prepared["report"]
    if report is None:
        st.error(t("upload.need_fields"), icon=":material/error:")
        return False
    st.subheader(t("upload.validation"))
    if report.already_loaded_batch is not None:
        st.info(t("upload.already", batch=report.already_loaded_batch))
        return False
    bad_rows = report.rejected
    cells = st.columns(3)
    cells[0].metric(t("upload.rows"), f"{report.rows_read:,}")
    cells[1].metric(t("upload.bad_rows"), f"{bad_rows:,}")
    if kind == "feedback":
        excluded = sum(report.excluded.values())
        cells[2].metric(t("upload.excluded"), f"{excluded:,}",
                        help=plain("、".join(f"{k} {v}" for k, v in report.excluded.items()))
                        or None)
    if report.problems:
        st.warning(t("upload.has_problems", rows=bad_rows), icon=":material/warning:")
        problems_table(report.problems)
        return st.checkbox(t("upload.skip_invalid"), key="upload_skip")
    st.success(t("upload.all_good"), icon=":material/check_circle:")
    return True


def confirm(kind: str, path: Path, name: str, prepared: dict, allowed: bool) -> None:
    if not st.button(t("upload.confirm"), type="primary", disabled=not allowed,
                     icon=":material/cloud_upload:", key="upload_confirm"):
        return
    skip = bool(st.session_state.get("upload_skip"))
    try:
        if kind == "feedback":
            from pipelines.feedback.ingest import ingest_feedback

            report = ingest_feedback(data.store(), path, skip_invalid=skip, display_name=name,
                                     actor=current_actor(), **prepared["options"])
        else:
            from pipelines.ingest import ingest_file

            report = ingest_file(data.store(), kind, path, skip_invalid=skip, display_name=name,
                                 actor=current_actor())
    except HandoverError as error:
        show_error(error)
        return
    st.session_state.upload_done = done_message(kind, report)
    if report.batch_id is not None:
        st.session_state.upload_checks = checks_after("upload")
        st.session_state.upload_findings = findings_of(report.batch_id)
    st.session_state.upload_key = st.session_state.get("upload_key", 0) + 1
    st.rerun()


def findings_of(batch_id: int) -> pd.DataFrame | None:
    """What the checks found in this file's rows (None when they could not run)."""
    from data_checks.results import batch_findings

    try:
        return batch_findings(data.store(), batch_id)
    except HandoverError:
        return None


def show_findings(found: pd.DataFrame) -> None:
    """The failing records of the uploaded file, by its row numbers, values masked by role."""
    from data_checks.registry import BY_ID

    lang = current_language()
    if found.empty:
        st.success(t("upload.findings_none"), icon=":material/check_circle:")
        return
    st.markdown(f"**{t('upload.findings_title', n=len(found), new=int(found['is_new'].sum()))}**")
    shown = mask_failures(found, current_role()).assign(
        check_id=found["check_id"].map(lambda c: getattr(BY_ID.get(c), lang, c)),
        column_name=[_column_label(c, col, lang)
                     for c, col in zip(found["check_id"], found["column_name"])],
        detail=found["detail"].map(lambda d: d if isinstance(d, str) and d else "—"),
        is_new=found["is_new"].map(lambda new: t("common.yes") if new else t("common.no")))
    columns = ["source_row", "check_id", "column_name", "offending_value", "detail", "is_new"]
    table(shown[columns], "upload_findings", key="upload_findings",
          labels={c: t(f"upload.findings_columns.{c}") for c in columns})


def _column_label(check_id: str, column: str, lang: str) -> str:
    """A failing column as the import template names it (联系电话 for contact_phone)."""
    from pipelines.templates import template

    try:
        field = template(check_id.split(".")[0]).column(column)
    except KeyError:
        return column
    return field.zh if lang == "zh" else column.replace("_", " ")


def checks_after(trigger: str) -> str:
    """The data checks again after an upload or rollback, so that every page's results
    describe the data as it now is; what they found, worded for the user."""
    from data_checks.refresh import refresh_after

    with st.spinner(t("upload.checking")):
        try:
            done = refresh_after(data.store(), trigger, actor=current_actor())
        except HandoverError as error:
            return t("upload.checks_failed") + " " + error_sentence(error)
    return t("upload.checked", run=done.run_id, as_of=done.as_of,
             records=done.failing_records, failed=done.failed_checks, checks=done.checks,
             new=done.new_failures, resolved=done.resolved)


def done_message(kind: str, report) -> str:
    """What an import did, in the user's language (the CLI prints report.summary())."""
    if report.already_loaded_batch is not None:
        return t("upload.already", batch=report.already_loaded_batch)
    if kind == "feedback":
        return t("upload.done_feedback", file=report.file, tool=report.tool,
                 batch=report.batch_id, read=report.rows_read, loaded=report.loaded,
                 duplicates=report.duplicates, excluded=sum(report.excluded.values()),
                 rejected=report.rejected, unmatched=report.unmatched,
                 unattributed=report.unattributed)
    return t("upload.done_table", file=report.file, format=report.format,
             batch=report.batch_id, read=report.rows_read, added=report.added,
             updated=report.updated, unchanged=report.unchanged, rejected=report.rejected)


def history() -> None:
    from pipelines.batches import rollback

    st.subheader(t("upload.history"))
    frame = pd.DataFrame() if data.is_empty() else data.batches(data.version())
    if frame.empty:
        st.caption(t("upload.no_batches"))
        return
    columns = ["batch_id", "kind", "action", "file_name", "source_format", "user_name",
               "created_at", "count_rows_read", "count_rows_added", "count_rows_updated",
               "count_rows_unchanged", "count_rows_rejected", "rolled_back_at"]
    shown = frame[columns].copy()
    shown["kind"] = shown["kind"].map(lambda k: t(f"upload.kinds.{k}"))
    shown["action"] = shown["action"].map(lambda a: t(f"upload.actions.{a}"))
    event = table(shown, "upload_history", key="upload_history", selectable=True,
                  labels={c: t(f"upload.batch.{c}") for c in columns})
    if event is None or not event.selection.rows:
        st.caption(t("upload.pick_batch"))
        return
    chosen = frame.iloc[event.selection.rows[0]]
    if not current_actor().may("rollback"):
        st.caption(t("upload.no_rollback_permission"))
        return
    if chosen["action"] != "import" or chosen["rolled_back_at"] is not None:
        st.caption(t("upload.cannot_roll_back", batch=chosen["batch_id"]))
        return
    sure = st.checkbox(t("upload.rollback_sure", batch=chosen["batch_id"],
                         file=chosen["file_name"]), key="rollback_sure")
    if st.button(t("upload.rollback"), disabled=not sure, icon=":material/undo:",
                 key="rollback_button"):
        try:
            new_id = rollback(data.store(), int(chosen["batch_id"]),
                              actor=current_actor())
        except HandoverError as error:
            show_error(error)
            return
        st.session_state.upload_done = t("upload.rolled_back", batch=chosen["batch_id"],
                                         new=new_id)
        st.session_state.upload_checks = checks_after("rollback")
        st.rerun()


def upload() -> None:
    page_header("upload")
    if st.session_state.get("upload_done"):
        st.success(st.session_state.pop("upload_done"), icon=":material/check_circle:")
    if st.session_state.get("upload_checks"):
        st.info(st.session_state.pop("upload_checks"), icon=":material/fact_check:")
    found = st.session_state.pop("upload_findings", None)
    if found is not None:
        show_findings(found)
    kind = st.segmented_control(t("upload.kind"), KINDS, default="feedback", key="upload_kind",
                                format_func=lambda k: t(f"upload.kinds.{k}"))
    uploaded = st.file_uploader(t("upload.file"), type=["csv", "xlsx", "xls"],
                                key=f"upload_file_{st.session_state.get('upload_key', 0)}",
                                help=t("upload.file_help"))
    if uploaded is not None and kind:
        name = uploaded.name
        with private_tempdir(data.store().path) as folder:
            path = write_private(folder, name, uploaded.getvalue())
            try:
                prepared = survey(path, name) if kind == "feedback" else tabular(kind, path,
                                                                                  name)
                allowed = validation(kind, prepared)
                confirm(kind, path, name, prepared, allowed)
            except HandoverError as error:
                show_error(error)
    st.divider()
    history()


upload()
