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
from dashboard.audit_text import user_label
from dashboard.components import error_sentence, page_header, table
from dashboard.i18n import current_language, t
from dashboard.import_text import (
    error_text,
    exclusions,
    field_label,
    format_label,
    problems_frame,
    tool_label,
)
from dashboard.masking import mask_failures
from dashboard.progress import bar as progress_bar
from dashboard.roles import current_actor, current_role
from dashboard.text import plain
from pipelines.errors import HandoverError, ImportRejectedError
from pipelines.feedback.ingest import SOURCES
from pipelines.private_files import private_tempdir, write_private
from pipelines.templates import STORED

KINDS = tuple(STORED)  # clients, handovers, events, feedback
UNMAPPED = "—"
# Streamlit words its drop zone in English only: the note ("200MB per file • CSV, ...") is
# hidden (the size and formats are said below it) and the button's "Upload" is replaced by
# ours; the text is the catalogue's, put into CSS as a quoted string.
UPLOADER_STYLE = (
    "<style>.st-key-upload_box [data-testid='stFileUploaderDropzoneInstructions']"
    "{{display:none}}"
    ".st-key-upload_box [data-testid='stFileUploaderDropzone'] button "
    "[data-testid='stMarkdownContainer'] p{{font-size:0}}"
    ".st-key-upload_box [data-testid='stFileUploaderDropzone'] button "
    "[data-testid='stMarkdownContainer'] p::after{{content:\"{browse}\";font-size:0.875rem}}"
    "</style>"
)


def problems_table(problems, kind: str) -> None:
    """Every refused value: row, column (as the file writes it, with the template's name for
    it), value and why, in the user's language."""
    frame = problems_frame(problems, kind, current_language())
    table(
        frame,
        "rejected_rows",
        key="upload_problems",
        labels={c: t(f"upload.problem.{c}") for c in frame.columns},
    )


def show_error(error: HandoverError, kind: str) -> None:
    """An upload's error in the user's language; a refused file's rows as the table of
    problems (the English details, which name command-line options, are not shown)."""
    st.error(error_text(error), icon=":material/error:")
    if isinstance(error, ImportRejectedError):
        problems_table(error.problems, kind)


def tabular(kind: str, path: Path, name: str) -> dict:
    """What was detected in a template's file and its validation: one dry run of the
    import, which reads the file once and brings the format, mapping and first rows."""
    from pipelines.ingest import ingest_file
    from pipelines.templates import template

    tpl = template(kind)
    report = ingest_file(
        data.store(), kind, path, display_name=name, dry_run=True, actor=current_actor()
    )
    found = report.preview
    assert found is not None  # a dry run's report says what it detected
    lang = current_language()
    st.markdown(t("upload.detected", format=format_label(found.format, lang), row=found.header_row))
    mapping = pd.DataFrame(
        [
            {
                "field": field_label(kind, c.name, lang),
                "column": found.columns.get(c.name, UNMAPPED),
            }
            for c in tpl.columns
        ]
    )
    left, right = st.columns([2, 3])
    with left:
        st.markdown(f"**{t('upload.mapping')}**")
        st.dataframe(
            mapping.rename(columns={"field": t("upload.field"), "column": t("upload.column")}),
            hide_index=True,
            width="stretch",
        )
        if found.extras:
            st.caption(t("upload.extras", columns="、".join(found.extras)))
    with right:
        st.markdown(f"**{t('upload.preview')}**")
        st.dataframe(found.rows, width="stretch")
    return {"report": report, "options": {}, "load": _load(kind, path, name, {})}


def _load(kind: str, path: Path, name: str, options: dict):
    """The import of the file into a store (the trial's private copy): what confirming
    would do, with only the good rows."""
    from pipelines.ingest import ingest_file

    return functools.partial(
        ingest_file,
        kind=kind,
        path=path,
        skip_invalid=True,
        display_name=name,
        actor=current_actor(),
        **options,
    )


def survey(path: Path, name: str) -> dict:
    """What was detected in a survey export, the fields' columns to confirm or change, and
    the validation: one dry run reads the file; a changed mapping is validated again on the
    survey it read (the file is not read again)."""
    from pipelines.feedback.fields import DIMENSIONS, MAPPABLE, MappingUnsureError
    from pipelines.ingest import ingest_file

    lang = current_language()
    source = st.selectbox(
        t("upload.source"),
        SOURCES,
        key="upload_source",
        format_func=lambda s: t(f"upload.sources.{s}"),
    )
    dry_run = functools.partial(
        ingest_file,
        data.store(),
        "feedback",
        path,
        source=source,
        display_name=name,
        dry_run=True,
        actor=current_actor(),
    )
    first = None
    try:
        first = dry_run()
        assert first.preview is not None  # a dry run's report says what it detected
        detected, mapping = first.preview.survey, first.preview.mapping
    except MappingUnsureError as unsure:  # the user maps the fields below
        detected, mapping = unsure.survey, unsure.mapping
    st.markdown(
        t(
            "upload.detected_survey",
            tool=tool_label(detected.tool.name, lang),
            format=format_label(detected.format, lang),
            n=len(detected.rows),
        )
    )
    columns: list[str] = [UNMAPPED] + [c.shown for c in detected.columns]
    st.markdown(f"**{t('upload.mapping')}**")
    st.caption(t("upload.mapping_help"))
    maps: dict[str, str] = {}
    cells = st.columns(3)
    for index, field in enumerate((*MAPPABLE, *DIMENSIONS)):
        current = mapping.columns.get(field)
        candidates = mapping.candidates.get(field, [])
        default = current.shown if current else (candidates[0].shown if candidates else UNMAPPED)
        chosen = cells[index % 3].selectbox(
            field_label("feedback", field, lang),
            columns,
            index=columns.index(default),
            key=f"map_{field}",
            help=t("upload.candidates", columns="；".join(c.shown for c in candidates))
            if candidates
            else None,
        )
        if chosen != UNMAPPED:
            maps[field] = chosen
    if mapping.missing or mapping.candidates:
        st.warning(t("upload.unsure"), icon=":material/help:")
    st.markdown(f"**{t('upload.preview')}**")
    preview = detected.rows.head(10).copy()
    preview.columns = [
        detected.columns[i].shown if i < len(detected.columns) else str(i)
        for i in range(preview.shape[1])
    ]
    st.dataframe(preview, width="stretch")
    detected_map = {f: c.shown for f, c in mapping.columns.items()}
    chosen_map = {
        f: c
        for f, c in maps.items()
        if (mapping.columns.get(f) is None or mapping.columns[f].shown != c)
    }
    override = {**detected_map, **maps}
    removed = [f for f in mapping.columns if f not in maps]
    if removed:  # a field set to "—" is not mapped
        override = {f: c for f, c in override.items() if f not in removed}
    if first is not None and override == detected_map:
        report = first  # the mapping detected, as validated by the dry run
    elif _has_answer(override):
        report = dry_run(maps=override, survey=detected)
    else:
        report = None
    options = {"source": source, "maps": override}
    return {
        "report": report,
        "options": options,
        "changed": chosen_map,
        "load": _load("feedback", path, name, options),
    }


def _has_answer(maps: dict[str, str]) -> bool:
    from pipelines.feedback.fields import IDENTIFIERS

    return any(f in maps for f in IDENTIFIERS) and any(
        f in maps for f in ("overall_satisfaction", "recommend_score")
    )


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
        cells[2].metric(
            t("upload.excluded"), f"{excluded:,}", help=plain(exclusions(report.excluded)) or None
        )
    if report.problems:
        st.warning(t("upload.has_problems", rows=bad_rows), icon=":material/warning:")
        problems_table(report.problems, kind)
        return st.checkbox(t("upload.skip_invalid"), key="upload_skip")
    st.success(t("upload.all_good"), icon=":material/check_circle:")
    return True


def before_confirm(kind: str, path: Path, prepared: dict) -> None:
    """What the upload would bring, before it is confirmed: the file is loaded into a private
    copy of the database and the checks of its table run there (data_checks.refresh.
    trial_import); for a survey export, its answers matched to clients, unmatched or
    duplicate. The trial is kept for the session while the file, its options and the data
    stay the same."""
    from data_checks.refresh import trial_import
    from pipelines.loading import file_hash

    report = prepared["report"]
    if report is None or report.already_loaded_batch is not None:
        return
    key = (kind, file_hash(path), repr(sorted(prepared["options"].items())), data.version())
    kept = st.session_state.get("upload_trial")
    if kept is None or kept[0] != key:
        with st.spinner(t("upload.trial.running")), progress_bar() as progress:
            try:
                trial = trial_import(
                    data.store(), kind, prepared["load"], actor=current_actor(), progress=progress
                )
            except HandoverError as error:
                st.warning(
                    t("upload.trial.failed") + " " + error_text(error), icon=":material/warning:"
                )
                return
        st.session_state.upload_trial = kept = (key, trial)
    trial = kept[1]
    if kind == "feedback" and trial.responses is not None:
        show_answers(trial.responses)
    show_trial_findings(kind, trial)


def show_answers(answers: pd.DataFrame) -> None:
    """Matched, unmatched and duplicate answers, and the list of those not matched or
    duplicate (phone and USCC masked by role)."""
    st.subheader(t("upload.answers.title"))
    status = answers["status"]
    duplicates = int(status.isin(["already_loaded", "duplicate_in_file"]).sum())
    with st.container(key="upload_answer_counts", horizontal=True):
        st.metric(t("upload.answers.matched"), f"{int((status == 'matched').sum()):,}")
        st.metric(t("upload.answers.unmatched"), f"{int((status == 'unmatched').sum()):,}")
        st.metric(
            t("upload.answers.duplicates"),
            f"{duplicates:,}",
            help=t("upload.answers.duplicates_help"),
        )
    listed = answers[status.isin(["unmatched", "already_loaded", "duplicate_in_file"])]
    if listed.empty:
        st.success(t("upload.answers.all_matched"), icon=":material/check_circle:")
        return
    st.markdown(f"**{t('upload.answers.list_title')}**")
    columns = ["source_row", "status", "client_id", "company_name", "uscc", "contact_phone"]
    shown = listed[columns].assign(
        status=listed["status"].map(lambda s: t(f"upload.answer_status.{s}"))
    )
    table(
        shown,
        "upload_answers",
        key="upload_answers",
        labels={c: t(f"upload.answer_columns.{c}") for c in columns},
    )


def show_trial_findings(kind: str, trial) -> None:
    """The checks of the file's table on its rows, before confirming: how many failing
    records each check found, and the records."""
    from dashboard.check_text import check_name

    lang = current_language()
    st.subheader(t("upload.trial.title"))
    st.caption(t("upload.trial.intro", kind=t(f"upload.kinds.{kind}"), n=len(trial.checks)))
    found = trial.findings
    counts = found["check_id"].value_counts() if not found.empty else pd.Series(dtype=int)
    per_check = pd.DataFrame(
        {
            "check": [check_name(c, lang) for c in trial.checks],
            "failing": [int(counts.get(c, 0)) for c in trial.checks],
        }
    )
    with st.container(key="upload_trial_summary"):
        if found.empty:
            st.success(t("upload.trial.none"), icon=":material/check_circle:")
        else:
            st.warning(
                t("upload.trial.found", n=len(found), new=int(found["is_new"].sum())),
                icon=":material/fact_check:",
            )
    table(
        per_check,
        "upload_trial_checks",
        key="upload_trial_checks",
        labels={"check": t("upload.trial.check"), "failing": t("upload.trial.failing")},
    )
    if not found.empty:
        findings_table(found, "upload_trial_findings")


def confirm(kind: str, path: Path, name: str, prepared: dict, allowed: bool) -> None:
    if not st.button(
        t("upload.confirm"),
        type="primary",
        disabled=not allowed,
        icon=":material/cloud_upload:",
        key="upload_confirm",
    ):
        return
    skip = bool(st.session_state.get("upload_skip"))
    try:
        from pipelines.ingest import ingest_file

        with progress_bar() as progress:
            report = ingest_file(
                data.store(),
                kind,
                path,
                skip_invalid=skip,
                display_name=name,
                actor=current_actor(),
                progress=progress,
                **prepared["options"],
            )
    except HandoverError as error:
        show_error(error, kind)
        return
    st.session_state.pop("upload_trial", None)
    st.session_state.upload_done = done_message(kind, report)
    if report.batch_id is not None:
        retention(report)
        st.session_state.upload_checks = checks_after("upload")
        st.session_state.upload_findings = findings_of(report.batch_id)
    st.session_state.upload_key = st.session_state.get("upload_key", 0) + 1
    st.rerun()


def retention(report) -> None:
    """Survey comments older than retention.feedback_comments_days erased after the import,
    as `handover ingest` does; the count goes with the import's message."""
    from pipelines.erasure import erase_old_comments

    days = data.config().feedback_comments_days
    if days is not None:
        erased = erase_old_comments(data.store(), days, actor=current_actor())
        st.session_state.upload_done += " " + t("upload.retention", n=erased, days=days)


def findings_of(batch_id: int) -> pd.DataFrame | None:
    """What the checks found in this file's rows (None when they could not run)."""
    from data_checks.results import batch_findings

    try:
        return batch_findings(data.store(), batch_id)
    except HandoverError:
        return None


def show_findings(found: pd.DataFrame) -> None:
    """The failing records of the uploaded file, by its row numbers, values masked by role."""
    if found.empty:
        st.success(t("upload.findings_none"), icon=":material/check_circle:")
        return
    st.markdown(f"**{t('upload.findings_title', n=len(found), new=int(found['is_new'].sum()))}**")
    findings_table(found, "upload_findings")


def findings_table(found: pd.DataFrame, key: str) -> None:
    """Failing records of a file by its row numbers: check, column and detail in the user's
    language (dashboard/check_text.py), values masked by role."""
    from dashboard.check_text import check_name, column_label, render_detail

    lang = current_language()
    shown = mask_failures(found, current_role()).assign(
        check_id=found["check_id"].map(lambda c: check_name(c, lang)),
        column_name=[
            column_label(c, col, lang)
            for c, col in zip(found["check_id"], found["column_name"], strict=False)
        ],
        detail=[
            render_detail(c, d, lang)
            for c, d in zip(found["check_id"], found["detail"], strict=False)
        ],
        is_new=found["is_new"].map(lambda new: t("common.yes") if new else t("common.no")),
    )
    columns = ["source_row", "check_id", "column_name", "offending_value", "detail", "is_new"]
    table(
        shown[columns], key, key=key, labels={c: t(f"upload.findings_columns.{c}") for c in columns}
    )


def checks_after(trigger: str) -> str:
    """The data checks again after an upload or rollback, so that every page's results
    describe the data as it now is; what they found, worded for the user."""
    from data_checks.refresh import refresh_after

    with st.spinner(t("upload.checking")), progress_bar() as progress:
        try:
            done = refresh_after(data.store(), trigger, actor=current_actor(), progress=progress)
        except HandoverError as error:
            return t("upload.checks_failed") + " " + error_sentence(error)
    return t(
        "upload.checked",
        run=done.run_id,
        as_of=done.as_of,
        records=done.failing_records,
        failed=done.failed_checks,
        checks=done.checks,
        new=done.new_failures,
        resolved=done.resolved,
    )


def done_message(kind: str, report) -> str:
    """What an import did, in the user's language (the command line words it in
    cli/ingest.py::report_text)."""
    if report.already_loaded_batch is not None:
        return t("upload.already", batch=report.already_loaded_batch)
    if kind == "feedback":
        return t(
            "upload.done_feedback",
            file=report.file,
            tool=tool_label(report.tool),
            batch=report.batch_id,
            read=report.rows_read,
            loaded=report.loaded,
            duplicates=report.duplicates,
            excluded=sum(report.excluded.values()),
            rejected=report.rejected,
            unmatched=report.unmatched,
            unattributed=report.unattributed,
        )
    return t(
        "upload.done_table",
        file=report.file,
        format=format_label(report.format),
        batch=report.batch_id,
        read=report.rows_read,
        added=report.added,
        updated=report.updated,
        unchanged=report.unchanged,
        rejected=report.rejected,
    )


def history() -> None:
    from pipelines.batches import rollback

    st.subheader(t("upload.history"))
    frame = pd.DataFrame() if data.is_empty() else data.batches(data.version())
    if frame.empty:
        st.caption(t("upload.no_batches"))
        return
    columns = [
        "batch_id",
        "kind",
        "action",
        "status",
        "file_name",
        "source_format",
        "user_name",
        "created_at",
        "count_rows_read",
        "count_rows_added",
        "count_rows_updated",
        "count_rows_unchanged",
        "count_rows_rejected",
        "rolled_back_at",
    ]
    lang = current_language()
    shown = frame.assign(status=None)[columns].copy()
    shown["kind"] = shown["kind"].map(lambda k: t(f"upload.kinds.{k}"))
    shown["action"] = shown["action"].map(lambda a: t(f"upload.actions.{a}"))
    shown["status"] = [
        t("upload.statuses.rolled_back") if _has(r) else t("upload.statuses.in_force")
        for r in frame["rolled_back_at"]
    ]
    shown["source_format"] = frame["source_format"].map(
        lambda f: format_label(f, lang) if isinstance(f, str) and f else None
    )
    shown["user_name"] = frame["user_name"].map(
        lambda u: user_label(u, lang) if isinstance(u, str) and u else None
    )
    event = table(
        shown,
        "upload_history",
        key="upload_history",
        selectable=True,
        labels={c: t(f"upload.batch.{c}") for c in columns},
    )
    rejections(frame)
    if event is None or not event.selection.rows:
        st.caption(t("upload.pick_batch"))
        return
    chosen = frame.iloc[event.selection.rows[0]]
    if not current_actor().may("rollback"):
        st.caption(t("upload.no_rollback_permission"))
        return
    if chosen["action"] != "import" or _has(chosen["rolled_back_at"]):
        st.caption(t("upload.cannot_roll_back", batch=chosen["batch_id"]))
        return
    sure = st.checkbox(
        t("upload.rollback_sure", batch=chosen["batch_id"], file=chosen["file_name"]),
        key="rollback_sure",
    )
    if st.button(
        t("upload.rollback"), disabled=not sure, icon=":material/undo:", key="rollback_button"
    ):
        try:
            new_id = rollback(data.store(), int(chosen["batch_id"]), actor=current_actor())
        except HandoverError as error:
            st.error(error_sentence(error), icon=":material/error:")
            return
        st.session_state.upload_done = t("upload.rolled_back", batch=chosen["batch_id"], new=new_id)
        st.session_state.upload_checks = checks_after("rollback")
        st.rerun()


def rejections(frame: pd.DataFrame) -> None:
    """The rows each batch rejected (loaded with only the good rows), one expander per
    batch: row, column, value and why in the user's language; values as plain text."""
    from pipelines.loading import rejected_rows

    rejecting = frame[
        (frame["action"] == "import") & (frame["count_rows_rejected"].fillna(0).astype(int) > 0)
    ]
    if rejecting.empty:
        return
    lang = current_language()
    st.markdown(f"**{t('upload.rejections.title')}**")
    st.caption(t("upload.rejections.intro"))
    for batch in rejecting.itertuples(index=False):
        label = t(
            "upload.rejections.batch",
            batch=batch.batch_id,
            file=batch.file_name,
            rows=int(batch.count_rows_rejected),
        )
        with st.expander(label, icon=":material/block:"):
            problems = rejected_rows(data.store(), int(batch.batch_id), batch.file_name or "")
            frame_of = problems_frame(problems, batch.kind, lang)
            table(
                frame_of,
                "rejected_rows",
                key=f"upload_rejections_{batch.batch_id}",
                labels={c: t(f"upload.problem.{c}") for c in frame_of.columns},
            )


def _has(value: object) -> bool:
    """A value that is there (not None, NaN or NaT)."""
    return value is not None and not pd.isna(value)


def upload() -> None:
    page_header("upload")
    if st.session_state.get("upload_done"):
        st.success(st.session_state.pop("upload_done"), icon=":material/check_circle:")
    if st.session_state.get("upload_checks"):
        st.info(st.session_state.pop("upload_checks"), icon=":material/fact_check:")
    found = st.session_state.pop("upload_findings", None)
    if found is not None:
        show_findings(found)
    kind = st.segmented_control(
        t("upload.kind"),
        KINDS,
        default="feedback",
        key="upload_kind",
        format_func=lambda k: t(f"upload.kinds.{k}"),
    )
    with st.container(key="upload_box"):
        # Streamlit 1.67 words its drop zone in English only: see UPLOADER_STYLE
        st.html(UPLOADER_STYLE.format(browse=t("upload.browse").replace('"', "")))
        uploaded = st.file_uploader(
            t("upload.file"),
            type=["csv", "xlsx", "xls"],
            key=f"upload_file_{st.session_state.get('upload_key', 0)}",
            help=t("upload.file_help"),
        )
        st.caption(t("upload.file_limit", mb=int(st.get_option("server.maxUploadSize"))))
    if uploaded is not None and kind:
        name = uploaded.name
        with private_tempdir(data.store().path) as folder:
            path = write_private(folder, name, uploaded.getvalue())
            try:
                prepared = survey(path, name) if kind == "feedback" else tabular(kind, path, name)
                allowed = validation(kind, prepared)
                before_confirm(kind, path, prepared)
                confirm(kind, path, name, prepared, allowed)
            except HandoverError as error:
                show_error(error, kind)
    st.divider()
    history()


upload()
