"""Importing a file: read, validate every row, then load as one batch.

``ingest_file`` is the one import path of every kind (clients, handovers, events and survey
exports), used by the command line, the dashboard's upload page and the sample-data loader.
The sequence is the same for every kind; what differs is how a file is read and mapped
onto its template, which a *reader* of the kind supplies (``TableFile`` below for the
template files, ``pipelines/feedback/ingest.py::SurveyFile`` for survey exports). It works
in two phases so that the database's write lock is held only briefly and a bad file changes
nothing:

1. *Stage.* The reader reads the file, converts each cell to its column's type and stages
   the rows in a DuckDB of their own; every bad cell becomes a ``Problem`` (file, Excel row,
   column, value, why), and so does every key found twice in the file. If any row is bad
   the import stops here with ``ImportRejectedError`` listing them all, unless
   ``skip_invalid`` asks to load the good rows and record the rejected ones in the batch.
   A dry run stops here too, and its report carries what was detected (``Preview``).
2. *Load.* One write transaction classifies the staged rows against the current versions
   (added / updated / unchanged by a hash of the row), inserts new versions and records the
   batch. A file whose exact bytes are already loaded changes nothing at all.

The report holds numbers and codes; the interfaces word them (cli/ingest.py, the upload
page's locale).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pandas as pd

from pipelines.access import Actor, acting
from pipelines.errors import ImportRejectedError, Problem, UnreadableFileError
from pipelines.headers import HeaderMap, map_header, score
from pipelines.loading import BatchRecord, Staging, batch_with_hash, file_hash
from pipelines.normalise import BadValue, convert_series
from pipelines.progress import Reporter
from pipelines.progress import report as report_progress
from pipelines.readers import Grid, PlainCsv, cell_text, probe_plain_csv, read_grid
from pipelines.store import Store
from pipelines.templates import Template, template

PREVIEW_ROWS = 20  # rows of the file a dry run's preview keeps


@dataclass
class Preview:
    """What a dry run detected in the file, for the upload page to show without reading it
    again: the format, the header's row, which column of the template (or field of a
    survey) each header feeds, the headers kept as extra, and the first rows as read."""

    format: str
    header_row: int | None  # None for a survey export (its tool's header rows)
    columns: dict[str, str]  # template column or survey field -> header as the file writes it
    extras: list[str] = field(default_factory=list)
    rows: pd.DataFrame | None = None  # the first rows, headed by the file's headers
    survey: Any = None  # a survey export: the Survey read (pipelines/feedback/layout.py)
    mapping: Any = None  # a survey export: its FieldMapping (pipelines/feedback/fields.py)


@dataclass
class ImportReport:
    """What one file's import did (or, for a dry run, would do): numbers and codes only.

    Every kind fills the counts of rows read, added, updated, unchanged and rejected; a
    survey export also its tool, the real responses loaded, the duplicates skipped, the
    answers excluded (by reason) and those matching no client or handover."""

    kind: str
    file: str
    format: str = ""
    tool: str = ""  # a survey export: the tool's label
    batch_id: int | None = None
    already_loaded_batch: int | None = None  # same bytes already loaded: nothing done
    rows_read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    loaded: int = 0  # a survey export: real responses new or changed in this batch
    duplicates: int = 0  # a survey export: responses already loaded (an overlapping export)
    excluded: dict[str, int] = field(default_factory=dict)  # a survey export: reason -> count
    unmatched: int = 0  # a survey export: loaded real responses that match no client
    unattributed: int = 0  # ... that match a client but no handover
    columns: dict[str, str] = field(default_factory=dict)  # column -> header in the file
    extra_columns: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # a survey export: every answer of the file as read: its row, key, how it names its
    # client, and why it is not a real response (preview, unfinished, empty; None if real)
    answers: pd.DataFrame | None = None
    preview: Preview | None = None  # a dry run's: what was detected


class FileReader(Protocol):
    """The kind-specific part of an import: hashing, reading and mapping a file."""

    def hash(self) -> tuple[str, Exception | None]:
        """(the file's sha256, an error found while hashing, raised once the file is known
        not to be already loaded)."""

    def stage(
        self, report: ImportReport, progress: Reporter | None, stack: ExitStack, preview: bool
    ) -> Staging:
        """Read the file into a Staging entered on ``stack``, filling the report's format,
        columns, rows read and problems (bad cells and duplicate keys, in the order they are
        listed); with ``preview``, the report's ``preview`` too."""

    def preview(self, report: ImportReport) -> None:
        """Only the report's ``preview`` (a dry run of a file already loaded)."""

    def drop(self, staging: Staging, bad_rows: list[int]) -> None:
        """Leave the rejected rows out of what ``staging`` loads."""

    def rejected(self, problems: list[Problem]) -> list[Problem]:
        """The problems as a rejected file lists them."""

    def batch(self, report: ImportReport) -> dict[str, Any]:
        """The BatchRecord's source_format, extra_columns and report."""

    def after_load(self, store: Store, report: ImportReport) -> None:
        """What the report learns once the rows are in."""


def ingest_file(
    store: Store,
    kind: str,
    path: Path,
    *,
    skip_invalid: bool = False,
    sheet: str | None = None,
    actor: Actor | None = None,
    display_name: str | None = None,
    dry_run: bool = False,
    progress: Reporter | None = None,
    source: str = "auto",
    maps: dict[str, str] | None = None,
    survey: Any = None,
) -> ImportReport:
    """Validate and load one file of ``kind``; raises a ``HandoverError`` for a bad file.

    The ``actor`` (else the command line's operator) needs the permission ``upload``, also
    for a ``dry_run``; its name is stored with the batch. With ``dry_run`` it validates only:
    the report lists the problems (and would-be rejected rows) and what was detected
    (``report.preview``), and nothing is written, even when rows are bad.

    A survey export (kind ``feedback``) takes ``source`` (the tool, or "auto"), ``maps``
    (field -> column, as --map) and, from a dry run's preview, the ``survey`` already read
    (then the file is not read again).

    ``progress`` (``pipelines/progress.py``) hears the stages read, validate and load in
    rows."""
    actor = acting(actor, "upload")
    path = Path(path)
    name = display_name or path.name
    reader: FileReader
    if kind == "feedback":
        from pipelines.feedback.ingest import SurveyFile

        reader = SurveyFile(path, name, source=source, maps=maps, sheet=sheet, survey=survey)
    else:
        reader = TableFile(store, template(kind), path, name, sheet=sheet)
    content_hash, probe_error = reader.hash()
    report = ImportReport(kind=kind, file=name)
    loaded = batch_with_hash(store, kind, content_hash)
    if loaded is not None:
        report.already_loaded_batch = loaded
        if dry_run:
            reader.preview(report)
        return report
    if probe_error is not None:
        raise probe_error  # what the probe found, now that the file is not already loaded

    with ExitStack() as stack:
        staging = reader.stage(report, progress, stack, dry_run)
        bad_rows = sorted({p.row for p in report.problems})
        report.rejected = len(bad_rows)
        if dry_run:
            return report
        if bad_rows and not skip_invalid:
            raise ImportRejectedError(name, reader.rejected(report.problems))
        reader.drop(staging, bad_rows)
        batch = BatchRecord(
            kind=kind,
            file_name=name,
            content_hash=content_hash,
            user_name=actor.name,
            rows_read=report.rows_read,
            rows_rejected=report.rejected,
            problems=report.problems,
            **reader.batch(report),
        )
        loading = report.rows_read - report.rejected
        report_progress(progress, "load", 0, loading)
        counts = staging.load(store, batch)
        report_progress(progress, "load", loading, loading)
    report.batch_id, report.added, report.updated, report.unchanged = counts
    reader.after_load(store, report)
    return report


class TableFile:
    """A file of a template (clients, handovers, events): a CSV or a workbook, read by
    ``read_grid`` and pandas; a large UTF-8 CSV by DuckDB (the fast route, below), which
    gives the same rows, problems and batch."""

    def __init__(self, store: Store, tpl: Template, path: Path, name: str, *, sheet: str | None):
        self.store, self.tpl, self.path, self.name, self.sheet = store, tpl, path, name, sheet
        self.plain: PlainCsv | None = None
        self.fast = False  # whether the fast route staged the rows

    def hash(self) -> tuple[str, Exception | None]:
        if self.sheet is None and _large(self.path):
            # the file's hash is computed while the sandbox probes the file
            content_hash, self.plain, error = _hash_while(
                self.path,
                functools.partial(
                    probe_plain_csv,
                    self.path,
                    functools.partial(score, self.tpl),
                    display_name=self.name,
                ),
            )
            return content_hash, error
        return file_hash(self.path), None

    def _grid(self) -> tuple[Grid, HeaderMap]:
        grid = read_grid(
            self.path, functools.partial(score, self.tpl), sheet=self.sheet, display_name=self.name
        )
        return grid, map_header(self.tpl, grid.header, self.name, grid.header_row)

    def stage(
        self, report: ImportReport, progress: Reporter | None, stack: ExitStack, preview: bool
    ) -> Staging:
        if self.plain is not None:
            fast = ExitStack()
            try:
                staging = _fast_import(
                    fast, self.store, self.tpl, self.plain, report, progress, preview
                )
            except _Fallback:
                fast.close()
                report.format, report.columns, report.rows_read = "", {}, 0
                report.problems, report.preview = [], None
            except BaseException:
                fast.close()
                raise
            else:
                stack.enter_context(fast)
                self.fast = True
                return staging

        grid, header_map = self._grid()
        report.format = grid.format
        report.columns = dict(header_map.headers)
        report.extra_columns = list(header_map.extras.values())
        staging = stack.enter_context(Staging(self.tpl))
        report_progress(progress, "read", 0)
        for chunk in grid.chunks:  # the reader reads as the rows are validated
            if preview and report.preview is None:
                report.preview = _table_preview(grid, header_map, chunk)
            good, problems, count = _convert_chunk(self.tpl, grid, header_map, chunk)
            report.rows_read += count
            report_progress(progress, "validate", report.rows_read)
            report.problems.extend(problems)
            staging.add(good)
        report.problems.extend(grid.problems)  # rows the reader could not split
        report.rows_read += len({p.row for p in grid.problems})
        report.problems.extend(_duplicate_problems(staging, self.name, header_map))
        order = {h: i for i, h in enumerate(grid.header)}
        report.problems.sort(key=lambda p: (p.row, order.get(p.column, len(order))))
        if report.rows_read == 0:
            raise _no_rows(self.name, grid.header_row)
        if preview and report.preview is None:
            report.preview = _table_preview(grid, header_map, None)
        return staging

    def preview(self, report: ImportReport) -> None:
        grid, header_map = self._grid()
        report.preview = _table_preview(grid, header_map, next(iter(grid.chunks), None))

    def drop(self, staging: Staging, bad_rows: list[int]) -> None:
        if not self.fast:
            staging.drop_rows(bad_rows)
            return
        if bad_rows:
            staging.conn.execute("insert into dropped_rows select unnest(?)", [bad_rows])
        count = staging.conn.execute("select count(*) from cells").fetchall()[0][0]
        staging.rows = "staged_rows"
        staging.row_count = count - len(bad_rows)

    def rejected(self, problems: list[Problem]) -> list[Problem]:
        return problems

    def batch(self, report: ImportReport) -> dict[str, Any]:
        return {
            "source_format": report.format,
            "extra_columns": report.extra_columns,
            "report": {"columns": report.columns},
        }

    def after_load(self, store: Store, report: ImportReport) -> None:
        return None


def _table_preview(grid: Grid, header_map: HeaderMap, chunk: pd.DataFrame | None) -> Preview:
    """A dry run's preview: the first rows of the first chunk, headed by the file's headers."""
    rows = None
    if chunk is not None:
        rows = chunk.head(PREVIEW_ROWS).copy()
        rows.columns = [grid.header[i] if i < len(grid.header) else str(i) for i in rows.columns]
    return Preview(
        format=grid.format,
        header_row=grid.header_row,
        columns=dict(header_map.headers),
        extras=list(header_map.extras.values()),
        rows=rows,
    )


def _hash_while(
    path: Path, probe: Callable[[], PlainCsv | None]
) -> tuple[str, PlainCsv | None, Exception | None]:
    """(the file's hash, what ``probe`` returned, what it raised): both at once, the hash in
    a thread (hashlib lets go of the GIL) while the probe waits for its sandboxed child. An
    error of the hash is raised first, as when the hash came first."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        hashing = pool.submit(file_hash, path)
        try:
            plain, error = probe(), None
        except Exception as err:  # raised by the caller once the hash is known
            plain, error = None, err
        return hashing.result(), plain, error


def _large(path: Path) -> bool:
    try:
        return path.stat().st_size >= FAST_CSV_MIN_BYTES
    except OSError:
        return False  # read_grid says why


# -- staging --------------------------------------------------------------------------------


def _convert_chunk(
    tpl: Template, grid: Grid, header_map: HeaderMap, chunk: pd.DataFrame
) -> tuple[pd.DataFrame, list[Problem], int]:
    """Typed rows of a chunk (empty where a cell is bad), its problems, and its row count.

    Bad rows are staged too, so that a key they share with another row is reported; they are
    dropped before loading."""
    chunk = _drop_blank_rows(chunk)
    problems: list[Problem] = []
    typed = pd.DataFrame(index=chunk.index)
    typed["source_row"] = chunk.index.astype("int32")
    bad = pd.Series(False, index=chunk.index)
    for col in tpl.columns:
        position = header_map.positions.get(col.name)
        if position is None or position >= chunk.shape[1]:
            typed[col.name] = None
            continue
        values, reasons = convert_series(col, chunk[position])
        if col.required and col.name in tpl.key:  # a row needs its key; other gaps are
            # loaded and reported by the data checks (e.g. clients.company_name.present)
            missing = values.isna() & reasons.isna()
            if missing.any():
                reasons = reasons.copy()
                reasons[missing] = [BadValue("key_missing") for _ in range(int(missing.sum()))]
        failed = reasons.notna()
        if failed.any():
            bad |= failed
            header = header_map.headers[col.name]
            for row, value, reason in zip(
                chunk.index[failed], chunk.loc[failed, position], reasons[failed], strict=False
            ):
                problems.append(
                    Problem.of(
                        grid.file,
                        int(row),
                        header,
                        cell_text(value),
                        reason.code,
                        reason.params,
                        field=col.name,
                    )
                )
        typed[col.name] = values
    typed["extra"] = _extra_json(chunk, header_map)
    return typed, problems, len(chunk)


def _drop_blank_rows(chunk: pd.DataFrame) -> pd.DataFrame:
    if chunk.empty:
        return chunk
    as_text = chunk.map(cell_text) if chunk.dtypes.eq(object).all() else chunk.astype(str)
    blank = as_text.apply(lambda col: col.str.strip().eq("")).all(axis=1)
    return chunk[~blank]


def _extra_json(chunk: pd.DataFrame, header_map: HeaderMap) -> pd.Series | None:
    present = {p: h for p, h in header_map.extras.items() if p < chunk.shape[1]}
    if not present or chunk.empty:
        return None
    extras = chunk[list(present)].map(cell_text)
    extras.columns = list(present.values())
    lines = extras.to_json(orient="records", lines=True, force_ascii=False).splitlines()
    return pd.Series(lines, index=chunk.index)


class _DuplicateKeys(Protocol):
    """What ``_duplicate_problems`` reads: a ``Staging``, or ``_KeyedDuplicates``."""

    tpl: Template

    def duplicate_keys(self) -> list[tuple[str, list[int]]]: ...


def _duplicate_problems(staging: _DuplicateKeys, file: str, header_map: HeaderMap) -> list[Problem]:
    column = " + ".join(header_map.headers.get(k, k) for k in staging.tpl.key)
    field = "+".join(staging.tpl.key)  # one column, or the columns of a composite key
    problems = []
    for key, source_rows in staging.duplicate_keys():
        for row in source_rows:
            others = ", ".join(str(r) for r in source_rows if r != row)
            problems.append(
                Problem.of(file, row, column, key, "duplicate_key", {"others": others}, field=field)
            )
    return problems


# -- the fast route: a large plain UTF-8 CSV read and converted by DuckDB --------------------
#
# The sandboxed probe (readers.probe_plain_csv) finds the header and makes sure that every
# record is one line and quoted as RFC 4180 says. DuckDB's strict read_csv then reads the
# records as text into a staging database file of its own (a private temporary folder's, so
# that DuckDB can spill instead of holding the file in memory); SQL converts the cells whose
# conversion it states exactly (printable ASCII text, ISO timestamps), and every other
# distinct value is converted once by the very parsers of the reference route
# (pipelines/normalise.py) and joined back; bad cells are listed by SQL with their rows; the
# record keys and row hashes are computed there too, and the database's own connection reads
# the staged rows by ATTACH. Whatever the reference route would treat otherwise (a row of
# another length, invalid UTF-8, a limit passed, extra columns, a timestamp that pandas and
# the parser read differently) sends the whole file back to the reference route, so the
# results are the same whichever route a file takes.

FAST_CSV_MIN_BYTES = 8 << 20  # smaller files take the reference route (it is quick on them)
FAST_MEMORY_LIMIT = "1GB"  # of the staging database; DuckDB spills to its folder beyond it
_WHITESPACE_CLASS = "".join(
    f"\\x{{{c:x}}}"
    for c in (
        0x9,
        0xA,
        0xB,
        0xC,
        0xD,
        0x1C,
        0x1D,
        0x1E,
        0x1F,
        0x20,
        0x85,
        0xA0,
        0x1680,
        *range(0x2000, 0x200B),
        0x2028,
        0x2029,
        0x202F,
        0x205F,
        0x3000,
    )
)  # what Python's str.strip() and the regular expression \s take as white space
_PLAIN_TEXT = "[!-~]+( [!-~]+)*"  # printable ASCII, single inner spaces: text() keeps it as is
_MAP_TYPES = {"date": "date", "timestamp": "timestamp", "boolean": "boolean"}


class _Fallback(Exception):
    """The file must take the reference route (read_grid and pandas)."""


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _fast_import(
    stack: ExitStack,
    store: Store,
    tpl: Template,
    plain: PlainCsv,
    report: ImportReport,
    progress: Reporter | None,
    preview: bool,
) -> Staging:
    """Stage the rows of a large plain CSV on ``stack`` (a private folder's DuckDB file),
    filling the report as the reference route does; raises ``_Fallback`` when the file
    must take the reference route."""
    from pipelines.limits import ReadLimits
    from pipelines.private_files import private_tempdir

    name = plain.file
    limits = ReadLimits.from_env()
    folder = stack.enter_context(private_tempdir(store.path))
    config = {
        "memory_limit": FAST_MEMORY_LIMIT,
        "temp_directory": str(folder / "spill"),
        "preserve_insertion_order": "true",
        # the staging file lives for one import: writing it uncompressed saves
        # the compression's analysis of every column (about a fifth of its time)
        "force_compression": "uncompressed",
    }
    staging = stack.enter_context(
        Staging(tpl, path=folder / "staging.duckdb", config=config, key=store.key())
    )
    conn = staging.conn
    report_progress(progress, "read", 0)
    records = _read_cells(conn, plain, limits)
    header_map = map_header(tpl, plain.header, name, plain.header_row)
    if header_map.extras:
        raise _Fallback("extra columns")  # their JSON is pandas' (reference route)
    report.format = plain.format
    report.columns = dict(header_map.headers)
    report_progress(progress, "read", records, records)
    report.rows_read = records
    report_progress(progress, "validate", 0, records)
    problems = _convert_cells(conn, tpl, plain, header_map, progress, records)
    problems.extend(_duplicate_problems(_KeyedDuplicates(staging), name, header_map))
    order = {h: i for i, h in enumerate(plain.header)}
    problems.sort(key=lambda p: (p.row, order.get(p.column, len(order))))
    report_progress(progress, "validate", records, records)
    report.problems = problems
    if report.rows_read == 0:
        raise _no_rows(name, plain.header_row)
    if preview:
        first = conn.execute(
            f"select * exclude (n) from cells order by n limit {PREVIEW_ROWS}"
        ).df()
        first.columns = list(plain.header)
        report.preview = Preview(
            plain.format, plain.header_row, dict(header_map.headers), [], first
        )
    return staging


def _read_cells(conn: duckdb.DuckDBPyConnection, plain: PlainCsv, limits) -> int:
    """Read the records past the header into the table ``cells`` (n: the row number, c0...:
    the cells, empty as null), leaving out blank rows as the reference route does; the
    number of rows. DuckDB reads strictly: a record of another length, an invalid UTF-8
    sequence, a line that ends otherwise than the others sends the file to the reference."""
    import pyarrow as pa

    width = len(plain.header)
    names = [f"c{i}" for i in range(width)]
    columns = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in names) + "}"
    try:
        conn.execute(
            f"""
            create table cells_read as select * from read_csv(
                ?, columns = {columns}, delim = {_sql_text(plain.delimiter)}, quote = '"',
                escape = '"', header = false, skip = {plain.header_row},
                auto_detect = false, strict_mode = true,
                null_padding = false, ignore_errors = false)
            """,
            [str(plain.path)],
        )
    except duckdb.Error as err:  # invalid UTF-8, a row of another length, a long line...
        raise _Fallback(str(err)) from err
    blank_cell = _sql_text("[" + _WHITESPACE_CLASS + "]*")
    is_blank = " and ".join(f"({c} is null or regexp_full_match({c}, {blank_cell}))" for c in names)
    total, longest = conn.execute(
        f"select count(*), max(greatest({', '.join(f'coalesce(strlen({c}), 0)' for c in names)}))"
        " from cells_read"
    ).fetchall()[0]
    if total != plain.lines - plain.header_row:
        raise _Fallback("DuckDB read another number of records than the file has lines")
    if total > limits.max_rows:
        raise _Fallback("too many rows")
    if (longest or 0) > limits.max_cell_chars:
        raise _Fallback("a long cell")  # bytes: the reference counts characters, and says
    # cells: the rows as the reference route keeps them (blank rows are not rows); the rows
    # are not copied: the row number is the record's place in the file (rowid of the table
    # read in the file's order, never changed after)
    first = names[0]
    blank = [
        r
        for (r,) in conn.execute(
            f"select rowid from cells_read where ({first} is null or regexp_full_match({first}, "
            f"{blank_cell})) and {is_blank}"
        ).fetchall()
    ]
    conn.register("blank_rows", pa.table({"r": pa.array(blank, pa.int64())}))
    conn.execute("create table blank_rows as select r from blank_rows")
    conn.unregister("blank_rows")
    conn.execute(
        f"""
        create view cells as
        select rowid + 1 + {plain.header_row} as n, {", ".join(names)} from cells_read
        {"where rowid not in (select r from blank_rows)" if blank else ""}
        """
    )
    return conn.execute("select count(*) from cells").fetchall()[0][0]


def _convert_cells(
    conn: duckdb.DuckDBPyConnection,
    tpl: Template,
    plain: PlainCsv,
    header_map: HeaderMap,
    progress: Reporter | None,
    records: int,
) -> list[Problem]:
    """Stage the typed rows of ``cells`` (bad cells empty) and list the bad cells."""
    import pyarrow as pa

    from pipelines.loading import key_expression
    from pipelines.normalise import parser_for

    problems: list[Problem] = []
    selected: list[str] = []
    joins: list[str] = []
    column_joins: list[str] = []  # per column of the template: its join, or ''
    for index, col in enumerate(tpl.columns):
        position = header_map.positions.get(col.name)
        if position is None:
            selected.append(f"null as {col.name}")
            column_joins.append("")
            continue
        cell = f"coalesce(cells.c{position}, '')"
        if col.type == "text":
            fast = f"regexp_full_match({cell}, {_sql_text(_PLAIN_TEXT)})"
            fast_value = cell
        elif col.type == "timestamp":
            # exactly a timestamp's own rendering 'YYYY-MM-DD HH:MM:SS' (the ISO form the
            # parser reads alike): DuckDB's cast there and back, cheaper than a regular
            # expression and a strptime per cell; any other form goes to the parser
            fast_value = f"try_cast({cell} as timestamp)"
            fast = (
                f"(strlen({cell}) = 19 and not starts_with({cell}, '0000') "
                f"and coalesce(cast({fast_value} as varchar) = {cell}, false))"
            )
        else:
            fast, fast_value = "false", "null"
        parse = parser_for(col)
        values: list[str] = []
        typed_values: list[object] = []
        bad: dict[str, BadValue] = {}
        for (value,) in conn.execute(
            f"select distinct {cell} from cells where not {fast}"
        ).fetchall():
            try:
                typed = parse(value)
            except BadValue as why:
                typed = None
                bad[value] = why
            if col.type == "timestamp":
                _same_as_bulk_parse(value, typed, value in bad)
            values.append(value)
            typed_values.append(typed)
        sql_type = _MAP_TYPES.get(col.type, "varchar")
        arrow_type = {
            "date": pa.date32(),
            "timestamp": pa.timestamp("us"),
            "boolean": pa.bool_(),
        }.get(col.type, pa.string())
        mapping = pa.table(
            {
                "raw": pa.array(values, pa.string()),
                "value": pa.array(typed_values, arrow_type),
                "bad": pa.array([v in bad for v in values], pa.bool_()),
            }
        )
        table = f"map_{index}"
        conn.register("mapping", mapping)
        conn.execute(
            f"create or replace table {table} as "
            f"select raw, cast(value as {sql_type}) as value, bad from mapping"
        )
        conn.unregister("mapping")
        join = f"left join {table} on {table}.raw = {cell}" if values else ""
        joins.append(join)
        column_joins.append(join)
        value_sql = (
            f"case when {fast} then {fast_value} else {table}.value end"
            if values
            else f"case when {fast} then {fast_value} end"
        )
        selected.append(f"{value_sql} as {col.name}")
        header = header_map.headers[col.name]
        if bad:
            for row, value in conn.execute(
                f"select n, {cell} from cells join {table} on {table}.raw = {cell} "
                f"where {table}.bad order by n"
            ).fetchall():
                reason = bad[value]
                problems.append(
                    Problem.of(
                        plain.file,
                        int(row),
                        header,
                        value,
                        reason.code,
                        reason.params,
                        field=col.name,
                    )
                )
        if col.required and col.name in tpl.key:
            # a fast value is never empty: the missing keys are among the values converted
            missing = [
                v
                for v, typed in zip(values, typed_values, strict=False)
                if typed is None and v not in bad
            ]
            if missing:
                for row, value in conn.execute(
                    f"select n, {cell} from cells where {cell} in (select unnest(?)) order by n",
                    [missing],
                ).fetchall():
                    missing_key = BadValue("key_missing")
                    problems.append(
                        Problem.of(
                            plain.file,
                            int(row),
                            header,
                            value,
                            missing_key.code,
                            missing_key.params,
                            field=col.name,
                        )
                    )
        report_progress(
            progress, "validate", records * (index + 1) // (len(tpl.columns) + 2), records
        )
    hashed = ", ".join(f"coalesce(cast({c.name} as varchar), chr(0))" for c in tpl.columns)
    conn.execute("create table dropped_rows (n bigint)")
    # a view, not a table: writing the converted rows once more (with their key and hash)
    # costs more than converting them for each of the two readers (measured)
    conn.execute(
        f"""
        create view staged_rows as
        select *, {key_expression(tpl)} as record_key,
            md5(concat_ws(chr(31), {hashed}, coalesce(extra, chr(0)))) as row_hash
        from (
            select cast(n as integer) as source_row, {", ".join(selected)},
                cast(null as varchar) as extra
            from cells {" ".join(joins)}
            where n not in (select n from dropped_rows)
        )
        """
    )
    # the duplicate keys need only the key's columns: a view without the other columns'
    # joins and the row hash
    keyed = [
        (sql, join)
        for col, sql, join in zip(tpl.columns, selected, column_joins, strict=False)
        if col.name in tpl.key
    ]
    conn.execute(
        f"""
        create view staged_keys as
        select *, {key_expression(tpl)} as record_key
        from (
            select cast(n as integer) as source_row, {", ".join(sql for sql, _ in keyed)}
            from cells {" ".join(join for _, join in keyed)}
        )
        """
    )
    column_order: dict[str | None, int] = {col.name: i for i, col in enumerate(tpl.columns)}
    problems.sort(key=lambda p: (p.row, column_order.get(p.field, 0)))
    return problems


class _KeyedDuplicates:
    """``Staging.duplicate_keys`` over staged rows that carry their record key: the keys
    whose hash is shared are found first, so that only those few are grouped as text."""

    def __init__(self, staging: Staging):
        self.tpl = staging.tpl
        self.conn = staging.conn

    def duplicate_keys(self) -> list[tuple[str, list[int]]]:
        present = (
            " and ".join(f"{k} is not null" for k in self.tpl.key if self.tpl.column(k).required)
            or "true"
        )
        return self.conn.execute(
            f"""
            with keyed as (
                select record_key, source_row, hash(record_key) as h from staged_keys
                where {present}
            ),
            shared as (select h from keyed group by h having count(*) > 1)
            select record_key as key, list(source_row order by source_row) as source_rows
            from keyed
            where h in (select h from shared)
            group by record_key
            having count(*) > 1
            order by min(source_row)
            """
        ).fetchall()


def _same_as_bulk_parse(value: str, typed: object, bad: bool) -> None:
    """The reference route parses a column of more than 1,000 timestamps with pandas' ISO
    formats first; a value pandas reads otherwise than ``timestamp`` (e.g. one-digit minutes)
    would be read differently by chunks of different sizes: leave such files to it."""
    from pipelines.normalise import _FAST_TIMESTAMP_FORMATS

    for fmt in _FAST_TIMESTAMP_FORMATS:
        parsed = pd.to_datetime(pd.Series([value.strip()]), format=fmt, errors="coerce")[0]
        if not pd.isna(parsed):
            if bad or typed is None or pd.Timestamp(typed) != parsed:
                raise _Fallback(f"the timestamp {value!r}")
            return


def _no_rows(name: str, header_row: int) -> UnreadableFileError:
    return UnreadableFileError(
        f"{name}: the file has a header (row {header_row}) but no data rows; nothing was loaded.",
        title="No rows",
        code="file_no_rows",
        params={"file": name, "row": header_row},
    )
