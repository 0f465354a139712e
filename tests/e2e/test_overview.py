"""总览 Overview: the KPI tiles show the library's figures, and an import from the command
line while the dashboard is open shows after a reload."""

from __future__ import annotations

import re
import time
from datetime import date, timedelta

from playwright.sync_api import expect

from dashboard.computations import AHEAD
from metrics.catalogue import catalogue, format_value, label
from metrics.figures import compute_figures
from metrics.rollups import stated_periods
from metrics.selection import Filters
from pipelines.store import Store
from tests.conftest import write_csv
from tests.e2e.app_utils import (
    batches,
    completed_handovers,
    expect_no_exception,
    goto,
    main,
    metric,
    metric_value,
    reload,
)


def _figures(server) -> dict:
    """What each tile shows (issue 11): the figure of the handovers completed in the stated
    period, or, for the figures of open handovers and of the survey files, of everything."""
    from dashboard.report import STATE_FIGURES

    store = Store(server.db, busy_timeout=60)
    start, end = _period(server)
    whole = compute_figures(store, date.today())
    period = compute_figures(store, date.today(), Filters(period_from=start, period_to=end))
    return {key: whole[key] if key in STATE_FIGURES else period[key] for key in whole}


def _period(server) -> tuple[date, date]:
    return stated_periods(Store(server.db, busy_timeout=60), date.today(), Filters()).current


def test_overview_shows_at_least_ten_kpi_tiles_with_numbers(page, server):
    """The overview shows the figures as KPI tiles, each with a number."""
    goto(page, server, "overview")
    tiles = page.get_by_test_id("stMetric")
    expect(tiles.nth(9)).to_be_visible()
    values = tiles.get_by_test_id("stMetricValue").all_inner_texts()
    assert len(values) >= 10
    assert sum(bool(re.search(r"\d", v)) for v in values) >= 10, values
    expect_no_exception(page)


def test_overview_tiles_equal_the_figures_of_the_metrics_library(page, server):
    """Every figure of the catalogue has one tile, showing `handover metrics`' value."""
    goto(page, server, "overview")
    figures = _figures(server)
    for key in catalogue()["figures"]:
        tile = metric(page, label("figures", key, "zh"))
        expect(tile.get_by_test_id("stMetricValue")).to_have_text(
            format_value(key, figures[key], "zh")
        )


def test_overview_in_english_labels_tiles_in_english(page, server):
    """With ?lang=en the tiles carry the English labels and the same numbers."""
    goto(page, server, "overview", lang="en")
    figures = _figures(server)
    expect(
        metric(page, label("figures", "handovers_total", "en")).get_by_test_id("stMetricValue")
    ).to_have_text(format_value("handovers_total", figures["handovers_total"], "en"))
    expect(metric(page, label("figures", "checklist_coverage", "en"))).to_have_count(1)


def test_events_imported_from_the_command_line_show_after_a_reload(page, server, tmp_path):
    """`handover ingest events` while the dashboard is open: a reload shows the new figure
    (30-day follow-up rate) and the upload history lists the batch."""
    goto(page, server, "overview")
    tile = label("figures", "followup_30d_rate", "zh")
    before_figure = _figures(server)["followup_30d_rate"]
    expect(metric(page, tile).get_by_test_id("stMetricValue")).to_have_text(
        format_value("followup_30d_rate", before_figure, "zh")
    )
    shown_before = metric_value(page, tile)

    start = _period(server)[0]  # the tile covers the stated period
    visits = [
        v
        for v in completed_handovers(
            server, date.today() - timedelta(days=40), limit=10_000, without_event="followup_visit"
        )
        if v["actual_end"].date() >= start
    ][:3]
    assert len(visits) == 3
    events = write_csv(
        tmp_path / "交接日志_回访补录.csv",
        [
            ["交接单号", "发生时间", "事件类型", "清单项目", "操作人", "备注"],
            *[
                [
                    v["handover_id"],
                    f"{v['actual_end'] + timedelta(days=2):%Y-%m-%d %H:%M}",
                    "客户回访",
                    "",
                    "e2e",
                    "电话回访",
                ]
                for v in visits
            ],
        ],
        encoding="gbk",
    )
    done = server.handover("ingest", "events", str(events))
    assert done.returncode == 0, done.stderr + done.stdout

    # the server makes the new data's computation ready without a page asking for it
    deadline = time.monotonic() + 60
    while AHEAD not in server.log_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert AHEAD in server.log_text(), server.log_text()[-3000:]

    after_figure = _figures(server)["followup_30d_rate"]
    assert after_figure > before_figure
    expect(metric(page, tile).get_by_test_id("stMetricValue")).to_have_text(shown_before)
    reload(page)
    expect(metric(page, tile).get_by_test_id("stMetricValue")).to_have_text(
        format_value("followup_30d_rate", after_figure, "zh")
    )
    assert metric_value(page, tile) != shown_before
    expect_no_exception(page)

    loaded = [b for b in batches(server) if b["file_name"] == events.name]
    assert [(b["kind"], b["count_rows_added"]) for b in loaded] == [("events", 3)]
    goto(page, server, "upload")
    expect(main(page).get_by_test_id("stDataFrame").filter(has_text=events.name)).to_have_count(1)
