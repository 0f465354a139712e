"""The store: schema versions, refusing foreign files, and reading while another process imports."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from pipelines.batches import rollback
from pipelines.errors import SchemaError, StoreBusyError
from pipelines.ingest import ingest_file
from pipelines.migrations import LATEST_VERSION
from pipelines.store import Store
from tests.conftest import write_csv
from tests.fixtures.v1_database import (
    V1_BATCHES,
    V1_CLIENTS,
    V1_EVENTS,
    V1_HANDOVERS,
    V1_REJECTION,
    build_v1_database,
)
from tests.layout import ROOT, product_files

EVENT_HEADER = ["handover_id", "occurred_at", "event_type", "item_code"]


def test_first_write_creates_the_schema_at_the_latest_version(store: Store):
    assert store.ensure_schema() == LATEST_VERSION
    versions = store.query("select version from schema_version order by version").rows
    assert versions[-1] == (LATEST_VERSION,)
    assert store.query("select count(*) from stg_events").scalar() == 0


def test_a_newer_database_is_refused_not_recreated(store: Store):
    store.ensure_schema()
    with duckdb.connect(str(store.path)) as conn:
        conn.execute("insert into schema_version values (999, now())")
    with pytest.raises(SchemaError, match="newer"):
        store.ensure_schema()
    with duckdb.connect(str(store.path), read_only=True) as conn:
        assert conn.execute("select max(version) from schema_version").fetchall() == [(999,)]


def schema_of(store: Store) -> dict[str, list[tuple]]:
    """Tables with their columns, views with their text, sequences and constraints."""
    return {
        "columns": store.query(
            "select table_name, ordinal_position, column_name, data_type, is_nullable, "
            "column_default from information_schema.columns where table_schema = 'main' "
            "order by all"
        ).rows,
        "views": store.query(
            "select view_name, sql from duckdb_views() where not internal order by all"
        ).rows,
        "sequences": store.query(
            # not start_value: DuckDB 1.5 shows the next value there once the file is reopened
            "select sequence_name, increment_by from duckdb_sequences() order by all"
        ).rows,
        "constraints": store.query(
            "select table_name, constraint_type, constraint_column_names "
            "from duckdb_constraints() order by all"
        ).rows,
        "versions": store.query("select version from schema_version order by version").rows,
    }


def test_an_older_database_is_upgraded_in_place(tmp_path: Path):
    """A database of the first release (schema 1, built from the committed 001 migration,
    with rows) is upgraded by every later migration: the same schema as a fresh database's,
    every old row kept, the new columns filled with their defaults, and it goes on working."""
    old = Store(build_v1_database(tmp_path / "v1.duckdb"))
    with duckdb.connect(str(old.path), read_only=True) as conn:  # as the first release left it
        assert conn.execute("select max(version) from schema_version").fetchall() == [(1,)]
    fresh = Store(tmp_path / "fresh.duckdb")
    assert fresh.ensure_schema() == LATEST_VERSION

    assert old.ensure_schema() == LATEST_VERSION
    assert schema_of(old) == schema_of(fresh)
    assert old.query(
        "select batch_id, kind, action, user_name, created_at, count_rows_read, "
        "count_rows_added, count_rows_rejected, report, purged_at, count_rows_purged "
        "from batches order by batch_id"
    ).rows == [
        (n, kind, "import", user, created, read, added, rejected, None, None, 0)
        for n, (kind, _file, user, created, read, added, rejected) in enumerate(V1_BATCHES, 1)
    ]
    assert (
        old.query(
            "select batch_id, source_row, record_key, row_hash, is_current, client_id, "
            "company_name, uscc, contact_phone, service_start, status from raw_clients order by all"
        ).rows
        == V1_CLIENTS
    )
    assert (
        old.query(
            "select batch_id, source_row, record_key, row_hash, is_current, handover_id, client_id, "
            "from_staff, to_staff, planned_end, actual_end from raw_handovers order by all"
        ).rows
        == V1_HANDOVERS
    )
    assert old.query(
        "select batch_id, row_number, column_name, value, reason from batch_rejections"
    ).rows == [V1_REJECTION]
    # the outdated view was replaced by today's, which reads the old rows
    assert old.query(
        "select batch_id, handover_id, occurred_at, event_type, item_code from stg_events "
        "order by occurred_at"
    ).rows == [(row[0], *row[5:]) for row in V1_EVENTS]
    assert old.query("select client_id from stg_clients order by 1").rows == [
        ("C-001",),
        ("C-002",),
    ]

    # it goes on working: an old batch rolls back, a new import takes the next batch number
    rollback(old, 3)
    assert old.query("select count(*) from stg_events").scalar() == 0
    path = write_csv(
        tmp_path / "e.csv", [EVENT_HEADER, ["JJ-1", "2026-03-01 10:00", "培训完成", ""]]
    )
    report = ingest_file(old, "events", path)
    assert report.batch_id == len(V1_BATCHES) + 2  # after the rollback's own batch
    assert old.query("select event_type from stg_events").rows == [("training_done",)]


def test_the_first_migration_is_the_first_releases(tmp_path: Path):
    """The v1 database above is built from today's 001 file: that file must still make the
    schema the first release made (it was only reformatted since). Compared with the file as
    the first release committed it, when the checkout has its history."""
    root = Path(__file__).parents[1]
    path = "pipelines/sql/migrations/001_initial.sql"
    found = subprocess.run(
        ["git", "log", "--diff-filter=A", "--format=%H", "--", path],
        cwd=root,
        capture_output=True,
        text=True,
    )
    if found.returncode != 0 or not found.stdout.strip():
        pytest.skip("no git history of the migrations in this checkout")
    first = found.stdout.split()[-1]
    shown = subprocess.run(
        ["git", "show", f"{first}:{path}"], cwd=root, capture_output=True, text=True, check=True
    )
    then = Store(build_v1_database(tmp_path / "then.duckdb", shown.stdout))
    now = Store(build_v1_database(tmp_path / "now.duckdb"))
    assert schema_of(then) == schema_of(now)
    assert then.query("select count(*) from raw_events").scalar() == len(V1_EVENTS)


def test_views_of_an_older_release_are_recreated(store: Store, tmp_path: Path):
    path = write_csv(
        tmp_path / "e.csv", [EVENT_HEADER, ["JJ-1", "2026-03-01 10:00", "培训完成", ""]]
    )
    ingest_file(store, "events", path)
    with duckdb.connect(str(store.path)) as conn:  # pretend the views are from an old release
        conn.execute("update schema_meta set value = 'old' where key = 'views_hash'")
        conn.execute("drop view stg_events")
    store.ensure_schema()
    assert store.query("select event_type from stg_events").rows == [("training_done",)]


def test_a_read_gets_this_releases_views_without_a_write_first(store: Store, tmp_path: Path):
    """A dashboard opened on a database an earlier release wrote reads this release's views
    (a page must not read a view's old text, nor miss a column, until the next import)."""
    path = write_csv(
        tmp_path / "e.csv", [EVENT_HEADER, ["JJ-1", "2026-03-01 10:00", "培训完成", ""]]
    )
    ingest_file(store, "events", path)
    reader = Store(store.path)  # another process: nothing of the file's state is cached
    with duckdb.connect(str(store.path)) as conn:  # the views of an old release
        conn.execute("update schema_meta set value = 'old' where key = 'views_hash'")
        conn.execute("create or replace view stg_events as select 'stale' as event_type")
    assert reader.query("select event_type from stg_events").rows == [("training_done",)]


def test_a_read_upgrades_an_older_schema_in_place(tmp_path: Path):
    from tests.fixtures.v1_database import build_v1_database

    path = build_v1_database(tmp_path / "v1.duckdb")
    assert Store(path).query("select max(version) from schema_version").rows == [(LATEST_VERSION,)]


def test_a_database_that_cannot_be_upgraded_is_read_as_it_is(
    store: Store, tmp_path: Path, monkeypatch, caplog
):
    """A file this process may only read (a read-only mount, a copy): read without the
    upgrade, said in the log, rather than refused."""
    from pipelines.errors import StoreReadOnlyError

    path = write_csv(
        tmp_path / "e.csv", [EVENT_HEADER, ["JJ-1", "2026-03-01 10:00", "培训完成", ""]]
    )
    ingest_file(store, "events", path)
    with duckdb.connect(str(store.path)) as conn:
        conn.execute("update schema_meta set value = 'old' where key = 'views_hash'")

    def refused(self):
        raise StoreReadOnlyError("the file system is read-only")

    monkeypatch.setattr(Store, "ensure_schema", refused)
    assert Store(store.path).query("select event_type from stg_events").rows == [("training_done",)]
    assert "read without upgrading its schema" in caplog.text


def test_a_duckdb_file_of_something_else_is_refused(tmp_path: Path):
    path = tmp_path / "other.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("create table invoices (id int)")
    with pytest.raises(SchemaError, match="something else"):
        Store(path).ensure_schema()


def test_reading_a_missing_database_says_how_to_fill_it(tmp_path: Path):
    with pytest.raises(SchemaError, match="handover demo"):
        Store(tmp_path / "none.duckdb").query("select 1")


def test_writer_waits_for_a_reader_then_gives_up_in_a_sentence(store: Store):
    store.ensure_schema()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import duckdb, time
            conn = duckdb.connect({str(store.path)!r}, read_only=True)
            print("open", flush=True)
            time.sleep(3)
        """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        impatient = Store(store.path, busy_timeout=0.5)
        with pytest.raises(StoreBusyError, match="busy"):
            impatient.write(lambda conn: conn.execute("select 1"))
        patient = Store(store.path, busy_timeout=20)
        assert patient.write(lambda conn: conn.execute("select 42").fetchall()) == [(42,)]
    finally:
        holder.wait(timeout=10)


READER = """
import sys, time
from pipelines.store import Store
store = Store(sys.argv[1], busy_timeout=60)
target, deadline = int(sys.argv[2]), time.monotonic() + 120
seen = [store.query("select count(*) from stg_events").scalar()]
print("ready", flush=True)
while seen[-1] < target and time.monotonic() < deadline:
    seen.append(store.query("select count(*) from stg_events").scalar())
distinct = len(set(seen))
whole = all(a <= b for a, b in zip(seen, seen[1:])) and all(v % 2000 == 0 for v in seen)
print(len(seen), distinct, min(seen), max(seen), whole)
"""


def test_reads_go_on_in_another_process_while_imports_run(store: Store, tmp_path: Path):
    """One process imports file after file while another keeps reading: both succeed."""
    store.ensure_schema()
    files = []
    for n in range(12):
        rows = [EVENT_HEADER] + [
            [f"JJ-{n}", f"2026-03-01 10:{m // 60:02d}:{m % 60:02d}", "资料移交", "ledgers"]
            for m in range(2000)
        ]
        files.append(write_csv(tmp_path / f"events_{n}.csv", rows))

    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(store.path), "24000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[1],
    )
    assert reader.stdout.readline().strip() == "ready"
    for path in files:
        ingest_file(store, "events", path)
    out, err = reader.communicate(timeout=120)
    assert reader.returncode == 0, err
    reads, distinct, low, high, whole_batches = out.split()
    assert int(low) == 0 and int(high) == 24000
    assert int(distinct) >= 3, "the reader saw no import in progress"
    assert int(reads) > 10, "the reader was starved"
    assert whole_batches == "True", "a read saw a half-written import"
    assert store.query("select count(*) from stg_events").scalar() == 24000


def _calls_open_for_library(node: ast.AST) -> bool:
    return any(
        isinstance(sub, ast.Call)
        and isinstance(sub.func, ast.Attribute)
        and sub.func.attr == "open_for_library"
        for sub in ast.walk(node)
    )


def _hands_the_stores_connection(call: ast.Call) -> bool:
    """``creator=...`` (or ``kwargs={"creator": ...}``) giving connections the store opened:
    SQLAlchemy then opens nothing itself, whatever its URL says."""
    for keyword in call.keywords:
        if keyword.arg == "creator" and _calls_open_for_library(keyword.value):
            return True
        if isinstance(keyword.value, ast.Dict):
            for key, value in zip(keyword.value.keys, keyword.value.values, strict=True):
                if (
                    isinstance(key, ast.Constant)
                    and key.value == "creator"
                    and _calls_open_for_library(value)
                ):
                    return True
    return False


def duckdb_openings(source: str) -> tuple[list[str], list[str]]:
    """(openings of DuckDB, openings through the store's connections) in a module's source.

    An opening: any function of the duckdb module (``connect``, ``sql``, ``execute``,
    ``default_connection``, ``read_csv``...: each opens or runs on a connection that is not
    the store's), however the module or the function is imported (``import duckdb as d``,
    ``from duckdb import connect as c``, ``importlib.import_module("duckdb")``); a SQLAlchemy
    ``duckdb://`` URL (plain or f-string) or ``create_engine`` call, unless the same call
    hands SQLAlchemy the store's connections (``creator`` calling ``open_for_library``).
    The module's classes (``duckdb.Error``, ``duckdb.DuckDBPyConnection``) and
    ``__version__`` are no opening."""
    tree = ast.parse(source)
    modules: set[str] = set()  # names bound to the duckdb module
    found: list[str] = []
    through_store: list[str] = []

    def is_function(name: str) -> bool:
        value = getattr(duckdb, name, None)
        return callable(value) and not isinstance(value, type)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "duckdb" or alias.name.startswith("duckdb."):
                    modules.add(alias.asname or "duckdb")
        elif isinstance(node, ast.ImportFrom) and node.module == "duckdb":
            found.extend(
                f"line {node.lineno}: from duckdb import {alias.name}"
                for alias in node.names
                if alias.name == "*" or is_function(alias.name)
            )
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and is_function(node.attr)
        ):
            found.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
        elif isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else None
            name = node.func.id if isinstance(node.func, ast.Name) else name
            texts = [
                part.value
                for arg in [*node.args, *(k.value for k in node.keywords)]
                for part in ([arg] if isinstance(arg, ast.Constant) else getattr(arg, "values", []))
                if isinstance(part, ast.Constant) and isinstance(part.value, str)
            ]
            if name in ("import_module", "__import__") and "duckdb" in texts:
                found.append(f"line {node.lineno}: {name}('duckdb')")
            url = any(text.startswith("duckdb:") for text in texts)
            if url or name in ("create_engine", "create_async_engine", "engine_from_config"):
                target = through_store if _hands_the_stores_connection(node) else found
                target.append(f"line {node.lineno}: {name or 'call'} with a duckdb engine")
    # a duckdb:// URL anywhere else (a constant handed on later)
    called = {
        id(part)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        for arg in [*node.args, *(k.value for k in node.keywords)]
        for part in ast.walk(arg)
    }
    found.extend(
        f"line {node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.startswith("duckdb:")
        and id(node) not in called
    )
    return found, through_store


def test_only_the_store_opens_duckdb():
    """Every connection goes through pipelines/store.py (short-lived, retried, one writer,
    the key of an encrypted database). The one library that opens connections itself, Great
    Expectations through SQLAlchemy, is handed the store's (data_checks/runner.py)."""
    openings, through_store = {}, {}
    for path in product_files(".py"):
        name = str(path.relative_to(ROOT))
        found, handed = duckdb_openings(path.read_text(encoding="utf-8"))
        if found and name != "pipelines/store.py":
            openings[name] = found
        if handed:
            through_store[name] = handed
    assert openings == {}
    assert list(through_store) == ["data_checks/runner.py"]
    assert len(through_store["data_checks/runner.py"]) == 1


@pytest.mark.parametrize(
    "source",
    [
        "import duckdb\nconn = duckdb.connect('x.duckdb')",
        "import duckdb as d\nconn = d.connect('x.duckdb')",
        "from duckdb import connect\nconn = connect('x.duckdb')",
        "from duckdb import connect as open_it\nconn = open_it('x.duckdb')",
        "def f():\n    import duckdb\n    return duckdb.sql('select 1')",
        "import duckdb\nopener = duckdb.connect",
        "import duckdb\nduckdb.default_connection().execute('attach ...')",
        "import importlib\ndb = importlib.import_module('duckdb')",
        "from sqlalchemy import create_engine\nengine = create_engine('duckdb:///x.duckdb')",
        "import sqlalchemy\nengine = sqlalchemy.create_engine(f'duckdb:///{path}')",
        "source = ctx.data_sources.add_sql(name='h', connection_string='duckdb:///x.duckdb')",
        "URL = 'duckdb:///x.duckdb'",
        "engine = create_engine('duckdb:///:memory:', creator=lambda: duckdb.connect('x'))",
        "engine = create_engine(url)",
    ],
)
def test_the_duckdb_opening_check_finds_every_spelling(source: str):
    """The check above can fail: each of these sources opens DuckDB outside the store."""
    found, through_store = duckdb_openings(source)
    assert found != []
    assert through_store == []


def test_the_duckdb_opening_check_lets_the_stores_connections_through():
    source = (
        "import duckdb, duckdb_engine\n"
        "def f(store, context):\n"
        "    try:\n"
        "        return context.data_sources.add_sql(\n"
        "            name='h', connection_string='duckdb:///:memory:',\n"
        "            kwargs={'creator': lambda: duckdb_engine.ConnectionWrapper(\n"
        "                store.open_for_library())})\n"
        "    except duckdb.Error as err:\n"
        "        raise RuntimeError(duckdb.__version__) from err\n"
    )
    assert duckdb_openings(source) == ([], ["line 4: add_sql with a duckdb engine"])


def test_the_data_version_ignores_writes_of_the_audit_trail_alone(tmp_path):
    """Pages key their caches on data_version: an upload changes it, recording a sign-in, an
    export or a record view does not (else every look at a record would recompute every
    page); replacing the file does."""
    from pipelines import accounts, audit
    from pipelines.ingest import ingest_file
    from tests.conftest import write_csv
    from tests.test_ingest import HANDOVER_HEADER, HANDOVER_ROW

    store = Store(tmp_path / "v.duckdb")
    ingest_file(store, "handovers", write_csv(tmp_path / "a.csv", [HANDOVER_HEADER, HANDOVER_ROW]))
    loaded = store.data_version()
    assert loaded[0] == "data"
    accounts.add_user(store, "vera", "correct horse battery staple", "quality")
    with_account = store.data_version()
    assert with_account != loaded  # an account changes who may sign in
    audit.append(store, "vera", "export", "handovers", rows=1)
    accounts.authenticate(store, "vera", "correct horse battery staple")
    assert store.data_version() == with_account
    ingest_file(
        store,
        "handovers",
        write_csv(tmp_path / "b.csv", [HANDOVER_HEADER, ["JJ-V-2", *HANDOVER_ROW[1:]]]),
    )
    assert store.data_version() != with_account
    before = store.data_version()
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(store.path.read_bytes())
    copy.replace(store.path)  # another file at the same path
    assert store.data_version() != before


def test_reading_the_check_results_is_not_a_data_change(tmp_path):
    """The data quality page reads the latest check run, which makes sure the tables exist
    (ensure_schema, a write); that must not change the data version, or every page's caches
    would be emptied on every run of that page (issue 12: 2.8 s a run on the large sample)."""
    from data_checks.results import latest_run, save_run
    from data_checks.runner import run_checks
    from pipelines.ingest import ingest_file
    from tests.conftest import write_csv
    from tests.test_ingest import HANDOVER_HEADER, HANDOVER_ROW

    store = Store(tmp_path / "c.duckdb")
    ingest_file(store, "handovers", write_csv(tmp_path / "a.csv", [HANDOVER_HEADER, HANDOVER_ROW]))
    save_run(store, run_checks(store))
    checked = store.data_version()
    for _ in range(3):
        assert latest_run(store) is not None
        store.ensure_schema()
    assert store.data_version() == checked


def test_a_schema_already_current_is_not_opened_for_writing_again(tmp_path, monkeypatch):
    """latest_run (the data quality page, a handover record) makes sure the tables exist:
    once the file is seen at the latest version, that takes no write connection (which would
    make the pages' reads wait); once the file has changed, it is looked at again."""
    from data_checks.results import latest_run
    from tests.test_ingest import HANDOVER_HEADER, HANDOVER_ROW

    store = Store(tmp_path / "c.duckdb")
    report = ingest_file(
        store, "handovers", write_csv(tmp_path / "a.csv", [HANDOVER_HEADER, HANDOVER_ROW])
    )
    assert report.added == 1
    writes = []
    real_write = Store.write

    def counted(self, fn, *args, **kwargs):
        writes.append(fn)
        return real_write(self, fn, *args, **kwargs)

    monkeypatch.setattr(Store, "write", counted)
    assert store.ensure_schema() == LATEST_VERSION
    for _ in range(3):
        assert latest_run(store) is None
        assert store.ensure_schema() == LATEST_VERSION
    assert len(writes) <= 1  # the first call may write (the file's state after the import)
    seen = len(writes)
    Store(tmp_path / "c.duckdb").write(
        lambda conn: conn.execute("create table other_things (n integer)")
    )
    assert store.ensure_schema() == LATEST_VERSION
    assert len(writes) == seen + 2  # the change above, and the look after it


def test_no_connection_prints_a_progress_bar_of_duckdbs_own(store: Store):
    """DuckDB prints its own progress bar on queries of a few seconds, on whatever the
    output is (a script's file, the server's log): every connection the store makes turns
    it off, for reading, writing and scratch work alike."""
    from pipelines.store import connect_memory

    setting = "select current_setting('enable_progress_bar')"
    store.write(lambda conn: conn.execute("create table t (x int)"))
    assert store.write(lambda conn: conn.execute(setting).fetchone()[0]) is False
    assert store.read(lambda conn: conn.execute(setting).fetchone()[0]) is False
    scratch = connect_memory()
    try:
        assert scratch.execute(setting).fetchone()[0] is False
    finally:
        scratch.close()
