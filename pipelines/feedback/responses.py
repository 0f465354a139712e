"""Turning a survey's rows into responses: key, time, client reference, answers, exclusion."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from pipelines.errors import Problem
from pipelines.feedback.fields import DIMENSIONS, FieldMapping
from pipelines.feedback.layout import Survey, SurveyColumn
from pipelines.feedback.scales import is_skipped, recommend, satisfaction, satisfaction_scale
from pipelines.normalise import BadValue, text, timestamp
from pipelines.readers import cell_text

_US_MOMENT = re.compile(
    r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?$"
)
_PREVIEW_STATUS = {"survey preview", "survey test", "spam", "preview spam", "1", "2", "8", "9"}
_FALSE = {"false", "0", "no", "n", "否"}


@dataclass
class Responses:
    rows: pd.DataFrame  # typed, in the columns of templates.FEEDBACK plus source_row, extra
    problems: list[Problem] = field(default_factory=list)
    excluded: dict[str, int] = field(default_factory=dict)  # reason -> count


def build_responses(survey: Survey, mapping: FieldMapping) -> Responses:
    tool = survey.tool
    cols = mapping.columns
    problems: list[Problem] = list(survey.problems)
    day_first = _day_first(survey, cols.get("submitted_at")) if tool.us_dates else False
    scales = {
        name: satisfaction_scale(survey.rows[col.position])
        for name, col in cols.items()
        if name == "overall_satisfaction" or name in DIMENSIONS
    }
    id_col = survey.column(tool.response_id) if tool.response_id else None
    status_col = survey.column(tool.status) if tool.status else None
    finished_col = survey.column(tool.finished) if tool.finished else None
    mapped_positions = {c.position for c in cols.values()}
    extra_cols = [c for c in survey.questions if c.position not in mapped_positions]

    records = []
    for row_number, row in survey.rows.iterrows():
        source_row = int(row_number)

        def cell(col: SurveyColumn | None, row: pd.Series = row) -> object:
            return None if col is None or col.position not in row.index else row[col.position]

        def parse(name: str, parser, col: SurveyColumn | None = None, source_row: int = source_row):
            col = col or cols[name]  # called only for a mapped field
            value = cell(col)
            try:
                return parser(value)
            except BadValue as err:
                problems.append(
                    Problem.of(
                        survey.file,
                        source_row,
                        col.shown,
                        cell_text(value),
                        err.code,
                        err.params,
                        field=name,
                    )
                )
                return None

        record: dict[str, object] = {"source_row": source_row}
        record["source_tool"] = tool.name
        record["survey_id"] = survey.survey_id
        record["response_id"] = text(cell(id_col))
        record["submitted_at"] = (
            parse("submitted_at", lambda v: _moment(v, tool.us_dates, day_first))
            if "submitted_at" in cols
            else None
        )
        record["client_id"] = _identifier(cell(cols.get("client_id")))
        uscc = _identifier(cell(cols.get("uscc")))
        record["uscc"] = uscc.upper() if uscc else None
        record["company_name"] = _identifier(cell(cols.get("company_name")))
        record["contact_phone"] = _identifier(cell(cols.get("contact_phone")))
        for name in ("overall_satisfaction", *DIMENSIONS):
            record[name] = (
                parse(name, lambda v, s=scales.get(name): satisfaction(v, s))
                if name in cols
                else None
            )
        record["recommend_score"] = (
            parse("recommend_score", recommend) if "recommend_score" in cols else None
        )
        comment = cell(cols.get("comment"))
        record["comment"] = None if is_skipped(comment) else text(comment)
        record["exclusion"] = _exclusion(cell(status_col), cell(finished_col), record)
        extras = {
            c.shown: cell_text(row[c.position])
            for c in extra_cols
            if c.position in row.index and cell_text(row[c.position]).strip()
        }
        record["extra"] = json.dumps(extras, ensure_ascii=False) if extras else None
        record["response_key"] = _key(survey, record, row)
        records.append(record)

    frame = pd.DataFrame.from_records(records)
    excluded = frame["exclusion"].value_counts().to_dict() if len(frame) else {}
    return Responses(frame, problems, {str(k): int(v) for k, v in excluded.items()})


def _identifier(value: object) -> str | None:
    return None if is_skipped(value) else text(value)


def _exclusion(status: object, finished: object, record: dict) -> str | None:
    status_text = (text(status) or "").casefold()
    if status_text in _PREVIEW_STATUS:
        return "preview"
    if (text(finished) or "").casefold() in _FALSE:
        return "unfinished"
    answers = ("overall_satisfaction", "recommend_score", "comment", *DIMENSIONS)
    if all(record.get(name) is None for name in answers):
        return "empty"
    return None


def _key(survey: Survey, record: dict, row: pd.Series) -> str:
    """The response's stable key: the tool's id where it has one, else a hash of the row."""
    tool = survey.tool
    response_id = record["response_id"]
    if response_id and tool.id_scope == "global":
        return f"{tool.name}:{response_id}"
    if response_id:
        return f"{tool.name}:{survey.survey_id}:{response_id}"
    content = "\x1f".join(cell_text(v) for v in row)
    return f"{tool.name}:{survey.survey_id}:h{hashlib.sha256(content.encode()).hexdigest()[:16]}"


def _moment(value: object, us_dates: bool, day_first: bool) -> datetime | None:
    raw = text(value)
    if raw is None or is_skipped(raw):
        return None
    match = _US_MOMENT.match(raw)
    if match and us_dates:
        first, second, year, hour, minute, sec, half = match.groups()
        month, day = (int(second), int(first)) if day_first else (int(first), int(second))
        hour_value = int(hour or 0)
        if half:
            hour_value = hour_value % 12 + (12 if half.lower() == "pm" else 0)
        try:
            return datetime(int(year), month, day, hour_value, int(minute or 0), int(sec or 0))
        except ValueError:
            raise BadValue("impossible_moment", moment=raw) from None
    return timestamp(value)


def _day_first(survey: Survey, col: SurveyColumn | None) -> bool:
    """Day-first dates (D/M/YYYY) when some first number cannot be a month."""
    if col is None:
        return False
    for value in survey.rows[col.position]:
        match = _US_MOMENT.match(text(value) or "")
        if match and int(match.group(1)) > 12:
            return True
    return False
