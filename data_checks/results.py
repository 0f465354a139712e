"""Check runs in DuckDB: saving a run with its fix history, and reading results back.

``save_run`` writes a run in one transaction: the run, one row per check, every failing
record, and the fix history. A failure (check, record, column) seen for the first time opens
a history entry; one that persists keeps its first-seen time; one absent from a later run is
marked resolved by that run, and by the batch that fixed it if one did (see ``save_run``).
``batch_findings`` lists what a run found in the rows of one file.

The readers take ``scope`` (metrics/selection.py: the signed-in actor, filters carrying a
scope, or None for the whole firm): a scoped account reads only the failures of records that
belong to its handovers (``SCOPE_RECORDS_SQL``), and counts of those.
"""

from __future__ import annotations

import pandas as pd

from data_checks.registry import BY_ID
from data_checks.runner import CheckRun
from metrics.selection import ScopeArg, is_scoped, scope_handovers_sql
from pipelines import audit
from pipelines.access import Actor, acting
from pipelines.store import Store

FAILURE_COLUMNS = ["check_id", "record_key", "column_name", "offending_value", "detail"]


def save_run(
    store: Store, run: CheckRun, *, actor: Actor | None = None, trigger: str | None = None
) -> int:
    """Store the run; returns its id. The ``actor`` (else the command line's operator) needs
    the permission ``run_checks``, and is in the audit trail; a run that follows an upload or
    a rollback (``trigger`` "upload" or "rollback": data_checks/refresh.py) needs that
    permission instead, since the user did not choose to run it.

    A failure (check, record, column) that was open and that this run no longer sees is
    resolved by this run. It is credited (``resolved_by_batch``) to the newest batch that
    changed the failing record and that this run read but the run before it had not:

    - changed the record: an import that loaded a row of the record's key into the raw table
      of the check's suite (raw_clients for the clients checks, raw_handovers, raw_events,
      raw_feedback), or a rollback of an import that had. A failure names its record the way
      that table's record_key does: the client_id, the handover_id, the event's key
      (handover_id|occurred_at|event_type|item_code), the response_key. An import since
      rolled back has no credit of its own; its rollback has.
    - read by this run: an import in force when it took its snapshot (``batch_ids``), a
      rollback of an import that was not, recorded before the run ended.
    - not read by the run before: after the newest batch it read (its ``last_batch_id``;
      every batch if it had none) and recorded after it started.

    When no batch qualifies, the failure went away for another reason (the as-of date moved,
    or another record changed, e.g. a handover's unknown client loaded by a clients upload)
    and ``resolved_by_batch`` stays empty. Rows removed by ``handover purge`` credit
    nothing."""
    actor = acting(actor, trigger or "run_checks")
    failures = pd.DataFrame(
        [
            (f.check_id, f.record_key, f.column_name, f.offending_value, f.detail)
            for o in run.outcomes
            for f in o.failures
        ],
        columns=FAILURE_COLUMNS,
    ).drop_duplicates(subset=["check_id", "record_key", "column_name"])
    results = pd.DataFrame(
        [
            (o.check.id, o.check.suite, o.records_checked, o.records_failed, not o.failures)
            for o in run.outcomes
        ],
        columns=["check_id", "suite", "count_records_checked", "count_records_failed", "is_passed"],
    )

    def write(conn) -> int:
        run_id = conn.execute("select nextval('check_run_seq')").fetchall()[0][0]
        previous = conn.execute(
            "select last_batch_id, started_at from check_runs order by run_id desc limit 1"
        ).fetchall()
        seen_batch, seen_at = previous[0] if previous else (None, None)
        conn.execute(
            "insert into check_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                run.started_at,
                run.finished_at,
                run.as_of,
                run.duration_seconds,
                run.last_batch_id,
                run.batch_ids,
                len(run.outcomes),
                int((~results["is_passed"]).sum()),
                len(failures),
            ],
        )
        conn.register("run_results", results)
        conn.execute("insert into check_results select ?, * from run_results", [run_id])
        conn.register("now_failing", failures)
        conn.execute("insert into check_failures select ?, * from now_failing", [run_id])
        same = (
            "h.check_id = n.check_id and h.record_key = n.record_key "
            "and h.column_name = n.column_name"
        )
        conn.execute(
            f"""
            create or replace temp table resolved_failures as
            select h.check_id, h.record_key, h.column_name,
                   split_part(h.check_id, '.', 1) as suite
            from failure_history as h
            where h.resolved_run is null
                and not exists (select 1 from now_failing as n where {same})
            """
        )
        conn.execute(
            FIXING_BATCHES_SQL,
            [
                seen_batch,
                seen_at,
                seen_at,
                list(run.batch_ids or []),
                list(run.batch_ids or []),
                run.finished_at,
            ],
        )
        conn.execute(
            """
            update failure_history as h
            set resolved_run = ?, resolved_at = ?, resolved_by_batch = r.batch_id
            from fixing_batches as r
            where h.resolved_run is null and h.check_id = r.check_id
                and h.record_key = r.record_key and h.column_name = r.column_name
            """,
            [run_id, run.started_at],
        )
        conn.execute("drop table resolved_failures")
        conn.execute("drop table fixing_batches")
        conn.execute(
            f"""
            update failure_history as h
            set last_seen_run = ?, offending_value = n.offending_value, detail = n.detail
            from now_failing as n
            where h.resolved_run is null and {same}
            """,
            [run_id],
        )
        conn.execute(
            f"""
            insert into failure_history
            select n.check_id, n.record_key, n.column_name, n.offending_value, n.detail,
                   ?, ?, ?, null, null, null
            from now_failing as n
            where not exists (
                select 1 from failure_history as h where h.resolved_run is null and {same}
            )
            """,
            [run_id, run.started_at, run_id],
        )
        conn.unregister("run_results")
        conn.unregister("now_failing")
        audit.record(
            conn,
            actor.name,
            "check_run",
            run_id,
            as_of=run.as_of,
            checks=len(run.outcomes),
            failed=len(failures),
            trigger=trigger,
        )
        return run_id

    run.run_id = store.write(write)
    return run.run_id


# The raw table whose rows are the records of each suite: a failure's record_key is the
# table's record_key (client_id, handover_id, the event key, response_key).
RAW_TABLES = {
    "clients": "raw_clients",
    "handovers": "raw_handovers",
    "events": "raw_events",
    "feedback": "raw_feedback",
}


def _each_suite(sql: str) -> str:
    """``sql`` (naming ``{suite}`` and ``{raw}``) once per suite, joined by union all."""
    return "\n    union all\n    ".join(
        sql.strip().format(suite=suite, raw=raw) for suite, raw in RAW_TABLES.items()
    )


# For each failure in resolved_failures (open, and not seen by this run) the batch that fixed
# it, or null: see save_run. Parameters: the previous run's last_batch_id and started_at
# (twice), this run's batch_ids (twice) and finished_at.
FIXING_BATCHES_SQL = (
    """
create or replace temp table fixing_batches as
with candidates as (
    select b.batch_id, coalesce(b.target_batch_id, b.batch_id) as rows_of
    from batches as b
    where b.batch_id > coalesce(?, 0)
        and (cast(? as timestamp) is null or b.created_at > ?)
        and (
            (b.action = 'import' and list_contains(cast(? as integer[]), b.batch_id))
            or (b.action = 'rollback'
                and not list_contains(cast(? as integer[]), b.target_batch_id)
                and b.created_at <= ?)
        )
),

changed as (
    """
    + _each_suite("""
    select '{suite}' as suite, c.batch_id, r.record_key
    from candidates as c
    join {raw} as r on r.batch_id = c.rows_of
    where r.record_key in (select record_key from resolved_failures where suite = '{suite}')
    """)
    + """
)

select s.check_id, s.record_key, s.column_name, max(c.batch_id) as batch_id
from resolved_failures as s
left join changed as c on c.suite = s.suite and c.record_key = s.record_key
group by s.check_id, s.record_key, s.column_name
"""
)


# what batch_findings gives per failing record of a file (also an upload's trial, refresh.py)
FINDING_COLUMNS = [
    "source_row",
    "check_id",
    "record_key",
    "column_name",
    "offending_value",
    "detail",
    "is_new",
]


def batch_findings(store: Store, batch_id: int, run_id: int | None = None) -> pd.DataFrame:
    """What the checks of a run (default the latest) found in the rows of one file: its
    failing records whose key has a row in the batch, in the raw table of the check's suite
    (a clients file's rows for the clients checks, and so on), with the row number in the
    file (``source_row``) and whether the failure is new in that run (``is_new``: first seen
    by it). Sorted by row and check. A row the import found unchanged is not stored in the
    batch, so it is not listed; a rollback has no rows."""
    columns = FINDING_COLUMNS
    run_id = run_id or (latest_run(store) or {}).get("run_id")
    kind = store.query("select kind from batches where batch_id = ?", [batch_id]).rows
    if run_id is None or not kind or kind[0][0] not in RAW_TABLES:
        return pd.DataFrame(columns=columns)
    suite = kind[0][0]
    return store.query_df(
        f"""
        select r.source_row, f.check_id, f.record_key, f.column_name, f.offending_value,
               f.detail,
               exists (
                   select 1 from failure_history as h
                   where h.check_id = f.check_id and h.record_key = f.record_key
                       and h.column_name = f.column_name and h.first_seen_run = f.run_id
               ) as is_new
        from check_failures as f
        join {RAW_TABLES[suite]} as r on r.batch_id = ? and r.record_key = f.record_key
        where f.run_id = ? and split_part(f.check_id, '.', 1) = ?
        order by r.source_row, f.check_id, f.column_name
        """,
        [batch_id, run_id, suite],
    )[columns]


# The records of the data scope (metrics/selection.py) a failure may name, per suite, as they
# are loaded now: the clients of the scope's handovers, the handovers, their events, and the
# real responses attributed to them. A failure is shown to a scoped account when its record
# is one of these (the suite is the check id's first segment); a failure whose record cannot
# be tied to a handover of the scope (an unknown client's, an unmatched response's, a record
# removed since the run) is not.
SCOPE_RECORDS_SQL = """
create or replace temp table scope_records as
with scope_handovers as ({in_scope})
select 'clients' as suite, client_id as record_key
from stg_clients
where client_id in (select client_id from scope_handovers)
union all
select 'handovers', handover_id from scope_handovers
union all
select 'events', record_key
from stg_events
where handover_id in (select handover_id from scope_handovers)
union all
select 'feedback', response_key
from feedback_responses
where is_real and is_attributed
    and handover_id in (select handover_id from scope_handovers)
"""
IN_SCOPE = """exists (
            select 1 from scope_records as s
            where s.suite = split_part({alias}.check_id, '.', 1)
                and s.record_key = {alias}.record_key)"""


def _scoped_df(store: Store, scope: ScopeArg, sql: str, params: list | dict) -> pd.DataFrame:
    """``sql`` (whose ``{in_scope_f}``/``{in_scope_h}`` read ``scope_records``) on one
    connection after building ``scope_records`` for the scope."""
    in_scope, scope_params = scope_handovers_sql(scope)

    def run(conn) -> pd.DataFrame:
        conn.execute(SCOPE_RECORDS_SQL.format(in_scope=in_scope), scope_params)
        return conn.execute(
            sql.format(
                in_scope_f=IN_SCOPE.format(alias="f"), in_scope_h=IN_SCOPE.format(alias="h")
            ),
            params,
        ).df()

    return store.read(run)


def latest_run(store: Store, scope: ScopeArg = None) -> dict | None:
    """The latest run. With a ``scope``, ``count_failed_checks`` and ``count_failures`` count
    only the failures of the scope's records (as ``failures`` lists them)."""
    if not store.exists():
        return None
    store.ensure_schema()
    row = store.query("select * from check_runs order by run_id desc limit 1").dicts()
    if not row:
        return None
    run = row[0]
    if is_scoped(scope):
        counts = _scoped_df(
            store,
            scope,
            """
            select count(distinct check_id) as checks, count(*) as failures
            from check_failures as f
            where f.run_id = ? and {in_scope_f}
            """,
            [run["run_id"]],
        ).iloc[0]
        run["count_failed_checks"] = int(counts["checks"])
        run["count_failures"] = int(counts["failures"])
    return run


def changes_since(store: Store, run: dict | None) -> dict | None:
    """What the latest run has not seen: the batches (uploads and rollbacks) recorded after
    it took its snapshot of the data (its start), as ``{"batches": n, "newest_at":
    datetime}``; None when the run describes the data as it is (or there is no run). (Not
    by batch id: a run's ``last_batch_id`` is the newest import still in force, which a
    rollback lowers.)"""
    if run is None:
        return None
    count, newest = store.query(
        "select count(*), max(created_at) from batches where created_at > ?", [run["started_at"]]
    ).rows[0]
    return {"batches": int(count), "newest_at": newest} if count else None


def run_results(store: Store, run_id: int | None = None, scope: ScopeArg = None) -> pd.DataFrame:
    """Per check of a run (default the latest): records checked and failed, with labels.

    With a ``scope``: records failed counts the scope's failing records (those ``failures``
    lists), records checked the scope's records of the check's suite as loaded now (a run
    stores no list of the records it checked), and is_passed means no failing record of the
    scope."""
    run_id = run_id or (latest_run(store) or {}).get("run_id")
    if run_id is None:
        return pd.DataFrame(
            columns=[
                "check_id",
                "suite",
                "count_records_checked",
                "count_records_failed",
                "is_passed",
            ]
        )
    if is_scoped(scope):
        frame = _scoped_df(store, scope, SCOPED_RESULTS_SQL, [run_id, run_id])
    else:
        frame = store.query_df(
            "select check_id, suite, count_records_checked, count_records_failed, is_passed "
            "from check_results where run_id = ?",
            [run_id],
        )
    order = {check_id: i for i, check_id in enumerate(BY_ID)}
    frame["description_en"] = frame["check_id"].map(lambda c: BY_ID[c].en if c in BY_ID else "")
    frame["description_zh"] = frame["check_id"].map(lambda c: BY_ID[c].zh if c in BY_ID else "")
    return frame.sort_values("check_id", key=lambda s: s.map(order)).reset_index(drop=True)


# Per check and run, the counts of the scope (see run_results); {runs} picks the runs.
SCOPED_COUNTS_SQL = """
with failed as (
    select f.run_id, f.check_id, count(distinct f.record_key) as failed
    from check_failures as f
    where {runs} and {in_scope_f}
    group by f.run_id, f.check_id
),

checked as (
    select suite, count(distinct record_key) as checked
    from scope_records
    group by suite
)
"""
SCOPED_RESULTS_SQL = (
    SCOPED_COUNTS_SQL.replace("{runs}", "f.run_id = ?")
    + """
select c.check_id, c.suite, coalesce(k.checked, 0) as count_records_checked,
       coalesce(x.failed, 0) as count_records_failed, coalesce(x.failed, 0) = 0 as is_passed
from check_results as c
left join failed as x on x.run_id = c.run_id and x.check_id = c.check_id
left join checked as k on k.suite = c.suite
where c.run_id = ?
"""
)


def failures(
    store: Store, check_id: str | None = None, run_id: int | None = None, scope: ScopeArg = None
) -> pd.DataFrame:
    """The failing records of a run (default the latest), with when each was first seen.
    With a ``scope``, only those of the scope's records (see ``SCOPE_RECORDS_SQL``)."""
    run_id = run_id or (latest_run(store) or {}).get("run_id")
    if run_id is None:
        return pd.DataFrame(columns=[*FAILURE_COLUMNS, "first_seen_at"])
    # the history entries open at the run are chosen before the join, so that the join is
    # on equal keys alone (with the run's range in its condition DuckDB 1.5 joins by nested
    # loops: 4.6 s for the large sample's 44,929 failures, 0.07 s this way; the same rows)
    sql = """
        select f.check_id, f.record_key, f.column_name, f.offending_value, f.detail,
               h.first_seen_at
        from check_failures as f
        left join (select * from failure_history
                   where first_seen_run <= $run and (resolved_run is null or resolved_run > $run)
                   ) as h
            on h.check_id = f.check_id and h.record_key = f.record_key
            and h.column_name = f.column_name
        where f.run_id = $run and ($check is null or f.check_id = $check){scoped}
        order by f.check_id, f.record_key, f.column_name
        """
    params = {"run": run_id, "check": check_id}
    if is_scoped(scope):
        return _scoped_df(store, scope, sql.format(scoped=" and {in_scope_f}"), params)
    return store.query_df(sql.format(scoped=""), params)


def fix_history(
    store: Store, check_id: str | None = None, record_key: str | None = None, scope: ScopeArg = None
) -> pd.DataFrame:
    """Every failure ever seen: when first and last seen, and what resolved it. With a
    ``scope``, only those of the scope's records as loaded now (see ``SCOPE_RECORDS_SQL``)."""
    sql = """
        select h.*, r.started_at as last_seen_at
        from failure_history as h
        join check_runs as r on r.run_id = h.last_seen_run
        where (? is null or h.check_id = ?) and (? is null or h.record_key = ?){scoped}
        order by h.first_seen_at desc, h.check_id, h.record_key
        """
    params = [check_id, check_id, record_key, record_key]
    if is_scoped(scope):
        return _scoped_df(store, scope, sql.format(scoped=" and {in_scope_h}"), params)
    return store.query_df(sql.format(scoped=""), params)


def run_history(store: Store, scope: ScopeArg = None) -> pd.DataFrame:
    """Records failed per check and run, for trends. With a ``scope``, the counts of the
    scope as ``run_results`` gives them (records checked: as loaded now, for every run)."""
    if is_scoped(scope):
        return _scoped_df(
            store,
            scope,
            SCOPED_COUNTS_SQL.replace("{runs}", "true")
            + """
            select r.run_id, r.started_at, r.as_of, c.check_id,
                   coalesce(k.checked, 0) as count_records_checked,
                   coalesce(x.failed, 0) as count_records_failed
            from check_runs as r
            join check_results as c using (run_id)
            left join failed as x on x.run_id = c.run_id and x.check_id = c.check_id
            left join checked as k on k.suite = c.suite
            order by r.run_id, c.check_id
            """,
            [],
        )
    return store.query_df(
        """
        select r.run_id, r.started_at, r.as_of, c.check_id, c.count_records_checked,
               c.count_records_failed
        from check_runs as r
        join check_results as c using (run_id)
        order by r.run_id, c.check_id
        """
    )


# --- where a failing record belongs: its client and handovers (for the data quality page) ---

# Per failing record (wanted_records: suite, record_key) the handover it belongs to (its own
# handover_id for a handover, the event's handover, the response's attributed handover; none
# for a client), its client (the client itself, the handover's client, the response's
# matched client), the client's company and owner (assigned_staff), the team (the handover's;
# for a client, its latest handover's), and the handovers to open: for a client, all its
# handovers of the scope, latest first; else the record's own handover when it is loaded and
# in the scope. {in_scope} is scope_handovers_sql's query.
CONTEXT_SQL = """
with scope_handovers as ({in_scope}),

wanted as (
    select distinct suite, record_key from wanted_records
),

own as (
    select
        w.suite, w.record_key,
        case w.suite
            when 'handovers' then w.record_key
            when 'events' then e.handover_id
            when 'feedback' then f.handover_id
        end as handover_id,
        case w.suite when 'clients' then w.record_key when 'feedback' then f.client_id end
            as own_client
    from wanted as w
    left join ({events}) as e on w.suite = 'events' and e.record_key = w.record_key
    left join ({feedback}) as f on w.suite = 'feedback' and f.response_key = w.record_key
),

placed as (
    select o.*, coalesce(o.own_client, h.client_id) as client_id, h.team as handover_team,
           h.handover_id in (select handover_id from scope_handovers) as is_open_able
    from own as o
    left join stg_handovers as h on h.handover_id = o.handover_id
),

client_handovers as (
    select
        h.client_id,
        list(h.handover_id order by coalesce(h.actual_end, h.actual_start,
                                             cast(h.planned_end as timestamp)) desc nulls last,
             h.handover_id desc) as handover_ids,
        arg_max(h.team, coalesce(h.actual_end, h.actual_start,
                                 cast(h.planned_end as timestamp))) as latest_team
    from stg_handovers as h
    where h.handover_id in (select handover_id from scope_handovers)
        and h.client_id in (select client_id from placed)
    group by h.client_id
),

clients as (
    select client_id, any_value(company_name) as company_name,
           any_value(assigned_staff) as owner
    from stg_clients
    where client_id in (select client_id from placed)
    group by client_id
)

select
    p.suite, p.record_key, p.client_id, c.company_name, c.owner,
    case when p.suite = 'clients' then ch.latest_team else p.handover_team end as team,
    p.handover_id,
    case
        when p.suite = 'clients' then coalesce(ch.handover_ids, [])
        when p.is_open_able then [p.handover_id]
        else []
    end as handover_ids
from placed as p
left join clients as c on c.client_id = p.client_id
left join client_handovers as ch on ch.client_id = p.client_id
"""
CONTEXT_COLUMNS = ["client_id", "company_name", "owner", "team", "handover_id", "handover_ids"]
# What CONTEXT_SQL reads of the events and the responses: only when some wanted records are
# of that suite (the matched responses are a view that matches every response: 0.3 s on a
# large firm, for a page of clients that needs none of them).
CONTEXT_EVENTS = "select record_key, handover_id from stg_events"
CONTEXT_FEEDBACK = "select response_key, handover_id, client_id from feedback_responses"
CONTEXT_NONE = (
    "select cast(null as varchar) as {key}, cast(null as varchar) as handover_id, "
    "cast(null as varchar) as client_id where false"
)


def record_context(store: Store, records: pd.DataFrame, scope: ScopeArg = None) -> pd.DataFrame:
    """Where each record (``records``: suite, record_key) belongs, as loaded now: its
    ``client_id``, ``company_name``, ``owner`` (the client's assigned_staff), ``team``,
    ``handover_id`` (its own handover: the handover itself, the event's, the response's
    attributed one; empty for a client) and ``handover_ids`` (the handovers to open: a
    client's handovers of the ``scope``, latest first; else its own handover when loaded and
    in the scope). One row per (suite, record_key); empty values where nothing is known (an
    event of an unknown handover, an unmatched response)."""
    columns = ["suite", "record_key", *CONTEXT_COLUMNS]
    if records.empty or not store.exists():
        return pd.DataFrame(columns=columns)
    in_scope, params = scope_handovers_sql(scope)
    wanted = records[["suite", "record_key"]].astype(str).drop_duplicates()
    suites = set(wanted["suite"])
    sql = CONTEXT_SQL.format(
        in_scope=in_scope,
        events=CONTEXT_EVENTS if "events" in suites else CONTEXT_NONE.format(key="record_key"),
        feedback=CONTEXT_FEEDBACK
        if "feedback" in suites
        else CONTEXT_NONE.format(key="response_key"),
    )

    def run(conn) -> pd.DataFrame:
        conn.register("wanted_records", wanted)
        try:
            return conn.execute(sql, params).df()
        finally:
            conn.unregister("wanted_records")

    found = store.read(run)
    found["handover_ids"] = found["handover_ids"].map(
        lambda ids: [str(i) for i in ids] if ids is not None else []
    )
    return found[columns]


def failures_in_context(
    store: Store, check_id: str | None = None, run_id: int | None = None, scope: ScopeArg = None
) -> pd.DataFrame:
    """``failures`` (of the latest run, or ``run_id``), each with where its record belongs
    (``record_context``): the columns of ``failures``, then ``suite`` and the context."""
    return in_context(store, failures(store, check_id, run_id, scope), scope)


def in_context(store: Store, found: pd.DataFrame, scope: ScopeArg = None) -> pd.DataFrame:
    """Rows of ``failures`` (all of them, or a page of them) with ``suite`` and where each
    record belongs (``record_context``), in their order."""
    found = found.assign(suite=found["check_id"].astype(str).str.split(".").str[0])
    context = record_context(store, found, scope)
    if context.empty:
        return found.assign(**dict.fromkeys(CONTEXT_COLUMNS)).assign(
            handover_ids=[[] for _ in range(len(found))]
        )
    merged = found.merge(context, on=["suite", "record_key"], how="left")
    merged["handover_ids"] = merged["handover_ids"].map(
        lambda ids: ids if isinstance(ids, list) else []
    )
    return merged


def record_history(
    store: Store, records: list[tuple[str, str]], scope: ScopeArg = None
) -> pd.DataFrame:
    """The fix history of some records (``records``: (suite, record_key) pairs): one row per
    time a check found a record failing on a column, with when it was first and last seen,
    the runs that saw it failing (``runs``, ascending, and ``count_runs``), and what resolved
    it (run, time, and the upload batch with its file name; empty while it still fails or
    when no upload fixed it). Newest first. With a ``scope``, only records of the scope."""
    columns = [
        "check_id",
        "record_key",
        "column_name",
        "offending_value",
        "detail",
        "first_seen_run",
        "first_seen_at",
        "last_seen_run",
        "last_seen_at",
        "runs",
        "count_runs",
        "resolved_run",
        "resolved_at",
        "resolved_by_batch",
        "resolved_by_file",
    ]
    if not records or not store.exists():
        return pd.DataFrame(columns=columns)
    wanted = pd.DataFrame(records, columns=["suite", "record_key"]).astype(str)
    sql = """
        select h.check_id, h.record_key, h.column_name, h.offending_value, h.detail,
               h.first_seen_run, h.first_seen_at, h.last_seen_run, r.started_at as last_seen_at,
               (select list(distinct f.run_id order by f.run_id) from check_failures as f
                where f.check_id = h.check_id and f.record_key = h.record_key
                    and f.column_name = h.column_name and f.run_id >= h.first_seen_run
                    and f.run_id <= h.last_seen_run) as runs,
               h.resolved_run, h.resolved_at, h.resolved_by_batch,
               b.file_name as resolved_by_file
        from failure_history as h
        join check_runs as r on r.run_id = h.last_seen_run
        left join batches as b on b.batch_id = h.resolved_by_batch
        where exists (select 1 from wanted_history as w
                      where w.suite = split_part(h.check_id, '.', 1)
                          and w.record_key = h.record_key){scoped}
        order by h.first_seen_at desc, h.check_id, h.record_key, h.column_name
        """

    def run(conn) -> pd.DataFrame:
        conn.register("wanted_history", wanted)
        try:
            if is_scoped(scope):
                in_scope, params = scope_handovers_sql(scope)
                conn.execute(SCOPE_RECORDS_SQL.format(in_scope=in_scope), params)
                return conn.execute(sql.format(scoped=" and " + IN_SCOPE.format(alias="h"))).df()
            return conn.execute(sql.format(scoped="")).df()
        finally:
            conn.unregister("wanted_history")

    found = store.read(run)
    found["runs"] = found["runs"].map(lambda ids: [int(i) for i in ids] if ids is not None else [])
    found["count_runs"] = found["runs"].map(len)
    return found[columns]


def handover_history(store: Store, handover_id: str, scope: ScopeArg = None) -> pd.DataFrame:
    """``record_history`` of one handover's records: its client, itself, and its events (as
    loaded now, and, for the firm, those since removed whose key begins with the handover
    id and '|')."""
    if not store.exists():
        return record_history(store, [], scope)

    def run(conn) -> list[tuple[str, str]]:
        found = [("handovers", handover_id)]
        found += [
            ("clients", r[0])
            for r in conn.execute(
                "select distinct client_id from stg_handovers where handover_id = ? "
                "and client_id is not null",
                [handover_id],
            ).fetchall()
        ]
        found += [
            ("events", r[0])
            for r in conn.execute(
                "select record_key from stg_events where handover_id = ?", [handover_id]
            ).fetchall()
        ]
        if not is_scoped(scope):
            found += [
                ("events", r[0])
                for r in conn.execute(
                    "select distinct record_key from failure_history "
                    "where check_id like 'events.%' and starts_with(record_key, ? || '|')",
                    [handover_id],
                ).fetchall()
            ]
        return list(dict.fromkeys(found))

    return record_history(store, store.read(run), scope)
