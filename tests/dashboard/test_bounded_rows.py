"""No page sends the browser more than a page of rows, however large the firm.

The database has the large sample's shape at a size a test can load: more handovers, staff,
failing records and responses than a page holds (dashboard.components.PAGE_ROWS), so that
every table that could grow with the firm has more rows than it may show. Every page is
opened as the administrator (every page, every row of the firm) with the risk page set to
show all rows of all time, and every table and chart the page sent is counted: a table holds
at most PAGE_ROWS rows, a chart at most MAX_CHART_POINTS values.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dashboard.components import PAGE_ROWS
from data_checks.results import save_run
from data_checks.runner import run_checks
from metrics.scores import compute_scores
from pipelines.store import Store
from sample_data.generator import SAMPLE_AS_OF
from tests.dashboard.conftest import add_accounts, array, by_key, open_page

# charts draw from counts (a histogram's bars, a month's mean), never one mark per handover
MAX_CHART_POINTS = 1_000
PAGES = (
    "overview",
    "handovers",
    "satisfaction",
    "risk",
    "data_quality",
    "upload",
    "settings",
    "audit",
)


@pytest.fixture(scope="module")
def shaped_db(tmp_path_factory) -> Path:
    """The large sample's shape, smaller: 60 teams of 5, 2,500 handovers, checks run."""
    from sample_data import generator
    from sample_data.loader import load_sample

    shape = generator.SampleSize(clients=1_500, teams=60, team_size=5, handovers=2_500)
    path = tmp_path_factory.mktemp("shaped") / "shaped.duckdb"
    patch = pytest.MonkeyPatch()
    patch.setitem(generator.SIZES, "shape", shape)
    patch.setattr("sample_data.loader.SIZES", (*generator.SIZES,))
    try:
        load_sample(Store(path), "shape")
    finally:
        patch.undo()
    store = Store(path)
    save_run(store, run_checks(store, SAMPLE_AS_OF))
    add_accounts(path)
    return path


@pytest.fixture
def shaped_env(shaped_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HANDOVER_DB", str(shaped_db))
    monkeypatch.setenv("HANDOVER_CONFIG", str(tmp_path / "handover.toml"))
    return shaped_db


def test_the_database_is_larger_than_a_page_everywhere(shaped_db: Path) -> None:
    """Without this, the test below would prove nothing."""
    store = Store(shaped_db)
    scores = compute_scores(store, SAMPLE_AS_OF)
    assert len(scores) > 10 * PAGE_ROWS
    assert scores["to_staff"].nunique() > PAGE_ROWS
    failing = store.query("select count(*) from check_failures").scalar()
    assert failing > PAGE_ROWS


def chart_points(spec: dict) -> int:
    count = 0
    for trace in spec.get("data", []):
        count += max(
            (
                array(trace[axis]).size
                for axis in ("x", "y", "z", "values")
                if axis in trace and trace[axis] is not None
            ),
            default=0,
        )
    return count


@pytest.mark.parametrize("page", PAGES)
def test_no_page_sends_more_than_a_page_of_rows(shaped_env, monkeypatch, page: str) -> None:
    at = open_page(page, "zh", "administrator", monkeypatch, timeout=240)
    assert not at.exception, at.exception
    if page == "risk":  # all of time, all rows, flagged or not: the most the page can list
        by_key(at.button_group, "risk_window").set_value(0)
        by_key(at.button_group, "risk_limit").set_value(0)
        by_key(at.toggle, "risk_only_flagged").set_value(False)
        at.run()
        assert not at.exception, at.exception
    sizes = {table.key or f"#{i}": len(table.value) for i, table in enumerate(at.dataframe)}
    assert all(rows <= PAGE_ROWS for rows in sizes.values()), sizes
    points = {
        i: chart_points(json.loads(chart.proto.spec))
        for i, chart in enumerate(at.get("plotly_chart"))
    }
    assert all(n <= MAX_CHART_POINTS for n in points.values()), points
    if page in ("handovers", "risk", "data_quality", "overview"):
        # the long lists are there, a page at a time, with a page chooser
        assert any(rows == PAGE_ROWS for rows in sizes.values()), sizes
        assert any(str(n.key).endswith("_page") for n in at.number_input), page
