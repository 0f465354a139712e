"""Benchmark: importing the large sample's event log, next to DuckDB's own read_csv.

    uv run python tests/benchmarks/bench_import_events.py [--events FILE] [--runs N]
        [--label before|after] [--save FILE] [--compare FILE]

Without --events it uses the large sample's events file (generated once and cached in
tests/benchmarks/output/large). Each run starts from a fresh copy of a database holding the
large sample's clients and handovers (built once, cached in tests/benchmarks/output) and
measures, each as a whole process (`python -m cli ingest events FILE --no-checks`):

- the import of the events file;
- the import of a newer export of the same log (one new row, every other row unchanged);
- DuckDB's read_csv of the same file into a table of a new database (no validation: the
  lower bound of any import), in the same run.

Time is wall time; memory is the peak resident memory of the whole process tree (the command
and every process it starts: the reader's sandbox children included), sampled every 50 ms
from /proc. The figures are the median of the runs. ``--save`` writes them as JSON and
``--compare`` prints a before/after table against such a file, with the goal beside.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

OUTPUT = Path(__file__).parent / "output"
CACHE = OUTPUT / "large"
GOAL_RATIO = 2.0  # ingest time at most 2x read_csv's (rate >= 0.5x)
GOAL_PEAK_MB = 1536


def large_files() -> dict[str, Path]:
    from sample_data.generator import write_sample_files

    marker = CACHE / ".complete"
    if not marker.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        files = write_sample_files(CACHE, size="large", seed=42)
        print(f"generated the large sample in {time.perf_counter() - started:.1f} s")
        marker.write_text("\n".join(f"{kind}\t{path.name}" for kind, path in files))
    return {
        kind: CACHE / name
        for kind, name in (line.split("\t") for line in marker.read_text().splitlines())
    }


def base_database(files: dict[str, Path]) -> Path:
    """A database holding the large sample's clients and handovers (built once)."""
    base = OUTPUT / "import_base.duckdb"
    if not base.exists():
        partial = base.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        for kind in ("clients", "handovers"):
            run_cli(["ingest", kind, str(files[kind]), "--no-checks", "--db", str(partial)])
        partial.rename(base)
    return base


def tree_rss_kb(root: int) -> int:
    """Resident memory of ``root`` and all its descendants, in KB."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
            with open(f"/proc/{entry}/statm") as fh:
                pages = int(fh.read().split()[1])
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages * (os.sysconf("SC_PAGE_SIZE") // 1024)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


def measured(command: list[str]) -> tuple[float, float]:
    """(seconds, peak MB of the process tree) of one command."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss_kb(process.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{out}\n{err}")
    return seconds, peak / 1024


def run_cli(args: list[str]) -> tuple[float, float]:
    env_cmd = [sys.executable, "-m", "cli", *args]
    return measured(env_cmd)


def read_csv_command(events: Path, db: Path) -> list[str]:
    code = (
        "import duckdb,sys; c=duckdb.connect(sys.argv[2]); c.execute("
        "'create table events as select * from read_csv(?, header = true)', [sys.argv[1]])"
    )
    return [sys.executable, "-c", code, str(events), str(db)]


def count_rows(path: Path) -> int:
    with duckdb.connect() as conn:
        return conn.execute(
            "select count(*) from read_csv(?, header = true, all_varchar = true)", [str(path)]
        ).fetchall()[0][0]


def one_run(events: Path, base: Path, rows: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(dir=OUTPUT) as tmp:
        tmp_dir = Path(tmp)
        db = tmp_dir / "bench.duckdb"
        shutil.copyfile(base, db)
        first, first_mb = run_cli(["ingest", "events", str(events), "--no-checks", "--db", str(db)])
        with duckdb.connect(str(db), read_only=True) as conn:
            loaded = conn.execute("select count(*) from stg_events").fetchall()[0][0]
        assert loaded == rows, (loaded, rows)
        newer = tmp_dir / "events_newer.csv"
        shutil.copyfile(events, newer)
        with open(newer, "a", encoding="utf-8") as fh:
            fh.write("JJBENCH-1,2026-11-20 10:00:00,training_done,,bench,\n")
        second, second_mb = run_cli(
            ["ingest", "events", str(newer), "--no-checks", "--db", str(db)]
        )
        with duckdb.connect(str(db), read_only=True) as conn:
            added, unchanged = conn.execute(
                "select count_rows_added, count_rows_unchanged from batches "
                "order by batch_id desc limit 1"
            ).fetchall()[0]
        assert (added, unchanged) == (1, rows), (added, unchanged)
        plain, plain_mb = measured(read_csv_command(events, tmp_dir / "plain.duckdb"))
    return {
        "ingest_s": first,
        "ingest_mb": first_mb,
        "again_s": second,
        "again_mb": second_mb,
        "read_csv_s": plain,
        "read_csv_mb": plain_mb,
        "ratio": first / plain,
    }


def table(label: str, figures: dict[str, float], rows: int) -> list[str]:
    lines = [f"{label}", f"{'step':<52}{'seconds':>9}{'rows/s':>12}{'peak MB':>9}  goal"]
    for name, key, goal in [
        (
            "handover ingest events (clients+handovers loaded)",
            "ingest",
            f"<= 2x read_csv, <= {GOAL_PEAK_MB} MB",
        ),
        ("handover ingest events (newer export: 1 new)", "again", f"<= {GOAL_PEAK_MB} MB"),
        ("duckdb read_csv into a table (no validation)", "read_csv", ""),
    ]:
        seconds, mb = figures[f"{key}_s"], figures[f"{key}_mb"]
        lines.append(f"{name:<52}{seconds:>9.1f}{rows / seconds:>12,.0f}{mb:>9,.0f}  {goal}")
    lines.append(
        f"ingest / read_csv: {figures['ratio']:.2f}x the time "
        f"(rate {1 / figures['ratio']:.2f}x; goal <= {GOAL_RATIO:.1f}x the time)"
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=Path, help="an events CSV (default: the large sample's)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--label", default="this checkout")
    parser.add_argument("--save", type=Path, help="write the medians as JSON")
    parser.add_argument("--compare", type=Path, help="a --save file of the 'before' run")
    args = parser.parse_args()
    files = large_files()
    events = args.events or files["events"]
    base = base_database(files)
    rows = count_rows(events)
    print(f"file: {events.name}, {rows:,} rows, {events.stat().st_size / 1e6:,.0f} MB")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, python "
        f"{platform.python_version()}, duckdb {duckdb.__version__}"
    )
    runs = []
    for number in range(args.runs):
        figures = one_run(events, base, rows)
        runs.append(figures)
        print(
            f"run {number + 1}: " + ", ".join(f"{k} {v:.1f}" for k, v in figures.items()),
            flush=True,
        )
    median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    median["rows"] = rows
    print()
    if args.compare:
        before = json.loads(args.compare.read_text())
        print(
            "\n".join(
                table(
                    f"before ({before.get('label', '')}), median of {before.get('runs', '?')}",
                    before,
                    rows,
                )
            )
        )
        print()
    print("\n".join(table(f"{args.label}, median of {args.runs}", median, rows)))
    if args.save:
        args.save.write_text(
            json.dumps({**median, "label": args.label, "runs": args.runs}, indent=1)
        )


if __name__ == "__main__":
    main()
