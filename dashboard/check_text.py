"""Check results in the user's language: check names, failing columns and details.

The checks' SQL (data_checks/sql/*.sql, and the feedback view's ``unmatched_reason``) writes
each failure's ``detail`` as an English sentence, which the command line shows and the stored
results keep. Pages word it here instead: ``DETAIL_SHAPES`` lists, per check id, every shape
of detail its SQL writes, as a template whose ``{name}`` parts are the values the SQL puts in
(a date, a character, a member of staff), and the locale key (``checks.details.*`` in
dashboard/locales/checks.toml) that says the same in each language with those values.

A detail that fits no shape of its check is shown as written and logged (a check's SQL
changed without this table); tests/test_check_text.py runs every check on data that makes
every shape and fails on a detail no shape renders.

Nothing here imports Streamlit: the functions take the language, so that tests, exports and
other pages can use them.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import cache

log = logging.getLogger(__name__)

NO_VALUE = "—"


@dataclass(frozen=True)
class Shape:
    """One shape of detail: ``template`` as the SQL writes it, with ``{name}`` for each
    value, and the locale key (under ``checks.details.``) that words it."""

    template: str
    key: str
    pattern: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts = re.split(r"\{(\w+)\}", self.template)
        regex = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
        )
        object.__setattr__(self, "pattern", re.compile(regex, re.DOTALL))

    @property
    def fixed_parts(self) -> list[str]:
        """The template's words without its values."""
        return [p.strip() for p in re.split(r"\{\w+\}", self.template) if p.strip()]

    def match(self, detail: str) -> dict[str, str] | None:
        found = self.pattern.fullmatch(detail)
        return found.groupdict() if found else None


_BEFORE = Shape("before {bound}", "before")
_YEAR_AFTER = Shape("more than a year after {day}", "year_after")
_FUTURE = Shape("in the future: after {day}", "future")

# Per check id, the shapes of its details, tried in order (the first that fits words it).
# Checks run by a built-in expectation (no SQL) write no detail.
DETAIL_SHAPES: dict[str, tuple[Shape, ...]] = {
    "clients.contract_end.current": (
        Shape("active, but the contract ended before {day}", "contract_ended"),
    ),
    "clients.terminated_at.present": (
        Shape("terminated without a termination date", "no_termination_date"),
    ),
    "clients.dates.plausible": (
        _BEFORE,
        _YEAR_AFTER,
        Shape("more than ten years after {day}", "ten_years_after"),
    ),
    "clients.uscc.valid": (
        Shape("not 18 characters of 0-9 and A-Y without I, O, S, V, Z", "uscc_malformed"),
        Shape("check character should be {char}", "uscc_check_character"),
        Shape("organisation code check character should be {char}", "org_check_character"),
    ),
    "handovers.client.known": (Shape("no client has this client_id", "unknown_client"),),
    "handovers.dates.ordered": (
        Shape("planned start is after the planned end {day}", "planned_start_after_end"),
        Shape("actual start is after the actual end {time}", "actual_start_after_end"),
    ),
    "handovers.dates.plausible": (_BEFORE, _YEAR_AFTER, _FUTURE),
    "handovers.staff.distinct": (Shape("the receiver is the one handing over", "same_staff"),),
    "handovers.owner.consistent": (
        Shape("the client master names (nobody) as the responsible accountant", "owner_missing"),
        Shape("the client master names {staff} as the responsible accountant", "owner_other"),
    ),
    "events.handover.known": (Shape("no handover has this handover_id", "unknown_handover"),),
    "events.item.known": (
        Shape("an item event names no checklist item", "no_item"),
        Shape("not a checklist item", "unknown_item"),
    ),
    "events.occurred_at.plausible": (_BEFORE, _FUTURE),
    "feedback.client.matched": (
        Shape(
            "the response names no client (no client id, USCC, company or phone)", "names_no_client"
        ),
        Shape(
            "no client has the client id, USCC, company name or phone it gives",
            "no_matching_client",
        ),
    ),
    "feedback.scores.in_range": (
        Shape("overall satisfaction is rated 1-5", "satisfaction_range"),
        Shape("likelihood to recommend is scored 0-10", "recommend_range"),
    ),
    "feedback.submitted_at.plausible": (_BEFORE, _FUTURE),
}


def _missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, NA
    except (TypeError, ValueError):
        return False


def detail_code(check_id: str, detail: str | None) -> tuple[str, dict[str, str]] | None:
    """The locale key (``checks.details.…``) and values of a detail; None for no detail or a
    detail that fits none of its check's shapes."""
    if _missing(detail):
        return None
    for shape in DETAIL_SHAPES.get(check_id, ()):
        values = shape.match(str(detail))
        if values is not None:
            return f"checks.details.{shape.key}", values
    return None


@cache
def _logged(check_id: str, detail: str) -> bool:
    log.warning(
        "no locale text for a detail of the check %s: %r (dashboard/check_text.py)",
        check_id,
        detail,
    )
    return True


def _text(key: str, lang: str) -> str:
    from dashboard.i18n import DEFAULT_LANGUAGE, catalogue

    entry = catalogue()[key]
    return entry.get(lang) or entry[DEFAULT_LANGUAGE]


def render_detail(check_id: str, detail: str | None, lang: str, *, markdown: bool = False) -> str:
    """A failure's detail in ``lang``: "—" for none; a detail no shape fits as written (and
    logged once). Values (a member of staff's name…) go in as they are, for a table cell, or
    escaped as plain text with ``markdown`` (for a caption, an alert)."""
    if _missing(detail) or not str(detail).strip():
        return NO_VALUE
    code = detail_code(check_id, detail)
    if code is None:
        _logged(check_id, str(detail))
        if markdown:
            from dashboard.text import plain

            return plain(detail)
        return str(detail)
    key, values = code
    if markdown:
        from dashboard.i18n import t

        return t(key, lang, **values)
    return _text(key, lang).format(**values)


def check_name(check_id: str, lang: str) -> str:
    """What a failure of the check means, in ``lang``: the catalogue's ``checks.names.<id>``
    (in words, without column names), else data_checks/registry.py's; the id for a check
    neither knows."""
    from dashboard.i18n import catalogue
    from data_checks.registry import BY_ID

    entry = catalogue().get(f"checks.names.{check_id}")
    if entry and entry.get(lang):
        return entry[lang]
    found = BY_ID.get(check_id)
    if found is None:
        return str(check_id)
    return found.zh if lang == "zh" else found.en


def column_label(check_id: str, column: str | None, lang: str) -> str:
    """A failing column as the import template names it: 联系电话 for contact_phone in
    Chinese, the dashboard's column name (``columns.*``) or the words of the name in
    English."""
    from dashboard.i18n import catalogue
    from pipelines.templates import template

    if _missing(column):
        return NO_VALUE
    column = str(column)
    suite = str(check_id).split(".")[0]
    if lang == "zh":
        try:
            return template(suite).column(column).zh
        except KeyError:
            pass
    entry = catalogue().get(f"columns.{column}")
    if entry and entry.get(lang):
        return entry[lang]
    return column.replace("_", " ")
