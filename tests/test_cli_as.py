"""`handover --as NAME`: a command acts as an account, with its permissions and its data scope,
enforced by the same library functions as the dashboard."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from data_checks.results import failures
from metrics.figures import compute_figures
from metrics.selection import Filters, scoped
from pipelines import accounts, audit
from pipelines.access import Actor
from pipelines.batches import list_batches
from pipelines.store import Store
from sample_data.generator import SAMPLE_AS_OF
from sample_data.loader import load_demo
from tests.conftest import write_csv
from tests.test_ingest import HANDOVER_HEADER, HANDOVER_ROW

PASSWORD = "correct horse battery staple"
TEAM = "记账一部"


@pytest.fixture(scope="module")
def firm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("cli_as") / "firm.duckdb"
    store = Store(db)
    load_demo(store)
    for name, role, scope in (
        ("ops", "operations", {}),
        ("qa", "quality", {}),
        ("lead", "team_lead", {"team": TEAM}),
        ("mgmt", "management", {}),
        ("admin", "administrator", {}),
    ):
        accounts.add_user(store, name, PASSWORD, role, **scope)
    return db


def run(db: Path, *args: str) -> object:
    return CliRunner().invoke(app, [*args, "--db", str(db)])


def test_an_unknown_account_is_a_sentence(firm):
    result = run(firm, "--as", "nobody", "metrics", "--json")
    assert result.exit_code == 1
    assert "--as nobody: there is no enabled account of that name" in result.output


def test_an_import_is_refused_without_upload_and_signed_with_it(firm, tmp_path):
    path = write_csv(tmp_path / "h.csv", [HANDOVER_HEADER, ["JJ-AS-1", *HANDOVER_ROW[1:]]])
    before = len(list_batches(Store(firm)))
    refused = run(firm, "--as", "qa", "ingest", "handovers", str(path))
    assert refused.exit_code == 1 and "qa (quality) may not upload" in refused.output
    assert len(list_batches(Store(firm))) == before
    done = run(firm, "--as", "ops", "ingest", "handovers", str(path))
    assert done.exit_code == 0, done.output
    assert list_batches(Store(firm)).iloc[0]["user_name"] == "ops"


@pytest.mark.parametrize(
    ("account", "command"),
    [
        ("mgmt", ["purge", "--dry-run"]),
        ("qa", ["audit"]),
        ("ops", ["check"]),
        ("lead", ["users", "disable", "qa"]),
    ],
)
def test_actions_outside_the_role_are_refused(firm, account, command):
    result = run(firm, "--as", account, *command)
    assert result.exit_code == 1
    assert f"{account} (" in result.output and "may not" in result.output
    assert accounts.active_user(Store(firm), "qa") is not None


def test_figures_are_those_of_the_accounts_scope(firm):
    as_of = SAMPLE_AS_OF.isoformat()
    lead = json.loads(run(firm, "--as", "lead", "metrics", "--as-of", as_of, "--json").stdout)
    firm_wide = json.loads(run(firm, "metrics", "--as-of", as_of, "--json").stdout)
    expected = compute_figures(
        Store(firm), SAMPLE_AS_OF, scoped(Filters(), Actor("lead", "team_lead", team=TEAM))
    )
    assert lead["handovers_total"] == expected["handovers_total"] != firm_wide["handovers_total"]
    scores = json.loads(run(firm, "--as", "lead", "scores", "--as-of", as_of, "--json").stdout)
    team_of = dict(Store(firm).query("select handover_id, team from stg_handovers").rows)
    assert scores and {team_of[row["handover_id"]] for row in scores} == {TEAM}
    # a filter can narrow the scope, never widen it
    other = run(firm, "--as", "lead", "metrics", "--team", "税务部", "--json")
    assert json.loads(other.stdout)["handovers_total"] == 0


def test_failures_are_the_scopes_and_masked_for_the_role(firm):
    listed = json.loads(run(firm, "--as", "lead", "failures", "--json").stdout)["failures"]
    everything = failures(Store(firm))
    assert 0 < len(listed) < len(everything)
    emails = [f for f in listed if f["column_name"] == "email" and f["offending_value"]]
    assert emails and all("***" in f["offending_value"] for f in emails)  # team_lead: masked
    clear = json.loads(run(firm, "--as", "qa", "failures", "--json").stdout)["failures"]
    assert len(clear) == len(everything)
    assert any(
        f["column_name"] == "email" and f["offending_value"] and "***" not in f["offending_value"]
        for f in clear
    )


def test_an_import_and_a_rollback_run_the_checks_again(tmp_path):
    """After every change the checks run again as of today, attributed to whoever made the
    change (an operations account that may not run the checks itself); --no-checks skips it."""
    db = tmp_path / "h.duckdb"
    accounts.add_user(Store(db), "ops", PASSWORD, "operations")
    path = write_csv(tmp_path / "h.csv", [HANDOVER_HEADER, HANDOVER_ROW])
    done = run(db, "--as", "ops", "ingest", "handovers", str(path))
    assert done.exit_code == 0, done.output
    assert "Data checks re-run as of" in done.stdout
    runs = Store(db).query("select count(*) from check_runs").scalar()
    assert runs == 1
    trail = [e for e in audit.entries(Store(db)).to_dict("records") if e["action"] == "check_run"]
    assert (trail[-1]["user_name"], trail[-1]["detail"]["trigger"]) == ("ops", "upload")
    undone = run(db, "--as", "ops", "rollback", "1")
    assert undone.exit_code == 0 and "Data checks re-run" in undone.stdout
    again = write_csv(tmp_path / "h2.csv", [HANDOVER_HEADER, ["JJ-2", *HANDOVER_ROW[1:]]])
    quiet = run(db, "ingest", "handovers", str(again), "--no-checks")
    assert quiet.exit_code == 0 and "Data checks" not in quiet.stdout
    assert Store(db).query("select count(*) from check_runs").scalar() == 2
