"""Browser tests: the real `handover serve --demo` on a fresh database, driven by Debian's
Chromium through Playwright. Skipped (with the reason) where Chromium or Playwright is
missing; CI (`.ci/run`) installs both, so they run there. Deselect them with
``-m "not e2e"``."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path

import pytest

E2E_DIR = Path(__file__).parent

if find_spec("playwright") is None:  # the dev group was not installed (`uv sync` installs it)
    collect_ignore_glob = ["test_*.py"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: browser tests (Chromium + Playwright)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = None
    if shutil.which("chromium") is None:
        missing = (
            "e2e: Chromium is not on PATH (apt-get install chromium fonts-noto-cjk; "
            "never `playwright install`)"
        )
    for item in items:
        if E2E_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.e2e)
            if missing:
                item.add_marker(pytest.mark.skip(reason=missing))


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, browser) -> Iterator:
    """`handover serve --demo` on a fresh database (it loads the sample), shared by the e2e
    tests; its log is printed on teardown.

    The home page is opened once before the tests, so that the first test does not pay for
    the first render (imports, caches) alone."""
    from tests.e2e.app_utils import VIEWPORT, goto, start_server, stop_server

    running = start_server(tmp_path_factory.mktemp("e2e"))
    try:
        context = browser.new_context(locale="zh-CN", viewport=VIEWPORT)
        goto(context.new_page(), running, "", timeout=120_000)
        context.close()
        yield running
    finally:
        log = stop_server(running)
        print(
            f"\n----- handover serve log ({running.log}) -----\n{log}"
            "----- end of handover serve log -----"
        )


@pytest.fixture(scope="session")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    from tests.e2e.app_utils import launch_chromium

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser) -> Iterator:
    """A fresh browser session whose language is Chinese (the dashboard's default)."""
    from tests.e2e.app_utils import VIEWPORT

    context = browser.new_context(locale="zh-CN", viewport=VIEWPORT, timezone_id="Asia/Shanghai")
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """A failing browser test shows the end of the server's log beside its traceback."""
    outcome = yield
    report = outcome.get_result()
    running = getattr(item, "funcargs", {}).get("server")
    if report.failed and running is not None:
        report.sections.append(
            ("handover serve log (last 80 lines)", "\n".join(running.log_text().splitlines()[-80:]))
        )
