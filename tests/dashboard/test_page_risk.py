"""AppTest: 风险预警 Risk, in both languages and for each role that may open it. The
early-warning list is the open handovers with a flag, ranked by risk points then days
overdue; the recent ranking, the critical flags and the charts agree with metrics/."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dashboard.i18n import t
from metrics.catalogue import label
from metrics.config import CRITICAL_FLAGS
from metrics.scores import compute_scores
from metrics.selection import Filters
from pipelines.store import Store
from sample_data.generator import SAMPLE_AS_OF
from tests.dashboard.conftest import array, by_key, chart_figures, every_page, open_page


def tables(at) -> list:
    return [d.value for d in at.dataframe]


def early_and_ranked(at, lang: str):
    """The early-warning table (it has days overdue) and the ranking (it has the band)."""
    overdue, band = t("risk.columns.days_overdue", lang), t("columns.band", lang)
    early = [f for f in tables(at) if overdue in f.columns]
    ranked = [f for f in tables(at) if band in f.columns]
    assert len(early) == 1 and len(ranked) == 1
    return early[0], ranked[0]


@pytest.fixture(scope="module")
def scores(sample_db):
    return compute_scores(Store(sample_db), SAMPLE_AS_OF, Filters())


@pytest.mark.parametrize("role", ["management", "quality"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_renders_with_the_open_handovers_at_risk(dashboard_env, scores, monkeypatch, role, lang):
    at = open_page("risk", lang, role, monkeypatch)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == t("risk.title", lang)
    at_risk = scores[~scores["is_completed"] & (scores["flags"].map(len) > 0)]
    tiles = {m.label: m.value for m in at.metric}
    assert tiles[t("risk.at_risk_now", lang)] == str(len(at_risk))
    early, ranked = early_and_ranked(at, lang)
    assert set(early[t("columns.handover_id", lang)]) == set(at_risk["handover_id"])
    assert len(ranked) > 0
    # flags are shown by their names, never by their codes
    shown = " ".join(early[t("columns.flags", lang)]) + " ".join(ranked[t("columns.flags", lang)])
    assert label("flags", "overdue", lang) in shown and "overdue" not in shown.split()
    drawn = chart_figures(at)
    heatmap = drawn[t("risk.heatmap_title", lang)]["data"][0]
    assert heatmap["type"] == "heatmap" and array(heatmap["z"]).sum() > 0
    assert label("flags", "overdue", lang) in heatmap["x"]
    counts = drawn[t("risk.counts_title", lang)]["data"]
    assert sum(array(bar["x"]).sum() for bar in counts) == array(heatmap["z"]).sum()


def test_early_warning_ranks_by_risk_points_then_days_overdue(dashboard_env, monkeypatch):
    at = open_page("risk", "en", "management", monkeypatch)
    early, ranked = early_and_ranked(at, "en")
    order = list(zip(early["Risk points"], early["Days overdue"], strict=False))
    assert order == sorted(order, reverse=True)
    assert list(ranked["Risk points"]) == sorted(ranked["Risk points"], reverse=True)
    assert (ranked["Flags"] != "").all()  # "only handovers with flags" is on


def test_recent_window_and_critical_flags(dashboard_env, scores, monkeypatch):
    # in Chinese: AppTest formats a segmented control's choice outside the page's run,
    # where the language is the default one
    at = open_page("risk", "zh", "management", monkeypatch)
    start = SAMPLE_AS_OF - timedelta(days=89)
    recent = scores[~scores["is_completed"] | (scores["actual_end"].dt.date >= start)]
    critical = recent[recent["flags"].map(lambda f: bool(set(f) & set(CRITICAL_FLAGS)))]
    tiles = {m.label: m.value for m in at.metric}
    assert tiles[t("risk.critical", "zh")] == str(len(critical))
    assert tiles[t("risk.high_risk", "zh")] == str(int((recent["risk_level"] == "high").sum()))
    _, ranked = early_and_ranked(at, "zh")
    assert set(ranked[t("columns.handover_id", "zh")]) == set(
        recent.loc[recent["flags"].map(len) > 0, "handover_id"]
    )
    # the sample has recent handovers with critical flags (else this test proves nothing)
    assert len(critical) > 0
    assert at.error and at.error[0].value.startswith(f"{len(critical)} 个近期交接")
    marked = ranked[ranked[t("columns.flags", "zh")].str.contains("⚠")]
    assert set(marked[t("columns.handover_id", "zh")]) == set(critical["handover_id"])
    # every handover, every row, flagged or not
    by_key(at.button_group, "risk_window").set_value(0)
    by_key(at.button_group, "risk_limit").set_value(0)
    by_key(at.toggle, "risk_only_flagged").set_value(False)
    at.run()
    ranked = every_page(at, "risk_ranked", lambda at: early_and_ranked(at, "zh")[1])
    assert len(ranked) == len(scores)
    assert set(ranked[t("columns.handover_id", "zh")]) == set(scores["handover_id"])


def test_the_limit_keeps_the_riskiest(dashboard_env, monkeypatch):
    at = open_page("risk", "zh", "management", monkeypatch)
    by_key(at.button_group, "risk_window").set_value(0)
    by_key(at.button_group, "risk_limit").set_value(50)
    at.run()
    _, ranked = early_and_ranked(at, "zh")
    assert len(ranked) == 50
    assert any(c.value.startswith("显示风险最高的 50 个") for c in at.caption)


def test_operations_may_not_open_it(dashboard_env, monkeypatch):
    at = open_page("handovers", role="operations")
    with pytest.raises(ValueError, match=r"navigation page for '.*views/risk\.py'"):
        at.switch_page("views/risk.py").run()


def test_dates_are_chinese_and_nothing_reads_none(dashboard_env, monkeypatch):
    import json

    from tests.dashboard.test_page_handovers import assert_no_none

    at = open_page("risk", "zh", "management", monkeypatch)
    start = SAMPLE_AS_OF - timedelta(days=89)
    assert any(
        c.value.startswith(f"近期交接：{start.year}年{start.month}月{start.day}日")
        for c in at.caption
    )
    assert_no_none(at)
    formats = [
        spec["type_config"]["format"]
        for d in at.dataframe
        if d.proto.columns
        for spec in json.loads(d.proto.columns).values()
        if spec.get("type_config", {}).get("type") in ("date", "datetime")
    ]
    assert formats and all("年" in f for f in formats)


def test_a_lists_download_holds_every_listed_row_read_outside_the_session(
    dashboard_env, scores, monkeypatch
):
    """The page reads a page of rows; a download reads all the list's rows (up to the
    limit) when clicked, in a thread of its own: here called after the run, outside it."""
    from dashboard import components

    made: dict = {}
    monkeypatch.setattr(
        components, "downloads", lambda frame, name, key: made.setdefault(key, frame)
    )
    at = open_page("risk", "zh", "management", monkeypatch)
    by_key(at.button_group, "risk_window").set_value(0)
    by_key(at.button_group, "risk_limit").set_value(0)
    by_key(at.toggle, "risk_only_flagged").set_value(False)
    made.clear()
    at.run()
    assert not at.exception, at.exception
    shown = early_and_ranked(at, "zh")[1]
    whole = made["risk_ranked"]()
    assert len(shown) < len(whole) == len(scores)
    ids = whole[t("columns.handover_id", "zh")]
    assert list(ids.iloc[: len(shown)]) == list(shown[t("columns.handover_id", "zh")])
    assert set(ids) == set(scores["handover_id"])
    flagged = scores.loc[scores["flags"].map(len) > 0, "handover_id"]
    reasons = whole.set_index(t("columns.handover_id", "zh"))[t("risk.columns.reasons", "zh")]
    assert (reasons[list(flagged)] != "").all()  # every flagged row's reasons worded


def test_a_firm_of_many_teams_gets_a_heat_map_of_its_most_flagged_teams():
    """40 teams: the heat map draws the 15 with the most flags (in the teams' order) and says
    so; the bars beside it still count every team, and their height does not grow with the
    number of teams."""
    from streamlit.testing.v1 import AppTest

    def page():
        import pandas as pd

        from dashboard.risk_charts import flag_charts

        rows = [
            (f"T{i:02d}", flag, i + (5 if flag == "overdue" else 0))
            for i in range(40)
            for flag in ("overdue", "no_nda")
        ]
        flag_charts(pd.DataFrame(rows, columns=["team", "flag", "handovers"]))

    at = AppTest.from_function(page, default_timeout=30).run()
    assert not at.exception, [e.value for e in at.exception]
    drawn = chart_figures(at)
    heatmap = drawn[t("risk.heatmap_title", "zh")]
    assert list(heatmap["data"][0]["y"]) == [f"T{i:02d}" for i in range(25, 40)]
    bars = drawn[t("risk.counts_title", "zh")]
    assert sum(array(bar["x"]).sum() for bar in bars["data"]) == sum(2 * i + 5 for i in range(40))
    assert heatmap["layout"]["height"] == bars["layout"]["height"] == 60 * 15 + 200
    assert t("risk.heatmap_most_flagged", "zh", n=15, total=40) in [c.value for c in at.caption]
