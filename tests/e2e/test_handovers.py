"""交接明细 Handovers: a handover's record opens from a link (`?handover=ID`) and from the
table (search, then select the row)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.e2e.app_utils import (
    act,
    completed_handovers,
    expect_no_exception,
    goto,
    main,
)

RECORD_TITLE = {"zh": "交接档案 {id} · {company}", "en": "Handover record {id} · {company}"}
SECTIONS = {"zh": ("交接单", "客户资料", "清单逐项核对", "交接日志时间线"),
            "en": ("Handover form", "Client", "Checklist, item by item", "Timeline")}


@pytest.fixture(scope="module")
def handover(server) -> dict:
    """A completed handover of the sample, with its client's company."""
    return completed_handovers(server, date.today(), limit=1)[0]


def _record_heading(page, handover: dict, lang: str):
    title = RECORD_TITLE[lang].format(id=handover["handover_id"],
                                      company=handover["company_name"])
    return main(page).get_by_role("heading", name=title)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_record_opens_from_a_link_with_the_handover_id(page, server, handover, lang):
    """`/handovers?handover=ID` shows that handover's record, with its sections."""
    goto(page, server, "handovers", lang=None if lang == "zh" else lang,
         handover=handover["handover_id"])
    expect(_record_heading(page, handover, lang)).to_be_visible()
    for section in SECTIONS[lang]:
        expect(main(page).get_by_role("heading", name=section, exact=True)).to_be_visible()
    expect_no_exception(page)


def test_record_opens_when_a_searched_row_is_selected(page, server, handover):
    """Searching the handover id leaves one row; selecting it opens the record and puts the id
    in the URL."""
    goto(page, server, "handovers")
    expect(_record_heading(page, handover, "zh")).to_have_count(0)
    search = main(page).get_by_role("textbox", name="搜索")
    search.fill(handover["handover_id"])
    act(page, lambda: search.press("Enter"))
    expect(main(page).get_by_text(re.compile(r"显示 1 / \d+ 张交接单"))).to_be_visible()
    grid = main(page).get_by_test_id("stDataFrame").first
    box = grid.bounding_box()
    assert box is not None
    # the row-selection column is the grid's first; its first data row lies under the header
    act(page, lambda: page.mouse.click(box["x"] + 16, box["y"] + 35 + 35 / 2))
    expect(_record_heading(page, handover, "zh")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"[?&]handover={re.escape(handover['handover_id'])}"))
    expect_no_exception(page)
