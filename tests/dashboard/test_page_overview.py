"""AppTest: 总览 Overview answers management (issue 11, item 2) in both languages: the stated
period, the lowest-scoring team with a button to its red handovers, the rankings (with the
weakest sub-score and the top flags, those below the minimum listed apart, a row opening
the handovers page), no "None" anywhere, and the management workbook (localised sheets and
headers, rounded numbers, handovers ordered by risk, a sheet per team)."""

from __future__ import annotations

import io
from dataclasses import astuple
from datetime import date

import pandas as pd
import pytest
from openpyxl import load_workbook

from dashboard.i18n import fmt_date, t
from metrics.config import Config, save_config
from metrics.figures import FIGURE_KEYS
from metrics.rollups import lowest, rollup, stated_periods
from metrics.scores import compute_scores
from metrics.selection import Filters
from pipelines.access import Actor
from pipelines.store import Store
from sample_data.generator import SAMPLE_AS_OF
from tests.dashboard.conftest import by_key, open_page


def texts(at) -> list[str]:
    """Every text the page shows outside tables and charts."""
    found = []
    for kind in (
        "title",
        "header",
        "subheader",
        "caption",
        "markdown",
        "info",
        "warning",
        "error",
        "success",
    ):
        found += [str(e.value) for e in at.get(kind)]
    for metric in at.metric:
        found += [metric.label, str(metric.value), str(metric.proto.delta), str(metric.proto.help)]
    found += [b.label for b in at.button] + [tab.label for tab in at.tabs]
    return found


def ranking_frames(at, lang: str) -> dict[str, pd.DataFrame]:
    weakest = t("overview.col_weakest", lang)
    frames = {}
    for frame in (d.value for d in at.dataframe):
        if weakest in frame.columns:
            by = "team" if t("columns.team", lang) in frame.columns else "staff"
            frames[by] = frame
    return frames


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_overview_states_its_period_and_ranks_with_reasons(
    dashboard_env, sample_db, monkeypatch, lang
):
    at = open_page("overview", lang, "management", monkeypatch)
    assert not at.exception, [e.value for e in at.exception]
    shown = texts(at)
    assert not [text for text in shown if "None" in text]
    store = Store(sample_db)
    stated = stated_periods(store, SAMPLE_AS_OF, Filters())
    (start, end), (pstart, pend) = stated.current, stated.previous
    period = t(
        f"overview.period_{stated.kind}",
        lang,
        start=fmt_date(start, lang),
        end=fmt_date(end, lang),
        pstart=fmt_date(pstart, lang),
        pend=fmt_date(pend, lang),
    )
    assert period in [i.value for i in at.info]
    # every period tile's help names its window
    helps = [m.proto.help for m in at.metric]
    assert sum(fmt_date(pstart, lang) in h for h in helps) >= 10

    frames = ranking_frames(at, lang)
    for by in ("staff", "team"):
        expected = rollup(store, by, SAMPLE_AS_OF, Filters(), Config())
        ranked = expected[expected["ranked"]]
        frame = frames[by]
        assert list(frame[t(f"columns.{by}", lang)]) == list(ranked[by])
        assert (frame[t("columns.handovers", lang)] >= 3).all()
        sub_scores = {
            t(f"columns.{n}_score", lang) for n in ("efficiency", "quality", "satisfaction", "risk")
        }
        assert all(
            text.rsplit(" ", 1)[0] in sub_scores for text in frame[t("overview.col_weakest", lang)]
        )
        for cell in frame.astype(str).to_numpy().ravel():
            assert cell != "None"
    # below the minimum: listed apart, with their count
    staff = rollup(store, "staff", SAMPLE_AS_OF, Filters(), Config())
    apart = staff[~staff["ranked"]]
    assert not apart.empty  # the sample has a receiver with one handover in the period
    lines = [
        c.value for c in at.caption if c.value.startswith(t("overview.unranked_staff", lang, n=3))
    ]
    assert len(lines) == 1
    for row in apart.itertuples():
        assert t("overview.unranked_item", lang, name=row.staff, count=row.handovers) in lines[0]
    # the lowest-scoring team is named
    team = lowest(rollup(store, "team", SAMPLE_AS_OF, Filters(), Config()))["team"]
    assert any(team in w.value for w in at.warning)


def test_the_minimum_comes_from_the_settings(dashboard_env, sample_db, monkeypatch):
    save_config(Config(min_handovers=15), dashboard_env)
    at = open_page("overview", "zh", "management", monkeypatch)
    assert not at.exception, [e.value for e in at.exception]
    frame = ranking_frames(at, "zh")["staff"]
    assert (frame["交接数"] >= 15).all() and len(frame) >= 1
    staff = rollup(Store(sample_db), "staff", SAMPLE_AS_OF, Filters(), Config(min_handovers=15))
    assert len(frame) == int(staff["ranked"].sum())
    assert any(c.value.startswith(t("overview.unranked_staff", "zh", n=15)) for c in at.caption)
    assert any(t("overview.ranking_note", "zh", n=15) == c.value for c in at.caption)


def test_settings_edit_the_minimum(dashboard_env, monkeypatch):
    import tomllib

    at = open_page("settings", "zh", "management", monkeypatch)
    field = by_key(at.number_input, "set_min_handovers_")
    assert field.value == 3
    field.set_value(5)
    by_key(at.button, "set_save_").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    saved = tomllib.loads(dashboard_env.read_text(encoding="utf-8"))
    assert saved["ranking"]["min_handovers"] == 5


def test_lowest_team_to_its_red_handovers_in_one_click(dashboard_env, sample_db, monkeypatch):
    store = Store(sample_db)
    team = lowest(rollup(store, "team", SAMPLE_AS_OF, Filters(), Config()))["team"]
    at = open_page("overview", "zh", "management", monkeypatch)
    by_key(at.button, "attention_team").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == t("handovers.title", "zh")
    assert at.query_params["team"] == [team] or at.query_params["team"] == team
    band = at.query_params["band"]
    assert band in ("red", ["red"])
    assert by_key(at.multiselect, "f_team").value == [team]
    assert at.query_params["lang"] in ("zh", ["zh"])


def test_a_ranking_row_opens_the_handovers_of_that_staff_member(dashboard_env, monkeypatch):
    at = open_page("overview", "en", "management", monkeypatch)
    frame = ranking_frames(at, "en")["staff"]
    name = frame[t("columns.staff", "en")].iloc[1]
    at.session_state["rank_staff"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == t("handovers.title", "en")
    assert by_key(at.multiselect, "f_staff").value == [name]
    assert by_key(at.multiselect, "f_team").value == []


def _workbook(sample_db, monkeypatch, lang: str):
    from dashboard import data
    from dashboard.exports import build_export

    monkeypatch.setattr(data, "scoped_key", lambda filters: astuple(Filters()))
    monkeypatch.setattr(data, "config", lambda: Config())
    build = data.management_report(SAMPLE_AS_OF, astuple(Filters()), lang)
    content = build_export(
        Store(sample_db), Actor("m", "management"), "management_report", build(), "xlsx"
    )
    return load_workbook(io.BytesIO(content))


def _rows(sheet) -> list[dict]:
    values = list(sheet.values)
    return [dict(zip(values[0], row, strict=False)) for row in values[1:]]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_management_workbook(dashboard_env, sample_db, monkeypatch, lang):
    book = _workbook(sample_db, monkeypatch, lang)
    store = Store(sample_db)
    scores = compute_scores(store, SAMPLE_AS_OF, Filters(), config=Config())
    teams = sorted(scores["team"].dropna().unique())
    assert book.sheetnames == [
        t("overview.sheet_summary", lang),
        t("overview.sheet_handovers", lang),
        t("overview.sheet_by_staff", lang),
        t("overview.sheet_by_team", lang),
        *[f"{t('overview.sheet_team_prefix', lang)}{team}" for team in teams],
    ]
    handovers = _rows(book[t("overview.sheet_handovers", lang)])
    assert len(handovers) == len(scores)
    band, score = t("columns.band", lang), t("columns.score", lang)
    assert {row[band] for row in handovers} <= {
        t(f"bands.{b}", lang) for b in ("red", "yellow", "green")
    } | {None}
    assert {row[t("columns.reason", lang)] for row in handovers} <= {
        t(f"reasons.{r}", lang)
        for r in ("resignation", "rotation", "leave", "reassignment", "other")
    }
    # red first, then yellow, then green; lowest score first within a band; unscored last
    order = {t("bands.red", lang): 0, t("bands.yellow", lang): 1, t("bands.green", lang): 2}
    keys = [(row[score] is None, order.get(row[band], 3), row[score] or 0) for row in handovers]
    assert keys == sorted(keys)
    assert handovers[0][band] == t("bands.red", lang)
    for row in handovers:
        for column in (score, t("columns.efficiency_score", lang), t("columns.risk_score", lang)):
            value = row[column]
            assert value is None or round(value, 1) == value
        for cell in row.values():
            assert cell != "None" and not (isinstance(cell, str) and cell[:1] in "=+-@")
    flags = t("columns.flags", lang)
    flagged = [row[flags] for row in handovers if row[flags]]
    assert flagged and all("_" not in text for text in flagged)  # labels, not codes
    # the rankings: rates in percent with one decimal, scores with one
    ranking = _rows(book[t("overview.sheet_by_team", lang)])
    for row in ranking:
        on_time = row[t("overview.col_on_time_percent", lang)]
        assert 0 <= on_time <= 100 and round(on_time, 1) == on_time
        assert round(row[score], 1) == row[score]
    # a sheet per team holds that team's handovers, in the same order
    for team in teams:
        sheet = _rows(book[f"{t('overview.sheet_team_prefix', lang)}{team}"])
        assert {row[t("columns.team", lang)] for row in sheet} == {team}
        ids = [row[t("columns.handover_id", lang)] for row in sheet]
        assert ids == [
            row[t("columns.handover_id", lang)]
            for row in handovers
            if row[t("columns.team", lang)] == team
        ]
    summary = _rows(book[t("overview.sheet_summary", lang)])
    assert len(summary) == len(FIGURE_KEYS)
    assert all(
        row[t("overview.value", lang)] is None
        or isinstance(row[t("overview.value", lang)], (int, float))
        for row in summary
    )


def test_the_download_button_is_offered_to_management(dashboard_env, monkeypatch):
    at = open_page("overview", "zh", "management", monkeypatch)
    buttons = [
        b
        for b in at.get("download_button")
        if b.proto.id.endswith("management_report") or "management_report" in b.proto.id
    ]
    assert len(buttons) == 1
    assert buttons[0].proto.label == t("overview.report", "zh")


def test_the_workbook_takes_hostile_team_names():
    """A sheet per team whatever its name: Excel's forbidden characters replaced, long names
    cut and told apart, a formula never run, a blank team on a sheet of its own."""
    from dashboard.exports import to_xlsx
    from dashboard.report import sheets
    from metrics.rollups import Periods

    teams = ['=HYPERLINK("http://x")', "a[b]:c/d", "x" * 40, "x" * 40 + "y", None]
    scores = pd.DataFrame(
        [
            {
                "handover_id": f"-H{n}",
                "company_name": "@公司",
                "team": team,
                "from_staff": "+甲",
                "to_staff": "乙",
                "reason": "other",
                "is_completed": n % 2 == 0,
                "planned_end": date(2026, 3, 1),
                "actual_end": None,
                "score": 70.123 - n,
                "band": "yellow",
                "efficiency_score": 80.0,
                "quality_score": None,
                "satisfaction_score": None,
                "risk_score": 65.56,
                "risk_level": "medium",
                "flags": ["no_nda"],
            }
            for n, team in enumerate(teams)
        ]
    )
    stated = Periods(
        (date(2026, 1, 1), date(2026, 3, 1)), (date(2025, 11, 2), date(2025, 12, 31)), "chosen"
    )
    built = sheets(
        values={},
        now={},
        before={},
        stated=stated,
        scores=scores,
        staff=pd.DataFrame(),
        team=pd.DataFrame(),
        as_of=date(2026, 3, 1),
        lang="zh",
    )
    assert len(built) == 4 + len(teams)
    book = load_workbook(io.BytesIO(to_xlsx(built)))
    assert len(set(book.sheetnames)) == len(book.sheetnames) == 4 + len(teams)
    assert t("overview.sheet_no_team", "zh") in book.sheetnames
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for cell in row:
                assert not (isinstance(cell, str) and cell[:1] in "=+-@"), cell
    handovers = _rows(book[t("overview.sheet_handovers", "zh")])
    assert [row["评估得分"] for row in handovers] == sorted(row["评估得分"] for row in handovers)
    assert {row["风险"] for row in handovers} == {65.6}
    assert {row["等级"] for row in handovers} == {"黄"}
