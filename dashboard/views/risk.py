"""风险预警 Risk: the open handovers at risk now, recent handovers ranked by risk with the
reasons of their flags, flags by team and by type, critical flags first."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.components import (
    PAGE_ROWS,
    figure_help,
    kpi_tiles,
    page_header,
    pager,
    table,
)
from dashboard.i18n import current_language, date_column_format, fmt_date, t, words_of
from dashboard.reasons import flag_reason
from dashboard.risk_charts import flag_charts, flag_label
from dashboard.roles import current_role
from metrics.catalogue import format_value, label
from metrics.config import CRITICAL_FLAGS, FLAGS

FlagsReader = Callable[[tuple], pd.DataFrame]  # handover ids: their raised flags
RowsReader = Callable[[int, int], pd.DataFrame]  # offset, count: rows of a risk list
WINDOWS = (30, 90, 180, 365, 0)  # days; 0: all
LIMITS = (50, 200, 1000, 0)  # rows per list (and in its downloads); 0: all
LEVEL_DOTS = {"high": "🔴", "medium": "🟡", "low": "🟢"}


def level_label(level, lang: str | None = None) -> str:
    if not isinstance(level, str):
        return "—"
    return f"{LEVEL_DOTS.get(level, '')} {t(f'risk_levels.{level}', lang)}"


def controls(filters) -> tuple[date | None, int]:
    """The recent window (unless the sidebar sets a period): the first day it keeps; and
    how many rows each list shows (0: all)."""
    as_of = st.session_state.as_of
    left, right = st.columns([3, 2])
    limit = right.segmented_control(
        t("risk.limit"),
        LIMITS,
        default=200,
        key="risk_limit",
        required=True,
        format_func=lambda n: f"{n:,}" if n else t("risk.window_all"),
    )
    if filters.period_from or filters.period_to:
        left.caption(
            t(
                "risk.period_note",
                start=fmt_date(filters.period_from) if filters.period_from else "…",
                end=fmt_date(filters.period_to or as_of),
            )
        )
        return None, limit
    days = left.segmented_control(
        t("risk.window"),
        WINDOWS,
        default=90,
        key="risk_window",
        required=True,
        format_func=lambda n: t("risk.window_days", n=n) if n else t("risk.window_all"),
    )
    start = as_of - timedelta(days=days - 1) if days else None
    left.caption(
        t("risk.window_note", start=fmt_date(start)) if start else t("risk.window_all_note")
    )
    return start, limit


def with_reasons(register: pd.DataFrame, flags: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Flags as labels (critical ones first and marked) and their reasons in ``lang`` (from
    ``flags``: the raised flags of at least the register's handovers), one text per
    handover. Takes no session values (it also prepares a download, outside the session);
    each distinct value is worded once."""
    flags = flags[flags["handover_id"].isin(register["handover_id"])]
    # each reason names what it found (the flags column has the flags' names)
    worded = words_of(
        pd.Series(
            list(zip(flags["reason_code"], flags["reason_params"], strict=True)),
            index=flags.index,
            dtype=object,
        ),
        lambda reason: flag_reason(reason[0], reason[1], lang),
    )
    reasons = (
        worded.astype(str)
        .groupby(flags["handover_id"])
        .agg("；".join if lang == "zh" else "; ".join)
    )
    order = {f: (f not in CRITICAL_FLAGS, i) for i, f in enumerate(FLAGS)}
    frame = register.copy()
    frame["flag_labels"] = words_of(
        frame["flags"],
        lambda v: ("、" if lang == "zh" else ", ").join(
            flag_label(f, lang=lang)
            for f in sorted(v or (), key=lambda f: order.get(f, (True, 99)))
        ),
    )
    frame["reasons"] = [reasons.get(handover, "") for handover in frame["handover_id"]]
    frame["level"] = words_of(frame["risk_level"], lambda level: level_label(level, lang))
    frame["status"] = words_of(
        frame["is_completed"],
        lambda done: t("risk.columns.completed" if done else "risk.columns.open", lang),
    )
    frame["band_label"] = words_of(
        frame["band"], lambda b: t(f"bands.{b}", lang) if isinstance(b, str) else "—"
    )
    return frame


def tiles(open_counts, counts, open_values: dict, values: dict) -> None:
    """Open handovers at risk now, overdue, of high risk level and with a critical flag (of
    the register's window), and two figures."""
    lang, config = current_language(), data.config()
    critical_names = (
        "、".join(flag_label(f, False) for f in CRITICAL_FLAGS)
        if lang == "zh"
        else ", ".join(flag_label(f, False) for f in CRITICAL_FLAGS)
    )
    cells = st.columns(4)
    cells[0].metric(
        t("risk.at_risk_now"),
        f"{open_counts.at_risk:,}",
        border=True,
        help=t("risk.at_risk_now_help"),
    )
    cells[1].metric(
        label("figures", "overdue_open", lang),
        format_value("overdue_open", open_values.get("overdue_open"), lang),
        border=True,
        help=figure_help("overdue_open"),
    )
    cells[2].metric(
        t("risk.high_risk"),
        f"{counts.high:,}",
        border=True,
        help=t("risk.high_risk_help", high=f"{config.risk_high:g}"),
    )
    cells[3].metric(
        t("risk.critical"),
        f"{counts.critical:,}",
        border=True,
        help=t("risk.critical_help", flags=critical_names),
    )
    kpi_tiles(values, ["access_revoked_24h_rate", "churn_90d_rate"], columns=4)


def early_warning(open_counts, rows: ListRows, limit: int, flags: FlagsReader) -> None:
    config = data.config()
    st.subheader(t("risk.early_warning"))
    st.caption(t("risk.early_note", high=f"{config.risk_high:g}", medium=f"{config.risk_medium:g}"))
    if not open_counts.at_risk:
        st.success(t("risk.no_open_risk"), icon=":material/check_circle:")
        return
    columns = [
        "handover_id",
        "company_name",
        "days_overdue",
        "level",
        "risk_points",
        "flag_labels",
        "reasons",
        "planned_end",
        "team",
        "from_staff",
        "to_staff",
        "supervisor",
    ]
    selectable_table(
        open_counts.at_risk, rows, columns, "risk_early_warning", "risk_open", limit, flags
    )


def ranked_list(counts, rows: Callable[[str], ListRows], limit: int, flags: FlagsReader) -> None:
    """The register's handovers ranked by risk (those with a flag, or all); ``rows(only)``
    reads the rows of a list (metrics.views.RISK_LISTS)."""
    st.subheader(t("risk.ranked"))
    if counts.critical:
        lang = current_language()
        detail = ("、" if lang == "zh" else ", ").join(
            f"{flag_label(f, False)} {n}" for f, n in counts.critical_by_flag.items() if n
        )
        st.error(
            t("risk.critical_alert", n=counts.critical, detail=detail), icon=":material/gpp_maybe:"
        )
    only_flagged = st.toggle(t("risk.only_flagged"), value=True, key="risk_only_flagged")
    total = counts.flagged if only_flagged else counts.handovers
    if not total:
        st.info(t("common.no_rows"))
        return
    columns = [
        "handover_id",
        "company_name",
        "level",
        "risk_points",
        "flag_labels",
        "reasons",
        "band_label",
        "score",
        "status",
        "actual_end",
        "team",
        "to_staff",
    ]
    selectable_table(
        total,
        rows("flagged" if only_flagged else "all"),
        columns,
        "risk_ranked",
        "risk_ranked",
        limit,
        flags,
    )


def selectable_table(
    total: int,
    rows: ListRows,
    columns: list[str],
    name: str,
    key: str,
    limit: int,
    flags: FlagsReader,
) -> None:
    """The first ``limit`` (0: all) of a list's ``total`` rows, a page at a time: the page's
    rows are read (``rows.page``) with their raised flags (``flags``) and worded; a download
    reads and words all of them when clicked."""
    labels = {c: _column_label(c) for c in columns}
    number = st.column_config.NumberColumn
    config = {
        labels.get("handover_id"): st.column_config.TextColumn(pinned=True),
        labels.get("company_name"): st.column_config.TextColumn(pinned=True),
        labels.get("days_overdue"): number(format="%d"),
        labels.get("risk_points"): number(format="%.0f"),
        labels.get("score"): number(format="%.1f"),
        labels.get("reasons"): st.column_config.TextColumn(width="large"),
        labels.get("planned_end"): st.column_config.DateColumn(format=date_column_format()),
        labels.get("actual_end"): st.column_config.DatetimeColumn(
            format=date_column_format(time=True)
        ),
    }
    config.pop(None, None)
    listed = total
    if limit and total > limit:
        st.caption(t("risk.limited", n=limit, total=total))
        listed = limit
    first = pager(listed, key)
    lang = current_language()

    def prepared(rows: pd.DataFrame) -> pd.DataFrame:
        shown = with_reasons(rows, flags(tuple(rows["handover_id"])), lang)[columns].reset_index(
            drop=True
        )
        for column in ("supervisor", "company_name", "team", "from_staff", "to_staff"):
            if column in shown:  # no value: None, which the table shows as "—"
                shown[column] = shown[column].where(
                    shown[column].map(lambda v: isinstance(v, str) and bool(v.strip())), None
                )
        for column in ("actual_end", "planned_end"):  # dates, worded by the column's format
            if column in shown:
                shown[column] = pd.to_datetime(shown[column], errors="coerce")
        return shown

    shown = prepared(rows.page(first, min(PAGE_ROWS, listed - first)))
    st.caption(t("risk.select_hint"))
    event = table(
        shown,
        name,
        labels=labels,
        key=key,
        selectable=True,
        height=min(420, 38 + 35 * len(shown)),
        column_config=config,
        everything=lambda: prepared(rows.download(0, listed)),
    )
    picked = list(getattr(getattr(event, "selection", None), "rows", None) or [])
    if picked and picked[0] < len(shown):
        open_handover(shown.iloc[picked[0]]["handover_id"], key)


@dataclass(frozen=True)
class ListRows:
    """How a risk list's rows are read: ``page`` (cached: the same page on every rerun) and
    ``download`` (read when the button is clicked, outside the session)."""

    page: RowsReader
    download: RowsReader


def rows_of(version, as_of, key: tuple, since, only: str) -> ListRows:
    return ListRows(
        page=lambda offset, count: data.risk_rows(version, as_of, key, since, only, offset, count),
        download=data.risk_rows_reader(version, as_of, key, since, only),
    )


def open_handover(handover_id: str, key: str) -> None:
    """Remember the chosen handover for the 交接明细 page, and offer to go there."""
    st.session_state.selected_handover = handover_id
    if current_role().may_open("handovers") and st.button(
        t("risk.open_record", id=handover_id),
        key=f"{key}_open",
        icon=":material/open_in_new:",
        type="primary",
    ):
        st.switch_page("views/handovers.py", query_params={"handover": handover_id})


def _column_label(column: str) -> str:
    if column in ("days_overdue", "reasons", "status"):
        return t(f"risk.columns.{column}")
    return {
        "level": t("columns.risk_level"),
        "flag_labels": t("columns.flags"),
        "band_label": t("columns.band"),
    }.get(column) or t(f"columns.{column}")


def definitions() -> None:
    config = data.config()
    with st.expander(t("risk.definitions"), icon=":material/menu_book:"):
        rows = [
            {
                t("risk.columns.flag"): flag_label(f),
                t("risk.columns.definition"): t(f"risk.flag_rules.{f}"),
                t("risk.columns.points"): f"{config.risk_points[f]:g}",
                t("risk.columns.is_critical"): t("common.yes")
                if f in CRITICAL_FLAGS
                else t("common.no"),
            }
            for f in FLAGS
        ]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", placeholder="—")


def risk() -> None:
    page_header("risk")
    version, as_of, filters = data.version(), st.session_state.as_of, st.session_state.filters
    start, limit = controls(filters)
    open_filters = replace(filters, period_from=None, period_to=None, open_only=True)
    open_key = data.filters_key(open_filters)
    key = data.filters_key(filters)
    open_counts = data.risk_counts(version, as_of, open_key)
    counts = data.risk_counts(version, as_of, key, since=start)
    tiles(
        open_counts,
        counts,
        data.figures(version, as_of, open_key),
        data.figures(version, as_of, key),
    )
    early_warning(
        open_counts,
        rows_of(version, as_of, open_key, None, "at_risk"),
        limit,
        data.flags_reader(version, as_of, open_key),
    )
    ranked_list(
        counts,
        lambda only: rows_of(version, as_of, key, start, only),
        limit,
        data.flags_reader(version, as_of, key),
    )
    flag_charts(data.flag_counts(version, as_of, key, since=start))
    definitions()


risk()
