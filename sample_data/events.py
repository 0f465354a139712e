"""The handover log (交接日志): what happened during one handover, event by event.

Each checklist item is transferred by the leaving accountant and then verified by the
receiver, with the gaps real logs have: a sensitive item never verified, a discrepancy never
fixed, access revoked days after the end, no follow-up visit.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from pipelines.templates import CHECKLIST_ITEMS, SENSITIVE_ITEMS
from sample_data.defects import DefectLog
from sample_data.workdays import CUTOFF, WINDOW_START, at_minute, time_between

# The order in which the items are usually handed over.
ITEM_ORDER = (
    "business_license",
    "contracts",
    "bank_accounts",
    "tax_device",
    "etax_credentials",
    "vouchers",
    "ledgers",
    "financial_statements",
    "tax_returns",
    "invoices",
    "payroll_social_insurance",
    "pending_matters",
)
assert sorted(ITEM_ORDER) == sorted(CHECKLIST_ITEMS)
# Things people hand over that are not on the checklist (check events.item.known).
UNKNOWN_ITEMS = ("公章", "财务专用章", "发票专用章", "社保数字证书")
SYSTEM_ADMIN = "系统管理员"

P_DISCREPANCY = 0.015  # per item
P_FIXED = 0.88
P_SENSITIVE_UNVERIFIED = 0.025  # per sensitive item
P_UNVERIFIED = 0.01  # per other item

_DISCREPANCY_NOTES = {
    "bank_accounts": "银行存款日记账余额与对账单不符，差额{amount}元",
    "vouchers": "{month}月记账凭证缺{n}张原始单据",
    "invoices": "发票领用存记录与税务系统不一致",
    "tax_device": "税控盘（UKey）口令与移交清册记录不符",
    "etax_credentials": "电子税务局办税员信息尚未变更",
    "ledgers": "总账与明细账期末余额不一致",
    "financial_statements": "{month}月财务报表未附编制说明",
    "tax_returns": "{month}月增值税申报表缺少申报回执",
    "contracts": "代理记账合同原件缺失",
    "payroll_social_insurance": "社保缴费基数与工资表不一致",
    "pending_matters": "未列明待处理的税务事项",
    "business_license": "营业执照副本未移交",
}
_FIX_NOTES = ("已补齐并重新核对", "已更正", "已与客户确认并更正", None, None)
_COMPLAINTS = (
    "客户反映新会计未及时回复",
    "客户表示未被提前告知更换会计",
    "交接期间发票开具延误，客户不满",
    "客户担心申报期前交接影响按期申报",
    "客户投诉资料重复索要",
)
_FOLLOWUPS = (
    "电话回访，客户满意",
    "微信回访",
    "上门回访",
    "电话回访，客户希望固定对接人",
    None,
    None,
    None,
)


def generate_events(
    rng: random.Random,
    handover: dict,
    cutoff: datetime = CUTOFF,
    unknown_item: bool = False,
    defects: DefectLog | None = None,
) -> Iterator[dict]:
    """The log rows of one handover row (as yielded by generate_handovers), by time.

    Open handovers get the events up to the export (or up to where they stalled).
    unknown_item adds one item event with an item_code that is not on the checklist.
    """
    start: datetime | None = handover["actual_start"]
    if start is None:
        return
    finish: datetime | None = handover["actual_end"]
    hid = handover["handover_id"]
    frm, to = handover["from_staff"], handover["to_staff"]
    boss = handover["supervisor"] or to
    planned_end = at_minute(handover["planned_end"], 18 * 60)
    if finish is None:
        if planned_end.date() < (cutoff - timedelta(days=5)).date():  # stalled
            span = max(planned_end - start, timedelta(days=1))
            horizon = (start + span * rng.uniform(0.3, 0.9)).replace(microsecond=0)
        else:
            horizon = cutoff
        end = max(planned_end, horizon + timedelta(days=1))
    else:
        end = finish
        horizon = cutoff
    horizon = min(horizon, cutoff)
    span = end - start
    rand = rng.random

    def between(lo: float, hi: float) -> datetime:
        return time_between(rng, start + span * lo, start + span * hi)

    out: list[tuple] = []
    add = out.append
    if rand() < 0.9:
        add((between(0, 0.15), "backup_done", None, frm, None))
    if rand() < 0.93:
        add((between(0, 0.2), "client_notified", None, rng.choice((to, boss)), None))
    transferred = {item: between(0.02, 0.6) for item in ITEM_ORDER}
    unfixed = False
    for item, t in transferred.items():
        add((t, "item_transferred", item, frm, None))
        after = t + timedelta(minutes=10)
        if rand() < P_DISCREPANCY:
            found = time_between(rng, after, max(end, after))
            add((found, "discrepancy_found", item, to, _discrepancy_note(rng, item, found)))
            if rand() >= P_FIXED:
                unfixed = True
                continue
            late_fix = rand() < 0.15
            fixed = time_between(
                rng,
                found + timedelta(minutes=20),
                max(end, found + timedelta(hours=2)) + timedelta(days=3 if late_fix else 0),
            )
            add((fixed, "discrepancy_fixed", item, frm, rng.choice(_FIX_NOTES)))
            add((fixed + timedelta(minutes=rng.randint(5, 90)), "item_verified", item, to, None))
            continue
        skip = P_SENSITIVE_UNVERIFIED if item in SENSITIVE_ITEMS else P_UNVERIFIED
        if rand() >= skip:
            add((time_between(rng, after, max(end, after)), "item_verified", item, to, None))
    if unknown_item:
        label = rng.choice(UNKNOWN_ITEMS)
        add((between(0.05, 0.6), "item_transferred", label, frm, None))
    if rand() < 0.85:
        add((between(0.4, 0.95), "training_done", None, frm, None))
    reason = handover["reason"]
    if rand() < (0.92 if reason == "resignation" else 0.6):
        etax = transferred["etax_credentials"]
        add(
            (
                time_between(rng, etax, max(end, etax)),
                "credentials_rotated",
                None,
                to,
                "电子税务局密码已重置" if rand() < 0.3 else None,
            )
        )
    if reason == "resignation" or (reason == "rotation" and rand() < 0.4):
        r = rand()
        revoked = None
        if r < 0.85:
            revoked = between(0.5, 1.0)
        elif r < 0.92:
            revoked = end + timedelta(minutes=rng.randint(30, 23 * 60))
        elif r < 0.97:
            revoked = end + timedelta(minutes=rng.randint(26 * 60, 10 * 24 * 60))
        if revoked is not None:
            add(
                (
                    revoked,
                    "access_revoked",
                    None,
                    rng.choice((boss, SYSTEM_ADMIN)),
                    "已停用电子税务局及网银操作权限" if rand() < 0.3 else None,
                )
            )
    late = finish is not None and finish.date() > handover["planned_end"]
    if rand() < 0.02 + (0.08 if late else 0) + (0.04 if unfixed else 0):
        add(
            (
                time_between(rng, start, end + timedelta(days=30)),
                "complaint",
                None,
                boss,
                rng.choice(_COMPLAINTS),
            )
        )
    if finish is not None:
        signed = handover["signed_off_at"]
        if signed is not None and rand() < 0.88:
            add((signed, "signed_off", None, boss, None))
        elif signed is None and rand() < 0.06:
            add((finish, "signed_off", None, boss, None))
        r = rand()
        if r < 0.78:
            visit = time_between(rng, finish + timedelta(days=1), finish + timedelta(days=29))
        elif r < 0.85:
            visit = time_between(rng, finish + timedelta(days=31), finish + timedelta(days=60))
        else:
            visit = None
        if visit is not None:
            add((visit, "followup_visit", None, to, rng.choice(_FOLLOWUPS)))
            if rand() < 0.1:
                again = time_between(rng, visit + timedelta(days=20), visit + timedelta(days=60))
                add((again, "followup_visit", None, to, rng.choice(_FOLLOWUPS)))

    seen: set[tuple] = set()
    for t, event_type, item, actor, note in sorted(out, key=_by_time):
        if t >= horizon:
            continue
        key = (t, event_type, item)
        while key in seen:  # the key must be unique: move a clash on by a second
            t += timedelta(seconds=1)
            key = (t, event_type, item)
        seen.add(key)
        if item in UNKNOWN_ITEMS and defects is not None:
            defects.add("events.item.known", event_key(hid, t, event_type, item), "unknown_item")
        yield {
            "handover_id": hid,
            "occurred_at": t,
            "event_type": event_type,
            "item_code": item,
            "actor": actor,
            "note": note,
        }


def generate_orphan_events(
    rng: random.Random, actor: str, defects: DefectLog | None = None
) -> Iterator[dict]:
    """A few log rows of a handover that is not in the handover file (an older form)."""
    hid = f"JJ2024-{rng.randint(1, 999_999):06d}"
    day = WINDOW_START + timedelta(days=rng.randint(0, 120))
    first = at_minute(day, rng.randint(9 * 60, 17 * 60))
    rows = [
        (first, "followup_visit", None, rng.choice(_FOLLOWUPS)),
        (first + timedelta(days=rng.randint(1, 20)), "complaint", None, rng.choice(_COMPLAINTS)),
    ][: rng.randint(1, 2)]
    for t, event_type, item, note in rows:
        if defects is not None:
            defects.add(
                "events.handover.known", event_key(hid, t, event_type, item), "unknown_handover"
            )
        yield {
            "handover_id": hid,
            "occurred_at": t,
            "event_type": event_type,
            "item_code": item,
            "actor": actor,
            "note": note,
        }


def event_key(handover_id: str, occurred_at: datetime, event_type: str, item: str | None) -> str:
    return f"{handover_id}|{occurred_at:%Y-%m-%d %H:%M:%S}|{event_type}|{item or ''}"


def _by_time(event: tuple) -> tuple:
    return event[0], event[1], event[2] or ""


def _discrepancy_note(rng: random.Random, item: str, found: datetime) -> str:
    """A note about what did not match; months refer to the last closed month."""
    return _DISCREPANCY_NOTES[item].format(
        amount=f"{rng.randint(1, 250_000) / 100:,.2f}",
        month=found.month - 1 or 12,
        n=rng.randint(1, 6),
    )
