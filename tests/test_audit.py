"""The audit trail: who did what and when, written with the action, never changed."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from pipelines import accounts, audit
from pipelines.access import Actor
from pipelines.batches import rollback
from pipelines.errors import SignInError
from pipelines.ingest import ingest_file
from pipelines.store import Store
from tests.conftest import write_csv
from tests.layout import product_files
from tests.test_ingest import HANDOVER_HEADER, HANDOVER_ROW

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery staple"


def _file(tmp_path: Path, name: str, handover_id: str) -> Path:
    return write_csv(tmp_path / name, [HANDOVER_HEADER, [handover_id, *HANDOVER_ROW[1:]]])


def _day(store: Store, tmp_path: Path) -> None:
    accounts.add_user(store, "erin", PASSWORD, "operations", actor=Actor("root", "administrator"))
    ingest_file(
        store, "handovers", _file(tmp_path, "a.csv", "JJ-1"), actor=Actor("carol", "operations")
    )
    ingest_file(
        store, "handovers", _file(tmp_path, "b.csv", "JJ-2"), actor=Actor("erin", "operations")
    )
    rollback(store, 1, actor=Actor("dave", "operations"))
    with pytest.raises(SignInError, match="Wrong user name or password"):
        accounts.authenticate(store, "erin", "not her password")
    accounts.set_role(store, "erin", "management", actor=Actor("root", "administrator"))


def test_the_trail_of_a_scripted_day(store: Store, tmp_path: Path):
    _day(store, tmp_path)
    frame = audit.entries(store)
    got = [(r.user_name, r.action, r.target) for r in frame.itertuples()]
    assert got == [
        ("root", "user_add", "erin"),
        ("carol", "upload", "1"),
        ("erin", "upload", "2"),
        ("dave", "rollback", "1"),
        ("erin", "signin_failed", "erin"),
        ("root", "user_role", "erin"),
    ]
    assert list(frame["id"]) == sorted(frame["id"])
    assert frame["at"].is_monotonic_increasing
    details = list(frame["detail"])
    assert details[1]["file"] == "a.csv" and details[1]["added"] == 1
    assert details[3]["rollback_batch"] == 3
    assert details[4]["reason"] == "wrong_password"
    assert details[5]["previous_role"] == "operations" and details[5]["role"] == "management"
    # the batches carry the same users
    users = store.query("select batch_id, user_name from batches order by batch_id").rows
    assert users == [(1, "carol"), (2, "erin"), (3, "dave")]
    # filters
    assert list(audit.entries(store, user="ERIN")["action"]) == ["upload", "signin_failed"]
    assert len(audit.entries(store, since=date.today())) == 6
    assert audit.entries(store, since=datetime(2999, 1, 1)).empty


def test_an_action_that_fails_leaves_no_entry(store: Store, tmp_path: Path):
    ingest_file(
        store, "handovers", _file(tmp_path, "a.csv", "JJ-1"), actor=Actor("carol", "operations")
    )
    from pipelines.errors import BatchError

    with pytest.raises(BatchError, match="There is no batch 99"):
        rollback(store, 99, actor=Actor("dave", "operations"))
    assert list(audit.entries(store)["action"]) == ["upload"]

    def fails(conn):
        audit.record(conn, "mallory", "upload", 7)
        raise RuntimeError("the action failed after its entry was written")

    with pytest.raises(RuntimeError, match="the action failed after its entry was written"):
        store.write(fails)
    assert list(audit.entries(store)["action"]) == ["upload"]


def test_check_runs_and_purges_are_recorded(store: Store, tmp_path: Path):
    from data_checks.results import save_run
    from data_checks.runner import run_checks
    from pipelines.purge import purge

    ingest_file(
        store, "handovers", _file(tmp_path, "a.csv", "JJ-1"), actor=Actor("carol", "operations")
    )
    save_run(store, run_checks(store, date(2026, 11, 20)), actor=Actor("quinn", "quality"))
    rollback(store, 1, actor=Actor("dave", "operations"))
    report = purge(store, actor=Actor("pat", "administrator"), compact="never")
    got = [(r.user_name, r.action, r.target) for r in audit.entries(store).itertuples()]
    assert got == [
        ("carol", "upload", "1"),
        ("quinn", "check_run", "1"),
        ("dave", "rollback", "1"),
        ("pat", "purge", str(report.purge_id)),
    ]


def test_no_code_changes_or_deletes_audit_rows():
    """Append-only: the library has no function that updates or deletes an entry."""
    public = {
        name
        for name in vars(audit)
        if not name.startswith("_")
        and callable(getattr(audit, name))
        and getattr(audit, name).__module__ == audit.__name__
    }
    assert public == {"record", "append", "entries"}
    pattern = re.compile(
        r"\b(update|delete\s+from|truncate|drop\s+table|alter\s+table)\s+"
        r"(\w+\.)?audit_log\b",
        re.IGNORECASE,
    )
    for path in product_files(".py", ".sql"):
        assert not pattern.search(path.read_text(encoding="utf-8")), path


def test_purge_keeps_the_trail(store: Store, tmp_path: Path):
    _day(store, tmp_path)
    from pipelines.purge import purge

    before = len(audit.entries(store))
    purge(store, actor=Actor("pat", "administrator"), compact="always")
    frame = audit.entries(store)
    assert len(frame) == before + 1 and frame["action"].iloc[-1] == "purge"
    # ids keep counting after the file was rewritten
    ingest_file(
        store, "handovers", _file(tmp_path, "c.csv", "JJ-3"), actor=Actor("carol", "operations")
    )
    assert audit.entries(store)["id"].is_unique


def test_the_audit_command(runner: CliRunner, tmp_path: Path):
    db = tmp_path / "h.duckdb"
    store = Store(db)
    _day(store, tmp_path)
    ingest_file(
        store,
        "handovers",
        _file(tmp_path, "[red]x.csv", "JJ-9"),
        actor=Actor("[bold]eve[/]", "operations"),
    )
    shown = runner.invoke(app, ["audit", "--db", str(db)])
    assert shown.exit_code == 0, shown.output
    assert "[bold]eve[/]" in shown.stdout and "[red]x.csv" in shown.stdout
    document = json.loads(runner.invoke(app, ["audit", "--json", "--db", str(db)]).stdout)
    assert [e["action"] for e in document][-1] == "upload"
    assert document[0]["detail"] == {"role": "operations", "staff": None, "team": None}
    only = json.loads(
        runner.invoke(app, ["audit", "--user", "dave", "--json", "--db", str(db)]).stdout
    )
    assert [(e["user_name"], e["action"]) for e in only] == [("dave", "rollback")]
    later = runner.invoke(app, ["audit", "--since", "2999-01-01", "--db", str(db)])
    assert later.exit_code == 0 and "No audit entries." in later.stdout
    bad = runner.invoke(app, ["audit", "--since", "yesterday-ish", "--db", str(db)])
    assert bad.exit_code == 2 and "--since" in bad.output


def test_a_scripted_day_holds_exactly_its_entries(store, tmp_path):
    """Two uploads, a rollback, a settings change, three exports and a failed sign-in, by
    three people: the trail of the day holds exactly those, with the right users."""
    import pandas as pd

    from dashboard.exports import build_export
    from metrics.config import Config, save_settings

    for name, role in (("olga", "operations"), ("mona", "management"), ("quinn", "quality")):
        accounts.add_user(store, name, PASSWORD, role)
    olga, mona, quinn = (
        accounts.authenticate(store, n, PASSWORD) for n in ("olga", "mona", "quinn")
    )
    start = int(audit.entries(store)["id"].max())

    first = ingest_file(store, "handovers", _file(tmp_path, "a.csv", "JJ-1"), actor=olga)
    second = ingest_file(store, "handovers", _file(tmp_path, "b.csv", "JJ-2"), actor=olga)
    rollback(store, second.batch_id, actor=mona)
    changed = Config(green=Config().green - 5)
    save_settings(store, changed, actor=mona, path=tmp_path / "handover.toml")
    frame = pd.DataFrame({"handover_id": ["JJ-1"]})
    build_export(store, quinn, "handovers", {"handovers": frame}, "csv")
    build_export(store, quinn, "failures_all", {"failures": frame}, "xlsx")
    build_export(store, mona, "management_report", {"a": frame, "b": frame}, "xlsx")
    with pytest.raises(SignInError, match="Wrong user name or password"):
        accounts.authenticate(store, "quinn", "not the password")

    day = audit.entries(store)
    day = day[day["id"] > start]
    assert [(e.user_name, e.action, e.target) for e in day.itertuples()] == [
        ("olga", "upload", str(first.batch_id)),
        ("olga", "upload", str(second.batch_id)),
        ("mona", "rollback", str(second.batch_id)),
        ("mona", "settings_change", "handover.toml"),
        ("quinn", "export", "handovers"),
        ("quinn", "export", "failures_all"),
        ("mona", "export", "management_report"),
        ("quinn", "signin_failed", "quinn"),
    ]
    settings = day.iloc[3]["detail"]["changes"]
    assert (
        list(settings) == ["bands.green"]
        and settings["bands.green"][1] == settings["bands.green"][0] - 5
    )
    assert [e["rows"] for e in day["detail"].iloc[4:7]] == [1, 1, 2]
