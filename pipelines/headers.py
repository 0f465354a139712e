"""Matching a file's header cells to a template's columns (English names or Chinese aliases)."""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.errors import WrongKindError
from pipelines.normalise import header_key
from pipelines.templates import TEMPLATES, Template


def aliases(template: Template) -> dict[str, str]:
    """Every accepted header, compared as ``header_key``, mapped to its column name."""
    found: dict[str, str] = {}
    for col in template.columns:
        for name in (col.name, col.zh, col.name.replace("_", " "), *col.aliases):
            found[header_key(name)] = col.name
    return found


def score(template: Template, cells: list[str]) -> int:
    """How many cells of a candidate header row name a column of the template."""
    known = aliases(template)
    return len({known[k] for k in map(header_key, cells) if k in known})


@dataclass
class HeaderMap:
    """Which position of the file holds which column, and what else the file has."""

    positions: dict[str, int]  # column name -> position in the row
    headers: dict[str, str]  # column name -> the header as the file writes it
    extras: dict[int, str]  # position -> header of a column the template does not have


def map_header(template: Template, header: list[str], file: str, header_row: int) -> HeaderMap:
    known = aliases(template)
    positions: dict[str, int] = {}
    headers: dict[str, str] = {}
    extras: dict[int, str] = {}
    doubles: list[str] = []
    for index, cell in enumerate(header):
        name = known.get(header_key(cell))
        if name is None:
            if cell.strip():
                extras[index] = cell.strip()
            continue
        if name in positions:
            doubles.append(f"{headers[name]!r} and {cell!r} both mean {name}")
            continue
        positions[name] = index
        headers[name] = cell
    missing = [c for c in template.required_columns if c not in positions]
    if missing:
        raise WrongKindError(_wrong_kind_message(template, header, file, header_row, missing))
    if doubles:
        raise WrongKindError(
            f"{file}: the header (row {header_row}) names a column twice: {'; '.join(doubles)}. "
            "Remove or rename one of them.",
            title="Duplicate columns",
        )
    return HeaderMap(positions, headers, extras)


def _wrong_kind_message(
    template: Template, header: list[str], file: str, header_row: int, missing: list[str]
) -> str:
    names = ", ".join(f"{template.column(c).zh} ({c})" for c in missing)
    shown = ", ".join(c for c in header if c.strip())[:300] or "(nothing)"
    message = (
        f"{file} is not a {template.kind} file ({template.zh}): the required column(s) {names} "
        f"are missing. Its header (row {header_row}) has: {shown}."
    )
    best = max(
        (t for t in TEMPLATES.values() if t.kind != template.kind),
        key=lambda t: score(t, header),
    )
    if all(c in {aliases(best).get(header_key(h)) for h in header} for c in best.required_columns):
        message += f" It looks like a {best.kind} file ({best.zh}): `handover ingest {best.kind}`."
    elif _looks_like_survey(header):
        message += " It looks like a survey export: `handover ingest feedback`."
    return message


_SURVEY_MARKERS = {"提交答卷时间", "来自ip", "答题时长", "timestamp", "respondent id", "responseid",
                   "startdate", "开始答题时间", "所用时间"}


def _looks_like_survey(header: list[str]) -> bool:
    return any(header_key(h) in _SURVEY_MARKERS for h in header)
