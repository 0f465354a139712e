"""One computation over the selected handovers, on one read-only connection.

``prepare`` builds, as temporary tables, what figures, flags and scores read:
``selected_handovers`` (the filters; a view of ``stg_handovers`` when they select every
handover), ``responses`` (feedback_responses, matched and attributed once),
``selected_events`` (a view: the events of the selected handovers, the whole log without a
join when every handover is selected), ``handover_facts`` (one scan of the event log),
``handover_flags`` (one row per raised flag, with its reason: a code and its parameters as
JSON text, which the dashboard words) and ``handover_scores``. Each
is built once per computation and only as far as asked (``upto``), so the CLI, the pages and
the tests all call the same SQL and no formula is written twice.

The data scope of ``filters`` (metrics/selection.py) holds for everything built here:
``selected_handovers`` has only the scope's handovers, ``handover_facts`` reads their events
and clients, and a scoped ``responses`` has only the responses attributed to a handover of
the scope (unmatched and unattributed ones are firm-level), so responses_total counts those
and responses_unmatched is 0. Without a scope every table is exactly as before.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from metrics.config import CRITICAL_FLAGS, FLAGS, Config
from metrics.selection import (
    Filters,
    is_scoped,
    replace_relation,
    scope_handovers_sql,
    select_handovers,
    selects_all,
    selects_some,
)
from pipelines.templates import CHECKLIST_ITEMS, SENSITIVE_ITEMS

SQL_DIR = Path(__file__).parent / "sql"
STEPS = ("facts", "flags", "scores")

# What ``metrics.computed`` keeps of a full computation, by the name it has on a computed
# connection: the handovers and responses of the scope, and the facts, flags and scores of
# every one of those handovers (each row depends on its handover alone, so a selection's
# rows are the full computation's rows of the selected handovers).
COMPUTED_TABLES = {
    "stg_handovers": "selected_handovers",
    "feedback_responses": "responses",
    "computed_facts": "handover_facts",
    "computed_flags": "handover_flags",
    "computed_scores": "handover_scores",
    "flag_points": "flag_points",
}
COMPUTED_MARK = "computed_values"


def sql_file(*parts: str) -> str:
    return SQL_DIR.joinpath(*parts).read_text(encoding="utf-8")


def parameters(sql: str, values: dict[str, object]) -> dict[str, object]:
    """The named parameters ($name) a statement uses, from ``values``."""
    return {k: v for k, v in values.items() if f"${k}" in sql}


def values_of(as_of: date, config: Config) -> dict[str, object]:
    return {
        "as_of": as_of,
        "checklist_items": list(CHECKLIST_ITEMS),
        "checklist_labels": list(CHECKLIST_ITEMS.values()),
        "required_items": list(config.required_items),
        "required_mask": item_mask(config.required_items),
        "sensitive_mask": item_mask(SENSITIVE_ITEMS),
        "critical_flags": list(CRITICAL_FLAGS),
        "points_per_day_late": config.points_per_day_late,
        "points_per_unfixed_discrepancy": config.points_per_unfixed_discrepancy,
        "green": config.green,
        "yellow": config.yellow,
        "risk_high": config.risk_high,
        "risk_medium": config.risk_medium,
        **{f"w_{name}": weight for name, weight in config.weights.items()},
    }


def item_mask(items) -> int:
    """Bit i set for item i + 1 of the checklist (the order of pipelines/templates.py)."""
    codes = list(CHECKLIST_ITEMS)
    return sum(1 << codes.index(item) for item in items)


def run_sql(conn: duckdb.DuckDBPyConnection, sql: str, values: dict[str, object]):
    return conn.execute(sql, parameters(sql, values))


def prepare(
    conn: duckdb.DuckDBPyConnection,
    as_of: date,
    filters: Filters,
    config: Config,
    upto: str = "scores",
) -> dict[str, object]:
    values = values_of(as_of, config)
    computed = is_computed(conn)
    select_handovers(conn, filters, view=computed)
    if computed:  # facts, flags and scores of every handover are there: narrow them
        return narrow(conn, values, filters, upto)
    # matching and attribution of every response, computed once for all figures
    if is_scoped(filters):  # only the responses attributed to a handover of the scope
        in_scope, params = scope_handovers_sql(filters)
        conn.execute(
            "create or replace temp table responses as select * from feedback_responses "
            f"where is_attributed and handover_id in (select handover_id from ({in_scope}))",
            params,
        )
    else:
        conn.execute("create or replace temp table responses as select * from feedback_responses")
    # the events the facts read: the whole log when every handover is selected (no join);
    # else those of the selected handovers, by a join (the plan, hence the order of the
    # rows, and of the floating-point sums over them, is the one it always was)
    events = "select * from stg_events"
    if not selects_all(filters):
        events = (
            "select e.* from stg_events as e join (select handover_id from "
            "selected_handovers) as s on s.handover_id = e.handover_id"
        )
    conn.execute(f"create or replace temp view selected_events as {events}")
    run_sql(conn, sql_file("handover_facts.sql"), values)
    if STEPS.index(upto) >= 1:
        parts = [
            f"select handover_id, '{flag}' as flag, reason_code, reason_params "
            f"from ({sql_file('flags', f'{flag}.sql')})"
            for flag in FLAGS
        ]
        union = "create or replace temp table handover_flags as " + " union all ".join(parts)
        run_sql(conn, union, values)
    if STEPS.index(upto) >= 2:
        points = [config.risk_points[f] for f in FLAGS]  # a column of the type of the values
        kind = "bigint" if all(type(p) is int for p in points) else "double"
        conn.execute(
            "create or replace temp table flag_points as select "
            f"unnest($flags) as flag, cast(unnest($points) as {kind}) as points",
            {"flags": list(FLAGS), "points": [float(p) for p in points]},
        )
        run_sql(conn, sql_file("scores.sql"), values)
    return values


def is_computed(conn: duckdb.DuckDBPyConnection) -> bool:
    """Whether ``conn`` is a computed connection (metrics.computed), not the database."""
    return bool(
        conn.execute(
            "select count(*) from duckdb_tables() where table_name = $name and not temporary",
            {"name": COMPUTED_MARK},
        ).fetchall()[0][0]
    )


def narrow(
    conn: duckdb.DuckDBPyConnection, values: dict[str, object], filters: Filters, upto: str
) -> dict[str, object]:
    """On a computed connection: the temporary tables of ``prepare`` with the rows of the
    selected handovers (``selected_handovers``, made by the caller), without reading the
    event log again: views of the computed tables, except the facts of some handovers for
    the figures (``upto="facts"``), copied once since the 17 figures each read them (over a
    view each would join the selected ids anew: a year of a large firm's handovers, 0.37 s
    with a view, 0.26 s copied; the roll-ups read the scores once and are quicker with
    views). The computation must be of the same date, configuration and scope."""
    computed = conn.execute(f"select values_json from {COMPUTED_MARK}").fetchall()[0][0]
    if computed != values_json(values, filters):
        raise ValueError(
            "a computed connection answers only for the date, configuration and "
            "data scope it was computed with"
        )
    conn.execute("create or replace temp view responses as select * from feedback_responses")
    picked = ""
    if selects_some(filters):  # the ids once, so that each view joins a small table
        conn.execute(
            "create or replace temp table selected_ids as "
            "select handover_id from selected_handovers"
        )
        picked = "where handover_id in (select handover_id from selected_ids)"
    for step, name in enumerate(("facts", "flags", "scores")):
        if STEPS.index(upto) >= step:
            kind = "table" if picked and upto == "facts" else "view"
            replace_relation(
                conn, kind, f"handover_{name}", f"select * from computed_{name} {picked}"
            )
    return values


def values_json(values: dict[str, object], filters: Filters) -> str:
    """The parameters and the data scope of a computation as one comparable text."""
    import json

    scope = {"scope_team": filters.scope_team, "scope_staff": filters.scope_staff}
    return json.dumps({**values, **scope}, sort_keys=True, default=str)
