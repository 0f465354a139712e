"""`handover purge`: dead row versions go, current rows and every figure stay, the file shrinks."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from data_checks.runner import run_checks
from metrics.figures import compute_figures
from metrics.scores import compute_scores
from pipelines.batches import list_batches, rejected_rows, rollback
from pipelines.errors import BatchError
from pipelines.ingest import ingest_file
from pipelines.purge import RAW_TABLES, file_size, purge
from pipelines.store import Store
from tests.conftest import write_csv

HEADER = ["client_id", "company_name", "contact_name", "contact_phone"]
EVENT_HEADER = ["handover_id", "occurred_at", "event_type", "item_code", "actor", "note"]


def _clients(tmp_path: Path, name: str, *rows: list[str]) -> Path:
    return write_csv(tmp_path / name, [HEADER, *rows])


def _current(store: Store) -> list[tuple]:
    return store.query("select client_id, company_name from stg_clients order by 1").rows


def _versions(store: Store) -> list[tuple]:
    return store.query(
        "select batch_id, client_id, company_name, is_current "
        "from raw_clients order by batch_id, client_id"
    ).rows


def _created(store: Store, batch_id: int) -> datetime:
    return store.query("select created_at from batches where batch_id = ?", [batch_id]).scalar()


def test_four_import_rollback_cycles_shrink_back(tmp_path: Path):
    """Each cycle imports 50,000 events and rolls them back; the file grows by megabytes per
    cycle. The purge removes the 200,000 dead versions and gives the space back."""
    rows = [EVENT_HEADER] + [
        [
            f"JJ-{i // 40:05d}",
            f"2026-{1 + i % 12:02d}-{1 + i % 28:02d} "
            f"{i % 24:02d}:{i % 60:02d}:{(i // 60) % 60:02d}",
            "item_verified",
            "ledgers",
            "张三",
            f"备注 {i}",
        ]
        for i in range(50_000)
    ]
    events = write_csv(tmp_path / "events.csv", rows)
    store = Store(tmp_path / "cycles.duckdb")
    store.ensure_schema()
    empty = file_size(store.path)
    for _ in range(4):
        rollback(store, ingest_file(store, "events", events).batch_id)
    grown = file_size(store.path)
    assert grown > empty + 8 * 2**20

    report = purge(store)
    assert report.removed["raw_events"] == {"rolled_back": 200_000, "superseded": 0}
    assert report.size_before == grown
    # what stays beyond the empty file: the batches, and the audit trail's entries (one per
    # upload, rollback and the purge), which are never removed and take blocks of their own
    # (a few blocks per table: about 0.6 MB on DuckDB 2.0, 1.8 MB on 1.5); most of the
    # growth is given back
    assert report.size_after == file_size(store.path) < empty + (grown - empty) // 4
    history = list_batches(store)
    assert len(history) == 8
    assert set(history.loc[history["action"] == "import", "count_rows_purged"]) == {50_000}
    assert store.query("select count(*) from raw_events").scalar() == 0


def test_a_rewritten_file_keeps_its_data_mode_and_sequences(tmp_path: Path):
    """The rewrite (COPY FROM DATABASE into a private folder beside the file, then moved over
    it) keeps every table, view and sequence, and the file's mode; nothing is left behind."""
    store = Store(tmp_path / "db" / "handover.duckdb")
    store.path.parent.mkdir()
    ingest_file(
        store,
        "clients",
        _clients(tmp_path, "a.csv", ["KH1", "甲公司", "张三", ""], ["KH2", "乙公司", "李四", ""]),
    )
    rollback(
        store,
        ingest_file(
            store, "clients", _clients(tmp_path, "b.csv", ["KH3", "丙公司", "王五", ""])
        ).batch_id,
    )
    save = run_checks(store, date(2026, 11, 20))
    from data_checks.results import save_run

    save_run(store, save)
    os.chmod(store.path, 0o640)
    tables = store.query("select table_name from duckdb_tables() order by 1").rows
    inode = os.stat(store.path).st_ino

    report = purge(store, compact="always")
    assert report.compacted and report.compact_note is None
    assert os.stat(store.path).st_ino != inode  # a new file ...
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o640  # ... with the old mode
    assert sorted(os.listdir(store.path.parent)) == ["handover.duckdb", "handover.duckdb.changed"]
    assert store.query("select table_name from duckdb_tables() order by 1").rows == tables
    assert _current(store) == [("KH1", "甲公司"), ("KH2", "乙公司")]
    assert store.query("select count(*) from check_failures").scalar() > 0
    # sequences continue where they were: new batches, runs and purges get new ids
    again = ingest_file(store, "clients", _clients(tmp_path, "c.csv", ["KH4", "丁公司", "", ""]))
    assert again.batch_id == 4
    assert save_run(store, run_checks(store, date(2026, 11, 20))) == 2
    assert purge(store).count() == 0
    assert store.query("select max(purge_id) from purges").scalar() == 1


def test_superseded_versions_stay_until_their_replacement_is_older_than_the_cutoff(
    store: Store, tmp_path: Path
):
    first = ingest_file(
        store,
        "clients",
        _clients(
            tmp_path,
            "a.csv",
            ["KH1", "甲公司", "张三", "13812345678"],
            ["KH2", "乙公司", "李四", "13912345678"],
        ),
    )
    newer = ingest_file(
        store, "clients", _clients(tmp_path, "b.csv", ["KH1", "甲集团", "张三", "13812345678"])
    )
    before = _versions(store)

    # the replacement was loaded at the cutoff, not before it: KH1's first version stays,
    # so the newer upload can still be rolled back exactly
    kept = purge(store, _created(store, newer.batch_id))
    assert kept.count() == 0 and kept.purge_id is None and _versions(store) == before

    done = purge(store, _created(store, newer.batch_id) + timedelta(microseconds=1))
    assert done.removed["raw_clients"] == {"rolled_back": 0, "superseded": 1}
    assert done.batches == [first.batch_id]
    assert _versions(store) == [(1, "KH2", "乙公司", True), (2, "KH1", "甲集团", True)]
    assert _current(store) == [("KH1", "甲集团"), ("KH2", "乙公司")]

    # the newer upload replaced a version that is gone: rolling it back would lose KH1
    with pytest.raises(BatchError, match="purge") as refused:
        rollback(store, newer.batch_id)
    assert refused.value.code == "rollback_after_purge"
    assert refused.value.params["batch"] == newer.batch_id
    assert _current(store) == [("KH1", "甲集团"), ("KH2", "乙公司")]
    # the first one only added rows: it still rolls back exactly (KH2 goes, KH1 stays)
    rollback(store, first.batch_id)
    assert _current(store) == [("KH1", "甲集团")]


def test_batches_loaded_after_the_purge_roll_back_as_before(store: Store, tmp_path: Path):
    first = ingest_file(
        store, "clients", _clients(tmp_path, "a.csv", ["KH1", "甲公司", "张三", ""])
    )
    purge(store)
    # a purge records no batch: the file is still "already loaded"
    assert ingest_file(store, "clients", tmp_path / "a.csv").already_loaded_batch == first.batch_id
    later = ingest_file(
        store, "clients", _clients(tmp_path, "b.csv", ["KH1", "甲集团", "张三", ""])
    )
    rollback(store, later.batch_id)
    assert _current(store) == [("KH1", "甲公司")]


def test_rolled_back_batches_lose_their_rows_and_rejections_but_stay_listed(
    store: Store, tmp_path: Path
):
    bad = _clients(tmp_path, "bad.csv", ["KH1", "甲公司", "张三", ""], ["KH1", "甲公司", "", ""])
    ingest_file(store, "clients", _clients(tmp_path, "ok.csv", ["KH9", "玖公司", "王五", ""]))
    loaded = ingest_file(
        store,
        "clients",
        write_csv(
            tmp_path / "skip.csv", [HEADER, ["KH2", "乙公司", "李四", ""], ["", "无编号", "", ""]]
        ),
        skip_invalid=True,
    )
    assert len(rejected_rows(store, loaded.batch_id)) == 1
    rollback(store, loaded.batch_id)
    assert bad.exists()

    dry = purge(store, dry_run=True)
    assert dry.removed["raw_clients"]["rolled_back"] == 1 and dry.rejections == 1
    assert store.query("select count(*) from raw_clients").scalar() == 2  # nothing removed

    report = purge(store)
    assert report.removed["raw_clients"] == {"rolled_back": 1, "superseded": 0}
    assert report.removed["batch_rejections"] == {"rolled_back": 1}
    assert len(rejected_rows(store, loaded.batch_id)) == 0
    batch = list_batches(store).set_index("batch_id").loc[loaded.batch_id]
    assert batch["rolled_back_at"] is not None and batch["purged_at"] is not None
    assert batch["count_rows_purged"] == 1
    assert _current(store) == [("KH9", "玖公司")]
    (recorded,) = store.query(
        "select count_rows_rolled_back, count_rows_superseded, count_rejections from purges"
    ).rows
    assert recorded == (1, 0, 1)
    assert purge(store).count() == 0  # a second purge finds nothing


# -- the sample with history: nothing any reader sees changes ----------------------------


def _rewrite(path: Path, encoding: str, column: str, change, rows: int) -> Path:
    """The file with ``column`` changed in its first ``rows`` data rows (a newer export)."""
    text = path.read_bytes().decode(encoding)
    table = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    at = table[0].index(column)
    for row in table[1 : rows + 1]:
        row[at] = change(row[at])
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(table)
    out = path.with_name("newer_" + path.name)
    out.write_bytes(buffer.getvalue().encode(encoding))
    return out


def _everything(store: Store, as_of: date) -> dict[str, object]:
    keys = {
        "stg_clients": "client_id",
        "stg_handovers": "handover_id",
        "stg_events": "record_key",
        "stg_feedback": "response_key",
        "feedback_responses": "response_key",
    }
    views = {
        view: store.query_df(f"select * from {view} order by {key}").to_json(date_format="iso")
        for view, key in keys.items()
    }
    run = run_checks(store, as_of)
    return {
        "figures": compute_figures(store, as_of),
        "scores": compute_scores(store, as_of)
        .sort_values("handover_id")
        .reset_index(drop=True)
        .to_json(date_format="iso"),
        "checks": sorted(
            (f.check_id, f.record_key, f.column_name, f.offending_value)
            for o in run.outcomes
            for f in o.failures
        ),
        "views": views,
    }


def test_figures_scores_and_checks_are_the_same_after_a_purge(tmp_path: Path):
    from sample_data.loader import load_sample
    from sample_data.workdays import SAMPLE_AS_OF

    store = Store(tmp_path / "sample.duckdb")
    files = tmp_path / "files"
    load_sample(store, "small", keep_dir=files, seed=7)
    # a newer handover export changing 20 supervisors (their first versions are superseded),
    # and an events export changing 100 notes that is rolled back (its versions are dead)
    newer = ingest_file(
        store,
        "handovers",
        _rewrite(files / "handovers.csv", "gbk", "监交人", lambda v: v + "（代）", 20),
    )
    assert newer.updated == 20
    notes = ingest_file(
        store,
        "events",
        _rewrite(files / "events.csv", "utf-8-sig", "note", lambda v: v + " 复核", 100),
    )
    assert notes.updated == 100
    rollback(store, notes.batch_id)

    before = _everything(store, SAMPLE_AS_OF)
    report = purge(store)
    assert report.removed["raw_handovers"] == {"rolled_back": 0, "superseded": 20}
    assert report.removed["raw_events"] == {"rolled_back": 100, "superseded": 0}
    assert report.count() == 120
    after = _everything(store, SAMPLE_AS_OF)
    assert after == before
    assert (
        sum(
            store.query(f"select count(*) from {t} where not is_current").scalar()
            for t in RAW_TABLES
        )
        == 0
    )


# -- the command -------------------------------------------------------------------------


def test_the_command_counts_removes_and_reports_as_json(runner: CliRunner, tmp_path: Path):
    db = tmp_path / "c.duckdb"
    store = Store(db)
    ingest_file(store, "clients", _clients(tmp_path, "a.csv", ["KH1", "甲公司", "张三", ""]))
    ingest_file(store, "clients", _clients(tmp_path, "b.csv", ["KH1", "甲集团", "张三", ""]))

    dry = runner.invoke(app, ["purge", "--dry-run", "--db", str(db)])
    assert dry.exit_code == 0, dry.output
    assert "Would remove 1 row version(s)" in dry.stdout
    early = runner.invoke(app, ["purge", "--before", "2000-01-01", "--json", "--db", str(db)])
    assert early.exit_code == 0, early.output
    assert json.loads(early.stdout)["removed"]["raw_clients"] == {"rolled_back": 0, "superseded": 0}
    done = runner.invoke(app, ["purge", "--json", "--db", str(db)])
    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout)
    assert document["removed"]["raw_clients"] == {"rolled_back": 0, "superseded": 1}
    assert document["purge_id"] == 1 and document["dry_run"] is False
    listed = runner.invoke(app, ["batches", "--db", str(db)])
    assert "1 purged" in listed.stdout


def test_the_command_needs_a_database(runner: CliRunner, tmp_path: Path):
    result = runner.invoke(app, ["purge", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1
    assert "nothing to purge" in result.stderr
    assert not (tmp_path / "none.duckdb").exists()
