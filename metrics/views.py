"""Read functions for the satisfaction and risk pages: data no figure, score or roll-up gives.

Each reads the temporary tables of ``session.prepare`` (responses, handover_facts,
handover_scores), so the selection, attribution, flags and scores are those of the figures.
Satisfaction by month, staff or team groups the definitions of DOMAIN.md §3 in one query
(the figure files compute one value; running them once per group took minutes on the large
sample); tests check every group against the figure files. The dashboard calls these
through dashboard/data.py's caches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from metrics.config import CRITICAL_FLAGS, Config, load_config
from metrics.selection import Filters
from metrics.session import prepare
from pipelines.store import Store

GROUPS = {"month": "strftime(r.submitted_at, '%Y-%m')", "staff": "f.to_staff", "team": "f.team"}

# NPS groups of a recommend score, as nps.sql counts them: 9-10 promoter, 0-6 detractor.
NPS_GROUP_SQL = """
    case when recommend_score is null then null
         when recommend_score >= 9 then 'promoter'
         when recommend_score >= 7 then 'passive'
         else 'detractor' end
"""

# The satisfaction figures of DOMAIN.md §3 per group, in one pass: the same definitions as
# sql/figures/{responses_attributed,csat,mean_satisfaction,nps,handovers_completed,
# response_rate,followup_30d_rate}.sql, grouped (tests check each group against them).
GROUPED_SQL = """
with attributed as (
    select {group} as grp, r.overall_satisfaction, r.recommend_score
    from responses as r
    join handover_facts as f on f.handover_id = r.handover_id
    where r.is_real and r.is_attributed {month_only}
),

by_response as (
    select
        grp,
        count(*) as responses_attributed,
        100.0 * count(*) filter (where overall_satisfaction >= 4)
            / nullif(count(overall_satisfaction), 0) as csat,
        avg(overall_satisfaction) as mean_satisfaction,
        100.0 * (count(*) filter (where recommend_score >= 9)
                 - count(*) filter (where recommend_score <= 6))
            / nullif(count(recommend_score), 0) as nps
    from attributed
    group by grp
)
"""
HANDOVER_SQL = """,

by_handover as (
    select
        {group} as grp,
        count(*) filter (where is_completed) as handovers_completed,
        count(*) filter (where is_completed and count_responses > 0)
            / nullif(count(*) filter (where is_completed), 0) as response_rate,
        count(*) filter (where is_completed and has_followup_30d
                         and cast(actual_end as date) <= cast($as_of as date) - interval 30 day)
            / nullif(count(*) filter (
                where is_completed
                    and cast(actual_end as date) <= cast($as_of as date) - interval 30 day), 0)
            as followup_30d_rate
    from handover_facts as f
    group by grp
)
"""
RESPONSE_FIGURES = ["responses_attributed", "csat", "mean_satisfaction", "nps"]
HANDOVER_FIGURES = ["handovers_completed", "response_rate", "followup_30d_rate"]


def satisfaction_by(
    store: Store,
    by: str,
    as_of: date | None = None,
    filters: Filters | None = None,
    config: Config | None = None,
) -> pd.DataFrame:
    """One row per month of submission, receiving staff or team: the satisfaction figures
    (responses_attributed, csat, mean_satisfaction, nps; by staff and team also
    handovers_completed, response_rate, followup_30d_rate) over that group alone, ordered
    by the group."""
    if by not in GROUPS:
        raise ValueError(f"group by one of {', '.join(GROUPS)}")
    as_of, config = as_of or date.today(), config or load_config()
    month = by == "month"
    sql = GROUPED_SQL.format(
        group=GROUPS[by], month_only="and r.submitted_at is not null" if month else ""
    )
    if month:
        sql += f"\nselect grp as {by}, {', '.join(RESPONSE_FIGURES)} from by_response order by 1"
    else:
        sql += HANDOVER_SQL.format(group=GROUPS[by]) + (
            f"\nselect h.grp as {by}, coalesce(r.responses_attributed, 0) as "
            "responses_attributed, r.csat, r.mean_satisfaction, r.nps, "
            f"{', '.join('h.' + k for k in HANDOVER_FIGURES)} from by_handover as h "
            "left join by_response as r on r.grp is not distinct from h.grp "
            "order by 1 nulls last"
        )

    def run(conn):
        prepare(conn, as_of, filters or Filters(), config, upto="facts")
        return conn.execute(sql, {"as_of": as_of} if "$as_of" in sql else {}).df()

    return store.read(run)


def attributed_responses(
    store: Store,
    as_of: date | None = None,
    filters: Filters | None = None,
    config: Config | None = None,
) -> pd.DataFrame:
    """The responses attributed to the selected handovers, newest first, with the handover's
    client, receiving staff and team and the NPS group of the recommend score."""
    as_of, config = as_of or date.today(), config or load_config()

    def run(conn):
        prepare(conn, as_of, filters or Filters(), config, upto="facts")
        return conn.execute(
            f"""
            select r.response_key, r.submitted_at, r.source_tool, r.handover_id, f.client_id,
                   f.company_name, f.to_staff, f.team, r.overall_satisfaction,
                   r.recommend_score, {NPS_GROUP_SQL} as nps_group, r.comment
            from responses as r
            join handover_facts as f on f.handover_id = r.handover_id
            where r.is_real and r.is_attributed
            order by r.submitted_at desc nulls last, r.response_key
            """
        ).df()

    return store.read(run)


# The risk register's rows: the selected handovers (of ``since``) with what the risk page
# shows of each, ranked by risk. {where} is "" or a condition on handover_scores.
REGISTER_SQL = """
    select * from (
        select handover_id, client_id, company_name, team, from_staff, to_staff,
               supervisor, reason, planned_end, actual_end, is_completed, score, band,
               risk_level, risk_points, flags,
               list_has_any(flags, $critical) as has_critical,
               case when not is_completed and planned_end is not null
                    then greatest(0, date_diff('day', planned_end, cast($as_of as date)))
               end as days_overdue,
               not is_completed and len(flags) > 0 as at_risk
        from handover_scores
        {since}
    ) as register
    {where}
"""
REGISTER_ORDER = "order by risk_points desc, days_overdue desc nulls last, handover_id"
# The lists of the risk page, as conditions on the register's rows.
RISK_LISTS = {"all": "", "at_risk": "where at_risk", "flagged": "where len(flags) > 0"}


def _since(since: date | None) -> tuple[str, dict]:
    """The condition on handover_scores of ``since`` (see risk_register) and its parameter."""
    if since is None:
        return "", {}
    return "where not is_completed or cast(actual_end as date) >= $since", {"since": since}


def _register(as_of: date, since: date | None, only: str = "all") -> tuple[str, dict]:
    recent, since_param = _since(since)
    return (
        REGISTER_SQL.format(since=recent, where=RISK_LISTS[only]),
        {"critical": list(CRITICAL_FLAGS), "as_of": as_of, **since_param},
    )


def risk_register(
    store: Store,
    as_of: date | None = None,
    filters: Filters | None = None,
    config: Config | None = None,
    since: date | None = None,
) -> pd.DataFrame:
    """The selected handovers ranked by risk (risk points, then days overdue): the form,
    the client, score, band, risk level, flags, whether a critical flag is raised, the days
    past the planned end as of the date (open ones) and ``at_risk`` (open, with a flag).
    ``since`` keeps the open handovers and those completed on or after that day."""
    return risk_rows(store, as_of, filters, config, since)


def risk_rows(
    store: Store,
    as_of: date | None = None,
    filters: Filters | None = None,
    config: Config | None = None,
    since: date | None = None,
    only: str = "all",
    offset: int = 0,
    limit: int | None = None,
) -> pd.DataFrame:
    """Rows of ``risk_register`` in its order: those of the list ``only`` (RISK_LISTS:
    every row, the open ones at risk, or those with a flag), ``limit`` rows (None: all)
    from ``offset`` on. A page reads the rows it shows; ordering and paging run in DuckDB."""
    as_of, config = as_of or date.today(), config or load_config()
    sql, params = _register(as_of, since, only)
    paged = ""
    if limit is not None:
        paged = " limit $limit offset $offset"
        params = {**params, "limit": max(int(limit), 0), "offset": max(int(offset), 0)}

    def run(conn):
        prepare(conn, as_of, filters or Filters(), config)
        # through Arrow, as scores_on: much faster than .df() with the list column
        return conn.sql(sql + REGISTER_ORDER + paged, params=params).to_arrow_table().to_pandas()

    return store.read(run)


@dataclass(frozen=True)
class RiskCounts:
    """What the risk page counts of a register (``risk_register`` of the same selection and
    ``since``): its rows, those at risk (open, with a flag), with a flag, of high risk
    level, with a critical flag, and for each critical flag the rows raising it."""

    handovers: int
    at_risk: int
    flagged: int
    high: int
    critical: int
    critical_by_flag: dict[str, int]


def risk_counts(
    store: Store,
    as_of: date | None = None,
    filters: Filters | None = None,
    config: Config | None = None,
    since: date | None = None,
) -> RiskCounts:
    """The counts of the register (see RiskCounts), in one query."""
    as_of, config = as_of or date.today(), config or load_config()
    sql, params = _register(as_of, since)
    by_flag = ", ".join(
        f"count(*) filter (where list_contains(flags, $flag_{i}))"
        for i in range(len(CRITICAL_FLAGS))
    )
    params = {**params, **{f"flag_{i}": flag for i, flag in enumerate(CRITICAL_FLAGS)}}

    def run(conn):
        prepare(conn, as_of, filters or Filters(), config)
        return conn.execute(
            f"""
            select count(*), count(*) filter (where at_risk),
                   count(*) filter (where len(flags) > 0),
                   count(*) filter (where risk_level = 'high'),
                   count(*) filter (where has_critical), {by_flag}
            from ({sql})
            """,
            params,
        ).fetchall()[0]

    handovers, at_risk, flagged, high, critical, *per_flag = store.read(run)
    return RiskCounts(
        int(handovers),
        int(at_risk),
        int(flagged),
        int(high),
        int(critical),
        {flag: int(n) for flag, n in zip(CRITICAL_FLAGS, per_flag, strict=False)},
    )


# -- what a page shows of many handovers: counts and one page of rows ------------------------


def flags_of(
    store: Store,
    handover_ids: list[str],
    as_of: date | None = None,
    filters: Filters | None = None,
    config: Config | None = None,
) -> pd.DataFrame:
    """The raised flags of some of the selected handovers: the rows of
    ``metrics.scores.compute_flags`` (handover_id, flag, reason_code, reason_params) of
    those ids, in its order. A page words the reasons of the rows it shows from these."""
    as_of, config = as_of or date.today(), config or load_config()

    def run(conn):
        prepare(conn, as_of, filters or Filters(), config, upto="flags")
        return conn.execute(
            "select handover_id, flag, reason_code, reason_params from handover_flags "
            "where handover_id in (select unnest($ids)) order by handover_id, flag",
            {"ids": [str(i) for i in handover_ids]},
        ).df()

    return store.read(run)


def flag_counts(
    store: Store,
    as_of: date | None = None,
    filters: Filters | None = None,
    config: Config | None = None,
    since: date | None = None,
) -> pd.DataFrame:
    """How many of the selected handovers (those of ``since`` as in risk_register) raise
    each flag, by team: one row per team and flag with ``handovers``; a team of no name is
    None. The risk page's charts draw from these rows, not from every raised flag."""
    as_of, config = as_of or date.today(), config or load_config()
    recent, params = _since(since)

    def run(conn):
        prepare(conn, as_of, filters or Filters(), config, upto="scores")
        return conn.execute(
            f"""
            select s.team, f.flag, count(distinct f.handover_id) as handovers
            from handover_flags as f
            join (select handover_id, team from handover_scores {recent}) as s
                using (handover_id)
            group by all
            order by s.team nulls last, f.flag
            """,
            params,
        ).df()

    return store.read(run)


HISTOGRAM_WIDTH = 5  # points per bar of the score distribution (20 bars from 0 to 100)


def score_histogram(
    store: Store,
    as_of: date | None = None,
    filters: Filters | None = None,
    config: Config | None = None,
    width: int = HISTOGRAM_WIDTH,
) -> pd.DataFrame:
    """The distribution of the selected handovers' scores: one row per bar and band with
    ``bin_start`` (a bar covers bin_start <= score < bin_start + width; the last one holds
    100 too), ``band`` and ``handovers``. Unscored handovers are not counted. A chart of
    hundreds of thousands of handovers draws from these few rows."""
    as_of, config = as_of or date.today(), config or load_config()
    top = 100 - width

    def run(conn):
        prepare(conn, as_of, filters or Filters(), config)
        return conn.execute(
            """
            select least(floor(score / $width) * $width, $top) as bin_start, band,
                   count(*) as handovers
            from handover_scores
            where score is not null
            group by all
            order by bin_start, band
            """,
            {"width": width, "top": top},
        ).df()

    return store.read(run)


# The handovers table's search: these columns, case-insensitive, as a substring.
SEARCHED_COLUMNS = ("handover_id", "client_id", "company_name", "from_staff", "to_staff")


@dataclass(frozen=True)
class ScoresPage:
    """One page of the scores table: its ``rows`` (SCORE_COLUMNS), how many rows match the
    bands, flags and search (``matched``), how many handovers the selection has (``total``)
    and the flags raised in the selection (for the flag filter's choices)."""

    rows: pd.DataFrame
    matched: int
    total: int
    flags: list[str]


def scores_page(
    store: Store,
    as_of: date | None = None,
    filters: Filters | None = None,
    config: Config | None = None,
    bands: tuple[str, ...] = (),
    flags: tuple[str, ...] = (),
    search: str = "",
    offset: int = 0,
    limit: int = 100,
) -> ScoresPage:
    """The selected handovers' scores, lowest score first (unscored last, ties by id),
    those of ``bands``, raising any of ``flags``, and holding ``search`` in one of
    SEARCHED_COLUMNS (case-insensitive); the ``limit`` rows from ``offset`` on. Filtering,
    ordering and paging run in DuckDB: only the page's rows come back."""
    from metrics.scores import SCORE_COLUMNS

    as_of, config = as_of or date.today(), config or load_config()
    conditions, params = ["true"], {}
    if bands:
        conditions.append("band in (select unnest($bands))")
        params["bands"] = list(bands)
    if flags:
        conditions.append("list_has_any(flags, $flags)")
        params["flags"] = list(flags)
    text = search.strip().lower()
    if text:
        conditions.append(
            "("
            + " or ".join(
                f"contains(lower(coalesce(cast({column} as varchar), '')), $search)"
                for column in SEARCHED_COLUMNS
            )
            + ")"
        )
        params["search"] = text
    where = " and ".join(conditions)

    def run(conn):
        prepare(conn, as_of, filters or Filters(), config)
        total, raised = conn.execute(
            "select count(*), (select list(distinct f order by f) from "
            "(select unnest(flags) as f from handover_scores)) from handover_scores"
        ).fetchall()[0]
        matched = conn.execute(
            f"select count(*) from handover_scores where {where}", params
        ).fetchall()[0][0]
        rows = (
            conn.sql(
                f"select {', '.join(SCORE_COLUMNS)} from handover_scores where {where} "
                "order by score asc nulls last, handover_id limit $limit offset $offset",
                params={**params, "limit": max(int(limit), 0), "offset": max(int(offset), 0)},
            )
            .to_arrow_table()
            .to_pandas()
        )
        return ScoresPage(rows, int(matched), int(total), list(raised or []))

    return store.read(run)


def handover_scores(
    store: Store,
    handover_id: str,
    as_of: date | None = None,
    filters: Filters | None = None,
    config: Config | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One handover's row of the scores (SCORE_COLUMNS; none when it is not selected) and
    its raised flags (handover_id, flag, reason_code, reason_params), as the whole selection's."""
    from metrics.scores import SCORE_COLUMNS

    as_of, config = as_of or date.today(), config or load_config()

    def run(conn):
        prepare(conn, as_of, filters or Filters(), config)
        score = (
            conn.sql(
                f"select {', '.join(SCORE_COLUMNS)} from handover_scores where handover_id = $id",
                params={"id": handover_id},
            )
            .to_arrow_table()
            .to_pandas()
        )
        raised = conn.execute(
            "select handover_id, flag, reason_code, reason_params from handover_flags "
            "where handover_id = $id order by flag",
            {"id": handover_id},
        ).df()
        return score, raised

    return store.read(run)
