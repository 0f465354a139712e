"""Check results as users read them, on the data quality page and a handover's record: the
failing records with check names, columns and details in the user's language, offending
values masked for the role, where each record belongs (client, company, owner, team,
handovers), a record's fix history, and the action that opens a handover's record.

The words come from dashboard/check_text.py (details, check names, columns) and the locale
catalogue; the data from dashboard/check_data.py (cached, scoped reads)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from dashboard.check_text import NO_VALUE, check_name, column_label, render_detail
from dashboard.components import stale_checks_notice, table
from dashboard.i18n import current_language, date_column_format, t
from dashboard.masking import mask_failures
from dashboard.roles import current_role

# The failing-records table, in this order.
FAILURE_COLUMNS = [
    "check",
    "company_name",
    "client_id",
    "owner",
    "team",
    "handovers",
    "column",
    "offending_value",
    "detail",
    "first_seen_at",
    "record_key",
]
# Widths (pixels) that keep the record's place and its problem on one screen at 1440 px.
FAILURE_WIDTHS = {
    "check": 150,
    "company_name": 160,
    "client_id": 75,
    "owner": 60,
    "team": 65,
    "handovers": 110,
    "column": 80,
    "offending_value": 110,
    "detail": 200,
}
# A fix history, in this order.
HISTORY_COLUMNS = [
    "check",
    "record_key",
    "column",
    "offending_value",
    "detail",
    "state",
    "first_seen_at",
    "last_seen_at",
    "runs",
    "resolved_at",
    "resolved_by",
]


def _text(value: object) -> str | None:
    """Text of a cell, None (shown "—") for no value."""
    if value is None:
        return None
    try:
        if value != value:
            return None
    except (TypeError, ValueError):
        pass
    text = str(value)
    return text if text.strip() else None


def _join(values, lang: str) -> str | None:
    return ("、" if lang == "zh" else ", ").join(str(v) for v in values) or None


def _shared(found: pd.DataFrame, lang: str, role=None) -> pd.DataFrame:
    """Check name, column label, masked value (for ``role``, else the session's) and
    detail in the language."""
    masked = mask_failures(found, role or current_role())
    return pd.DataFrame(
        {
            "check": [check_name(c, lang) for c in found["check_id"]],
            "record_key": found["record_key"].map(_text),
            "column": [
                column_label(c, col, lang)
                for c, col in zip(found["check_id"], found["column_name"], strict=False)
            ],
            "offending_value": masked["offending_value"].map(_text),
            "detail": [
                None if shown == NO_VALUE else shown  # the table's own "—"
                for shown in (
                    render_detail(c, d, lang)
                    for c, d in zip(found["check_id"], found["detail"], strict=False)
                )
            ],
        },
        index=found.index,
    )


def failures_frame(found: pd.DataFrame, lang: str | None = None, role=None) -> pd.DataFrame:
    """The failing records (data_checks.results.failures_in_context) as the table shows
    them, one row per failure in ``found``'s order (FAILURE_COLUMNS). With ``lang`` and
    ``role`` given it reads no session values (it also prepares downloads)."""
    lang = lang or current_language()
    if found.empty:
        return pd.DataFrame(columns=FAILURE_COLUMNS)
    frame = _shared(found, lang, role)
    for column in ("company_name", "client_id", "owner", "team"):
        frame[column] = found[column].map(_text) if column in found.columns else None
    frame["handovers"] = (
        found["handover_ids"].map(lambda ids: _join(ids, lang))
        if "handover_ids" in found.columns
        else None
    )
    frame["first_seen_at"] = pd.to_datetime(found.get("first_seen_at"), errors="coerce")
    return frame[FAILURE_COLUMNS].reset_index(drop=True)


def history_frame(history: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """A fix history (data_checks.results.record_history) as the table shows it."""
    lang = lang or current_language()
    if history.empty:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    frame = _shared(history, lang)
    frame["state"] = [
        t("data_quality.state.open", lang)
        if pd.isna(run)
        else t("data_quality.state.fixed", lang)
        if pd.notna(batch)
        else t("data_quality.state.gone", lang)
        for run, batch in zip(history["resolved_run"], history["resolved_by_batch"], strict=False)
    ]
    for column in ("first_seen_at", "last_seen_at", "resolved_at"):
        frame[column] = pd.to_datetime(history[column], errors="coerce")
    frame["runs"] = history["runs"].map(lambda runs: _join(runs, lang))
    frame["resolved_by"] = [
        None if pd.isna(batch) else f"#{int(batch)} {name}" if _text(name) else f"#{int(batch)}"
        for batch, name in zip(
            history["resolved_by_batch"], history["resolved_by_file"], strict=False
        )
    ]
    return frame[HISTORY_COLUMNS].reset_index(drop=True)


def _labels(columns: list[str], lang: str) -> dict[str, str]:
    return {c: t(f"data_quality.columns.{c}", lang) for c in columns}


def _date_config(labels: dict[str, str], columns: list[str], lang: str) -> dict:
    return {
        labels[c]: st.column_config.DatetimeColumn(format=date_column_format(lang, True))
        for c in columns
        if c in labels
    }


def failures_table(
    found: pd.DataFrame,
    name: str,
    key: str,
    selectable: bool = False,
    everything: Callable[[], pd.DataFrame] | None = None,
):
    """The failing records as a table (with downloads); the selection event when
    ``selectable``. ``everything``: a function giving all the failing records when
    ``found`` is a page of them (the downloads hold all, read and worded when clicked)."""
    lang, role = current_language(), current_role()
    frame = failures_frame(found, lang, role)
    labels = _labels(FAILURE_COLUMNS, lang)
    config = _date_config(labels, ["first_seen_at"], lang)
    for column, width in FAILURE_WIDTHS.items():
        config[labels[column]] = st.column_config.TextColumn(width=width)
    return table(
        frame,
        name,
        labels=labels,
        key=key,
        selectable=selectable,
        column_config=config,
        everything=None if everything is None else lambda: failures_frame(everything(), lang, role),
    )


def history_table(history: pd.DataFrame, name: str, key: str) -> None:
    """A fix history as a table (with downloads)."""
    lang = current_language()
    labels = _labels(HISTORY_COLUMNS, lang)
    table(
        history_frame(history, lang),
        name,
        labels=labels,
        key=key,
        column_config=_date_config(labels, ["first_seen_at", "last_seen_at", "resolved_at"], lang),
    )


def open_handover(handover_id: str) -> None:
    """Opens the handovers page on one handover's record (it reads ``?handover=``), keeping
    the language and as-of date of the address."""
    params = {k: v for k, v in st.query_params.to_dict().items() if k != "handover"}
    st.switch_page("views/handovers.py", query_params={**params, "handover": handover_id})


def open_handover_action(handover_ids: list[str], key: str) -> None:
    """The "open handover record" action of a record: a button for its one handover, or a
    choice and a button when a client has several; nothing when there is none (or the role
    may not open the handovers page)."""
    if not handover_ids or not current_role().may_open("handovers"):
        if not handover_ids:
            st.caption(t("data_quality.no_handover"))
        return
    row = st.container(horizontal=True, vertical_alignment="bottom")
    chosen = handover_ids[0]
    if len(handover_ids) > 1:
        chosen = row.selectbox(
            t("data_quality.pick_handover", n=len(handover_ids)), handover_ids, key=f"{key}_pick"
        )
    if row.button(
        t("data_quality.open_handover", handover=chosen),
        key=key,
        type="primary",
        icon=":material/open_in_new:",
    ):
        open_handover(chosen)


def record_failing_checks(failing: pd.DataFrame, handover_id: str) -> None:
    """The failing checks of one handover's record (its form, client and events), in the
    user's language, and the fix history of those records."""
    from dashboard import check_data, data

    st.subheader(t("handovers.failing_checks"))
    stale_checks_notice()
    lang = current_language()
    if failing.empty:
        st.caption(t("handovers.no_failing_checks"))
    else:
        columns = ["check", "record_key", "column", "offending_value", "detail"]
        labels = _labels(columns, lang)
        table(
            failures_frame(failing.assign(first_seen_at=None), lang)[columns],
            f"checks_{handover_id}",
            labels=labels,
            key="record_checks",
            column_config={labels["detail"]: st.column_config.TextColumn(width="large")},
        )
    history = check_data.handover_history(data.version(), handover_id)
    with st.expander(t("data_quality.handover_history_title", n=len(history))):
        if history.empty:
            st.caption(t("data_quality.handover_no_history"))
        else:
            history_table(history, f"fixes_{handover_id}", key="record_fixes")
