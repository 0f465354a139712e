"""The importers' codes in the user's language: why a row was refused, which column, which
format and survey tool, and the errors an upload can raise.

The importers (pipelines/) describe a problem as a code and its parameters
(``pipelines.errors.Problem``: ``code``, ``params``, ``field``; ``REASONS`` holds the
English sentences the command line prints); the words for the pages are in
``dashboard/locales/upload.toml`` (``upload.reasons.<code>``, ``upload.fields.<field>``,
``upload.formats.*``) and ``errors.toml``. Everything returned here is plain text for a
table cell or Markdown made by ``t`` (values escaped)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from dashboard.i18n import catalogue, current_language, t
from dashboard.text import hide_paths
from pipelines.errors import HandoverError, Problem


def _lang(lang: str | None) -> str:
    return lang or current_language()


def _cell(key: str, lang: str, **params: object) -> str:
    """A catalogue text with its values put in as they are: for a table cell, which shows
    text as text (``t`` escapes values for Markdown, which a cell would show as ``\\_``)."""
    entry = catalogue()[key]
    return (entry.get(lang) or entry["zh"]).format(**params)


def reason(problem: Problem, lang: str | None = None) -> str:
    """Why the row was refused, in the user's language (the English sentence for a problem
    without a code, which no importer makes)."""
    if problem.code and f"upload.reasons.{problem.code}" in catalogue():
        return _cell(f"upload.reasons.{problem.code}", _lang(lang), **problem.params)
    return problem.why


def field_label(kind: str, name: str, lang: str | None = None) -> str:
    """A template column or feedback field as the user's language names it: the template's
    Chinese header (联系电话) in Chinese, the column's name in words (contact phone) in
    English. A composite key (``a+b``) is its parts joined."""
    lang = _lang(lang)
    if "+" in name:
        return " + ".join(field_label(kind, part, lang) for part in name.split("+"))
    if f"upload.fields.{name}" in catalogue() and kind == "feedback":
        return t(f"upload.fields.{name}", lang)
    from pipelines.templates import template

    try:
        column = template(kind).column(name)
    except KeyError:
        if f"upload.fields.{name}" in catalogue():
            return t(f"upload.fields.{name}", lang)
        return name
    return column.zh if lang == "zh" else name.replace("_", " ")


def column_label(problem: Problem, kind: str, lang: str | None = None) -> str:
    """The column of a problem: as the file writes it, with the template's name for it in
    the user's language where the file used another header (``Tel（联系电话）``); the whole
    row for a row that could not be split."""
    lang = _lang(lang)
    if not problem.column and not problem.field:
        return t("upload.misc.whole_row", lang)
    if not problem.field:
        return problem.column
    label = field_label(kind, problem.field, lang)
    written = problem.column.strip()
    own_names = {
        label.casefold(),
        problem.field.casefold(),
        problem.field.replace("_", " ").casefold(),
    }
    if not written or written.casefold() in own_names:  # the template's own header
        return label
    if lang == "zh":
        return f"{written}（{label}）"
    return f"{written} ({label})"


def problems_frame(problems: list[Problem], kind: str, lang: str | None = None) -> pd.DataFrame:
    """The rejected rows as a table in the user's language: row, column, value, why (the
    columns keep these names; ``upload.problem.*`` labels them)."""
    lang = _lang(lang)
    return pd.DataFrame(
        [
            {
                "row": p.row,
                "column": column_label(p, kind, lang),
                "value": p.value,
                "why": reason(p, lang),
            }
            for p in problems
        ],
        columns=["row", "column", "value", "why"],
    )


_CSV = re.compile(r"^(CSV|HTML) \((.+)\)$")


def format_label(fmt: str | None, lang: str | None = None) -> str:
    """A file format as the readers name it (``CSV (GBK)``, ``XLSX``, ``XLS``, a survey
    batch's ``问卷星 CSV (GBK)``) in the user's language."""
    lang = _lang(lang)
    if not fmt:
        return "—"
    from pipelines.feedback.tools import TOOLS

    for tool in TOOLS.values():  # a survey batch: "<tool label> <format>"
        if fmt.startswith(tool.label + " "):
            rest = format_label(fmt[len(tool.label) + 1 :], lang)
            return f"{tool_label(tool.name, lang)} · {rest}"
    found = _CSV.match(fmt)
    if found:
        return _cell(f"upload.formats.{found.group(1).lower()}", lang, encoding=found.group(2))
    if fmt.lower() in ("xlsx", "xls"):
        return t(f"upload.formats.{fmt.lower()}", lang)
    return fmt


def tool_label(name: str, lang: str | None = None) -> str:
    """A survey tool (``wjx``, or its label 问卷星) in the user's language."""
    from pipelines.feedback.tools import TOOLS

    for tool in TOOLS.values():
        if name in (tool.name, tool.label):
            return t(f"upload.sources.{tool.name}", _lang(lang))
    return name


def exclusions(excluded: dict[str, int], lang: str | None = None) -> str:
    """Excluded responses by reason: 预览/测试 1、未完成 2."""
    lang = _lang(lang)
    parts = []
    for key, count in excluded.items():
        label = (
            t(f"upload.exclusions.{key}", lang)
            if f"upload.exclusions.{key}" in catalogue()
            else key
        )
        parts.append(f"{label} {count}")
    return ("、" if lang == "zh" else ", ").join(parts)


def _list(values, lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(str(v) for v in values)


def error_text(error: HandoverError, lang: str | None = None) -> str:
    """An error an upload raised, in the user's language, from ``errors.<code>``, with its
    parameters that are codes (a kind, fields, a survey tool) named in that language; the
    dashboard's usual wording (``error_sentence``) for the others."""
    from dashboard.components import error_sentence

    lang = _lang(lang)
    if not error.code or f"errors.{error.code}" not in catalogue():
        return error_sentence(error)
    params = dict(error.params)
    kind = str(params.get("kind", ""))
    for name in ("kind", "other"):
        if f"upload.kinds.{params.get(name)}" in catalogue():
            params[name] = t(f"upload.kinds.{params[name]}", lang)
    if "missing" in params and isinstance(params["missing"], list):
        params["missing"] = _list((field_label(kind, m, lang) for m in params["missing"]), lang)
    if "doubles" in params and isinstance(params["doubles"], list):
        said = [
            _cell(
                "upload.misc.double", lang, first=a, second=b, field=field_label(kind, name, lang)
            )
            for a, b, name in params["doubles"]
        ]
        params["doubles"] = ("；" if lang == "zh" else "; ").join(said)
    if "fields" in params and isinstance(params["fields"], list):
        params["fields"] = _list((field_label("feedback", f, lang) for f in params["fields"]), lang)
    if "field" in params and error.code.startswith("survey_"):
        params["field"] = field_label("feedback", str(params["field"]), lang)
    if "tool" in params:
        params["tool"] = tool_label(str(params["tool"]), lang)
    params = {
        k: (v.name if isinstance(v, Path) else hide_paths(v) if isinstance(v, str) else v)
        for k, v in params.items()
    }
    try:
        return t(f"errors.{error.code}", lang, **params)
    except (KeyError, IndexError, ValueError):
        return error_sentence(error)
