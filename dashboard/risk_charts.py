"""The risk page's charts: flags raised by team (a heat map) and in all (bars), drawn from
the handovers per team and flag (metrics.views.flag_counts). A module of its own so that
tests draw them without running the page."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.components import RISK_COLOURS, style
from dashboard.i18n import current_language, t
from dashboard.text import chart_text
from metrics.catalogue import label
from metrics.config import CRITICAL_FLAGS, FLAGS

HEATMAP_TEAMS = 15  # teams in the heat map at most: those with the most flags raised
CRITICAL_COLOUR, OTHER_COLOUR = RISK_COLOURS["high"], RISK_COLOURS["medium"]


def flag_label(flag: str, mark: bool = True, lang: str | None = None) -> str:
    text = label("flags", flag, lang or current_language())
    return f"⚠ {text}" if mark and flag in CRITICAL_FLAGS else text


def most_flagged(grid: pd.DataFrame, limit: int) -> pd.DataFrame:
    """The ``limit`` teams (rows) with the most flags raised, in their order in ``grid``
    (ties: the team named first). A firm of 200 teams would draw a heat map 12,000 pixels
    high that nobody reads and the browser takes a second to lay out."""
    if len(grid) <= limit:
        return grid
    totals = grid.sum(axis=1)
    order = sorted(range(len(grid)), key=lambda i: (-totals.iloc[i], str(grid.index[i])))
    return grid.iloc[sorted(order[:limit])]


def flag_charts(counts: pd.DataFrame) -> None:
    """The flags raised by team (heat map) and in all (bars), from the handovers per team
    and flag (metrics.views.flag_counts)."""
    st.subheader(t("risk.by_flag"))
    if counts.empty:
        st.info(t("risk.no_flags"))
        return
    counts = counts.assign(team=counts["team"].fillna("—"))
    present = [f for f in FLAGS if f in set(counts["flag"])]
    left, right = st.columns([3, 2])
    grid = counts.pivot_table(
        index="team", columns="flag", values="handovers", aggfunc="sum", fill_value=0
    ).reindex(columns=present, fill_value=0)
    teams = len(grid)
    grid = most_flagged(grid, HEATMAP_TEAMS)
    fig = go.Figure(
        go.Heatmap(
            z=grid.values,
            x=[flag_label(f) for f in grid.columns],
            y=[chart_text(team) for team in grid.index],  # teams are data: plain text
            colorscale="Reds",
            texttemplate="%{z}",
            hoverongaps=False,
            colorbar={"title": {"text": t("risk.count_axis")}},
            hovertemplate="%{y} · %{x}: %{z}<extra></extra>",
        )
    )
    fig.update_layout(
        xaxis={"title": t("risk.flag_axis"), "tickangle": -30},
        yaxis={"title": t("columns.team"), "autorange": "reversed"},
    )
    height = max(320, 60 * len(grid) + 200)
    left.plotly_chart(style(fig, t("risk.heatmap_title"), height=height), width="stretch")
    if teams > len(grid):
        left.caption(t("risk.heatmap_most_flagged", n=len(grid), total=teams))
    counts = counts.groupby("flag")["handovers"].sum().reindex(present).sort_values()
    fig = go.Figure()
    for critical, colour, name in (
        (True, CRITICAL_COLOUR, t("risk.critical_legend")),
        (False, OTHER_COLOUR, t("risk.other_legend")),
    ):
        part = counts[[(f in CRITICAL_FLAGS) == critical for f in counts.index]]
        fig.add_bar(
            y=[flag_label(f) for f in part.index],
            x=part.values,
            orientation="h",
            marker_color=colour,
            name=name,
            text=part.values,
            textposition="outside",
            cliponaxis=False,
        )
    fig.update_layout(
        xaxis={
            "title": t("risk.count_axis"),  # room for the longest bar's label
            "range": [0, max(1, counts.max()) * 1.2],
        },
        yaxis={
            "title": "",
            "categoryorder": "array",
            "categoryarray": [flag_label(f) for f in counts.index],
        },
        barmode="overlay",
    )
    right.plotly_chart(style(fig, t("risk.counts_title"), height=height), width="stretch")
