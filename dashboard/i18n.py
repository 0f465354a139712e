"""Chinese and English: every label, message, chart title and axis comes from a catalogue.

The catalogue is the TOML files in ``dashboard/locales/`` (one per page, plus common.toml),
each key with a ``zh`` and an ``en`` text; ``t(key, **values)`` formats the text of the
current language, each value escaped as plain text. The language is the user's choice in the
sidebar, kept in the URL (``lang``), and defaults to the browser's locale (Chinese unless
the browser asks for something else).
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from dashboard.text import plain

LOCALES_DIR = Path(__file__).parent / "locales"
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"


@cache
def catalogue() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for file in sorted(LOCALES_DIR.glob("*.toml")):
        for key, texts in _flatten(tomllib.loads(file.read_text(encoding="utf-8"))).items():
            if key in merged:
                raise ValueError(f"{file.name}: the key {key} is also in another locale file")
            merged[key] = texts
    return merged


def _flatten(tree: dict, prefix: str = "") -> dict[str, dict[str, str]]:
    flat = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and set(value) <= set(LANGUAGES) and value:
            flat[name] = value
        elif isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
    return flat


def language_from_locale(locale: str | None) -> str:
    """'en' for a browser that asks for English (or any non-Chinese language), else 'zh'."""
    if not locale:
        return DEFAULT_LANGUAGE
    return "zh" if locale.lower().startswith("zh") else "en"


def current_language() -> str:
    import streamlit as st

    return st.session_state.get("lang", DEFAULT_LANGUAGE)


def t(key: str, lang: str | None = None, **values: object) -> str:
    """The catalogue text of ``key`` (Markdown) with ``values`` put in as plain text: every
    value is escaped (dashboard/text.py), so data never turns into formatting or links."""
    entry = catalogue().get(key)
    if entry is None:
        raise KeyError(f"no text for {key!r} in dashboard/locales")
    text = entry.get(lang or current_language()) or entry[DEFAULT_LANGUAGE]
    if not values:
        return text
    return text.format(**{name: _safe(value) for name, value in values.items()})


def words_of(values, word):
    """``values`` (a Series) with each distinct value put through ``word`` once, not each
    row: a column of codes over hundreds of thousands of rows is worded as fast as its
    handful of codes. Lists (e.g. flags) are given to ``word`` as tuples; missing values as
    None."""

    def key(value):
        if isinstance(value, str):
            return value
        if isinstance(value, (list, tuple)) or hasattr(value, "tolist"):
            return tuple(value.tolist() if hasattr(value, "tolist") else value)
        return None if _is_missing(value) else value

    known: dict = {}

    def worded(value):
        found = key(value)
        if found not in known:
            known[found] = word(found)
        return known[found]

    return values.map(worded)


def _is_missing(value: object) -> bool:
    try:
        return bool(value is None or value != value)
    except (TypeError, ValueError):
        return False


def _safe(value: object) -> object:
    """Numbers stay numbers, so that the catalogue may format them (``{limit:,}``); digits
    need no escaping. Everything else is plain text."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return plain(value)


def fmt_number(value: float | int | None, digits: int = 0) -> str:
    if value is None or value != value:
        return "—"
    return f"{value:,.{digits}f}"


_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _as_date(value: object):
    """A date (or datetime) from a date, datetime, pandas Timestamp or ISO text; None for no
    value or text that is not a date."""
    import datetime as dt

    if value is None:
        return None
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp (NaT has no value)
        try:
            if value != value:
                return None
            return value.to_pydatetime()
        except (ValueError, TypeError):
            return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value
    text = str(value).strip()
    if not text:
        return None
    for pattern in (
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d",
        "%Y-%m",
    ):
        try:
            return dt.datetime.strptime(text[:19] if "T" in text or " " in text else text, pattern)
        except ValueError:
            continue
    return None


def _not_a_date(value: object) -> str:
    """How a value that is no date is shown: "—" for nothing, else the text as it was."""
    empty = (
        value is None
        or (isinstance(value, float) and value != value)
        or str(value).strip() in ("", "NaT")
    )
    return "—" if empty else str(value)


def fmt_month(value: object, lang: str | None = None) -> str:
    """A month in the language: ``fmt_month("2025-07", "zh")`` → "2025年7月", in English
    "Jul 2025". Takes "YYYY-MM" text, a date, a datetime or a pandas Timestamp; "—" for no
    value, and text that is no month comes back as it was."""
    day = _as_date(value)
    if day is None:
        return _not_a_date(value)
    if (lang or current_language()) == "zh":
        return f"{day.year}年{day.month}月"
    return f"{_MONTHS_EN[day.month - 1]} {day.year}"


def fmt_date(value: object, lang: str | None = None, time: bool = False) -> str:
    """A day in the language: "2025年7月3日" / "2025-07-03" (ISO reads well in English
    tables); with ``time`` the hour and minute follow ("2025年7月3日 14:05" /
    "2025-07-03 14:05"). "—" for no value; text that is no date comes back as it was."""
    import datetime as dt

    day = _as_date(value)
    if day is None:
        return _not_a_date(value)
    clock = f" {day:%H:%M}" if time and isinstance(day, dt.datetime) else ""
    if (lang or current_language()) == "zh":
        return f"{day.year}年{day.month}月{day.day}日{clock}"
    return f"{day:%Y-%m-%d}{clock}"


def month_tickformat(lang: str | None = None) -> str:
    """Plotly's tick format for a month date axis in the language ("2025年7月" / "Jul 2025")."""
    return "%Y年%-m月" if (lang or current_language()) == "zh" else "%b %Y"


def date_column_format(lang: str | None = None, time: bool = False) -> str:
    """The display format of a date (or, with ``time``, datetime) column of a table
    (st.column_config.DateColumn / DatetimeColumn, moment.js tokens), in the language: the
    values stay dates, so the column still sorts by date."""
    if (lang or current_language()) == "zh":
        return "YYYY年M月D日 HH:mm" if time else "YYYY年M月D日"
    return "YYYY-MM-DD HH:mm" if time else "YYYY-MM-DD"


def date_tickformat(lang: str | None = None) -> str:
    """Plotly's tick format for a day date axis in the language."""
    return "%Y年%-m月%-d日" if (lang or current_language()) == "zh" else "%Y-%m-%d"


def month_ticks(months: list, lang: str | None = None, most: int = 9) -> tuple[list, list[str]]:
    """Tick values and short tick texts for a category axis of months (the values as
    ``fmt_month`` words them): at most ``most`` ticks, evenly spaced, the year written on the
    first and wherever it changes ("2025年6月", "8月", …, "2026年1月"; "Jun 2025", "Aug", …).
    Returns (tickvals, ticktext)."""
    lang = lang or current_language()
    days = [_as_date(m) for m in months]
    step = max(1, -(-len(months) // most))
    values, texts, year = [], [], None
    for index in range(0, len(months), step):
        day = days[index]
        if day is None:
            continue
        values.append(fmt_month(months[index], lang))
        if day.year != year:
            texts.append(fmt_month(months[index], lang))
            year = day.year
        else:
            texts.append(f"{day.month}月" if lang == "zh" else _MONTHS_EN[day.month - 1])
    return values, texts
