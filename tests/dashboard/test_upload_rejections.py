"""The upload history lists the rows each batch rejected (loaded with only the good rows):
one expander per batch, each row's number, column, value and why in the user's language,
values as plain text. On the sample's database with a real import."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.access import Actor
from pipelines.ingest import ingest_file
from pipelines.store import Store
from tests.dashboard.conftest import open_page

MARKUP = "**粗体**<b>x</b>"  # a value that Markdown or HTML would change


@pytest.fixture(scope="module")
def rejected_batch(sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> int:
    path = tmp_path_factory.mktemp("upload") / "交接单.csv"
    path.write_text(
        "交接单号,客户编号,移交人,接收人,交接原因,计划开始日期,已签保密协议\n"
        "JJ-REJ-1,KH000001,李四,王五,离职,2026-03-01,是\n"
        "JJ-REJ-2,KH000002,李四,王五,离职,2026-13-01,是\n"
        f"JJ-REJ-3,KH000003,李四,王五,{MARKUP},2026-03-02,是\n",
        encoding="utf-8",
    )
    report = ingest_file(
        Store(sample_db),
        "handovers",
        path,
        skip_invalid=True,
        actor=Actor("tester", "administrator"),
    )
    assert (report.added, report.rejected) == (1, 2)
    assert report.batch_id is not None
    return report.batch_id


def _rejections(at, why: str):
    return next(d.value for d in at.dataframe if why in d.value.columns)


def test_the_history_lists_a_batchs_rejected_rows_in_chinese(dashboard_env, rejected_batch):
    at = open_page("upload", role="operations")
    assert not at.exception, at.exception
    labels = [e.label for e in at.expander]
    assert f"第 {rejected_batch} 批（交接单.csv）：拒绝 2 行" in labels, labels
    frame = _rejections(at, "原因")
    assert list(frame["行号"]) == [3, 4]
    assert list(frame["值"]) == ["2026-13-01", MARKUP]  # as written: no Markdown, no HTML
    assert frame["原因"].iloc[0] == "日期不存在（2026-13-01）"
    assert frame["原因"].iloc[1].startswith("无法识别的值")
    assert "导入时拒绝的行" in " ".join(m.value for m in at.markdown)


def test_the_history_words_the_reasons_in_english(dashboard_env, rejected_batch):
    at = open_page("upload", lang="en", role="operations")
    assert not at.exception, at.exception
    labels = [e.label for e in at.expander]
    assert f"Batch {rejected_batch} (交接单.csv): 2 row(s) rejected" in labels, labels
    frame = _rejections(at, "Why")
    assert list(frame["Why"])[0] == "impossible date (2026-13-01 does not exist)"
    assert list(frame["Value"]) == ["2026-13-01", MARKUP]


def test_the_stored_rejections_keep_their_codes(sample_db, rejected_batch):
    rows = (
        Store(sample_db)
        .query(
            "select row_number, column_name, value, code, field, params from batch_rejections "
            "where batch_id = ? order by row_number, rowid",
            [rejected_batch],
        )
        .rows
    )
    assert [r[:5] for r in rows] == [
        (3, "计划开始日期", "2026-13-01", "impossible_date", "planned_start"),
        (4, "交接原因", MARKUP, "unknown_code", "reason"),
    ]
    assert rows[0][5] == '{"date": "2026-13-01"}'
