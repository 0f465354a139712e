"""The survey tools whose exports we read, each described as data: how to recognise its
export, how many header rows it writes, and which of its columns are metadata (response id,
submission time, preview and completion status) rather than questions.

A new tool is one more ``SurveyTool`` in ``TOOLS``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipelines.normalise import header_key


@dataclass(frozen=True)
class SurveyTool:
    name: str  # the --source value
    label: str
    markers: frozenset[str]  # header cells (as header_key) only this tool writes
    min_markers: int
    response_id: tuple[str, ...] = ()  # the tool's response id column, first found wins
    id_scope: str = "survey"  # "global": unique across surveys; "survey": a counter per survey
    submitted_at: tuple[str, ...] = ()
    status: tuple[str, ...] = ()  # preview / test / spam status column
    finished: tuple[str, ...] = ()  # completion column
    progress: tuple[str, ...] = ()
    client_columns: tuple[str, ...] = ()  # metadata columns that may carry the client id
    metadata: frozenset[str] = frozenset()  # other metadata: never taken for a question
    us_dates: bool = False  # month-first dates (Google Forms in English, SurveyMonkey)
    question_prefix: str = r"^\s*(?:第?\d+\s*[、.．:：)]|Q\d+[\s.:_-]*)\s*"


def _keys(*names: str) -> frozenset[str]:
    return frozenset(header_key(n) for n in names)


WJX = SurveyTool(
    name="wjx",
    label="问卷星",
    markers=_keys("序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP"),
    min_markers=3,
    response_id=("序号",),
    id_scope="survey",
    submitted_at=("提交答卷时间",),
    metadata=_keys("序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", "总分"),
)
TENCENT = SurveyTool(
    name="tencent",
    label="腾讯问卷",
    markers=_keys(
        "编号",
        "开始答题时间",
        "结束答题时间",
        "答题时长",
        "地理位置国家和地区",
        "地理位置省",
        "地理位置市",
        "自定义字段",
        "答题进度",
    ),
    min_markers=2,
    response_id=("编号",),
    id_scope="survey",
    submitted_at=("结束答题时间", "开始答题时间"),
    metadata=_keys(
        "编号",
        "开始答题时间",
        "结束答题时间",
        "答题时长",
        "地理位置国家和地区",
        "地理位置省",
        "地理位置市",
        "ip",
        "用户类型",
        "用户标识",
        "昵称",
        "答题进度",
        "来源",
        "总分",
    ),
)
SURVEYMONKEY = SurveyTool(
    name="surveymonkey",
    label="SurveyMonkey",
    markers=_keys(
        "Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Custom Data 1"
    ),
    min_markers=2,
    response_id=("Respondent ID",),
    id_scope="global",
    submitted_at=("End Date", "Start Date"),
    client_columns=("Custom Data 1",),
    metadata=_keys(
        "Respondent ID",
        "Collector ID",
        "Start Date",
        "End Date",
        "IP Address",
        "Email Address",
        "First Name",
        "Last Name",
        "Custom Data 1",
    ),
    us_dates=True,
)
QUALTRICS = SurveyTool(
    name="qualtrics",
    label="Qualtrics",
    markers=_keys(
        "ResponseId",
        "ResponseID",
        "StartDate",
        "EndDate",
        "Status",
        "IPAddress",
        "Progress",
        "Duration (in seconds)",
        "Finished",
        "RecordedDate",
        "ExternalReference",
        "ExternalDataReference",
        "ResponseSet",
        "DistributionChannel",
        "UserLanguage",
    ),
    min_markers=3,
    response_id=("ResponseId", "ResponseID"),
    id_scope="global",
    submitted_at=("RecordedDate", "EndDate", "StartDate"),
    status=("Status",),
    finished=("Finished",),
    progress=("Progress",),
    client_columns=("ExternalReference", "ExternalDataReference"),
    metadata=_keys(
        "StartDate",
        "EndDate",
        "Status",
        "IPAddress",
        "Progress",
        "Duration (in seconds)",
        "Finished",
        "RecordedDate",
        "ResponseId",
        "ResponseID",
        "ResponseSet",
        "RecipientLastName",
        "RecipientFirstName",
        "RecipientEmail",
        "ExternalReference",
        "ExternalDataReference",
        "LocationLatitude",
        "LocationLongitude",
        "LocationAccuracy",
        "DistributionChannel",
        "UserLanguage",
        "Name",
        "EmailAddress",
    ),
    question_prefix=r"^\s*(?:Q\d+(?:_\d+)?[\s.:_-]*|\d+\s*[、.．:：)])\s*",
)
GOOGLE = SurveyTool(
    name="google",
    label="Google Forms",
    markers=_keys("Timestamp", "时间戳记", "时间戳", "Email Address", "电子邮件地址", "Score"),
    min_markers=1,
    submitted_at=("Timestamp", "时间戳记", "时间戳"),
    metadata=_keys("Timestamp", "时间戳记", "时间戳", "Score", "分数"),
    us_dates=True,
)
TEMPLATE = SurveyTool(
    name="template",
    label="plain template",
    markers=_keys(
        "client_id",
        "submitted_at",
        "overall_satisfaction",
        "recommend_score",
        "response_id",
        "提交时间",
        "总体满意度",
        "推荐意愿",
    ),
    min_markers=2,
    response_id=("response_id", "答卷编号"),
    id_scope="global",
    submitted_at=("submitted_at", "提交时间"),
)

# Most specific first: a Google export may carry a column that looks like another tool's.
TOOLS: dict[str, SurveyTool] = {
    t.name: t for t in (QUALTRICS, SURVEYMONKEY, WJX, TENCENT, TEMPLATE, GOOGLE)
}


def tool_score(tool: SurveyTool, cells: list[str]) -> int:
    keys = {header_key(c) for c in cells}
    found = len(keys & tool.markers)
    if tool is GOOGLE and cells and header_key(cells[0]) not in tool.markers:
        return 0  # Google Forms always starts with its timestamp
    return found if found >= tool.min_markers else 0


def detect_tool(rows: list[list[str]]) -> tuple[SurveyTool | None, int]:
    """The tool whose markers the first rows carry best, and the row index that has them."""
    best: tuple[SurveyTool | None, int, int] = (None, 0, 0)
    for index, cells in enumerate(rows[:4]):
        for tool in TOOLS.values():
            score = tool_score(tool, cells)
            if score > best[2]:
                best = (tool, index, score)
    return best[0], best[1]


def strip_question_number(tool: SurveyTool, title: str) -> str:
    return re.sub(tool.question_prefix, "", title, flags=re.IGNORECASE).strip()
