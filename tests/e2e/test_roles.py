"""Signing in as each shipped role, in Chromium, against the real `handover serve`: the pages
offered, the confidential fields shown unmasked or masked, the actions offered, the data
scope holding against a crafted address, the lockout after five wrong passwords, and what
the audit trail recorded."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest
from playwright.sync_api import Page, expect

from dashboard.i18n import t
from pipelines import access
from pipelines.masking import mask_email, mask_phone, mask_uscc
from tests.e2e.app_utils import (
    PAGES,
    add_account,
    click,
    expect_no_exception,
    sign_in,
    start_server,
    stop_server,
)

TEAM, STAFF = "记账一部", "林立宁"
ACCOUNTS = {  # account -> (role, --team/--staff options)
    "admine2e": ("administrator", []),
    "mgmte2e": ("management", []),
    "qualitye2e": ("quality", []),
    "opse2e": ("operations", []),
    "leade2e": ("team_lead", ["--team", TEAM]),
    "staffe2e": ("staff", ["--staff", STAFF]),
    "lockede2e": ("quality", []),
}


@pytest.fixture(scope="module")
def firm(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """`handover serve --demo` (the sample, no account: the local administrator), then the
    accounts, created from the command line while it runs: from then on everybody signs in.
    Also the records the tests open: one outside the team lead's team, one inside it, one of
    the staff member's own handovers and one that is not."""
    server = start_server(tmp_path_factory.mktemp("e2e_roles"))
    try:
        with duckdb.connect(str(server.db), read_only=True) as conn:

            def first(where: str) -> dict:
                cur = conn.execute(
                    "select h.handover_id, h.team, c.contact_phone, c.uscc, c.email "
                    "from stg_handovers h join stg_clients c using (client_id) "
                    f"where c.contact_phone is not null and c.uscc is not null and {where} "
                    "order by h.handover_id limit 1"
                )
                return dict(zip([d[0] for d in cur.description], cur.fetchone(), strict=False))

            server.records = {
                "other_team": first(
                    f"h.team <> '{TEAM}' and '{STAFF}' not in "
                    "(h.from_staff, h.to_staff, coalesce(h.supervisor, ''))"
                ),
                "team": first(f"h.team = '{TEAM}'"),
                "own": first(
                    f"'{STAFF}' in (h.from_staff, h.to_staff, coalesce(h.supervisor, ''))"
                ),
            }
        for name, (role, options) in ACCOUNTS.items():
            add_account(server, name, role, *options)
        yield server
    finally:
        print(f"\n----- handover serve log -----\n{stop_server(server)}")


def nav_titles(page: Page) -> list[str]:
    links = page.get_by_test_id("stSidebarNav").get_by_test_id("stSidebarNavLink")
    return [text.split("\n")[-1].strip() for text in links.all_inner_texts()]


ROLES = [(name, role) for name, (role, _) in ACCOUNTS.items() if name != "lockede2e"]


@pytest.mark.parametrize(("name", "role"), ROLES)
def test_each_role_gets_its_pages_and_nothing_else(page, firm, name, role):
    sign_in(page, firm, name)
    spec = access.roles()[role]
    expect(page.get_by_test_id("stSidebar")).to_contain_text(
        t("signin.signed_in_as", "zh", user=name, role=t(f"roles.{role}", "zh"))
    )
    assert sorted(nav_titles(page)) == sorted(PAGES[key][0] for key in spec.pages)
    for key in sorted(set(PAGES) - set(spec.pages)):  # an address outside the role: refused
        sign_in(page, firm, name, path=key)  # (opening an address starts a new session)
        expect(page.get_by_test_id("stMain")).to_contain_text(t("common.not_allowed", "zh"))
        expect(page.get_by_role("heading", name=PAGES[key][0], exact=True)).to_have_count(0)
    expect_no_exception(page)


@pytest.mark.parametrize(
    ("name", "role"),
    [
        (n, r)
        for n, r in ROLES
        if access.roles()[r].scope == "firm" and "handovers" in access.roles()[r].pages
    ],
)
def test_confidential_fields_follow_the_role(page, firm, name, role):
    record = firm.records["other_team"]
    sign_in(page, firm, name, path="handovers", handover=record["handover_id"])
    main = page.get_by_test_id("stMain")
    expect(main).to_contain_text(record["handover_id"])
    spec = access.roles()[role]
    for field, mask in (("contact_phone", mask_phone), ("uscc", mask_uscc), ("email", mask_email)):
        value = record[field]
        if value is None:
            continue
        shown, hidden = (
            (value, mask(value)) if spec.may(f"unmask:{field}") else (mask(value), value)
        )
        expect(main).to_contain_text(shown)
        assert hidden not in main.inner_text(), (role, field)


@pytest.mark.parametrize(
    ("name", "role", "record"),
    [("leade2e", "team_lead", "other_team"), ("staffe2e", "staff", "other_team")],
)
def test_a_scoped_account_never_sees_another_teams_record_by_address(
    page, firm, name, role, record
):
    outside = firm.records[record]
    sign_in(page, firm, name, path="handovers", handover=outside["handover_id"])
    main = page.get_by_test_id("stMain")
    expect(main).to_contain_text(t("handovers.not_found", "zh", id=outside["handover_id"]))
    text = main.inner_text() + page.get_by_test_id("stSidebar").inner_text()
    for field in ("contact_phone", "uscc", "email"):
        if outside[field]:
            assert outside[field] not in text, field
    assert mask_phone(outside["contact_phone"]) not in text
    if role == "team_lead":  # the team filter offers its own team only
        assert outside["team"] not in page.get_by_test_id("stSidebar").inner_text()


def test_a_scoped_account_sees_its_own_records(page, firm):
    inside = firm.records["own"]
    sign_in(page, firm, "staffe2e", path="handovers", handover=inside["handover_id"])
    main = page.get_by_test_id("stMain")
    expect(main).to_contain_text(inside["handover_id"])
    expect(main).to_contain_text(inside["contact_phone"])  # staff sees its clients' phones
    assert inside["uscc"] not in main.inner_text()


@pytest.mark.parametrize(
    ("name", "role"), [(n, r) for n, r in ROLES if "handovers" in access.roles()[r].pages]
)
def test_downloads_are_offered_only_with_the_export_permission(page, firm, name, role):
    sign_in(page, firm, name, path="handovers")
    buttons = page.get_by_test_id("stMain").get_by_role(
        "button", name=t("common.download_csv", "zh")
    )
    if access.roles()[role].may("export"):
        expect(buttons.first).to_be_visible()
    else:
        expect(page.get_by_test_id("stMain")).to_contain_text(PAGES["handovers"][0])
        expect(buttons).to_have_count(0)


def test_five_wrong_passwords_lock_the_account_and_the_audit_page_shows_it(page, firm):
    for _ in range(4):
        sign_in(page, firm, "lockede2e", password="not the password")
        expect(page.get_by_test_id("stMain")).to_contain_text(
            t("errors.signin_wrong_password", "zh")
        )
    sign_in(page, firm, "lockede2e", password="not the password")
    locked = page.get_by_test_id("stMain")
    expect(locked).to_contain_text("lockede2e")
    expect(locked).to_contain_text("锁定")
    sign_in(page, firm, "lockede2e")  # the right password, during the lockout
    expect(page.get_by_test_id("stMain")).to_contain_text("锁定")
    assert PAGES["overview"][0] not in nav_titles(page)

    page.context.clear_cookies()
    sign_in(page, firm, "admine2e", path="audit")
    table = page.get_by_test_id("stMain")
    expect(table).to_contain_text(t("audit.actions.lockout", "zh"))
    expect(table).to_contain_text(t("audit.actions.signin_failed", "zh"))
    expect_no_exception(page)


def test_sign_out_returns_to_the_sign_in_page(page, firm):
    sign_in(page, firm, "qualitye2e")
    click(page, page.get_by_role("button", name=t("signin.sign_out", "zh")))
    expect(page.get_by_test_id("stMain")).to_contain_text(t("signin.signed_out", "zh"))
    assert nav_titles(page) == []
