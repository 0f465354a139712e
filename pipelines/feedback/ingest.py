"""Importing one survey export: the reader ``ingest_file`` plugs in for the kind ``feedback``
(detect the tool and the fields, build responses), and ``prepare`` for a first look."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

from pipelines.errors import Problem
from pipelines.feedback.fields import FieldMapping, MappingUnsureError, detect_fields
from pipelines.feedback.layout import Survey, read_survey
from pipelines.feedback.responses import build_responses
from pipelines.feedback.tools import TOOLS
from pipelines.ingest import PREVIEW_ROWS, ImportReport, Preview, ingest_file
from pipelines.loading import Staging, file_hash, update_report
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


def ingest_feedback(store: Store, path: Path, **options: Any) -> ImportReport:
    """Validate and load one survey export: ``pipelines.ingest.ingest_file`` of the kind
    ``feedback`` (its options: source, maps, skip_invalid, sheet, actor, display_name,
    dry_run, progress, survey)."""
    return ingest_file(store, "feedback", path, **options)


class SurveyFile:
    """The reader of a survey export for ``ingest_file``: detect the tool and the fields,
    build one row per response (``build_responses``), stage them; after the load, count the
    real responses loaded and those matching no client or handover."""

    def __init__(
        self,
        path: Path,
        name: str,
        *,
        source: str = "auto",
        maps: dict[str, str] | None = None,
        sheet: str | None = None,
        survey: Survey | None = None,
    ):
        self.path, self.name, self.source, self.maps = path, name, source, maps
        self.sheet, self.survey = sheet, survey

    def hash(self) -> tuple[str, Exception | None]:
        return file_hash(self.path), None

    def _detect(self, report: ImportReport) -> tuple[Survey, FieldMapping]:
        if self.survey is None:
            self.survey = read_survey(
                self.path, source=self.source, sheet=self.sheet, display_name=self.name
            )
        survey, mapping = self.survey, detect_fields(self.survey, self.maps)
        report.tool, report.format = survey.tool.label, survey.format
        return survey, mapping

    def preview(self, report: ImportReport) -> None:
        survey, mapping = self._detect(report)
        rows = survey.rows.head(PREVIEW_ROWS).copy()
        rows.columns = [
            survey.columns[i].shown if i < len(survey.columns) else str(i)
            for i in range(rows.shape[1])
        ]
        report.preview = Preview(
            format=survey.format,
            header_row=None,
            columns=mapping.describe(),
            rows=rows,
            survey=survey,
            mapping=mapping,
        )

    def stage(
        self, report: ImportReport, progress: Reporter | None, stack: ExitStack, preview: bool
    ) -> Staging:
        report_progress(progress, "read", 0)
        survey, mapping = self._detect(report)
        if preview:
            self.preview(report)
        if not mapping.is_sure:
            raise MappingUnsureError(survey, mapping)
        report.columns = mapping.describe()
        responses = build_responses(survey, mapping)
        report.rows_read = len(responses.rows)
        report_progress(progress, "read", report.rows_read, report.rows_read)
        report_progress(progress, "validate", report.rows_read, report.rows_read)
        report.excluded = responses.excluded
        report.problems = responses.problems
        if len(responses.rows):
            report.answers = responses.rows[list(ANSWER_COLUMNS)].copy()
        staging = stack.enter_context(Staging(FEEDBACK))
        staging.add(responses.rows)
        for key, rows in staging.duplicate_keys():
            for row in rows:
                others = ", ".join(str(r) for r in rows if r != row)
                report.problems.append(
                    Problem.of(
                        self.name,
                        row,
                        "response id",
                        key.split(":")[-1],
                        "duplicate_response",
                        {"others": others},
                        field="response_id",
                    )
                )
        return staging

    def drop(self, staging: Staging, bad_rows: list[int]) -> None:
        staging.drop_rows(bad_rows)

    def rejected(self, problems: list[Problem]) -> list[Problem]:
        return sorted(problems, key=lambda p: p.row)

    def batch(self, report: ImportReport) -> dict[str, Any]:
        assert self.survey is not None
        return {"source_format": f"{self.survey.tool.label} {self.survey.format}"}

    def after_load(self, store: Store, report: ImportReport) -> None:
        assert self.survey is not None and report.batch_id is not None
        report.duplicates = report.unchanged
        _count_loaded(store, report)
        update_report(
            store,
            report.batch_id,
            {
                "tool": self.survey.tool.name,
                "survey_id": self.survey.survey_id,
                "columns": report.columns,
                "loaded": report.loaded,
                "duplicates": report.duplicates,
                "excluded": report.excluded,
                "unmatched": report.unmatched,
                "unattributed": report.unattributed,
            },
        )


def _count_loaded(store: Store, report: ImportReport) -> None:
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
    ).rows[0]  # counts: always one row
