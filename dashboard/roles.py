"""The signed-in account's role as the pages use it: which pages it may open and which
confidential fields it sees unmasked.

The roles live in one file, ``pipelines/access.toml`` (read by ``pipelines.access``): the
pages are a role's ``view_page:`` permissions, the unmasked fields its ``unmask:`` ones. Who
is signed in is dashboard/signin.py's business; this module only reads the account it put in
the session. Hiding a page or a button is a convenience here: every action checks its
permission again where it is performed (pipelines.access.acting).
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines import access
from pipelines.access import Actor

CONFIDENTIAL = access.CONFIDENTIAL


@dataclass(frozen=True)
class Role:
    name: str
    pages: tuple[str, ...]
    unmasked: tuple[str, ...]
    scope: str = "firm"

    def may_open(self, page: str) -> bool:
        return page in self.pages

    def sees(self, field: str) -> bool:
        return field in self.unmasked

    def may(self, permission: str) -> bool:
        return access.role(self.name).may(permission)


def roles() -> dict[str, Role]:
    """Every role of access.toml, as the pages use it."""
    return {
        name: Role(spec.name, spec.pages, spec.unmasked, spec.scope)
        for name, spec in access.roles().items()
    }


def role_of(actor: Actor) -> Role:
    spec = access.role(actor.role)
    return Role(spec.name, spec.pages, spec.unmasked, spec.scope)


def current_actor() -> Actor:
    """The account of this browser session (signed in, or the local administrator)."""
    from dashboard.signin import session_actor

    return session_actor()


def current_role() -> Role:
    return role_of(current_actor())
