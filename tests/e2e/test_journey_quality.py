"""质检 Quality's job, in Chromium, on a firm the test builds itself (澄湖财税,
tests/e2e/journey_data.py): from a failing check on the Data quality page to the handover
record of the client it names; then the corrected client file is uploaded on the Upload page
(by an operations account: the quality role may not upload, pipelines/access.toml), and back
on Data quality the failure shows as fixed by that upload (issue 11, "Must show").

The firm's client SZC-1004 has a landline as its contact phone (clients.contact_phone.valid)
and SZC-1005 a USCC with a wrong check character (clients.uscc.valid); nothing else fails."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from dashboard.check_text import check_name
from pipelines import access
from tests.e2e.app_utils import (
    batches,
    click,
    expect_no_exception,
    main,
    sign_in,
    stop_server,
    upload_file,
)
from tests.e2e.journey_data import (
    AS_OF,
    Clicks,
    build_firm,
    grid,
    grid_column,
    grid_column_becomes,
    start_firm_server,
    write_corrected_clients,
    zh,
)

QUALITY, OPERATIONS = "lin.qc", "gao.ops"
WAIT = 60_000  # ms: a 2-core machine running other servers may be slow to draw a page
PHONE_CHECK, USCC_CHECK = "clients.contact_phone.valid", "clients.uscc.valid"


@pytest.fixture(scope="module")
def firm():
    return build_firm()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, firm) -> Iterator:
    server = start_firm_server(
        tmp_path_factory.mktemp("journey_quality"),
        firm,
        {QUALITY: "quality", OPERATIONS: "operations"},
    )
    try:
        yield server
    finally:
        print(f"\n----- handover serve log -----\n{stop_server(server)}")


def test_the_roles_of_the_journey():
    """The quality role reads the checks and may not upload; operations uploads."""
    roles = access.roles()
    assert "data_quality" in roles["quality"].pages and not roles["quality"].may("upload")
    assert "upload" in roles["operations"].pages and roles["operations"].may("upload")


def _failing_records(page, n: int):
    """The failing-records table of the Data quality page, once its subheading counts ``n``
    records: the table of every check is drawn first, and the chosen check's replaces it
    when the rerun the choice started has finished (on a loaded machine, after the click's
    wait for it may have given up)."""
    body = main(page)
    heading = body.get_by_role("heading", name=zh("data_quality.failing_title", n=n), exact=True)
    expect(heading).to_be_visible(timeout=WAIT)
    return (
        body.get_by_test_id("stDataFrame")
        .filter(has_text=zh("data_quality.columns.offending_value"))
        .first
    )


def _choose_check(page, check_id: str) -> None:
    body = main(page)
    box = body.get_by_test_id("stSelectbox").filter(has_text=zh("data_quality.pick_check"))
    name = check_name(check_id, "zh")
    combobox = box.get_by_role("combobox")
    combobox.click()
    combobox.fill(name)  # the list is long and drawn lazily: type to narrow it
    click(page, page.get_by_role("option", name=name, exact=True))
    expect(combobox).to_have_value(name)


def test_quality_goes_from_a_failing_check_to_the_record_and_sees_it_fixed_by_the_upload(
    page, served, firm, tmp_path
):
    bad = firm.client(firm.bad_phone)
    handovers = sorted(firm.handovers_of(bad.client_id), key=lambda h: h.actual_end, reverse=True)

    # 1. the failing check, its record and where it belongs
    sign_in(page, served, QUALITY, path="data_quality", as_of=AS_OF.isoformat())
    body = main(page)
    expect(body.get_by_role("heading", name=zh("data_quality.title"), exact=True)).to_be_visible(
        timeout=WAIT
    )
    _choose_check(page, PHONE_CHECK)
    failing = _failing_records(page, n=1)  # one client's phone is a landline
    expect(failing).to_be_visible(timeout=WAIT)
    companies = grid_column_becomes(
        failing, zh("data_quality.columns.company_name"), [bad.company_name]
    )
    assert companies == [bad.company_name], companies
    values = grid_column(failing, zh("data_quality.columns.offending_value"))
    assert values == [bad.contact_phone], values  # quality sees phones unmasked
    assert grid_column(failing, zh("data_quality.columns.team")) == [bad.team]
    Clicks(page).grid_row(failing, 0)
    panel = page.locator(".st-key-dq_record")
    expect(panel).to_contain_text(bad.company_name, timeout=WAIT)
    expect(panel).to_contain_text(bad.team)
    expect(panel).to_contain_text(bad.assigned_staff)
    latest = handovers[0].handover_id
    click(
        page,
        panel.get_by_role("button", name=zh("data_quality.open_handover", handover=latest)),
        timeout=WAIT,
    )

    # 2. the handover record of that client
    expect(
        page.get_by_role(
            "heading",
            name=re.compile(
                "^" + re.escape(zh("handovers.record_title", id=latest, company=bad.company_name))
            ),
        ).first
    ).to_be_visible(timeout=WAIT)
    assert f"handover={latest}" in page.url, page.url
    expect(main(page)).to_contain_text(bad.contact_phone)
    expect(main(page)).to_contain_text(check_name(PHONE_CHECK, "zh"))
    expect_no_exception(page)

    # 3. operations uploads the corrected client master on the Upload page
    corrected = write_corrected_clients(firm, tmp_path / "澄湖财税_客户资料_更正.csv")
    sign_in(page, served, OPERATIONS, path="upload")
    body = main(page)
    upload_file(page, zh("upload.kinds.clients"), corrected)
    confirm = body.get_by_role("button", name=re.compile(re.escape(zh("upload.confirm"))))
    expect(confirm).to_be_enabled(timeout=240_000)
    click(page, confirm, timeout=240_000)
    expect(body).to_contain_text(corrected.name, timeout=240_000)
    loaded = [b for b in batches(served) if b["file_name"] == corrected.name]
    assert [(b["kind"], b["action"], b["count_rows_updated"]) for b in loaded] == [
        ("clients", "import", 2)
    ], loaded
    batch = loaded[0]["batch_id"]
    expect_no_exception(page)

    # 4. back on Data quality: the failure is gone, fixed by that upload
    sign_in(page, served, QUALITY, path="data_quality", as_of=AS_OF.isoformat())
    body = main(page)
    expect(
        body.get_by_role("heading", name=zh("data_quality.fixes_title"), exact=True)
    ).to_be_visible(timeout=WAIT)
    _choose_check(page, PHONE_CHECK)
    expect(body).to_contain_text(zh("data_quality.no_failures"), timeout=WAIT)
    fixes = body.get_by_test_id("stDataFrame").filter(has_text=zh("data_quality.columns.state"))
    fixes = fixes.filter(has_text=bad.client_id).first
    expect(fixes).to_be_visible(timeout=WAIT)
    header, rows = grid(fixes)
    at = {
        name: header.index(zh(f"data_quality.columns.{name}"))
        for name in ("record_key", "check", "state", "resolved_by")
    }
    fixed = {(r[at["record_key"]], r[at["check"]]): r for r in rows}
    for client, check in ((firm.bad_phone, PHONE_CHECK), (firm.bad_uscc, USCC_CHECK)):
        row = fixed[(client, check_name(check, "zh"))]
        assert row[at["state"]] == zh("data_quality.state.fixed"), row
        assert row[at["resolved_by"]] == f"#{batch} {corrected.name}", row
    expect_no_exception(page)
