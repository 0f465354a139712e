"""Faults of the database and the file system reach the user as one sentence.

Every fault here is produced for real, never by a mock of DuckDB: a full disk (a tmpfs of a
few megabytes filled to the brim, or, where mounting is refused, RLIMIT_FSIZE in the child
process, which makes writes past the limit fail with EFBIG), a read-only mount, truncated and
bit-flipped database files, a damaged write-ahead log, another product's DuckDB file, a
database of a newer schema, a lock held by another process, a folder that does not exist,
and a file this user may not read (root without its capabilities, via setpriv). For each,
the command exits 1, standard error holds one ``Error: …`` sentence and no traceback, and
the database file is byte for byte what it was.

Mounting needs root (CAP_SYS_ADMIN); the tests that need it skip, saying so, where it is
refused. The RLIMIT_FSIZE variant of the full disk runs everywhere on Linux.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from cli import app
from pipelines.errors import (
    SchemaError,
    StoreBusyError,
    StoreDamagedError,
    StoreFullError,
    StorePathError,
    StoreReadOnlyError,
)
from pipelines.ingest import ingest_file
from pipelines.migrations import LATEST_VERSION
from pipelines.store import Store, describe_process
from tests.conftest import write_csv
from tests.layout import product_files
from tests.test_ingest import HANDOVER_HEADER, HANDOVER_ROW

ROOT = Path(__file__).parents[1]
EVENT_HEADER = ["handover_id", "occurred_at", "event_type", "item_code"]
BLOCK = 262_144  # DuckDB's block size


# -- helpers ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory) -> Path:
    """A database holding the small sample (several blocks of data), built once."""
    from sample_data.loader import load_sample

    path = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    load_sample(Store(path), "small")
    return path


@pytest.fixture
def db(sample_db: Path, tmp_path: Path) -> Path:
    """A private copy of the sample database."""
    copy = tmp_path / "handover.duckdb"
    shutil.copy(sample_db, copy)
    return copy


@pytest.fixture
def events_csv(tmp_path: Path) -> Path:
    rows = [
        [
            f"JJ-{n % 50}",
            f"2026-03-01 {n // 3600:02d}:{n // 60 % 60:02d}:{n % 60:02d}",
            "资料移交",
            "ledgers",
        ]
        for n in range(20_000)
    ]
    return write_csv(tmp_path / "events.csv", [EVENT_HEADER, *rows])


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listing(folder: Path) -> dict[str, str]:
    return {p.name: digest(p) for p in sorted(folder.iterdir()) if p.is_file()}


def invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(app, list(args), env=env)


def one_sentence(stderr: str, *needles: str) -> str:
    """Standard error is exactly one line, ``Error: …``, with every needle in it."""
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    (line,) = lines
    assert line.startswith("Error: "), line
    for needle in needles:
        assert needle in line, line
    return line


def refused(result, *needles: str) -> str:
    assert result.exit_code == 1, (result.exit_code, result.output, result.exception)
    return one_sentence(result.stderr, *needles)


def run_cli(
    *args: str,
    fsize_limit: int | None = None,
    drop_capabilities: bool = False,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """The command in a child process, as a user runs it; optionally with writes limited to
    ``fsize_limit`` bytes per file (EFBIG beyond), or as root without its capabilities."""
    command = [sys.executable, "-m", "cli", *args]
    if drop_capabilities:
        command = ["setpriv", "--bounding-set=-all", "--inh-caps=-all", *command]

    def limit() -> None:
        if fsize_limit is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize_limit, fsize_limit))

    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        preexec_fn=limit,
        env={**os.environ, "HANDOVER_DEBUG": "", **(env or {})},
    )


def child_refused(done: subprocess.CompletedProcess, *needles: str) -> str:
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    return one_sentence(done.stderr, *needles)


def can_mount() -> str | None:
    """Why mounting is impossible here, or None."""
    if os.geteuid() != 0:
        return "mounting a tmpfs needs root"
    if shutil.which("mount") is None:
        return "no mount command"
    return None


@contextlib.contextmanager
def tmpfs(folder: Path, size_kb: int, read_only: bool = False) -> Iterator[Path]:
    """A tmpfs of ``size_kb`` mounted on ``folder``; skips the test when mounting is refused."""
    if reason := can_mount():
        pytest.skip(reason)
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k,mode=0755", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"mount refused: {done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def remount_read_only(folder: Path) -> None:
    done = subprocess.run(
        ["mount", "-o", "remount,ro", str(folder)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"remount read-only refused: {done.stderr.strip()}")


def fill(folder: Path, leave_bytes: int = 0) -> None:
    """Fill the file system of ``folder`` until ``leave_bytes`` are free."""
    info = os.statvfs(folder)
    free = info.f_bavail * info.f_frsize - leave_bytes
    with open(folder / "filler", "wb") as fh:
        chunk = b"\0" * (1 << 20)
        while free > 0:
            try:
                fh.write(chunk[:free])
                fh.flush()
            except OSError:
                break
            free -= len(chunk)
    assert os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize <= max(leave_bytes, 4096)


@pytest.fixture
def full_disk(db: Path, tmp_path: Path) -> Iterator[Path]:
    """The sample database on a tmpfs with no space left."""
    with tmpfs(tmp_path / "full", size_kb=db.stat().st_size // 1024 + 2048) as folder:
        shutil.copy(db, folder / db.name)
        fill(folder)
        yield folder / db.name


# -- 1. a full disk --------------------------------------------------------------------------

DISK_FULL = "No space left on the disk holding"
TOO_LARGE = "File too large"


def test_ingest_on_a_full_disk(full_disk: Path, events_csv: Path):
    before = listing(full_disk.parent)
    result = invoke("ingest", "events", str(events_csv), "--db", str(full_disk))
    refused(result, DISK_FULL, str(full_disk), "nothing was saved")
    assert listing(full_disk.parent) == before


def test_rollback_on_a_full_disk(full_disk: Path):
    before = listing(full_disk.parent)
    refused(invoke("rollback", "1", "--db", str(full_disk)), DISK_FULL, str(full_disk))
    assert listing(full_disk.parent) == before
    assert (
        Store(full_disk)
        .query(  # still readable, and nothing was rolled back
            "select count(*) from batches where rolled_back_at is not null"
        )
        .scalar()
        == 0
    )


def test_check_on_a_full_disk(full_disk: Path):
    """The checks copy the database into a private folder beside it first: on a full disk
    that copy fails, the sentence names the disk's folder, and nothing is left or recorded."""
    before = listing(full_disk.parent)
    refused(
        invoke("check", "--db", str(full_disk)),
        DISK_FULL,
        str(full_disk.parent),
        "nothing was changed",
    )
    assert listing(full_disk.parent) == before
    assert Store(full_disk).query("select count(*) from check_runs").scalar() == 0


def test_check_with_a_full_temporary_folder(db: Path, tmp_path: Path, monkeypatch):
    """The checks' copy of the data is in a private folder beside the database, not in the
    system's shared temporary folder (issue 13): with that folder full, the checks run and
    are recorded, and nothing is written there."""
    with tmpfs(tmp_path / "tmp", size_kb=512) as folder:
        fill(folder, leave_bytes=64 * 1024)
        monkeypatch.setattr(tempfile, "tempdir", str(folder))
        result = invoke("check", "--db", str(db))
        assert result.exit_code in (0, 1) and "No space" not in result.output, result.output
        assert [p.name for p in folder.iterdir()] == ["filler"]
    assert Store(db).query("select count(*) from check_runs").scalar() == 1


def test_a_new_database_on_a_full_disk_is_not_left_behind(tmp_path: Path, events_csv: Path):
    with tmpfs(tmp_path / "full", size_kb=256) as folder:
        fill(folder, leave_bytes=16_384)
        before = listing(folder)
        refused(
            invoke("ingest", "events", str(events_csv), "--db", str(folder / "new.duckdb")),
            DISK_FULL,
            "new.duckdb",
        )
        assert listing(folder) == before


@pytest.mark.parametrize(
    "command",
    [["ingest", "events", "EVENTS"], ["rollback", "1"], ["check"]],
    ids=["ingest", "rollback", "check"],
)
def test_writes_past_the_file_size_limit(db: Path, events_csv: Path, command: list[str]):
    """Without a mount: RLIMIT_FSIZE makes every write past the first byte of a file fail
    with EFBIG (the checks fail on their snapshot beside the database, before the run is
    saved)."""
    before = listing(db.parent)
    args = [str(events_csv) if a == "EVENTS" else a for a in command]
    done = run_cli(*args, "--db", str(db), fsize_limit=1)
    child_refused(done, TOO_LARGE)
    assert listing(db.parent) == before


def test_a_store_write_on_a_full_disk_raises_store_full(full_disk: Path, events_csv: Path):
    before = digest(full_disk)
    with pytest.raises(StoreFullError, match="No space left on the disk holding") as raised:
        ingest_file(Store(full_disk), "events", events_csv)
    assert raised.value.code == "disk_full"
    assert raised.value.params == {"file": str(full_disk)}
    assert digest(full_disk) == before


# -- 2. truncated and corrupted files --------------------------------------------------------


def truncate(db: Path, size: int) -> Path:
    with open(db, "r+b") as fh:
        fh.truncate(size)
    return db


def corrupt_blocks(db: Path) -> Path:
    """Flip 64 bytes inside every data block (the three header blocks stay intact)."""
    data = bytearray(db.read_bytes())
    for block in range(1, len(data) // BLOCK):
        start = block * BLOCK + 12_288 + 1_000
        data[start : start + 64] = bytes(b ^ 0xFF for b in data[start : start + 64])
    db.write_bytes(bytes(data))
    return db


DAMAGED = ["is damaged or truncated", "restore it from a backup"]


@pytest.mark.parametrize("damage", ["truncated", "corrupted", "emptied"])
@pytest.mark.parametrize("command", ["metrics", "ingest"])
def test_a_damaged_database_in_the_cli(db: Path, events_csv: Path, damage: str, command: str):
    {
        "truncated": lambda: truncate(db, db.stat().st_size * 2 // 5),
        "corrupted": lambda: corrupt_blocks(db),
        "emptied": lambda: truncate(db, 0),
    }[damage]()
    before = listing(db.parent)
    args = ["metrics"] if command == "metrics" else ["ingest", "events", str(events_csv)]
    line = refused(invoke(*args, "--db", str(db)), *DAMAGED, str(db))
    detail = {
        "truncated": "bytes long; the data from byte",
        "corrupted": "fails its checksum",
        "emptied": "it is empty: 0 bytes",
    }[damage]
    assert detail in line
    assert listing(db.parent) == before


@pytest.mark.parametrize("damage", ["truncated", "corrupted"])
def test_a_damaged_database_through_the_library(db: Path, events_csv: Path, damage: str):
    (truncate(db, db.stat().st_size * 2 // 5) if damage == "truncated" else corrupt_blocks(db))
    before = digest(db)
    from metrics.figures import compute_figures
    from metrics.selection import Filters

    store = Store(db)
    with pytest.raises(StoreDamagedError, match="is damaged or truncated") as read:
        compute_figures(store, date(2026, 11, 20), Filters())
    assert read.value.code == "db_corrupt" and read.value.params["file"] == str(db)
    with pytest.raises(StoreDamagedError, match="is damaged or truncated"):
        ingest_file(store, "events", events_csv)
    assert digest(db) == before


def test_a_garbage_header_is_not_a_duckdb_database(db: Path):
    data = bytearray(db.read_bytes())
    data[:64] = b"\xff" * 64
    db.write_bytes(bytes(data))
    before = digest(db)
    refused(invoke("metrics", "--db", str(db)), "is not a DuckDB database", str(db))
    refused(invoke("rollback", "1", "--db", str(db)), "is not a DuckDB database")
    assert digest(db) == before


def test_a_write_ahead_log_that_cannot_be_replayed(db: Path):
    with duckdb.connect(str(db)) as conn:  # leave a log behind, then flip bytes in it
        conn.execute("pragma disable_checkpoint_on_shutdown")
        conn.execute("create table scratch as select range as i from range(100000)")
    wal = db.with_name(db.name + ".wal")
    data = bytearray(wal.read_bytes())
    data[200:400] = bytes(b ^ 0xFF for b in data[200:400])
    wal.write_bytes(bytes(data))
    before = listing(db.parent)
    for args in (["metrics"], ["rollback", "1"]):
        line = refused(
            invoke(*args, "--db", str(db)),
            "write-ahead log",
            str(wal),
            "cannot be replayed",
            "restore the database from a backup",
        )
        assert "nothing was changed" in line
    assert listing(db.parent) == before
    with pytest.raises(StoreDamagedError, match="The write-ahead log .* is damaged") as raised:
        Store(db).query("select 1")
    assert raised.value.code == "db_wal_corrupt"


# -- 3. a read-only file system --------------------------------------------------------------


def test_a_database_on_a_read_only_mount(db: Path, tmp_path: Path, events_csv: Path):
    with tmpfs(tmp_path / "ro", size_kb=db.stat().st_size // 1024 + 1024) as folder:
        shutil.copy(db, folder / db.name)
        remount_read_only(folder)
        target = folder / db.name
        before = listing(folder)
        for args in (["ingest", "events", str(events_csv)], ["rollback", "1"], ["check"]):
            refused(
                invoke(*args, "--db", str(target)),
                "is on a read-only file system",
                str(target),
                "nothing could be saved",
            )
        refused(
            invoke("ingest", "events", str(events_csv), "--db", str(folder / "new.duckdb")),
            "read-only file system",
            "new.duckdb",
        )
        ok = invoke("metrics", "--json", "--db", str(target))  # reading still works
        assert ok.exit_code == 0, ok.output
        assert listing(folder) == before
        with pytest.raises(StoreReadOnlyError, match="is on a read-only file system") as raised:
            ingest_file(Store(target), "events", events_csv)
        assert raised.value.code == "read_only_fs"


def test_a_database_this_user_may_not_read_or_write(db: Path, events_csv: Path):
    """Root ignores file modes; root without its capabilities (setpriv) does not."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to drop the capabilities that bypass file modes")
    folder = Path(tempfile.mkdtemp(prefix="handover-perm-"))
    try:
        os.chmod(folder, 0o755)
        target = folder / "other.duckdb"
        shutil.copy(db, target)
        csv = folder / "events.csv"
        shutil.copy(events_csv, csv)
        os.chmod(csv, 0o644)
        for path in (folder, target):
            os.chown(path, 65534, 65534)  # nobody's
        os.chmod(target, 0o644)
        before = listing(folder)
        done = run_cli("ingest", "events", str(csv), "--db", str(target), drop_capabilities=True)
        if done.returncode == 0:
            pytest.skip("setpriv did not drop the capabilities here")
        child_refused(done, "may not write", str(target), "nothing was saved")
        os.chmod(target, 0o600)
        child_refused(
            run_cli("metrics", "--db", str(target), drop_capabilities=True),
            "may not read",
            str(target),
        )
        os.chmod(folder, 0o700)  # a folder this user may not even enter
        for args in (["metrics"], ["batches"], ["ingest", "events", str(events_csv)]):
            child_refused(
                run_cli(*args, "--db", str(target), drop_capabilities=True),
                f"may not read {target}",
            )  # an ingest reads first
        os.chmod(folder, 0o755)
        assert listing(folder) == before
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# -- 4, 5. another product's file; a newer schema --------------------------------------------

COMMANDS = [
    ["metrics"],
    ["batches"],
    ["failures"],
    ["scores"],
    ["ingest", "events", "EVENTS"],
    ["rollback", "1"],
    ["check"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_another_products_duckdb_file_is_refused(
    tmp_path: Path, events_csv: Path, command: list[str]
):
    other = tmp_path / "invoices.duckdb"
    with duckdb.connect(str(other)) as conn:
        conn.execute("create table invoices (id integer, amount decimal(10, 2))")
        conn.execute("insert into invoices values (1, 9.99)")
    before = digest(other)
    args = [str(events_csv) if a == "EVENTS" else a for a in command]
    refused(invoke(*args, "--db", str(other)), str(other), "DuckDB database of something else")
    assert digest(other) == before
    with pytest.raises(SchemaError, match="is a DuckDB database of something else") as raised:
        Store(other).query("select 1")
    assert raised.value.code == "db_foreign"


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_a_database_of_a_newer_release_is_refused_for_reads_and_writes(
    db: Path, events_csv: Path, command: list[str]
):
    with duckdb.connect(str(db)) as conn:
        conn.execute("insert into schema_version values (999, now())")
    before = digest(db)
    args = [str(events_csv) if a == "EVENTS" else a for a in command]
    refused(
        invoke(*args, "--db", str(db)),
        f"was written by a newer release: schema version 999, this program understands "
        f"{LATEST_VERSION}; upgrade handover-insight",
    )
    assert digest(db) == before
    with pytest.raises(
        SchemaError, match="was written by a newer release: schema version 999"
    ) as raised:
        Store(db).query("select 1")
    assert raised.value.code == "db_too_new"
    assert raised.value.params == {"file": str(db), "version": 999, "supported": LATEST_VERSION}


def test_the_schema_check_of_reads_is_cached_until_the_file_changes(db: Path):
    store = Store(db)
    assert store.query("select 1").scalar() == 1
    with duckdb.connect(str(db)) as conn:  # the file changes: checked again
        conn.execute("insert into schema_version values (999, now())")
    with pytest.raises(SchemaError, match="newer release"):
        store.query("select 1")


# -- 6. Data Docs into a folder that cannot be written ---------------------------------------


def test_data_docs_with_a_file_in_the_way(db: Path, tmp_path: Path):
    blocker = tmp_path / "report.txt"
    blocker.write_text("not a folder", encoding="utf-8")
    before = digest(db)
    for docs in (blocker, blocker / "docs"):
        refused(
            invoke("check", "--docs", str(docs), "--db", str(db)),
            f"The Data Docs cannot be written into {docs}",
            f"{blocker} is a file",
            "nothing was recorded",
        )
    assert digest(db) == before


def test_data_docs_on_a_read_only_mount(db: Path, tmp_path: Path):
    with tmpfs(tmp_path / "ro", size_kb=1024) as folder:
        (folder / "existing").mkdir()
        remount_read_only(folder)
        before = digest(db)
        for docs in (folder / "docs", folder / "existing"):
            refused(
                invoke("check", "--docs", str(docs), "--db", str(db)),
                f"cannot be written into {docs}",
                "read-only file system",
            )
        assert digest(db) == before


# -- 7. locks: who holds the file ------------------------------------------------------------

HOLDER = """
import sys, time, duckdb
conn = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "read")
print("open", flush=True)
time.sleep(30)
"""


@contextlib.contextmanager
def holding(db: Path, mode: str, *name: str) -> Iterator[subprocess.Popen]:
    """Another process holding the database open; ``name`` ends its command line, which is
    what /proc/PID/cmdline shows (``handover ingest``, ``streamlit run dashboard/app.py``)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db), mode, *name], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        yield holder
    finally:
        holder.kill()
        holder.wait(timeout=10)


def test_a_writer_holding_the_file_is_named(db: Path):
    before = digest(db)
    with holding(db, "write", "handover", "ingest") as holder:
        env = {"HANDOVER_BUSY_TIMEOUT": "0.5"}
        for args in (["metrics"], ["rollback", "1"]):
            refused(
                invoke(*args, "--db", str(db), env=env),
                f"`handover ingest` (process {holder.pid}) is writing to it",
                "more than 0.5 s",
                "try again when it has finished",
            )
    assert digest(db) == before


def test_a_reader_holding_the_file_is_named(db: Path):
    before = digest(db)
    with holding(db, "read", "-m", "streamlit", "run", "dashboard/app.py") as holder:
        result = invoke("rollback", "1", "--db", str(db), env={"HANDOVER_BUSY_TIMEOUT": "0.5"})
        refused(
            result,
            f"the dashboard (streamlit, process {holder.pid}) has had it open for reading",
            "keeps writers out",
        )
        assert invoke("batches", "--db", str(db)).exit_code == 0  # readers share
        with pytest.raises(
            StoreBusyError, match=rf"process {holder.pid}\) has had it open for reading"
        ) as raised:
            Store(db, busy_timeout=0.2).write(lambda conn: None)
        assert raised.value.code == "db_busy_reader"
        assert raised.value.params["pid"] == holder.pid
    assert digest(db) == before


def test_the_busy_timeout_is_still_waited_for(db: Path):
    with holding(db, "write", "handover", "check"):
        started = time.monotonic()
        with pytest.raises(StoreBusyError, match="`handover check`"):
            Store(db, busy_timeout=1.5).query("select 1")
        assert time.monotonic() - started >= 1.5


def test_processes_are_described_by_their_command_line():
    assert describe_process(None) == "another program"
    assert describe_process(None, "/usr/bin/python3.11") == "python3.11"
    assert describe_process(os.getpid()).startswith(("python", "pytest", "`handover"))
    assert describe_process(2**22 + 1) == "another program"  # no such process


# -- 8. a path that is a folder, or in a folder that does not exist --------------------------


def test_a_database_in_a_folder_that_does_not_exist(tmp_path: Path, events_csv: Path):
    target = tmp_path / "no" / "such" / "folder" / "h.duckdb"
    refused(
        invoke("ingest", "events", str(events_csv), "--db", str(target)),
        f"The folder {tmp_path / 'no'} of {target} does not exist",
    )
    assert not (tmp_path / "no").exists()
    refused(invoke("metrics", "--db", str(target)), f"No database at {target}")
    with pytest.raises(StorePathError, match="does not exist: create it") as raised:
        Store(target).ensure_schema()
    assert raised.value.code == "folder_missing"


def test_a_database_below_a_file(tmp_path: Path, events_csv: Path):
    target = events_csv / "h.duckdb"
    refused(
        invoke("ingest", "events", str(events_csv), "--db", str(target)),
        f"{events_csv} is a file, not a folder",
    )


def test_a_database_path_that_is_a_folder(tmp_path: Path, events_csv: Path):
    for args in (["metrics"], ["ingest", "events", str(events_csv)], ["rollback", "1"]):
        refused(invoke(*args, "--db", str(tmp_path)), f"{tmp_path} is a folder")
        refused(invoke(*args, env={"HANDOVER_DB": str(tmp_path)}), "is a folder")
    with pytest.raises(StorePathError, match="is a folder, not a database file") as raised:
        Store(tmp_path).query("select 1")
    assert raised.value.code == "path_is_folder"


# -- what users type is never markup ---------------------------------------------------------


def test_file_names_and_cells_are_printed_as_written(tmp_path: Path):
    odd = write_csv(tmp_path / "[bold]x.csv", [["a", "[/]"], ["1", "2"]])
    result = invoke("ingest", "handovers", str(odd), "--db", str(tmp_path / "h.duckdb"))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "[bold]x.csv is not a handovers file" in result.stderr
    assert "has: a, [/]." in result.stderr

    db = str(tmp_path / "h.duckdb")
    row = ["[red]JJ-1[/]", *HANDOVER_ROW[1:]]
    good = write_csv(tmp_path / "[bold]y.csv", [HANDOVER_HEADER, row])
    assert invoke("ingest", "handovers", str(good), "--db", db).exit_code == 0
    listed = invoke("batches", "--db", db)
    assert listed.exit_code == 0 and "[bold]y.csv" in listed.stdout
    scores = invoke("scores", "--as-of", "2026-11-20", "--db", db)
    assert scores.exit_code == 0 and "[red]JJ-1[/]" in scores.stdout


# -- 5 (item): files this program creates are the owner's only --------------------------------


def test_a_new_database_and_its_log_are_private(tmp_path: Path, events_csv: Path):
    db = tmp_path / "new.duckdb"
    assert invoke("ingest", "events", str(events_csv), "--db", str(db)).exit_code == 0
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    store = Store(tmp_path / "other.duckdb")
    store.ensure_schema()
    with store.connect(read_only=False) as conn:
        conn.execute("create table scratch (i integer)")  # commits: the log is written
        wal = store.path.with_name(store.path.name + ".wal")
        assert wal.exists() and stat.S_IMODE(wal.stat().st_mode) == 0o600


def test_an_existing_databases_mode_is_kept(db: Path, events_csv: Path):
    os.chmod(db, 0o640)
    assert invoke("ingest", "events", str(events_csv), "--db", str(db)).exit_code == 0
    assert stat.S_IMODE(db.stat().st_mode) == 0o640


def test_data_docs_are_private(db: Path, tmp_path: Path):
    docs = tmp_path / "new" / "docs"
    result = invoke("check", "--docs", str(docs), "--as-of", "2026-11-20", "--db", str(db))
    assert result.exit_code == 0, result.output
    assert (docs / "index.html").exists()
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700
    for path in [docs, *docs.rglob("*")]:
        wanted = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == wanted, path


# -- the edge of the command line ------------------------------------------------------------


def test_an_os_error_at_the_edge_is_a_sentence(db: Path, tmp_path: Path):
    with tmpfs(tmp_path / "ro", size_kb=1024) as folder:
        remount_read_only(folder)
        result = invoke(
            "demo", "--keep", str(folder / "files"), "--db", str(tmp_path / "fresh.duckdb")
        )
        refused(
            result,
            str(folder / "files"),
            "read-only file system",
            "choose a folder on a writable disk",
        )


def test_an_unexpected_error_is_a_sentence_with_a_log(db: Path, monkeypatch):
    batches_cli = sys.modules["cli.batches"]

    def broken(store):
        raise RuntimeError("boom [/]")

    monkeypatch.setattr(batches_cli, "list_batches", broken)
    monkeypatch.setenv("HANDOVER_DEBUG", "0")
    line = refused(
        invoke("batches", "--db", str(db)), "unexpected error (RuntimeError: boom [/]); details in "
    )
    log = Path(line.split("details in ")[1].split(". Please")[0])
    try:
        assert "Traceback" in log.read_text(encoding="utf-8")
        assert stat.S_IMODE(log.stat().st_mode) == 0o600
    finally:
        log.unlink()
    monkeypatch.setenv("HANDOVER_DEBUG", "1")  # and with it, the traceback
    assert isinstance(invoke("batches", "--db", str(db)).exception, RuntimeError)


def test_only_the_store_classifies_duckdb_errors():
    """One place maps DuckDB's errors: no module matches on DuckDB's message texts."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in product_files(".py")
        if "No space left on device" in path.read_text(encoding="utf-8")
        and path != ROOT / "pipelines" / "store.py"
    ]
    assert offenders == []


def test_the_locale_has_a_line_for_every_fault_code():
    import re
    import tomllib

    catalogue = tomllib.loads(
        (ROOT / "dashboard" / "locales" / "errors.toml").read_text(encoding="utf-8")
    )["errors"]
    sources = (
        (ROOT / "pipelines" / "store.py").read_text(encoding="utf-8")
        + (ROOT / "data_checks" / "runner.py").read_text(encoding="utf-8")
        + (ROOT / "cli" / "common.py").read_text(encoding="utf-8")
    )
    codes = set(re.findall(r'code="([a-z_]+)"', sources))
    assert codes and codes <= set(catalogue), codes - set(catalogue)
    for code in codes:
        assert set(catalogue[code]) == {"zh", "en"}, code
        assert "handover " not in catalogue[code]["zh"] + catalogue[code]["en"], code
        assert "--" not in catalogue[code]["zh"] + catalogue[code]["en"], code
