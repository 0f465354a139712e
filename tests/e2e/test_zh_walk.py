"""Every page in Chinese reads as Chinese: a walk through the dashboard in headless Chromium
that fails on English sentences, "None", English month names and raw column codes.

What is read is what a user sees: the visible text of the page (not what CSS hides), with
every expander opened and every tab shown, the chart texts, and the tables' header and cells
(Streamlit's data grid keeps an accessible copy of the visible cells in the page). An
ASCII-only run of three or more words is an English sentence, in the interface and in the
tables' cells too: the reasons, details and statuses there are the product's words; the
sample's data values (names, companies, identifiers, addresses) are Chinese or single tokens.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.app_utils import (
    PAGES,
    VIEWPORT,
    act,
    add_account,
    click,
    expect_no_exception,
    goto,
    main,
    start_server,
    stop_server,
    upload_file,
)

# A handover file with something wrong in every way an import can refuse a row, in GBK with
# the template's Chinese headers, as a firm's own export would be.
BAD_HANDOVERS = (
    "交接单号,客户编号,移交人,接收人,监交人,部门,交接原因,计划开始日期,计划完成日期,"
    "实际开始时间,实际完成时间,已签保密协议,签字确认时间\n"
    "JJ-W-1,KH000001,张三,李四,王五,记账一部,离职,2026/02/30,2026-03-10,,,是,\n"
    "JJ-W-2,KH000002,张三,李四,王五,记账一部,外派,2026-03-01,2026-03-10,,,也许,\n"
    "JJ-W-2,KH000003,张三,李四,王五,记账一部,调岗,2026-03-01,2026-03-10,25:61,,否,\n"
    ",KH000004,张三,李四,王五,记账一部,调岗,2026-03-01,2026-03-10,,,否\n"
)

# An ASCII-only stretch of text (no Chinese, no full-width punctuation in it) ...
ASCII_RUN = re.compile(r"[\x20-\x7e]+")
# ... is a sentence when it holds three or more words: two letters or more, not all capitals
# (CSV, XLSX, CSAT, NPS are terms), not part of an identifier, address or file name.
WORD = re.compile(r"(?<![A-Za-z0-9_@./-])(?=[A-Za-z]*[a-z])[A-Za-z]{2,}(?![A-Za-z0-9_@/-])")
MONTH = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? '?\d{2,4}\b")
NONE = re.compile(r"(?<![A-Za-z])(None|nan|NaN|NaT|null)(?![A-Za-z])")
SNAKE_CODE = re.compile(r"^[a-z]+(?:_[a-z]+)+$")  # contact_phone, company_name

# What the page shows, as lists of texts: visible text nodes outside icons and data grids,
# chart texts, table headers and table cells.
_READ_PAGE = """() => {
    const isIcon = el => el.closest("[data-testid='stIconMaterial'], [data-testid='stIconEmoji']");
    const inGrid = el => el.closest("[data-testid='stDataFrame'], [data-testid='stTable']");
    const inChart = el => el.closest(".js-plotly-plot, [data-testid='stPlotlyChart']");
    const texts = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const node = walker.currentNode, el = node.parentElement, text = node.nodeValue.trim();
        if (!text || !el || isIcon(el) || inGrid(el) || inChart(el)) continue;
        if (["SCRIPT", "STYLE", "NOSCRIPT"].includes(el.tagName)) continue;
        if (!el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) continue;
        const box = el.getBoundingClientRect();  // a skip link waits above the page
        if (box.width <= 1 || box.height <= 1 || box.bottom <= 0 || box.right <= 0) continue;
        texts.push(text);
    }
    const of = selector => Array.from(document.querySelectorAll(selector))
        .map(e => e.textContent.trim()).filter(Boolean);
    return {
        texts,
        chart: of(".js-plotly-plot svg text"),
        headers: of("[data-testid='stDataFrame'] table th, [data-testid='stTable'] th"),
        cells: of("[data-testid='stDataFrame'] table td, [data-testid='stTable'] td"),
    };
}"""


def english_sentences(text: str) -> list[str]:
    """The ASCII-only runs of ``text`` with three or more words."""
    return [run.strip() for run in ASCII_RUN.findall(text) if len(WORD.findall(run)) >= 3]


def findings(read: dict[str, list[str]]) -> list[str]:
    found = []
    for text in read["texts"] + read["chart"] + read["headers"]:
        found += [f"English: {s!r}" for s in english_sentences(text)]
        found += [f"English month: {m.group(0)!r} in {text!r}" for m in MONTH.finditer(text)]
        if NONE.search(text):
            found.append(f"None: {text!r}")
    for header in read["headers"]:
        if SNAKE_CODE.match(header):
            found.append(f"raw column code as a header: {header!r}")
    for cell in read["cells"]:  # data, but also the reasons and details the product writes
        if NONE.fullmatch(cell):
            found.append(f"None in a table cell: {cell!r}")
        found += [f"English in a table cell: {s!r}" for s in english_sentences(cell)]
    return found


def test_the_rules_catch_what_they_should() -> None:
    """The walk's own rules: a sentence, a month, None and a raw code are caught; Chinese
    with a term or an identifier in it is not."""
    assert english_sentences("It looks like a survey export") == ["It looks like a survey export"]
    assert english_sentences("共 3 条 · Data Docs · CSAT 与 NPS") == []
    assert english_sentences("JJ2025-000001 KH000036 a@b.cn") == []
    assert english_sentences("下载 CSV") == []
    assert english_sentences("200MB per file · CSV, XLSX, XLS") == []
    read = {
        "texts": ["2025年7月", "Jul 2025"],
        "chart": ["Jan 2026"],
        "headers": ["contact_phone", "联系电话"],
        "cells": ["None", "—", "Nonexistent Co"],
    }
    assert findings(read) == [
        "English month: 'Jul 2025' in 'Jul 2025'",
        "English month: 'Jan 2026' in 'Jan 2026'",
        "raw column code as a header: 'contact_phone'",
        "None in a table cell: 'None'",
    ]


@pytest.fixture(scope="module")
def walk_server(tmp_path_factory: pytest.TempPathFactory, browser) -> Iterator:
    """A server of its own (the sample, checks run), so that the other tests' uploads and
    accounts do not change what is walked, and so that an account can be added at the end."""
    running = start_server(tmp_path_factory.mktemp("zh_walk"))
    try:
        done = running.handover("check")
        assert done.returncode == 0, done.stderr
        yield running
    finally:
        stop_server(running)


def _open_everything(page) -> None:
    """Open each closed expander (one at a time: a click reruns the page)."""
    for _ in range(30):
        closed = page.locator("[data-testid='stExpander'] details:not([open]) > summary")
        if closed.count() == 0:
            return
        click(page, closed.first)


def _read_with_tabs(page) -> list[dict[str, list[str]]]:
    _open_everything(page)
    reads = [page.evaluate(_READ_PAGE)]
    tabs = page.get_by_role("tab")
    for index in range(tabs.count()):
        click(page, tabs.nth(index))
        _open_everything(page)
        reads.append(page.evaluate(_READ_PAGE))
    return reads


READ: dict[str, int] = {"texts": 0, "chart": 0, "headers": 0, "cells": 0}


def _walk(page, server, path: str, **params: str) -> list[str]:
    goto(page, server, path, lang="zh", **params)
    page.wait_for_timeout(500)  # charts and grids draw after the script ends
    expect_no_exception(page)
    found = []
    for read in _read_with_tabs(page):
        for part, texts in read.items():
            READ[part] += len(texts)
        found += [f for f in findings(read) if f not in found]
    return found


def _walk_bad_upload(page, server, folder: Path) -> list[str]:
    """The upload page with a refused handover file: every reason in Chinese."""
    bad = folder / "交接单_有错.csv"
    bad.write_bytes(BAD_HANDOVERS.encode("gbk"))
    goto(page, server, "upload", lang="zh")
    upload_file(page, "交接单", bad)
    refused = main(page).get_by_test_id("stDataFrame").filter(has_text="外派").last  # refused
    expect(refused).to_be_visible(timeout=60_000)
    expect_no_exception(page)
    page.wait_for_timeout(500)
    found = []
    for read in _read_with_tabs(page):
        assert len(read["cells"]) >= 4, "the refused rows' table is read"
        found += [f for f in findings(read) if f not in found]
    return found


def _walk_selected_failure(page, server) -> list[str]:
    """The data quality page with its first failing record selected."""
    goto(page, server, "data_quality", lang="zh")
    failures = main(page).locator(".st-key-dq_failures [data-testid='stDataFrame']")
    expect(failures).to_be_visible()
    failures.scroll_into_view_if_needed()
    box = failures.bounding_box()
    assert box is not None
    # the first data row's selection box: left edge, below the header row (35 px each)
    act(page, lambda: page.mouse.click(box["x"] + 15, box["y"] + 35 + 17))
    expect(main(page).locator(".st-key-dq_record")).to_be_visible(timeout=60_000)
    found = []
    for read in _read_with_tabs(page):
        found += [f for f in findings(read) if f not in found]
    return found


def _record_with_failures(server) -> str:
    """A handover whose record shows flags and a failing check."""
    done = server.handover("failures", "--json")
    assert done.returncode == 0, done.stderr
    failing = [
        f["record_key"]
        for f in json.loads(done.stdout)["failures"]
        if f["check_id"] == "handovers.owner.consistent"
    ]
    assert failing, "the sample has a handover failing handovers.owner.consistent"
    return failing[0]


def test_every_page_in_chinese_reads_as_chinese(browser, walk_server, tmp_path: Path) -> None:
    context = browser.new_context(locale="zh-CN", viewport=VIEWPORT, timezone_id="Asia/Shanghai")
    context.set_default_timeout(60_000)
    page = context.new_page()
    report: dict[str, list[str]] = {}
    try:
        for key in PAGES:
            report[key] = _walk(page, walk_server, key)
        record = _record_with_failures(walk_server)
        report[f"handovers?handover={record}"] = _walk(
            page, walk_server, "handovers", handover=record
        )
        # the walk read what a user reads, not an empty page (the selectors still match)
        assert READ["texts"] > 500 and READ["chart"] > 100, READ
        assert READ["headers"] > 50 and READ["cells"] > 500, READ
        report["data_quality (a failing record selected)"] = _walk_selected_failure(
            page, walk_server
        )
        report["upload (a refused file)"] = _walk_bad_upload(page, walk_server, tmp_path)
        # the sign-in page, once an account exists
        add_account(walk_server, "质检员甲", "quality")
        fresh = browser.new_context(locale="zh-CN", viewport=VIEWPORT).new_page()
        report["signin"] = _walk(fresh, walk_server, "overview")
        fresh.context.close()
    finally:
        context.close()
    problems = {page: found for page, found in report.items() if found}
    assert not problems, "English or None on Chinese pages:\n" + "\n".join(
        f"{page}:\n  " + "\n  ".join(found) for page, found in problems.items()
    )
