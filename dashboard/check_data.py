"""Cached reads of check results for the data quality page and a record's failing checks:
failing records with where they belong, and a record's fix history.

Keyed like dashboard/data.py: by the database's version and the signed-in account's scope
(``data.scope_key()``), so that one account's results are never served to another."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data
from metrics.selection import Filters


def failures_in_context(version: tuple, check_id: str | None) -> pd.DataFrame:
    """The latest run's failing records (of one check, or all) with their client, company,
    owner, team and handovers (data_checks.results.failures_in_context)."""
    return _failures_in_context(version, check_id, data.scope_key())


def record_history(version: tuple, records: tuple[tuple[str, str], ...]) -> pd.DataFrame:
    """The fix history of some records ((suite, record_key) pairs)."""
    return _record_history(version, tuple(records), data.scope_key())


def record_context(version: tuple, records: tuple[tuple[str, str], ...]) -> pd.DataFrame:
    """Where some records ((suite, record_key) pairs) belong: client, handovers…"""
    return _record_context(version, tuple(records), data.scope_key())


@st.cache_resource(show_spinner=False, max_entries=8)  # large: shared, not copied per read
def _failures_in_context(version: tuple, check_id: str | None, scope: tuple) -> pd.DataFrame:
    from data_checks.results import failures_in_context as read

    return read(data.store(), check_id, scope=Filters(*scope))


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
