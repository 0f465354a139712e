"""`handover backup` and `handover restore` (cli/backup.py): a restored sample gives
the same `metrics --json` and `failures --json` byte for byte; refusals are one sentence and
exit 1; `kill -9` of either command half-way leaves no complete-looking backup, no restored
file that is not whole, and the database intact."""

from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from pipelines import backup as bk
from pipelines.accounts import add_user
from pipelines.migrations import LATEST_VERSION
from pipelines.store import Store, wal_path
from tests.test_backup import backups_in, counts, leftovers, older_database, sha
from tests.test_faults import refused, run_cli, tmpfs

ROOT = Path(__file__).parents[1]
ENV = {"HANDOVER_CONFIG": "none"}


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    """The small sample with a check run, as `handover demo` and `handover check` leave it."""
    db = tmp_path_factory.mktemp("cli_backup") / "sample.duckdb"
    runner = CliRunner()
    loaded = runner.invoke(app, ["demo", "--db", str(db)])
    assert loaded.exit_code == 0, loaded.output
    checked = runner.invoke(app, ["check", "--db", str(db)], env=ENV)
    assert checked.exit_code in (0, 1), checked.output
    return db


@pytest.fixture
def db(sample, tmp_path) -> Path:
    copy = tmp_path / "handover.duckdb"
    shutil.copyfile(sample, copy)
    return copy


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), env=ENV)


def ok(*args: str):
    result = invoke(*args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def test_a_restored_sample_gives_the_same_metrics_and_failures_byte_for_byte(db, tmp_path):
    written = ok("backup", "--json", "--db", str(db))
    report = json.loads(written.stdout)
    folder = Path(report["folder"])
    assert folder.parent == tmp_path / "backups"  # beside the database
    restored = tmp_path / "restored.duckdb"
    ok("restore", str(folder), "--to", str(restored))
    for command in (["metrics", "--json", "--as-of", "2026-11-20"], ["failures", "--json"]):
        original = ok(*command, "--db", str(db)).stdout
        again = ok(*command, "--db", str(restored)).stdout
        assert again == original and len(original) > 500, command


def test_backup_and_restore_say_what_they_wrote(db, tmp_path):
    result = ok("backup", str(tmp_path / "out"), "--db", str(db))
    (folder,) = backups_in(tmp_path / "out")
    rows, tables = sum(counts(db).values()), len(counts(db))
    assert (
        f"Backup written to {folder}: {tables} tables, {rows:,} rows, {tables + 2} files, "
        in result.stdout
    )  # a Parquet file per table, schema.sql and load.sql
    assert "raw_events" in result.stdout and "7,223" in result.stdout

    done = ok("restore", str(folder), "--to", str(tmp_path / "new.duckdb"))
    assert (
        f"Restored {folder} to {tmp_path / 'new.duckdb'}: {tables} tables, {rows:,} rows, "
        in done.stdout
    )
    again = json.loads(
        ok(
            "restore", str(folder), "--to", str(tmp_path / "new.duckdb"), "--replace", "--json"
        ).stdout
    )
    assert again["tables"] == counts(db) and again["upgraded"] is False
    assert again["kept"].startswith(str(tmp_path / "new.duckdb.before-restore-"))
    assert Path(again["kept"]).exists()


def test_a_backup_of_an_older_schema_is_restored_with_a_sentence_saying_so(tmp_path):
    old = older_database(tmp_path / "old.duckdb")
    ok("backup", str(tmp_path / "out"), "--db", str(old))
    (folder,) = backups_in(tmp_path / "out")
    done = ok("restore", str(folder), "--to", str(tmp_path / "new.duckdb"))
    assert (
        f"The backup held schema version {LATEST_VERSION - 1}; the restored database was "
        f"upgraded to version {LATEST_VERSION}." in done.stdout
    )
    assert (
        Store(tmp_path / "new.duckdb").query("select max(version) from schema_version").scalar()
        == LATEST_VERSION
    )


def test_restore_over_an_existing_database_is_one_sentence_and_changes_nothing(db, tmp_path):
    ok("backup", str(tmp_path / "out"), "--db", str(db))
    (folder,) = backups_in(tmp_path / "out")
    before = sha(db)
    refused(
        invoke("restore", str(folder), "--to", str(db)),
        f"{db} already exists and was left as it is",
        "--replace",
    )
    assert sha(db) == before and leftovers(tmp_path, db.name) == []


def test_damaged_and_foreign_backups_are_one_sentence_each(db, tmp_path):
    ok("backup", str(tmp_path / "out"), "--db", str(db))
    (folder,) = backups_in(tmp_path / "out")
    target = str(tmp_path / "new.duckdb")
    refused(
        invoke("restore", str(tmp_path), "--to", target),
        "is not a handover-insight backup (it has no manifest.json)",
    )
    (folder / "users.parquet").unlink()
    refused(
        invoke("restore", str(folder), "--to", target), "is incomplete: users.parquet is missing"
    )
    assert not Path(target).exists()


def test_only_an_administrator_may_back_up(db, tmp_path):
    add_user(Store(db), "quinn", "correct horse battery staple", "quality")
    refused(
        invoke("--as", "quinn", "backup", str(tmp_path / "out"), "--db", str(db)),
        "quinn (quality) may not back up the database: only an administrator may",
    )
    assert not (tmp_path / "out").exists()


def test_keep_2_after_three_backups_leaves_the_two_newest(db, tmp_path):
    out = str(tmp_path / "out")
    for _ in range(2):
        ok("backup", out, "--db", str(db))
    first, second = backups_in(tmp_path / "out")
    result = ok("backup", out, "--keep", "2", "--db", str(db))
    assert f"Removed the older backup {first} (--keep 2)." in result.stdout
    remaining = backups_in(tmp_path / "out")
    assert len(remaining) == 2 and remaining[0] == second and first not in remaining
    assert invoke("backup", out, "--keep", "0", "--db", str(db)).exit_code == 2  # usage


def test_a_full_disk_is_one_sentence_and_leaves_no_backup(db, tmp_path):
    before = counts(db)
    with tmpfs(tmp_path / "small", 160) as folder:
        done = run_cli("backup", str(folder), "--db", str(db))
        assert done.returncode == 1
        assert done.stderr.startswith("Error: No space left on the disk holding")
        assert len(done.stderr.strip().splitlines()) == 1
        assert list(folder.iterdir()) == []
    assert counts(db) == before


# -- kill -9 half-way -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big(sample, tmp_path_factory) -> tuple[Path, Path]:
    """(database, a backup of it): the sample with 1.8M event rows (each copied 256 times),
    so that writing a backup or restoring one takes seconds, long enough to be killed in."""
    folder = tmp_path_factory.mktemp("cli_backup_big")
    db = folder / "big.duckdb"
    shutil.copyfile(sample, db)

    def grow(conn) -> None:
        for _ in range(8):
            conn.execute("insert into raw_events select * from raw_events")

    Store(db).write(grow)
    return db, bk.backup(Store(db), folder / "backups").folder


def _killed(args: list[str], begun, delay: float) -> int | None:
    """Run `handover ARGS` in a child; once ``begun()`` says it has begun writing, wait
    ``delay`` s and kill -9 it. Its exit status if it finished first, else None."""
    child = subprocess.Popen(
        [sys.executable, "-m", "cli", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while child.poll() is None and not begun() and time.monotonic() < deadline:
        time.sleep(0.005)
    try:
        return child.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        child.send_signal(signal.SIGKILL)
        child.wait()
        return None


def test_kill_9_during_backup_leaves_no_complete_looking_backup(big, tmp_path):
    db, _ = big
    before, before_bytes = counts(db), sha(db)
    folder = tmp_path / "backups"
    folder.mkdir()
    chance = random.Random(13)
    killed = 0
    for _ in range(5):
        status = _killed(
            ["backup", str(folder), "--db", str(db)],
            lambda: any(p.name.startswith(".partial-") for p in folder.iterdir()),
            chance.uniform(0, 1.5),
        )
        killed += status is None
        for backup in backups_in(folder):  # whatever looks like a backup is a whole one
            manifest = bk.verify(backup)
            assert {n: t["rows"] for n, t in manifest["tables"].items()} == before
        assert sha(db) == before_bytes and not wal_path(db).exists()
    assert counts(db) == before
    partials = [p for p in folder.iterdir() if p.name.startswith(".partial-")]
    time.sleep(0.1)
    report = bk.backup(Store(db), folder)
    assert sorted(report.partials_removed) == sorted(partials)
    assert [p.name for p in folder.iterdir() if p.name.startswith(".partial-")] == []
    print(f"{killed} of 5 backups killed; {len(partials)} partial folders left and removed")


def test_kill_9_during_restore_leaves_no_partial_database(big, tmp_path):
    db, backup = big
    wanted = counts(db)
    old = tmp_path / "old.duckdb"
    shutil.copyfile(db, old)
    Store(old).write(lambda conn: conn.execute("delete from raw_events where batch_id = 3"))
    old_bytes = sha(old)
    chance = random.Random(7)
    outcomes = []
    for _ in range(4):
        target = tmp_path / "new.duckdb"
        status = _killed(
            ["restore", str(backup), "--to", str(target)],
            lambda target=target: leftovers(tmp_path, target.name) != [],
            chance.uniform(0, 4.5),
        )
        outcomes.append(("new", status, target.exists()))
        if target.exists():  # renamed into place: whole
            assert status in (0, None) and counts(target) == wanted
            target.unlink()
        status = _killed(
            ["restore", str(backup), "--to", str(old), "--replace"],
            lambda: leftovers(tmp_path, old.name) != [],
            chance.uniform(0, 4.5),
        )
        kept = sorted(
            p for p in tmp_path.glob("old.duckdb.before-restore-*") if not p.name.endswith(".wal")
        )
        if sha(old) != old_bytes:  # replaced: by the whole backup, the old file kept
            assert counts(old) == wanted and kept and sha(kept[-1]) == old_bytes
            shutil.copyfile(kept[-1], old)
        outcomes.append(("replace", status, bool(kept)))
        for path in tmp_path.glob("old.duckdb.before-restore-*"):
            path.unlink()
        assert sha(old) == old_bytes
    print(f"restores: {outcomes}")
    bk.restore(backup, tmp_path / "final.duckdb")
    bk.restore(backup, old, replace=True)
    assert leftovers(tmp_path, "final.duckdb") == [] and leftovers(tmp_path, "old.duckdb") == []
    assert counts(old) == wanted
