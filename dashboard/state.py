"""The sidebar's language and filters, kept across pages and in the URL so a view can be
shared: ``?lang=en&team=记账一部&from=2026-01-01&to=2026-06-30&reason=resignation``."""

from __future__ import annotations

from datetime import date

import streamlit as st

from dashboard import data
from dashboard.i18n import LANGUAGES, language_from_locale, t
from metrics.selection import Filters


def _param(name: str) -> str | None:
    value = st.query_params.get(name)
    return value or None


def _date(name: str) -> date | None:
    value = _param(name)
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def init_language() -> str:
    if "lang" not in st.session_state:
        chosen = _param("lang")
        st.session_state.lang = (
            chosen
            if chosen in LANGUAGES
            else language_from_locale(getattr(st.context, "locale", None))
        )
    return st.session_state.lang


def sidebar_language() -> None:
    choice = st.sidebar.segmented_control(
        t("common.language"),
        options=list(LANGUAGES),
        default=st.session_state.lang,
        format_func=lambda code: {"zh": "中文", "en": "English"}[code],
        key="lang_choice",
    )
    if choice and choice != st.session_state.lang:
        st.session_state.lang = choice
        st.query_params["lang"] = choice
        st.rerun()


def sidebar_filters() -> tuple[date, Filters]:
    """The as-of date and the filters, from the widgets (seeded from the URL)."""
    options = data.filter_options(data.version())
    side = st.sidebar
    side.subheader(t("common.filters"))
    as_of = side.date_input(
        t("common.as_of"),
        value=_date("as_of") or date.today(),
        key="f_as_of",
        help=t("common.as_of_help"),
    )
    period = side.date_input(
        t("common.period"), value=_period_default(), key="f_period", help=t("common.period_help")
    )
    teams = side.multiselect(
        t("common.team"),
        options["teams"],
        default=_listed("team", options["teams"]),
        key="f_team",
        placeholder=t("common.choose"),
    )
    staff = side.multiselect(
        t("common.staff"),
        options["staff"],
        default=_listed("staff", options["staff"]),
        key="f_staff",
        placeholder=t("common.choose"),
    )
    reasons = side.multiselect(
        t("common.reason"),
        options["reasons"],
        default=_listed("reason", options["reasons"]),
        key="f_reason",
        placeholder=t("common.choose"),
        format_func=lambda code: t(f"reasons.{code}") if code else code,
    )
    start, end = (
        (list(period) + [None, None])[:2] if isinstance(period, (list, tuple)) else (period, None)
    )
    filters = Filters(
        period_from=start,
        period_to=end,
        teams=tuple(teams),
        staff=tuple(staff),
        reasons=tuple(reasons),
    )
    _to_url(as_of, filters)
    return as_of, filters


def _period_default():
    start, end = _date("from"), _date("to")
    return (start, end) if start and end else ()


def _listed(name: str, allowed: list[str]) -> list[str]:
    """The URL's values of a filter that the account may choose; the others are dropped with
    a sentence (a team outside a team lead's scope is not even named as existing), and, for
    an account limited to a team or its own handovers, recorded as a refused attempt."""
    value = _param(name)
    if not value:
        return []
    given = value.split(",")
    kept = [v for v in given if v in allowed]
    dropped = [v for v in given if v not in allowed]
    if dropped:
        st.sidebar.warning(
            t("common.filter_ignored", values="、".join(dropped)), icon=":material/filter_alt_off:"
        )
        if data.is_scoped():
            from dashboard import refusals

            for item in dropped:
                refusals.record("filter", f"{name}={item}")
    return kept


def _to_url(as_of: date, filters: Filters) -> None:
    wanted = {
        "lang": st.session_state.lang,
        "as_of": as_of.isoformat() if as_of != date.today() else None,
        "from": filters.period_from.isoformat() if filters.period_from else None,
        "to": filters.period_to.isoformat() if filters.period_to else None,
        "team": ",".join(filters.teams) or None,
        "staff": ",".join(filters.staff) or None,
        "reason": ",".join(filters.reasons) or None,
    }
    for name, value in wanted.items():
        if value is None:
            if name in st.query_params:
                del st.query_params[name]
        elif st.query_params.get(name) != value:
            st.query_params[name] = value


# The URL parameters that belong to one page's selection, not to the sidebar: dropped when
# another page is opened with a filter.
_PAGE_PARAMS = ("team", "staff", "band", "handover")


def open_filtered(
    page: str, *, team: str | None = None, staff: str | None = None, **params: str | None
) -> None:
    """Open ``page`` with the sidebar's team and staff filters set to ``team`` and ``staff``
    (a filter not given is cleared) and the other parameters (e.g. ``band="red"``) in the URL;
    the language, as-of date, period and reasons stay. The filter widgets are re-created from
    the URL on the next run (their old values are dropped here, since a widget's value cannot
    be set once it was drawn in this run)."""
    wanted = {
        name: value for name, value in st.query_params.to_dict().items() if name not in _PAGE_PARAMS
    }
    for name, value in (("team", team), ("staff", staff), *params.items()):
        if value:
            wanted[name] = value
    for key in ("f_team", "f_staff"):
        st.session_state.pop(key, None)
    st.switch_page(page, query_params=wanted)
