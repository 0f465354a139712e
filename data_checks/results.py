"""Check runs in DuckDB: saving a run with its fix history, and reading results back.

``save_run`` writes a run in one transaction: the run, one row per check, every failing
record, and the fix history. A failure (check, record, column) seen for the first time opens
a history entry; one that persists keeps its first-seen time; one absent from a later run is
marked resolved by that run and by the newest upload since the run before it.
"""

from __future__ import annotations

import pandas as pd

from data_checks.registry import BY_ID
from data_checks.runner import CheckRun
from pipelines import audit
from pipelines.access import Actor, acting
from pipelines.store import Store

FAILURE_COLUMNS = ["check_id", "record_key", "column_name", "offending_value", "detail"]


def save_run(store: Store, run: CheckRun, *, actor: Actor | None = None) -> int:
    """Store the run; returns its id. The ``actor`` (else the command line's operator) needs
    the permission ``run_checks``, and is in the audit trail."""
    actor = acting(actor, "run_checks")
    failures = pd.DataFrame(
        [(f.check_id, f.record_key, f.column_name, f.offending_value, f.detail)
         for o in run.outcomes for f in o.failures],
        columns=FAILURE_COLUMNS,
    ).drop_duplicates(subset=["check_id", "record_key", "column_name"])
    results = pd.DataFrame(
        [(o.check.id, o.check.suite, o.records_checked, o.records_failed, not o.failures)
         for o in run.outcomes],
        columns=["check_id", "suite", "count_records_checked", "count_records_failed",
                 "is_passed"],
    )

    def write(conn) -> int:
        run_id = conn.execute("select nextval('check_run_seq')").fetchall()[0][0]
        previous = conn.execute(
            "select max(started_at) from check_runs").fetchall()[0][0]
        resolving_batch = conn.execute(
            "select max(batch_id) from batches where ? is null or created_at > ?",
            [previous, previous],
        ).fetchall()[0][0]
        conn.execute(
            "insert into check_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [run_id, run.started_at, run.finished_at, run.as_of, run.duration_seconds,
             run.last_batch_id, run.batch_ids, len(run.outcomes),
             int((~results["is_passed"]).sum()), len(failures)],
        )
        conn.register("run_results", results)
        conn.execute("insert into check_results select ?, * from run_results", [run_id])
        conn.register("now_failing", failures)
        conn.execute("insert into check_failures select ?, * from now_failing", [run_id])
        same = ("h.check_id = n.check_id and h.record_key = n.record_key "
                "and h.column_name = n.column_name")
        conn.execute(
            f"""
            update failure_history as h
            set resolved_run = ?, resolved_at = ?, resolved_by_batch = ?
            where h.resolved_run is null
                and not exists (select 1 from now_failing as n where {same})
            """,
            [run_id, run.started_at, resolving_batch],
        )
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
        audit.record(conn, actor.name, "check_run", run_id, as_of=run.as_of,
                     checks=len(run.outcomes), failed=len(failures))
        return run_id

    run.run_id = store.write(write)
    return run.run_id


def latest_run(store: Store) -> dict | None:
    if not store.exists():
        return None
    store.ensure_schema()
    row = store.query("select * from check_runs order by run_id desc limit 1").dicts()
    return row[0] if row else None


def run_results(store: Store, run_id: int | None = None) -> pd.DataFrame:
    """Per check of a run (default the latest): records checked and failed, with labels."""
    run_id = run_id or (latest_run(store) or {}).get("run_id")
    if run_id is None:
        return pd.DataFrame(columns=["check_id", "suite", "count_records_checked",
                                     "count_records_failed", "is_passed"])
    frame = store.query_df(
        "select check_id, suite, count_records_checked, count_records_failed, is_passed "
        "from check_results where run_id = ?", [run_id])
    order = {check_id: i for i, check_id in enumerate(BY_ID)}
    frame["description_en"] = frame["check_id"].map(lambda c: BY_ID[c].en if c in BY_ID else "")
    frame["description_zh"] = frame["check_id"].map(lambda c: BY_ID[c].zh if c in BY_ID else "")
    return frame.sort_values("check_id", key=lambda s: s.map(order)).reset_index(drop=True)


def failures(store: Store, check_id: str | None = None, run_id: int | None = None
             ) -> pd.DataFrame:
    """The failing records of a run (default the latest), with when each was first seen."""
    run_id = run_id or (latest_run(store) or {}).get("run_id")
    if run_id is None:
        return pd.DataFrame(columns=[*FAILURE_COLUMNS, "first_seen_at"])
    return store.query_df(
        """
        select f.check_id, f.record_key, f.column_name, f.offending_value, f.detail,
               h.first_seen_at
        from check_failures as f
        left join failure_history as h
            on h.check_id = f.check_id and h.record_key = f.record_key
            and h.column_name = f.column_name and h.first_seen_run <= f.run_id
            and (h.resolved_run is null or h.resolved_run > f.run_id)
        where f.run_id = ? and (? is null or f.check_id = ?)
        order by f.check_id, f.record_key, f.column_name
        """,
        [run_id, check_id, check_id],
    )


def fix_history(store: Store, check_id: str | None = None, record_key: str | None = None
                ) -> pd.DataFrame:
    """Every failure ever seen: when first and last seen, and what resolved it."""
    return store.query_df(
        """
        select h.*, r.started_at as last_seen_at
        from failure_history as h
        join check_runs as r on r.run_id = h.last_seen_run
        where (? is null or h.check_id = ?) and (? is null or h.record_key = ?)
        order by h.first_seen_at desc, h.check_id, h.record_key
        """,
        [check_id, check_id, record_key, record_key],
    )


def run_history(store: Store) -> pd.DataFrame:
    """Records failed per check and run, for trends."""
    return store.query_df(
        """
        select r.run_id, r.started_at, r.as_of, c.check_id, c.count_records_checked,
               c.count_records_failed
        from check_runs as r
        join check_results as c using (run_id)
        order by r.run_id, c.check_id
        """
    )
