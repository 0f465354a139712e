"""Benchmark: importing the large sample's event log, next to DuckDB's own read_csv.

    uv run python tests/benchmarks/bench_import_events.py [--events FILE] [--rows N]

Without --events it generates the large sample (cached in tests/benchmarks/output/large) and
uses its events file. It prints, in one run: rows per second of `handover ingest events`
(read, validate every cell, stage, load as a batch) into an empty database; of re-importing
a newer export of the same log (every row classified, one new row); and of DuckDB's read_csv
of the same file into a table (no validation, the lower bound of any import).
"""

from __future__ import annotations

import argparse
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from pipelines.access import Actor
from pipelines.ingest import ingest_file  # noqa: E402
from pipelines.store import Store  # noqa: E402

CACHE = Path(__file__).parent / "output" / "large"


def large_events_file() -> Path:
    from sample_data.generator import write_sample_files

    marker = CACHE / ".complete"
    if not marker.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        files = write_sample_files(CACHE, size="large", seed=42)
        print(f"generated the large sample in {time.perf_counter() - started:.1f} s")
        marker.write_text("\n".join(f"{kind}\t{path.name}" for kind, path in files))
    for line in marker.read_text().splitlines():
        kind, name = line.split("\t")
        if kind == "events":
            return CACHE / name
    raise SystemExit("the sample has no events file")


def count_rows(path: Path) -> int:
    with duckdb.connect() as conn:
        return conn.execute(
            "select count(*) from read_csv(?, header = true, all_varchar = true)", [str(path)]
        ).fetchall()[0][0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=Path, help="an events CSV (default: the large sample's)")
    args = parser.parse_args()
    events = args.events or large_events_file()
    rows = count_rows(events)
    size_mb = events.stat().st_size / 1e6
    print(f"file: {events.name}, {rows:,} rows, {size_mb:,.0f} MB")
    print(f"machine: {platform.machine()}, python {platform.python_version()}, "
          f"duckdb {duckdb.__version__}")

    with tempfile.TemporaryDirectory() as tmp:
        tmp_dir = Path(tmp)
        store = Store(tmp_dir / "bench.duckdb")

        started = time.perf_counter()
        report = ingest_file(store, "events", events, actor=Actor("bench", "administrator"))
        first = time.perf_counter() - started
        assert report.added == rows, report.summary()

        newer = tmp_dir / "events_newer.csv"
        shutil.copyfile(events, newer)
        with open(newer, "a", encoding="utf-8") as fh:
            fh.write("JJBENCH-1,2026-11-20 10:00:00,training_done,,bench,\n")
        started = time.perf_counter()
        again = ingest_file(store, "events", newer, actor=Actor("bench", "administrator"))
        second = time.perf_counter() - started
        assert (again.added, again.unchanged) == (1, rows), again.summary()

        started = time.perf_counter()
        with duckdb.connect(str(tmp_dir / "plain.duckdb")) as conn:
            conn.execute("create table events as select * from read_csv(?, header = true)",
                         [str(events)])
        plain = time.perf_counter() - started

    print()
    print(f"{'step':<58}{'seconds':>9}{'rows/s':>14}")
    for label, seconds, count in [
        ("handover ingest events (empty database)", first, rows),
        ("handover ingest events (newer export: 1 new, rest same)", second, rows + 1),
        ("duckdb read_csv into a table (no validation)", plain, rows),
    ]:
        print(f"{label:<58}{seconds:>9.1f}{count / seconds:>14,.0f}")
    print(f"\ningest / read_csv: {first / plain:.1f}x the time")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
