"""AppTest: 交接明细 Handovers in Chinese. The table puts what matters first (id, company,
band, score, flags; id and company pinned), lowest score first, about twenty rows high; the
``band`` (and ``flag``) query parameters set the filters; a record reads in Chinese, with no
"None", no code (event types, checklist items, survey tools, match fields) and dates in
Chinese."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.components import PAGE_ROWS
from dashboard.i18n import t
from metrics.catalogue import label
from metrics.scores import compute_scores
from metrics.selection import Filters
from pipelines.store import Store
from pipelines.templates import CHECKLIST_ITEMS, EVENT_TYPES
from sample_data.generator import SAMPLE_AS_OF
from tests.dashboard.conftest import every_page, open_page, prepare_role

FIRST = ["handover_id", "company_name", "band", "score", "flags"]
NO_VALUE = {"None", "none", "nan", "NaN", "NaT", "<NA>", "null"}
TEXT_ELEMENTS = (
    "title",
    "header",
    "subheader",
    "caption",
    "markdown",
    "info",
    "warning",
    "success",
    "error",
    "expander",
    "tab",
    "toast",
)


def open_handovers(
    db: Path, monkeypatch, params: dict | None = None, lang: str = "zh", role: str = "management"
) -> AppTest:
    """The handovers page, signed in as ``role``, with ``params`` in the URL from the start
    (as a link opens it)."""
    monkeypatch.setenv("HANDOVER_DB", str(db))
    prepare_role(db, monkeypatch, role)
    at = open_page("handovers", lang, role, params=params, timeout=120)
    assert not at.exception, [e.value for e in at.exception]
    return at


def rendered_texts(at) -> list[str]:
    """Every sentence the page shows outside tables and charts: texts, labels, metrics."""
    texts = []
    for kind in TEXT_ELEMENTS:
        for element in at.get(kind):
            for name in ("value", "label", "body"):
                value = getattr(element, name, None)
                if isinstance(value, str):
                    texts.append(value)
    for metric in at.metric:
        texts += [metric.label, str(metric.value)]
    return texts


def assert_no_none(at) -> None:
    """No "None" (or nan, NaT) anywhere a user reads: in texts, in table cells (every table
    shows "—" for no value) and in charts."""
    for text in rendered_texts(at):
        assert not set(re.findall(r"[A-Za-z<>]+", text)) & NO_VALUE, text
    for frame in at.dataframe:
        assert frame.proto.placeholder == "—", list(frame.value.columns)
        cells = frame.value.astype(object).map(lambda v: str(v) if isinstance(v, str) else "")
        bad = cells.isin(NO_VALUE) | cells.map(lambda v: v.strip() in NO_VALUE)
        assert not bad.to_numpy().any(), frame.value[bad.any(axis=1)]
        assert not any(str(c) in NO_VALUE for c in frame.value.columns)
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        shown = json.dumps(
            [
                {k: v for k, v in trace.items() if k in ("x", "y", "text", "customdata")}
                for trace in spec["data"]
            ],
            ensure_ascii=False,
        )
        assert not re.search(r'"(None|nan|NaT)"', shown), shown[:300]


def the_table(at):
    found = [d for d in at.dataframe if d.key == "handover_table"]
    assert len(found) == 1
    return found[0]


def column_config(frame) -> dict:
    """The table's column configuration by column label (from the element's message)."""
    return json.loads(frame.proto.columns) if frame.proto.columns else {}


@pytest.fixture
def db(sample_db, dashboard_env):
    return sample_db


@pytest.fixture(scope="module")
def scores(sample_db):
    return compute_scores(Store(sample_db), SAMPLE_AS_OF, Filters())


def test_table_puts_what_matters_first_pinned_worst_first(db, scores, monkeypatch):
    at = open_handovers(db, monkeypatch)
    table = the_table(at)
    frame = table.value
    assert list(frame.columns[:5]) == [t(f"columns.{c}", "zh") for c in FIRST]
    for rest in (
        "efficiency_score",
        "quality_score",
        "satisfaction_score",
        "risk_score",
        "team",
        "to_staff",
        "from_staff",
        "reason",
        "actual_end",
    ):
        assert t(f"columns.{rest}", "zh") in list(frame.columns[5:])
    config = column_config(table)
    pinned = {name for name, spec in config.items() if spec.get("pinned")}
    assert pinned == {t("columns.handover_id", "zh"), t("columns.company_name", "zh")}
    assert config[t("columns.score", "zh")]["type_config"]["type"] == "progress"
    assert table.proto.placeholder == "—"
    # a page at a time of every handover, lowest score first, unscored last
    ordered = scores.sort_values(["score", "handover_id"], na_position="last", kind="stable")
    ids = t("columns.handover_id", "zh")
    assert len(frame) == PAGE_ROWS < len(scores)
    assert list(frame[ids]) == list(ordered["handover_id"][:PAGE_ROWS])
    assert any(t("handovers.order", "zh") in c.value for c in at.caption)
    last = -(-len(scores) // PAGE_ROWS)
    at.number_input(key="handover_table_page").set_value(last).run()
    tail = the_table(at).value
    assert list(tail[ids]) == list(ordered["handover_id"][(last - 1) * PAGE_ROWS :])
    shown = pd.concat([frame, tail])[t("columns.score", "zh")]
    scored = shown.dropna()
    assert list(scored) == sorted(scored)
    assert shown.isna().sum() == 0 or shown.iloc[len(scored) :].isna().all()
    # words, not codes
    bands = set(frame[t("columns.band", "zh")].dropna())
    assert bands <= {
        f"{dot} {t(f'bands.{b}', 'zh')}"
        for b, dot in (("red", "🔴"), ("yellow", "🟡"), ("green", "🟢"))
    }
    reasons = set(frame[t("columns.reason", "zh")].dropna())
    assert reasons and not reasons & {"resignation", "rotation", "leave", "reassignment"}
    flags = " ".join(frame[t("columns.flags", "zh")].dropna())
    assert label("flags", "overdue", "zh") in flags and "overdue" not in flags
    assert_no_none(at)


@pytest.mark.parametrize(
    ("given", "bands"),
    [("red", ["red"]), ("red,yellow", ["red", "yellow"]), ("red,purple", ["red"])],
)
def test_the_band_query_parameter_sets_the_band_filter(db, scores, monkeypatch, given, bands):
    at = open_handovers(db, monkeypatch, {"band": given})
    chosen = next(m for m in at.multiselect if m.key == "h_bands")
    assert chosen.value == bands
    frame = the_table(at).value
    expected = scores[scores["band"].isin(bands)]
    assert len(frame) == len(expected) > 0
    assert set(frame[t("columns.handover_id", "zh")]) == set(expected["handover_id"])
    # worst first within the filter too
    shown = list(frame[t("columns.score", "zh")].dropna())
    assert shown == sorted(shown)
    assert at.query_params["band"] == ",".join(bands)


def test_the_band_filter_is_written_back_to_the_url(db, scores, monkeypatch):
    at = open_handovers(db, monkeypatch)
    next(m for m in at.multiselect if m.key == "h_bands").set_value(["yellow"])
    at.run()
    assert at.query_params["band"] == "yellow"
    assert len(the_table(at).value) == int((scores["band"] == "yellow").sum())
    next(m for m in at.multiselect if m.key == "h_bands").set_value([])
    at.run()
    assert not at.query_params.get("band")
    assert len(every_page(at, "handover_table", lambda at: the_table(at).value)) == len(scores)


def test_the_flag_query_parameter_sets_the_flag_filter(db, scores, monkeypatch):
    at = open_handovers(db, monkeypatch, {"flag": "overdue"})
    assert next(m for m in at.multiselect if m.key == "h_flags").value == ["overdue"]
    frame = the_table(at).value
    assert len(frame) == int(scores["flags"].map(lambda f: "overdue" in f).sum())


def _rich_handover(db: Path) -> str:
    """A completed handover with a discrepancy, an attributed response and a missing value
    somewhere (no note on an event), so that the record shows every section."""
    return (
        Store(db)
        .query(
            "select e.handover_id from stg_events e join feedback_responses f "
            "on f.handover_id = e.handover_id and f.is_real "
            "where e.event_type = 'discrepancy_found' order by e.handover_id limit 1"
        )
        .scalar()
    )


def test_a_record_reads_in_chinese_with_no_none_and_no_code(db, monkeypatch):
    handover = _rich_handover(db)
    assert handover
    at = open_handovers(db, monkeypatch, {"handover": handover})
    assert at.header[0].value.startswith(f"交接档案 {handover}")
    assert_no_none(at)
    cells = " ".join(
        str(v)
        for d in at.dataframe
        if d.key != "handover_table"
        for v in d.value.astype(object).to_numpy().ravel()
    )
    codes = (
        set(EVENT_TYPES)
        | set(CHECKLIST_ITEMS)
        | {
            "wjx",
            "tencent",
            "google",
            "template",
            "company_name",
            "client_id",
            "contact_phone",
            "uscc",
            "resignation",
            "rotation",
            "reassignment",
            "general",
            "small_scale",
            "active",
            "terminated",
            "True",
            "False",
        }
    )
    found = set(re.findall(r"[A-Za-z_]+", cells)) & codes
    assert not found, found
    # the sections that hold codes show their words
    kinds = set().union(
        *(
            set(d.value[t("handovers.events.event_type", "zh")])
            for d in at.dataframe
            if t("handovers.events.event_type", "zh") in d.value.columns
        )
    )
    assert "发现差异" in kinds and kinds <= set(EVENT_TYPES.values())
    checklist = next(
        d.value for d in at.dataframe if t("handovers.sensitive", "zh") in d.value.columns
    )
    assert set(checklist[t("handovers.item", "zh")]) <= set(CHECKLIST_ITEMS.values())
    feedback = next(
        d.value
        for d in at.dataframe
        if t("handovers.feedback_columns.source_tool", "zh") in d.value.columns
    )
    tools = set(feedback[t("handovers.feedback_columns.source_tool", "zh")])
    assert tools and not tools & {"wjx", "tencent", "google", "template"}
    # dates in Chinese: the form's days and times, the tables' date columns, the timeline
    form = next(d.value for d in at.dataframe if t("handovers.field", "zh") in d.value.columns)
    planned = form.set_index(t("handovers.field", "zh")).loc[
        t("columns.planned_end", "zh"), t("handovers.value", "zh")
    ]
    assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", planned), planned
    ended = form.set_index(t("handovers.field", "zh")).loc[
        t("columns.actual_end", "zh"), t("handovers.value", "zh")
    ]
    assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}", ended), ended
    formats = [
        spec.get("type_config", {}).get("format")
        for d in at.dataframe
        for spec in column_config(d).values()
        if spec.get("type_config", {}).get("type") in ("datetime", "date")
    ]
    assert formats and all("年" in f for f in formats), formats
    timeline = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert timeline["layout"]["xaxis"]["tickformat"] == "%Y年%-m月%-d日"
    hover = json.dumps(timeline["data"], ensure_ascii=False)
    assert "清单项目" in hover and "item=" not in hover and "actor=" not in hover


def test_a_record_reads_in_english_too(db, monkeypatch):
    handover = _rich_handover(db)
    at = open_handovers(db, monkeypatch, {"handover": handover}, lang="en")
    assert at.header[0].value.startswith(f"Handover record {handover}")
    kinds = set().union(
        *(set(d.value["Event"]) for d in at.dataframe if "Event" in d.value.columns)
    )
    assert "Discrepancy found" in kinds and not kinds & set(EVENT_TYPES)
    assert_no_none(at)


def test_the_table_is_the_scored_frame_with_words(db, scores, monkeypatch):
    """The numbers in the table are the scores of metrics/, row by row."""
    at = open_handovers(db, monkeypatch)
    frame = every_page(at, "handover_table", lambda at: the_table(at).value).set_index(
        t("columns.handover_id", "zh")
    )
    expected = scores.set_index("handover_id")
    for column in (
        "score",
        "efficiency_score",
        "quality_score",
        "satisfaction_score",
        "risk_score",
    ):
        mine = frame[t(f"columns.{column}", "zh")].astype(float)
        pd.testing.assert_series_equal(
            mine.sort_index(),
            expected[column].sort_index(),
            check_names=False,
            check_index_type=False,
        )


def test_a_record_without_discrepancy_or_feedback_says_so(db, monkeypatch):
    handover = (
        Store(db)
        .query(
            "select h.handover_id from stg_handovers h where h.actual_end is not null "
            "and not exists (select 1 from stg_events e where e.handover_id = h.handover_id "
            "and e.event_type = 'discrepancy_found') and not exists (select 1 from "
            "feedback_responses f where f.handover_id = h.handover_id and f.is_real) "
            "order by h.handover_id limit 1"
        )
        .scalar()
    )
    at = open_handovers(db, monkeypatch, {"handover": handover})
    captions = [c.value for c in at.caption]
    assert t("handovers.no_discrepancies", "zh") in captions
    assert t("handovers.no_feedback", "zh") in captions
    assert any(m.value.startswith(":") and "风险等级：" in m.value for m in at.markdown)
    assert_no_none(at)


def test_month_and_date_helpers_word_dates_per_language():
    from datetime import date, datetime

    from dashboard.i18n import fmt_date, fmt_month, month_ticks

    assert fmt_month("2025-07", "zh") == "2025年7月" and fmt_month("2025-07", "en") == "Jul 2025"
    assert fmt_month(pd.Timestamp("2025-12-01"), "zh") == "2025年12月"
    assert fmt_month(None, "zh") == fmt_month(pd.NaT, "zh") == "—"
    assert fmt_date(date(2025, 7, 3), "zh") == "2025年7月3日"
    assert fmt_date(date(2025, 7, 3), "en") == "2025-07-03"
    assert fmt_date(datetime(2025, 7, 3, 14, 5), "zh", time=True) == "2025年7月3日 14:05"
    assert fmt_date(float("nan"), "zh") == "—" and fmt_date("soon", "zh") == "soon"
    months = [f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13)][5:23]
    values, texts = month_ticks(months, "zh", most=6)
    assert texts == ["2025年6月", "9月", "12月", "2026年3月", "6月", "9月"]
    assert values[1] == "2025年9月"
    assert month_ticks(months, "en", most=6)[1][:2] == ["Jun 2025", "Sep"]
