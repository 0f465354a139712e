"""Downloads: every table as CSV (UTF-8 with BOM, for Excel) or XLSX, never executable.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) would run
as a formula in Excel; it is written with a leading apostrophe instead. Numbers stay numbers.

``build_export`` is where a download is made: it needs the permission ``export`` and writes
the audit entry (which table, how many rows, which format) before handing the bytes over. The
frames it is given are already what the viewer may see (masked, within the account's scope).
"""

from __future__ import annotations

import io
import re

import pandas as pd

DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    if isinstance(value, str) and value.startswith(DANGEROUS_START):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(lambda v: neutralise(_plain(v)))
    safe.columns = [neutralise(str(c)) for c in safe.columns]
    return safe


def _plain(value: object) -> object:
    if isinstance(value, (list, tuple)) or hasattr(value, "tolist"):
        items = value.tolist() if hasattr(value, "tolist") else value
        return ", ".join(map(str, items)) if isinstance(items, list) else items
    return value


_NOT_IN_SHEET_TITLES = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
_NOT_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


def sheet_title(name: str) -> str:
    """A worksheet title Excel accepts (none of [ ] : * ? / and backslash; at most 31
    characters)."""
    title = _NOT_IN_SHEET_TITLES.sub("_", name).strip("'")[:31]
    return title or "Sheet1"


def file_stem(name: str) -> str:
    """A download's file name (without extension) that every system accepts: data in a name
    (a handover id) loses the characters file names may not hold."""
    stem = " ".join(_NOT_IN_FILE_NAMES.sub("_", name).split())[:120].strip(". ")
    return stem or "download"


def to_csv(frame: pd.DataFrame) -> bytes:
    return safe_frame(frame).to_csv(index=False).encode("utf-8-sig")


def to_xlsx(sheets: dict[str, pd.DataFrame]) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            safe_frame(_excel_ready(frame)).to_excel(
                writer, sheet_name=sheet_title(name), index=False
            )
    return buffer.getvalue()


def _excel_ready(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.DatetimeTZDtype):
            frame[column] = frame[column].dt.tz_localize(None)
    return frame


FORMATS = ("csv", "xlsx")


def build_export(store, actor, name: str, sheets: dict[str, pd.DataFrame], fmt: str) -> bytes:
    """The download of ``sheets`` (CSV: the first only) for ``actor``, recorded in the audit
    trail; raises ``PermissionDeniedError`` for a role without ``export``."""
    from pipelines import audit
    from pipelines.access import require

    if fmt not in FORMATS:
        raise ValueError(f"{fmt!r} is not an export format; they are {FORMATS}")
    require(actor, "export")
    content = to_csv(next(iter(sheets.values()))) if fmt == "csv" else to_xlsx(sheets)
    first = next(iter(sheets))
    audit.append(
        store,
        actor.name,
        "export",
        name,
        format=fmt,
        rows=len(sheets[first]) if fmt == "csv" else sum(len(frame) for frame in sheets.values()),
        sheets={sheet: len(frame) for sheet, frame in sheets.items()} if fmt == "xlsx" else None,
    )
    return content
