"""Running one corpus case against a loaded database, the way a user meets it.

``run(spec, db)`` runs ``handover ingest KIND FILE --db DB`` (``typer.testing.CliRunner`` on
``cli:app``), then, unless the case loads, the library call (``ingest_file`` or
``ingest_feedback``) on the same database, and records what happened: exit status, stdout,
stderr, an unhandled exception's traceback, the library's error (type, code, params,
problems) and the SHA-256 of the database file before and after each step.

A case that may exhaust memory or abort the interpreter (a native reader asked for a 17
billion-cell sheet aborts the process: there is no exception to catch) can run in a child
process, ``python -m tests.hostile.harness run SPEC DB OUT``, whose address space is capped
(``run_isolated``), so that a test session survives a product that does not isolate its
readers. The product parses files in a limited child of its own (pipelines/sandbox.py), so the
tests run every case in their own process unless HOSTILE_ISOLATE=1 asks for the child (about
7 s more per case: a fresh interpreter and the product's fork server).

``python -m tests.hostile.harness baseline FOLDER`` writes and loads the small valid
clients / handovers / events / feedback set that every case starts from; it runs in its own
process, which ends before any case runs, so no write-ahead log is pending on the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHILD_ADDRESS_SPACE = 8 << 30  # the isolated runner; the product's own parser child is lower
CHILD_TIMEOUT = 150  # s
IN_PROCESS_TIMEOUT = 90  # s

BASELINE = {
    "clients": (
        "clients.csv",
        [
            ["客户编号", "企业名称", "统一社会信用代码", "联系人", "联系电话"],
            ["KH001", "上海甲科技有限公司", "91310115MA1K3X2Y4N", "张三", "13812345678"],
            ["KH002", "上海乙贸易有限公司", "91310104MA1FL5LX3D", "王五", "+86 139-0000-1111"],
            ["KH003", "上海丙咨询有限公司", "", "赵六", ""],
        ],
    ),
    "handovers": (
        "handovers.csv",
        [
            ["交接单号", "客户编号", "移交人", "接收人", "实际完成时间"],
            ["JJ-1", "KH001", "李四", "钱七", "2026-03-01 17:00"],
            ["JJ-2", "KH002", "李四", "钱七", "2026-03-05 17:00"],
            ["JJ-3", "KH003", "李四", "钱七", ""],
        ],
    ),
    "events": (
        "events.csv",
        [
            ["交接单号", "发生时间", "事件类型", "清单项目", "操作人"],
            ["JJ-1", "2026-03-01 10:00", "资料移交", "营业执照", "李四"],
            ["JJ-1", "2026-03-01 11:00", "核对通过", "营业执照", "钱七"],
        ],
    ),
    "feedback": (
        "feedback.csv",
        [
            ["client_id", "submitted_at", "overall_satisfaction", "recommend_score", "comment"],
            ["KH001", "2026-03-05 10:00", "5", "9", "交接顺利"],
        ],
    ),
}


def sha256(path: Path) -> str | None:
    path = Path(path)
    if not path.exists():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


def wal_of(db: Path) -> Path:
    return Path(str(db) + ".wal")


def load_baseline(folder: Path) -> Path:
    """Write the baseline files into ``folder`` and load them into ``folder/baseline.duckdb``
    (in this process: call it through ``make_baseline``)."""
    from typer.testing import CliRunner

    from cli import app
    from tests.hostile.make_corpus import csv_bytes

    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "baseline.duckdb"
    runner = CliRunner()
    for kind, (name, rows) in BASELINE.items():
        path = folder / name
        path.write_bytes(csv_bytes(rows))
        result = runner.invoke(app, ["ingest", kind, str(path), "--db", str(db)])
        if result.exit_code != 0:
            raise RuntimeError(f"baseline {kind}: {result.output}{result.exception!r}")
    return db


def start_baseline(folder: Path) -> subprocess.Popen:
    """Begin loading the baseline in a process of its own (see ``finish_baseline``)."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.hostile.harness", "baseline", str(folder)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish_baseline(process: subprocess.Popen, folder: Path) -> Path:
    """The baseline database, loaded by a process that has ended."""
    out, err = process.communicate(timeout=300)
    if process.returncode != 0:
        raise RuntimeError(f"baseline failed:\n{out}\n{err}")
    db = folder / "baseline.duckdb"
    assert db.exists() and not wal_of(db).exists(), "the baseline left a write-ahead log"
    return db


def make_baseline(folder: Path) -> Path:
    return finish_baseline(start_baseline(folder), folder)


def copy_db(baseline: Path, target: Path) -> Path:
    shutil.copyfile(baseline, target)
    return target


def _problem_list(error: BaseException) -> list[dict]:
    return [
        {"row": p.row, "column": p.column, "text": str(p)}
        for p in getattr(error, "problems", None) or []
    ]


class _Timeout(Exception):
    pass


def run(spec: dict, db: Path) -> dict:
    """Run a case in this process (see the module's docstring); returns the record."""
    from typer.testing import CliRunner

    from cli import app
    from pipelines.errors import HandoverError

    db = Path(db)
    record: dict = {"sha_before": sha256(db), "crash": None, "lib": None}
    saved = {k: os.environ.get(k) for k in spec["env"]}
    os.environ.update(spec["env"])

    def on_alarm(signum, frame):
        raise _Timeout(f"still running after {IN_PROCESS_TIMEOUT} s")

    previous = signal.signal(signal.SIGALRM, on_alarm) if _main_thread() else None
    if previous is not None:
        signal.alarm(IN_PROCESS_TIMEOUT)
    try:
        started = time.monotonic()
        result = CliRunner().invoke(
            app, ["ingest", spec["kind"], spec["path"], "--db", str(db), *spec["args"]]
        )
        record["seconds"] = round(time.monotonic() - started, 2)
        record.update(exit_code=result.exit_code, stdout=result.stdout, stderr=result.stderr)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            record["crash"] = "".join(traceback.format_exception(*result.exc_info))
        record["sha_after_cli"] = sha256(db)
        if spec["library"]:
            record["lib"] = _library_call(spec, db, HandoverError)
        record["sha_after_lib"] = sha256(db)
        record["wal_left"] = wal_of(db).exists()
    finally:
        if previous is not None:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return record


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _library_call(spec: dict, db: Path, handover_error: type) -> dict:
    from pipelines.store import Store

    store = Store(db, busy_timeout=20)
    path = Path(spec["path"])
    try:
        if spec["kind"] == "feedback":
            from pipelines.feedback.ingest import ingest_feedback

            ingest_feedback(store, path, **spec["options"])
        else:
            from pipelines.ingest import ingest_file

            ingest_file(store, spec["kind"], path, **spec["options"])
    except (KeyboardInterrupt, _Timeout):
        raise
    except BaseException as error:  # noqa: BLE001 - calamine panics are BaseExceptions
        return {
            "raised": type(error).__name__,
            "handover": isinstance(error, handover_error),
            "code": getattr(error, "code", None),
            "params": {k: str(v) for k, v in (getattr(error, "params", None) or {}).items()},
            "message": str(error)[:2000],
            "problems": _problem_list(error),
            "traceback": None
            if isinstance(error, handover_error)
            else "".join(traceback.format_exception(error))[-4000:],
        }
    return {
        "raised": None,
        "handover": False,
        "code": None,
        "params": {},
        "message": "",
        "problems": [],
        "traceback": None,
    }


def run_isolated(spec: dict, db: Path, work: Path) -> dict:
    """Run a case in a child process with a capped address space; a crash of the child
    (a signal, a timeout) is recorded as the case's crash."""
    work.mkdir(parents=True, exist_ok=True)
    spec_file, out_file = work / "spec.json", work / "outcome.json"
    spec_file.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    out_file.unlink(missing_ok=True)
    sha_before = sha256(db)
    started = time.monotonic()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.hostile.harness",
            "run",
            str(spec_file),
            str(db),
            str(out_file),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    # capped as it starts (it spends its first second importing, well under the cap)
    resource.prlimit(process.pid, resource.RLIMIT_AS, (CHILD_ADDRESS_SPACE, CHILD_ADDRESS_SPACE))
    try:
        out, err = process.communicate(timeout=CHILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        return {
            "sha_before": sha_before,
            "crash": f"timed out after {CHILD_TIMEOUT} s",
            "exit_code": None,
            "stdout": "",
            "stderr": err.decode(errors="replace")[-3000:],
            "lib": None,
            "sha_after_cli": sha256(db),
            "sha_after_lib": sha256(db),
            "wal_left": wal_of(db).exists(),
        }
    if process.returncode != 0 or not out_file.exists():
        how = (
            f"killed by signal {signal.Signals(-process.returncode).name}"
            if process.returncode < 0
            else f"exit status {process.returncode}"
        )
        return {
            "sha_before": sha_before,
            "crash": f"the process running the case died ({how}) after "
            f"{time.monotonic() - started:.1f} s:\n"
            + (err.decode(errors="replace")[-3000:] or "(no output)"),
            "exit_code": None,
            "stdout": out.decode(errors="replace")[-2000:],
            "stderr": err.decode(errors="replace")[-3000:],
            "lib": None,
            "sha_after_cli": sha256(db),
            "sha_after_lib": sha256(db),
            "wal_left": wal_of(db).exists(),
        }
    return json.loads(out_file.read_text(encoding="utf-8"))


def main(argv: list[str]) -> int:
    if argv[:1] == ["baseline"] and len(argv) == 2:
        load_baseline(Path(argv[1]))
        return 0
    if argv[:1] == ["run"] and len(argv) == 4:
        spec = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
        record = run(spec, Path(argv[2]))
        Path(argv[3]).write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        sys.stdout.flush()
        os._exit(0)  # the product's reader processes are not ours to wait for
    print(
        "usage: python -m tests.hostile.harness baseline FOLDER | run SPEC DB OUT", file=sys.stderr
    )
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
