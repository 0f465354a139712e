"""Per-user data scope (issue 10): a team or own scope sees only its handovers, their clients,
events, feedback, failing-check records and figures; the firm scope sees exactly what no scope
sees.

On the small sample with a stored check run: figures equal an independent pandas reading of
DOMAIN.md §3 over only the scope's handovers; per-handover flags and scores are those of the
firm restricted to the scope; no record outside the scope is reachable (by id, in filter
options, responses, failures, fix history or check counts); and a firm-scope actor gets every
output equal to no scope at all.
"""

from __future__ import annotations

from dataclasses import astuple
from datetime import date, timedelta

import pandas as pd
import pytest

from data_checks.results import (
    failures,
    fix_history,
    latest_run,
    run_history,
    run_results,
    save_run,
)
from data_checks.runner import run_checks
from metrics.figures import compute_figures
from metrics.records import filter_options, handover_record, responses
from metrics.rollups import rollup
from metrics.scores import compute_flags, compute_scores
from metrics.selection import (
    NOBODY,
    Filters,
    is_scoped,
    scope_conditions,
    scope_of,
    scoped,
)
from metrics.views import attributed_responses, risk_register, satisfaction_by
from pipelines.access import Actor
from pipelines.store import Store
from sample_data.generator import SAMPLE_AS_OF
from sample_data.loader import load_sample

AS_OF = date(2026, 11, 20)
FIGURE_CHECKS = (
    "handovers_total",
    "handovers_completed",
    "on_time_rate",
    "overdue_open",
    "mean_duration_days",
    "csat",
    "mean_satisfaction",
    "nps",
    "responses_total",
    "responses_unmatched",
    "responses_attributed",
    "response_rate",
    "churn_90d_rate",
)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Store:
    store = Store(tmp_path_factory.mktemp("scope") / "scope.duckdb")
    load_sample(store, "small")
    save_run(store, run_checks(store, SAMPLE_AS_OF))
    return store


@pytest.fixture(scope="module")
def tables(sample: Store) -> dict[str, pd.DataFrame]:
    return {
        "handovers": sample.query_df("select * from stg_handovers"),
        "clients": sample.query_df("select * from stg_clients"),
        "events": sample.query_df("select * from stg_events"),
        "responses": sample.query_df("select * from feedback_responses where is_real"),
        "failures": sample.query_df(
            "select * from check_failures where run_id = (select max(run_id) from check_runs)"
        ),
    }


def _names(tables) -> dict[str, str]:
    """Team and staff names the sample has: a team, a receiver who is also a from_staff,
    and a supervisor who is neither."""
    h = tables["handovers"]
    both = set(h["from_staff"]) & set(h["to_staff"])
    staff = h[h["to_staff"].isin(both)]["to_staff"].value_counts().index[0]
    supervisors = h["supervisor"].dropna()
    only_supervisor = supervisors[~supervisors.isin(set(h["from_staff"]) | set(h["to_staff"]))]
    return {"staff": staff, "supervisor": only_supervisor.value_counts().index[-1]}


ACTORS = {
    "team_lead 记账一部": lambda names: Actor("lead1", "team_lead", team="记账一部"),
    "team_lead 税务部": lambda names: Actor("lead2", "team_lead", team="税务部"),
    "staff (receiver and from_staff)": lambda names: Actor("s1", "staff", staff=names["staff"]),
    "staff (supervisor only)": lambda names: Actor("s2", "staff", staff=names["supervisor"]),
}


@pytest.fixture(params=list(ACTORS))
def actor(request, tables) -> Actor:
    return ACTORS[request.param](_names(tables))


def in_scope(tables, actor: Actor) -> pd.DataFrame:
    """The scope's handovers, read independently of metrics.selection."""
    h = tables["handovers"]
    if actor.team:
        return h[h["team"] == actor.team]
    mine = (
        (h["from_staff"] == actor.staff)
        | (h["to_staff"] == actor.staff)
        | (h["supervisor"] == actor.staff)
    )
    return h[mine]


# -- the scope travels with the filters --------------------------------------------------------


def test_scope_fields_come_last_and_keys_keep_working():
    old = Filters(date(2026, 1, 1), None, ("一部",), (), ("leave",), True)
    assert astuple(old)[:6] == (date(2026, 1, 1), None, ("一部",), (), ("leave",), True)
    assert astuple(old)[6:] == (None, None)
    team = scoped(old, Actor("a", "team_lead", team="一部"))
    assert Filters(*astuple(team)) == team
    assert (team.scope_team, team.scope_staff) == ("一部", None)
    assert (team.teams, team.open_only) == (("一部",), True)  # the other filters stay


def test_scoped_by_role():
    base = Filters(teams=("x",))
    for role in ("administrator", "management", "quality", "operations"):
        assert scoped(base, Actor("a", role, team="t", staff="s")) is base
        assert not is_scoped(Actor("a", role, team="t", staff="s"))
    assert scope_of(Actor("a", "team_lead", team=" 一部 ")) == Filters(scope_team="一部")
    assert scope_of(Actor("a", "staff", team="一部", staff="张三")) == Filters(scope_staff="张三")
    # the actor's scope replaces whatever scope the filters held
    held = Filters(scope_team="其他部", scope_staff="李四")
    assert scoped(held, Actor("a", "staff", staff="张三")).scope_team is None
    assert scoped(held, Actor("a", "team_lead", team="一部")).scope_staff is None
    with pytest.raises(TypeError, match="a scope is Filters, an Actor or None, not tuple"):
        scope_of(("一部", None))


@pytest.mark.parametrize(
    "who",
    [
        Actor("a", "team_lead"),
        Actor("a", "team_lead", team=" "),
        Actor("a", "staff"),
        Actor("a", "staff", staff=""),
    ],
)
def test_a_scoped_account_without_team_or_staff_sees_nothing(sample, who):
    scope = scope_of(who)
    assert NOBODY in (scope.scope_team, scope.scope_staff)
    figures = compute_figures(sample, AS_OF, scoped(Filters(), who))
    assert figures["handovers_total"] == 0 and figures["responses_total"] == 0
    assert figures["responses_unmatched"] == 0
    assert filter_options(sample, who) == {"teams": [], "staff": [], "reasons": []}
    assert responses(sample, scope=who).empty
    assert failures(sample, scope=who).empty and fix_history(sample, scope=who).empty
    any_id = sample.query("select min(handover_id) from stg_handovers").scalar()
    assert handover_record(sample, any_id, who) is None


@pytest.mark.parametrize("blank", ["", "  "])
def test_a_blank_scope_value_matches_no_row_not_every_row(sample, blank):
    # never compared with the data (where a blank supervisor could match it)
    assert scope_conditions(Filters(scope_team=blank)) == (["false"], {})
    assert scope_conditions(Filters(scope_staff=blank)) == (["false"], {})
    assert compute_figures(sample, AS_OF, Filters(scope_team=blank))["handovers_total"] == 0
    assert compute_figures(sample, AS_OF, Filters(scope_staff=blank))["handovers_total"] == 0


def test_filters_cannot_widen_the_scope(sample, tables):
    lead = Actor("a", "team_lead", team="记账一部")
    other = Filters(teams=("税务部",))
    assert compute_figures(sample, AS_OF, scoped(other, lead))["handovers_total"] == 0
    assert compute_scores(sample, AS_OF, scoped(other, lead)).empty


# -- figures, flags, scores, roll-ups and views of a scope -------------------------------------


def oracle(tables, handovers: pd.DataFrame, as_of: date) -> dict:
    """A few figures of DOMAIN.md §3 in pandas, over ``handovers`` only."""
    ids = set(handovers["handover_id"])
    done = handovers[handovers["actual_end"].notna()]
    r = tables["responses"]
    attributed = r[r["is_attributed"] & r["handover_id"].isin(ids)]
    rated = attributed["overall_satisfaction"].dropna()
    scored = attributed["recommend_score"].dropna()
    end_day = done["actual_end"].dt.normalize()
    planned = pd.to_datetime(done["planned_end"])
    clients = tables["clients"].set_index("client_id")["terminated_at"]
    old = done[end_day <= pd.Timestamp(as_of - timedelta(days=90))]
    left = pd.to_datetime(old["client_id"].map(clients))
    old_end = old["actual_end"].dt.normalize()
    churned = (left >= old_end) & (left <= old_end + pd.Timedelta(days=90))
    started = done[done["actual_start"].notna()]

    def ratio(numerator, denominator):
        return None if denominator == 0 else numerator / denominator

    open_ = handovers[handovers["actual_end"].isna()]
    return {
        "handovers_total": len(handovers),
        "handovers_completed": len(done),
        "on_time_rate": ratio(int((end_day <= planned).sum()), len(done)),
        "overdue_open": int((pd.to_datetime(open_["planned_end"]) < pd.Timestamp(as_of)).sum()),
        "mean_duration_days": None
        if started.empty
        else float(
            ((started["actual_end"] - started["actual_start"]).dt.total_seconds() / 86400).mean()
        ),
        "csat": ratio(100.0 * int((rated >= 4).sum()), len(rated)),
        "mean_satisfaction": None if rated.empty else float(rated.mean()),
        "nps": ratio(100.0 * (int((scored >= 9).sum()) - int((scored <= 6).sum())), len(scored)),
        # the scope's responses: those attributed to its handovers, whatever the filters
        "responses_total": int(
            (r["is_attributed"] & r["handover_id"].isin(set(tables["scope_ids"]))).sum()
        )
        if "scope_ids" in tables
        else len(r),
        "responses_unmatched": 0,
        "responses_attributed": len(attributed),
        "response_rate": ratio(
            int(done["handover_id"].isin(set(attributed["handover_id"])).sum()), len(done)
        ),
        "churn_90d_rate": ratio(int(churned.sum()), len(old)),
    }


def _assert_figures(found: dict, expected: dict) -> None:
    for key in FIGURE_CHECKS:
        if expected[key] is None:
            assert found[key] is None, key
        else:
            assert found[key] == pytest.approx(expected[key]), key


def test_figures_of_a_scope_equal_pandas_over_its_handovers(sample, tables, actor):
    mine = in_scope(tables, actor)
    assert 0 < len(mine) < len(tables["handovers"])
    expected = oracle({**tables, "scope_ids": mine["handover_id"]}, mine, AS_OF)
    _assert_figures(compute_figures(sample, AS_OF, scoped(Filters(), actor)), expected)
    # and with the page's filters on top: the same reading over the filtered scope
    period = Filters(period_from=date(2026, 1, 1), period_to=date(2026, 9, 30))
    ends = mine["actual_end"].dt.normalize()
    narrowed = mine[(ends >= pd.Timestamp(2026, 1, 1)) & (ends <= pd.Timestamp(2026, 9, 30))]
    expected = oracle({**tables, "scope_ids": mine["handover_id"]}, narrowed, AS_OF)
    _assert_figures(compute_figures(sample, AS_OF, scoped(period, actor)), expected)


def test_unscoped_figures_are_those_of_the_firm(sample, tables):
    found = compute_figures(sample, AS_OF)
    expected = oracle(tables, tables["handovers"], AS_OF)
    expected["responses_unmatched"] = int((~tables["responses"]["is_matched"]).sum())
    assert expected["responses_unmatched"] > 0, "the sample has an unmatched response"
    _assert_figures(found, expected)


def test_flags_and_scores_of_a_scope_are_the_firms_of_its_handovers(sample, tables, actor):
    ids = set(in_scope(tables, actor)["handover_id"])
    filters = scoped(Filters(), actor)
    firm = compute_scores(sample, AS_OF)
    mine = compute_scores(sample, AS_OF, filters)
    assert set(mine["handover_id"]) == ids
    expected = firm[firm["handover_id"].isin(ids)].reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, expected)
    flags = compute_flags(sample, AS_OF)
    pd.testing.assert_frame_equal(
        compute_flags(sample, AS_OF, filters),
        flags[flags["handover_id"].isin(ids)].reset_index(drop=True),
    )


def test_rollups_and_views_read_only_the_scope(sample, tables, actor):
    mine = in_scope(tables, actor)
    ids, filters = set(mine["handover_id"]), scoped(Filters(), actor)
    register = risk_register(sample, AS_OF, filters)
    assert set(register["handover_id"]) == ids
    teams = set(mine["team"].dropna())
    assert set(rollup(sample, "team", AS_OF, filters)["team"].dropna()) <= teams
    assert set(rollup(sample, "staff", AS_OF, filters)["staff"].dropna()) <= set(mine["to_staff"])
    by_team = satisfaction_by(sample, "team", AS_OF, filters)
    assert set(by_team["team"].dropna()) <= teams
    by_month = satisfaction_by(sample, "month", AS_OF, filters)
    attributed = attributed_responses(sample, AS_OF, filters)
    assert set(attributed["handover_id"]) <= ids
    r = tables["responses"]
    assert len(attributed) == int((r["is_attributed"] & r["handover_id"].isin(ids)).sum())
    assert by_month["responses_attributed"].sum() == len(attributed)


# -- records: by id, filter options, responses -------------------------------------------------


def _some(frame: pd.DataFrame, n: int) -> pd.DataFrame:
    """Up to ``n`` rows spread over the frame (a record read opens a connection: reading all
    252 per actor took minutes)."""
    return frame.iloc[:: max(1, len(frame) // n)]


def test_no_handover_outside_the_scope_is_reachable_by_id(sample, tables, actor):
    h = tables["handovers"]
    ids = set(in_scope(tables, actor)["handover_id"])
    outside = h[~h["handover_id"].isin(ids)]
    # some of every other team, those sharing a client with the scope, and some in scope
    tried = pd.concat(
        [
            *(_some(g, 4) for _, g in outside.groupby("team")),
            outside[outside["client_id"].isin(in_scope(tables, actor)["client_id"])],
            _some(h[h["handover_id"].isin(ids)], 4),
        ]
    )
    assert tried["handover_id"].isin(ids).any() and not tried["handover_id"].isin(ids).all()
    for handover_id in tried["handover_id"]:
        record = handover_record(sample, handover_id, actor)
        if handover_id in ids:
            assert record is not None and record["form"]["handover_id"] == handover_id
        else:
            assert record is None, handover_id
    assert handover_record(sample, "no-such-handover", actor) is None


def test_a_record_in_scope_shows_only_its_own_failures(sample, tables, actor):
    mine = in_scope(tables, actor)
    f = tables["failures"]
    firm_keys = set(f["record_key"])
    events = tables["events"]
    # the scope's handovers with a failing record of their own or of their client, and a few
    failing = mine["handover_id"].isin(f["record_key"]) | mine["client_id"].isin(f["record_key"])
    tried = pd.concat([_some(mine[failing], 6), _some(mine, 3)]).drop_duplicates("handover_id")
    assert failing.any()
    for row in tried.itertuples():
        record = handover_record(sample, row.handover_id, actor)
        assert record == _same_as(handover_record(sample, row.handover_id), record)
        own_events = set(events.loc[events["handover_id"] == row.handover_id, "record_key"])
        for key in record["failing_checks"]["record_key"]:
            assert key in firm_keys and key in {row.client_id, row.handover_id} | own_events


def _same_as(firm: dict, scoped_record: dict) -> dict:
    """The firm's record of a handover in scope is the scoped one (frames compared)."""
    assert firm.keys() == scoped_record.keys()
    for key, value in firm.items():
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(value, scoped_record[key])
        elif isinstance(value, dict):  # the form and the client: NaN and NaT equal too
            assert pd.Series(value, dtype=object).equals(
                pd.Series(scoped_record[key], dtype=object)
            ), key
        else:
            assert value == scoped_record[key], key
    return scoped_record


def test_filter_options_name_only_the_scope(sample, tables, actor):
    mine = in_scope(tables, actor)
    options = filter_options(sample, actor)
    assert options["teams"] == sorted(set(mine["team"].dropna()))
    assert options["staff"] == sorted(set(mine["to_staff"].dropna()))
    assert options["reasons"] == sorted(set(mine["reason"].dropna()))
    if actor.team:  # a team lead learns no other team's name, nor its staff's
        assert options["teams"] == [actor.team]
        others = tables["handovers"][tables["handovers"]["team"] != actor.team]
        only_elsewhere = set(others["to_staff"]) - set(mine["to_staff"])
        assert only_elsewhere and not only_elsewhere & set(options["staff"])


def test_responses_are_those_attributed_to_the_scope(sample, tables, actor):
    ids = set(in_scope(tables, actor)["handover_id"])
    r = tables["responses"]
    expected = set(r.loc[r["is_attributed"] & r["handover_id"].isin(ids), "response_key"])
    found = responses(sample, scope=actor)
    assert expected and set(found["response_key"]) == expected
    assert found["handover_id"].isin(ids).all()
    assert responses(sample, "unmatched", scope=actor).empty
    assert responses(sample, "unattributed", scope=actor).empty
    assert not responses(sample, "unmatched").empty  # the firm sees them


# -- data checks -------------------------------------------------------------------------------


def scope_failures(tables, actor: Actor) -> pd.DataFrame:
    """The failures of the latest run whose record belongs to the scope, in pandas."""
    mine = in_scope(tables, actor)
    ids = set(mine["handover_id"])
    events, r = tables["events"], tables["responses"]
    records = {
        "clients": set(tables["clients"]["client_id"]) & set(mine["client_id"]),
        "handovers": ids,
        "events": set(events.loc[events["handover_id"].isin(ids), "record_key"]),
        "feedback": set(r.loc[r["is_attributed"] & r["handover_id"].isin(ids), "response_key"]),
    }
    f = tables["failures"]
    keep = [
        key in records.get(check.split(".")[0], ())
        for check, key in zip(f["check_id"], f["record_key"], strict=False)
    ]
    return f[keep]


def test_failures_are_those_of_the_scopes_records(sample, tables, actor):
    expected = scope_failures(tables, actor)
    found = failures(sample, scope=actor)
    assert set(
        zip(found["check_id"], found["record_key"], found["column_name"], strict=False)
    ) == set(
        zip(expected["check_id"], expected["record_key"], expected["column_name"], strict=False)
    )
    firm = failures(sample)
    assert len(found) < len(firm)
    assert not found.empty or actor.staff, "a team's records fail some check"
    # by check: some failing in the scope, and one failing only elsewhere
    checks = (
        sorted(set(expected["check_id"]))[:3]
        + sorted(set(firm["check_id"]) - set(expected["check_id"]))[:1]
    )
    for check_id in checks:
        one = failures(sample, check_id, scope=actor)
        assert set(one["record_key"]) == set(
            expected.loc[expected["check_id"] == check_id, "record_key"]
        )
    # unmatched responses and unknown handovers' events belong to no scope
    assert not found["check_id"].isin(["feedback.client.matched", "events.handover.known"]).any()
    history = fix_history(sample, scope=actor)
    assert set(zip(history["check_id"], history["record_key"], strict=False)) == set(
        zip(expected["check_id"], expected["record_key"], strict=False)
    )


def test_check_counts_of_a_scope(sample, tables, actor):
    expected = scope_failures(tables, actor)
    failed = expected.groupby("check_id")["record_key"].nunique()
    results = run_results(sample, scope=actor).set_index("check_id")
    firm = run_results(sample).set_index("check_id")
    assert list(results.index) == list(firm.index)
    for check_id, row in results.iterrows():
        assert row["count_records_failed"] == failed.get(check_id, 0), check_id
        assert row["is_passed"] == (failed.get(check_id, 0) == 0)
        assert row["count_records_failed"] <= row["count_records_checked"]
        assert row["count_records_checked"] <= firm.loc[check_id, "count_records_checked"]
    mine = in_scope(tables, actor)
    assert results.loc["handovers.client.known", "count_records_checked"] == len(mine)
    run = latest_run(sample, scope=actor)
    assert run["count_failed_checks"] == len(failed)
    assert run["count_failures"] == len(expected)
    assert run["run_id"] == latest_run(sample)["run_id"]
    history = run_history(sample, scope=actor)
    assert history["count_records_failed"].sum() == failed.sum()


# -- the firm: exactly as without a scope --------------------------------------------------------


@pytest.mark.parametrize("role", ["administrator", "quality"])
def test_a_firm_actor_gets_exactly_what_no_scope_gets(sample, tables, role):
    firm = Actor("boss", role, team="记账一部", staff=_names(tables)["staff"])
    filters = scoped(Filters(), firm)
    assert filters == Filters() and not is_scoped(firm)
    assert compute_figures(sample, AS_OF, filters) == compute_figures(sample, AS_OF)
    pd.testing.assert_frame_equal(
        compute_scores(sample, AS_OF, filters), compute_scores(sample, AS_OF)
    )
    assert filter_options(sample, firm) == filter_options(sample)
    for only in (None, "unmatched", "unattributed"):
        pd.testing.assert_frame_equal(responses(sample, only, scope=firm), responses(sample, only))
    pd.testing.assert_frame_equal(failures(sample, scope=firm), failures(sample))
    pd.testing.assert_frame_equal(fix_history(sample, scope=firm), fix_history(sample))
    pd.testing.assert_frame_equal(run_results(sample, scope=firm), run_results(sample))
    pd.testing.assert_frame_equal(run_history(sample, scope=firm), run_history(sample))
    assert latest_run(sample, scope=firm) == latest_run(sample)
    some = tables["handovers"]["handover_id"].iloc[0]
    _same_as(handover_record(sample, some), handover_record(sample, some, firm))
