"""Backups and restores (pipelines/backup.py, issue 13 part 2): a restore holds every row of
the backup; a backup taken while another process imports holds whole batches; damaged,
foreign, newer backups and existing targets are refused with nothing written; a full disk
leaves no backup and the database intact; --keep rotates."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from pipelines import backup as bk
from pipelines.access import Actor
from pipelines.errors import PermissionDeniedError
from pipelines.migrations import LATEST_VERSION, migrations
from pipelines.store import Store, wal_path

ROOT = Path(__file__).parents[1]


# -- the sample, loaded once ------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[Path, Path]:
    """(database, folder of its import files): the small sample, with a check run."""
    folder = tmp_path_factory.mktemp("backup_sample")
    db, files = folder / "sample.duckdb", folder / "files"
    runner = CliRunner()
    loaded = runner.invoke(app, ["demo", "--keep", str(files), "--db", str(db)])
    assert loaded.exit_code == 0, loaded.output
    checked = runner.invoke(app, ["check", "--db", str(db)], env={"HANDOVER_CONFIG": "none"})
    assert checked.exit_code in (0, 1), checked.output  # 1: some checks fail on the sample
    assert not wal_path(db).exists()
    return db, files


@pytest.fixture
def db(sample, tmp_path) -> Path:
    """A copy of the sample database of the test's own."""
    copy = tmp_path / "handover.duckdb"
    shutil.copyfile(sample[0], copy)
    return copy


def tables_of(path: Path) -> list[str]:
    return [
        row[0]
        for row in Store(path)
        .query(
            "select table_name from duckdb_tables() where schema_name = 'main' order by table_name"
        )
        .rows
    ]


def contents(path: Path) -> dict[str, list[tuple]]:
    """Every table's rows, sorted, as Python values."""
    store = Store(path)
    return {
        name: sorted(store.query(f'select * from "{name}"').rows, key=repr)
        for name in tables_of(path)
    }


def counts(path: Path) -> dict[str, int]:
    store = Store(path)
    return {
        name: store.query(f'select count(*) from "{name}"').scalar() for name in tables_of(path)
    }


def next_values(path: Path) -> dict[str, int]:
    """What each sequence gives next, asked of a throwaway copy (the catalogue's last_value
    after a reopen is not the value last given on every DuckDB release)."""
    probe = path.with_name(path.name + ".probe")
    shutil.copyfile(path, probe)
    try:
        with Store(probe).connect(read_only=False, data_change=False) as conn:
            names = [
                r[0]
                for r in conn.execute(
                    "select sequence_name from duckdb_sequences() order by 1"
                ).fetchall()
            ]
            return {
                name: conn.execute(f"select nextval('{name}')").fetchall()[0][0] for name in names
            }
    finally:
        for leftover in (probe, probe.with_name(probe.name + ".wal")):
            leftover.unlink(missing_ok=True)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def backups_in(folder: Path) -> list[Path]:
    """Everything in ``folder`` named like a complete backup."""
    return sorted(p for p in folder.iterdir() if bk.BACKUP_NAME.match(p.name))


def leftovers(folder: Path, name: str) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(f".{name}.restore"))


# -- a backup and its restore -----------------------------------------------------------------


def test_restore_holds_every_row_of_every_table_and_the_sequences(db, tmp_path):
    report = bk.backup(Store(db), tmp_path / "backups")
    assert report.folder.parent == tmp_path / "backups"
    assert bk.BACKUP_NAME.match(report.folder.name)
    assert report.tables == counts(db) and report.rows > 7000

    restored = bk.restore(report.folder, tmp_path / "restored.duckdb")
    assert restored.tables == report.tables and not restored.upgraded and restored.kept is None
    assert contents(tmp_path / "restored.duckdb") == contents(db)
    assert next_values(tmp_path / "restored.duckdb") == next_values(db)
    for view in (
        "stg_clients",
        "stg_handovers",
        "stg_events",
        "stg_feedback",
        "feedback_responses",
    ):
        assert (
            Store(tmp_path / "restored.duckdb").query(f"select count(*) from {view}").rows
            == Store(db).query(f"select count(*) from {view}").rows
        )
    assert leftovers(tmp_path, "restored.duckdb") == []
    assert os.stat(tmp_path / "restored.duckdb").st_mode & 0o077 == 0


def test_the_manifest_says_what_the_backup_holds(db, tmp_path):
    report = bk.backup(Store(db), tmp_path)
    manifest = json.loads((report.folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == bk.FORMAT and manifest["format_version"] == 1
    assert manifest["schema_version"] == manifest["latest_schema_version"] == LATEST_VERSION
    assert {name: t["rows"] for name, t in manifest["tables"].items()} == counts(db)
    assert manifest["source"] == "handover.duckdb" and manifest["product_version"]
    assert manifest["created_at"].endswith("Z") and report.folder.name.endswith(
        manifest["created_at"][:19].replace("-", "").replace(":", "") + "Z"
    )
    on_disk = sorted(p.name for p in report.folder.iterdir() if p.name != "manifest.json")
    assert sorted(manifest["files"]) == on_disk
    for name, info in manifest["files"].items():
        assert info == {
            "sha256": sha(report.folder / name),
            "bytes": (report.folder / name).stat().st_size,
        }
    assert report.bytes == sum(info["bytes"] for info in manifest["files"].values())
    for path in [report.folder, *report.folder.iterdir()]:  # every client's data: owner only
        assert path.stat().st_mode & 0o077 == 0, path
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".partial")] == []


def test_a_backup_taken_while_another_process_imports_holds_whole_batches(sample, tmp_path):
    """`handover ingest` of the sample's files runs in another process while backups are
    taken one after another; every backup restores to batches that hold all their rows,
    and no row of a batch the backup lacks."""
    files = sample[1]
    db = tmp_path / "live.duckdb"
    folder = tmp_path / "backups"
    feedback = sorted(
        p
        for p in files.iterdir()
        if p.suffix in (".csv", ".xlsx")
        and p.name not in ("clients.xlsx", "handovers.csv", "events.csv")
    )
    script = " && ".join(
        f"{sys.executable} -m cli ingest {kind} {' '.join(map(str, paths))} --no-checks --db {db}"
        for kind, paths in (
            ("clients", [files / "clients.xlsx"]),
            ("handovers", [files / "handovers.csv"]),
            ("events", [files / "events.csv"]),
            ("feedback", feedback),
        )
    )
    importer = subprocess.Popen(
        ["sh", "-c", script], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    taken = []
    try:
        while importer.poll() is None:
            if db.exists():
                try:
                    taken.append(bk.backup(Store(db, busy_timeout=60), folder).folder)
                except bk.BackupError:  # a blank file the importer is creating
                    pass
            time.sleep(0.4)  # let the importer go on between backups
    finally:
        _, errors = importer.communicate(timeout=300)
    assert importer.returncode == 0, errors
    final = bk.backup(Store(db), folder).folder  # after the last import: the whole file
    taken.append(final)
    states = {}  # one backup of each state the manifests tell apart (rows per table)
    for backup in taken:
        manifest = bk.read_manifest(backup)
        states.setdefault(json.dumps(manifest["tables"], sort_keys=True), backup)
    assert len(states) >= 2
    taken = list(states.values())
    for number, backup in enumerate(taken):
        restored = tmp_path / f"restored-{number}.duckdb"
        bk.restore(backup, restored)
        store = Store(restored)
        batches = store.query(
            "select batch_id, kind, count_rows_added + count_rows_updated "
            "from batches where action = 'import' order by 1"
        ).rows
        rows = dict(
            store.query(
                "select batch_id, count(*) from (select batch_id from raw_clients union all "
                "select batch_id from raw_handovers union all select batch_id from raw_events "
                "union all select batch_id from raw_feedback) group by 1"
            ).rows
        )
        assert set(rows) <= {batch for batch, _, _ in batches}, backup
        for batch, kind, written in batches:
            assert rows.get(batch, 0) == written, (backup, batch, kind)
    # the backup taken after the importer ended holds the file as it is (an earlier backup
    # with the same rows per table may predate a later write to a batch's own row)
    bk.restore(final, tmp_path / "restored-final.duckdb")
    last = Store(tmp_path / "restored-final.duckdb")
    assert last.query("select count(*) from batches").scalar() == 8
    assert contents(tmp_path / "restored-final.duckdb") == contents(db)


# -- refused ----------------------------------------------------------------------------------


@pytest.fixture
def taken(db, tmp_path) -> Path:
    return bk.backup(Store(db), tmp_path / "backups").folder


def test_restore_over_an_existing_file_is_refused_and_leaves_it(taken, tmp_path):
    existing = tmp_path / "other.duckdb"
    existing.write_bytes(b"not touched")
    with pytest.raises(
        bk.BackupError,
        match=r"other\.duckdb already exists and was left as "
        r"it is.*--replace",
    ):
        bk.restore(taken, existing)
    assert existing.read_bytes() == b"not touched"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "backups",
        "handover.duckdb",
        "other.duckdb",
    ]


def test_replace_keeps_the_old_file_and_changes_the_data_version(taken, tmp_path, sample):
    target = tmp_path / "target.duckdb"
    bk.restore(taken, target)
    Store(target).write(lambda conn: conn.execute("delete from raw_events"))
    before_bytes, before_counts = sha(target), counts(target)
    assert before_counts["raw_events"] == 0
    version = Store(target).data_version()

    report = bk.restore(taken, target, replace=True)
    assert report.kept is not None and report.kept.name.startswith("target.duckdb.before-restore-")
    assert sha(report.kept) == before_bytes and counts(report.kept) == before_counts
    assert counts(target) == counts(sample[0])
    assert Store(target).data_version() != version
    assert leftovers(tmp_path, "target.duckdb") == []


def test_replace_moves_the_old_files_write_ahead_log_with_it(taken, tmp_path):
    target = tmp_path / "target.duckdb"
    bk.restore(taken, target)
    wal_path(target).write_bytes(b"the old file's log")
    report = bk.restore(taken, target, replace=True)
    assert wal_path(report.kept).read_bytes() == b"the old file's log"
    assert not wal_path(target).exists()
    assert counts(target)["raw_events"] > 0


def test_a_target_that_is_a_folder_or_in_no_folder_is_refused(taken, tmp_path):
    with pytest.raises(bk.BackupError, match=r"backups is a folder: give the database file"):
        bk.restore(taken, tmp_path / "backups")
    with pytest.raises(bk.BackupError, match=r"The folder .*nowhere of .* does not exist"):
        bk.restore(taken, tmp_path / "nowhere" / "new.duckdb")
    assert not (tmp_path / "nowhere").exists()


def test_a_backup_missing_a_file_is_refused_before_anything_is_written(taken, tmp_path):
    (taken / "raw_events.parquet").unlink()
    with pytest.raises(bk.BackupError, match=r"is incomplete: raw_events\.parquet is missing"):
        bk.restore(taken, tmp_path / "new.duckdb")
    assert not (tmp_path / "new.duckdb").exists() and leftovers(tmp_path, "new.duckdb") == []


def test_a_file_with_one_changed_byte_is_refused(taken, tmp_path):
    path = taken / "raw_clients.parquet"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(
        bk.BackupError,
        match=r"raw_clients\.parquet is not the file the backup "
        r"wrote \(its checksum differs",
    ):
        bk.restore(taken, tmp_path / "new.duckdb")
    assert not (tmp_path / "new.duckdb").exists()


def _edit_manifest(folder: Path, **changes) -> None:
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest.update(changes)
    path.write_text(json.dumps(manifest), encoding="utf-8")


def test_a_backup_of_a_newer_schema_version_is_refused(taken, tmp_path):
    _edit_manifest(taken, schema_version=LATEST_VERSION + 1)
    with pytest.raises(
        bk.BackupError,
        match=rf"holds schema version {LATEST_VERSION + 1}, "
        rf"written by a newer release.*understands "
        rf"{LATEST_VERSION}",
    ):
        bk.restore(taken, tmp_path / "new.duckdb")
    assert not (tmp_path / "new.duckdb").exists()


def test_an_unknown_backup_format_is_refused(taken, tmp_path):
    _edit_manifest(taken, format_version=2)
    with pytest.raises(
        bk.BackupError,
        match=r"manifest\.json is of backup format 2, which "
        r"this release does not know",
    ):
        bk.restore(taken, tmp_path / "new.duckdb")


def test_a_manifest_whose_rows_do_not_match_the_files_is_refused(taken, tmp_path):
    manifest = json.loads((taken / "manifest.json").read_text(encoding="utf-8"))
    manifest["tables"]["raw_events"]["rows"] += 1
    (taken / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(
        bk.BackupError,
        match=r"do not hold the rows the manifest.*raw_events: "
        r"\d+ not \d+",
    ):
        bk.restore(taken, tmp_path / "new.duckdb")
    assert not (tmp_path / "new.duckdb").exists() and leftovers(tmp_path, "new.duckdb") == []


def test_a_schema_that_does_more_than_create_tables_is_refused(taken, tmp_path):
    """schema.sql is run on restore: anything but tables and sequences (here a COPY that
    would write a file) is refused, even with a manifest made to match."""
    schema = taken / "schema.sql"
    schema.write_text(
        schema.read_text(encoding="utf-8") + "\nCOPY (select 1) TO "
        f"'{tmp_path / 'written.csv'}';\n",
        encoding="utf-8",
    )
    manifest = json.loads((taken / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"]["schema.sql"] = {"sha256": sha(schema), "bytes": schema.stat().st_size}
    (taken / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(bk.BackupError, match=r"its schema\.sql does more than create tables"):
        bk.restore(taken, tmp_path / "new.duckdb")
    assert not (tmp_path / "written.csv").exists() and not (tmp_path / "new.duckdb").exists()
    assert leftovers(tmp_path, "new.duckdb") == []


def test_a_full_disk_during_restore_leaves_nothing(taken, tmp_path):
    from tests.test_faults import tmpfs

    with tmpfs(tmp_path / "small", 1024) as folder:
        with pytest.raises(
            bk.BackupError,
            match=r"No space left on the disk holding .*small, "
            r"so nothing was restored",
        ):
            bk.restore(taken, folder / "new.duckdb")
        assert list(folder.iterdir()) == []


@pytest.mark.parametrize("what", ["empty folder", "no folder", "a file", "other json"])
def test_a_folder_that_is_not_a_backup_is_refused(tmp_path, what):
    folder = tmp_path / "thing"
    if what == "empty folder":
        folder.mkdir()
        expected = r"is not a handover-insight backup \(it has no manifest\.json\)"
    elif what == "no folder":
        expected = r"There is no backup at .*thing"
    elif what == "a file":
        folder.write_text("x")
        expected = r"is not a handover-insight backup \(it is a file, not a folder\)"
    else:
        folder.mkdir()
        (folder / "manifest.json").write_text('{"name": "something else"}')
        expected = r"is not a handover-insight backup \(its manifest\.json is not one of"
    with pytest.raises(bk.BackupError, match=expected):
        bk.restore(folder, tmp_path / "new.duckdb")
    assert not (tmp_path / "new.duckdb").exists()


def test_only_an_administrator_may_back_up_or_restore(db, taken, tmp_path):
    quality = Actor("quinn", "quality")
    with pytest.raises(
        PermissionDeniedError,
        match=r"quinn \(quality\) may not back up the "
        r"database: only an administrator",
    ):
        bk.backup(Store(db), tmp_path / "other", actor=quality)
    assert not (tmp_path / "other").exists()
    with pytest.raises(PermissionDeniedError, match=r"may not restore a database"):
        bk.restore(taken, tmp_path / "new.duckdb", actor=Actor("mo", "management"))
    assert not (tmp_path / "new.duckdb").exists()


# -- an older schema ----------------------------------------------------------------------------


def older_database(old: Path) -> Path:
    """A database of the schema version before the latest, with one batch."""
    with Store(old).connect(read_only=False) as conn:
        conn.execute("create table schema_version (version integer not null, applied_at timestamp)")
        conn.execute("create table schema_meta (key varchar not null, value varchar)")
        for number, file in migrations()[:-1]:
            conn.execute(file.read_text(encoding="utf-8"))
            conn.execute("insert into schema_version values (?, now())", [number])
        conn.execute(
            "insert into batches (batch_id, kind, action, created_at) "
            "values (1, 'clients', 'import', now())"
        )
    return old


def test_a_backup_of_an_older_schema_is_restored_and_upgraded(tmp_path):
    old = older_database(tmp_path / "old.duckdb")
    report = bk.backup(Store(old), tmp_path / "backups")
    assert report.schema_version == LATEST_VERSION - 1

    restored = bk.restore(report.folder, tmp_path / "new.duckdb")
    assert restored.upgraded and restored.backup_schema_version == LATEST_VERSION - 1
    assert restored.schema_version == LATEST_VERSION
    store = Store(tmp_path / "new.duckdb")
    assert store.query("select max(version) from schema_version").scalar() == LATEST_VERSION
    assert store.query("select batch_id, kind from batches").rows == [(1, "clients")]
    assert store.query("select count(*) from stg_clients").scalar() == 0  # views made


# -- faults while writing ---------------------------------------------------------------------


def test_a_full_disk_leaves_no_backup_and_the_database_intact(db, tmp_path):
    from tests.test_faults import tmpfs

    before = counts(db)
    with tmpfs(tmp_path / "small", 160) as folder:
        with pytest.raises(
            bk.BackupError,
            match=r"No space left on the disk holding .*small, "
            r"so no backup was written",
        ):
            bk.backup(Store(db), folder)
        assert list(folder.iterdir()) == []
    assert counts(db) == before and not wal_path(db).exists()


def test_a_full_disk_while_writing_the_manifest_leaves_no_backup(db, tmp_path, monkeypatch):
    def full(folder, manifest):
        (folder / "manifest.json").write_text("{")  # the start of it, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device", str(folder / "manifest.json"))

    monkeypatch.setattr(bk, "_write_manifest", full)
    before = counts(db)
    with pytest.raises(bk.BackupError, match=r"No space left on the disk holding"):
        bk.backup(Store(db), tmp_path / "backups")
    assert list((tmp_path / "backups").iterdir()) == []
    assert counts(db) == before


# -- rotation and leftovers -------------------------------------------------------------------


def test_keep_2_after_three_backups_leaves_the_two_newest(db, tmp_path):
    folder = tmp_path / "backups"
    first = bk.backup(Store(db), folder).folder
    second = bk.backup(Store(db), folder).folder
    (folder / "notes.txt").write_text("mine")
    (folder / "handover-backup-19990101T000000Z").mkdir()  # our name but no manifest: not ours
    third = bk.backup(Store(db), folder, keep=2)
    assert third.removed == [first]
    assert bk.complete_backups(folder) == [second, third.folder]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [second.name, third.folder.name, "notes.txt", "handover-backup-19990101T000000Z"]
    )


def test_the_next_backup_removes_what_a_killed_one_left(db, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    partial = folder / f".partial-handover-backup-20260101T000000Z-{gone}"
    partial.mkdir()
    (partial / "raw_events.parquet").write_bytes(b"half")
    report = bk.backup(Store(db), folder)
    assert report.partials_removed == [partial] and not partial.exists()
    assert backups_in(folder) == [report.folder]
