"""Local accounts: argon2id hashes, sign-in with lockout, and the `handover users` commands."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from pipelines import accounts, audit
from pipelines.access import Actor
from pipelines.errors import AccountError, SignInError
from pipelines.store import Store

PASSWORD = "correct horse battery staple"
T0 = datetime(2026, 11, 20, 9, 0)


def _add(store: Store, name: str = "alice", role: str = "quality", **kw) -> Actor:
    return accounts.add_user(
        store, name, PASSWORD, role, actor=Actor("root", "administrator"), **kw
    )


# The sentence of each refusal (an unknown user and a wrong password read alike: the sentence
# must not tell which names exist)
REFUSALS = {
    "signin_unknown_user": r"^Wrong user name or password\.$",
    "signin_wrong_password": r"^Wrong user name or password\.$",
    "signin_disabled": r"The account \w+ is disabled",
    "signin_locked": r"The account \w+ is locked after 5 failed sign-ins until",
    "user_exists": r"There is already a user '\w+' \(names ignore case\)",
    "user_unknown": r"There is no user '\w+'",
    "user_name_invalid": r"cannot be a user name",
    "password_too_short": r"The password is too short",
    "role_unknown": r"'\w+' is not a role",
    "role_needs_team": r"The role team_lead sees one team's handovers",
    "role_needs_staff": r"The role staff sees the handovers of one member of staff",
}


def _code(fn, *args, **kwargs) -> str:
    """The code of the refusal ``fn`` raises, once its sentence is checked to be its code's."""
    any_refusal = "|".join(f"(?:{sentence})" for sentence in REFUSALS.values())
    with pytest.raises((SignInError, AccountError), match=any_refusal) as caught:
        fn(*args, **kwargs)
    assert re.search(REFUSALS[caught.value.code], str(caught.value)), caught.value
    return caught.value.code


# -- the library ----------------------------------------------------------------------------


def test_the_hash_is_argon2id_and_no_password_is_in_the_file(store: Store):
    _add(store)
    accounts.set_password(
        store, "alice", "a second secret phrase", actor=Actor("root", "administrator")
    )
    ((stored,),) = store.query("select password_hash from users").rows
    assert stored.startswith("$argon2id$")
    raw = store.path.read_bytes()
    wal = store.path.with_name(store.path.name + ".wal")
    raw += wal.read_bytes() if wal.exists() else b""
    for secret in (PASSWORD, "a second secret phrase"):
        assert secret.encode() not in raw


def test_authenticate_returns_the_actor_and_names_ignore_case(store: Store):
    _add(store, "Alice", "team_lead", team="记账一部")
    actor = accounts.authenticate(store, "ALICE", PASSWORD, now=T0)
    assert actor == Actor("Alice", "team_lead", "记账一部", None)
    assert _code(_add, store, "alice") == "user_exists"


def test_unknown_disabled_and_wrong_password_have_distinct_codes(store: Store):
    _add(store)
    assert _code(accounts.authenticate, store, "nobody", PASSWORD, now=T0) == "signin_unknown_user"
    assert (
        _code(accounts.authenticate, store, "alice", "wrong wrong", now=T0)
        == "signin_wrong_password"
    )
    accounts.disable_user(store, "alice", actor=Actor("root", "administrator"))
    assert _code(accounts.authenticate, store, "alice", PASSWORD, now=T0) == "signin_disabled"


def test_five_failures_lock_the_account_for_fifteen_minutes(store: Store):
    _add(store)
    for minute in range(4):
        assert (
            _code(
                accounts.authenticate,
                store,
                "alice",
                "wrong wrong",
                now=T0 + timedelta(minutes=minute),
            )
            == "signin_wrong_password"
        )
    fifth = T0 + timedelta(minutes=4)
    assert _code(accounts.authenticate, store, "alice", "wrong wrong", now=fifth) == "signin_locked"
    # locked: even the right password is refused until the lockout ends
    assert (
        _code(
            accounts.authenticate,
            store,
            "alice",
            PASSWORD,
            now=fifth + timedelta(minutes=14, seconds=59),
        )
        == "signin_locked"
    )
    assert (
        accounts.authenticate(store, "alice", PASSWORD, now=fifth + accounts.LOCKOUT).name
        == "alice"
    )
    actions = [
        (row.action, row.detail.get("reason"))
        for row in audit.entries(store, user="alice").itertuples()
    ]
    assert actions == [("signin_failed", "wrong_password")] * 5 + [
        ("lockout", None),
        ("signin_failed", "locked"),
        ("signin", None),
    ]
    ((count, locked),) = store.query("select failed_count, locked_until from users").rows
    assert (count, locked) == (0, None)


def test_a_success_resets_the_counter(store: Store):
    _add(store)
    for _ in range(4):
        _code(accounts.authenticate, store, "alice", "wrong wrong", now=T0)
    accounts.authenticate(store, "alice", PASSWORD, now=T0)
    for _ in range(4):  # four more: still not locked
        assert (
            _code(accounts.authenticate, store, "alice", "wrong wrong", now=T0)
            == "signin_wrong_password"
        )


def test_a_hash_with_old_parameters_is_rehashed_on_sign_in(store: Store):
    from argon2 import PasswordHasher

    _add(store)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    store.write(lambda conn: conn.execute("update users set password_hash = ?", [weak]))
    accounts.authenticate(store, "alice", PASSWORD, now=T0)
    ((stored,),) = store.query("select password_hash from users").rows
    assert stored != weak and not accounts.hasher.check_needs_rehash(stored)


def test_roles_are_checked_and_scoped_roles_need_their_scope(store: Store):
    assert _code(_add, store, "x", "superuser") == "role_unknown"
    assert _code(_add, store, "x", "team_lead") == "role_needs_team"
    assert _code(_add, store, "x", "staff") == "role_needs_staff"
    _add(store, "x", "staff", staff="李四")
    assert _code(accounts.set_role, store, "x", "team_lead") == "role_needs_team"
    assert (
        accounts.set_role(
            store, "x", "team_lead", team="记账一部", actor=Actor("root", "administrator")
        ).team
        == "记账一部"
    )
    assert _code(accounts.set_role, store, "nobody", "quality") == "user_unknown"


def test_short_passwords_and_bad_names_are_refused(store: Store):
    assert _code(accounts.add_user, store, "bob", "123456789", "quality") == "password_too_short"
    assert _code(accounts.add_user, store, "bo\nb", PASSWORD, "quality") == "user_name_invalid"
    assert accounts.list_users(store).empty


def test_no_default_account_exists(store: Store):
    store.ensure_schema()
    assert store.query("select count(*) from users").rows[0][0] == 0
    assert _code(accounts.authenticate, store, "admin", "admin", now=T0) == "signin_unknown_user"


# -- the commands ---------------------------------------------------------------------------


def _run(runner: CliRunner, db: Path, *args: str, input: str | None = None):
    return runner.invoke(app, ["users", *args, "--db", str(db)], input=input)


def test_users_commands(runner: CliRunner, tmp_path: Path):
    db = tmp_path / "h.duckdb"
    added = _run(
        runner,
        db,
        "add",
        "alice",
        "--role",
        "team_lead",
        "--team",
        "记账一部",
        "--display-name",
        "[bold]Alice[/]",
        "--email",
        "a@example.com",
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert added.exit_code == 0, added.output
    assert "User alice added (role team_lead, team 记账一部)." in added.stdout
    assert (
        _run(
            runner, db, "add", "bob", "--role", "staff", "--staff", "李四", input=PASSWORD + "\n"
        ).exit_code
        == 0
    )

    listed = _run(runner, db, "list")
    assert "[bold]Alice[/]" in listed.stdout  # user text is shown as written, never markup
    document = json.loads(_run(runner, db, "list", "--json").stdout)
    assert [u["name"] for u in document] == ["alice", "bob"]
    assert not any("hash" in key for user in document for key in user)
    assert PASSWORD not in listed.stdout

    changed = _run(runner, db, "passwd", "ALICE", input="a new password 42\n")
    assert changed.exit_code == 0 and "Password of alice changed." in changed.stdout
    assert accounts.authenticate(Store(db), "alice", "a new password 42").name == "alice"

    moved = _run(runner, db, "role", "bob", "quality")
    assert moved.exit_code == 0 and "User bob now has the role quality." in moved.stdout
    assert _run(runner, db, "disable", "bob").stdout.strip() == "User bob disabled."
    assert _run(runner, db, "disable", "bob").stdout.strip() == "User bob was already disabled."
    assert [row.action for row in audit.entries(Store(db)).itertuples()] == [
        "user_add",
        "user_add",
        "user_passwd",
        "signin",
        "user_role",
        "user_disable",
    ]


@pytest.mark.parametrize(
    "args, input, sentence",
    [
        (["add", "x", "--role", "quality"], "short\n", "at least 10 characters"),
        (["add", "x", "--role", "quality"], "a long password\nanother one!\n", "passwords differ"),
        (["add", "x", "--role", "quality"], "", "No password was given"),
        (["add", "x", "--role", "team_lead"], PASSWORD + "\n", "--team"),
        (["add", "x", "--role", "boss"], PASSWORD + "\n", "not a role"),
        (["passwd", "nobody"], PASSWORD + "\n", "There is no user 'nobody'"),
        (["role", "nobody", "quality"], None, "There is no user 'nobody'"),
    ],
)
def test_users_commands_refuse_with_a_sentence(runner, tmp_path, args, input, sentence):
    result = _run(runner, tmp_path / "h.duckdb", *args, input=input)
    assert result.exit_code == 1
    assert sentence in result.stderr and "Traceback" not in result.output


def test_a_password_cannot_be_an_argument(runner: CliRunner, tmp_path: Path):
    for option in ("--password", "-p", "--pass"):
        result = _run(
            runner, tmp_path / "h.duckdb", "add", "x", "--role", "quality", option, PASSWORD
        )
        assert result.exit_code == 2  # no such option: usage error
    from cli.users import users_app

    for command in users_app.registered_commands:
        params = command.callback.__wrapped__.__annotations__
        assert not any("pass" in name for name in params), command.name
