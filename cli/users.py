"""`handover users add|list|passwd|disable|role`: accounts for sign-in.

A password is typed twice at a hidden prompt, or read from standard input when that is not a
terminal (the first line; a second line, if given, must repeat it). It is never a
command-line argument: arguments are seen by every user of the machine (``ps``) and kept in
shell histories. The acting user recorded in the audit trail is the operating-system user.
"""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer
from rich.table import Table

from cli.common import (
    DEFAULT_DB,
    DbOption,
    cli_actor,
    handles_errors,
    open_store,
    out,
    plain,
    print_json,
)
from cli.messages import text
from pipelines.errors import AccountError

users_app = typer.Typer(
    name="users",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Accounts for sign-in: add, list, passwd, disable, role. Passwords are typed at a "
    "prompt or read from standard input, never given as arguments.",
)

NameArg = Annotated[str, typer.Argument(help="The user name (unique, case ignored).")]
TeamOption = Annotated[str | None, typer.Option("--team", help="The team a team_lead sees.")]
StaffOption = Annotated[
    str | None,
    typer.Option(
        "--staff",
        help="The staff name (as in the handover log) whose handovers a staff account sees.",
    ),
]


def read_password() -> str:
    """The new password: twice at a hidden prompt, or from standard input."""
    from pipelines import accounts

    if sys.stdin is not None and sys.stdin.isatty():
        first = getpass.getpass(text("users.password_prompt"))
        accounts.check_password(first)
        second = getpass.getpass(text("users.repeat_prompt"))
    else:
        lines = (sys.stdin.read() if sys.stdin is not None else "").splitlines()
        first = lines[0] if lines else ""
        if not first:
            raise AccountError(
                text("users.no_password"),
                title="Password missing",
                code="password_missing",
            )
        accounts.check_password(first)
        second = lines[1] if len(lines) > 1 and lines[1] else first
    if first != second:
        raise AccountError(
            text("users.passwords_differ"),
            title="Passwords differ",
            code="password_mismatch",
        )
    return first


def _scope(team: str | None, staff: str | None) -> str:
    return (text("users.scope_team", team=team) if team else "") + (
        text("users.scope_staff", staff=staff) if staff else ""
    )


@users_app.command("add")
@handles_errors
def add(
    name: NameArg,
    role: Annotated[str, typer.Option("--role", help="A role of pipelines/access.toml.")],
    team: TeamOption = None,
    staff: StaffOption = None,
    display_name: Annotated[str | None, typer.Option("--display-name")] = None,
    email: Annotated[
        str | None,
        typer.Option(
            "--email", help="Signs in through OpenID Connect with this (verified) address."
        ),
    ] = None,
    subject: Annotated[
        str | None,
        typer.Option(
            "--subject",
            help="Signs in through OpenID Connect as this subject (the identity "
            "provider's `sub`); then the e-mail address is not used for it.",
        ),
    ] = None,
    oidc_only: Annotated[
        bool,
        typer.Option(
            "--oidc-only",
            help="No password: signs in through OpenID Connect only (needs --email or --subject).",
        ),
    ] = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Create an account; its password is asked for (or read from standard input), unless it
    signs in through OpenID Connect only (--oidc-only)."""
    from pipelines import accounts

    accounts.check_name(name)
    accounts.check_role(role, team, staff)  # say so before asking for a password
    store = open_store(db)
    by = cli_actor(store)
    password = None if oidc_only else read_password()
    actor = accounts.add_user(
        store,
        name,
        password,
        role,
        team=team,
        staff=staff,
        actor=by,
        display_name=display_name,
        email=email,
        oidc_subject=subject,
    )
    out.print(
        text(
            "users.added",
            name=actor.name,
            role=actor.role,
            scope=_scope(actor.team, actor.staff),
        ),
        markup=False,
    )


@users_app.command("list")
@handles_errors
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Every account: name, role, scope, state. Password hashes are never shown."""
    from pipelines import accounts

    frame = accounts.list_users(open_store(db))
    if as_json:
        print_json(frame.to_dict(orient="records"))
        return
    if frame.empty:
        out.print(text("users.none"), markup=False)
        return
    table = Table("name", "display name", "role", "team", "staff", "email", "state", "created")
    for row in frame.itertuples(index=False):
        state = text("users.active")
        if row.disabled_at is not None:
            state = text("users.disabled_at", at=row.disabled_at)
        elif row.locked_until is not None:
            state = text("users.locked_until", at=row.locked_until)
        table.add_row(
            plain(row.name),
            plain(row.display_name),
            plain(row.role),
            plain(row.team),
            plain(row.staff),
            plain(row.email),
            plain(state),
            f"{row.created_at:%Y-%m-%d %H:%M}",
        )
    out.print(table)


@users_app.command("passwd")
@handles_errors
def passwd(name: NameArg, db: DbOption = DEFAULT_DB) -> None:
    """Set a new password (asked for, or read from standard input); ends a lockout."""
    from pipelines import accounts

    store = open_store(db)
    user = accounts.get_user(store, name)
    accounts.set_password(store, user.name, read_password(), actor=cli_actor(store))
    out.print(text("users.password_changed", name=user.name), markup=False)


@users_app.command("disable")
@handles_errors
def disable(name: NameArg, db: DbOption = DEFAULT_DB) -> None:
    """Disable an account: it can no longer sign in; its history stays."""
    from pipelines import accounts

    store = open_store(db)
    user = accounts.get_user(store, name)
    changed = accounts.disable_user(store, user.name, actor=cli_actor(store))
    out.print(
        text("users.disabled" if changed else "users.already_disabled", name=user.name),
        markup=False,
    )


@users_app.command("role")
@handles_errors
def role(
    name: NameArg,
    role: Annotated[str, typer.Argument(help="A role of pipelines/access.toml.")],
    team: TeamOption = None,
    staff: StaffOption = None,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Give an account another role (team_lead needs --team, staff needs --staff)."""
    from pipelines import accounts

    store = open_store(db)
    actor = accounts.set_role(store, name, role, team=team, staff=staff, actor=cli_actor(store))
    out.print(
        text(
            "users.role_changed",
            name=actor.name,
            role=actor.role,
            scope=_scope(actor.team, actor.staff),
        ),
        markup=False,
    )
