"""总览 Overview: the stated period, the team that needs attention, the figures with their
change, trends, score distribution, rankings and the management workbook.

One period for the page (metrics.rollups.stated_periods): the sidebar's period when chosen,
else the last 12 months up to the as-of date, or the whole data when it covers less. A tile
of a period figure shows the value of the handovers completed in that period and its change
against the previous period of the same length; the figures of open handovers and of the
survey files (STATE_FIGURES) show the whole selection as of the date, without a change. The
rankings cover the same period; a click on a row opens the handovers page filtered to that
staff member or team.
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard import data
from dashboard.components import (
    BAND_COLOURS,
    DeltaColour,
    counts_with_rate,
    figure_help,
    page_header,
    style,
    table,
)
from dashboard.exports import build_export
from dashboard.i18n import current_language, fmt_date, month_tickformat, t, words_of
from dashboard.report import STATE_FIGURES, top_flags_text, weakest_text
from dashboard.roles import current_actor
from dashboard.state import open_filtered
from metrics.catalogue import catalogue, definition, format_value, label
from metrics.catalogue import figure as figure_entry
from metrics.formulas import explain
from metrics.rollups import lowest
from metrics.views import HISTOGRAM_WIDTH

HANDOVERS_PAGE = "views/handovers.py"
UNRANKED_NAMED = 20  # the staff (teams) below the minimum named under a ranking; then a count

GROUPS = {
    "overview.efficiency": [
        "handovers_total",
        "handovers_completed",
        "on_time_rate",
        "mean_duration_days",
        "overdue_open",
    ],
    "overview.quality": [
        "checklist_coverage",
        "discrepancy_fix_rate",
        "access_revoked_24h_rate",
        "followup_30d_rate",
    ],
    "overview.satisfaction": ["csat", "mean_satisfaction", "nps", "response_rate"],
    "overview.feedback_and_risk": [
        "responses_total",
        "responses_unmatched",
        "responses_attributed",
        "churn_90d_rate",
    ],
}


def period_texts(stated, as_of) -> dict[str, str]:
    (start, end), (pstart, pend) = stated.current, stated.previous
    return {
        "start": fmt_date(start),
        "end": fmt_date(end),
        "pstart": fmt_date(pstart),
        "pend": fmt_date(pend),
        "as_of": fmt_date(as_of),
    }


def period_caption(stated, as_of) -> None:
    st.info(
        t(f"overview.period_{stated.kind}", **period_texts(stated, as_of)),
        icon=":material/date_range:",
    )


def delta(key: str, now, before) -> str | None:
    """The change of a figure in its unit, worded in the language (pp: percentage points)."""
    if now is None or before is None:
        return None
    unit = figure_entry(key)["unit"]
    change = now - before
    if unit == "rate":
        return t("overview.delta_pp", value=round(change * 100, 1))
    if unit in ("percent", "nps"):
        return f"{change:+.1f}"
    if unit in ("days", "score"):
        return f"{change:+.2f}"
    return f"{change:+,.0f}"


def tiles(keys: list[str], values: dict, now: dict, before: dict, stated, as_of) -> None:
    lang = current_language()
    texts = period_texts(stated, as_of)
    columns = 5 if len(keys) == 5 else 4
    for cell, key in zip(st.columns(columns), keys, strict=False):
        colour: DeltaColour
        if key in STATE_FIGURES:
            shown, change, colour = values.get(key), None, "off"
            note = t("overview.tile_state_help", **texts)
        else:
            shown, change = now.get(key), delta(key, now.get(key), before.get(key))
            better = figure_entry(key)["higher_is_better"]
            colour = (
                "off"
                if now.get(key) == before.get(key) or better == "neutral"
                else "inverse"
                if better == "no"
                else "normal"
            )
            note = t("overview.tile_period_help", **texts)
        cell.metric(
            label("figures", key, lang),
            format_value(key, shown, lang),
            delta=change,
            delta_color=colour,
            help=f"{figure_help(key)}\n\n{note}",
            border=True,
        )


def kpis(version, as_of, filters) -> tuple[dict, object]:
    values, now, before, stated = data.figures_with_change(version, as_of, filters)
    lang = current_language()
    state = ("、" if lang == "zh" else ", ").join(
        label("figures", key, lang) for key in STATE_FIGURES
    )
    st.caption(t("overview.delta_note", state=state, **period_texts(stated, as_of)))
    for group, keys in GROUPS.items():
        st.subheader(t(group))
        tiles(keys, values, now, before, stated, as_of)
    return values, stated


def trends(version, as_of, filters) -> None:
    months = data.rollup(version, "month", as_of, data.filters_key(filters))
    if months.empty:
        return
    axis = {
        "title": t("columns.month"),
        "type": "date",
        "tickformat": month_tickformat(),
        "hoverformat": month_tickformat(),
        "automargin": True,
    }
    months = months.assign(first_day=pd.to_datetime(months["month"] + "-01"))
    left, right = st.columns(2)
    fig = counts_with_rate(
        months["first_day"],
        months["handovers"],
        t("columns.handovers"),
        months["score"],
        t("columns.score"),
        t("columns.score"),
        100,
    )
    left.plotly_chart(style(fig, t("overview.trend_title")).update_xaxes(**axis), width="stretch")
    rates = months.melt(
        id_vars="first_day",
        value_vars=["on_time_rate", "share_red"],
        var_name="measure",
        value_name="share",
    )
    rates["measure"] = rates["measure"].map(lambda m: t(f"columns.{m}"))
    fig = px.line(
        rates,
        x="first_day",
        y="share",
        color="measure",
        markers=True,
        labels={"first_day": t("columns.month"), "share": t("overview.share"), "measure": ""},
    )
    fig.update_yaxes(tickformat=".0%", range=[0, 1])
    right.plotly_chart(style(fig, t("overview.rates_title")).update_xaxes(**axis), width="stretch")


def distribution(version, as_of, filters) -> None:
    """The scores' distribution as bars of HISTOGRAM_WIDTH points, stacked by band: drawn
    from the counts per bar (metrics.views.score_histogram), not from every handover."""
    bars = data.score_histogram(version, as_of, data.filters_key(filters))
    if bars.empty:
        return
    shown = bars.assign(
        band_label=words_of(bars["band"], lambda b: t(f"bands.{b}") if b else "—"),
        middle=bars["bin_start"] + HISTOGRAM_WIDTH / 2,
    )
    fig = px.bar(
        shown,
        x="middle",
        y="handovers",
        color="band_label",
        color_discrete_map={t(f"bands.{b}"): c for b, c in BAND_COLOURS.items()},
        labels={
            "middle": t("columns.score"),
            "band_label": t("columns.band"),
            "handovers": t("columns.handovers"),
        },
    )
    fig.update_traces(width=HISTOGRAM_WIDTH)
    fig.update_layout(bargap=0.05, yaxis_title=t("columns.handovers"))
    fig.update_xaxes(range=[0, 100])
    st.plotly_chart(style(fig, t("overview.distribution_title")), width="stretch")


def attention(version, as_of, filters) -> None:
    """The lowest-scoring ranked team and staff member, each with a button that opens its
    red handovers (all its handovers when none is red)."""
    lang = current_language()
    for by in ("team", "staff"):
        frame = data.rollup(version, by, as_of, data.filters_key(filters))
        row = lowest(frame) if not frame.empty else None
        if row is None or row[by] is None or pd.isna(row[by]):
            continue
        name = row[by]
        reason = weakest_text(row["weakest"], row["weakest_score"], lang)
        flags = top_flags_text(row["top_flags"], lang)
        text, button = st.columns([3, 1], vertical_alignment="center")
        text.warning(
            t(
                f"overview.attention_{by}",
                name=name,
                score=f"{row['score']:.1f}",
                weakest=reason or "—",
                flags=flags or t("overview.no_flags"),
            ),
            icon=":material/priority_high:",
        )
        red = int(row["red"])
        caption = t("overview.open_red", n=red) if red else t("overview.open_all")
        if button.button(
            caption,
            key=f"attention_{by}",
            type="primary" if by == "team" else "secondary",
            icon=":material/open_in_new:",
        ):
            open_filtered(HANDOVERS_PAGE, **{by: name}, band="red" if red else None)


def rankings(version, as_of, filters) -> None:
    minimum = data.config().min_handovers
    lang = current_language()
    tabs = st.tabs([t("overview.by_staff"), t("overview.by_team")])
    for tab, by in zip(tabs, ("staff", "team"), strict=False):
        with tab:
            frame = data.rollup(version, by, as_of, data.filters_key(filters))
            ranked = frame[frame["ranked"]] if not frame.empty else frame
            if ranked.empty:
                st.info(t("overview.none_ranked", n=minimum))
            else:
                shown = ranked.assign(
                    weakest=[
                        weakest_text(n, v, lang)
                        for n, v in zip(ranked["weakest"], ranked["weakest_score"], strict=False)
                    ],
                    top_flags=[top_flags_text(p, lang) or "—" for p in ranked["top_flags"]],
                    on_time_rate=ranked["on_time_rate"] * 100,
                    share_red=ranked["share_red"] * 100,
                )
                columns = [
                    "rank",
                    by,
                    "handovers",
                    "score",
                    "previous_score",
                    "change",
                    "weakest",
                    "top_flags",
                    "on_time_rate",
                    "share_red",
                    "high_risk",
                ]
                event = table(
                    shown[columns],
                    f"ranking_{by}",
                    key=f"rank_{by}",
                    labels=_ranking_labels(columns),
                    selectable=True,
                    column_config=_ranking_format(),
                )
                picked = _picked(event)
                if picked is not None and picked < len(shown):
                    name = shown.iloc[picked][by]
                    if isinstance(name, str) and name:
                        open_filtered(HANDOVERS_PAGE, **{by: name})
            apart(frame, by, minimum)
    st.caption(t("overview.ranking_note", n=minimum))


def _picked(event) -> int | None:
    try:
        rows = event.selection.rows
    except AttributeError:
        return None
    return rows[0] if rows else None


def apart(frame: pd.DataFrame, by: str, minimum: int) -> None:
    """The staff (teams) below the minimum, with their count, under the table."""
    below = frame[~frame["ranked"]] if not frame.empty else frame
    if below.empty:
        return
    items = [
        t("overview.unranked_item", name=name if isinstance(name, str) else "—", count=int(count))
        for name, count in zip(
            below[by].head(UNRANKED_NAMED), below["handovers"].head(UNRANKED_NAMED), strict=False
        )
    ]
    if len(below) > UNRANKED_NAMED:
        items.append(t("overview.unranked_more", n=len(below) - UNRANKED_NAMED))
    st.caption(
        t(f"overview.unranked_{by}", n=minimum)
        + " "
        + ("、" if current_language() == "zh" else ", ").join(items)
    )


def _ranking_labels(columns: list[str]) -> dict[str, str]:
    own = {"weakest": "overview.col_weakest", "top_flags": "overview.col_top_flags"}
    return {c: t(own.get(c, f"columns.{c}")) for c in columns}


def _ranking_format() -> dict:
    """Scores with one decimal, rates in percent with one, the short columns narrow."""
    number = st.column_config.NumberColumn
    return {
        t("columns.score"): number(format="%.1f", width="small"),
        t("columns.previous_score"): number(format="%.1f", width="small"),
        t("columns.change"): number(format="%+.1f", width="small"),
        t("columns.on_time_rate"): number(format="%.1f%%", width="small"),
        t("columns.share_red"): number(format="%.1f%%", width="small"),
        t("columns.rank"): number(format="%d", width="small"),
        t("columns.handovers"): number(format="%d", width="small"),
        t("columns.high_risk"): number(format="%d", width="small"),
        t("overview.col_top_flags"): st.column_config.TextColumn(width="medium"),
    }


def definitions() -> None:
    lang = current_language()
    with st.expander(t("overview.definitions"), icon=":material/menu_book:"):
        rows = [
            {
                t("overview.figure"): entry[lang],
                t("overview.definition"): definition("figures", key, lang),
            }
            for key, entry in catalogue()["figures"].items()
        ]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        st.markdown(f"**{t('overview.score_formulas')}**")
        for name, formula in explain(data.config(), lang):
            st.markdown(f"- **{name}**: {formula}")


def report(as_of, filters) -> None:
    """The management workbook (dashboard/report.py), built when the button is clicked."""
    actor = current_actor()
    if not actor.may("export"):
        return
    store = data.store()
    build = data.management_report(as_of, data.filters_key(filters), current_language())
    st.download_button(
        t("overview.report"),
        lambda: build_export(store, actor, "management_report", build(), "xlsx"),
        on_click="ignore",
        file_name=f"handover_report_{as_of}.xlsx",
        type="primary",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/summarize:",
        key="management_report",
        help=t("overview.report_help"),
    )


def overview() -> None:
    page_header("overview")
    version, as_of, filters = data.version(), st.session_state.as_of, st.session_state.filters
    stated = data.periods(version, as_of, data.filters_key(filters))
    period_caption(stated, as_of)
    attention(version, as_of, filters)
    kpis(version, as_of, filters)
    trends(version, as_of, filters)
    distribution(version, as_of, filters)
    st.subheader(t("overview.rankings"))
    rankings(version, as_of, filters)
    definitions()
    report(as_of, filters)


overview()
