"""Every page renders, without an exception, in Chinese (the default) and in English."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.app_utils import LANGS, PAGES, click, expect_no_exception, expect_title, goto


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("key", list(PAGES))
def test_page_renders_with_its_title_and_no_exception(page, server, key, lang):
    """Each page shows its title in the language and no exception element."""
    goto(page, server, key, lang=None if lang == "zh" else lang)  # zh: the browser's locale
    expect_title(page, PAGES[key][LANGS.index(lang)])
    expect_no_exception(page)
    expect(page).to_have_url(f"{server.url}/{key}?lang={lang}")


@pytest.mark.parametrize("lang", LANGS)
def test_sidebar_lists_every_page_in_the_language(page, server, lang):
    """The navigation names the seven pages in the chosen language, in order."""
    goto(page, server, "overview", lang=lang)
    links = page.get_by_test_id("stSidebarNav").get_by_test_id("stSidebarNavLink")
    # each link is the page's icon (a ligature such as "dashboard") followed by its title
    expect(links).to_have_text(
        [re.compile(re.escape(titles[LANGS.index(lang)]) + "$") for titles in PAGES.values()]
    )


def test_language_switch_in_the_sidebar_changes_the_page_and_the_url(page, server):
    """Choosing English in the sidebar retitles the page and keeps the choice in the URL."""
    goto(page, server, "risk")
    expect_title(page, PAGES["risk"][0])
    click(page, page.get_by_test_id("stSidebar").get_by_role("radio", name="English"))
    expect_title(page, PAGES["risk"][1])
    expect(page).to_have_url(f"{server.url}/risk?lang=en")
    expect_no_exception(page)
