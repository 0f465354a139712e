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
    doubles: list[tuple[str, str, str]] = []  # (first header, second header, column)
    for index, cell in enumerate(header):
        name = known.get(header_key(cell))
        if name is None:
            if cell.strip():
                extras[index] = cell.strip()
            continue
        if name in positions:
            doubles.append((headers[name], cell, name))
            continue
        positions[name] = index
        headers[name] = cell
    missing = [c for c in template.required_columns if c not in positions]
    if missing:
        raise _wrong_kind(template, header, file, header_row, missing)
    if doubles:
        said = "; ".join(f"{a!r} and {b!r} both mean {name}" for a, b, name in doubles)
        raise WrongKindError(
            f"{file}: the header (row {header_row}) names a column twice: {said}. "
            "Remove or rename one of them.",
            title="Duplicate columns",
            code="file_duplicate_columns",
            params={
                "file": file,
                "row": header_row,
                "kind": template.kind,
                "doubles": [list(d) for d in doubles],
            },
        )
    return HeaderMap(positions, headers, extras)


def _wrong_kind(
    template: Template, header: list[str], file: str, header_row: int, missing: list[str]
) -> WrongKindError:
    """The error of a file that lacks required columns: its English message names the
    command for the kind the file looks like; its code (``file_wrong_kind``, or with
    ``_other`` / ``_survey`` when it looks like another kind) lets a page name that kind."""
    names = ", ".join(f"{template.column(c).zh} ({c})" for c in missing)
    shown = ", ".join(c for c in header if c.strip())[:300] or "(nothing)"
    message = (
        f"{file} is not a {template.kind} file ({template.zh}): the required column(s) {names} "
        f"are missing. Its header (row {header_row}) has: {shown}."
    )
    params: dict[str, object] = {
        "file": file,
        "kind": template.kind,
        "missing": list(missing),
        "row": header_row,
        "header": ", ".join(c for c in header if c.strip())[:300],
    }
    code = "file_wrong_kind"
    best = max(
        (t for t in TEMPLATES.values() if t.kind != template.kind),
        key=lambda t: score(t, header),
    )
    if all(c in {aliases(best).get(header_key(h)) for h in header} for c in best.required_columns):
        message += f" It looks like a {best.kind} file ({best.zh}): `handover ingest {best.kind}`."
        code, params["other"] = "file_wrong_kind_other", best.kind
    elif _looks_like_survey(header):
        message += " It looks like a survey export: `handover ingest feedback`."
        code = "file_wrong_kind_survey"
    return WrongKindError(message, code=code, params=params)


_SURVEY_MARKERS = {
    "提交答卷时间",
    "来自ip",
    "答题时长",
    "timestamp",
    "respondent id",
    "responseid",
    "startdate",
    "开始答题时间",
    "所用时间",
}


def _looks_like_survey(header: list[str]) -> bool:
    return any(header_key(h) in _SURVEY_MARKERS for h in header)
