"""Benchmark: the `handover` command as whole processes on the large sample.

    uv run python tests/benchmarks/bench_cli.py [--db FILE] [--runs 3] [--compare DIR]
        [--tree DIR] [--save FILE] [--before FILE] [--expect DIR]

Runs each command as a user does (the installed console script ``<tree>/.venv/bin/handover``,
a new process each time, HANDOVER_CONFIG=none, --as-of 2026-11-20), once to warm up and then
``--runs`` times, and prints per command the median wall time beside its goal (issue 12) and
the peak memory of the process, and the CPU time (user + system, median) of the measured
checkout, steadier than the wall time on a shared machine. Output goes to a file, as it
would in a script.

Python caches compiled modules (``__pycache__``) the first time a command runs; an install
(`uv sync`, pip) compiles them too. This machine's environment sets PYTHONDONTWRITEBYTECODE,
under which every start compiles every module again (`handover --help` then takes seconds
whatever the command imports): the script runs the commands with a bytecode cache of its own
(PYTHONPYCACHEPREFIX in tests/benchmarks/output/pycache) and measures `--help` once more
without any cache, for comparison.

``--compare DIR`` runs another checkout too (a `git worktree` of the commit before a change,
with its own .venv), run by run alternating with this one, so that both see the same load of
a shared machine; ``--tree DIR`` measures another checkout instead of this one; ``--save``
writes the medians as JSON and ``--before FILE`` (such a JSON) prints them beside.
``--expect DIR`` compares `metrics --json` and `scores --json` with metrics.json and
scores.json in DIR (scores byte for byte; metrics to 1e-9 relative, because DuckDB's parallel
sums of floating-point numbers differ in the last digits from run to run).
A command the measured tree does not know (an option added later) is shown as "—".
`failures --json` needs a database where `handover check` has run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "tests" / "benchmarks" / "output"
DB = OUTPUT / "large.duckdb"
AS_OF = "2026-11-20"

# label, arguments after `handover`, goal in seconds (None: no goal), file of the output
COMMANDS = [
    ("handover --help", ["--help"], 0.5, None),
    ("handover --help (no bytecode cache)", ["--help"], None, None),
    ("handover metrics --json", ["metrics", "--as-of", AS_OF, "--json"], 2.0, "metrics.json"),
    ("handover scores --json", ["scores", "--as-of", AS_OF, "--json"], 5.0, "scores.json"),
    ("handover scores --format csv", ["scores", "--as-of", AS_OF, "--format", "csv"], 5.0, None),
    (
        "handover scores --format parquet --output F",
        ["scores", "--as-of", AS_OF, "--format", "parquet", "--output", "{tmp}/scores.parquet"],
        5.0,
        None,
    ),
    (
        "handover scores --json --limit 100",
        ["scores", "--as-of", AS_OF, "--json", "--limit", "100"],
        None,
        None,
    ),
    ("handover rollup --json", ["rollup", "--as-of", AS_OF, "--json"], None, None),
    ("handover failures --json", ["failures", "--json"], None, None),
]


def run_once(
    command: list[str], env: dict[str, str], stdout_path: Path
) -> tuple[float, float, int, str, float]:
    """(seconds, peak MB, exit status, stderr, CPU seconds) of one whole process."""
    with open(stdout_path, "wb") as stdout:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, stdout=stdout, stderr=subprocess.PIPE, env=env, stdin=subprocess.DEVNULL
        )
        errors = process.stderr.read()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return (
        seconds,
        usage.ru_maxrss / 1024,
        process.returncode,
        errors.decode(errors="replace"),
        usage.ru_utime + usage.ru_stime,
    )


def same_figures(got: dict, want: dict) -> bool:
    if list(got) != list(want):
        return False
    for key, value in want.items():
        other = got[key]
        if isinstance(value, float) and isinstance(other, float):
            if not math.isclose(value, other, rel_tol=1e-9):
                return False
        elif value != other:
            return False
    return True


def compare(label: str, output: Path, expect: Path | None) -> str:
    if expect is None:
        return ""
    if label == "handover scores --json":
        return (
            "same bytes"
            if output.read_bytes() == (expect / "scores.json").read_bytes()
            else "DIFFERENT"
        )
    if label == "handover metrics --json":
        got = json.loads(output.read_text(encoding="utf-8"))
        want = json.loads((expect / "metrics.json").read_text(encoding="utf-8"))
        return "same" if same_figures(got, want) else "DIFFERENT"
    return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DB)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--tree",
        type=Path,
        default=ROOT,
        help="the checkout whose .venv/bin/handover runs (default: this one)",
    )
    parser.add_argument(
        "--compare",
        type=Path,
        metavar="DIR",
        help="also run the checkout DIR (e.g. a worktree of the commit before "
        "a change), alternating run by run with --tree",
    )
    parser.add_argument("--save", type=Path, help="write the medians here (JSON)")
    parser.add_argument("--before", type=Path, help="medians of an earlier run (JSON)")
    parser.add_argument("--expect", type=Path, help="folder of metrics.json and scores.json")
    parser.add_argument("--label", default="", help="what is measured, for the saved JSON")
    args = parser.parse_args()

    trees = ([("before", args.compare.resolve())] if args.compare else []) + [
        ("after" if args.compare else "this", args.tree.resolve())
    ]
    for _, tree in trees:
        if not (tree / ".venv" / "bin" / "handover").exists():
            sys.exit(f"{tree}/.venv/bin/handover does not exist: run `uv sync` in {tree}")
    if not args.db.exists():
        sys.exit(f"{args.db} does not exist: tests/benchmarks/bench_checks.py builds it")
    cache = OUTPUT / "pycache"
    base_env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")
    }
    base_env.update(HANDOVER_CONFIG="none", HANDOVER_DB=str(args.db.resolve()), COLUMNS="120")
    cached_env = {**base_env, "PYTHONPYCACHEPREFIX": str(cache)}
    uncached_env = {
        **base_env,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPYCACHEPREFIX": str(Path(tempfile.gettempdir()) / "no-such-cache"),
    }
    earlier = json.loads(args.before.read_text(encoding="utf-8")) if args.before else {}

    print(f"database: {args.db} ({args.db.stat().st_size / 2**20:,.0f} MB), as of {AS_OF}")
    for name, tree in trees:
        print(f"{name}: {tree} {_commit(tree)}")
    if earlier:
        print(f"before (saved): {earlier.get('label') or args.before}")
    print(
        f"{args.runs} runs of each command after one to warm up"
        + (", the checkouts alternating" if len(trees) > 1 else "")
        + "; median"
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f} at the start"
    )
    width = max(len(label) for label, *_ in COMMANDS) + 2
    columns = [("before s", earlier.get("medians", {}))] if earlier else []
    header = f"{'command':<{width}}{'goal s':>7}" + "".join(f"{c:>10}" for c, _ in columns)
    header += "".join(f"{name + ' s':>10}" for name, _ in trees)
    header += f"  {'runs s (last checkout)':<24}{'cpu s':>6}{'peak MB':>8}  ok   output"
    print("\n" + header)
    medians: dict[str, float | None] = {}
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        for label, arguments, goal, _ in COMMANDS:
            env = uncached_env if "no bytecode" in label else cached_env
            output = Path(tmp) / "stdout"
            commands, failed = {}, {}
            for name, tree in trees:
                commands[name] = [
                    str(tree / ".venv" / "bin" / "handover"),
                    *(a.format(tmp=tmp) for a in arguments),
                ]
                _, _, status, errors, _ = run_once(commands[name], env, output)  # warm-up
                if status != 0:  # the last line of the message that has words
                    lines = [line.strip(" │╭╮╰╯─") for line in errors.splitlines()]
                    reason = next(
                        (line for line in reversed(lines) if any(c.isalpha() for c in line)), ""
                    )
                    failed[name] = f"exit {status}: {reason[:50]}"
            timings = {name: [] for name in commands}
            peaks: list[float] = []
            cpu: list[float] = []
            for _ in range(args.runs):
                for name in commands:
                    if name in failed:
                        continue
                    seconds, peak, status, errors, busy = run_once(commands[name], env, output)
                    if status != 0:
                        sys.exit(f"{label} ({name}): exit {status}\n{errors}")
                    timings[name].append(seconds)
                    if name == trees[-1][0]:
                        peaks.append(peak)
                        cpu.append(busy)
            last = trees[-1][0]
            median = statistics.median(timings[last]) if timings[last] else None
            medians[label] = median
            line = f"{label:<{width}}{_goal(goal):>7}"
            line += "".join(f"{_seconds(saved.get(label)):>10}" for _, saved in columns)
            line += "".join(f"{_median(timings[n]):>10}" for n, _ in trees)
            if median is None:
                print(f"{line}  ({failed[last]})")
                continue
            ok = "" if goal is None else ("yes" if median <= goal else "NO")
            written = Path(commands[last][-1]) if "--output" in arguments else output
            size = written.stat().st_size if written.exists() else 0
            note = compare(label, output, args.expect)
            notes = "; ".join(f"{n}: {why}" for n, why in failed.items())
            print(
                f"{line}  {' '.join(f'{t:.2f}' for t in timings[last]):<24}"
                f"{statistics.median(cpu):>6.2f}{max(peaks):>8,.0f}  {ok:<4} {_size(size)} {note}"
                f"{'  (' + notes + ')' if notes else ''}".rstrip()
            )
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")
    if args.save:
        args.save.write_text(
            json.dumps({"label": args.label, "medians": medians}, indent=2), encoding="utf-8"
        )


def _commit(tree: Path) -> str:
    result = subprocess.run(
        ["git", "-C", str(tree), "log", "-1", "--format=%h %s"], capture_output=True, text=True
    )
    return f"(HEAD {result.stdout.strip()[:70]})" if result.returncode == 0 else ""


def _goal(goal: float | None) -> str:
    return "—" if goal is None else f"{goal:.1f}"


def _median(values: list[float]) -> str:
    return _seconds(statistics.median(values)) if values else "—"


def _seconds(value) -> str:
    return "—" if value is None else f"{value:.2f}"


def _size(size: int) -> str:
    return f"{size / 2**20:,.1f} MB" if size >= 2**20 else f"{size / 1024:,.1f} KB"


if __name__ == "__main__":
    main()
