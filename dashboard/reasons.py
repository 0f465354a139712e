"""Reasons in the user's language: why a flag is raised (metrics/sql/flags/*.sql) and why a
feedback response is unmatched or unattributed (pipelines/sql/views/feedback_responses.sql).

The SQL gives a reason as a code and its values (a flag's ``reason_code`` and
``reason_params``, a JSON object as text); the words are the catalogue's
(dashboard/locales/reasons.toml), in Chinese and English, with the values put in as they
are. A list of checklist items (``items``) is joined in the language: the items' codes in
English, their names (pipelines/templates.py) in Chinese. The text returned is plain: a
table shows it as it is, Markdown needs ``dashboard.text.plain`` around it.

Nothing here imports Streamlit: the functions take the language, so that tests and
downloads word reasons outside a session.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from dashboard.i18n import DEFAULT_LANGUAGE, catalogue
from pipelines.templates import CHECKLIST_ITEMS

SEPARATORS = {"zh": "、", "en": ", "}


def _text(key: str, lang: str) -> str:
    entry = catalogue().get(key)
    if entry is None:
        raise KeyError(f"no text for {key!r} in dashboard/locales")
    return entry.get(lang) or entry[DEFAULT_LANGUAGE]


def _items(items: list[str] | None, lang: str) -> str:
    names = [CHECKLIST_ITEMS.get(item, item) if lang == "zh" else item for item in items or ()]
    return SEPARATORS.get(lang, SEPARATORS["en"]).join(names)


def params_of(params: str | Mapping | None) -> dict:
    """The values of a reason: its JSON text (or a mapping, or nothing) as a dict."""
    if params is None or (isinstance(params, float) and params != params):
        return {}
    return dict(json.loads(params) if isinstance(params, str) else params)


def flag_reason(code: str, params: str | Mapping | None, lang: str) -> str:
    """Why a flag is raised, in ``lang``: ``flag_reason("overdue.open", '{"days": 3,
    "planned_end": "2026-10-10"}', "en")`` → "open 3 day(s) past the planned end
    2026-10-10"."""
    values = params_of(params)
    if "items" in values:
        values["items"] = _items(values["items"], lang)
    return _text(f"flag_reasons.{code}", lang).format(**values)


def response_reason(code: str | None, lang: str) -> str | None:
    """Why a feedback response is unmatched or unattributed (``unmatched.no_client``, ...),
    in ``lang``; None for no code."""
    if not isinstance(code, str) or not code:
        return None
    return _text(f"response_reasons.{code}", lang)
