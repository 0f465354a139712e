"""Labels and definitions (in Chinese and English) of the figures and flags, read from
``catalogue.toml``."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

CATALOGUE_FILE = Path(__file__).parent / "catalogue.toml"


@cache
def catalogue() -> dict:
    return tomllib.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))


def figure(key: str) -> dict:
    return catalogue()["figures"][key]


def label(kind: str, key: str, lang: str = "zh") -> str:
    entry = catalogue()[kind].get(key)
    return entry[lang] if entry else key


def definition(kind: str, key: str, lang: str = "zh") -> str:
    """A figure's or flag's definition in words, in Chinese or English."""
    entry = catalogue()[kind][key]
    return entry["definition_zh"] if lang == "zh" else entry["definition"]


def format_value(key: str, value: float | int | None, lang: str = "zh") -> str:
    """A figure as people read it: rates as %, days with one decimal, counts with commas."""
    if value is None:
        return "—"
    unit = figure(key)["unit"]
    if unit == "rate":
        return f"{value * 100:.1f}%"
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "nps":
        return f"{value:+.0f}"
    if unit in ("days", "score"):
        return f"{value:.2f}" if unit == "score" else f"{value:.1f}"
    return f"{int(value):,}"
