"""The audit trail's details in the user's language: every key and code the product records
has words in both languages, and a recorded value is shown, never hidden."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from dashboard.audit_text import CODED, describe, user_label
from dashboard.i18n import LANGUAGES, catalogue
from sample_data.loader import SAMPLE_USER
from tests.layout import PACKAGES

ROOT = Path(__file__).resolve().parents[2]
# spread into the details with ** (pipelines/identity.py: ``claimed``)
SPREAD_KEYS = {"method", "issuer", "subject", "email"}


def recorded() -> tuple[set[str], set[str]]:
    """The detail keys of every audit.record/audit.append call, and the reason codes."""
    keys, reasons = set(SPREAD_KEYS), set()
    for package in PACKAGES:
        for file in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
                if not (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("record", "append")
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "audit"
                ):
                    continue
                for keyword in node.keywords:
                    if keyword.arg:
                        keys.add(keyword.arg)
                    if keyword.arg == "reason" and isinstance(keyword.value, ast.Constant):
                        reasons.add(keyword.value.value)
            for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
                # refuse(conn, who, "reason", ...) in pipelines/identity.py
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id == "refuse"
                    and len(node.args) >= 3
                    and isinstance(node.args[2], ast.Constant)
                ):
                    reasons.add(node.args[2].value)
    return keys, reasons


def test_the_source_is_read() -> None:
    keys, reasons = recorded()
    assert {"kind", "added", "reason", "changes", "trigger"} <= keys
    assert {"wrong_password", "locked", "unknown_identity"} <= reasons


def test_every_recorded_key_and_reason_has_words_in_both_languages() -> None:
    keys, reasons = recorded()
    texts = catalogue()
    missing = [f"audit.detail.{k}" for k in sorted(keys) if f"audit.detail.{k}" not in texts]
    missing += [f"audit.reasons.{r}" for r in sorted(reasons) if f"audit.reasons.{r}" not in texts]
    assert not missing, f"no words for: {missing}"
    for key in [k for k in texts if k.startswith(("audit.detail.", "audit.reasons."))]:
        assert set(texts[key]) == set(LANGUAGES), key


@pytest.mark.parametrize(
    "lang, expected",
    [
        ("zh", "类型：交接日志；文件：events.csv；新增：7,223；拒绝：0"),
        ("en", "Kind: Handover log; File: events.csv; Added: 7,223; Rejected: 0"),
    ],
)
def test_an_upload_reads_in_the_language(lang: str, expected: str) -> None:
    detail = {"kind": "events", "file": "events.csv", "added": 7223, "rejected": 0}
    assert describe(detail, lang) == expected


def test_codes_values_and_unknowns() -> None:
    assert (
        describe({"reason": "wrong_password", "failures": 2}, "zh")
        == "原因：密码错误；连续失败次数：2"
    )
    assert (
        describe({"changes": {"weights.efficiency": [0.3, 0.4]}}, "zh")
        == "修改：weights.efficiency 0.3 → 0.4"
    )
    assert describe({"trigger": None, "masked": True}, "zh") == "触发：手动运行；已脱敏：是"
    assert (
        describe({"trigger": "upload", "as_of": None}, "en") == "Trigger: After an upload; As of: —"
    )
    # a key or code without words is shown as recorded, not dropped
    assert (
        describe({"new_key": "new_code", "reason": "new_reason"}, "en")
        == "new_key: new_code; Reason: new_reason"
    )
    assert describe({}, "zh") == "" and describe(None, "en") == ""
    assert set(CODED) <= {
        "kind",
        "role",
        "previous_role",
        "reason",
        "trigger",
        "what",
        "method",
        "matched",
    }


def test_the_sample_loader_is_named_in_the_language() -> None:
    assert user_label(SAMPLE_USER, "zh") == "示例数据"
    assert user_label(SAMPLE_USER, "en") == "Sample data"
    assert user_label("张三", "zh") == "张三" and user_label(None, "zh") == "—"
