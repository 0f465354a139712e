"""Cached reads of check results for the data quality page and a record's failing checks:
failing records with where they belong (the page shown), and a record's fix history.

Keyed like dashboard/data.py: by the database's version and the signed-in account's scope
(``data.scope_key()``), so that one account's results are never served to another."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data
from metrics.selection import Filters


def failures(version: tuple, check_id: str | None) -> pd.DataFrame:
    """The latest run's failing records (of one check, or all) in the account's scope
    (data_checks.results.failures): shared, not to be changed in place."""
    return _failures(version, check_id, data.scope_key())


def page_in_context(version: tuple, check_id: str | None, first: int, rows: int) -> pd.DataFrame:
    """Rows ``first`` to ``first + rows`` of ``failures`` with their client, company,
    owner, team and handovers (data_checks.results.in_context): the context of the page
    shown only, not of every failing record (44,929 on the large sample)."""
    return _page_in_context(version, check_id, first, rows, data.scope_key())


def all_in_context(version: tuple, check_id: str | None):
    """A function without arguments that gives every failing record in context (for the
    downloads, built when clicked: it takes no session values)."""
    from data_checks.results import in_context

    store, scope = data.store(), data.scope_key()
    found = _failures(version, check_id, scope)
    return lambda: in_context(store, found, scope=Filters(*scope))


def record_history(version: tuple, records: tuple[tuple[str, str], ...]) -> pd.DataFrame:
    """The fix history of some records ((suite, record_key) pairs)."""
    return _record_history(version, tuple(records), data.scope_key())


def record_context(version: tuple, records: tuple[tuple[str, str], ...]) -> pd.DataFrame:
    """Where some records ((suite, record_key) pairs) belong: client, handovers…"""
    return _record_context(version, tuple(records), data.scope_key())


@st.cache_resource(show_spinner=False, max_entries=8)  # large: shared, not copied per read
def _failures(version: tuple, check_id: str | None, scope: tuple) -> pd.DataFrame:
    from data_checks.results import failures as read

    return read(data.store(), check_id, scope=Filters(*scope))


@st.cache_data(show_spinner=False, max_entries=64)
def _page_in_context(
    version: tuple, check_id: str | None, first: int, rows: int, scope: tuple
) -> pd.DataFrame:
    from data_checks.results import in_context

    shown = _failures(version, check_id, scope).iloc[first : first + rows]
    return in_context(data.store(), shown, scope=Filters(*scope))


@st.cache_data(show_spinner=False, max_entries=64)
def _record_history(version: tuple, records: tuple, scope: tuple) -> pd.DataFrame:
    from data_checks.results import record_history as read

    return read(data.store(), list(records), scope=Filters(*scope))


@st.cache_data(show_spinner=False, max_entries=64)
def _record_context(version: tuple, records: tuple, scope: tuple) -> pd.DataFrame:
    from data_checks.results import record_context as read

    frame = pd.DataFrame(list(records), columns=["suite", "record_key"])
    return read(data.store(), frame, scope=Filters(*scope))


def handover_history(version: tuple, handover_id: str) -> pd.DataFrame:
    """The fix history of one handover's records: its client, itself and its events."""
    return _handover_history(version, handover_id, data.scope_key())


@st.cache_data(show_spinner=False, max_entries=64)
def _handover_history(version: tuple, handover_id: str, scope: tuple) -> pd.DataFrame:
    from data_checks.results import handover_history as read

    return read(data.store(), handover_id, scope=Filters(*scope))
