"""Roles and permissions, read from the one file ``pipelines/access.toml``.

A role is a set of permissions (``view_page:<page>``, ``unmask:<field>``, ``upload``,
``rollback``, ``run_checks``, ``edit_settings``, ``export``, ``purge``, ``manage_users``,
``audit``) and a data scope (``firm``, ``team`` or ``own``). Every function that acts checks
the permission it needs where it acts, with ``require(actor, permission)``; the dashboard's
pages and masking (dashboard/roles.py) read the same roles.

Who acts: the dashboard passes the signed-in account (dashboard/signin.py); the command line
acts as ``local_operator()``, the operating-system user, who holds the database file itself
and so every permission (an administrator).
"""

from __future__ import annotations

import getpass
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pipelines.errors import PermissionDeniedError

ACCESS_FILE = Path(__file__).parent / "access.toml"

PAGES = (
    "overview",
    "handovers",
    "data_quality",
    "satisfaction",
    "risk",
    "upload",
    "settings",
    "audit",
)
CONFIDENTIAL = ("contact_phone", "uscc", "email")
ACTIONS = (
    "upload",
    "rollback",
    "run_checks",
    "edit_settings",
    "export",
    "purge",
    "manage_users",
    "audit",
)
PERMISSIONS = (
    tuple(f"view_page:{p}" for p in PAGES) + tuple(f"unmask:{f}" for f in CONFIDENTIAL) + ACTIONS
)
SCOPES = ("firm", "team", "own")


@dataclass(frozen=True)
class Role:
    name: str
    permissions: frozenset[str]
    scope: str
    pages: tuple[str, ...]  # in the order the file lists them
    unmasked: tuple[str, ...]

    def may(self, permission: str) -> bool:
        if permission not in PERMISSIONS:
            raise ValueError(
                f"{permission!r} is not a permission; they are {', '.join(PERMISSIONS)}"
            )
        return permission in self.permissions


@dataclass(frozen=True)
class Actor:
    """Who performs an action: an account's name, role, and the team or staff name its
    scope is limited to."""

    name: str
    role: str
    team: str | None = None
    staff: str | None = None

    @property
    def access(self) -> Role:
        return role(self.role)

    def may(self, permission: str) -> bool:
        return role(self.role).may(permission)


OPERATOR_ROLE = "administrator"


def os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in containers without a passwd entry
        return "unknown"


def local_operator() -> Actor:
    """The command line's actor: the operating-system user, an administrator (whoever can run
    the command holds the database file and could do anything to it anyway)."""
    return Actor(os_user(), OPERATOR_ROLE)


def administrator(actor: Actor | None, doing: str) -> Actor:
    """The actor of an action only an administrator may take (a role holding every
    permission): a backup or a restore (every client's unmasked data), an erasure, a change
    of the database's key. ``actor`` None is the command line's operator. ``doing`` words
    the action in the refusal ("back up the database")."""
    actor = actor or local_operator()
    if not all(actor.may(permission) for permission in PERMISSIONS):
        raise PermissionDeniedError(
            f"{actor.name} ({actor.role}) may not {doing}: only an administrator may; "
            "nothing was done.",
            title="Not permitted",
            code="permission_denied_action",
            params={"user": actor.name, "permission": doing},
        )
    return actor


def parse(text: str, source: str = "access.toml") -> dict[str, Role]:
    data = tomllib.loads(text)
    found: dict[str, Role] = {}
    for name, entry in data.items():
        if not isinstance(entry, dict):
            raise ValueError(f"{source}: {name} is not a [role] table")
        permissions = list(entry.get("permissions", []))
        unknown = sorted(set(permissions) - set(PERMISSIONS))
        if unknown:
            raise ValueError(f"{source}: [{name}] has unknown permissions {unknown}")
        scope = entry.get("scope", "firm")
        if scope not in SCOPES:
            raise ValueError(f"{source}: [{name}] scope {scope!r} is not one of {SCOPES}")
        pages = tuple(p.split(":", 1)[1] for p in permissions if p.startswith("view_page:"))
        unmasked = tuple(p.split(":", 1)[1] for p in permissions if p.startswith("unmask:"))
        found[name] = Role(name, frozenset(permissions), scope, pages, unmasked)
    return found


@cache
def roles() -> dict[str, Role]:
    """Every role of access.toml, in the file's order."""
    return parse(ACCESS_FILE.read_text(encoding="utf-8"), ACCESS_FILE.name)


def role(name: str) -> Role:
    try:
        return roles()[name]
    except KeyError:
        raise unknown_role(name) from None


def unknown_role(name: str):
    from pipelines.errors import AccountError

    return AccountError(
        f"{name!r} is not a role; the roles are {', '.join(roles())}.",
        title="Unknown role",
        code="role_unknown",
        params={"role": name, "roles": ", ".join(roles())},
    )


def require(actor: Actor, permission: str) -> None:
    """Raise ``PermissionDeniedError`` unless the actor's role has ``permission``."""
    if not role(actor.role).may(permission):
        raise PermissionDeniedError(
            f"{actor.name} ({actor.role}) may not {permission}: the role lacks that "
            "permission; nothing was done.",
            title="Not permitted",
            code="permission_denied_action",
            params={"user": actor.name, "permission": permission},
        )


def acting(actor: Actor | None, permission: str) -> Actor:
    """The actor of an action that needs ``permission``, checked: ``actor`` (the dashboard's
    signed-in account), or the command line's ``local_operator()`` when none is given.
    Raises ``PermissionDeniedError`` when the role lacks the permission."""
    actor = actor or local_operator()
    require(actor, permission)
    return actor
