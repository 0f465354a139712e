"""Downloadable empty import templates (导入模板) with Chinese headers and one example row.

Regenerate the committed files with `uv run python -m sample_data.templates_writer`.
Each XLSX has the template on its first sheet and a 填写说明 sheet describing every column.
"""

from __future__ import annotations

import csv
import random
import sys
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook

from pipelines.templates import CLIENTS, EVENTS, HANDOVERS, Template
from sample_data.formats import Style, fill_sheet, headers, row_formatter, save_workbook

TEMPLATES_DIR = Path(__file__).parent / "templates"

# Obviously made-up example values (示例路, example.com, 张三/李四).
EXAMPLES: dict[str, dict] = {
    "clients": {
        "client_id": "KH000001",
        "company_name": "上海示例信息科技有限公司",
        "uscc": "91310115MA1H7TQ31E",
        "legal_rep": "张三",
        "contact_name": "李四",
        "contact_phone": "13800000000",
        "email": "lisi@example.com",
        "address": "上海市浦东新区示例路88号8层",
        "taxpayer_type": "small_scale",
        "industry": "信息传输、软件和信息技术服务业",
        "service_start": date(2024, 1, 1),
        "contract_no": "HT202601000001",
        "contract_end": date(2026, 12, 31),
        "assigned_staff": "王五",
        "status": "active",
        "terminated_at": None,
    },
    "handovers": {
        "handover_id": "JJ2026-000001",
        "client_id": "KH000001",
        "from_staff": "王五",
        "to_staff": "赵六",
        "supervisor": "钱七",
        "team": "记账一部",
        "reason": "resignation",
        "planned_start": date(2026, 10, 8),
        "planned_end": date(2026, 10, 16),
        "actual_start": datetime(2026, 10, 8, 9, 30),
        "actual_end": datetime(2026, 10, 15, 17, 20),
        "nda_signed": True,
        "signed_off_at": datetime(2026, 10, 15, 17, 30),
    },
    "events": {
        "handover_id": "JJ2026-000001",
        "occurred_at": datetime(2026, 10, 9, 10, 15),
        "event_type": "item_transferred",
        "item_code": "business_license",
        "actor": "王五",
        "note": "营业执照正副本原件",
    },
}

HELP_HEADER = ["列名", "英文列名", "必填", "格式", "可填写的值", "也可用的列名", "说明"]
_TYPE_HELP = {
    "text": "文本",
    "date": "日期，如 2026-10-03、2026/10/3、2026年10月3日",
    "timestamp": "日期时间（北京时间），如 2026-10-03 14:20",
    "boolean": "是 / 否（也可填 Y/N、1/0、true/false）",
    "enum": "填写下列之一（中文或代码）",
    "event_type": "填写下列之一（中文或代码）",
    "item_code": "清单项目，事件为资料移交、核对通过、发现差异、差异已更正时必填；填写下列之一",
}
_COLUMN_HELP = {
    "client_id": "每个客户唯一",
    "uscc": "18位统一社会信用代码",
    "contact_phone": "大陆手机号，可带 +86，可含空格或短横线",
    "email": "如 name@example.com",
    "assigned_staff": "当前负责的会计",
    "terminated_at": "服务状态为已终止时填写",
    "handover_id": "每张交接单唯一",
    "client_id@handovers": "须与客户资料中的客户编号一致",
    "actual_end": "交接未完成时留空",
    "handover_id@events": "须与交接单中的交接单号一致",
    "signed_off_at": "移交人、接收人和监交人签字确认的时间",
}

_XLSX_STYLE = Style(
    True,
    date=lambda d: d,
    timestamp=lambda t: t,
    true="是",
    false="否",
    label_share=1.0,
    missing=None,
)
_CSV_STYLE = Style(
    True,
    date=date.isoformat,
    timestamp=lambda t: f"{t:%Y-%m-%d %H:%M}",
    true="是",
    false="否",
    label_share=1.0,
)


def write_templates(out_dir: Path = TEMPLATES_DIR) -> list[Path]:
    """Writes <kind>_template.xlsx and <kind>_template.csv (UTF-8 with BOM) for clients,
    handovers and events; returns the paths written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(0)  # unused by these styles' choices, which are all labels
    written = []
    for template in (CLIENTS, HANDOVERS, EVENTS):
        example = row_formatter(template, _XLSX_STYLE, rng)(EXAMPLES[template.kind])
        wb = Workbook()
        ws = wb.active
        ws.title = template.zh
        fill_sheet(ws, headers(template, _XLSX_STYLE), [example])
        for cell, col in zip(ws[2], template.columns, strict=True):
            if col.type == "date":
                cell.number_format = "yyyy-mm-dd"
            elif col.type == "timestamp":
                cell.number_format = "yyyy-mm-dd hh:mm"
        help_sheet = wb.create_sheet("填写说明")
        fill_sheet(help_sheet, HELP_HEADER, _help_rows(template))
        xlsx = out_dir / f"{template.kind}_template.xlsx"
        save_workbook(wb, xlsx)
        written.append(xlsx)

        path = out_dir / f"{template.kind}_template.csv"
        with open(path, "w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f, lineterminator="\r\n")
            writer.writerow(headers(template, _CSV_STYLE))
            writer.writerow(row_formatter(template, _CSV_STYLE, rng)(EXAMPLES[template.kind]))
        written.append(path)
    return written


def _help_rows(template: Template) -> list[list[str]]:
    rows = []
    for col in template.columns:
        values = " / ".join(f"{label}（{code}）" for code, label in (col.codes or {}).items())
        help_text = _COLUMN_HELP.get(f"{col.name}@{template.kind}") or _COLUMN_HELP.get(
            col.name, ""
        )
        rows.append(
            [
                col.zh,
                col.name,
                "是" if col.required else "",
                _TYPE_HELP[col.type],
                values,
                "、".join(col.aliases),
                help_text,
            ]
        )
    return rows


if __name__ == "__main__":
    for p in write_templates(Path(sys.argv[1]) if len(sys.argv) > 1 else TEMPLATES_DIR):
        print(p)
