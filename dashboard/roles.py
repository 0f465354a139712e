"""Roles: which pages each may open and which confidential fields it sees unmasked.

Configured in one place, ``dashboard/roles.toml``. Authentication comes later; until then the
role is the environment variable ``HANDOVER_ROLE`` (default: management), set by whoever
starts the dashboard, and cannot be changed from the page.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROLES_FILE = Path(__file__).parent / "roles.toml"
ROLE_ENV = "HANDOVER_ROLE"
DEFAULT_ROLE = "management"
CONFIDENTIAL = ("contact_phone", "uscc", "email")


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
    data = tomllib.loads(ROLES_FILE.read_text(encoding="utf-8"))
    found = {}
    for name, entry in data.items():
        unknown = set(entry.get("unmasked", [])) - set(CONFIDENTIAL)
        if unknown:
            raise ValueError(f"roles.toml: [{name}] unmasked has unknown fields {unknown}")
        found[name] = Role(name, tuple(entry["pages"]), tuple(entry.get("unmasked", [])))
    return found


def current_role() -> Role:
    name = os.environ.get(ROLE_ENV) or DEFAULT_ROLE
    try:
        return roles()[name]
    except KeyError:
        raise ValueError(f"{ROLE_ENV}={name!r} is not a role; the roles are "
                         f"{', '.join(roles())}") from None
