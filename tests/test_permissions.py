"""Every action checks its permission where it is performed: the library functions that write
a batch, roll back, purge, run and store the checks, save the settings, build an export and
manage accounts refuse a role without the permission, and change nothing when they do."""

from __future__ import annotations

import re
from datetime import date

import pandas as pd
import pytest

from dashboard.exports import build_export
from data_checks.results import save_run
from data_checks.runner import run_checks
from metrics.config import Config, load_config, save_settings
from pipelines import access, accounts, audit
from pipelines.access import Actor
from pipelines.batches import list_batches, rollback
from pipelines.errors import PermissionDeniedError
from pipelines.feedback.ingest import ingest_feedback
from pipelines.ingest import ingest_file
from pipelines.purge import purge
from pipelines.store import Store
from sample_data.loader import load_demo
from tests.conftest import write_csv
from tests.test_ingest import HANDOVER_HEADER, HANDOVER_ROW

AS_OF = date(2026, 11, 20)
PASSWORD = "correct horse battery staple"


def actor_of(role: str) -> Actor:
    return Actor(f"{role}_1", role, team="记账一部", staff="李娜")


def without(permission: str) -> list[str]:
    return [name for name, spec in access.roles().items() if not spec.may(permission)]


def with_(permission: str) -> list[str]:
    return [name for name, spec in access.roles().items() if spec.may(permission)]


def _handovers(tmp_path, name: str = "h.csv", handover_id: str = "JJ-1"):
    return write_csv(tmp_path / name, [HANDOVER_HEADER, [handover_id, *HANDOVER_ROW[1:]]])


def _refused(call, permission: str, role: str) -> None:
    with pytest.raises(
        PermissionDeniedError,
        match=re.escape(f"{role}_1 ({role}) may not {permission}: the role lacks"),
    ) as caught:
        call()
    assert caught.value.code == "permission_denied_action"
    assert caught.value.params == {"user": f"{role}_1", "permission": permission}


def _snapshot(store: Store) -> tuple:
    """What a refused action must leave as it was: batches, audit entries, users."""
    if not store.exists():
        return ((), (), ())
    return (
        tuple(map(tuple, list_batches(store).astype(str).values)),
        tuple(audit.entries(store)["id"]),
        tuple(accounts.list_users(store)["name"]),
    )


def test_the_refusing_roles_are_the_shipped_table():
    assert without("upload") == ["quality", "team_lead", "staff"]
    assert without("rollback") == ["quality", "team_lead", "staff"]
    assert without("run_checks") == ["operations", "team_lead", "staff"]
    assert without("edit_settings") == ["quality", "operations", "team_lead", "staff"]
    assert without("export") == ["operations", "staff"]
    assert with_("purge") == with_("manage_users") == with_("audit") == ["administrator"]


@pytest.mark.parametrize("role", without("upload"))
def test_upload_is_refused_without_the_permission(store, tmp_path, role):
    ingest_file(store, "handovers", _handovers(tmp_path, "first.csv", "JJ-0"))
    before = _snapshot(store)
    path = _handovers(tmp_path)
    _refused(lambda: ingest_file(store, "handovers", path, actor=actor_of(role)), "upload", role)
    _refused(
        lambda: ingest_file(store, "handovers", path, actor=actor_of(role), dry_run=True),
        "upload",
        role,
    )
    feedback = write_csv(
        tmp_path / "f.csv",
        [
            ["client_id", "submitted_at", "overall_satisfaction", "recommend_score"],
            ["KH-1", "2026-10-01 10:00", "4", "9"],
        ],
    )
    _refused(
        lambda: ingest_feedback(store, feedback, source="template", actor=actor_of(role)),
        "upload",
        role,
    )
    _refused(
        lambda: load_demo(Store(tmp_path / "demo.duckdb"), actor=actor_of(role)), "upload", role
    )
    assert _snapshot(store) == before
    assert not (tmp_path / "demo.duckdb").exists()


@pytest.mark.parametrize("role", with_("upload"))
def test_upload_is_done_and_signed_with_the_account(store, tmp_path, role):
    report = ingest_file(store, "handovers", _handovers(tmp_path), actor=actor_of(role))
    batch = list_batches(store).set_index("batch_id").loc[report.batch_id]
    assert batch["user_name"] == f"{role}_1"
    entry = audit.entries(store).iloc[-1]
    assert (entry["user_name"], entry["action"], entry["target"]) == (
        f"{role}_1",
        "upload",
        str(report.batch_id),
    )


@pytest.mark.parametrize("role", without("rollback"))
def test_rollback_is_refused_without_the_permission(store, tmp_path, role):
    report = ingest_file(store, "handovers", _handovers(tmp_path))
    before = _snapshot(store)
    _refused(lambda: rollback(store, report.batch_id, actor=actor_of(role)), "rollback", role)
    assert _snapshot(store) == before


@pytest.mark.parametrize("role", without("purge"))
def test_purge_is_refused_without_the_permission(store, tmp_path, role):
    report = ingest_file(store, "handovers", _handovers(tmp_path))
    rollback(store, report.batch_id)
    before = _snapshot(store)
    _refused(lambda: purge(store, actor=actor_of(role)), "purge", role)
    _refused(lambda: purge(store, dry_run=True, actor=actor_of(role)), "purge", role)
    assert _snapshot(store) == before


@pytest.mark.parametrize("role", without("run_checks"))
def test_checks_are_refused_without_the_permission(store, tmp_path, role):
    ingest_file(store, "handovers", _handovers(tmp_path))
    run = run_checks(store, AS_OF)
    before = _snapshot(store)
    _refused(lambda: run_checks(store, AS_OF, actor=actor_of(role)), "run_checks", role)
    _refused(lambda: save_run(store, run, actor=actor_of(role)), "run_checks", role)
    assert _snapshot(store) == before
    assert store.query("select count(*) from check_runs").rows[0][0] == 0


@pytest.mark.parametrize("role", without("edit_settings"))
def test_settings_are_refused_without_the_permission(store, tmp_path, role):
    ingest_file(store, "handovers", _handovers(tmp_path))
    file = tmp_path / "handover.toml"
    before = _snapshot(store)
    changed = Config()
    changed.weights["quality"] = 40.0
    changed.weights["efficiency"] = 20.0
    _refused(
        lambda: save_settings(store, changed, actor=actor_of(role), path=file),
        "edit_settings",
        role,
    )
    assert not file.exists() and _snapshot(store) == before


def test_a_settings_change_records_old_and_new_values(store, tmp_path):
    ingest_file(store, "handovers", _handovers(tmp_path))
    file = tmp_path / "handover.toml"
    changed = Config()
    old_quality, old_efficiency = changed.weights["quality"], changed.weights["efficiency"]
    changed.weights["quality"] = old_quality + 5
    changed.weights["efficiency"] = old_efficiency - 5
    save_settings(store, changed, actor=actor_of("management"), path=file)
    assert load_config(file).weights["quality"] == old_quality + 5
    entry = audit.entries(store).iloc[-1]
    assert (entry["user_name"], entry["action"], entry["target"]) == (
        "management_1",
        "settings_change",
        "handover.toml",
    )
    assert entry["detail"]["changes"] == {
        "weights.efficiency": [old_efficiency, old_efficiency - 5],
        "weights.quality": [old_quality, old_quality + 5],
    }


@pytest.mark.parametrize("role", without("export"))
def test_exports_are_refused_without_the_permission(store, tmp_path, role):
    ingest_file(store, "handovers", _handovers(tmp_path))
    before = _snapshot(store)
    frame = pd.DataFrame({"a": [1, 2]})
    for fmt in ("csv", "xlsx"):
        _refused(
            lambda f=fmt: build_export(store, actor_of(role), "t", {"t": frame}, f), "export", role
        )
    assert _snapshot(store) == before


def test_an_export_is_recorded_with_its_table_and_rows(store, tmp_path):
    ingest_file(store, "handovers", _handovers(tmp_path))
    frame = pd.DataFrame({"a": ["=1+1", "x", "y"]})
    content = build_export(store, actor_of("quality"), "failures_all", {"failures": frame}, "csv")
    assert content.decode("utf-8-sig").splitlines() == ["a", "'=1+1", "x", "y"]
    build_export(store, actor_of("quality"), "report", {"one": frame, "two": frame.head(1)}, "xlsx")
    csv_entry, xlsx_entry = audit.entries(store).iloc[-2:].to_dict("records")
    assert (
        csv_entry["action"],
        csv_entry["target"],
        csv_entry["detail"]["rows"],
        csv_entry["detail"]["format"],
    ) == ("export", "failures_all", 3, "csv")
    assert xlsx_entry["detail"]["sheets"] == {"one": 3, "two": 1}


@pytest.mark.parametrize("role", without("manage_users"))
def test_account_management_is_refused_without_the_permission(store, role):
    accounts.add_user(store, "alice", PASSWORD, "quality")
    before = _snapshot(store)
    who = actor_of(role)
    for call in (
        lambda: accounts.add_user(store, "bob", PASSWORD, "quality", actor=who),
        lambda: accounts.set_password(store, "alice", PASSWORD + "!", actor=who),
        lambda: accounts.disable_user(store, "alice", actor=who),
        lambda: accounts.set_role(store, "alice", "administrator", actor=who),
    ):
        _refused(call, "manage_users", role)
    assert _snapshot(store) == before
    assert accounts.get_user(store, "alice").role == "quality"


def test_the_command_line_acts_as_the_operating_system_user(store, tmp_path):
    operator = access.local_operator()
    assert operator.role == "administrator"
    report = ingest_file(store, "handovers", _handovers(tmp_path))
    assert (
        list_batches(store).iloc[-1]["user_name"]
        == operator.name
        == audit.entries(store).iloc[-1]["user_name"]
    )
    assert report.batch_id == 1
