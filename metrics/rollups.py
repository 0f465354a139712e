"""Scores and figures rolled up by receiving staff, by team and by month, with the previous
period and the change, so management can rank and compare.

Roll-ups cover completed handovers, placed in time by ``actual_end``.

**The stated period** (by staff and by team, and the overview's tiles): the filters' period
when one is chosen; else the last 12 months up to the as-of date, or, when the selected data
holds less than that, from the first completed handover on (the whole data). The previous
period is as long and ends the day before the current one starts. By month, each month is
compared with the month before.

**Ranking.** A staff member or team is ranked when it completed at least
``ranking.min_handovers`` handovers (scoring configuration, default 3) in the period; the
others are kept with ``ranked`` false and no rank, so that a page can list them apart (one
handover at 100 does not top the ranking). Each row also says why its score is what it is:
the weakest of the four sub-scores (``weakest``, ``weakest_score``: the lowest mean, ties in
the order efficiency, quality, satisfaction, risk) and the most frequent risk flags of its
handovers (``top_flags``: ``[[flag, handovers], ...]``, most frequent first, ties in the
order of DOMAIN.md's flags, at most three).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

import pandas as pd

from metrics.config import FLAGS, SUB_SCORES, Config, load_config
from metrics.selection import Filters, select_handovers
from metrics.session import prepare, sql_file
from pipelines.store import Store

GROUPINGS = {"staff": "to_staff", "team": "team", "month": "strftime(actual_end, '%Y-%m')"}
DEFAULT_PERIOD_MONTHS = 12
TOP_FLAGS = 3
RANKING_DECIMALS = 9  # scores equal to this many decimals are ties


@dataclass(frozen=True)
class Periods:
    """The current and previous period, each (first day, last day), and how the current one
    was chosen: ``chosen`` (the filters' period), ``last_12_months``, or ``all_data`` (the
    selected data covers less than 12 months: from its first completed handover on)."""

    current: tuple[date, date]
    previous: tuple[date, date]
    kind: str

    def __iter__(self):  # current, previous = stated
        return iter((self.current, self.previous))


def periods(
    as_of: date, filters: Filters, first: date | None = None
) -> tuple[tuple[date, date], tuple[date, date]]:
    """(current, previous) periods as (first day, last day); ``first`` is the first day a
    selected handover was completed (see ``stated_periods``)."""
    stated = _periods(as_of, filters, first)
    return stated.current, stated.previous


def _periods(as_of: date, filters: Filters, first: date | None) -> Periods:
    end = filters.period_to or as_of
    if filters.period_from:
        start, kind = filters.period_from, "chosen"
    else:
        start = (
            pd.Timestamp(end) - pd.DateOffset(months=DEFAULT_PERIOD_MONTHS)
        ).date() + timedelta(days=1)
        kind = "chosen" if filters.period_to else "last_12_months"
        if first is not None and start < first <= end:
            start, kind = first, "all_data"
    length = (end - start).days + 1
    return Periods((start, end), (start - timedelta(days=length), start - timedelta(days=1)), kind)


def first_completed(store: Store, as_of: date, filters: Filters) -> date | None:
    """The first day a handover of the selection (its period aside) was completed, up to the
    period's end (the as-of date by default); None when none was."""
    end = filters.period_to or as_of

    def run(conn):
        select_handovers(conn, replace(filters, period_from=None, period_to=None))
        return conn.execute(sql_file("rollups", "first_completed.sql"), {"end": end}).fetchone()[0]

    return store.read(run)


def stated_periods(store: Store, as_of: date, filters: Filters) -> Periods:
    """The period the ranking and the overview's tiles cover, with the previous one."""
    return _periods(
        as_of, filters, None if filters.period_from else first_completed(store, as_of, filters)
    )


def _grouped(
    store: Store, by: str, as_of: date, filters: Filters, config: Config, details: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    def run(conn):
        prepare(conn, as_of, filters, config)
        group = GROUPINGS[by]
        frame = conn.execute(sql_file("rollups", "grouped.sql").format(group=group)).df()
        flags = (
            conn.execute(
                sql_file("rollups", "top_flags.sql").format(group=group),
                {"flags": list(FLAGS), "top": TOP_FLAGS},
            ).fetchall()
            if details
            else None
        )
        return frame, flags

    return store.read(run)


def trend(change: float | None) -> str:
    if change is None or pd.isna(change):
        return ""
    change = round(change, RANKING_DECIMALS)  # the same arrow for the same change every run
    return "▲" if change > 0.5 else "▼" if change < -0.5 else "▶"


def weakest(row: pd.Series) -> tuple[str | None, float | None]:
    """The lowest of the four sub-score means of a row (None when none has data)."""
    known = [(name, row[name]) for name in SUB_SCORES if pd.notna(row.get(name))]
    if not known:
        return None, None
    name, value = min(known, key=lambda pair: pair[1])  # min keeps the first of equals
    return name, float(value)


def weakest_of_rows(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """``weakest`` of every row at once: the names (None: no sub-score has data) and the
    values (float, NaN for none)."""
    import numpy as np

    values = frame[list(SUB_SCORES)].astype(float).to_numpy()
    known = ~np.isnan(values).all(axis=1) if len(values) else np.zeros(0, dtype=bool)
    first_lowest = (
        np.where(np.isnan(values), np.inf, values).argmin(axis=1)
        if len(values)
        else np.zeros(0, dtype=int)
    )  # argmin keeps the first of equals
    names = pd.Series(
        [SUB_SCORES[i] if ok else None for i, ok in zip(first_lowest, known, strict=False)],
        index=frame.index,
        dtype=object,
    )
    lowest_values = pd.Series(
        [
            values[row, i] if ok else np.nan
            for row, (i, ok) in enumerate(zip(first_lowest, known, strict=False))
        ],
        index=frame.index,
        dtype=float,
    )
    return names, lowest_values


def top_flags(flags: pd.DataFrame, group: object, limit: int = TOP_FLAGS) -> list[list]:
    """``[[flag, handovers], ...]`` of a group, most frequent first."""
    mine = (
        flags[flags["grp"].isna()]
        if group is None or pd.isna(group)
        else flags[flags["grp"] == group]
    )
    order = {flag: i for i, flag in enumerate(FLAGS)}
    ranked = sorted(
        ((str(r.flag), int(r.n)) for r in mine.itertuples(index=False)),
        key=lambda pair: (-pair[1], order.get(pair[0], len(order))),
    )
    return [[flag, n] for flag, n in ranked[:limit]]


def top_flags_by_group(found: list[tuple]) -> dict:
    """The rows of sql/rollups/top_flags.sql as ``{group: [[flag, handovers], ...]}`` (None: the group
    of no name)."""
    return {grp: [[flag, int(n)] for flag, n in top] for grp, top in found}


def rollup(
    store: Store,
    by: str,
    as_of: date | None = None,
    filters: Filters | None = None,
    config: Config | None = None,
) -> pd.DataFrame:
    """One row per staff member, team or month: scores, on-time rate, share red, and the
    score of the previous period with the change and a trend arrow. By staff and team also
    the weakest sub-score, the top flags, ``ranked`` (at least the minimum of handovers) and
    the rank among the ranked (1 = highest score); ranked rows first, best first."""
    if by not in GROUPINGS:
        raise ValueError(f"roll up by one of {', '.join(GROUPINGS)}")
    as_of = as_of or date.today()
    filters = filters or Filters()
    config = config or load_config()
    if by == "month":
        frame, _ = _grouped(store, by, as_of, filters, config)
        by_month = dict(zip(frame["grp"], frame["score"], strict=False))
        before = (pd.PeriodIndex(frame["grp"], freq="M") - 1).strftime("%Y-%m")
        frame["previous_score"] = [by_month.get(month) for month in before]
        frame["previous_score"] = frame["previous_score"].astype(float)
        frame["change"] = frame["score"] - frame["previous_score"]
        frame["trend"] = frame["change"].map(trend)
        frame = frame.rename(columns={"grp": by})
        frame["rank"] = frame["score"].round(RANKING_DECIMALS).rank(ascending=False, method="min")
        return frame.reset_index(drop=True)
    stated = stated_periods(store, as_of, filters)
    (start, end), (pstart, pend) = stated.current, stated.previous
    frame, flags = _grouped(
        store, by, as_of, replace(filters, period_from=start, period_to=end), config, details=True
    )
    before, _ = _grouped(
        store, by, as_of, replace(filters, period_from=pstart, period_to=pend), config
    )
    frame = frame.merge(
        before[["grp", "score"]].rename(columns={"score": "previous_score"}), on="grp", how="left"
    )
    frame["previous_score"] = frame["previous_score"].astype(float)
    frame["change"] = frame["score"] - frame["previous_score"]
    frame["trend"] = frame["change"].map(trend)
    frame["weakest"], frame["weakest_score"] = weakest_of_rows(frame)
    by_group = top_flags_by_group(flags or [])  # always found with details=True
    frame["top_flags"] = [
        by_group.get(
            None if group is None or (not isinstance(group, str) and pd.isna(group)) else group, []
        )
        for group in frame["grp"]
    ]
    frame["top_flags"] = frame["top_flags"].astype(object)
    frame["ranked"] = frame["handovers"] >= config.min_handovers
    # Ties by the score to 9 decimals: DuckDB's parallel sums vary in the last digits from
    # run to run, and equal scores must rank (and be listed) the same way every time.
    steady = frame["score"].round(RANKING_DECIMALS)
    frame["rank"] = steady.where(frame["ranked"]).rank(ascending=False, method="min")
    frame = (
        frame.assign(_steady=steady)
        .sort_values(
            ["ranked", "_steady", "handovers", "grp"],
            ascending=[False, False, False, True],
            na_position="last",
            kind="stable",
        )
        .drop(columns="_steady")
    )
    frame = frame.rename(columns={"grp": by})
    return frame.reset_index(drop=True)


def lowest(frame: pd.DataFrame) -> pd.Series | None:
    """The ranked row with the lowest score (the first by name among equals), or None."""
    ranked = frame[frame["ranked"] & frame["score"].notna()] if not frame.empty else frame
    if ranked.empty:
        return None
    return (
        ranked.assign(_steady=ranked["score"].round(RANKING_DECIMALS))
        .sort_values(["_steady", ranked.columns[0]], kind="stable")
        .drop(columns="_steady")
        .iloc[0]
    )
