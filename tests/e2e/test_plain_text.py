"""User data is text, in the browser: `handover serve` on a database whose every text field is
hostile Markdown/HTML (tests/dashboard/payloads.py). The record of a hostile handover, a link
with a hostile ``?handover=``, and the charts with hostile names: no link to the payload's
address, no bold, italics, colour, formula or icon made from data; the text reads as typed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from dashboard.text import WORD_JOINER
from tests.dashboard.payloads import AS_OF, LINK, P, build, payload
from tests.e2e.app_utils import (
    PASSWORD,
    expect_no_exception,
    main,
    sign_in,
    start_server,
    stop_server,
)

# Elements that formatting of a payload would make, and that should never hold data.
FORMATTED = """() => [...document.querySelectorAll(
    'a, strong, b, em, i, code, del, s, sup, sub, .katex, span[role="img"], ' +
    '[class*="stMarkdownColored"], tspan[style*="bold"], tspan[style*="italic"]')]
  .filter(e => /P\\d\\d/.test(e.textContent)).map(e => e.outerHTML.slice(0, 200))"""
LINKS = """() => [...document.querySelectorAll('[href*="example.com"], [*|href*="example.com"]')]
  .map(e => e.outerHTML.slice(0, 200))"""


@pytest.fixture(scope="module")
def payload_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    workdir = tmp_path_factory.mktemp("e2e_payload")
    db = build(workdir / "data")
    from pipelines import accounts
    from pipelines.store import Store

    # the firm's own data: serve needs an account before it starts (an administrator sees
    # every page that shows the payloads)
    accounts.add_user(Store(db), "reader", PASSWORD, "administrator")
    running = start_server(workdir, demo=False, db=db)
    try:
        yield running
    finally:
        print(f"\n----- handover serve log -----\n{stop_server(running)}")


def assert_nothing_formatted(page) -> None:
    expect_no_exception(page)
    assert page.evaluate(LINKS) == [], f"links to {LINK} on the page"
    assert page.evaluate(FORMATTED) == [], "data rendered as formatting"


def shown(locator) -> str:
    return locator.inner_text().replace(WORD_JOINER, "")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_record_of_a_hostile_handover_reads_as_typed(page, payload_server, lang):
    sign_in(
        page,
        payload_server,
        "reader",
        path="handovers",
        lang=lang,
        handover=P["handover_id"],
        team=P["team"],
        staff=P["to_staff"],
        as_of=AS_OF.isoformat(),
        timeout=120_000,
    )
    title = main(page).locator("h2").first
    expect(title).to_contain_text("P09")
    assert payload("P09") in shown(title) and payload("P02") in shown(title)
    assert_nothing_formatted(page)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text("P13")
    assert payload("P13") in shown(sidebar)  # the team chosen by the link, as written


def test_a_link_with_a_hostile_handover_quotes_it_without_a_link(page, payload_server):
    sign_in(
        page,
        payload_server,
        "reader",
        path="handovers",
        handover=P["url_handover"],
        as_of=AS_OF.isoformat(),
    )
    warning = main(page).get_by_test_id("stAlertContentWarning")
    expect(warning).to_have_count(1)
    assert payload("P21") in shown(warning)
    assert_nothing_formatted(page)


@pytest.mark.parametrize("key", ["satisfaction", "risk", "data_quality", "upload", "overview"])
def test_other_pages_show_hostile_names_as_text(page, payload_server, key):
    sign_in(page, payload_server, "reader", path=key, as_of=AS_OF.isoformat(), timeout=120_000)
    assert_nothing_formatted(page)
