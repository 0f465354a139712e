"""Importer problems and errors are codes with parameters: every problem the importers can
produce carries a code whose English sentence is its ``why`` and which the dashboard words in
Chinese and English; every error an upload raises has a code with both sentences, and the
page's sentences name no command."""

from __future__ import annotations

import string
import tomllib
from pathlib import Path

import pytest

from dashboard.i18n import catalogue, t
from dashboard.import_text import column_label, error_text, reason
from pipelines.errors import REASONS, HandoverError, Problem, reason_text
from pipelines.feedback.ingest import ingest_feedback
from pipelines.ingest import ingest_file
from pipelines.store import Store
from tests.conftest import write_csv

LOCALES = Path(__file__).parents[1] / "dashboard" / "locales"


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_reason_code_has_a_sentence_in_both_languages():
    for code, english in REASONS.items():
        entry = catalogue()[f"upload.reasons.{code}"]
        assert set(entry) == {"zh", "en"}, code
        assert entry["zh"] and entry["en"], code
        # the page may leave out a parameter (the zh list of labels), never invent one
        assert _fields(entry["en"]) <= _fields(english) | {"labels"}, code
        assert _fields(entry["zh"]) <= _fields(english) | {"labels"}, code


def _check(problems: list[Problem], kind: str) -> set[str]:
    """Every problem has a code, its why is the code's sentence, and both languages word it
    (Chinese without an English sentence)."""
    codes = set()
    for p in problems:
        assert p.code in REASONS, p
        assert p.why == reason_text(p.code, p.params), p
        zh, en = reason(p, "zh"), reason(p, "en")
        assert zh and en and zh != p.why or p.code is None, p
        assert not any(w in zh for w in ("expected", "the key", "row(s)", "fields but")), zh
        assert column_label(p, kind, "zh")
        codes.add(p.code)
    return codes


def test_a_bad_clients_file_in_gbk_gives_coded_problems(store: Store, tmp_path):
    path = write_csv(
        tmp_path / "clients.csv",
        [
            ["客户编号", "企业名称", "联系人", "服务开始日期", "服务状态", "合同到期日"],
            ["KH1", "甲公司", "张三", "2026年13月1日", "服务中", "2026-01-01"],
            ["KH1", "乙公司", "李四", "2026/3/1", "暂停", "明天"],
            ["", "丙公司", "王五", "2026/3/1", "服务中", "2026-01-01"],
        ],
        encoding="gbk",
    )
    report = ingest_file(store, "clients", path, dry_run=True)
    assert report.format == "CSV (GBK)"
    codes = _check(report.problems, "clients")
    assert codes == {
        "impossible_date",
        "unknown_code",
        "not_a_date",
        "duplicate_key",
        "key_missing",
    }
    unknown = next(p for p in report.problems if p.code == "unknown_code")
    assert "服务中、已终止" in reason(unknown, "zh")
    assert column_label(unknown, "clients", "zh") == "服务状态"
    assert column_label(unknown, "clients", "en") == "服务状态 (status)"  # as written, named


def test_bad_yes_no_and_row_length_give_coded_problems(store: Store, tmp_path):
    path = tmp_path / "handovers.csv"
    path.write_text(
        "handover_id,client_id,from_staff,to_staff,nda_signed,actual_end\n"
        "JJ1,KH1,张三,李四,maybe,2026-03-01 25:00\n"
        "JJ2,KH1,张三,李四,是,2026-03-01 9:00,extra,cells\n",
        encoding="utf-8",
    )
    report = ingest_file(store, "handovers", path, dry_run=True)
    codes = _check(report.problems, "handovers")
    assert codes == {"not_yes_no", "impossible_time", "row_length"}
    whole = next(p for p in report.problems if p.code == "row_length")
    assert column_label(whole, "handovers", "zh") == "（整行）"
    nda = next(p for p in report.problems if p.code == "not_yes_no")
    assert column_label(nda, "handovers", "zh") == "已签保密协议"  # the file wrote nda_signed


def test_a_survey_with_duplicates_and_bad_answers_gives_coded_problems(store: Store, tmp_path):
    path = write_csv(
        tmp_path / "survey.csv",
        [
            ["client_id", "submitted_at", "overall_satisfaction", "recommend_score"],
            ["KH1", "2026-03-01 10:00", "非常满意", "9"],
            ["KH1", "2026-03-01 10:00", "非常满意", "9"],
            ["KH2", "2026-02-30 10:00", "满意", "8"],
            ["KH3", "2026-03-02 10:00", "满意", "很可能吧"],
            ["KH4", "2026-03-02 10:00", "不知道", "3"],
        ],
    )
    report = ingest_feedback(store, path, dry_run=True)
    codes = _check(report.problems, "feedback")
    assert {
        "duplicate_response",
        "impossible_date",
        "not_recommend",
        "not_satisfaction",
    } <= codes, codes
    answers = report.answers
    assert list(answers["source_row"]) == [2, 3, 4, 5, 6]


def _raises(fn) -> HandoverError:
    with pytest.raises(HandoverError) as raised:
        fn()
    return raised.value


def _no_command(text: str) -> None:
    assert "handover ingest" not in text and "`" not in text and "--" not in text, text


def test_upload_errors_have_codes_worded_without_commands(store: Store, tmp_path):
    survey = write_csv(
        tmp_path / "wjx.csv",
        [
            ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", "1、贵公司名称"],
            ["1", "2026/3/1 10:00:00", "60秒", "手机提交", "直接访问", "1.1.1.1", "甲公司"],
        ],
    )
    handovers = write_csv(
        tmp_path / "h.csv",
        [["交接单号", "客户编号", "移交人", "接收人"], ["JJ1", "KH1", "张三", "李四"]],
    )
    twice = write_csv(
        tmp_path / "twice.csv",
        [["客户编号", "client_id", "企业名称", "联系人"], ["KH1", "KH1", "甲", "张三"]],
    )
    unknown = write_csv(tmp_path / "unknown.csv", [["a", "b"], ["1", "2"]])
    errors = {
        "file_wrong_kind_survey": _raises(lambda: ingest_file(store, "clients", survey)),
        "file_wrong_kind_other": _raises(lambda: ingest_file(store, "clients", handovers)),
        "file_duplicate_columns": _raises(lambda: ingest_file(store, "clients", twice)),
        "survey_unknown_format": _raises(lambda: ingest_feedback(store, unknown)),
        "file_wrong_kind": _raises(lambda: ingest_file(store, "events", unknown)),
    }
    for code, error in errors.items():
        assert error.code == code, (code, error.code, error)
        for lang in ("zh", "en"):
            said = error_text(error, lang)
            _no_command(said)
            assert "{" not in said, said
    assert "请在本页把数据类型选为“客户反馈”" in error_text(errors["file_wrong_kind_survey"], "zh")
    assert "交接单" in error_text(errors["file_wrong_kind_other"], "zh")
    assert "handover ingest feedback" in errors["file_wrong_kind_survey"].message  # the CLI's


def test_the_page_sentences_of_upload_errors_name_no_command():
    texts = tomllib.loads((LOCALES / "errors.toml").read_text(encoding="utf-8"))["errors"]
    for code in (
        "file_wrong_kind",
        "file_wrong_kind_other",
        "file_wrong_kind_survey",
        "file_duplicate_columns",
        "survey_unknown_format",
        "survey_mapping_unsure",
        "survey_map_unknown_field",
        "survey_map_no_column",
        "import_rejected",
    ):
        for lang in ("zh", "en"):
            _no_command(texts[code][lang])
            assert t(f"errors.{code}", lang, **dict.fromkeys(_fields(texts[code][lang]), "x"))
