"""Survey exports of every tool: detection, answers, matching, attribution, keys, reports."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from pipelines.batches import list_batches
from pipelines.errors import ImportRejectedError
from pipelines.feedback.fields import MappingUnsureError
from pipelines.feedback.ingest import ingest_feedback, prepare
from pipelines.ingest import ingest_file
from pipelines.store import Store
from sample_data.surveys import (
    Answer,
    write_google,
    write_qualtrics,
    write_surveymonkey,
    write_template,
    write_tencent,
    write_wjx,
)
from tests.conftest import write_csv, write_xls

REAL = Path(__file__).parent / "fixtures" / "real"  # copied from ../shared/fixtures/real

CLIENTS = [
    ["客户编号", "企业名称", "统一社会信用代码", "联系人", "联系电话"],
    ["KH001", "上海甲科技有限公司", "91310115MA1K3X2Y4N", "张三", "13812345678"],
    ["KH002", "上海乙贸易有限公司", "91310104MA1FL5LX3D", "王五", "+86 139-0000-1111"],
    ["KH003", "上海丙咨询有限公司", "", "赵六", ""],
]
HANDOVERS = [
    ["交接单号", "客户编号", "移交人", "接收人", "实际完成时间"],
    ["JJ-1", "KH001", "李四", "钱七", "2026-03-01 17:00"],
    ["JJ-2", "KH001", "钱七", "孙八", "2026-06-01 17:00"],
    ["JJ-3", "KH002", "李四", "钱七", "2026-03-05 17:00"],
    ["JJ-4", "KH003", "李四", "钱七", ""],
]


@pytest.fixture
def loaded(store: Store, tmp_path: Path) -> Store:
    ingest_file(store, "clients", write_csv(tmp_path / "clients.csv", CLIENTS))
    ingest_file(store, "handovers", write_csv(tmp_path / "handovers.csv", HANDOVERS))
    return store


def _answers() -> list[Answer]:
    return [
        Answer(
            datetime(2026, 3, 10, 14, 22, 5),
            client_id="KH001",
            company_name="上海甲科技有限公司",
            satisfaction=5,
            recommend=10,
            comment="交接很顺利",
            communication=4,
            confidentiality=5,
        ),
        Answer(
            datetime(2026, 6, 20, 9, 5, 0),
            client_id="kh001 ",
            company_name="上海甲科技有限公司",
            satisfaction=2,
            recommend=3,
            comment=None,
            communication=2,
            confidentiality=3,
        ),
        Answer(
            datetime(2026, 3, 20, 10, 0, 0),
            client_id="KH002",
            company_name="上海乙贸易有限公司",
            satisfaction=4,
            recommend=8,
            comment="新会计不太熟悉情况",
        ),
        Answer(
            datetime(2026, 4, 1, 10, 0, 0),
            client_id="KH999",
            company_name="上海不存在有限公司",
            satisfaction=3,
            recommend=6,
        ),
        Answer(
            datetime(2026, 2, 1, 10, 0, 0),
            client_id="KH001",
            company_name="上海甲科技有限公司",
            satisfaction=4,
            recommend=9,
        ),
    ]


def _rows(store: Store) -> list[dict]:
    return store.query(
        "select * from feedback_responses order by submitted_at, response_key"
    ).dicts()


WRITERS = {
    "wjx_csv": (write_wjx, "survey.csv", "问卷星"),
    "wjx_xlsx": (write_wjx, "survey.xlsx", "问卷星"),
    "tencent_csv": (write_tencent, "survey.csv", "腾讯问卷"),
    "tencent_xlsx": (write_tencent, "survey.xlsx", "腾讯问卷"),
    "google": (write_google, "survey.csv", "Google Forms"),
    "surveymonkey": (write_surveymonkey, "survey.csv", "SurveyMonkey"),
    "surveymonkey_xlsx": (write_surveymonkey, "survey.xlsx", "SurveyMonkey"),
    "qualtrics": (write_qualtrics, "survey.csv", "Qualtrics"),
    "template": (write_template, "survey.csv", "plain template"),
}


@pytest.mark.parametrize("variant", list(WRITERS))
def test_every_tool_is_detected_matched_and_attributed(loaded: Store, tmp_path, variant):
    writer, name, label = WRITERS[variant]
    report = ingest_feedback(loaded, writer(tmp_path / name, _answers()))
    assert report.tool == label
    assert report.loaded == 5 and report.rejected == 0
    assert report.unmatched == 1, "KH999 / 上海不存在有限公司 matches no client"
    assert report.unattributed == 1, "the response of February precedes every handover of KH001"
    rows = [r for r in _rows(loaded) if r["is_real"]]
    by_time = {r["submitted_at"]: r for r in rows}
    march = by_time[datetime(2026, 3, 10, 14, 22, 5)]
    assert (march["client_id"], march["handover_id"]) == ("KH001", "JJ-1")
    assert march["overall_satisfaction"] == 5
    assert by_time[datetime(2026, 6, 20, 9, 5)]["handover_id"] == "JJ-2"
    assert by_time[datetime(2026, 3, 20, 10, 0)]["handover_id"] == "JJ-3"
    assert by_time[datetime(2026, 4, 1, 10, 0)]["unmatched_code"] == "unmatched.unknown_client"
    assert by_time[datetime(2026, 2, 1, 10, 0)]["unattributed_code"] == "unattributed.no_handover"
    if variant not in ("google",):
        assert march["recommend_score"] == 10


def test_wjx_labels_skipped_answers_and_dimensions(loaded: Store, tmp_path: Path):
    ingest_feedback(loaded, write_wjx(tmp_path / "wjx.csv", _answers()))
    rows = {r["submitted_at"]: r for r in _rows(loaded)}
    june = rows[datetime(2026, 6, 20, 9, 5)]
    assert june["overall_satisfaction"] == 2  # 不满意
    assert june["dim_communication"] == 2
    assert june["dim_confidentiality"] == 3  # 一般
    assert june["comment"] is None  # (跳过)
    assert june["matched_by"] == "company_name"


def test_wjx_legacy_xls_export_loads(loaded: Store, tmp_path: Path):
    rows = [
        [
            "序号",
            "提交答卷时间",
            "所用时间",
            "来源",
            "来源详情",
            "来自IP",
            "1、客户编号",
            "2、总体满意度",
            "3、您向朋友推荐我们的可能性(0-10分)",
        ],
        [
            1,
            "2026/3/10 14:22:05",
            "95秒",
            "手机提交",
            "直接访问",
            "1.2.3.4",
            "KH001",
            "非常满意",
            "10",
        ],
        [2, "2026/3/21 09:00:00", "80秒", "链接", "直接访问", "1.2.3.5", "KH002", "(跳过)", "7"],
    ]
    report = ingest_feedback(loaded, write_xls(tmp_path / "wjx.xls", rows))
    assert (report.tool, report.format, report.loaded) == ("问卷星", "XLS", 2)
    sat = {r["client_id"]: r["overall_satisfaction"] for r in _rows(loaded)}
    assert sat == {"KH001": 5.0, "KH002": None}


def test_gbk_csv_with_title_rows_and_star_ratings(loaded: Store, tmp_path: Path):
    rows = [
        [
            "序号",
            "提交答卷时间",
            "所用时间",
            "来源",
            "来源详情",
            "来自IP",
            "1、统一社会信用代码",
            "2、请为本次交接的整体满意度打分",
        ],
        [
            "1",
            "2026年3月10日 14:22",
            "95秒",
            "手机提交",
            "直接访问",
            "1.2.3.4",
            "91310115ma1k3x2y4n",
            "★★★★☆",
        ],
    ]
    ingest_feedback(loaded, write_csv(tmp_path / "wjx.csv", rows, "gbk"))
    (row,) = _rows(loaded)
    assert (row["client_id"], row["matched_by"], row["overall_satisfaction"]) == (
        "KH001",
        "uscc",
        4.0,
    )


def test_matching_by_phone_drops_86_and_punctuation(loaded: Store, tmp_path: Path):
    rows = [
        ["client_id", "contact_phone", "submitted_at", "overall_satisfaction"],
        ["", "8613900001111", "2026-03-20 10:00", "5"],
        ["", "139 0000 1111", "2026-03-21 10:00", "4"],
    ]
    ingest_feedback(loaded, write_csv(tmp_path / "t.csv", rows), source="template")
    assert {(r["client_id"], r["matched_by"]) for r in _rows(loaded)} == {
        ("KH002", "contact_phone")
    }


def test_full_width_company_name_is_folded_before_matching(loaded: Store, tmp_path: Path):
    rows = [
        [
            "序号",
            "提交答卷时间",
            "所用时间",
            "来源",
            "来源详情",
            "来自IP",
            "1、贵公司全称",
            "2、总体满意度",
        ],
        [
            "1",
            "2026/3/20 10:00:00",
            "9秒",
            "链接",
            "直接访问",
            "1.1.1.1",
            " 上海乙贸易有限公司 ",
            "满意",
        ],
    ]
    ingest_feedback(loaded, write_csv(tmp_path / "wjx.csv", rows))
    (row,) = _rows(loaded)
    assert row["client_id"] == "KH002"


def test_qualtrics_previews_and_unfinished_are_kept_but_excluded(loaded: Store, tmp_path):
    answers = _answers()[:3] + [
        Answer(datetime(2026, 3, 11, 9, 0), client_id="KH001", satisfaction=5, status="preview"),
        Answer(datetime(2026, 3, 12, 9, 0), client_id="KH001", satisfaction=1, status="unfinished"),
    ]
    report = ingest_feedback(loaded, write_qualtrics(tmp_path / "q.csv", answers))
    assert report.excluded == {"preview": 1, "unfinished": 1}
    assert report.loaded == 3
    exclusions = sorted(str(r["exclusion"]) for r in _rows(loaded))
    assert exclusions == ["None", "None", "None", "preview", "unfinished"]


def test_the_batch_records_tool_columns_and_counts(loaded: Store, tmp_path: Path):
    answers = _answers() + [
        Answer(datetime(2026, 3, 11, 9, 0), client_id="KH001", satisfaction=5, status="preview")
    ]
    report = ingest_feedback(loaded, write_qualtrics(tmp_path / "q.csv", answers))
    batch = list_batches(loaded).iloc[0]
    recorded = json.loads(batch["report"])
    assert recorded["tool"] == "qualtrics"
    assert recorded["columns"]["client_id"].startswith("ExternalReference")
    assert recorded["excluded"] == {"preview": 1}
    assert (recorded["loaded"], recorded["unmatched"], recorded["unattributed"]) == (5, 1, 1)
    assert batch["source_format"] == "Qualtrics CSV (UTF-8 with BOM)"
    from cli.ingest import report_text

    assert report_text(report).count("\n") == 1


def test_qualtrics_legacy_two_row_header(loaded: Store, tmp_path: Path):
    answers = _answers()[:2] + [
        Answer(datetime(2026, 3, 11, 9, 0), client_id="KH001", satisfaction=5, status="preview")
    ]
    report = ingest_feedback(loaded, write_qualtrics(tmp_path / "q.csv", answers, legacy=True))
    assert report.tool == "Qualtrics"
    assert report.excluded == {"preview": 1}
    assert {r["overall_satisfaction"] for r in _rows(loaded) if r["is_real"]} == {5.0, 2.0}


def test_surveymonkey_dates_are_month_first_with_a_12_hour_clock(loaded: Store, tmp_path):
    ingest_feedback(loaded, write_surveymonkey(tmp_path / "sm.csv", _answers()[:1]))
    (row,) = _rows(loaded)
    assert row["submitted_at"] == datetime(2026, 3, 10, 14, 22, 5)
    assert row["response_key"].startswith("surveymonkey:")


def test_google_day_first_dates_are_recognised_by_the_column(loaded: Store, tmp_path: Path):
    rows = [
        ["Timestamp", "Client ID", "Overall satisfaction"],
        ["20/03/2026 10:00:00", "KH002", "Very satisfied"],
        ["02/04/2026 10:00:00", "KH002", "Satisfied"],
    ]
    ingest_feedback(loaded, write_csv(tmp_path / "g.csv", rows))
    assert [r["submitted_at"] for r in _rows(loaded)] == [
        datetime(2026, 3, 20, 10),
        datetime(2026, 4, 2, 10),
    ]


def test_redownload_with_overlapping_rows_adds_only_new_ones(loaded: Store, tmp_path: Path):
    first = ingest_feedback(loaded, write_wjx(tmp_path / "a.csv", _answers()[:3]))
    second = ingest_feedback(loaded, write_wjx(tmp_path / "b.csv", _answers()))
    assert (first.loaded, second.loaded, second.duplicates) == (3, 2, 3)
    assert loaded.query("select count(*) from stg_feedback").scalar() == 5
    again = ingest_feedback(loaded, tmp_path / "b.csv")
    assert again.already_loaded_batch == second.batch_id


def test_google_forms_without_ids_are_keyed_by_content(loaded: Store, tmp_path: Path):
    ingest_feedback(loaded, write_google(tmp_path / "a.csv", _answers()[:2]))
    report = ingest_feedback(loaded, write_google(tmp_path / "b.csv", _answers()[:3]))
    assert (report.loaded, report.duplicates) == (1, 2)


def test_unreadable_rating_rejects_the_file_listing_the_row(loaded: Store, tmp_path: Path):
    rows = [
        ["client_id", "submitted_at", "overall_satisfaction"],
        ["KH001", "2026-03-10 10:00", "5"],
        ["KH002", "2026-03-21 10:00", "还行吧我觉得"],
    ]
    with pytest.raises(ImportRejectedError, match="rejected, nothing was loaded") as caught:
        ingest_feedback(loaded, write_csv(tmp_path / "t.csv", rows))
    (problem,) = caught.value.problems
    assert (problem.row, problem.value) == (3, "还行吧我觉得")
    assert loaded.query("select count(*) from raw_feedback").scalar() == 0


def test_out_of_range_scores_are_loaded_for_the_checks_to_report(loaded: Store, tmp_path):
    rows = [
        ["client_id", "submitted_at", "overall_satisfaction", "recommend_score"],
        ["KH001", "2026-03-10 10:00", "7", "11"],
    ]
    ingest_feedback(loaded, write_csv(tmp_path / "t.csv", rows))
    (row,) = _rows(loaded)
    assert (row["overall_satisfaction"], row["recommend_score"]) == (7.0, 11.0)


def test_unsure_mapping_prints_candidates_and_the_map_line(loaded: Store, tmp_path: Path):
    rows = [
        [
            "序号",
            "提交答卷时间",
            "所用时间",
            "来源",
            "来源详情",
            "来自IP",
            "1、贵公司名称",
            "2、您对新会计满意吗",
            "3、您对交接满意吗",
        ],
        [
            "1",
            "2026/3/20 10:00:00",
            "9秒",
            "链接",
            "直接访问",
            "1.1.1.1",
            "上海乙贸易有限公司",
            "满意",
            "一般",
        ],
    ]
    path = write_csv(tmp_path / "wjx.csv", rows)
    with pytest.raises(
        MappingUnsureError, match="2 columns could be overall_satisfaction"
    ) as caught:
        ingest_feedback(loaded, path)
    error = caught.value
    assert "2 columns could be overall_satisfaction" in error.message
    assert any('--map overall_satisfaction="2、您对新会计满意吗"' in d for d in error.details)
    report = ingest_feedback(loaded, path, maps={"overall_satisfaction": "3、您对交接满意吗"})
    assert report.loaded == 1
    (row,) = _rows(loaded)
    assert row["overall_satisfaction"] == 3.0


def test_prepare_offers_the_same_detection_to_the_upload_page(tmp_path: Path):
    survey, mapping = prepare(write_tencent(tmp_path / "t.xlsx", _answers()))
    assert survey.tool.name == "tencent"
    assert mapping.is_sure
    assert set(mapping.describe()) >= {
        "client_id",
        "company_name",
        "submitted_at",
        "overall_satisfaction",
        "recommend_score",
        "comment",
    }


@pytest.mark.parametrize(
    ("name", "tool"),
    [
        ("wjx_readable_800.xls", "问卷星"),
        ("wjx_coded_800.xls", "问卷星"),
        ("qualtrics_numeric_de.csv", "Qualtrics"),
        ("qualtrics_legacy.csv", "Qualtrics"),
    ],
)
def test_real_exports_of_other_surveys_are_recognised_and_refused_clearly(store, name, tool):
    """The tools' own files: the tool is recognised, the missing columns named, nothing loaded."""
    with pytest.raises(MappingUnsureError, match=f"recognised as a {tool} export") as caught:
        ingest_feedback(store, REAL / name)
    message = caught.value.message
    assert f"recognised as a {tool} export" in message
    assert "no column identifies the client" in message or "overall satisfaction" in message
    assert any("--map" in line for line in caught.value.details)
    assert not store.exists() or store.query("select count(*) from raw_feedback").scalar() == 0


def test_response_figures_are_available_to_the_metrics_layer(loaded: Store, tmp_path: Path):
    from datetime import date

    from metrics.figures import compute_figures
    from metrics.selection import Filters

    ingest_feedback(loaded, write_wjx(tmp_path / "wjx.csv", _answers()))
    keys = ["responses_total", "responses_unmatched", "responses_attributed"]
    assert compute_figures(loaded, date(2026, 11, 20), keys=keys) == {
        "responses_total": 5,
        "responses_unmatched": 1,
        "responses_attributed": 3,
    }
    only_jj1 = Filters(period_to=date(2026, 3, 1))
    assert compute_figures(loaded, date(2026, 11, 20), only_jj1, keys)["responses_attributed"] == 1


def test_a_question_mentioning_the_company_is_not_taken_for_its_name(loaded, tmp_path):
    answers = [
        Answer(
            datetime(2026, 3, 20, 10),
            company_name="上海乙贸易有限公司",
            satisfaction=4,
            recommend=9,
        )
    ]  # the other questions skipped
    survey, mapping = prepare(write_wjx(tmp_path / "wjx.csv", answers))
    assert mapping.is_sure
    assert mapping.columns["company_name"].shown == "1、贵公司名称"
