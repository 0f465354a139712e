"""Hostile and faulty files (issue 9): every case of tests/hostile/make_corpus.py through the
command line and the library, on a copy of a loaded database.

A refused file: exit status 1, exactly one ``Error:`` line on stderr naming the file (plus
``  - `` lines for bad rows), no traceback, the database file byte-for-byte unchanged, and the
library raises a ``HandoverError`` whose ``.code`` is one the case allows. A file that loads:
exit status 0 and the values right in the stg_* views.

The corpus is generated when this module is collected (about 5 s, 130 MB in a temporary
folder, removed at exit); nothing large is committed. ``HOSTILE_ISOLATE=1`` runs the cases
that could exhaust memory in a capped child process (tests/hostile/harness.py).
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from pipelines.store import Store
from tests.hostile.harness import (
    copy_db,
    finish_baseline,
    run,
    run_isolated,
    sha256,
    start_baseline,
)
from tests.hostile.make_corpus import Case, build

_CORPUS_DIR = Path(tempfile.mkdtemp(prefix="hostile-corpus-"))
atexit.register(shutil.rmtree, _CORPUS_DIR, ignore_errors=True)
_BASELINE = start_baseline(_CORPUS_DIR / "baseline")  # loads while the corpus is written
atexit.register(lambda: _BASELINE.poll() is None and _BASELINE.kill())
CASES = {case.name: case for case in build(_CORPUS_DIR / "files")}
ISOLATE = os.environ.get("HOSTILE_ISOLATE") == "1"  # see tests/hostile/harness.py

SUMMARY_LINE = re.compile(r"^\d+ of \d+ file\(s\) were not loaded\.$")


@pytest.fixture(scope="module")
def baseline() -> Path:
    return finish_baseline(_BASELINE, _CORPUS_DIR / "baseline")


def _outcome(case: Case, baseline: Path, tmp_path: Path) -> tuple[dict, Path]:
    db = copy_db(baseline, tmp_path / "case.duckdb")
    if case.isolate and ISOLATE:
        return run_isolated(case.spec(), db, tmp_path / "run"), db
    return run(case.spec(), db), db


def _show(outcome: dict) -> str:
    lib = outcome.get("lib") or {}
    return (
        f"\nexit status: {outcome.get('exit_code')}\n--- stdout\n{outcome.get('stdout')}"
        f"\n--- stderr\n{(outcome.get('stderr') or '')[:3000]}"
        f"\n--- crash\n{(outcome.get('crash') or '')[-3000:]}"
        f"\n--- library: {lib.get('raised')} code={lib.get('code')!r} "
        f"params={lib.get('params')}\n{lib.get('message', '')[:600]}"
        f"\n{(lib.get('traceback') or '')[-2500:]}"
    )


def assert_refused(case: Case, outcome: dict, codes: tuple[str, ...]) -> None:
    shown = _show(outcome)
    assert outcome["crash"] is None, f"{case.name}: crashed{shown}"
    assert outcome["exit_code"] == 1, f"{case.name}: exit status{shown}"
    output = (outcome["stdout"] or "") + (outcome["stderr"] or "")
    assert "Traceback" not in output, f"{case.name}: a traceback reached the user{shown}"
    lines = [line for line in (outcome["stderr"] or "").splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error:")]
    assert len(errors) == 1, f"{case.name}: {len(errors)} 'Error:' lines{shown}"
    assert case.path.name in errors[0], f"{case.name}: the Error line does not name the file{shown}"
    if case.message:
        assert re.search(case.message, errors[0]), (
            f"{case.name}: the Error line does not match {case.message!r}{shown}"
        )
    stray = [
        line
        for line in lines
        if not line.startswith(("Error:", "  ")) and not SUMMARY_LINE.match(line)
    ]
    assert not stray, f"{case.name}: stray lines on stderr: {stray[:5]}{shown}"
    assert outcome["sha_before"] == outcome["sha_after_cli"] == outcome["sha_after_lib"], (
        f"{case.name}: the database file changed{shown}"
    )
    assert not outcome["wal_left"], f"{case.name}: a write-ahead log was left{shown}"
    lib = outcome["lib"]
    assert lib is not None and lib["handover"], (
        f"{case.name}: the library raised {lib and lib['raised']}, not a HandoverError{shown}"
    )
    if codes:
        assert lib["code"] in codes, (
            f"{case.name}: code {lib['code']!r}, expected one of {codes}{shown}"
        )
    for row, pattern in case.problems:
        assert any(p["row"] == row and re.search(pattern, p["text"]) for p in lib["problems"]), (
            f"{case.name}: no problem on row {row} matching {pattern!r}: "
            f"{[p['text'] for p in lib['problems']][:5]}{shown}"
        )
        assert any(line.startswith("  - ") and f"row {row}" in line for line in lines), (
            f"{case.name}: no '  - ' line lists row {row}{shown}"
        )


def assert_loaded(case: Case, outcome: dict, db: Path) -> None:
    shown = _show(outcome)
    assert outcome["crash"] is None, f"{case.name}: crashed{shown}"
    assert outcome["exit_code"] == 0, f"{case.name}: not loaded{shown}"
    assert "Traceback" not in (outcome["stdout"] or "") + (outcome["stderr"] or ""), shown
    assert case.path.name in outcome["stdout"], (
        f"{case.name}: the report does not name the file{shown}"
    )
    assert case.check is not None
    case.check(Store(db, busy_timeout=20))


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_file(name: str, baseline: Path, tmp_path: Path) -> None:
    case = CASES[name]
    outcome, db = _outcome(case, baseline, tmp_path)
    if case.expected == "refused":
        assert_refused(case, outcome, case.codes)
    elif case.expected == "loads":
        assert_loaded(case, outcome, db)
    elif case.expected in ("loads_or_rejected", "loads_or_refused"):
        if outcome.get("exit_code") == 0 and outcome.get("crash") is None:
            assert_loaded(case, outcome, db)
        else:
            codes = ("import_rejected",) if case.expected == "loads_or_rejected" else case.codes
            assert_refused(case, outcome, codes)
    else:
        raise AssertionError(f"{name}: unknown expectation {case.expected!r}")


def test_the_installed_command_prints_only_its_sentences(baseline: Path, tmp_path: Path) -> None:
    """`python -m cli ingest` as a user runs it, with the terminal's real stderr: what
    the parser's child process writes there itself (a native reader's "memory allocation of …
    failed" and, where RUST_BACKTRACE is set as in this environment, its backtrace) must not
    reach the user; only one Error line per refused file does. CliRunner cannot see this: the
    child writes to file descriptor 2, not to sys.stderr."""
    files = [
        CASES[name].path
        for name in ("xlsx_far_cell_high_limits", "xlsx_shared_string_amplification")
    ]
    env = {
        **os.environ,
        **CASES["xlsx_far_cell_high_limits"].env,
        "HANDOVER_READ_MEMORY_BYTES": str(1536 << 20),
        "HANDOVER_READ_MAX_UNZIPPED_BYTES": str(4 << 30),
        "RUST_BACKTRACE": "1",
    }
    db = copy_db(baseline, tmp_path / "db.duckdb")
    before = sha256(db)
    done = subprocess.run(
        [sys.executable, "-m", "cli", "ingest", "clients", *map(str, files), "--db", str(db)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=tmp_path,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    shown = f"\n--- stderr\n{done.stderr[:4000]}"
    assert done.returncode == 1, shown
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert [line.split(":")[1].strip() for line in lines if line.startswith("Error:")] == [
        f.name for f in files
    ], shown
    stray = [
        line
        for line in lines
        if not line.startswith(("Error:", "  ")) and not SUMMARY_LINE.match(line)
    ]
    assert not stray, f"stray lines on the terminal: {stray[:3]} …{shown}"
    assert sha256(db) == before


def test_the_corpus_writes_no_file_over_1_mb_except_the_generated_giants() -> None:
    """What could be committed stays small; the big ones exist only at test time."""
    big = {c.name for c in CASES.values() if c.path.stat().st_size > 1 << 20}
    assert big <= {"csv_50mb_line_one_cell", "csv_50mb_line_many_fields"}, big
    assert CASES["xlsx_300mb_cell"].path.stat().st_size < 1 << 20


def test_the_baseline_is_not_touched_by_a_refusal(baseline: Path, tmp_path: Path) -> None:
    """The harness itself: the same bytes before and after a refused import (the guard the
    cases rely on), here with a file the product refuses today."""
    before = sha256(baseline)
    outcome = run(CASES["csv_binary_garbage"].spec(), copy_db(baseline, tmp_path / "db.duckdb"))
    assert outcome["exit_code"] == 1
    assert outcome["sha_before"] == before == outcome["sha_after_lib"]


@pytest.mark.parametrize("rows", [2, 400], ids=["mini-stream", "regular-sectors"])
def test_the_cfb_writer_makes_containers_readers_open(tmp_path: Path, rows: int) -> None:
    """tests/hostile/cfb.py, which builds the password-protected cases, writes containers a
    real reader opens: a BIFF workbook wrapped by it reads back as written."""
    from python_calamine import CalamineWorkbook

    from tests.hostile.cfb import write_cfb
    from tests.hostile.make_corpus import xls_bytes

    data = [["客户编号", "企业名称"]] + [[f"KH{i}", "上海甲有限公司"] for i in range(rows)]
    path = tmp_path / "wrapped.xls"
    path.write_bytes(write_cfb({"Workbook": xls_bytes(data), "\x05SummaryInformation": b"x" * 99}))
    book = CalamineWorkbook.from_path(str(path))
    assert book.get_sheet_by_index(0).to_python() == data
