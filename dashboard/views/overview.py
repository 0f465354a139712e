"""总览 Overview: the figures with their change, trends, score distribution, rankings."""

from __future__ import annotations


import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from dashboard import data
from dashboard.components import BAND_COLOURS, kpi_tiles, page_header, style, table
from dashboard.exports import build_export
from dashboard.i18n import current_language, t
from dashboard.roles import current_actor
from metrics.catalogue import catalogue, format_value, label
from metrics.formulas import explain
from metrics.rollups import periods

GROUPS = {
    "overview.efficiency": ["handovers_total", "handovers_completed", "on_time_rate",
                            "mean_duration_days", "overdue_open"],
    "overview.quality": ["checklist_coverage", "discrepancy_fix_rate", "access_revoked_24h_rate",
                         "followup_30d_rate"],
    "overview.satisfaction": ["csat", "mean_satisfaction", "nps", "response_rate"],
    "overview.feedback_and_risk": ["responses_total", "responses_unmatched",
                                   "responses_attributed", "churn_90d_rate"],
}


def kpis(version, as_of, filters) -> dict:
    values, now, before, (current, previous) = data.figures_with_change(version, as_of, filters)
    st.caption(t("overview.delta_note", start=current[0], end=current[1],
                 pstart=previous[0], pend=previous[1]))
    for group, keys in GROUPS.items():
        st.subheader(t(group))
        kpi_tiles(values, keys, now, before, columns=5 if len(keys) == 5 else 4)
    return values


def trends(version, as_of, filters) -> None:
    months = data.rollup(version, "month", as_of, data.filters_key(filters))
    if months.empty:
        return
    left, right = st.columns(2)
    fig = go.Figure()
    fig.add_bar(x=months["month"], y=months["handovers"], name=t("columns.handovers"),
                marker_color="#b9cde8", yaxis="y2")
    fig.add_scatter(x=months["month"], y=months["score"], name=t("columns.score"),
                    mode="lines+markers", line={"color": "#2f6db5", "width": 3})
    fig.update_layout(yaxis={"title": t("columns.score"), "range": [0, 100]},
                      yaxis2={"title": t("columns.handovers"), "overlaying": "y",
                              "side": "right", "showgrid": False},
                      xaxis={"title": t("columns.month")})
    left.plotly_chart(style(fig, t("overview.trend_title")), width="stretch")
    rates = months.melt(id_vars="month", value_vars=["on_time_rate", "share_red"],
                        var_name="measure", value_name="share")
    rates["measure"] = rates["measure"].map(lambda m: t(f"columns.{m}"))
    fig = px.line(rates, x="month", y="share", color="measure", markers=True,
                  labels={"month": t("columns.month"), "share": t("overview.share"),
                          "measure": ""})
    fig.update_yaxes(tickformat=".0%", range=[0, 1])
    right.plotly_chart(style(fig, t("overview.rates_title")), width="stretch")


def distribution(version, as_of, filters) -> pd.DataFrame:
    scores = data.scores(version, as_of, data.filters_key(filters))
    if scores.empty:
        return scores
    shown = scores.assign(band_label=scores["band"].map(lambda b: t(f"bands.{b}") if b else "—"))
    fig = px.histogram(shown, x="score", color="band_label", nbins=20,
                       color_discrete_map={t(f"bands.{b}"): c for b, c in BAND_COLOURS.items()},
                       labels={"score": t("columns.score"), "band_label": t("columns.band"),
                               "count": t("columns.handovers")})
    fig.update_layout(bargap=0.05, yaxis_title=t("columns.handovers"))
    st.plotly_chart(style(fig, t("overview.distribution_title")), width="stretch")
    return scores


def rankings(version, as_of, filters) -> dict[str, pd.DataFrame]:
    frames = {}
    tabs = st.tabs([t("overview.by_staff"), t("overview.by_team")])
    for tab, by in zip(tabs, ("staff", "team")):
        with tab:
            frame = data.rollup(version, by, as_of, data.filters_key(filters))
            columns = ["rank", by, "handovers", "score", "previous_score", "change", "trend",
                       "on_time_rate", "share_red", "high_risk"]
            frames[by] = frame[columns] if not frame.empty else frame
            if frame.empty:
                st.info(t("common.no_rows"))
                continue
            table(frame[columns], f"ranking_{by}", key=f"rank_{by}",
                  labels={c: t(f"columns.{c}") for c in columns},
                  column_config=_ranking_format())
    current, previous = periods(as_of, filters)
    st.caption(t("overview.ranking_note", start=current[0], end=current[1]))
    return frames


def _ranking_format() -> dict:
    number = st.column_config.NumberColumn
    return {t("columns.score"): number(format="%.1f"),
            t("columns.previous_score"): number(format="%.1f"),
            t("columns.change"): number(format="%+.1f"),
            t("columns.on_time_rate"): number(format="percent"),
            t("columns.share_red"): number(format="percent"),
            t("columns.rank"): number(format="%d")}


def definitions() -> None:
    lang = current_language()
    with st.expander(t("overview.definitions"), icon=":material/menu_book:"):
        rows = [{t("overview.figure"): f"{entry[lang]} ({key})",
                 t("overview.definition"): entry["definition"]}
                for key, entry in catalogue()["figures"].items()]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        st.markdown(f"**{t('overview.score_formulas')}**")
        for name, formula in explain(data.config(), lang):
            st.markdown(f"- **{name}**: {formula}")


def report(values: dict, scores: pd.DataFrame, frames: dict[str, pd.DataFrame], as_of) -> None:
    lang = current_language()
    summary = pd.DataFrame([{t("overview.figure"): label("figures", k, lang), "key": k,
                             t("overview.value"): format_value(k, v, lang)}
                            for k, v in values.items()])
    ranked = scores.sort_values("score", ascending=False) if not scores.empty else scores
    sheets = {t("overview.sheet_summary"): summary,
              t("overview.sheet_handovers"): ranked,
              **{t(f"overview.by_{k}"): v for k, v in frames.items()}}
    actor = current_actor()
    if not actor.may("export"):
        return
    store = data.store()
    st.download_button(t("overview.report"),
                       lambda: build_export(store, actor, "management_report", sheets, "xlsx"),
                       on_click="ignore",
                       file_name=f"handover_report_{as_of}.xlsx", type="primary",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       icon=":material/summarize:", key="management_report")


def overview() -> None:
    page_header("overview")
    version, as_of, filters = data.version(), st.session_state.as_of, st.session_state.filters
    values = kpis(version, as_of, filters)
    trends(version, as_of, filters)
    scores = distribution(version, as_of, filters)
    st.subheader(t("overview.rankings"))
    frames = rankings(version, as_of, filters)
    definitions()
    report(values, scores, frames, as_of)


overview()
