"""Roles: which pages each may open and which confidential fields it sees unmasked.

The roles live in one file, ``pipelines/access.toml`` (read by ``pipelines.access``): the
pages are a role's ``view_page:`` permissions, the unmasked fields its ``unmask:`` ones.
Sign-in comes next (issue 10); until then the role is the environment variable
``HANDOVER_ROLE`` (default: management), set by whoever starts the dashboard, and cannot be
changed from the page. Only roles that see the whole firm (scope "firm") can be chosen that
way: a role limited to a team or to its own handovers needs an account to know which.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

from pipelines import access

ROLE_ENV = "HANDOVER_ROLE"
DEFAULT_ROLE = "management"
CONFIDENTIAL = access.CONFIDENTIAL


@dataclass(frozen=True)
class Role:
    name: str
    pages: tuple[str, ...]
    unmasked: tuple[str, ...]

    def may_open(self, page: str) -> bool:
        return page in self.pages

    def sees(self, field: str) -> bool:
        return field in self.unmasked


@cache
def roles() -> dict[str, Role]:
    """The roles the dashboard can run as today: scope "firm", with at least one page."""
    return {name: Role(name, spec.pages, spec.unmasked)
            for name, spec in access.roles().items() if spec.scope == "firm" and spec.pages}


def current_role() -> Role:
    name = os.environ.get(ROLE_ENV) or DEFAULT_ROLE
    try:
        return roles()[name]
    except KeyError:
        pass
    spec = access.roles().get(name)
    if spec is not None and spec.scope != "firm":
        limited = "a team" if spec.scope == "team" else "its own handovers"
        raise ValueError(
            f"{ROLE_ENV}={name!r} is a role limited to {limited} "
            f"(scope {spec.scope!r}), which needs a signed-in account to know whose data to "
            f"show; until sign-in exists choose one of {', '.join(roles())}")
    raise ValueError(f"{ROLE_ENV}={name!r} is not a role; the roles are "
                     f"{', '.join(roles())}")
