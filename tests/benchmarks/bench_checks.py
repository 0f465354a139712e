"""Benchmark: the data checks on the large sample, Great Expectations' route next to the
same checks written by hand in DuckDB SQL, then ``handover check`` as a whole process and an
upload's trial (``trial_import``), in one run.

    uv run python tests/benchmarks/bench_checks.py [--runs 3] [--db PATH]

It loads the large sample once into tests/benchmarks/output/large.duckdb (cached) and works
on a copy of it in a temporary folder (a check run writes: its schema check, its results).
Each route runs in its own warm process (imports done before the clock starts), twice, and
prints seconds and the process's peak memory side by side. Both routes return the full list
of failing records; the script checks that they agree record for record. The whole command
and the trial run ``--runs`` times; the median is printed beside its goal (issue 12).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from pipelines.access import Actor  # noqa: E402 (after the path)

OUTPUT = Path(__file__).parent / "output"
DB = OUTPUT / "large.duckdb"
AS_OF = date(2026, 11, 20)


def build_database() -> None:
    from datetime import datetime
    from datetime import time as clock

    from bench_import_events import large_files  # noqa: E402 (same folder)

    from pipelines.feedback.ingest import ingest_feedback
    from pipelines.ingest import ingest_file
    from pipelines.store import Store
    from sample_data.feedback import write_feedback_files

    files = large_files()
    store = Store(DB)
    started = time.perf_counter()
    for kind in ("clients", "handovers", "events"):
        ingest_file(store, kind, files[kind], actor=Actor("bench", "administrator"))
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
        return (
            _sql_for(check, as_of).replace("{batch}", batch).replace("{{", "{").replace("}}", "}")
        )
    column, name, kwargs = check.expectation
    reported = check.column
    if name == "ExpectColumnValuesToNotBeNull":
        where = f"{column} is null"
    elif name == "ExpectColumnValuesToMatchRegex":
        where = f"{column} is not null and not regexp_matches({column}, '{kwargs['regex']}')"
        assert kwargs["regex"] in (PHONE_PATTERN,) or "@" in kwargs["regex"]
    elif name == "ExpectColumnValuesToBeUnique":
        where = f"{column} in (select {column} from {batch} group by {column} having count(*) > 1)"
    else:
        raise ValueError(name)
    return (
        f"select {key} as record_key, '{reported}' as column_name, "
        f"cast({reported} as varchar) as offending_value from {batch} where {where}"
    )


def trial_file(folder: Path, sample: Path, rows: int = 200, renamed: int = 20) -> Path:
    """A clients file of the large sample's first ``rows`` clients, ``renamed`` of them under
    new ids (new clients), the rest as loaded (unchanged)."""
    source = sample / "clients.csv"
    with source.open(encoding="utf-8") as lines:
        head = [next(lines) for _ in range(rows + 1)]
    for i in range(1, renamed + 1):
        head[i] = head[i].replace("KH", "KN", 1)
    path = folder / "clients_trial.csv"
    path.write_text("".join(head), encoding="utf-8")
    return path


def trial_route(db: Path, sample: Path, runs: int) -> None:
    """``trial_import`` of a small clients file, ``runs`` times in this warm process."""
    from data_checks import gx_compat
    from data_checks.refresh import trial_import
    from pipelines.ingest import ingest_file
    from pipelines.store import Store

    gx_compat.install()
    store = Store(db)
    actor = Actor("bench", "administrator")
    path = trial_file(db.parent, sample)
    timings, cpu, trial = [], [], None
    for _ in range(runs + 1):  # the first one warms up
        started, started_cpu = time.perf_counter(), time.process_time()
        trial = trial_import(
            store,
            "clients",
            lambda copy: ingest_file(copy, "clients", path, actor=actor),
            actor=actor,
            as_of=AS_OF,
        )
        timings.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    findings = sorted(map(str, trial.findings.astype(str).values.tolist()))
    print(
        json.dumps(
            {
                "timings": timings[1:],
                "cpu": cpu[1:],
                "findings": findings,
                "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def whole_command(db: Path, runs: int) -> dict:
    """``handover check --json`` as a process on a fresh copy of the database, ``runs``
    times; wall seconds, CPU seconds (user and system, all threads: less sensitive to a
    busy machine than the wall clock) and the outputs without run ids and durations."""
    timings, cpu, outputs = [], [], []
    env = {**os.environ, "HANDOVER_CONFIG": "none", "PYTHONPATH": str(ROOT)}
    for _ in range(runs):
        fresh = db.with_name("whole.duckdb")
        shutil.copyfile(db, fresh)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "cli",
                "check",
                "--as-of",
                AS_OF.isoformat(),
                "--json",
                "--db",
                str(fresh),
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
        )
        timings.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if done.returncode:
            raise SystemExit(done.stderr[-3000:])
        document = json.loads(done.stdout)
        outputs.append(
            {k: v for k, v in document.items() if k not in ("run_id", "duration_seconds")}
        )
        fresh.unlink()
    assert all(o == outputs[0] for o in outputs), "the command's output differs between runs"
    return {"timings": timings, "cpu": cpu, "output": outputs[0]}


def route(name: str, db: Path) -> None:
    """Run one route twice in this (warm) process; print JSON."""
    from data_checks.assets import ASSETS
    from data_checks.registry import CHECKS
    from pipelines.store import Store

    store = Store(db)
    if name == "gx":
        from data_checks import gx_compat
        from data_checks.runner import run_checks

        gx_compat.install()

        def once():
            run = run_checks(store, AS_OF)
            return {
                o.check.id: sorted((f.record_key, f.column_name) for f in o.failures)
                for o in run.outcomes
            }
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
    print(
        json.dumps(
            {
                "timings": timings,
                "rss_mb": rss,
                "failures": failures,
                "per_check": digest,
                "found": {k: v[:50] for k, v in found.items()},
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--route", choices=["gx", "sql", "trial"])
    parser.add_argument(
        "--db", type=Path, default=DB, help="the large sample's database (copied; the copy is used)"
    )
    parser.add_argument(
        "--sample",
        type=Path,
        default=OUTPUT / "large",
        help="the large sample's CSV files (the trial's file is cut from them)",
    )
    parser.add_argument(
        "--runs", type=int, default=3, help="runs of the whole command and of the trial (median)"
    )
    args = parser.parse_args()
    if args.route == "trial":
        trial_route(args.db, args.sample, args.runs)
        return
    if args.route:
        route(args.route, args.db)
        return
    if not args.db.exists():
        build_database()
    import duckdb

    with duckdb.connect(str(args.db), read_only=True) as conn:
        sizes = {
            v: conn.execute(f"select count(*) from {v}").fetchall()[0][0]
            for v in ("stg_clients", "stg_handovers", "stg_events", "stg_feedback")
        }
    print("rows: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))
    print(f"load average at the start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    folder = Path(tempfile.mkdtemp(prefix="bench-checks-"))
    try:
        copy = folder / "large.duckdb"
        shutil.copyfile(args.db, copy)
        report(copy, sizes, args.runs, args.sample)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _child(*arguments: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, *arguments],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(copy: Path, sizes: dict, runs: int, sample: Path) -> None:
    results = {name: _child("--route", name, "--db", str(copy)) for name in ("sql", "gx")}
    sql, gx = results["sql"], results["gx"]
    assert sql["per_check"] == gx["per_check"], "the routes disagree"
    assert sql["found"] == gx["found"], "the routes list different records"
    print(
        f"{len(sql['per_check'])} checks, {sql['failures']:,} failing records, "
        "both routes agree record for record\n"
    )
    print(f"{'route':<46}{'1st run s':>10}{'2nd run s':>10}{'peak MB':>10}")
    print(
        f"{'hand-written DuckDB SQL (full failure list)':<46}"
        f"{sql['timings'][0]:>10.2f}{sql['timings'][1]:>10.2f}{sql['rss_mb']:>10,.0f}"
    )
    print(
        f"{'Great Expectations in DuckDB (COMPLETE)':<46}"
        f"{gx['timings'][0]:>10.2f}{gx['timings'][1]:>10.2f}{gx['rss_mb']:>10,.0f}"
    )
    ratio = gx["timings"][1] / sql["timings"][1]
    print(f"\nGX / SQL, warm (2nd run): {ratio:.1f}x   (goal: at most 2x)")
    print("(peak MB of GX's process includes importing GX)")

    whole = whole_command(copy, runs)
    trial = _child(
        "--route", "trial", "--db", str(copy), "--runs", str(runs), "--sample", str(sample)
    )
    failing = sum(c["records_failed"] for c in whole["output"]["checks"])
    median = statistics.median
    print(f"\n{'step (median of ' + str(runs) + ')':<52}{'wall s':>8}{'CPU s':>8}  goal")
    print(
        f"{'handover check --json, whole process':<52}{median(whole['timings']):>8.2f}"
        f"{median(whole['cpu']):>8.2f}  wall at most 15 s"
    )
    print(f"{'  its runs (wall)':<52}  " + ", ".join(f"{t:.2f}" for t in whole["timings"]))
    print(
        f"{'checks alone, GX route, warm (above)':<52}{gx['timings'][1]:>8.2f}{'':>8}  "
        f"at most 2x SQL ({2 * sql['timings'][1]:.2f})"
    )
    print(
        f"{'trial_import, clients file of 200 rows (20 new)':<52}"
        f"{median(trial['timings']):>8.2f}{median(trial['cpu']):>8.2f}  less than before"
    )
    print(
        f"\nwhole command: {len(whole['output']['checks'])} checks, {failing:,} failing "
        f"records, the same in every run; trial: {len(trial['findings'])} findings, "
        f"peak {trial['rss_mb']:,.0f} MB"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
