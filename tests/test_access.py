"""Roles and permissions: one file (pipelines/access.toml), enforced by require()."""

from __future__ import annotations

import re

import pytest

from pipelines import access
from pipelines.access import PAGES, PERMISSIONS, Actor, require
from pipelines.errors import PermissionDeniedError

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

# role -> (scope, pages, unmasked fields, actions): the shipped table, spelled out
EXPECTED = {
    "administrator": ("firm", set(PAGES), {"contact_phone", "uscc", "email"}, set(ACTIONS)),
    "management": (
        "firm",
        set(PAGES) - {"audit"},
        set(),
        {"upload", "rollback", "run_checks", "edit_settings", "export"},
    ),
    "quality": (
        "firm",
        {"overview", "handovers", "data_quality", "risk"},
        {"contact_phone", "uscc", "email"},
        {"run_checks", "export"},
    ),
    "operations": (
        "firm",
        {"handovers", "satisfaction", "upload", "data_quality"},
        {"contact_phone"},
        {"upload", "rollback"},
    ),
    "team_lead": (
        "team",
        {"overview", "handovers", "satisfaction", "risk", "data_quality"},
        {"contact_phone"},
        {"export"},
    ),
    "staff": ("own", {"overview", "handovers", "satisfaction", "risk"}, {"contact_phone"}, set()),
}


def test_the_shipped_roles():
    assert list(access.roles()) == list(EXPECTED)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_role_has_exactly_its_permissions(name):
    scope, pages, unmasked, actions = EXPECTED[name]
    spec = access.roles()[name]
    assert spec.scope == scope
    assert set(spec.pages) == pages and set(spec.unmasked) == unmasked
    for permission in PERMISSIONS:
        kind, _, what = permission.partition(":")
        wanted = (
            what in pages
            if kind == "view_page"
            else what in unmasked
            if kind == "unmask"
            else permission in actions
        )
        assert spec.may(permission) is wanted, permission
        actor = Actor("someone", name, team="记账一部", staff="李四")
        if wanted:
            require(actor, permission)
        else:
            with pytest.raises(
                PermissionDeniedError,
                match=re.escape(
                    f"someone ({name}) may not {permission}: the role lacks that permission"
                ),
            ) as caught:
                require(actor, permission)
            assert caught.value.code == "permission_denied_action"
            assert caught.value.params == {"user": "someone", "permission": permission}


def test_an_unknown_permission_is_a_bug_not_a_refusal():
    with pytest.raises(ValueError, match="'delete_everything' is not a permission"):
        access.roles()["administrator"].may("delete_everything")


def test_the_file_refuses_unknown_permissions_and_scopes():
    with pytest.raises(ValueError, match="unknown permissions"):
        access.parse('[x]\npermissions = ["view_page:secret"]\n')
    with pytest.raises(ValueError, match="scope"):
        access.parse('[x]\nscope = "planet"\npermissions = []\n')


def test_an_unknown_role_is_a_sentence():
    from pipelines.errors import AccountError

    with pytest.raises(AccountError, match="'superuser' is not a role") as caught:
        require(Actor("x", "superuser"), "upload")
    assert caught.value.code == "role_unknown"


def test_dashboard_roles_read_the_same_file():
    from dashboard import roles as dashboard_roles

    found = dashboard_roles.roles()
    assert list(found) == list(EXPECTED)
    assert found["administrator"].pages[-1] == "audit"
    assert found["management"].pages == (
        "overview",
        "handovers",
        "data_quality",
        "satisfaction",
        "risk",
        "upload",
        "settings",
    )
    assert found["management"].unmasked == ()
    assert found["quality"].pages == ("overview", "handovers", "data_quality", "risk")
    assert found["quality"].unmasked == ("contact_phone", "uscc", "email")
    assert found["operations"].pages == ("handovers", "satisfaction", "upload", "data_quality")
    assert found["operations"].unmasked == ("contact_phone",)
    assert (found["team_lead"].scope, found["staff"].scope) == ("team", "own")
    for name in found:
        role = dashboard_roles.role_of(Actor("x", name, team="记账一部", staff="李娜"))
        assert role == found[name] and role.may("export") is access.role(name).may("export")


def test_every_role_has_a_label_in_both_languages():
    from dashboard.i18n import t

    for name in access.roles():
        for lang in ("zh", "en"):
            assert t(f"roles.{name}", lang) != f"roles.{name}"
