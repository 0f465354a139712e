"""交接明细 Handovers: a handover's record opens from a link (`?handover=ID`) and from the
table (search, then select the row); at 1440x900 the table shows the score, band and flags
without scrolling sideways, and at least 18 rows; `?band=red` opens it on the red ones."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.e2e.app_utils import (
    VIEWPORT,
    act,
    completed_handovers,
    expect_no_exception,
    goto,
    main,
)

RECORD_TITLE = {"zh": "交接档案 {id} · {company}", "en": "Handover record {id} · {company}"}
SECTIONS = {
    "zh": ("交接单", "客户资料", "清单逐项核对", "交接日志时间线"),
    "en": ("Handover form", "Client", "Checklist, item by item", "Timeline"),
}


@pytest.fixture(scope="module")
def handover(server) -> dict:
    """A completed handover of the sample, with its client's company."""
    return completed_handovers(server, date.today(), limit=1)[0]


def _record_heading(page, handover: dict, lang: str):
    title = RECORD_TITLE[lang].format(id=handover["handover_id"], company=handover["company_name"])
    return main(page).get_by_role("heading", name=title)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_record_opens_from_a_link_with_the_handover_id(page, server, handover, lang):
    """`/handovers?handover=ID` shows that handover's record, with its sections."""
    goto(
        page,
        server,
        "handovers",
        lang=None if lang == "zh" else lang,
        handover=handover["handover_id"],
    )
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


# the grid's accessible table (glide-data-grid renders it for the cells in view): its header
# cells, its rows, and how far the grid is scrolled sideways
_GRID = """grid => {
    const table = grid.querySelector('table');
    const scroller = grid.querySelector('.dvn-scroller');
    return {headers: Array.from(table.querySelectorAll('thead th')).map(th => th.textContent),
            rows: Number(table.getAttribute('aria-rowcount')) - 1,
            scrollLeft: scroller.scrollLeft, scrollTop: scroller.scrollTop};
}"""
ROW, HEADER = 35, 35  # px: Streamlit's row height and the header's


def test_the_table_shows_score_band_and_flags_and_twenty_rows_at_1440(page, server):
    assert page.viewport_size == VIEWPORT == {"width": 1440, "height": 900}
    goto(page, server, "handovers")
    grid = main(page).get_by_test_id("stDataFrame").first
    expect(grid).to_be_visible()
    expect(grid.locator("table thead th").first).to_be_attached()  # the grid has drawn
    # scrolled to once drawn at its full height (scrolled to before, a grid still growing
    # could end below the window: seen once in CI, 189 + 738 px in a 900 px window)
    grid.scroll_into_view_if_needed()
    state = grid.evaluate(_GRID)
    assert state["scrollLeft"] == 0 and state["scrollTop"] == 0
    # the columns in view, unscrolled: what matters first, the rest after
    assert state["headers"][:5] == ["交接单号", "企业名称", "等级", "评估得分", "风险标记"]
    box = grid.bounding_box()
    assert box is not None
    # inside the window, sideways and downwards, with at least 18 rows in view
    assert box["x"] >= 0 and box["x"] + box["width"] <= VIEWPORT["width"]
    assert box["y"] >= 0 and box["y"] + box["height"] <= VIEWPORT["height"] + 1
    assert (box["height"] - HEADER) // ROW >= 18, box
    assert state["rows"] >= 18
    # the first rows read as words and numbers: a band, a score, no "None"
    text = main(page).inner_text()
    assert "None" not in text
    expect_no_exception(page)


def test_a_band_link_opens_the_table_on_that_band(page, server):
    """`/handovers?band=red` (the overview's ranking links there) shows the red ones only."""
    goto(page, server, "handovers", band="red")
    expect(main(page).get_by_text(re.compile(r"显示 \d+ / \d+ 张交接单"))).to_be_visible()
    shown = main(page).get_by_text(re.compile(r"显示 (\d+) / (\d+) 张交接单")).inner_text()
    counted, total = map(int, re.findall(r"\d+", shown)[:2])
    assert 0 < counted < total
    expect(main(page).get_by_text("🔴 红").first).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]band=red"))
    expect_no_exception(page)
