"""The evaluation score explained to users, in words and with the configured numbers.

The computation is ``sql/scores.sql``; this is its explanation, the one the dashboard shows
(and ``handover scores --explain``). Both read the same configuration.
"""

from __future__ import annotations

from metrics.catalogue import label
from metrics.config import CRITICAL_FLAGS, FLAGS, Config


def explain(config: Config, lang: str = "zh") -> list[tuple[str, str]]:
    """(name, formula) pairs for the sub-scores, the score, the band and the risk level."""
    w = config.weights
    critical = (
        "、".join(label("flags", f, "zh") for f in CRITICAL_FLAGS)
        if lang == "zh"
        else ", ".join(label("flags", f, "en") for f in CRITICAL_FLAGS)
    )
    points = ("、" if lang == "zh" else ", ").join(
        f"{label('flags', f, lang)} {config.risk_points[f]:g}" for f in FLAGS
    )
    items = len(config.required_items)
    if lang == "zh":
        return [
            (
                f"效率（权重 {w['efficiency']:g}）",
                f"已完成：100 − {config.points_per_day_late:g} × 超过计划完成日期的天数（最低 0）；"
                f"未完成且已逾期：100 − {config.points_per_day_late:g} × 截至评估日的逾期天数；"
                "未到期或无计划完成日期：无数据",
            ),
            (
                f"质量（权重 {w['quality']:g}）",
                f"已完成：100 × 已核对的必交项目数 / {items} − "
                f"{config.points_per_unfixed_discrepancy:g} × 未更正的差异数（最低 0）；未完成：无数据",
            ),
            (
                f"满意度（权重 {w['satisfaction']:g}）",
                "（归属本交接的反馈的平均总体满意度 − 1）/ 4 × 100；无反馈：无数据",
            ),
            (f"风险（权重 {w['risk']:g}）", f"100 − 触发的风险标记扣分之和（最低 0）：{points}"),
            ("评估得分", "有数据的子得分按权重加权平均（无数据的子得分不计，权重按比例重新分配）"),
            (
                "等级",
                f"得分 ≥ {config.green:g} 绿，≥ {config.yellow:g} 黄，否则红；"
                f"出现关键风险（{critical}）一律为红",
            ),
            (
                "风险等级",
                f"出现关键风险或扣分 ≥ {config.risk_high:g} 为高，"
                f"≥ {config.risk_medium:g} 为中，否则为低",
            ),
        ]
    return [
        (
            f"Efficiency (weight {w['efficiency']:g})",
            f"completed: 100 − {config.points_per_day_late:g} × days after planned_end (min 0); "
            f"open and overdue: 100 − {config.points_per_day_late:g} × days overdue as of the date; "
            "open and not yet due, or no planned_end: no data",
        ),
        (
            f"Quality (weight {w['quality']:g})",
            f"completed: 100 × required items verified / {items} − "
            f"{config.points_per_unfixed_discrepancy:g} × unfixed discrepancies (min 0); "
            "open: no data",
        ),
        (
            f"Satisfaction (weight {w['satisfaction']:g})",
            "(mean overall satisfaction of the responses attributed to it − 1) / 4 × 100; "
            "no response: no data",
        ),
        (f"Risk (weight {w['risk']:g})", f"100 − the points of the raised flags (min 0): {points}"),
        (
            "Score",
            "weighted mean of the sub-scores that have data (the weights are rescaled over them)",
        ),
        (
            "Band",
            f"green ≥ {config.green:g}, yellow ≥ {config.yellow:g}, else red; a critical "
            f"flag ({critical}) always means red",
        ),
        (
            "Risk level",
            f"high with a critical flag or ≥ {config.risk_high:g} points, medium ≥ "
            f"{config.risk_medium:g}, else low",
        ),
    ]
