"""Importing one survey export: detect the tool and the fields, build responses, load a batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipelines.access import Actor, acting
from pipelines.errors import ImportRejectedError, Problem
from pipelines.feedback.fields import FieldMapping, MappingUnsureError, detect_fields
from pipelines.feedback.layout import Survey, read_survey
from pipelines.feedback.responses import build_responses
from pipelines.feedback.tools import TOOLS
from pipelines.loading import BatchRecord, Staging, batch_with_hash, file_hash, update_report
from pipelines.progress import Reporter
from pipelines.progress import report as report_progress
from pipelines.store import Store
from pipelines.templates import FEEDBACK

SOURCES = ("auto", *TOOLS)  # the values of --source
ANSWER_COLUMNS = (
    "source_row",
    "response_key",
    "client_id",
    "uscc",
    "company_name",
    "contact_phone",
    "exclusion",
)


@dataclass
class FeedbackReport:
    """What one survey export's import did."""

    file: str
    tool: str = ""
    format: str = ""
    batch_id: int | None = None
    already_loaded_batch: int | None = None
    rows_read: int = 0
    loaded: int = 0  # real responses new or changed in this batch
    duplicates: int = 0  # already loaded (a re-download with overlapping rows)
    excluded: dict[str, int] = field(default_factory=dict)
    rejected: int = 0
    unmatched: int = 0
    unattributed: int = 0
    columns: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # every answer of the file as read: its row, key, how it names its client, and why it is
    # not a real response (preview, unfinished, empty; None for a real one)
    answers: pd.DataFrame | None = None

    def summary(self) -> str:
        if self.already_loaded_batch is not None:
            return (
                f"{self.file}: already loaded as batch {self.already_loaded_batch}; "
                "nothing changed."
            )
        excluded = ", ".join(f"{n} {k}" for k, n in sorted(self.excluded.items())) or "none"
        mapped = "; ".join(f"{k} ← {v}" for k, v in self.columns.items())
        return (
            f"{self.file} ({self.tool}, {self.format}) → batch {self.batch_id}: "
            f"{self.rows_read} responses read, {self.loaded} loaded, "
            f"{self.duplicates} duplicates skipped, excluded: {excluded}, "
            f"{self.rejected} rejected; of the loaded, {self.unmatched} match no client and "
            f"{self.unattributed} no handover.\n  columns: {mapped}"
        )


def prepare(
    path: Path,
    source: str = "auto",
    maps: dict[str, str] | None = None,
    sheet: str | None = None,
    display_name: str | None = None,
) -> tuple[Survey, FieldMapping]:
    """Read an export and detect its fields (what the upload page shows before loading)."""
    survey = read_survey(path, source=source, sheet=sheet, display_name=display_name)
    return survey, detect_fields(survey, maps)


def ingest_feedback(
    store: Store,
    path: Path,
    *,
    source: str = "auto",
    maps: dict[str, str] | None = None,
    skip_invalid: bool = False,
    sheet: str | None = None,
    actor: Actor | None = None,
    display_name: str | None = None,
    dry_run: bool = False,
    progress: Reporter | None = None,
) -> FeedbackReport:
    """Validate and load one survey export. With ``dry_run``, validate only (nothing is
    written); the report then counts rows read, excluded and rejected. The ``actor`` (else
    the command line's operator) needs the permission ``upload``; its name is stored with the
    batch. ``progress`` (``pipelines/progress.py``) hears the stages read, validate and load,
    in rows."""
    actor = acting(actor, "upload")
    path = Path(path)
    name = display_name or path.name
    content_hash = file_hash(path)
    report = FeedbackReport(file=name)
    loaded = batch_with_hash(store, "feedback", content_hash)
    if loaded is not None:
        report.already_loaded_batch = loaded
        return report

    report_progress(progress, "read", 0)
    survey, mapping = prepare(path, source, maps, sheet, name)
    if not mapping.is_sure:
        raise MappingUnsureError(survey, mapping)
    report.tool, report.format = survey.tool.label, survey.format
    report.columns = mapping.describe()
    responses = build_responses(survey, mapping)
    report.rows_read = len(responses.rows)
    report_progress(progress, "read", report.rows_read, report.rows_read)
    report_progress(progress, "validate", report.rows_read, report.rows_read)
    report.excluded = responses.excluded
    report.problems = responses.problems
    if len(responses.rows):
        report.answers = responses.rows[list(ANSWER_COLUMNS)].copy()

    with Staging(FEEDBACK) as staging:
        staging.add(responses.rows)
        for key, rows in staging.duplicate_keys():
            for row in rows:
                others = ", ".join(str(r) for r in rows if r != row)
                report.problems.append(
                    Problem.of(
                        name,
                        row,
                        "response id",
                        key.split(":")[-1],
                        "duplicate_response",
                        {"others": others},
                        field="response_id",
                    )
                )
        bad_rows = sorted({p.row for p in report.problems})
        report.rejected = len(bad_rows)
        if dry_run:
            return report
        if bad_rows and not skip_invalid:
            raise ImportRejectedError(name, sorted(report.problems, key=lambda p: p.row))
        staging.drop_rows(bad_rows)
        batch = BatchRecord(
            kind="feedback",
            file_name=name,
            content_hash=content_hash,
            source_format=f"{survey.tool.label} {survey.format}",
            user_name=actor.name,
            rows_read=report.rows_read,
            rows_rejected=report.rejected,
            problems=report.problems,
        )
        loading = report.rows_read - report.rejected
        report_progress(progress, "load", 0, loading)
        batch_id, added, updated, unchanged = staging.load(store, batch)
        report_progress(progress, "load", loading, loading)
    report.batch_id, report.duplicates = batch_id, unchanged
    _count_loaded(store, report)
    update_report(
        store,
        batch_id,
        {
            "tool": survey.tool.name,
            "survey_id": survey.survey_id,
            "columns": report.columns,
            "loaded": report.loaded,
            "duplicates": report.duplicates,
            "excluded": report.excluded,
            "unmatched": report.unmatched,
            "unattributed": report.unattributed,
        },
    )
    return report


def _count_loaded(store: Store, report: FeedbackReport) -> None:
    """Real responses this batch added or changed, and how many match no client or handover."""
    report.loaded, report.unmatched, report.unattributed = store.query(
        """
        select
            count(*) filter (where is_real),
            count(*) filter (where is_real and not is_matched),
            count(*) filter (where is_real and is_matched and not is_attributed)
        from feedback_responses
        where batch_id = ?
        """,
        [report.batch_id],
    ).first()
