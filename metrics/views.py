"""Read functions for the satisfaction and risk pages: data no figure, score or roll-up gives.

Each reads the temporary tables of ``session.prepare`` (responses, handover_facts,
handover_scores), so the selection, attribution, flags and scores are those of the figures.
Their SQL is in ``sql/views/``, one file per query. Satisfaction by month, staff or team
runs the figure files themselves, each grouped, in one statement (running them once per
group took minutes on the large sample); tests check every group against the figure files.
The dashboard calls these through dashboard/data.py's caches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from metrics.config import CRITICAL_FLAGS, Config, load_config
from metrics.selection import Filters
from metrics.session import prepare, run_sql, sql_file
from pipelines.store import Store

# What satisfaction_by groups by: an expression over the responses (alias r) and, by staff
# and team, over the handover facts (alias f), as the figure files name their rows.
GROUPS = {
    "month": ("strftime(r.submitted_at, '%Y-%m')", None),
    "staff": (
        "(select f.to_staff from handover_facts as f where f.handover_id = r.handover_id)",
        "f.to_staff",
    ),
    "team": (
        "(select f.team from handover_facts as f where f.handover_id = r.handover_id)",
        "f.team",
    ),
}
# The satisfaction figures of DOMAIN.md §3 a group has: those of its attributed responses,
# and by staff and team those of its handovers; counts are 0, not none, for a group without.
RESPONSE_FIGURES = ["responses_attributed", "csat", "mean_satisfaction", "nps"]
HANDOVER_FIGURES = ["handovers_completed", "response_rate", "followup_30d_rate"]
COUNTS = ("responses_attributed", "handovers_completed")


def satisfaction_sql(by: str) -> str:
    """One statement giving satisfaction_by's rows: each figure's own file grouped
    (metrics.figures.grouped_figure_sql), joined on the group. By month the groups are the
    months of the attributed responses; by staff and team, those of the selected handovers."""
    from metrics.figures import grouped_figure_sql

    by_response, by_handover = GROUPS[by]
    figures = {key: grouped_figure_sql(key, by_response) for key in RESPONSE_FIGURES}
    if by_handover is None:
        groups = "select grp from g_responses_attributed"
    else:
        figures |= {key: grouped_figure_sql(key, by_handover) for key in HANDOVER_FIGURES}
        groups = f"select distinct {by_handover} as grp from handover_facts as f"
    ctes = ",\n".join(f"g_{key} as (\n{sql}\n)" for key, sql in figures.items())
    columns = ", ".join(
        f"coalesce(g_{key}.value, 0) as {key}" if key in COUNTS else f"g_{key}.value as {key}"
        for key in figures
    )
    joins = "\n".join(
        f"left join g_{key} on g_{key}.grp is not distinct from g.grp" for key in figures
    )
    return (
        f"with {ctes}\nselect g.grp as {by}, {columns}\nfrom ({groups}) as g\n{joins}\n"
        "order by 1 nulls last"
    )


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
    by the group: the figure files' own formulas, grouped (satisfaction_sql)."""
    if by not in GROUPS:
        raise ValueError(f"group by one of {', '.join(GROUPS)}")
    as_of, config = as_of or date.today(), config or load_config()
    sql = satisfaction_sql(by)

    def run(conn):
        values = prepare(conn, as_of, filters or Filters(), config, upto="facts")
        return run_sql(conn, sql, values).df()

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
        return conn.execute(sql_file("views", "attributed_responses.sql")).df()

    return store.read(run)


def view_sql(name: str, **parts: str) -> str:
    """The statement of ``sql/views/<name>.sql``, its ``{part}`` placeholders (conditions,
    column lists) filled from ``parts``."""
    sql = sql_file("views", f"{name}.sql")
    return sql.format(**parts) if parts else sql


# The risk register's order (risk_register.sql), and the lists of the risk page as
# conditions on its rows.
REGISTER_ORDER = "order by risk_points desc, days_overdue desc nulls last, handover_id"
RISK_LISTS = {"all": "", "at_risk": "where at_risk", "flagged": "where len(flags) > 0"}


def _since(since: date | None) -> tuple[str, dict]:
    """The condition on handover_scores of ``since`` (see risk_register) and its parameter."""
    if since is None:
        return "", {}
    return "where not is_completed or cast(actual_end as date) >= $since", {"since": since}


def _register(as_of: date, since: date | None, only: str = "all") -> tuple[str, dict]:
    recent, since_param = _since(since)
    return (
        view_sql("risk_register", since=recent, where=RISK_LISTS[only]),
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
        f"count(*) filter (where list_contains(flags, $flag_{i})) as flag_{i}"
        for i in range(len(CRITICAL_FLAGS))
    )
    params = {**params, **{f"flag_{i}": flag for i, flag in enumerate(CRITICAL_FLAGS)}}

    def run(conn):
        prepare(conn, as_of, filters or Filters(), config)
        return conn.execute(
            view_sql("risk_counts", by_flag=by_flag, register=sql), params
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
        return conn.execute(view_sql("flags_of"), {"ids": [str(i) for i in handover_ids]}).df()

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
        return conn.execute(view_sql("flag_counts", since=recent), params).df()

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
        return conn.execute(view_sql("score_histogram"), {"width": width, "top": top}).df()

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
    conditions: list[str] = ["true"]
    params: dict[str, object] = {}
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
        total, raised = conn.execute(view_sql("scores_total")).fetchall()[0]
        matched = conn.execute(view_sql("scores_matched", where=where), params).fetchall()[0][0]
        rows = (
            conn.sql(
                view_sql("scores_page", columns=", ".join(SCORE_COLUMNS), where=where),
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
                view_sql("handover_score", columns=", ".join(SCORE_COLUMNS)),
                params={"id": handover_id},
            )
            .to_arrow_table()
            .to_pandas()
        )
        raised = conn.execute(view_sql("handover_flags"), {"id": handover_id}).df()
        return score, raised

    return store.read(run)
