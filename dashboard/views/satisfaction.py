"""客户满意度 Satisfaction: CSAT, NPS and follow-up after handovers; trends, distributions,
staff and team rankings, the clients' comments, and the responses that need someone."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import data
from dashboard.components import (
    BAND_COLOURS,
    counts_with_rate,
    kpi_tiles,
    page_header,
    style,
    table,
)
from dashboard.i18n import (
    current_language,
    date_column_format,
    fmt_date,
    fmt_month,
    month_ticks,
    t,
)
from dashboard.reasons import response_reason
from dashboard.text import chart_text
from metrics.catalogue import label

FIGURES = ["csat", "nps", "mean_satisfaction", "response_rate"]
FEEDBACK = ["followup_30d_rate", "responses_total", "responses_attributed", "responses_unmatched"]
NPS_COLOURS = {
    "detractor": BAND_COLOURS["red"],
    "passive": BAND_COLOURS["yellow"],
    "promoter": BAND_COLOURS["green"],
}
RATING_COLOURS = ["#d64545", "#ec8a4b", "#e0a526", "#8cc084", "#2e9d5b"]
GROUP_COLUMN = {"staff": "to_staff", "team": "team"}
CHART_ENDS = 10  # a ranking chart of many shows the best and the worst ten


def figure_label(key: str) -> str:
    return label("figures", key, current_language())


def kpis(version, as_of, filters) -> dict:
    values, now, before, (current, previous) = data.figures_with_change(version, as_of, filters)
    st.subheader(t("satisfaction.figures"))
    kpi_tiles(values, FIGURES, now, before, columns=4)
    st.subheader(t("satisfaction.feedback"))
    # the change of the follow-up rate; the response counts cover every response loaded
    kpi_tiles(
        values,
        FEEDBACK,
        {FEEDBACK[0]: now[FEEDBACK[0]]},
        {FEEDBACK[0]: before[FEEDBACK[0]]},
        columns=4,
    )
    st.caption(
        t(
            "satisfaction.delta_note",
            start=fmt_date(current[0]),
            end=fmt_date(current[1]),
            pstart=fmt_date(previous[0]),
            pend=fmt_date(previous[1]),
        )
    )
    return values


def trends(version, as_of, filters) -> None:
    st.subheader(t("satisfaction.trends"))
    months = data.satisfaction_by(version, "month", as_of, data.filters_key(filters))
    if months.empty:
        st.info(t("satisfaction.no_responses"))
        return
    st.caption(t("satisfaction.trend_note"))
    # months as categories worded in the language ("2025年7月" / "Jul 2025"), in order
    months = months.sort_values("month")
    ticks, tick_texts = month_ticks(list(months["month"]), most=6)  # half-width charts
    months = months.assign(month=months["month"].map(fmt_month))
    axis = {
        "title": "",
        "type": "category",
        "categoryorder": "array",
        "categoryarray": list(months["month"]),
        "tickmode": "array",
        "tickvals": ticks,
        "ticktext": tick_texts,
        "tickangle": 0,
    }
    left, right = st.columns(2)
    fig = counts_with_rate(
        months["month"],
        months["responses_attributed"],
        t("satisfaction.responses"),
        months["csat"],
        figure_label("csat"),
        t("satisfaction.csat_axis"),
        105,
    )
    fig.update_layout(yaxis2={"rangemode": "tozero", "tickmode": "auto"}, xaxis=axis)
    left.plotly_chart(style(fig, t("satisfaction.csat_title")), width="stretch")
    fig = go.Figure()
    fig.add_scatter(
        x=months["month"],
        y=months["mean_satisfaction"],
        name=figure_label("mean_satisfaction"),
        mode="lines+markers",
        line={"color": "#2e9d5b", "width": 3},
    )
    fig.add_scatter(
        x=months["month"],
        y=months["nps"],
        name=figure_label("nps"),
        mode="lines+markers",
        line={"color": "#7a5cb8", "dash": "dot"},
        yaxis="y2",
    )
    fig.update_layout(
        yaxis={"title": t("satisfaction.mean_axis"), "range": [1, 5.2]},
        yaxis2={
            "title": t("satisfaction.nps_axis"),
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "range": [-100, 100],
            "tickmode": "array",
            "tickvals": [-100, -50, 0, 50, 100],
        },
        xaxis=axis,
    )
    right.plotly_chart(style(fig, t("satisfaction.mean_title")), width="stretch")


def distributions(responses: pd.DataFrame) -> None:
    st.subheader(t("satisfaction.distributions"))
    if responses.empty:
        st.info(t("satisfaction.no_responses"))
        return
    left, right = st.columns(2)
    ratings = responses["overall_satisfaction"].dropna().round().astype(int)
    counts = ratings.value_counts().reindex(range(1, 6), fill_value=0)
    fig = go.Figure(
        go.Bar(
            x=[t(f"satisfaction.scale.{r}") for r in counts.index],
            y=counts.values,
            marker_color=RATING_COLOURS,
            text=counts.values,
            textposition="outside",
            cliponaxis=False,
            name=t("satisfaction.responses"),
        )
    )
    fig.update_layout(
        xaxis={"title": "", "type": "category"},
        yaxis={"title": t("satisfaction.responses")},
        showlegend=False,
    )
    left.plotly_chart(style(fig, t("satisfaction.rating_title")), width="stretch")
    scored = responses.dropna(subset=["recommend_score"])
    fig = go.Figure()
    for group, colour in NPS_COLOURS.items():
        of_group = scored[scored["nps_group"] == group]["recommend_score"].round().astype(int)
        counts = of_group.value_counts().sort_index()
        fig.add_bar(
            x=counts.index,
            y=counts.values,
            name=t(f"satisfaction.nps_groups.{group}"),
            marker_color=colour,
            text=counts.values,
            textposition="outside",
            cliponaxis=False,
        )
    fig.update_layout(
        xaxis={"title": "", "tickmode": "linear", "tick0": 0, "dtick": 1, "range": [-0.6, 10.6]},
        yaxis={"title": t("satisfaction.responses")},
        barmode="overlay",
    )
    right.plotly_chart(style(fig, t("satisfaction.recommend_title")), width="stretch")


def rankings(version, as_of, filters) -> None:
    st.subheader(t("satisfaction.by_group"))
    minimum = st.number_input(
        t("satisfaction.min_responses"),
        min_value=1,
        max_value=50,
        value=3,
        step=1,
        key="sat_min_responses",
        width=320,
        help=t("satisfaction.min_responses_help"),
    )
    st.caption(t("satisfaction.click_hint"))
    tabs = st.tabs([t("satisfaction.by_staff"), t("satisfaction.by_team")])
    for tab, by in zip(tabs, ("staff", "team"), strict=False):
        with tab:
            ranking(version, as_of, filters, by, int(minimum))


def ranking(version, as_of, filters, by: str, minimum: int) -> None:
    groups = data.satisfaction_by(version, by, as_of, data.filters_key(filters))
    groups = groups[groups["responses_attributed"] > 0]
    frame = groups[groups["responses_attributed"] >= minimum].dropna(subset=["mean_satisfaction"])
    left_out = len(groups) - len(frame)
    if frame.empty:
        st.info(t("common.no_rows"))
        return
    frame = frame.sort_values(
        ["mean_satisfaction", "csat", "responses_attributed"], ascending=False
    ).reset_index(drop=True)
    frame.insert(0, "rank", frame["mean_satisfaction"].rank(ascending=False, method="min"))
    name = t("columns.staff") if by == "staff" else t("columns.team")
    shown = (
        frame
        if len(frame) <= 2 * CHART_ENDS
        else pd.concat([frame.head(CHART_ENDS), frame.tail(CHART_ENDS)])
    )
    shown = shown.iloc[::-1]  # the best on top of a horizontal bar chart
    names = {chart_text(name): name for name in shown[by]}  # names are data: plain text
    fig = go.Figure(
        go.Bar(
            y=list(names),
            x=shown["mean_satisfaction"],
            orientation="h",
            marker_color=[_colour(v) for v in shown["mean_satisfaction"]],
            text=[f"{v:.2f}" for v in shown["mean_satisfaction"]],
            textposition="outside",
            cliponaxis=False,
            customdata=shown[["csat", "nps", "responses_attributed"]].values,
            hovertemplate=(
                f"%{{y}}<br>{figure_label('mean_satisfaction')}: %{{x:.2f}}<br>"
                f"{figure_label('csat')}: %{{customdata[0]:.1f}}%<br>"
                f"{figure_label('nps')}: %{{customdata[1]:+.0f}}<br>"
                f"{t('satisfaction.responses')}: %{{customdata[2]}}<extra></extra>"
            ),
        )
    )
    fig.update_layout(
        xaxis={"title": t("satisfaction.mean_axis"), "range": [0, 5.4]},
        yaxis={"title": name, "type": "category"},
        showlegend=False,
    )
    height = max(260, 28 * len(shown) + 90)
    event = st.plotly_chart(
        style(fig, t(f"satisfaction.group_title_{by}"), height=height),
        width="stretch",
        key=f"sat_chart_{by}",
        on_select="rerun",
        selection_mode="points",
    )
    _pick_from_chart(event, by, names)
    if len(frame) > 2 * CHART_ENDS:
        st.caption(t("satisfaction.chart_ends", n=CHART_ENDS, total=len(frame)))
    columns = [
        "rank",
        by,
        "responses_attributed",
        "mean_satisfaction",
        "csat",
        "nps",
        "handovers_completed",
        "response_rate",
        "followup_30d_rate",
    ]
    labels = {"rank": t("columns.rank"), by: name, **{c: figure_label(c) for c in columns[2:]}}
    table(
        frame[columns],
        f"satisfaction_by_{by}",
        labels=labels,
        key=f"sat_table_{by}",
        column_config=_formats(labels),
    )
    if left_out:
        st.caption(t("satisfaction.left_out", n=left_out, min=minimum))


def _colour(mean: float) -> str:
    return (
        BAND_COLOURS["green"]
        if mean >= 4
        else BAND_COLOURS["yellow"]
        if mean >= 3
        else BAND_COLOURS["red"]
    )


def _formats(labels: dict[str, str]) -> dict:
    number = st.column_config.NumberColumn
    formats = {
        "rank": number(format="%d"),
        "mean_satisfaction": number(format="%.2f"),
        "csat": number(format="%.1f%%"),
        "nps": number(format="%+.0f"),
        "response_rate": number(format="percent"),
        "followup_30d_rate": number(format="percent"),
        "responses_attributed": number(format="%d"),
        "handovers_completed": number(format="%d"),
    }
    return {labels[k]: v for k, v in formats.items() if k in labels}


def _pick_from_chart(event, by: str, names: dict[str, str]) -> None:
    """A click on a bar chooses that staff member or team in the comments' filter, once per
    new click (the chart keeps its selection across reruns). ``names``: the chart's category
    (escaped) to the name."""
    points = list(getattr(getattr(event, "selection", None), "points", None) or [])
    picked = tuple(
        names.get(str(p.get("y")), str(p.get("y"))) for p in points if p.get("y") is not None
    )
    if picked != st.session_state.get(f"sat_picked_{by}"):
        st.session_state[f"sat_picked_{by}"] = picked
        if picked:
            st.session_state[f"sat_filter_{by}"] = picked[0]


def comments(responses: pd.DataFrame) -> None:
    st.subheader(t("satisfaction.comments"))
    rows = responses.dropna(subset=["comment"])
    rows = rows[rows["comment"].astype(str).str.strip() != ""]
    search, staff, team = st.columns([2, 1, 1])
    query = search.text_input(t("satisfaction.search"), key="sat_search")
    choices: dict[str, str] = {}
    every = t("satisfaction.all")
    for cell, by in ((staff, "staff"), (team, "team")):
        options: list[str] = [""] + sorted(responses[GROUP_COLUMN[by]].dropna().unique().tolist())
        if st.session_state.get(f"sat_filter_{by}") not in options:
            st.session_state[f"sat_filter_{by}"] = ""
        choices[by] = cell.selectbox(
            t(f"common.{by}"), options, key=f"sat_filter_{by}", format_func=lambda v: v or every
        )
    low_only = st.toggle(t("satisfaction.low_only"), key="sat_low_only")
    for by, chosen in choices.items():
        if chosen:
            rows = rows[rows[GROUP_COLUMN[by]] == chosen]
    if low_only:
        rows = rows[rows["overall_satisfaction"] <= 2]
    if query and not rows.empty:
        text = (
            rows[["company_name", "to_staff", "team", "comment", "handover_id", "client_id"]]
            .astype(str)
            .agg(" ".join, axis=1)
        )
        rows = rows[text.str.contains(query.strip(), case=False, regex=False)]
    st.caption(t("satisfaction.comments_count", n=len(rows)))
    rows = rows.assign(
        overall_satisfaction=rows["overall_satisfaction"].map(lambda v: _score(v, " ★")),
        recommend_score=rows["recommend_score"].map(_score),
        **{c: rows[c].map(_text) for c in ("company_name", "to_staff", "team", "handover_id")},
    )
    columns = [
        "submitted_at",
        "company_name",
        "to_staff",
        "team",
        "overall_satisfaction",
        "recommend_score",
        "comment",
        "handover_id",
    ]
    labels = {
        c: t(f"satisfaction.columns.{c}")
        if c in ("submitted_at", "overall_satisfaction", "recommend_score", "comment")
        else t(f"columns.{c}")
        for c in columns
    } | {"to_staff": t("columns.staff")}
    table(
        rows[columns],
        "satisfaction_comments",
        labels=labels,
        key="sat_comments",
        height=min(360, 38 + 35 * max(len(rows), 1)),
        column_config={
            labels["submitted_at"]: st.column_config.DatetimeColumn(
                format=date_column_format(time=True)
            ),
            labels["comment"]: st.column_config.TextColumn(width="large"),
        },
    )


def to_resolve(version) -> None:
    st.subheader(t("satisfaction.todo"))
    st.caption(t("satisfaction.todo_note"))
    unmatched = data.responses(version, "unmatched")
    unattributed = data.responses(version, "unattributed")
    if unmatched.empty and unattributed.empty:
        st.success(t("satisfaction.nothing_to_do"), icon=":material/check_circle:")
        return
    tabs = st.tabs(
        [
            t("satisfaction.unmatched", n=len(unmatched)),
            t("satisfaction.unattributed", n=len(unattributed)),
        ]
    )
    given = ["given_client_id", "given_company_name", "given_uscc", "given_contact_phone"]
    for tab, frame, kind, reason in (
        (tabs[0], unmatched, "unmatched", "unmatched_code"),
        (tabs[1], unattributed, "unattributed", "unattributed_code"),
    ):
        with tab:
            if frame.empty:
                st.info(t("satisfaction.nothing_to_do"))
                continue
            shown = frame.assign(
                why=frame[reason].map(_reason),
                source_tool=frame["source_tool"].map(_tool),
                overall_satisfaction=frame["overall_satisfaction"].map(_score),
                recommend_score=frame["recommend_score"].map(_score),
                **{c: frame[c].map(_text) for c in [*given, "client_id"]},
            )
            columns = [
                "submitted_at",
                "why",
                "source_tool",
                *given,
                *(["client_id"] if kind == "unattributed" else []),
                "overall_satisfaction",
                "recommend_score",
            ]
            labels = {c: t(f"satisfaction.columns.{c}") for c in columns if c != "client_id"}
            labels["client_id"] = t("satisfaction.columns.matched_client")
            table(
                shown[columns],
                f"feedback_{kind}",
                labels=labels,
                key=f"sat_{kind}",
                mask_columns={"given_contact_phone": "contact_phone", "given_uscc": "uscc"},
                column_config={
                    labels["submitted_at"]: st.column_config.DatetimeColumn(
                        format=date_column_format(time=True)
                    ),
                    labels["why"]: st.column_config.TextColumn(width="large"),
                },
            )


def _score(value, suffix: str = "") -> str | None:
    """A rating as people read it; None (shown as "—") when the response did not answer."""
    return None if value is None or pd.isna(value) else f"{value:.0f}{suffix}"


def _text(value) -> str | None:
    """A name as written; None (shown as "—") for no value."""
    return value if isinstance(value, str) and value.strip() else None


def _reason(code) -> str:
    return response_reason(code, current_language()) or "—"


def _tool(code) -> str:
    try:
        return t(f"satisfaction.tools.{code}")
    except KeyError:
        return code or "—"


def satisfaction() -> None:
    page_header("satisfaction")
    version, as_of, filters = data.version(), st.session_state.as_of, st.session_state.filters
    kpis(version, as_of, filters)
    trends(version, as_of, filters)
    responses = data.attributed_responses(version, as_of, data.filters_key(filters))
    distributions(responses)
    rankings(version, as_of, filters)
    comments(responses)
    if not data.is_scoped():  # unmatched responses belong to the firm, to no team or person
        to_resolve(version)


satisfaction()
