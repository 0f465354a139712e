"""Client-satisfaction survey exports in the layouts the survey tools write.

Each writer takes ``Answer`` records and writes one export the way its tool does: 问卷星's
text export (GBK CSV or XLSX, ``N、题目`` columns, ``(跳过)``), 腾讯问卷 (``N. 题目``),
Google Forms (``Timestamp`` with US dates), SurveyMonkey (two header rows, 12-hour US dates),
Qualtrics (three header rows, or two in the legacy format, with previews and unfinished
responses) and the plain template. The demo data and the tests use them.
"""

from __future__ import annotations

import csv
import io
import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

# keyed by the answer as it is, None (skipped) included: a skipped answer has no wording
SAT_ZH: dict[int | None, str] = {5: "非常满意", 4: "满意", 3: "一般", 2: "不满意", 1: "非常不满意"}
SAT_EN: dict[int | None, str] = {
    5: "Very satisfied",
    4: "Satisfied",
    3: "Neither satisfied nor dissatisfied",
    2: "Dissatisfied",
    1: "Very dissatisfied",
}


@dataclass
class Answer:
    """One respondent's answers, and how they named their company."""

    submitted_at: datetime
    client_id: str | None = None
    uscc: str | None = None
    company_name: str | None = None
    contact_phone: str | None = None
    satisfaction: int | None = None
    recommend: int | None = None
    comment: str | None = None
    communication: int | None = None
    confidentiality: int | None = None
    status: str = "real"  # real | preview | unfinished
    extra: dict[str, str] = field(default_factory=dict)


def _write_csv(path: Path, rows: Sequence[Sequence[object]], encoding: str) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def _write_xlsx(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def _write(path: Path, rows: Sequence[Sequence[object]], encoding: str = "utf-8") -> Path:
    if path.suffix.lower() == ".xlsx":
        return _write_xlsx(path, rows)
    return _write_csv(path, rows, encoding)


def _stable(value: object) -> int:
    """A number derived from a value, the same in every process (unlike hash())."""
    return zlib.crc32(str(value).encode("utf-8"))


def _or(value: object, skipped: str = "") -> object:
    return skipped if value is None else value


def write_wjx(path: Path, answers: Sequence[Answer], identify_by: str = "company_name") -> Path:
    """问卷星 text export ("按文本"): GBK CSV, or XLSX by the file's suffix."""
    label = {
        "company_name": "贵公司名称",
        "client_id": "客户编号",
        "uscc": "统一社会信用代码",
        "contact_phone": "联系人手机号",
    }[identify_by]
    header = [
        "序号",
        "提交答卷时间",
        "所用时间",
        "来源",
        "来源详情",
        "来自IP",
        f"1、{label}",
        "2、您对本次会计人员交接工作的总体满意度 ",
        "3、您对新任会计的沟通及时性是否满意",
        "4、交接过程中贵公司资料的保密工作是否让您放心",
        "5、您有多大可能向朋友或合作伙伴推荐我们？(0-10分)",
        "6、您对我们的服务还有什么建议？",
    ]
    rows: list[Sequence[object]] = [header]
    for number, a in enumerate((a for a in answers if a.status == "real"), start=1):
        rows.append(
            [
                number,
                f"{a.submitted_at:%Y/%-m/%-d %H:%M:%S}",
                f"{60 + number * 7 % 200}秒",
                "手机提交" if number % 3 else "链接",
                "直接访问",
                f"116.228.{number % 250}.{number % 97}(上海-上海)",
                _or(getattr(a, identify_by), "(跳过)"),
                SAT_ZH.get(a.satisfaction, "(跳过)"),
                SAT_ZH.get(a.communication, "(跳过)"),
                SAT_ZH.get(a.confidentiality, "(跳过)"),
                _or(a.recommend, "(跳过)"),
                _or(a.comment, "(跳过)"),
            ]
        )
    return _write(path, rows, "gbk")


def write_tencent(path: Path, answers: Sequence[Answer]) -> Path:
    """腾讯问卷 export: UTF-8 CSV with BOM, or XLSX."""
    header = [
        "编号",
        "开始答题时间",
        "结束答题时间",
        "答题时长",
        "地理位置(国家和地区)",
        "地理位置(省)",
        "地理位置(市)",
        "1. 客户编号",
        "2. 企业名称",
        "3. 总体而言，您对本次客户资料交接满意吗？",
        "4. 您向朋友推荐我们的可能性有多大？",
        "5. 其他意见或建议",
    ]
    rows: list[Sequence[object]] = [header]
    for number, a in enumerate((a for a in answers if a.status == "real"), start=1):
        started = a.submitted_at - timedelta(seconds=40 + number % 120)
        rows.append(
            [
                number,
                f"{started:%Y-%m-%d %H:%M:%S}",
                f"{a.submitted_at:%Y-%m-%d %H:%M:%S}",
                f"{(a.submitted_at - started).seconds // 60}分{(a.submitted_at - started).seconds % 60}秒",
                "中国",
                "上海",
                "上海",
                _or(a.client_id),
                _or(a.company_name),
                f"{a.satisfaction}分" if a.satisfaction else "",
                _or(a.recommend),
                _or(a.comment),
            ]
        )
    return _write(path, rows, "utf-8-sig")


def write_google(path: Path, answers: Sequence[Answer]) -> Path:
    """Google Forms CSV from an English-locale account: US dates."""
    header = [
        "Timestamp",
        "Email Address",
        "Company name",
        "Overall, how satisfied are you with the handover of your account?",
        "How likely are you to recommend us to a friend or colleague?",
        "How satisfied are you with the communication of your new accountant?",
        "Anything else you would like to tell us?",
    ]
    rows: list[Sequence[object]] = [header]
    for a in answers:
        if a.status != "real":
            continue
        stamp = (
            f"{a.submitted_at.month}/{a.submitted_at.day}/{a.submitted_at.year} "
            f"{a.submitted_at:%H:%M:%S}"
        )
        rows.append(
            [
                stamp,
                f"finance{_stable(a.company_name) % 1000}@example.cn",
                _or(a.company_name),
                SAT_EN.get(a.satisfaction, ""),
                _or(a.recommend),
                SAT_EN.get(a.communication, ""),
                _or(a.comment),
            ]
        )
    return _write(path, rows)


def write_surveymonkey(path: Path, answers: Sequence[Answer]) -> Path:
    """SurveyMonkey export: question row, sub-label row, 12-hour US dates."""
    meta = [
        "Respondent ID",
        "Collector ID",
        "Start Date",
        "End Date",
        "IP Address",
        "Email Address",
        "First Name",
        "Last Name",
        "Custom Data 1",
    ]
    questions = [
        "Overall, how satisfied or dissatisfied are you with the handover of your "
        "account to your new accountant?",
        "How likely is it that you would recommend our firm to a friend or colleague?",
        "What should we do better?",
    ]
    rows: list[Sequence[object]] = [
        meta + questions,
        [""] * len(meta) + ["Response", "Response", "Open-Ended Response"],
    ]
    for number, a in enumerate((a for a in answers if a.status == "real"), start=1):
        end = a.submitted_at
        start = end - timedelta(minutes=2)
        score = a.recommend
        score_text = (
            ""
            if score is None
            else (
                "10 - Extremely likely"
                if score == 10
                else "0 - Not at all likely"
                if score == 0
                else str(score)
            )
        )
        rows.append(
            [
                11800000000 + number * 37,
                412345678,
                _us12(start),
                _us12(end),
                f"180.169.{number % 250}.{number % 91}",
                "",
                "",
                "",
                _or(a.client_id),
                SAT_EN.get(a.satisfaction, ""),
                score_text,
                _or(a.comment),
            ]
        )
    return _write(path, rows)


def _us12(moment: datetime) -> str:
    return moment.strftime("%m/%d/%Y %I:%M:%S %p")


def write_qualtrics(path: Path, answers: Sequence[Answer], legacy: bool = False) -> Path:
    """Qualtrics CSV: three header rows (two in the legacy format); previews and unfinished
    responses included, as Qualtrics exports them."""
    questions = {
        "Q1": "您对本次会计交接工作的总体满意度如何？",
        "Q2": "您向其他企业推荐我们的可能性有多大？(0-10)",
        "Q3": "您对交接期间资料保密的满意度",
        "Q4": "其他建议",
    }
    if legacy:
        names = [
            "V1",
            "V2",
            "V3",
            "V4",
            "V5",
            "V6",
            "V7",
            "V8",
            "V9",
            "V10",
            "Q1",
            "Q2",
            "Q3",
            "Q4",
        ]
        texts = [
            "ResponseID",
            "ResponseSet",
            "Name",
            "ExternalDataReference",
            "EmailAddress",
            "IPAddress",
            "Status",
            "StartDate",
            "EndDate",
            "Finished",
            *questions.values(),
        ]
        rows: list[Sequence[object]] = [names + [""], texts + [""]]
    else:
        meta = [
            "StartDate",
            "EndDate",
            "Status",
            "IPAddress",
            "Progress",
            "Duration (in seconds)",
            "Finished",
            "RecordedDate",
            "ResponseId",
            "RecipientLastName",
            "RecipientFirstName",
            "RecipientEmail",
            "ExternalReference",
            "LocationLatitude",
            "LocationLongitude",
            "DistributionChannel",
            "UserLanguage",
        ]
        labels = [
            "Start Date",
            "End Date",
            "Response Type",
            "IP Address",
            "Progress",
            "Duration (in seconds)",
            "Finished",
            "Recorded Date",
            "Response ID",
            "Recipient Last Name",
            "Recipient First Name",
            "Recipient Email",
            "External Data Reference",
            "Location Latitude",
            "Location Longitude",
            "Distribution Channel",
            "User Language",
        ]
        import_ids = [json.dumps({"ImportId": n[0].lower() + n[1:]}) for n in meta] + [
            json.dumps({"ImportId": f"QID{i}"}) for i in range(1, 5)
        ]
        rows = [meta + list(questions), labels + list(questions.values()), import_ids]
    for number, a in enumerate(answers, start=1):
        start = a.submitted_at - timedelta(seconds=95)
        preview = a.status == "preview"
        finished = a.status != "unfinished"
        response_id = f"R_{number:04d}{_stable(f'{a.client_id}{number}') % 10**8:08d}x"
        answers_part = [
            SAT_ZH.get(a.satisfaction, "") if not legacy else _or(a.satisfaction),
            _or(a.recommend),
            SAT_ZH.get(a.confidentiality, ""),
            _or(a.comment),
        ]
        if legacy:
            rows.append(
                [
                    response_id,
                    "Default Response Set",
                    "Anonymous",
                    _or(a.client_id),
                    "",
                    "101.80.12.3",
                    1 if preview else 0,
                    f"{start:%Y-%m-%d %H:%M:%S}",
                    f"{a.submitted_at:%Y-%m-%d %H:%M:%S}",
                    1 if finished else 0,
                    *answers_part,
                    "",
                ]
            )
        else:
            rows.append(
                [
                    f"{start:%Y-%m-%d %H:%M:%S}",
                    f"{a.submitted_at:%Y-%m-%d %H:%M:%S}",
                    "Survey Preview" if preview else "IP Address",
                    "101.80.12.3",
                    100 if finished else 40,
                    95,
                    "True" if finished else "False",
                    f"{a.submitted_at:%Y-%m-%d %H:%M:%S}",
                    response_id,
                    "",
                    "",
                    "",
                    _or(a.client_id),
                    "31.2304",
                    "121.4737",
                    "preview" if preview else "anonymous",
                    "ZH-S",
                    *answers_part,
                ]
            )
    return _write_csv(path, rows, "utf-8-sig")


def write_template(path: Path, answers: Sequence[Answer]) -> Path:
    """The plain feedback template of DOMAIN.md."""
    rows: list[Sequence[object]] = [
        ["client_id", "submitted_at", "overall_satisfaction", "recommend_score", "comment"]
    ]
    for a in answers:
        if a.status == "real":
            rows.append(
                [
                    _or(a.client_id),
                    f"{a.submitted_at:%Y-%m-%d %H:%M:%S}",
                    _or(a.satisfaction),
                    _or(a.recommend),
                    _or(a.comment),
                ]
            )
    return _write(path, rows)
