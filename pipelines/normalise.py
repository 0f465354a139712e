"""Turning the cells users write into typed values, or into a sentence saying why not.

Each parser takes one cell (text, or the Python value an Excel cell holds) and returns the
typed value, ``None`` for an empty cell, or raises ``BadValue`` with the reason. Columns are
converted through ``convert_series``, which parses each distinct value once, so a 5-million-row
event log costs as many parses as it has distinct values (timestamps take a vectorised path).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from pipelines.errors import reason_text
from pipelines.readers import cell_text
from pipelines.templates import CODE_ALIASES, Column


class BadValue(ValueError):
    """A cell that cannot be read as its column's type: a reason code of
    ``pipelines.errors.REASONS`` and its parameters; the message is its English sentence."""

    def __init__(self, code: str, **params: object):
        super().__init__(reason_text(code, params))
        self.code = code
        self.params = params


_WHITESPACE = re.compile(r"\s+")
_EXCEL_EPOCH = datetime(1899, 12, 30)
DATE_FORMS = "2026-10-03, 2026/10/3 or 2026年10月3日"


def text(value: object) -> str | None:
    """Trimmed text with full-width characters folded (NFKC) and runs of spaces collapsed."""
    if isinstance(value, (datetime, pd.Timestamp)):
        value = value.strftime("%Y-%m-%d %H:%M:%S").removesuffix(" 00:00:00")
    elif isinstance(value, date):
        value = value.isoformat()
    raw = cell_text(value)
    folded = _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", raw)).strip()
    return folded or None


def header_key(header: str) -> str:
    """How headers are compared: folded, trimmed, case-insensitive, without a trailing '*'."""
    key = text(header) or ""
    return key.casefold().rstrip("*").strip()


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](.*))?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?(?:\s*(.*))?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_TIME_PATTERN = re.compile(
    r"^(\d{1,2})[:：](\d{2})(?:[:：](\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?$"
)
_CN_TIME_PATTERN = re.compile(r"^(\d{1,2})[时点](\d{1,2})分(?:(\d{1,2})秒)?$")


def _excel_serial(value: float) -> datetime:
    if not 1 <= value < 2958466:
        raise BadValue("not_a_date")
    return _EXCEL_EPOCH + timedelta(days=value)


def timestamp(value: object) -> datetime | None:
    """A local (Asia/Shanghai) timestamp; a date alone means midnight."""
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.to_pydatetime().replace(tzinfo=None)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and math.isnan(value):
            return None
        if value > 19000000:  # 20261003 typed as a number
            return timestamp(str(int(value)))
        return _excel_serial(float(value))
    raw = text(value)
    if raw is None:
        return None
    for pattern in _DATE_PATTERNS:
        match = pattern.match(raw)
        if match:
            year, month, day = (int(g) for g in match.groups()[:3])
            rest = match.group(4) if pattern.groups >= 4 else None
            try:
                day_value = date(year, month, day)
            except ValueError:
                raise BadValue("impossible_date", date=f"{year}-{month:02d}-{day:02d}") from None
            return _with_time(day_value, (rest or "").strip())
    raise BadValue("not_a_date")


def _with_time(day: date, rest: str) -> datetime:
    if not rest:
        return datetime(day.year, day.month, day.day)
    match = _TIME_PATTERN.match(rest) or _CN_TIME_PATTERN.match(rest)
    if not match:
        raise BadValue("not_a_time", time=rest)
    hour, minute = int(match.group(1)), int(match.group(2))
    second = int(match.group(3) or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise BadValue("impossible_time", time=rest)
    moment = datetime(day.year, day.month, day.day, hour, minute, second)
    offset = match.group(4) if match.re is _TIME_PATTERN else None
    if offset:  # an explicit zone: convert to Shanghai local time (UTC+8, no DST)
        if offset == "Z":
            minutes = 0
        else:
            sign = -1 if offset[0] == "-" else 1
            digits = offset[1:].replace(":", "")
            minutes = sign * (int(digits[:2]) * 60 + int(digits[2:]))
        try:
            moment += timedelta(minutes=8 * 60 - minutes)
        except OverflowError:  # Shanghai time after 9999-12-31 or before the year 1
            raise BadValue("impossible_moment", moment=f"{day.isoformat()} {rest}") from None
    return moment


def to_date(value: object) -> date | None:
    moment = timestamp(value)
    return None if moment is None else moment.date()


_TRUE = {"true", "t", "yes", "y", "1", "是", "已签", "已签署", "√", "✓", "对"}
_FALSE = {"false", "f", "no", "n", "0", "否", "未签", "未签署", "×", "✗", "错"}


def boolean(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    raw = text(value)
    if raw is None:
        return None
    key = raw.casefold()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise BadValue("not_yes_no")


def code_parser(column: Column, *, keep_unknown: bool = False) -> Callable[[object], str | None]:
    """A parser mapping a code, its Chinese label or a known alias to the code."""
    codes = column.codes or {}
    lookup: dict[str, str] = {}
    for code, label in codes.items():
        lookup[code.casefold()] = code
        lookup[(text(label) or "").casefold()] = code
    for alias, code in CODE_ALIASES.get(column.name, {}).items():
        lookup[(text(alias) or "").casefold()] = code
    choices = ", ".join(f"{code}/{label}" for code, label in codes.items())
    labels = "、".join(codes.values())

    def parse(value: object) -> str | None:
        raw = text(value)
        if raw is None:
            return None
        found = lookup.get(raw.casefold()) or lookup.get(raw.casefold().replace(" ", "_"))
        if found:
            return found
        if keep_unknown:
            return raw
        raise BadValue("unknown_code", field=column.name, choices=choices, labels=labels)

    return parse


def parser_for(column: Column) -> Callable[[object], object]:
    if column.type == "date":
        return to_date
    if column.type == "timestamp":
        return timestamp
    if column.type == "boolean":
        return boolean
    if column.type in ("enum", "event_type"):
        return code_parser(column)
    if column.type == "item_code":
        # An unknown item is loaded as written and reported by the check events.item.known.
        return code_parser(column, keep_unknown=True)
    return text


_FAST_TIMESTAMP_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")


def convert_series(column: Column, values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(typed values, reasons) for one column; a reason is the ``BadValue`` of a bad value
    (its code, parameters and English sentence), None where the value is fine."""
    parse = parser_for(column)
    if column.type == "timestamp":
        typed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    else:
        typed = pd.Series([None] * len(values), index=values.index, dtype=object)
    reasons = pd.Series([None] * len(values), index=values.index, dtype=object)
    remaining = values
    if column.type == "timestamp" and len(values) > 1000:
        remaining = _fast_timestamps(values, typed)
    if remaining.empty:
        return typed, reasons
    # Parse each distinct value once; factorize and take keep the per-row work in C.
    codes, uniques = pd.factorize(remaining, use_na_sentinel=True)
    results: list[object] = []
    whys: list[BadValue | None] = []
    for sample in uniques:
        try:
            results.append(parse(sample))
            whys.append(None)
        except BadValue as err:
            results.append(None)
            whys.append(err)
    results.append(None)  # code -1: a missing cell
    whys.append(None)
    result_array = np.empty(len(results), dtype=object)
    result_array[:] = results
    taken = result_array[codes]
    if column.type == "timestamp":
        taken = pd.to_datetime(pd.Series(taken, index=remaining.index, dtype=object))
    typed.loc[remaining.index] = taken
    reasons.loc[remaining.index] = np.array(whys, dtype=object)[codes]
    return typed, reasons


def _fast_timestamps(values: pd.Series, typed: pd.Series) -> pd.Series:
    """Parse ISO-formed text in bulk; return the values left for the one-by-one parser."""
    remaining = values
    for fmt in _FAST_TIMESTAMP_FORMATS:
        if remaining.empty:
            break
        as_text = remaining
        if pd.api.types.infer_dtype(remaining, skipna=True) != "string":
            # exactly str, element by element (not a type comparison: a Series of types)
            as_text = remaining.where(remaining.map(type) == str)  # noqa: E721
        parsed = pd.to_datetime(as_text.str.strip(), format=fmt, errors="coerce")
        hit = parsed.notna()
        if hit.any():
            typed.loc[parsed.index[hit]] = parsed[hit]
            remaining = remaining[~hit]
    return remaining
