"""A team lead and a member of staff, signed in through the form, see only their handovers:
in the tables, tiles, filter choices and records; a crafted address (another team's handover,
another team in the filter, a page outside the role) gets a sentence, shows nothing, and is
in the audit trail."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dashboard.i18n import t
from metrics.catalogue import format_value
from metrics.figures import compute_figures
from metrics.selection import Filters, scoped
from pipelines import audit
from pipelines.access import Actor
from pipelines.store import Store
from sample_data.generator import SAMPLE_AS_OF
from tests.dashboard.conftest import ACCOUNTS, account_name, open_page

TEAM = ACCOUNTS["team_lead"]["team"]
STAFF = ACCOUNTS["staff"]["staff"]


def handovers_shown(at) -> list[dict]:
    table = next(d.value for d in at.dataframe if t("columns.handover_id", "zh") in d.value.columns)
    return table.to_dict("records")


def refusals(db, role: str) -> list[tuple[str, str]]:
    trail = audit.entries(Store(db), user=account_name(role))
    refused = trail[trail["action"] == "access_refused"]
    return [(e["detail"]["what"], e["target"]) for e in refused.to_dict("records")]


def outside(db, where: str) -> str:
    return (
        Store(db)
        .query(f"select handover_id from stg_handovers where {where} order by handover_id limit 1")
        .scalar()
    )


def test_a_team_lead_sees_only_its_team(dashboard_env, sample_db):
    at = open_page("handovers", role="team_lead")
    rows = handovers_shown(at)
    assert rows and {r[t("columns.team", "zh")] for r in rows} == {TEAM}
    firm = (
        Store(sample_db).query("select count(*) from stg_handovers where team = ?", [TEAM]).scalar()
    )
    assert len(rows) == firm
    team_choices = next(m for m in at.sidebar.multiselect if m.key == "f_team").options
    assert team_choices == [TEAM]


def test_the_overview_shows_the_figures_of_the_scope(dashboard_env, sample_db):
    at = open_page("overview", role="team_lead")
    lead = Actor(account_name("team_lead"), "team_lead", team=TEAM)
    expected = compute_figures(Store(sample_db), SAMPLE_AS_OF, scoped(Filters(), lead))
    firm = compute_figures(Store(sample_db), SAMPLE_AS_OF)
    assert expected["handovers_total"] != firm["handovers_total"]  # the test can tell them
    # the on-time tile covers the stated period (issue 11), of the scope's data
    from metrics.rollups import stated_periods

    mine = scoped(Filters(), lead)
    start, end = stated_periods(Store(sample_db), SAMPLE_AS_OF, mine).current
    period = compute_figures(
        Store(sample_db), SAMPLE_AS_OF, replace(mine, period_from=start, period_to=end)
    )
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["交接总数"] == format_value("handovers_total", expected["handovers_total"])
    assert tiles["按时完成率"] == format_value("on_time_rate", period["on_time_rate"])


def test_staff_see_only_the_handovers_they_are_part_of(dashboard_env):
    rows = handovers_shown(open_page("handovers", role="staff"))
    assert rows
    for row in rows:
        assert (
            STAFF in (row[t("columns.from_staff", "zh")], row[t("columns.to_staff", "zh")])
            or row.get(t("columns.supervisor", "zh")) == STAFF
        )


@pytest.mark.parametrize(
    ("role", "where"),
    [
        ("team_lead", f"team <> '{TEAM}'"),
        ("staff", f"'{STAFF}' not in (from_staff, to_staff, coalesce(supervisor, ''))"),
    ],
)
def test_another_teams_record_by_address_is_not_found_and_recorded(
    dashboard_env, sample_db, monkeypatch, role, where
):
    other = outside(sample_db, where)
    at = open_page("handovers", role=role)
    at.query_params["handover"] = other
    at.run()
    assert t("handovers.not_found", "zh", id=other) in [w.value for w in at.warning]
    assert not at.header  # no record shown
    assert ("handover", other) in refusals(sample_db, role)


def test_a_team_outside_the_scope_in_the_link_is_ignored_and_recorded(dashboard_env, sample_db):
    other = (
        Store(sample_db)
        .query("select team from stg_handovers where team <> ? limit 1", [TEAM])
        .scalar()
    )
    at = open_page("handovers", role="team_lead")
    at.query_params["team"] = other
    at.run()
    rows = handovers_shown(at)
    assert {r[t("columns.team", "zh")] for r in rows} == {TEAM}
    assert t("common.filter_ignored", "zh", values=other) in [w.value for w in at.sidebar.warning]
    assert ("filter", f"team={other}") in refusals(sample_db, "team_lead")


def test_check_results_older_than_the_data_say_so(dashboard_env, sample_db, tmp_path):
    """After an upload the checks have not seen, the data quality page says from when its
    results are and how many changes came after (a role that may run them is told to)."""
    from data_checks.results import save_run
    from data_checks.runner import run_checks
    from pipelines.ingest import ingest_file
    from tests.conftest import write_csv

    save_run(Store(sample_db), run_checks(Store(sample_db), SAMPLE_AS_OF))
    at = open_page("data_quality", role="quality")
    assert not [w for w in at.warning if w.icon == ":material/update:"]
    clients = write_csv(
        tmp_path / "new.csv",
        [["client_id", "company_name", "contact_name"], ["KH-STALE-1", "新客户公司", "王五"]],
    )
    ingest_file(Store(sample_db), "clients", clients)
    at = open_page("data_quality", role="quality")
    stale = [w.value for w in at.warning if w.icon == ":material/update:"]
    assert len(stale) == 1 and "1 次上传或撤销" in stale[0]
    assert stale[0].endswith(t("data_quality.stale_run", "zh"))
