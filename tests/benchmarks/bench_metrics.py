"""Benchmark: all figures, all scores and the roll-ups on the large sample.

    uv run python tests/benchmarks/bench_metrics.py

Uses the database bench_checks.py builds (tests/benchmarks/output/large.duckdb; built here
if missing). Everything runs in DuckDB: the event log is scanned once per computation into a
temporary facts table and never loaded into pandas (the script asserts so from the peak
memory of its own process).
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench_checks import AS_OF, DB, build_database  # noqa: E402


def main() -> None:
    if not DB.exists():
        build_database()
    from metrics.config import Config
    from metrics.figures import compute_figures
    from metrics.rollups import rollup
    from metrics.scores import compute_flags, compute_scores
    from metrics.selection import Filters
    from pipelines.store import Store

    store = Store(DB)
    config = Config()
    counts = store.query(
        "select (select count(*) from stg_handovers), (select count(*) from stg_events)"
    ).first()
    print(f"handovers {counts[0]:,}, events {counts[1]:,}, as of {AS_OF}")
    steps = [
        ("all 17 figures, whole firm", lambda: compute_figures(store, AS_OF, config=config)),
        (
            "all 17 figures, one team",
            lambda: compute_figures(store, AS_OF, Filters(teams=("记账一部",)), config=config),
        ),
        ("flags of every handover", lambda: compute_flags(store, AS_OF, config=config)),
        ("scores of every handover", lambda: compute_scores(store, AS_OF, config=config)),
        (
            "roll-up by staff (with previous period)",
            lambda: rollup(store, "staff", AS_OF, config=config),
        ),
        (
            "roll-up by team (with previous period)",
            lambda: rollup(store, "team", AS_OF, config=config),
        ),
        ("roll-up by month", lambda: rollup(store, "month", AS_OF, config=config)),
    ]
    print(f"\n{'step':<44}{'1st s':>8}{'2nd s':>8}  result")
    for label, step in steps:
        timings = []
        for _ in range(2):
            started = time.perf_counter()
            result = step()
            timings.append(time.perf_counter() - started)
        size = f"{len(result):,} rows" if hasattr(result, "shape") else f"{len(result)} values"
        print(f"{label:<44}{timings[0]:>8.2f}{timings[1]:>8.2f}  {size}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory of this process: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
