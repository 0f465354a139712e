"""The checks run again after every change of the data, so that their results describe the
data as it is: after each import (command line or upload page) and each rollback, the whole
suite runs as of today and is stored. It takes a few seconds even on a large firm's data
(tests/benchmarks/RESULTS.md: 2.6 s for 9 million events).

The run follows the change, so it needs the change's permission (``upload`` or
``rollback``), not ``run_checks``: an operations account that uploads gets the checks of its
upload. The audit trail records the run with its trigger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pipelines.access import Actor
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
    new_failures: int      # first seen in this run
    resolved: int          # failing in the previous run, not any more

    def summary(self) -> str:
        return (f"Data checks re-run as of {self.as_of} (run {self.run_id}): "
                f"{self.failing_records} failing record(s) in {self.failed_checks} of "
                f"{self.checks} checks; {self.new_failures} new, {self.resolved} resolved.")


def refresh_after(store: Store, trigger: str, *, actor: Actor | None = None,
                  as_of: date | None = None) -> Refresh:
    """Run and store every check after ``trigger`` ("upload" or "rollback") by ``actor``."""
    from data_checks.results import save_run
    from data_checks.runner import run_checks

    if trigger not in TRIGGERS:
        raise ValueError(f"{trigger!r} is not a change that triggers the checks: {TRIGGERS}")
    run = run_checks(store, as_of or date.today(), actor=actor, trigger=trigger)
    run_id = save_run(store, run, actor=actor, trigger=trigger)
    new, resolved = store.query(
        "select count(*) filter (where first_seen_run = ?), "
        "count(*) filter (where resolved_run = ?) from failure_history", [run_id, run_id]
    ).rows[0]
    failing = sum(o.records_failed for o in run.outcomes)
    return Refresh(run_id=run_id, as_of=run.as_of, checks=len(run.outcomes),
                   failed_checks=sum(1 for o in run.outcomes if o.failures),
                   failing_records=failing, new_failures=int(new), resolved=int(resolved))
