"""The upload page in Chinese: refused rows and errors worded in Chinese, and, before the
confirm button, what the upload would bring: a survey's matched, unmatched and duplicate
answers and what the data checks find in the file's rows (on a private copy; nothing is
written until confirmed)."""

from __future__ import annotations

import re

import pandas as pd

from pipelines.store import Store
from tests.dashboard.conftest import open_page

# An English sentence: three or more ASCII words in a row, outside data values.
ENGLISH = re.compile(r"[A-Za-z]{2,}(?:[ ,;:'()\-]+[A-Za-z]{2,}){2,}")


def _english(texts) -> list[str]:
    return [s for s in (str(x) for x in texts) if ENGLISH.search(s)]


def _messages(at) -> list[str]:
    return [
        e.value
        for kind in ("markdown", "caption", "warning", "error", "success", "info")
        for e in getattr(at, kind)
    ]


def _frame(at, column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _survey(db) -> bytes:
    """A 问卷星 export (GBK): a known client, the same response twice, an answer that is no
    rating, a satisfaction of 9 (out of range for the checks) and an unknown company."""
    companies = [
        r[0]
        for r in Store(db)
        .query(
            "select company_name from stg_clients where company_name is not null "
            "order by client_id limit 3"
        )
        .rows
    ]
    rows = [
        [
            "序号",
            "提交答卷时间",
            "所用时间",
            "来源",
            "来源详情",
            "来自IP",
            "1、贵公司名称",
            "2、您对本次会计人员交接工作的总体满意度",
            "3、您有多大可能向朋友推荐我们？(0-10分)",
        ],
        [
            "901",
            "2026/3/10 14:00:00",
            "67秒",
            "手机提交",
            "直接访问",
            "1.1.1.1",
            companies[0],
            "非常满意",
            "9",
        ],
        [
            "902",
            "2026/3/11 14:00:00",
            "70秒",
            "手机提交",
            "直接访问",
            "1.1.1.2",
            "查无此公司有限公司",
            "满意",
            "8",
        ],
        [
            "902",
            "2026/3/11 14:00:00",
            "70秒",
            "手机提交",
            "直接访问",
            "1.1.1.2",
            "查无此公司有限公司",
            "满意",
            "8",
        ],
        [
            "903",
            "2026/3/12 14:00:00",
            "75秒",
            "链接",
            "直接访问",
            "1.1.1.3",
            companies[1],
            "说不好",
            "7",
        ],
        [
            "904",
            "2026/3/13 14:00:00",
            "80秒",
            "链接",
            "直接访问",
            "1.1.1.4",
            companies[2],
            "9",
            "6",
        ],
        [
            "905",
            "2026/3/14 14:00:00",
            "82秒",
            "链接",
            "直接访问",
            "1.1.1.5",
            "另一家未知公司",
            "一般",
            "5",
        ],
    ]
    return "\r\n".join(",".join(r) for r in rows).encode("gbk")


def test_a_survey_shows_its_answers_and_check_findings_before_confirming(dashboard_env, sample_db):
    before = Store(sample_db).query("select count(*) from batches").rows[0][0]
    at = open_page("upload", role="operations")
    at.segmented_control(key="upload_kind").set_value("feedback").run()
    at.file_uploader[0].upload("客户回访问卷.csv", _survey(sample_db), "text/csv").run(timeout=300)
    assert not at.exception, at.exception
    # one answer is no rating and one is 9: detection is unsure, so the uploader maps it
    mapped = at.selectbox(key="map_overall_satisfaction")
    mapped.set_value(next(o for o in mapped.options if "总体满意度" in o)).run(timeout=300)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]

    metrics = {m.label: m.value for m in at.metric}
    assert metrics["已匹配到客户"] == "2"  # the known client and the out-of-range answer
    # (the answer that is no rating is refused: with "only the good rows" it is left out)
    assert metrics["未匹配到客户"] == "1"
    assert metrics["重复的答卷"] == "2"  # response 902 twice in the file
    answers = _frame(at, "状态")
    assert set(answers["状态"]) == {"未匹配到客户", "文件中重复"}
    assert {"查无此公司有限公司", "另一家未知公司"} <= set(answers["企业名称"])

    checks = _frame(at, "本文件中的问题数")
    assert "满意度不在1-5或推荐分不在0-10" in set(checks["检查项"])
    found = dict(zip(checks["检查项"], checks["本文件中的问题数"], strict=False))
    assert found["满意度不在1-5或推荐分不在0-10"] == 1
    assert found["反馈无法匹配到客户"] == 1
    findings = _frame(at, "问题值")
    assert "反馈无法匹配到客户" in set(findings["检查项"])

    problems = _frame(at, "原因")
    assert any("不是满意度评分" in w for w in problems["原因"])
    assert any("同一份答卷也出现在第" in w for w in problems["原因"])
    assert not _english(problems["原因"]) and not _english(problems["列"])
    assert not _english(_messages(at)), _english(_messages(at))
    assert not _english(m.label for m in at.metric)

    assert at.button(key="upload_confirm")  # not pressed: nothing was written
    assert Store(sample_db).query("select count(*) from batches").rows[0][0] == before


def test_a_bad_handover_file_is_explained_in_chinese(dashboard_env, sample_db):
    content = (
        "交接单号,客户编号,移交人,接收人,交接原因,计划开始日期,已签保密协议\n"
        "JJ-UP-1,KH-0001,李四,王五,出差,2026-13-40,也许\n"
        "JJ-UP-1,KH-0002,李四,王五,离职,2026/3/1,是\n"
        ",KH-0003,李四,王五,离职,2026/3/1,是\n"
    ).encode()
    at = open_page("upload", role="operations")
    at.segmented_control(key="upload_kind").set_value("handovers").run()
    at.file_uploader[0].upload("交接单.csv", content, "text/csv").run(timeout=300)
    assert not at.exception, at.exception
    problems = _frame(at, "原因")
    reasons = " ".join(problems["原因"])
    for said in (
        "无法识别的值（可选：离职",
        "日期不存在",
        "不是“是/否”值",
        "同一主键也出现在第",
        "缺少主键",
    ):
        assert said in reasons, reasons
    assert "交接原因" in set(problems["列"])
    assert not _english(problems["原因"]) and not _english(problems["列"])
    assert not _english(_messages(at)), _english(_messages(at))
    assert "CSV 文本文件" in " ".join(m.value for m in at.markdown)


def test_a_survey_given_as_clients_says_to_choose_feedback_without_a_command(
    dashboard_env, sample_db
):
    at = open_page("upload", role="operations")
    at.segmented_control(key="upload_kind").set_value("clients").run()
    at.file_uploader[0].upload("问卷.csv", _survey(sample_db), "text/csv").run(timeout=300)
    assert not at.exception, at.exception
    said = " ".join(e.value for e in at.error)
    assert "请在本页把数据类型选为“客户反馈”" in said, said
    assert "handover" not in said and "`" not in said
    assert not _english([said])


def test_the_problems_in_english(dashboard_env, sample_db):
    content = (
        b"client_id,submitted_at,overall_satisfaction,recommend_score\n"
        b"KH-EN-1,2026-02-30 10:00,5,9\n"
        b"KH-EN-2,2026-03-01 10:00,4,8\n"
    )
    at = open_page("upload", lang="en", role="operations")
    at.file_uploader[0].upload("feedback.csv", content, "text/csv").run(timeout=300)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    problems = _frame(at, "Why")
    assert list(problems["Why"]) == ["impossible date (2026-02-30 does not exist)"]
    assert list(problems["Column"]) == ["Submission time"]
    assert {m.label: m.value for m in at.metric}["Match no client"] == "1"


def _count_reads(monkeypatch) -> dict[str, int]:
    """How often a file is read (``read_grid``, under the template files' and the survey
    exports' readers), by the page itself and by the trial import into a private copy."""
    import data_checks.refresh as refresh
    import pipelines.feedback.layout as layout
    import pipelines.ingest as ingest
    import pipelines.readers as readers

    reads = {"page": 0, "trial": 0}
    where = ["page"]

    def counting(real):
        def read(*args, **kwargs):
            reads[where[-1]] += 1
            return real(*args, **kwargs)

        return read

    real_read = readers.read_grid
    for module in (readers, ingest, layout):  # each holds the name read_grid
        monkeypatch.setattr(module, "read_grid", counting(real_read))
    real_trial = refresh.trial_import

    def trial(*args, **kwargs):
        where.append("trial")
        try:
            return real_trial(*args, **kwargs)
        finally:
            where.pop()

    monkeypatch.setattr(refresh, "trial_import", trial)
    return reads


def test_a_template_file_is_read_once_for_detection_preview_and_validation(
    dashboard_env, sample_db, monkeypatch
):
    content = (
        "交接单号,客户编号,移交人,接收人,交接原因,计划开始日期,已签保密协议\n"
        "JJ-ONCE-1,KH-0001,李四,王五,出差,2026-13-40,也许\n"
        "JJ-ONCE-2,KH-0002,李四,王五,离职,2026/3/1,是\n"
    ).encode()
    at = open_page("upload", role="operations")
    at.segmented_control(key="upload_kind").set_value("handovers").run()
    reads = _count_reads(monkeypatch)
    at.file_uploader[0].upload("交接单.csv", content, "text/csv").run(timeout=300)
    assert not at.exception, at.exception
    # the dry run read it once: the format, the mapping, the first rows and the problems
    # are all on the page; the trial import into the private copy reads it once more
    assert reads == {"page": 1, "trial": 1}
    assert "CSV 文本文件" in " ".join(m.value for m in at.markdown)
    shown = {tuple(d.value.columns) for d in at.dataframe}
    assert any("交接单号" in columns and "计划开始日期" in columns for columns in shown), shown
    assert "日期不存在" in " ".join(_frame(at, "原因")["原因"])


def test_a_survey_is_read_once_and_a_changed_mapping_not_again(
    dashboard_env, sample_db, monkeypatch
):
    at = open_page("upload", role="operations")
    at.segmented_control(key="upload_kind").set_value("feedback").run()
    reads = _count_reads(monkeypatch)
    at.file_uploader[0].upload("客户回访问卷.csv", _survey(sample_db), "text/csv").run(timeout=300)
    assert not at.exception, at.exception
    assert reads["page"] == 1
    reads.update(page=0, trial=0)
    mapped = at.selectbox(key="map_overall_satisfaction")
    mapped.set_value(next(o for o in mapped.options if "总体满意度" in o)).run(timeout=300)
    assert not at.exception, at.exception
    # this run's dry run read the file once; the chosen mapping was validated on the
    # survey it read, and the trial import read it for the private copy
    assert reads == {"page": 1, "trial": 1}
    assert {m.label: m.value for m in at.metric}["未匹配到客户"] == "1"
