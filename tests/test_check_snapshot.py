"""A check run holds the database only for a short copy: imports go on while GX validates."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from data_checks import runner
from data_checks.results import latest_run, save_run
from data_checks.runner import CheckRunError, run_checks
from pipelines.ingest import ingest_file
from pipelines.store import Store
from tests.conftest import write_csv

AS_OF = date(2026, 11, 20)
EVENT_HEADER = ["handover_id", "occurred_at", "event_type", "item_code"]


def fill_unknown_events(store: Store, n: int) -> None:
    """``n`` item events of unknown handovers without an item code, written straight into
    the raw table (an import of that size would take longer than the test): two failing
    records each, so GX has real work to do."""

    def write(conn) -> None:
        batch = conn.execute("select nextval('batch_id_seq')").fetchall()[0][0]
        conn.execute(
            "insert into batches (batch_id, kind, action, file_name, content_hash, created_at) "
            "values (?, 'events', 'import', 'generated', 'generated', now())",
            [batch],
        )
        conn.execute(
            f"""
            insert into raw_events (batch_id, source_row, record_key, row_hash, is_current,
                                    handover_id, occurred_at, event_type, item_code)
            select {batch}, i,
                   'X' || i || '|' || strftime(ts, '%Y-%m-%d %H:%M:%S') || '|item_verified|',
                   md5(i::varchar), true, 'X' || i, ts, 'item_verified', null
            from (select i, timestamp '2026-03-01 09:00' + to_seconds(i) as ts
                  from range({n}) as t(i))
            """
        )

    store.write(write)


CHECKER = """
import logging, sys
from datetime import date
from data_checks.results import save_run
from data_checks.runner import run_checks
from pipelines.store import Store

handler = logging.StreamHandler(sys.stdout)
handler.setFormatter(logging.Formatter("%(message)s"))
log = logging.getLogger("data_checks.runner")
log.addHandler(handler)
log.setLevel(logging.INFO)
store = Store(sys.argv[1], busy_timeout=60)
run = run_checks(store, date(2026, 11, 20))
save_run(store, run)
events = [o for o in run.outcomes if o.check.id == "events.handover.known"][0]
print("done", events.records_checked, events.records_failed, flush=True)
"""


def test_an_import_goes_through_while_the_checks_run(tmp_path: Path):
    """Real overlap: the check process validates 250,000 failing events (seconds of GX work);
    as soon as it says its snapshot is taken, this process imports a file, which must not
    wait for the check. Before the snapshot, the check held the file read-only for the whole
    GX run and the import waited (or failed as busy)."""
    store = Store(tmp_path / "busy.duckdb", busy_timeout=60)
    fill_unknown_events(store, 250_000)
    warm_up = write_csv(
        tmp_path / "warm.csv", [EVENT_HEADER, ["JJ-OLD", "2026-11-01 09:00:00", "培训完成", ""]]
    )
    ingest_file(store, "events", warm_up)  # the first import of a process starts its reader
    events = write_csv(
        tmp_path / "events.csv", [EVENT_HEADER, ["JJ-NEW", "2026-11-01 10:00:00", "培训完成", ""]]
    )

    checker = subprocess.Popen(
        [sys.executable, "-c", CHECKER, str(store.path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[1],
    )
    try:
        line = checker.stdout.readline()
        assert "the database is free again" in line, (line, checker.stderr.read()[-2000:])
        started = time.monotonic()
        report = ingest_file(store, "events", events)
        import_seconds = time.monotonic() - started
        still_checking = checker.poll() is None
        out, err = checker.communicate(timeout=300)
    finally:
        if checker.poll() is None:
            checker.kill()
    assert checker.returncode == 0, err[-2000:]
    assert report.added == 1
    assert still_checking, "the check ended before the import: no overlap was tested"
    assert import_seconds < 5, f"the import waited {import_seconds:.1f} s for the check"
    # the run describes the data as copied: without the event imported meanwhile
    assert out.split() == ["done", "250001", "250001"]
    assert store.query("select count(*) from stg_events").scalar() == 250_002
    assert latest_run(store)["batch_ids"] == [1, 2]


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch) -> Path:
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _small_store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "small.duckdb")
    ingest_file(
        store,
        "events",
        write_csv(
            tmp_path / "e.csv", [EVENT_HEADER, ["JJ-1", "2026-03-01 10:00:00", "资料移交", "公章"]]
        ),
    )
    return store


def test_the_snapshot_is_private_and_removed_afterwards(
    tmp_path: Path, private_tmp: Path, monkeypatch
):
    store = _small_store(tmp_path)
    seen = {}
    original = runner.take_snapshot

    def spy(store, target):
        result = original(store, target)
        seen["folder_mode"] = stat.S_IMODE(os.stat(target.parent).st_mode)
        seen["file_mode"] = stat.S_IMODE(os.stat(target).st_mode)
        with duckdb.connect(str(target), read_only=True) as snapshot:
            seen["events"] = snapshot.execute("select count(*) from stg_events").fetchall()
        return result

    monkeypatch.setattr(runner, "take_snapshot", spy)
    run = run_checks(store, AS_OF)
    assert (seen["folder_mode"], seen["file_mode"]) == (0o700, 0o600)
    assert seen["events"] == [(1,)]
    assert {
        f.record_key for o in run.outcomes if o.check.id == "events.item.known" for f in o.failures
    } == {"JJ-1|2026-03-01 10:00:00|item_transferred|公章"}
    assert list(private_tmp.iterdir()) == []


def test_a_failed_run_removes_the_snapshot_too(tmp_path: Path, private_tmp: Path, monkeypatch):
    store = _small_store(tmp_path)
    monkeypatch.setattr(
        runner, "_sql_for", lambda check, as_of: "select * from {batch} where no_such_column = 1"
    )
    with pytest.raises(CheckRunError, match="could not be evaluated: .*no_such_column"):
        run_checks(store, AS_OF)
    assert list(private_tmp.iterdir()) == []
    assert latest_run(store) is None


def test_the_database_is_writable_right_after_a_run(tmp_path: Path):
    """No connection of GX or of the snapshot stays open on the store."""
    store = _small_store(tmp_path)
    run = run_checks(store, AS_OF)
    holder = subprocess.run(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import duckdb
            duckdb.connect({str(store.path)!r}).close()
        """),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert holder.returncode == 0, holder.stderr
    save_run(store, run)
