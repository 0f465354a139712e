"""AppTest: 客户满意度 Satisfaction, in both languages and for each role that may open it.
Tiles and rankings equal what metrics/ computes; the comments filter; the responses to
resolve, with confidential values masked by role."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.i18n import t
from metrics.catalogue import format_value, label
from metrics.figures import compute_figures
from metrics.selection import Filters
from metrics.views import satisfaction_by
from pipelines.feedback.ingest import ingest_feedback
from pipelines.store import Store
from sample_data.generator import SAMPLE_AS_OF
from tests.conftest import write_csv
from tests.dashboard.conftest import array, by_key, chart_figures, open_page

PHONE, USCC = "13912345678", "91310000MA1K3X2Y4N"


@pytest.fixture(scope="module")
def with_unmatched(sample_db: Path, tmp_path_factory) -> Path:
    """The sample plus a response naming a client by a phone and a USCC nobody has."""
    rows = [
        [
            "client_id",
            "uscc",
            "contact_phone",
            "submitted_at",
            "overall_satisfaction",
            "recommend_score",
            "comment",
        ],
        ["", USCC, PHONE, "2026-10-01 10:00", "2", "3", "没人跟进"],
    ]
    path = write_csv(tmp_path_factory.mktemp("feedback") / "unknown.csv", rows)
    ingest_feedback(Store(sample_db), path, source="template")
    return sample_db


@pytest.fixture
def env(with_unmatched, dashboard_env):
    return with_unmatched


def frame_with(at, *labels: str, without: str | None = None):
    """The one table on the page that has all these column labels (and not ``without``)."""
    found = [
        d.value
        for d in at.dataframe
        if set(labels) <= set(d.value.columns) and without not in d.value.columns
    ]
    assert len(found) == 1, f"{len(found)} tables with {labels}"
    return found[0]


@pytest.mark.parametrize("role", ["management", "operations"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_renders_with_the_figures_of_metrics(env, monkeypatch, role, lang):
    at = open_page("satisfaction", lang, role, monkeypatch)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == t("satisfaction.title", lang)
    expected = compute_figures(Store(env), SAMPLE_AS_OF, Filters())
    tiles = {m.label: m.value for m in at.metric}
    for key in (
        "csat",
        "nps",
        "mean_satisfaction",
        "response_rate",
        "followup_30d_rate",
        "responses_unmatched",
    ):
        assert tiles[label("figures", key, lang)] == format_value(key, expected[key], lang)
    drawn = chart_figures(at)
    for title in (
        "csat_title",
        "mean_title",
        "rating_title",
        "recommend_title",
        "group_title_staff",
        "group_title_team",
    ):
        traces = drawn[t(f"satisfaction.{title}", lang)]["data"]
        assert traces and all(len(array(trace["x"])) for trace in traces), title
    comments = frame_with(at, t("satisfaction.columns.comment", lang))
    assert len(comments) > 10
    assert comments[t("satisfaction.columns.submitted_at", lang)].is_monotonic_decreasing


def test_rankings_equal_the_figures_of_each_staff_member_and_team(env, monkeypatch):
    at = open_page("satisfaction", "en", "management", monkeypatch)
    store = Store(env)
    for _by, field, name in (
        ("staff", "staff", t("columns.staff", "en")),
        ("team", "teams", t("columns.team", "en")),
    ):
        ranked = frame_with(at, name, "Mean satisfaction", "CSAT")
        assert len(ranked) > 0
        assert ranked["Mean satisfaction"].is_monotonic_decreasing
        for row in ranked.head(4).to_dict("records"):
            figures = compute_figures(store, SAMPLE_AS_OF, Filters(**{field: (row[name],)}))
            assert row["Mean satisfaction"] == pytest.approx(figures["mean_satisfaction"])
            assert row["CSAT"] == pytest.approx(figures["csat"])
            assert row["NPS"] == pytest.approx(figures["nps"])
            assert row["Attributed responses"] == figures["responses_attributed"]
            assert row["Response rate"] == pytest.approx(figures["response_rate"])
    # every group, not only those shown, against the figure files
    frame = satisfaction_by(store, "staff", SAMPLE_AS_OF, Filters())
    for row in frame.to_dict("records"):
        figures = compute_figures(store, SAMPLE_AS_OF, Filters(staff=(row["staff"],)))
        for key in (
            "responses_attributed",
            "csat",
            "mean_satisfaction",
            "nps",
            "handovers_completed",
            "response_rate",
            "followup_30d_rate",
        ):
            if figures[key] is None:
                assert row[key] != row[key], (row["staff"], key)  # NaN: no data
            else:
                assert row[key] == pytest.approx(figures[key]), (row["staff"], key)


def test_a_staff_member_search_and_low_ratings_filter_the_comments(env, monkeypatch):
    at = open_page("satisfaction", "zh", "management", monkeypatch)
    column = t("satisfaction.columns.comment", "zh")
    everyone = frame_with(at, column)
    staff = everyone[t("columns.staff", "zh")].value_counts().index[0]
    by_key(at.selectbox, "sat_filter_staff").set_value(staff)
    at.run()
    chosen = frame_with(at, column)
    assert 0 < len(chosen) < len(everyone)
    assert set(chosen[t("columns.staff", "zh")]) == {staff}
    by_key(at.selectbox, "sat_filter_staff").set_value("")
    word = everyone[column].iloc[0][:4]
    by_key(at.text_input, "sat_search").input(word)
    at.run()
    found = frame_with(at, column)
    assert len(found) >= 1 and found[column].str.contains(word, regex=False).all()
    by_key(at.text_input, "sat_search").input("")
    by_key(at.toggle, "sat_low_only").set_value(True)
    at.run()
    low = frame_with(at, column)
    rating = t("satisfaction.columns.overall_satisfaction", "zh")
    assert len(low) >= 1 and low[rating].isin(["1 ★", "2 ★"]).all()


@pytest.mark.parametrize(
    ("role", "phone", "uscc"),
    [
        ("management", "139****5678", "9131************4N"),
        ("operations", PHONE, "9131************4N"),
    ],
)
def test_unmatched_responses_with_the_reason_masked_by_role(env, monkeypatch, role, phone, uscc):
    at = open_page("satisfaction", "zh", role, monkeypatch)
    unmatched = frame_with(
        at,
        t("satisfaction.columns.given_contact_phone", "zh"),
        t("satisfaction.columns.why", "zh"),
        without=t("satisfaction.columns.matched_client", "zh"),
    )
    ours = unmatched[unmatched[t("satisfaction.columns.given_contact_phone", "zh")].notna()]
    assert len(ours) == 1
    row = ours.iloc[0]
    assert row[t("satisfaction.columns.given_contact_phone", "zh")] == phone
    assert row[t("satisfaction.columns.given_uscc", "zh")] == uscc
    assert row[t("satisfaction.columns.why", "zh")] == t(
        "response_reasons.unmatched.unknown_client", "zh"
    )
    unattributed = frame_with(at, t("satisfaction.columns.matched_client", "zh"))
    assert len(unattributed) == 4
    assert set(unattributed[t("satisfaction.columns.why", "zh")]) == {
        t("response_reasons.unattributed.no_handover", "zh")
    }


def test_quality_may_not_open_it(env, monkeypatch):
    at = open_page("handovers", role="quality")
    # the page is not in the quality role's navigation at all
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("views/satisfaction.py").run()


def test_months_are_chinese_and_nothing_reads_none(env, monkeypatch):
    import re

    from tests.dashboard.test_page_handovers import assert_no_none

    at = open_page("satisfaction", "zh", "management", monkeypatch)
    drawn = chart_figures(at)
    for title in ("csat_title", "mean_title"):
        figure = drawn[t(f"satisfaction.{title}", "zh")]
        assert figure["layout"]["xaxis"]["type"] == "category"
        months = [x for trace in figure["data"] for x in trace["x"]]
        assert months and all(re.fullmatch(r"\d{4}年\d{1,2}月", m) for m in months), months
        assert figure["layout"]["xaxis"]["categoryarray"] == list(dict.fromkeys(months))
        ticks = figure["layout"]["xaxis"]["ticktext"]  # short: the year where it changes
        assert re.fullmatch(r"\d{4}年\d{1,2}月", ticks[0]) and len(ticks) <= 9
        assert all(re.fullmatch(r"(\d{4}年)?\d{1,2}月", tick) for tick in ticks)
    note = next(c.value for c in at.caption if c.value.startswith("指标为所选范围内"))
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", note) and not re.search(r"\d{4}-\d{2}", note)
    assert_no_none(at)
    english = open_page("satisfaction", "en", "management", monkeypatch)
    figure = chart_figures(english)[t("satisfaction.csat_title", "en")]
    assert all(re.fullmatch(r"[A-Z][a-z]{2} \d{4}", m) for m in figure["data"][0]["x"])
    assert all(
        re.fullmatch(r"[A-Z][a-z]{2}( \d{4})?", m) for m in figure["layout"]["xaxis"]["ticktext"]
    )
