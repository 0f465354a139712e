"""管理层 Management's job, in Chromium, on a firm the test builds itself (澄湖财税,
tests/e2e/journey_data.py): from the Overview, find the lowest-scoring team and open one of
its red handovers in at most three clicks (issue 11, "Must show").

The expected team is read from the rows the test wrote (a rough score after DOMAIN.md §3),
not from the product; the firm is built so that 税务二组 is clearly the lowest."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from dashboard.i18n import t
from tests.e2e.app_utils import expect_no_exception, main, sign_in, stop_server
from tests.e2e.journey_data import (
    AS_OF,
    TEAMS,
    Clicks,
    build_firm,
    expected_lowest_team,
    expected_red,
    grid,
    grid_column,
    start_firm_server,
    team_scores,
    zh,
)

MANAGER = "zhou.mgmt"
WAIT = 60_000  # ms: a 2-core machine running other servers may be slow to draw a page


@pytest.fixture(scope="module")
def firm():
    return build_firm()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, firm) -> Iterator:
    server = start_firm_server(
        tmp_path_factory.mktemp("journey_mgmt"), firm, {MANAGER: "management"}
    )
    try:
        yield server
    finally:
        print(f"\n----- handover serve log -----\n{stop_server(server)}")


def test_the_firm_has_one_clearly_lowest_team(firm):
    """The data itself: one team far below the others, all its handovers red."""
    scores = team_scores(firm)
    lowest = expected_lowest_team(firm)
    assert sorted(scores.values())[1] - scores[lowest] > 30, scores
    assert all(expected_red(h) for h in firm.of_team(lowest))
    assert not any(expected_red(h) for team in TEAMS if team != lowest for h in firm.of_team(team))


def _open_record_from_table(page, clicks: Clicks, firm, team: str) -> str:
    """On the handovers page filtered to ``team``: the first row (lowest score first) is one
    of its red handovers; a click on it opens its record. Returns its id."""
    body = main(page)
    table = body.get_by_test_id("stDataFrame").first
    expect(table).to_be_visible(timeout=WAIT)
    ids = grid_column(table, t("columns.handover_id", "zh"))
    expected = {h.handover_id for h in firm.of_team(team) if expected_red(h)}
    assert ids and set(ids) <= {h.handover_id for h in firm.of_team(team)}, ids
    assert ids[0] in expected, ids
    clicks.grid_row(table, 0)
    expect(
        body.get_by_role(
            "heading",
            name=re.compile("^" + re.escape(zh("handovers.record_title", id=ids[0], company=""))),
        ).first
    ).to_be_visible(timeout=WAIT)
    # the record's badge: band and score ("红 · 25.7")
    expect(body).to_contain_text(re.compile(re.escape(t("bands.red", "zh")) + r"\s*·\s*\d"))
    return ids[0]


def test_management_finds_the_lowest_team_and_opens_a_red_handover_from_the_ranking(
    page, served, firm
):
    """Overview → the team ranking (click 1) → the lowest team's row (click 2: its
    handovers) → its first, red handover (click 3: the record)."""
    lowest = expected_lowest_team(firm)
    sign_in(page, served, MANAGER, path="overview", as_of=AS_OF.isoformat())
    body = main(page)
    expect(body.get_by_role("heading", name=t("overview.rankings", "zh"))).to_be_visible(
        timeout=WAIT
    )
    clicks = Clicks(page)

    clicks.on(body.get_by_role("tab", name=t("overview.by_team", "zh")))
    ranking = body.get_by_role("tabpanel").get_by_test_id("stDataFrame").first
    expect(ranking).to_be_visible(timeout=WAIT)
    teams = grid_column(ranking, t("columns.team", "zh"))
    scores = [float(s) for s in grid_column(ranking, t("columns.score", "zh"))]
    assert sorted(teams) == sorted(TEAMS), teams
    assert teams[scores.index(min(scores))] == lowest, (teams, scores)
    assert scores == sorted(scores, reverse=True), scores  # ranked: the lowest is last

    clicks.grid_row(ranking, teams.index(lowest))
    expect(page.get_by_role("heading", name=t("handovers.title", "zh"), exact=True)).to_be_visible(
        timeout=WAIT
    )
    assert f"team={lowest}" in _unquoted(page.url), page.url
    assert f"as_of={AS_OF.isoformat()}" in page.url, page.url

    _open_record_from_table(page, clicks, firm, lowest)
    assert clicks.count <= 3, clicks.count
    expect_no_exception(page)


def test_management_opens_the_lowest_teams_red_handovers_from_the_overview_callout(
    page, served, firm
):
    """The Overview names the lowest team at the top with its weakest sub-score; its button
    (click 1) opens that team's red handovers, a row (click 2) the record."""
    lowest = expected_lowest_team(firm)
    sign_in(page, served, MANAGER, path="overview", as_of=AS_OF.isoformat())
    body = main(page)
    red = sum(1 for h in firm.of_team(lowest) if expected_red(h))
    callout = body.get_by_test_id("stAlert").filter(has_text=lowest).first
    expect(callout).to_contain_text(re.compile(r"得分最低的部门是\s*" + lowest), timeout=WAIT)
    clicks = Clicks(page)
    clicks.on(body.get_by_role("button", name=t("overview.open_red", "zh", n=red)))
    expect(page.get_by_role("heading", name=t("handovers.title", "zh"), exact=True)).to_be_visible(
        timeout=WAIT
    )
    assert "band=red" in page.url and f"team={lowest}" in _unquoted(page.url), page.url
    table = body.get_by_test_id("stDataFrame").first
    expect(table).to_be_visible(timeout=WAIT)
    header, rows = grid(table)
    assert len(rows) == red, (header, rows)
    _open_record_from_table(page, clicks, firm, lowest)
    assert clicks.count <= 3, clicks.count
    expect_no_exception(page)


def _unquoted(url: str) -> str:
    from urllib.parse import unquote

    return unquote(url)
