"""Reading a survey export as the tool wrote it: which tool, which header rows, which columns
are the tool's metadata and which are questions (with their full question text)."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipelines.errors import Problem, UnreadableFileError, WrongKindError
from pipelines.feedback.tools import (
    TOOLS,
    SurveyTool,
    detect_tool,
    strip_question_number,
    tool_score,
)
from pipelines.normalise import header_key
from pipelines.readers import cell_text, read_grid

# SurveyMonkey's second header row labels answer columns with these generic words.
_GENERIC_SUBLABELS = {"response", "open-ended response", "回答", "开放式回答", "回复"}


@dataclass
class SurveyColumn:
    position: int
    name: str  # the header cell (a Qualtrics variable name, a question title elsewhere)
    title: str  # the question as the respondent read it, without its number
    is_metadata: bool

    @property
    def shown(self) -> str:
        """How the column is named to the user (and in --map)."""
        if not self.name or not self.title:
            return self.name or self.title
        if header_key(self.name).endswith(header_key(self.title)):
            return self.name  # "3、总体满意度" already says "总体满意度"
        return f"{self.name} ({self.title})"

    def answers_to(self, reference: str) -> bool:
        """Whether a --map COLUMN reference names this column."""
        key = header_key(reference)
        return key in {header_key(self.name), header_key(self.title), header_key(self.shown)}


@dataclass
class Survey:
    file: str
    format: str
    tool: SurveyTool
    columns: list[SurveyColumn]
    rows: pd.DataFrame  # positional columns; index: the row numbers the user sees
    survey_id: str
    problems: list[Problem] = field(default_factory=list)  # rows the reader could not split

    def column(self, names: tuple[str, ...]) -> SurveyColumn | None:
        """The first column whose header is one of ``names`` (a tool's metadata column)."""
        for name in names:
            for col in self.columns:
                if header_key(name) in (header_key(col.name), header_key(col.title)):
                    return col
        return None

    @property
    def questions(self) -> list[SurveyColumn]:
        return [c for c in self.columns if not c.is_metadata]


def read_survey(
    path: Path, source: str = "auto", sheet: str | None = None, display_name: str | None = None
) -> Survey:
    path = Path(path)
    name = display_name or path.name
    forced = None if source == "auto" else TOOLS[source]
    grid = read_grid(path, functools.partial(_header_score, source), sheet=sheet, display_name=name)
    frames = list(grid.chunks)
    if not frames:
        raise _no_responses(name)
    data = pd.concat(frames)
    tool = forced or detect_tool([grid.header])[0]
    if tool is None:
        raise WrongKindError(
            f"{name} is not recognised as a survey export of 问卷星, 腾讯问卷, Google Forms, "
            "SurveyMonkey or Qualtrics, nor the feedback template (client_id, submitted_at, "
            f"overall_satisfaction, recommend_score, comment). Its header (row {grid.header_row})"
            f" has: {', '.join(c for c in grid.header if c)[:300]}. If it is one of these tools' "
            "exports, say which with --source.",
            title="Unknown survey format",
            code="survey_unknown_format",
            params={
                "file": name,
                "row": grid.header_row,
                "header": ", ".join(c for c in grid.header if c)[:300],
            },
        )
    header = list(grid.header) + [""] * max(0, data.shape[1] - len(grid.header))
    names, titles, skip = _header_rows(tool, header, grid.preamble, data)
    data = data.iloc[skip:]
    columns = []
    for position, (col_name, title) in enumerate(zip(names, titles, strict=False)):
        is_metadata = header_key(col_name) in tool.metadata or header_key(title) in tool.metadata
        columns.append(
            SurveyColumn(position, col_name, strip_question_number(tool, title), is_metadata)
        )
    columns = [c for c in columns if c.name or c.title or _has_values(data, c.position)]
    data = data[[c for c in data.columns if c < len(header)]]
    data = data[~data.map(lambda v: cell_text(v).strip() == "").all(axis=1)]
    if data.empty:
        raise _no_responses(name)
    return Survey(name, grid.format, tool, columns, data, _survey_id(tool, columns), grid.problems)


def _header_score(source: str, cells: list[str]) -> int:
    """How much a row looks like the header of the tool (of any tool, with "auto")."""
    if source != "auto":
        return tool_score(TOOLS[source], cells)
    return max(tool_score(tool, cells) for tool in TOOLS.values())


def _no_responses(name: str) -> UnreadableFileError:
    return UnreadableFileError(
        f"{name}: the export has its header rows but no responses; nothing was loaded.",
        title="No responses",
        code="file_no_rows",
        params={"file": name},
    )


def _has_values(data: pd.DataFrame, position: int) -> bool:
    return (
        position in data.columns and data[position].map(lambda v: cell_text(v).strip()).ne("").any()
    )


def _header_rows(
    tool: SurveyTool, header: list[str], preamble: list[list[str]], data: pd.DataFrame
) -> tuple[list[str], list[str], int]:
    """(names, question titles, how many data rows are really header rows)."""
    first_rows = [
        [cell_text(v).strip() for v in row] for row in data.head(2).itertuples(index=False)
    ]
    if tool.name == "qualtrics":
        import_ids = [
            i
            for i, row in enumerate(first_rows)
            if any(c.startswith('{"ImportId"') or c.startswith("{'ImportId'") for c in row)
        ]
        if import_ids:  # current format: names, question texts, ImportId JSON
            skip = import_ids[0] + 1
            texts = first_rows[0] if import_ids[0] == 1 else header
            return header, _pad(texts, len(header)), skip
        if preamble:  # legacy format: V1… names above the question-text header
            return _pad(preamble[-1], len(header)), header, 0
        return header, header, 0
    if tool.name == "surveymonkey" and first_rows:
        sub = first_rows[0]
        id_col = next((i for i, c in enumerate(header) if header_key(c) == "respondent id"), 0)
        if id_col < len(sub) and not sub[id_col]:
            titles, current = [], ""
            for position, cell in enumerate(header):
                current = cell or current  # a question spans the columns of its answers
                label = sub[position] if position < len(sub) else ""
                if not cell and not label:
                    titles.append("")
                elif label and header_key(label) not in _GENERIC_SUBLABELS:
                    titles.append(f"{current} - {label}" if current else label)
                else:
                    titles.append(current)
            return titles, titles, 1
    return header, header, 0


def _pad(cells: list[str], length: int) -> list[str]:
    return list(cells[:length]) + [""] * max(0, length - len(cells))


def _survey_id(tool: SurveyTool, columns: list[SurveyColumn]) -> str:
    """A survey's identity: its tool and its questions (exports carry no survey id)."""
    titles = sorted(header_key(c.title or c.name) for c in columns if not c.is_metadata)
    digest = hashlib.sha256("\x1f".join([tool.name, *titles]).encode()).hexdigest()
    return digest[:12]
