"""The management workbook (总览 → 下载管理报告): what the overview shows, for a meeting.

Sheets, in the user's language: the figures (value of the stated period, previous period,
change, and the window each covers), the handovers ordered by risk (red first, then yellow,
then green, lowest score first within a band; handovers without a score last), the ranking
by receiving staff and by team (with the weakest sub-score and the top flags; those below
the minimum of handovers unranked, said in a note), and one sheet per team with its
handovers in the same order.

Every word is the catalogue's (bands, reasons, risk levels, flags, column headers, sheet
names); numbers are rounded (scores to one decimal, rates as percent with one decimal) and
stay numbers. Data values (names, companies) are written as they are; ``build_export``
neutralises any cell that Excel would run as a formula. The frames are what the viewer may
see: computed within the account's scope, and holding no phone, USCC or e-mail.
"""

from __future__ import annotations

import pandas as pd

from dashboard.exports import sheet_title
from dashboard.i18n import fmt_date, t
from metrics.catalogue import figure as figure_entry
from metrics.catalogue import label
from metrics.figures import FIGURE_KEYS

BAND_ORDER = {"red": 0, "yellow": 1, "green": 2}
SUB_SCORES = ("efficiency", "quality", "satisfaction", "risk")
# Figures of open handovers and of the survey files: the selection as of the date, no change.
STATE_FIGURES = ("handovers_total", "overdue_open", "responses_total", "responses_unmatched")


def rounded(value, digits: int = 1):
    """A number rounded to ``digits``, None for no value."""
    if value is None or (isinstance(value, float) and value != value) or pd.isna(value):
        return None
    return round(float(value), digits)


def percent(value):
    """A 0-1 share as a percent with one decimal (74.5 for 0.74537)."""
    return None if rounded(value, 6) is None else round(float(value) * 100, 1)


def figure_number(key: str, value):
    """A figure as a rounded number in the unit its header names (rates in percent)."""
    if value is None:
        return None
    unit = figure_entry(key)["unit"]
    if unit == "rate":
        return percent(value)
    if unit == "count":
        return int(value)
    return rounded(value, 2 if unit == "score" else 1)


def figure_unit(key: str, lang: str) -> str:
    return t(f"overview.unit_{figure_entry(key)['unit']}", lang)


def flag_text(flags, lang: str) -> str:
    """Localised flag labels joined, for a cell."""
    items = list(flags) if flags is not None and not isinstance(flags, str) else []
    return (
        "、".join(label("flags", str(flag), lang) for flag in items)
        if lang == "zh"
        else ", ".join(label("flags", str(flag), lang) for flag in items)
    )


def top_flags_text(pairs, lang: str) -> str:
    """``[[flag, n], ...]`` as "逾期 ×3、未签保密协议 ×2"."""
    items = list(pairs) if pairs is not None and not isinstance(pairs, str) else []
    parts = [f"{label('flags', str(flag), lang)} ×{int(n)}" for flag, n in items]
    return ("、" if lang == "zh" else ", ").join(parts)


def weakest_text(name, value, lang: str) -> str:
    if name is None or (isinstance(name, float) and name != name):
        return ""
    return f"{t(f'columns.{name}_score', lang)} {float(value):.1f}"


def coded(prefix: str, value, lang: str) -> str | None:
    """The catalogue's word for a code (bands.red → 红); an unknown code as it is."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    try:
        return t(f"{prefix}.{value}", lang)
    except KeyError:
        return str(value)


def by_risk(scores: pd.DataFrame) -> pd.DataFrame:
    """Handovers red first, then yellow, then green, lowest score first within a band;
    handovers without a score (or band) last."""
    if scores.empty:
        return scores
    order = scores.assign(
        _band=scores["band"].map(lambda b: BAND_ORDER.get(b, len(BAND_ORDER))),
        _unscored=scores["score"].isna(),
    )
    return order.sort_values(["_unscored", "_band", "score", "handover_id"], kind="stable").drop(
        columns=["_band", "_unscored"]
    )


def handovers_sheet(scores: pd.DataFrame, lang: str) -> pd.DataFrame:
    ordered = by_risk(scores)
    columns = {
        "handover_id": t("columns.handover_id", lang),
        "company_name": t("columns.company_name", lang),
        "team": t("columns.team", lang),
        "from_staff": t("columns.from_staff", lang),
        "to_staff": t("columns.to_staff", lang),
        "reason": t("columns.reason", lang),
        "state": t("overview.col_state", lang),
        "planned_end": t("columns.planned_end", lang),
        "actual_end": t("columns.actual_end", lang),
        "score": t("columns.score", lang),
        "band": t("columns.band", lang),
        **{f"{name}_score": t(f"columns.{name}_score", lang) for name in SUB_SCORES},
        "risk_level": t("columns.risk_level", lang),
        "flags": t("columns.flags", lang),
    }
    rows = []
    for row in ordered.to_dict(orient="records"):
        rows.append(
            {
                "handover_id": row.get("handover_id"),
                "company_name": row.get("company_name"),
                "team": row.get("team"),
                "from_staff": row.get("from_staff"),
                "to_staff": row.get("to_staff"),
                "reason": coded("reasons", row.get("reason"), lang),
                "state": t(
                    "overview.state_completed"
                    if row.get("is_completed")
                    else "overview.state_open",
                    lang,
                ),
                "planned_end": _day(row.get("planned_end"), lang),
                "actual_end": _day(row.get("actual_end"), lang, time=True),
                "score": rounded(row.get("score")),
                "band": coded("bands", row.get("band"), lang),
                **{f"{name}_score": rounded(row.get(f"{name}_score")) for name in SUB_SCORES},
                "risk_level": coded("risk_levels", row.get("risk_level"), lang),
                "flags": flag_text(row.get("flags"), lang),
            }
        )
    return pd.DataFrame(rows, columns=list(columns)).rename(columns=columns)


def _day(value, lang: str, time: bool = False):
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return None
    text = fmt_date(value, lang, time=time)
    return None if text == "—" else text


def ranking_sheet(frame: pd.DataFrame, by: str, minimum: int, lang: str) -> pd.DataFrame:
    columns = {
        "rank": t("columns.rank", lang),
        by: t(f"columns.{by}", lang),
        "handovers": t("columns.handovers", lang),
        "score": t("columns.score", lang),
        "previous_score": t("columns.previous_score", lang),
        "change": t("columns.change", lang),
        "weakest": t("overview.col_weakest", lang),
        "top_flags": t("overview.col_top_flags", lang),
        "on_time_rate": t("overview.col_on_time_percent", lang),
        "share_red": t("overview.col_red_percent", lang),
        "high_risk": t("columns.high_risk", lang),
        "note": t("overview.col_note", lang),
    }
    rows = []
    for row in frame.to_dict(orient="records"):
        rows.append(
            {
                "rank": None if pd.isna(row.get("rank")) else int(row["rank"]),
                by: row.get(by),
                "handovers": int(row["handovers"]),
                "score": rounded(row.get("score")),
                "previous_score": rounded(row.get("previous_score")),
                "change": rounded(row.get("change")),
                "weakest": weakest_text(row.get("weakest"), row.get("weakest_score"), lang),
                "top_flags": top_flags_text(row.get("top_flags"), lang),
                "on_time_rate": percent(row.get("on_time_rate")),
                "share_red": percent(row.get("share_red")),
                "high_risk": int(row["high_risk"]),
                "note": None if row.get("ranked") else t("overview.unranked_note", lang, n=minimum),
            }
        )
    return pd.DataFrame(rows, columns=list(columns)).rename(columns=columns)


def summary_sheet(values: dict, now: dict, before: dict, stated, as_of, lang: str) -> pd.DataFrame:
    (start, end), (pstart, pend) = stated.current, stated.previous
    period = t("overview.window_period", lang, start=fmt_date(start, lang), end=fmt_date(end, lang))
    previous = t(
        "overview.window_period", lang, start=fmt_date(pstart, lang), end=fmt_date(pend, lang)
    )
    state = t("overview.window_state", lang, as_of=fmt_date(as_of, lang))
    rows = []
    for key in FIGURE_KEYS:
        if key in STATE_FIGURES:
            value, earlier, window, compared = (
                figure_number(key, values.get(key)),
                None,
                state,
                None,
            )
        else:
            value = figure_number(key, now.get(key))
            earlier = figure_number(key, before.get(key))
            window, compared = period, previous
        change = (
            None
            if value is None or earlier is None
            else round(value - earlier, 2 if figure_entry(key)["unit"] == "score" else 1)
        )
        rows.append(
            {
                t("overview.figure", lang): label("figures", key, lang),
                t("overview.col_unit", lang): figure_unit(key, lang),
                t("overview.col_window", lang): window,
                t("overview.value", lang): value,
                t("overview.col_compared", lang): compared,
                t("overview.col_previous", lang): earlier,
                t("columns.change", lang): change,
            }
        )
    return pd.DataFrame(rows)


def sheets(
    *,
    values: dict,
    now: dict,
    before: dict,
    stated,
    scores: pd.DataFrame,
    staff: pd.DataFrame,
    team: pd.DataFrame,
    as_of,
    lang: str,
    minimum: int = 3,
) -> dict[str, pd.DataFrame]:
    """The workbook's sheets by title (titles unique and valid for Excel)."""
    result: dict[str, pd.DataFrame] = {}

    def add(title: str, frame: pd.DataFrame) -> None:
        name, n = sheet_title(title), 2
        while name.casefold() in {k.casefold() for k in result}:
            suffix = f" ({n})"
            name, n = sheet_title(title)[: 31 - len(suffix)] + suffix, n + 1
        result[name] = frame

    add(t("overview.sheet_summary", lang), summary_sheet(values, now, before, stated, as_of, lang))
    add(t("overview.sheet_handovers", lang), handovers_sheet(scores, lang))
    add(t("overview.sheet_by_staff", lang), ranking_sheet(staff, "staff", minimum, lang))
    add(t("overview.sheet_by_team", lang), ranking_sheet(team, "team", minimum, lang))
    if not scores.empty:
        teams = sorted({v for v in scores["team"] if isinstance(v, str) and v.strip()})
        for name in teams:
            # the name as it is (t() would escape it for Markdown)
            add(
                f"{t('overview.sheet_team_prefix', lang)}{name}",
                handovers_sheet(scores[scores["team"] == name], lang),
            )
        blank = scores[~scores["team"].isin(teams)]
        if not blank.empty:
            add(t("overview.sheet_no_team", lang), handovers_sheet(blank, lang))
    return result
