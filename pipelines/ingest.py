"""Importing clients, handovers and events: read, validate every row, then load as one batch.

``ingest_file`` is the one import path, used by the command line, the dashboard's upload page
and the sample-data loader. It works in two phases so that the database's write lock is held
only briefly and a bad file changes nothing:

1. *Stage.* The file is read in chunks; each cell is converted to its column's type; every bad
   cell becomes a ``Problem`` (file, Excel row, column, value, why). Good rows go into an
   in-memory DuckDB table, where duplicate keys within the file are found. If any row is bad
   the import stops here with ``ImportRejectedError`` listing them all, unless
   ``skip_invalid`` asks to load the good rows and record the rejected ones in the batch.
2. *Load.* One write transaction classifies the staged rows against the current versions
   (added / updated / unchanged by a hash of the row), inserts new versions and records the
   batch. A file whose exact bytes are already loaded changes nothing at all.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipelines.access import Actor, acting
from pipelines.errors import ImportRejectedError, Problem, UnreadableFileError
from pipelines.headers import HeaderMap, map_header, score
from pipelines.loading import BatchRecord, Staging, batch_with_hash, file_hash
from pipelines.normalise import BadValue, convert_series
from pipelines.readers import Grid, cell_text, read_grid
from pipelines.store import Store
from pipelines.templates import Template, template


@dataclass
class ImportReport:
    """What one file's import did (or would have done)."""

    kind: str
    file: str
    format: str = ""
    batch_id: int | None = None
    already_loaded_batch: int | None = None  # same bytes already loaded: nothing done
    rows_read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    columns: dict[str, str] = field(default_factory=dict)  # column -> header in the file
    extra_columns: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def summary(self) -> str:
        if self.already_loaded_batch is not None:
            return (
                f"{self.file}: already loaded as batch {self.already_loaded_batch}; "
                "nothing changed."
            )
        text = (
            f"{self.file} ({self.format}) → batch {self.batch_id}: {self.rows_read} rows read, "
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.rejected} rejected."
        )
        if self.extra_columns:
            text += f" Extra columns kept: {', '.join(self.extra_columns)}."
        return text


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
) -> ImportReport:
    """Validate and load one file of ``kind``; raises a ``HandoverError`` for a bad file.

    The ``actor`` (else the command line's operator) needs the permission ``upload``, also
    for a ``dry_run``; its name is stored with the batch. With ``dry_run`` it validates only:
    the report lists the problems (and would-be rejected rows) and nothing is written, even
    when rows are bad."""
    actor = acting(actor, "upload")
    tpl = template(kind)
    path = Path(path)
    name = display_name or path.name
    content_hash = file_hash(path)
    report = ImportReport(kind=kind, file=name)
    loaded = batch_with_hash(store, kind, content_hash)
    if loaded is not None:
        report.already_loaded_batch = loaded
        return report

    grid = read_grid(path, functools.partial(score, tpl), sheet=sheet, display_name=name)
    header_map = map_header(tpl, grid.header, name, grid.header_row)
    report.format = grid.format
    report.columns = dict(header_map.headers)
    report.extra_columns = list(header_map.extras.values())

    with Staging(tpl) as staging:
        for chunk in grid.chunks:
            good, problems, count = _convert_chunk(tpl, grid, header_map, chunk)
            report.rows_read += count
            report.problems.extend(problems)
            staging.add(good)
        report.problems.extend(grid.problems)  # rows the reader could not split
        report.rows_read += len({p.row for p in grid.problems})
        report.problems.extend(_duplicate_problems(staging, name, header_map))
        order = {h: i for i, h in enumerate(grid.header)}
        report.problems.sort(key=lambda p: (p.row, order.get(p.column, len(order))))
        if report.rows_read == 0:
            raise UnreadableFileError(
                f"{name}: the file has a header (row {grid.header_row}) but no data rows; "
                "nothing was loaded.",
                title="No rows", code="file_no_rows",
                params={"file": name, "row": grid.header_row},
            )
        bad_rows = sorted({p.row for p in report.problems})
        report.rejected = len(bad_rows)
        if dry_run:
            return report
        if bad_rows and not skip_invalid:
            raise ImportRejectedError(name, report.problems)
        staging.drop_rows(bad_rows)
        batch = BatchRecord(
            kind=kind,
            file_name=name,
            content_hash=content_hash,
            source_format=grid.format,
            user_name=actor.name,
            rows_read=report.rows_read,
            rows_rejected=report.rejected,
            extra_columns=report.extra_columns,
            problems=report.problems,
            report={"columns": report.columns},
        )
        counts = staging.load(store, batch)
    report.batch_id, report.added, report.updated, report.unchanged = counts
    return report


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
                chunk.index[failed], chunk.loc[failed, position], reasons[failed]
            ):
                problems.append(Problem.of(grid.file, int(row), header, cell_text(value),
                                           reason.code, reason.params, field=col.name))
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


def _duplicate_problems(staging: Staging, file: str, header_map: HeaderMap) -> list[Problem]:
    column = " + ".join(header_map.headers.get(k, k) for k in staging.tpl.key)
    field = "+".join(staging.tpl.key)  # one column, or the columns of a composite key
    problems = []
    for key, source_rows in staging.duplicate_keys():
        for row in source_rows:
            others = ", ".join(str(r) for r in source_rows if r != row)
            problems.append(Problem.of(file, row, column, key, "duplicate_key",
                                       {"others": others}, field=field))
    return problems
