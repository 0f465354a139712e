"""The import templates of DOMAIN.md section 2: columns, Chinese aliases, types and code lists.

This is the one place where a column name, an alias or a code's Chinese label is written down.
Readers, validators, the sample-data generator and the downloadable templates all read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    """One column of an import template."""

    name: str
    zh: str
    type: str = "text"  # text | date | timestamp | boolean | enum | event_type | item_code
    required: bool = False
    codes: dict[str, str] | None = None  # enum: code -> Chinese label
    aliases: tuple[str, ...] = ()  # further accepted headers besides name and zh


@dataclass(frozen=True)
class Template:
    """An import kind: its columns, its key and its DuckDB table names."""

    kind: str
    zh: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    description: str = ""
    required_columns: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "required_columns", tuple(c.name for c in self.columns if c.required)
        )

    @property
    def raw_table(self) -> str:
        return f"raw_{self.kind}"

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


TAXPAYER_TYPES = {"general": "一般纳税人", "small_scale": "小规模纳税人"}
CLIENT_STATUSES = {"active": "服务中", "terminated": "已终止"}
HANDOVER_REASONS = {
    "resignation": "离职",
    "rotation": "调岗",
    "leave": "休假",
    "reassignment": "重新分配",
    "other": "其他",
}

EVENT_TYPES = {
    "item_transferred": "资料移交",
    "item_verified": "核对通过",
    "discrepancy_found": "发现差异",
    "discrepancy_fixed": "差异已更正",
    "backup_done": "已备份",
    "training_done": "培训完成",
    "client_notified": "已通知客户",
    "access_revoked": "权限已收回",
    "credentials_rotated": "密码已更换",
    "followup_visit": "客户回访",
    "complaint": "客户投诉",
    "signed_off": "签字确认",
}
# Events about one checklist item: they must name a known item_code (check events.item.known).
ITEM_EVENT_TYPES = ("item_transferred", "item_verified", "discrepancy_found", "discrepancy_fixed")

CHECKLIST_ITEMS = {
    "business_license": "营业执照",
    "bank_accounts": "银行账户及对账单",
    "tax_device": "税控设备(UKey)",
    "etax_credentials": "电子税务局账号",
    "vouchers": "会计凭证",
    "ledgers": "会计账簿",
    "financial_statements": "财务报表",
    "tax_returns": "纳税申报表",
    "contracts": "合同协议",
    "payroll_social_insurance": "工资及社保公积金",
    "invoices": "发票资料",
    "pending_matters": "未了事项说明",
}
SENSITIVE_ITEMS = ("etax_credentials", "bank_accounts", "tax_device")

# Further labels users write for codes, beyond the Chinese labels above.
CODE_ALIASES: dict[str, dict[str, str]] = {
    "taxpayer_type": {"一般": "general", "小规模": "small_scale", "small scale": "small_scale"},
    "status": {"在服": "active", "终止": "terminated", "停止服务": "terminated"},
    "reason": {
        "辞职": "resignation",
        "轮岗": "rotation",
        "请假": "leave",
        "重新分派": "reassignment",
    },
    "event_type": {"移交": "item_transferred", "核对": "item_verified", "回访": "followup_visit"},
    "item_code": {
        "税控设备": "tax_device",
        "ukey": "tax_device",
        "税务ukey": "tax_device",
        "银行账户": "bank_accounts",
        "电子税务局": "etax_credentials",
    },
}

CLIENTS = Template(
    kind="clients",
    zh="客户资料",
    description="Client master data, one row per client.",
    key=("client_id",),
    columns=(
        Column("client_id", "客户编号", required=True),
        Column("company_name", "企业名称", required=True, aliases=("客户名称", "公司名称")),
        Column("uscc", "统一社会信用代码", aliases=("信用代码", "税号")),
        Column("legal_rep", "法定代表人", aliases=("法人",)),
        Column("contact_name", "联系人", required=True),
        Column("contact_phone", "联系电话", aliases=("手机号", "联系人电话", "手机")),
        Column("email", "邮箱", aliases=("电子邮箱", "e-mail")),
        Column("address", "地址", aliases=("注册地址",)),
        Column("taxpayer_type", "纳税人类型", type="enum", codes=TAXPAYER_TYPES),
        Column("industry", "行业", aliases=("所属行业",)),
        Column("service_start", "服务开始日期", type="date"),
        Column("contract_no", "合同编号"),
        Column("contract_end", "合同到期日", type="date"),
        Column("assigned_staff", "负责会计", aliases=("记账会计", "主办会计")),
        Column("status", "服务状态", type="enum", codes=CLIENT_STATUSES),
        Column("terminated_at", "终止服务日期", type="date"),
    ),
)

HANDOVERS = Template(
    kind="handovers",
    zh="交接单",
    description="Handover forms, one row per handover of one client to a successor.",
    key=("handover_id",),
    columns=(
        Column("handover_id", "交接单号", required=True),
        Column("client_id", "客户编号", required=True),
        Column("from_staff", "移交人", required=True),
        Column("to_staff", "接收人", required=True, aliases=("接交人", "接手人")),
        Column("supervisor", "监交人"),
        Column("team", "部门", aliases=("团队", "小组")),
        Column("reason", "交接原因", type="enum", codes=HANDOVER_REASONS),
        Column("planned_start", "计划开始日期", type="date"),
        Column("planned_end", "计划完成日期", type="date"),
        Column("actual_start", "实际开始时间", type="timestamp"),
        Column("actual_end", "实际完成时间", type="timestamp"),
        Column("nda_signed", "已签保密协议", type="boolean", aliases=("保密协议",)),
        Column("signed_off_at", "签字确认时间", type="timestamp"),
    ),
)

EVENTS = Template(
    kind="events",
    zh="交接日志",
    description="Handover log, one row per event of a handover.",
    key=("handover_id", "occurred_at", "event_type", "item_code"),
    columns=(
        Column("handover_id", "交接单号", required=True),
        Column("occurred_at", "发生时间", type="timestamp", required=True),
        Column("event_type", "事件类型", type="event_type", required=True, codes=EVENT_TYPES),
        Column("item_code", "清单项目", type="item_code", codes=CHECKLIST_ITEMS),
        Column("actor", "操作人"),
        Column("note", "备注", aliases=("说明",)),
    ),
)

# Survey responses as stored, whatever tool they came from (pipelines/feedback reads the
# tools' exports into these columns). Not an import template: surveys keep their own layout.
FEEDBACK = Template(
    kind="feedback",
    zh="客户反馈",
    description="Client feedback survey responses, one row per response.",
    key=("response_key",),
    columns=(
        Column("response_key", "答卷键", required=True),
        Column("source_tool", "问卷工具"),
        Column("survey_id", "问卷标识"),
        Column("response_id", "答卷编号"),
        Column("submitted_at", "提交时间", type="timestamp"),
        Column("client_id", "客户编号"),
        Column("uscc", "统一社会信用代码"),
        Column("company_name", "企业名称"),
        Column("contact_phone", "联系电话"),
        Column("overall_satisfaction", "总体满意度", type="number"),
        Column("recommend_score", "推荐意愿", type="number"),
        Column("comment", "意见建议"),
        Column("dim_communication", "沟通", type="number"),
        Column("dim_professionalism", "专业", type="number"),
        Column("dim_continuity", "服务连续性", type="number"),
        Column("dim_confidentiality", "保密", type="number"),
        Column("exclusion", "排除原因"),  # preview | unfinished | empty; empty for real ones
    ),
)

TEMPLATES: dict[str, Template] = {t.kind: t for t in (CLIENTS, HANDOVERS, EVENTS)}
STORED: dict[str, Template] = {**TEMPLATES, FEEDBACK.kind: FEEDBACK}


def template(kind: str) -> Template:
    try:
        return STORED[kind]
    except KeyError:
        raise KeyError(
            f"unknown import kind {kind!r}; expected one of {', '.join(STORED)}"
        ) from None
