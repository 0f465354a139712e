"""Links opened first on a freshly started dashboard: a page's address, and the home."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.e2e.app_utils import (
    PAGES,
    expect_no_exception,
    expect_title,
    goto,
    start_server,
    stop_server,
)


@pytest.fixture(scope="module")
def fresh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """A dashboard that no browser has opened yet."""
    running = start_server(tmp_path_factory.mktemp("e2e_fresh"))
    try:
        yield running
    finally:
        print(f"\n----- handover serve log -----\n{stop_server(running)}")


def test_deep_link_as_first_request_opens_the_page_inside_the_app(page, fresh_server):
    """The first visitor, arriving by a link to a page, gets the app's navigation and filters
    (a `pages/` folder beside the entry point once made Streamlit run the page alone)."""
    goto(page, fresh_server, "upload", timeout=120_000)
    expect_title(page, PAGES["upload"][0])
    links = page.get_by_test_id("stSidebarNav").get_by_test_id("stSidebarNavLink")
    expect(links).to_have_count(len(PAGES))
    expect(links.first).to_contain_text(PAGES["overview"][0])
    expect(page.get_by_test_id("stSidebar")).to_contain_text("筛选")
    expect_no_exception(page)


def test_home_opens_the_first_page_keeping_the_query(page, fresh_server):
    """`/?lang=en` opens the overview at its own address, in English."""
    goto(page, fresh_server, "", lang="en")
    expect_title(page, PAGES["overview"][1])
    expect(page).to_have_url(f"{fresh_server.url}/overview?lang=en")
    expect_no_exception(page)
