"""Scores and figures rolled up by receiving staff, by team and by month, with the previous
period and the change, so management can rank and compare.

Roll-ups cover completed handovers, placed in time by ``actual_end``. By staff and by team,
the current period is the filters' period (default: the 90 days up to the as-of date) and
the previous period is as long and ends the day before it starts. By month, each month is
compared with the month before.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pandas as pd

from metrics.config import Config, load_config
from metrics.selection import Filters
from metrics.session import prepare
from pipelines.store import Store

GROUPINGS = {"staff": "to_staff", "team": "team", "month": "strftime(actual_end, '%Y-%m')"}
DEFAULT_PERIOD_DAYS = 90

AGGREGATES = """
    count(*) as handovers,
    avg(score) as score,
    avg(efficiency_score) as efficiency,
    avg(quality_score) as quality,
    avg(satisfaction_score) as satisfaction,
    avg(risk_score) as risk,
    count(*) filter (where cast(actual_end as date) <= planned_end) / count(*) as on_time_rate,
    count(*) filter (where band = 'red') / count(*) as share_red,
    count(*) filter (where risk_level = 'high') as high_risk
"""


def periods(as_of: date, filters: Filters) -> tuple[tuple[date, date], tuple[date, date]]:
    """(current, previous) periods as (first day, last day)."""
    end = filters.period_to or as_of
    start = filters.period_from or end - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    length = (end - start).days + 1
    return (start, end), (start - timedelta(days=length), start - timedelta(days=1))


def _grouped(store: Store, by: str, as_of: date, filters: Filters, config: Config
             ) -> pd.DataFrame:
    def run(conn):
        prepare(conn, as_of, filters, config)
        return conn.execute(
            f"select {GROUPINGS[by]} as grp, {AGGREGATES} from handover_scores "
            "where is_completed group by grp order by grp"
        ).df()

    return store.read(run)


def trend(change: float | None) -> str:
    if change is None or pd.isna(change):
        return ""
    return "▲" if change > 0.5 else "▼" if change < -0.5 else "▶"


def rollup(store: Store, by: str, as_of: date | None = None, filters: Filters | None = None,
           config: Config | None = None) -> pd.DataFrame:
    """One row per staff member, team or month: scores, on-time rate, share red, and the
    score of the previous period with the change and a trend arrow."""
    if by not in GROUPINGS:
        raise ValueError(f"roll up by one of {', '.join(GROUPINGS)}")
    as_of = as_of or date.today()
    filters = filters or Filters()
    config = config or load_config()
    if by == "month":
        frame = _grouped(store, by, as_of, filters, config)
        by_month = dict(zip(frame["grp"], frame["score"]))
        before = (pd.PeriodIndex(frame["grp"], freq="M") - 1).strftime("%Y-%m")
        frame["previous_score"] = [by_month.get(month) for month in before]
    else:
        current, previous = periods(as_of, filters)
        frame = _grouped(store, by, as_of, replace(filters, period_from=current[0],
                                                    period_to=current[1]), config)
        before = _grouped(store, by, as_of, replace(filters, period_from=previous[0],
                                                     period_to=previous[1]), config)
        frame = frame.merge(before[["grp", "score"]].rename(columns={"score": "previous_score"}),
                            on="grp", how="left")
        frame = frame.sort_values("score", ascending=False, na_position="last")
    frame["change"] = frame["score"] - frame["previous_score"]
    frame["trend"] = frame["change"].map(trend)
    frame = frame.rename(columns={"grp": by})
    frame["rank"] = frame["score"].rank(ascending=False, method="min")
    return frame.reset_index(drop=True)
