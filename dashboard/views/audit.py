"""审计日志 Audit trail: who did what and when, filtered by period, user and action, with
downloads. Only for a role with the permission ``audit`` (administrators)."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.audit_text import describe, user_label
from dashboard.components import page_header, table
from dashboard.i18n import catalogue, current_language, t
from dashboard.roles import current_actor

COLUMNS = ["at", "user_name", "action", "target", "detail"]


def action_label(action: str) -> str:
    key = f"audit.actions.{action}"
    return t(key) if key in catalogue() else action


def audit_page() -> None:
    page_header("audit")
    if not current_actor().may("audit"):  # the navigation offers the page only with it
        st.error(t("common.not_allowed"), icon=":material/block:")
        return
    frame = data.audit_entries(data.trail_version(), current_actor())
    if frame.empty:
        st.info(t("audit.empty"))
        return
    left, middle, right = st.columns([2, 2, 3])
    today = date.today()
    period = left.date_input(
        t("audit.period"), value=(today - timedelta(days=30), today), key="audit_period"
    )
    users = middle.multiselect(
        t("audit.user"),
        sorted({u for u in frame["user_name"] if u}),
        format_func=lambda u: user_label(u, current_language()),
        key="audit_users",
        placeholder=t("common.choose"),
    )
    actions = right.multiselect(
        t("audit.action"),
        sorted(set(frame["action"])),
        format_func=action_label,
        key="audit_actions",
        placeholder=t("common.choose"),
    )
    start, end = (
        (list(period) + [None, None])[:2] if isinstance(period, (list, tuple)) else (period, None)
    )
    shown = frame
    if start:
        shown = shown[shown["at"] >= pd.Timestamp(start)]
    if end:
        shown = shown[shown["at"] < pd.Timestamp(end + timedelta(days=1))]
    if users:
        shown = shown[shown["user_name"].isin(users)]
    if actions:
        shown = shown[shown["action"].isin(actions)]
    shown = shown.sort_values("id", ascending=False)[COLUMNS].copy()
    shown["action"] = shown["action"].map(action_label)
    lang = current_language()
    shown["user_name"] = [user_label(u, lang) for u in shown["user_name"]]
    shown["detail"] = [describe(d, lang) for d in shown["detail"]]
    st.caption(t("audit.count", shown=len(shown), total=len(frame)))
    table(
        shown,
        "audit_trail",
        key="audit_table",
        labels={c: t(f"audit.columns.{c}") for c in COLUMNS},
        column_config={
            t("audit.columns.at"): st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")
        },
    )


audit_page()
