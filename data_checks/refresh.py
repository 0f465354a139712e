"""The checks run again after every change of the data, so that their results describe the
data as it is: after each import (command line or upload page) and each rollback, the whole
suite runs as of today and is stored. It takes a few seconds even on a large firm's data
(tests/benchmarks/RESULTS.md: 2.6 s for 9 million events).

The run follows the change, so it needs the change's permission (``upload`` or
``rollback``), not ``run_checks``: an operations account that uploads gets the checks of its
upload. The audit trail records the run with its trigger.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pandas as pd

from pipelines.access import Actor
from pipelines.progress import Reporter
from pipelines.store import Store

TRIGGERS = ("upload", "rollback")


@dataclass
class Refresh:
    """What the run after a change found."""

    run_id: int
    as_of: date
    checks: int
    failed_checks: int
    failing_records: int
    new_failures: int  # first seen in this run
    resolved: int  # failing in the previous run, not any more


def refresh_after(
    store: Store,
    trigger: str,
    *,
    actor: Actor | None = None,
    as_of: date | None = None,
    progress: Reporter | None = None,
) -> Refresh:
    """Run and store every check after ``trigger`` ("upload" or "rollback") by ``actor``;
    ``progress`` is told which suite runs (``run_checks``)."""
    from data_checks.results import save_run
    from data_checks.runner import run_checks

    if trigger not in TRIGGERS:
        raise ValueError(f"{trigger!r} is not a change that triggers the checks: {TRIGGERS}")
    run = run_checks(store, as_of or date.today(), actor=actor, trigger=trigger, progress=progress)
    run_id = save_run(store, run, actor=actor, trigger=trigger)
    new, resolved = store.query(
        "select count(*) filter (where first_seen_run = ?), "
        "count(*) filter (where resolved_run = ?) from failure_history",
        [run_id, run_id],
    ).rows[0]
    failing = sum(o.records_failed for o in run.outcomes)
    return Refresh(
        run_id=run_id,
        as_of=run.as_of,
        checks=len(run.outcomes),
        failed_checks=sum(1 for o in run.outcomes if o.failures),
        failing_records=failing,
        new_failures=int(new),
        resolved=int(resolved),
    )


def _finding_columns() -> list[str]:
    from data_checks.results import FINDING_COLUMNS

    return FINDING_COLUMNS


# -- before confirming an upload ------------------------------------------------------------


@dataclass
class Trial:
    """What an upload would do, found by doing it on a private copy of the database.

    ``report`` is the import's own report as if confirmed (with the bad rows skipped);
    ``findings`` what the checks of the file's table find in its rows (``batch_findings``'s
    columns; ``is_new``: not failing in the database as it is); ``checks`` the ids of the
    checks of that table (``data_checks.registry``); ``responses`` for a survey export, its
    answers as they would be loaded, with whether each matches a client (None for the other
    kinds)."""

    report: object
    findings: pd.DataFrame
    checks: list[str]
    responses: pd.DataFrame | None = None


def trial_import(
    store: Store,
    kind: str,
    load: Callable[[Store], object],
    *,
    actor: Actor | None = None,
    as_of: date | None = None,
    progress: Reporter | None = None,
) -> Trial:
    """Load a file into a private copy of the database with ``load(copy)`` (the real import,
    e.g. ``ingest_file(copy, ...)``), run the checks there with the same runner and
    registry as after a real upload, and keep what they find in the file's rows; the copy
    is deleted afterwards, so nothing of the real database changes. The ``actor`` needs the
    permission ``upload``; ``progress`` is told when the checks of the file's table run
    (stage ``check:<kind>``).

    The copy is private to this call, so the checks validate it in place (``run_checks``
    with ``snapshot=False``) instead of copying it once more."""
    from data_checks.registry import checks_of
    from data_checks.results import batch_findings, save_run
    from data_checks.runner import run_checks, take_snapshot
    from pipelines.access import acting
    from pipelines.private_files import private_tempdir

    actor = acting(actor, "upload")
    checks = [c.id for c in checks_of(kind)]
    with private_tempdir(store.path) as folder:
        copy = store.beside(folder / "trial.duckdb")  # encrypted when the database is
        if store.exists():
            take_snapshot(store, copy.path)
        report = load(copy)
        batch_id = getattr(report, "batch_id", None)
        if batch_id is None:  # the same bytes are loaded already, or no row is good
            return Trial(
                report,
                pd.DataFrame(columns=_finding_columns()),
                checks,
                _responses(copy, -1, report) if kind == "feedback" else None,
            )
        run = run_checks(
            copy,
            as_of or date.today(),
            actor=actor,
            trigger="upload",
            suites=(kind,),
            progress=progress,
            snapshot=False,
        )
        run_id = save_run(copy, run, actor=actor, trigger="upload")
        findings = batch_findings(copy, batch_id, run_id)
        responses = _responses(copy, batch_id, report) if kind == "feedback" else None
    return Trial(report, findings, checks, responses)


def _responses(store: Store, batch_id: int, report: object) -> pd.DataFrame | None:
    """Every real answer of a survey file as it would be loaded, in file order: who it names
    and its ``status``: matched (to a client), unmatched, already_loaded (the same answer is
    in the database already: a re-download), duplicate_in_file (the same response twice in
    the file) or rejected (a bad value)."""
    answers = getattr(report, "answers", None)
    if answers is None:
        return None
    problems = getattr(report, "problems", [])
    twice = {p.row for p in problems if p.code == "duplicate_response"}
    bad = {p.row for p in problems}
    real = answers[answers["exclusion"].isna()].drop(columns="exclusion")

    def read(conn) -> pd.DataFrame:
        conn.register("answers", real)
        try:
            return conn.execute(
                """
                select a.*, f.client_id as matched_client_id,
                       coalesce(f.is_matched, false) as is_matched,
                       coalesce(f.is_attributed, false) as is_attributed,
                       r.batch_id as loaded_batch
                from answers as a
                left join feedback_responses as f on f.response_key = a.response_key
                left join raw_feedback as r on r.is_current and r.record_key = a.response_key
                order by a.source_row
                """
            ).df()
        finally:
            conn.unregister("answers")

    found = store.read(read)
    found["status"] = [
        "duplicate_in_file"
        if row in twice
        else "rejected"
        if row in bad
        else "already_loaded"
        if loaded is not None and loaded == loaded and loaded != batch_id
        else "matched"
        if matched
        else "unmatched"
        for row, loaded, matched in zip(
            found["source_row"], found["loaded_batch"], found["is_matched"], strict=False
        )
    ]
    return found.drop(columns="loaded_batch")
