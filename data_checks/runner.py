"""Running the suites with Great Expectations inside DuckDB, on a private snapshot.

DuckDB keeps every writer out while any process holds the database file open, even
read-only, and validating a large database takes minutes. So a run holds the file only for
one short read: on one read-only connection it notes the batches in force and the records per
suite and copies the database file (a byte copy, see ``take_snapshot``: encrypted when the
database is) into a private temporary directory (mode 0700) in the database's own folder
(pipelines/private_files.py), then closes the database. Imports go on while GX validates
the copy; the run describes the data as it was at the copy. The directory is removed when the
run ends, however it ends.

Each run builds an ephemeral GX context with one SQL data source on the snapshot, one query
asset and one expectation suite per source, and validates them with COMPLETE results: the
failing records come from GX itself (``unexpected_index_list`` of column expectations, the
rows of ``UnexpectedRowsExpectation``). Nothing is written to the database here (a run
computes its costly asset once into a table of its own snapshot, ``_prepare_batches``);
``results.save_run`` stores a run in one short transaction, so a run that fails half-way
records nothing.

Where a run's seconds go (large sample: 9 million events, a 500 MB file): importing GX is
the largest part of ``handover check`` as a process, so a run starts that import in a
background thread (``start_gx_import``) and takes the snapshot meanwhile (a file copy and
DuckDB queries, which leave the interpreter free); the records per suite are counted, and
the feedback asset computed, on the snapshot, after the database is free
again, still while GX imports. A run reports its progress (``progress``: one
stage ``check:<suite>`` per suite, its checks done of its checks, see pipelines/progress.py).
"""

from __future__ import annotations

import contextlib
import errno
import io
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from data_checks.assets import ASSETS, Asset
from data_checks.registry import CHECKS, SUITES, Check, checks_of
from pipelines.access import Actor, acting
from pipelines.errors import HandoverError
from pipelines.private_files import private_tempdir
from pipelines.progress import CHECK_STAGE_PREFIX, Reporter, report
from pipelines.store import Store, os_fault_reason, store_fault
from pipelines.templates import CHECKLIST_ITEMS, ITEM_EVENT_TYPES


class CheckRunError(HandoverError):
    """Great Expectations could not evaluate a check; nothing was recorded."""


@dataclass
class Failure:
    check_id: str
    record_key: str
    column_name: str
    offending_value: str | None
    detail: str | None = None


@dataclass
class CheckOutcome:
    check: Check
    records_checked: int
    failures: list[Failure] = field(default_factory=list)

    @property
    def records_failed(self) -> int:
        return len({f.record_key for f in self.failures})


@dataclass
class CheckRun:
    as_of: date
    started_at: datetime
    finished_at: datetime
    outcomes: list[CheckOutcome]
    last_batch_id: int | None
    batch_ids: list[int]
    run_id: int | None = None  # set once saved
    docs_index: Path | None = None

    @property
    def duration_seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()


def _sql_for(check: Check, as_of: date) -> str:
    """The check's query with its parameters filled in (GX formats {batch} itself):
    ``$as_of``, ``$today`` (the day the check runs: what "in the future" means), the item
    event types and the checklist items."""
    sql = check.sql_path.read_text(encoding="utf-8")
    quoted = lambda values: ", ".join(f"'{v}'" for v in values)  # noqa: E731 (codes, not input)
    return (
        sql.replace("$as_of", f"'{as_of.isoformat()}'")
        .replace("$today", f"'{date.today().isoformat()}'")
        .replace("$item_event_types", quoted(ITEM_EVENT_TYPES))
        .replace("$checklist_items", quoted(CHECKLIST_ITEMS))
    )


def _expectation(check: Check, as_of: date):
    import great_expectations.expectations as gxe

    from data_checks.expectations import ExpectNoFailingRecords

    meta = {"check_id": check.id}
    if check.expectation is None:  # check.is_sql
        return ExpectNoFailingRecords(
            unexpected_rows_query=_sql_for(check, as_of),
            meta=meta,
            description=f"{check.id}: {check.en}",
        )
    column, name, kwargs = check.expectation
    return getattr(gxe, name)(column=column, meta=meta, **kwargs)


@contextlib.contextmanager
def _quiet(verbose: bool):
    """GX logs and prints progress; users see it only when they ask (--verbose)."""
    if verbose:
        yield
        return
    logger = logging.getLogger("great_expectations")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        logger.setLevel(level)


def run_checks(
    store: Store,
    as_of: date | None = None,
    docs_dir: Path | None = None,
    verbose: bool = False,
    *,
    actor: Actor | None = None,
    trigger: str | None = None,
    suites: tuple[str, ...] | None = None,
    progress: Reporter | None = None,
    snapshot: bool = True,
) -> CheckRun:
    """Validate every suite (or only ``suites``) as of a date; returns the outcomes (not yet
    saved). The ``actor`` (else the command line's operator) needs the permission
    ``run_checks``, or, for the run that follows an upload or rollback, that one
    (``trigger``). ``progress`` is told which suite runs: stage ``check:<suite>``, checks
    done of the suite's checks (pipelines/progress.py). ``snapshot`` False validates the
    file itself instead of a copy: only for a file nobody else opens (the private copy of an
    upload's trial, data_checks/refresh.py), since the run then holds it for its length."""
    acting(actor, trigger or "run_checks")

    as_of = as_of or date.today()
    if not store.exists():
        raise HandoverError(f"No database at {store.path}: load data first.")
    suites = tuple(suites or SUITES)
    planned = {suite: len(checks_of(suite)) for suite in suites}
    report(progress, CHECK_STAGE_PREFIX + suites[0], 0, planned[suites[0]])
    gx_imported = start_gx_import()
    store.ensure_schema()

    started = datetime.now()
    with private_tempdir(store.path) as folder, _quiet(verbose):
        if snapshot:  # a byte copy: encrypted with the database's key when it is
            target = store.beside(folder / "snapshot.duckdb")
            batch_ids = take_snapshot(store, target.path)[0]
        else:
            target, batch_ids = store, store.read(_batches_in_force)
        # DuckDB work, while GX still imports: the interpreter stays free for it
        counts, queries = _prepare_batches(target, suites)
        try:
            gx_imported()
            outcomes, docs_index = _validate(
                target, suites, queries, counts, as_of, docs_dir, progress, planned
            )
        finally:
            if not snapshot:  # the caller's file: leave it as it was
                _drop_batches(target, queries)
    return CheckRun(
        as_of=as_of,
        started_at=started,
        finished_at=datetime.now(),
        outcomes=outcomes,
        last_batch_id=max(batch_ids) if batch_ids else None,
        batch_ids=batch_ids,
        docs_index=docs_index,
    )


def _validate(
    target: Store,
    suites: tuple[str, ...],
    queries: dict[str, str],
    counts: dict[str, int],
    as_of: date,
    docs_dir: Path | None,
    progress: Reporter | None,
    planned: dict[str, int],
) -> tuple[list[CheckOutcome], Path | None]:
    """GX validates each suite on ``target`` (read-only); the outcomes and the Data Docs."""
    from data_checks import gx_compat

    gx_compat.install()
    import duckdb_engine
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    gx_compat.quiet_context(context)
    # GX's connections are opened by the store (its settings, its retries, the key of an
    # encrypted database), handed to SQLAlchemy through duckdb-engine's wrapper
    source = context.data_sources.add_sql(
        name="handover",
        connection_string="duckdb:///:memory:",
        # SQLDatasource's field for create_engine's arguments, which GX's stub of add_sql lacks
        kwargs={"creator": lambda: duckdb_engine.ConnectionWrapper(target.open_for_library())},  # type: ignore[call-arg]
    )
    outcomes: list[CheckOutcome] = []
    try:
        for suite in suites:
            stage = CHECK_STAGE_PREFIX + suite
            report(progress, stage, 0, planned[suite])
            outcomes.extend(
                _run_suite(
                    context,
                    source,
                    ASSETS[suite],
                    as_of,
                    counts[suite],
                    for_docs=docs_dir is not None,
                    query=queries[suite],
                )
            )
            report(progress, stage, planned[suite], planned[suite])
        docs_index = _build_docs(context, docs_dir) if docs_dir else None
        if docs_dir:  # no page on disk holds a phone, USCC or e-mail unmasked
            from data_checks.docs_export import mask_in_place

            mask_in_place(target, docs_dir)
    finally:
        _close(source)
    return outcomes, docs_index


_gx_import: threading.Thread | None = None
_gx_import_error: list[BaseException] = []


def start_gx_import():
    """Start importing Great Expectations (with this project's compatibility layer) in a
    background thread, unless it is imported or under way; returns a function that waits for
    it and raises what the import raised. Callers that know a run is coming (the command line)
    may start it early; ``run_checks`` starts it before it takes its snapshot."""
    global _gx_import
    if "great_expectations" in sys.modules and _gx_import is None:
        return lambda: None

    def load() -> None:
        try:
            import data_checks.gx_compat  # noqa: F401
        except BaseException as err:  # re-raised by the waiting run
            _gx_import_error.append(err)

    if _gx_import is None:
        _gx_import = threading.Thread(target=load, name="import-great-expectations", daemon=True)
        _gx_import.start()
    thread = _gx_import

    def wait() -> None:
        global _gx_import
        thread.join()
        if _gx_import_error:
            error = _gx_import_error.pop()
            _gx_import_error.clear()
            _gx_import = None  # a later run tries again, and says why it fails
            sys.modules.pop("data_checks.gx_compat", None)
            raise error

    return wait


def _close(source) -> None:
    """Close every connection GX opened: the data source and its execution engine each hold
    a SQLAlchemy engine, and an open read-only connection would keep writers out."""
    engines = [getattr(source, "_engine", None)]
    execution_engine = getattr(source, "_execution_engine", None)
    if execution_engine is not None:
        engines.append(execution_engine.engine)
        connection = getattr(execution_engine, "_connection", None)
        if connection is not None:
            connection.close()
    for engine in engines:
        if engine is not None:
            engine.dispose()


def _batches_in_force(conn) -> list[int]:
    return [
        r[0]
        for r in conn.execute(
            "select batch_id from batches where action = 'import' and rolled_back_at is null "
            "order by batch_id"
        ).fetchall()
    ]


def take_snapshot(store: Store, target: Path) -> tuple[list[int], dict[str, int]]:
    """Copy the database file (and its write-ahead log, if any) to ``target`` while holding
    one read-only connection; returns the import batches in force, read on that same
    connection, and (for callers of an earlier release) an empty dict: the records per suite
    are counted on the copy (``_prepare_batches``), once the database is free again.

    While any connection holds the file, no process can write it, so the bytes copied are
    one consistent state, the one the batches describe. A byte copy is what the checks read
    before, only elsewhere: the results cannot differ, and it costs a file copy (0.2-0.8 s
    for the large sample's 500 MB), not a re-encoding of the rows (4 s for its 9 million
    events). The copy is readable by its owner only (0600) inside a private folder."""
    started = time.perf_counter()

    def copy(conn) -> tuple[list[int], dict[str, int]]:
        batch_ids = _batches_in_force(conn)
        for source, copied in (
            (store.path, target),
            (
                store.path.with_name(store.path.name + ".wal"),
                target.with_name(target.name + ".wal"),
            ),
        ):
            if source.exists():
                shutil.copyfile(source, copied)
                os.chmod(copied, 0o600)
        return batch_ids, {}

    result = store.read(copy)
    logging.getLogger(__name__).info(
        "snapshot of %s taken in %.2f s; the database is free again",
        store.path,
        time.perf_counter() - started,
    )
    return result


# Suites whose asset is costly to compute and read by every check of the suite: the feedback
# asset matches each response to a client and a handover (feedback_responses: four groupings
# of the 200,000 clients and an as-of join over the handovers), and each of its queries
# recomputed it (the large sample: four times 0.6 s for 17,000 responses). A run computes it
# once, into a table of the file it validates (its own snapshot), before GX reads it; the
# rows are the asset's rows, so the checks see the same batch. The other assets are plain
# filters of their tables, or (clients) a few string functions per row: writing them costs
# more than reading them again (9 million events; a warm trial of a clients file measured
# 0.4 CPU s slower with the clients asset written).
MATERIALISED_SUITES = ("feedback",)


def _batch_table(suite: str) -> str:
    return f"check_batch_{suite}"


def _prepare_batches(
    target: Store, suites: tuple[str, ...]
) -> tuple[dict[str, int], dict[str, str]]:
    """Compute the costly assets (``MATERIALISED_SUITES``) into tables of ``target`` and count
    the records each suite validates; returns the counts and the query GX validates per
    suite (the asset's own query, or its table)."""
    chosen = [s for s in suites if s in MATERIALISED_SUITES]
    queries = {
        s: f"select * from {_batch_table(s)}" if s in chosen else ASSETS[s].query for s in suites
    }

    def prepare(conn) -> dict[str, int]:
        for suite in chosen:
            conn.execute(f"create or replace table {_batch_table(suite)} as {ASSETS[suite].query}")
        return {
            s: conn.execute(f"select count(*) from ({queries[s]})").fetchall()[0][0] for s in suites
        }

    if not chosen:
        return target.read(prepare), queries
    return target.write(prepare, data_change=False), queries


def _drop_batches(target: Store, queries: dict[str, str]) -> None:
    """Remove the tables ``_prepare_batches`` wrote into ``target``."""
    tables = [_batch_table(s) for s, q in queries.items() if q != ASSETS[s].query]
    if tables:
        target.write(
            lambda conn: [conn.execute(f"drop table if exists {t}") for t in tables],
            data_change=False,
        )


def _run_suite(
    context,
    source,
    asset: Asset,
    as_of: date,
    records: int,
    for_docs: bool,
    query: str | None = None,
) -> list[CheckOutcome]:
    """Validate one suite's checks on its asset; ``query`` the batch GX validates (default
    the asset's query; a run passes the table it computed the asset into)."""
    import great_expectations as gx

    checks = checks_of(asset.suite)
    data_asset = source.add_query_asset(name=asset.suite, query=query or asset.query)
    batch_definition = data_asset.add_batch_definition_whole_table("current rows")
    suite = context.suites.add(gx.ExpectationSuite(name=f"handover.{asset.suite}"))
    for check in checks:
        suite.add_expectation(_expectation(check, as_of))
    result_format = {
        "result_format": "COMPLETE",
        "unexpected_index_column_names": list(asset.reported),
        # GX lists at most this many failing records of a column expectation (default 20)
        "partial_unexpected_count": max(records, 1),
    }
    batch = batch_definition.get_batch()
    started = time.perf_counter()
    if for_docs:  # a validation definition keeps its results in the store Data Docs render
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(
                name=f"{asset.suite} as of {as_of}", data=batch_definition, suite=suite
            )
        )
        result = validation.run(result_format=result_format)
    else:  # validating the batch directly skips serialising every result into that store
        result = batch.validate(suite, result_format=result_format)
    logging.getLogger(__name__).debug(
        "suite %s in %.2f s", asset.suite, time.perf_counter() - started
    )
    by_id = {c.id: c for c in checks}
    outcomes = []
    for item in result.results:
        check = by_id[item.expectation_config.meta["check_id"]]
        _raise_on_exception(check, item)
        if check.is_sql:
            failures = _sql_failures(check, item)
        else:
            failures = _column_failures(check, asset, item)
        outcomes.append(CheckOutcome(check, records, failures))
    return sorted(outcomes, key=lambda o: [c.id for c in CHECKS].index(o.check.id))


def _raise_on_exception(check: Check, item) -> None:
    info = item.exception_info or {}
    raised = [v for v in info.values() if isinstance(v, dict) and v.get("raised_exception")]
    if info.get("raised_exception"):
        raised.append(info)
    if raised:
        message = raised[0].get("exception_message") or "unknown error"
        # a fault of the file system under the snapshot (in the temporary folder), not a check
        fault = store_fault(message, Path(tempfile.gettempdir()), writing=False)
        if fault is not None:
            raise fault
        raise CheckRunError(
            f"The check {check.id} could not be evaluated: {message}. Nothing was recorded.",
            title="Check failed to run",
        )


def _key(value: object) -> str:
    """A failing record's key as text: never null (the assets' keys are not null)."""
    text = _text(value)
    assert text is not None, "a failing record without a key"
    return text


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def _column_failures(check: Check, asset: Asset, item) -> list[Failure]:
    rows = item.result.get("unexpected_index_list") or []
    expected = item.result.get("unexpected_count") or 0
    if len(rows) != expected:
        raise CheckRunError(
            f"The check {check.id} reported {expected} failing records but listed "
            f"{len(rows)}. Nothing was recorded."
        )
    return [
        Failure(check.id, _key(row[asset.key]), check.column, _text(row.get(check.column)))
        for row in rows
    ]


def _sql_failures(check: Check, item) -> list[Failure]:
    rows = (item.result.get("details") or {}).get("unexpected_rows") or []
    return [
        Failure(
            check.id,
            _key(r["record_key"]),
            r["column_name"],
            _text(r["offending_value"]),
            r.get("detail"),
        )
        for r in rows
    ]


def prepare_docs_dir(docs_dir: Path) -> Path:
    """Create the Data Docs folder (0700 when it is new) and make sure files can be written
    there, before the checks run: a folder that cannot be written is one sentence
    (``docs_not_writable``), and nothing is recorded."""
    docs_dir = Path(docs_dir).absolute()
    try:
        if not docs_dir.is_dir():
            missing = [docs_dir, *[p for p in docs_dir.parents if not p.exists()]]
            docs_dir.mkdir(parents=True, exist_ok=True)
            for folder in missing:
                if folder.is_dir():
                    os.chmod(folder, 0o700)
        with tempfile.TemporaryFile(dir=docs_dir):
            pass
    except OSError as err:
        raise _docs_fault(err, docs_dir) from err
    return docs_dir.resolve()


def _docs_fault(err: OSError, docs_dir: Path) -> HandoverError:
    reason = os_fault_reason(err)
    return HandoverError(
        f"The Data Docs cannot be written into {docs_dir}: {reason}; nothing was recorded, so "
        "choose another folder (--docs) and run the checks again.",
        title="Data Docs not written",
        code="docs_not_writable",
        params={
            "folder": str(docs_dir),
            "reason": reason,
            "errno": errno.errorcode.get(err.errno or 0, ""),
        },
    )


def _make_private(docs_dir: Path, since_ns: int) -> None:
    """The files and folders this build wrote: the owner's only (0600, 0700). Others in a
    folder that already existed keep their modes."""
    for root, folders, files in os.walk(docs_dir):
        for name, mode in [*((f, 0o700) for f in folders), *((f, 0o600) for f in files)]:
            path = Path(root) / name
            try:
                if path.stat().st_mtime_ns >= since_ns:
                    os.chmod(path, mode)
            except OSError:
                pass


def _build_docs(context, docs_dir: Path) -> Path:
    """Great Expectations' own HTML Data Docs of this run, written into ``docs_dir``."""
    docs_dir = prepare_docs_dir(docs_dir)
    site = "handover_insight"
    context.add_data_docs_site(
        site_name=site,
        site_config={
            "class_name": "SiteBuilder",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    since_ns = time.time_ns() - 2_000_000_000  # file systems round times; 2 s to spare
    try:
        context.build_data_docs(site_names=[site])
    except OSError as err:
        raise _docs_fault(err, docs_dir) from err
    finally:
        _make_private(docs_dir, since_ns)
    return docs_dir / "index.html"
