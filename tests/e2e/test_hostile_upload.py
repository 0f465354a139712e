"""数据上传 Upload with a hostile workbook (issue 9): a 9 KB XLSX whose sheet declares
A1:XFD1048576 and holds a cell at XFD1048576 (17 billion cells to a reader that allocates the
range) is refused with a sentence on the page, and the server goes on answering."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.app_utils import PAGES, act, click, expect_no_exception, expect_title, goto, main
from tests.hostile.make_corpus import far_cell_workbook


def test_far_cell_workbook_is_refused_and_the_server_goes_on(page, server, tmp_path: Path):
    workbook = far_cell_workbook(tmp_path / "客户资料_far_cell.xlsx")
    goto(page, server, "upload")

    clients = main(page).get_by_role("radio", name="客户资料")
    if clients.get_attribute("aria-checked") != "true":
        click(page, clients)
    expect(clients).to_have_attribute("aria-checked", "true")
    uploader = main(page).get_by_test_id("stFileUploader")
    act(
        page, lambda: uploader.locator("input[type=file]").set_input_files(workbook), timeout=90_000
    )
    expect(uploader).to_contain_text(workbook.name)

    refusal = main(page).get_by_test_id("stAlertContentError")
    expect(refusal).to_have_count(1, timeout=60_000)
    expect(refusal).to_contain_text(workbook.name)  # a sentence about this file
    expect(main(page).get_by_role("button", name=re.compile("确认导入"))).to_have_count(0)
    expect_no_exception(page)

    assert server.process.poll() is None, "handover serve died"
    goto(page, server, "overview")
    expect_title(page, PAGES["overview"][0])
    expect_no_exception(page)
