"""The data checks: one entry per check id (DOMAIN.md §4 plus a few users expect).

A check is either a built-in Great Expectations expectation on one column of its suite's
asset (``expectation``), or a SQL query in ``data_checks/sql/<check id>.sql`` run by GX's
``UnexpectedRowsExpectation`` that returns the failing records as (record_key, column_name,
offending_value, detail). The first segment of the id names the suite: the records it checks
are its asset's (``data_checks/assets.py``, the query in ``data_checks/sql/assets/<suite>.sql``).
Every check is declared here, in ``CHECKS``; there is no file per suite.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SQL_DIR = Path(__file__).parent / "sql"

PHONE_PATTERN = r"^(\+?86)?1[3-9][0-9]{9}$"  # after removing spaces and dashes; [0-9], not \d
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"


@dataclass(frozen=True)
class Check:
    id: str
    column: str  # the column a failure names
    en: str
    zh: str
    # (asset column tested, GX expectation class name, its keyword arguments); None = SQL file
    expectation: tuple[str, str, dict] | None = None

    @property
    def suite(self) -> str:
        return self.id.split(".")[0]

    @property
    def sql_path(self) -> Path:
        return SQL_DIR / f"{self.id}.sql"

    @property
    def is_sql(self) -> bool:
        return self.expectation is None


def _not_null(column: str) -> tuple[str, str, dict]:
    return (column, "ExpectColumnValuesToNotBeNull", {})


CHECKS: tuple[Check, ...] = (
    Check(
        "clients.client_id.unique",
        "client_id",
        "its client_id appears more than once (every copy fails; compared trimmed and "
        "case-insensitive)",
        "客户编号重复（每一条都算失败）",
        ("client_id_folded", "ExpectColumnValuesToBeUnique", {}),
    ),
    Check(
        "clients.company_name.present",
        "company_name",
        "company_name empty",
        "企业名称为空",
        _not_null("company_name"),
    ),
    Check(
        "clients.contact_name.present",
        "contact_name",
        "contact_name empty",
        "联系人为空",
        _not_null("contact_name"),
    ),
    Check(
        "clients.contact_phone.present",
        "contact_phone",
        "contact_phone empty",
        "联系电话为空",
        _not_null("contact_phone"),
    ),
    Check(
        "clients.contact_phone.valid",
        "contact_phone",
        "contact_phone set but not a mainland mobile number",
        "联系电话不是有效的大陆手机号",
        ("contact_phone_compact", "ExpectColumnValuesToMatchRegex", {"regex": PHONE_PATTERN}),
    ),
    Check("clients.uscc.present", "uscc", "uscc empty", "统一社会信用代码为空", _not_null("uscc")),
    Check(
        "clients.uscc.valid",
        "uscc",
        "uscc set but wrong length, characters or check character",
        "统一社会信用代码长度、字符或校验位错误",
    ),
    Check(
        "clients.uscc.unique",
        "uscc",
        "its uscc is shared with another client (every copy fails)",
        "统一社会信用代码与其他客户重复（每一条都算失败）",
        ("uscc_upper", "ExpectColumnValuesToBeUnique", {}),
    ),
    Check(
        "clients.email.valid",
        "email",
        "email set but not an address",
        "邮箱格式错误",
        ("email", "ExpectColumnValuesToMatchRegex", {"regex": EMAIL_PATTERN}),
    ),
    Check(
        "clients.contract_end.current",
        "contract_end",
        "status active and contract_end before as_of",
        "服务中但合同已到期",
    ),
    Check(
        "clients.terminated_at.present",
        "terminated_at",
        "status terminated but terminated_at empty",
        "已终止服务但无终止日期",
    ),
    Check(
        "clients.dates.plausible",
        "contract_end",
        "service_start, contract_end or terminated_at before 1990-01-01, or too far ahead "
        "(service_start and terminated_at more than a year, contract_end more than ten "
        "years after the later of as_of and today)",
        "服务开始、合同到期或终止日期早于1990-01-01，或过于遥远（服务开始和终止日期晚于"
        "基准日一年以上，合同到期日晚于基准日十年以上；基准日取检查基准日与今天中较晚者）",
    ),
    Check(
        "handovers.client.known",
        "client_id",
        "its client_id is not among the clients",
        "交接单的客户编号不在客户资料中",
    ),
    Check(
        "handovers.dates.ordered",
        "planned_start",
        "planned_start after planned_end, or actual_start after actual_end",
        "计划开始晚于计划完成，或实际开始晚于实际完成",
    ),
    Check(
        "handovers.dates.plausible",
        "actual_end",
        "a date before 2000-01-01, planned_start or planned_end more than a year after the "
        "later of as_of and today, or actual_start, actual_end or signed_off_at in the "
        "future (beyond the next day)",
        "日期早于2000-01-01，计划日期晚于基准日一年以上，或实际开始、实际完成、签字确认时间"
        "在未来（晚于基准日次日；基准日取检查基准日与今天中较晚者）",
    ),
    Check(
        "handovers.staff.distinct", "to_staff", "from_staff equals to_staff", "移交人与接收人相同"
    ),
    Check(
        "handovers.owner.consistent",
        "to_staff",
        "the latest completed handover of an active client names another receiver than "
        "the client's assigned_staff",
        "客户最近一次完成的交接的接收人与客户资料的负责会计不一致",
    ),
    Check(
        "events.handover.known",
        "handover_id",
        "its handover_id is not among the handovers",
        "日志的交接单号不存在",
    ),
    Check(
        "events.item.known",
        "item_code",
        "an item event (transferred, verified, discrepancy) without a known item_code",
        "资料事件缺少或使用了未知的清单项目",
    ),
    Check(
        "events.occurred_at.plausible",
        "occurred_at",
        "occurred_at before 2000-01-01 or in the future (beyond the day after the later of "
        "as_of and today)",
        "发生时间早于2000-01-01或在未来（晚于基准日次日；基准日取检查基准日与今天中较晚者）",
    ),
    Check(
        "feedback.client.matched",
        "client_id",
        "the response matches no client",
        "反馈无法匹配到客户",
    ),
    Check(
        "feedback.scores.in_range",
        "overall_satisfaction",
        "overall_satisfaction outside 1-5 or recommend_score outside 0-10",
        "满意度不在1-5或推荐分不在0-10",
    ),
    Check(
        "feedback.submitted_at.plausible",
        "submitted_at",
        "submitted_at before 2000-01-01 or in the future (beyond the day after the later of "
        "as_of and today)",
        "提交时间早于2000-01-01或在未来（晚于基准日次日；基准日取检查基准日与今天中较晚者）",
    ),
)

BY_ID: dict[str, Check] = {c.id: c for c in CHECKS}
SUITES: tuple[str, ...] = tuple(dict.fromkeys(c.suite for c in CHECKS))


def checks_of(suite: str) -> list[Check]:
    return [c for c in CHECKS if c.suite == suite]


def check(check_id: str) -> Check:
    try:
        return BY_ID[check_id]
    except KeyError:
        from pipelines.errors import HandoverError

        raise HandoverError(
            f"There is no check {check_id!r}. The checks: {', '.join(BY_ID)}."
        ) from None
