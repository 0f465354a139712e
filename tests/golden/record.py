"""Record what the command line says about the sample data: the import reports, the checks'
results and failures, every figure, score, flag and roll-up. A restructuring must leave all
of it as it was; `tests/test_golden_outputs.py` records it again and compares with the files
kept beside this script.

    uv run python tests/golden/record.py OUT_DIR [--cli MODULE]

OUT_DIR gets one file per command: ``*.txt`` for the text reports, ``*.json`` for the JSON
outputs. The database is a new file in OUT_DIR, filled by `handover demo`; every date-bound
command runs as of the sample's date, with no settings file (the defaults of DOMAIN.md).
``--cli`` names the module holding the Typer app (``cli`` before the command line
moved to ``cli``), so that the same script records an earlier checkout.

What varies between two runs of the same code is left out or normalised, never compared:
the times a run and a failure were recorded, the run's id and duration (see IGNORED).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

AS_OF = "2026-11-20"
HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent.parent
REAL_FIXTURES = PROJECT / "tests" / "fixtures" / "real"

# JSON keys whose values are times or ids of a run, or the hash of a workbook the sample
# wrote (a zip stamps its members with the time): equal outputs differ in them
IGNORED = (
    "first_seen_at",
    "run_id",
    "started_at",
    "finished_at",
    "duration_seconds",
    "created_at",
    "loaded_at",
    "content_hash",
)

# (output file, arguments): the date-bound commands run as of the sample's date
COMMANDS: list[tuple[str, list[str]]] = [
    ("check.json", ["check", "--json", "--as-of", AS_OF]),
    ("metrics.json", ["metrics", "--json", "--as-of", AS_OF]),
    ("scores.json", ["scores", "--json", "--as-of", AS_OF]),
    ("failures.json", ["failures", "--json"]),
    *[
        (f"rollup_{by}.json", ["rollup", "--by", by, "--json", "--as-of", AS_OF])
        for by in ("staff", "team", "month")
    ],
]

# surveys the tools themselves wrote, loaded after the sample (their import reports)
SURVEYS = (
    "qualtrics_legacy.csv",
    "qualtrics_numeric_de.csv",
    "wjx_coded_800.xls",
    "wjx_readable_800.xls",
)

# handovers with bad values in three rows: the report of a file rejected whole, then the one
# of its good rows loaded with --skip-invalid
BAD_HANDOVERS = (
    "交接单号,客户编号,移交人,接收人,监交人,部门,交接原因,计划开始日期,计划完成日期,"
    "实际开始时间,实际完成时间,已签保密协议,签字确认时间\n"
    "JJ2099-000001,KH000001,王芳,李娜,张伟,审计一部,离职,2026-10-01,2026-10-10,"
    "2026-10-01 09:00,2026-10-09 17:00,是,2026-10-09 17:30\n"
    "JJ2099-000002,KH000002,王芳,李娜,张伟,审计一部,出差,2026-10-01,2026-10-10,,,是,\n"
    "JJ2099-000003,KH000003,王芳,,张伟,审计一部,离职,2026-13-01,2026-10-10,,,也许,\n"
    "JJ2099-000004,KH000004,王芳,李娜,张伟,审计一部,岗位调整,2026-10-02,2026-10-12,"
    "2026-10-02 09:00,,否,\n"
)

# a batch number or a path differs only with where the files were written
_VARYING = [(re.compile(r"/[^ ]*/(?=[^/ ]+\.(csv|xlsx|xls)\b)"), "")]


def run(cli: str, db: Path, args: list[str]) -> str:
    env = {
        **os.environ,
        "HANDOVER_DB": str(db),
        "HANDOVER_CONFIG": "none",
        "PYTHONPATH": str(PROJECT),
        "COLUMNS": "200",
        "NO_COLOR": "1",
    }
    env.pop("HANDOVER_AS", None)
    code = f"import sys; sys.argv = ['handover'] + sys.argv[1:]; from {cli} import app; app()"
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    text = done.stdout + (f"\n[stderr]\n{done.stderr}" if done.stderr.strip() else "")
    text += f"\n[exit {done.returncode}]\n"
    for pattern, replacement in _VARYING:
        text = pattern.sub(replacement, text)
    return text


def record(out: Path, cli: str = "cli") -> list[Path]:
    """Fill a new database in ``out`` with the sample and write every output there."""
    out.mkdir(parents=True, exist_ok=True)
    db = out / "sample.duckdb"
    for stale in (db, db.with_name(db.name + ".changed")):
        stale.unlink(missing_ok=True)
    written = []

    def save(name: str, text: str) -> None:
        path = out / name
        path.write_text(text, encoding="utf-8")
        written.append(path)

    save("demo.txt", run(cli, db, ["demo"]))
    for name, args in COMMANDS:
        text = run(cli, db, args)
        if name.endswith(".json"):  # the JSON alone; the exit line is checked apart
            body, _, tail = text.rpartition("\n[exit ")
            if not tail.startswith("0]"):
                raise SystemExit(f"{' '.join(args)} failed:\n{text}")
            text = body
        save(name, text)
    for survey in SURVEYS:
        args = ["ingest", "feedback", str(REAL_FIXTURES / survey), "--no-checks"]
        save(f"ingest_{Path(survey).stem}.txt", run(cli, db, args))
    bad = out / "bad_handovers.csv"
    bad.write_text(BAD_HANDOVERS, encoding="utf-8")
    save("ingest_bad_handovers.txt", run(cli, db, ["ingest", "handovers", str(bad), "--no-checks"]))
    save(
        "ingest_bad_handovers_skip_invalid.txt",
        run(cli, db, ["ingest", "handovers", str(bad), "--no-checks", "--skip-invalid"]),
    )
    save("batches.json", run(cli, db, ["batches", "--json"]).rpartition("\n[exit ")[0])
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--cli", default="cli", help="module holding the Typer app")
    options = parser.parse_args()
    for path in record(options.out, options.cli):
        print(path)


if __name__ == "__main__":
    main()
