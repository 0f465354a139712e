"""Reading users' files as grids of cells: CSV in any of the encodings users have, XLSX, XLS,
and HTML tables saved as ``.xls``.

A user's file is hostile until read. Every file is parsed in a child process with limits on
its memory and time (``pipelines/sandbox.py``) and within the limits of
``pipelines/limits.py``, so that a crafted file ends in a sentence and never takes down the
server. The format is told from the file's first bytes, never from its name. The encoding of
a CSV is told from the whole file: a byte-order mark, else strict UTF-8, else the GB family
(read as GB18030, the superset of GBK), else charset-normalizer's detection; a file whose rows
are in two encodings, or that holds a NUL byte anywhere, is refused with the row. Every CSV
record must have as many fields as the header: a row with more or fewer is a bad row (never
shifted or cut). Workbooks are inspected before they are read (``pipelines/workbooks.py``)
and read with calamine, which returns date cells as datetimes.

Nothing here knows about import kinds: callers pass ``find_header``, a function (picklable: a
module-level function or a ``functools.partial`` of one) that scores a candidate header row,
and get back the header and the data rows with their Excel row numbers.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pipelines.errors import Problem, UnreadableFileError
from pipelines.limits import ReadLimits, over_limit

CSV_CHUNK_ROWS = 200_000
SAMPLE_BYTES = 256 * 1024
HEADER_SEARCH_ROWS = 15
_BLOCK = 8 << 20

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# charset-normalizer names of the GB family; all are read as GB18030, their superset.
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "hz", "cp936"}
# A run that only UTF-8 writes: a lead byte of a three-byte character and two continuations.
_UTF8_CJK = re.compile(rb"[\xe0-\xef][\x80-\xbf]{2}")
_HIGH_LINE = re.compile(rb"[^\n]*[\x80-\xff][^\n]*")

FindHeader = Callable[[list[str]], int]


@dataclass
class Grid:
    """A table as read from a file: header cells, then data rows in chunks.

    ``chunks`` yields DataFrames with positional columns 0..n-1 and, as index, the row numbers
    the user sees in Excel (the first line of the file is row 1). ``problems`` lists the rows
    that could not be split into the header's columns; it is complete once ``chunks`` is."""

    file: str
    format: str
    header_row: int
    header: list[str]
    chunks: Iterator[pd.DataFrame]
    preamble: list[list[str]]  # rows above the header (titles, extra header rows)
    problems: list[Problem] = field(default_factory=list)


# -- the parent's side --------------------------------------------------------------------


def read_grid(
    path: Path,
    find_header: FindHeader,
    sheet: str | None = None,
    chunk_rows: int = CSV_CHUNK_ROWS,
    display_name: str | None = None,
) -> Grid:
    """Read a file, finding its header row among the first rows by ``find_header``'s score."""
    from pipelines import sandbox

    path = Path(path)
    name = display_name or path.name
    limits = ReadLimits.from_env()
    _check_size(path, name, limits)
    items = sandbox.stream(
        _parse, (str(path), name, find_header, sheet, chunk_rows, limits), limits, name
    )
    _tag, meta = next(items)
    problems: list[Problem] = []
    # The chunks hold the problems' list, not the grid: dropping a grid that was read only in
    # part (a preview) then closes the stream at once, which ends the child.
    return Grid(
        file=name,
        format=meta["format"],
        header_row=meta["header_row"],
        header=meta["header"],
        chunks=_frames(items, problems),
        preamble=meta["preamble"],
        problems=problems,
    )


def _frames(items: Iterator[tuple[str, Any]], problems: list[Problem]) -> Iterator[pd.DataFrame]:
    for tag, payload in items:
        if tag == "problems":
            problems.extend(payload)
        else:
            yield payload


@dataclass
class PlainCsv:
    """A UTF-8 CSV file plain enough for DuckDB's reader to split exactly as ``read_grid``
    would (``pipelines/ingest.py``'s fast route reads it): what the sandboxed probe found."""

    path: Path
    file: str
    format: str
    header_row: int
    header: list[str]
    preamble: list[list[str]]
    delimiter: str
    lines: int  # lines of the file, each one record (the probe made sure)


_QUOTED_FIELD = '"(?:[^"]|"")*"'


def _well_quoted(delimiter: str) -> re.Pattern[str]:
    """A line of fields, each either without a quote or wholly quoted (RFC 4180)."""
    one = f'(?:{_QUOTED_FIELD}|[^"{re.escape(delimiter)}\\n]*)'
    return re.compile(f"{one}(?:{re.escape(delimiter)}{one})*")


def _plain_lines(path: Path, bom: bool, delimiter: str) -> int | None:
    """The number of lines, when there is no NUL byte, no empty line, and every line with a
    quote is well quoted on that line (so that records are lines and DuckDB and the
    reference reader split them alike); else None."""
    pattern = _well_quoted(delimiter)
    lines = 0
    with open(path, "rb") as fh:
        fh.seek(3 if bom else 0)
        carry = b""
        first = True
        for block in iter(lambda: fh.read(_BLOCK), b""):
            data = carry + block
            cut = data.rfind(b"\n") + 1
            data, carry = (data[:cut], data[cut:]) if cut else (b"", data)
            if not _plain_block(data, first, pattern):
                return None
            lines += data.count(b"\n")
            first = first and not data
        if not _plain_block(carry, first, pattern):
            return None
        return lines + (1 if carry else 0)


def _plain_block(data: bytes, first: bool, pattern: re.Pattern[str]) -> bool:
    if b"\x00" in data or b"\n\n" in data or b"\n\r\n" in data:
        return False
    if first and data.startswith((b"\n", b"\r\n")):
        return False
    at = data.find(b'"')
    while at >= 0:
        start = data.rfind(b"\n", 0, at) + 1
        end = data.find(b"\n", at)
        end = len(data) if end < 0 else end
        try:
            line = data[start:end].decode("utf-8").removesuffix("\r")
        except UnicodeDecodeError:
            return False
        if not pattern.fullmatch(line):
            return False
        at = data.find(b'"', end)
    return True


def probe_plain_csv(
    path: Path, find_header: FindHeader, display_name: str | None = None
) -> PlainCsv | None:
    """The header of a CSV that DuckDB may read for ``read_grid``, or None when the file
    must take ``read_grid`` (not CSV, not UTF-8 in its first bytes, a NUL byte, an empty
    line, a line with a quote that is not wholly quoted fields (a record over several lines,
    a quote inside a field), or anything ``read_grid`` would say something about at its
    start). Only the file's first bytes are decoded and parsed, in the sandbox; the whole
    file is scanned for the above. What a strict reader would still refuse (invalid UTF-8
    further on, a row of the wrong length, mixed line ends, a limit passed) is found by the
    caller while DuckDB reads it, and sends the file to ``read_grid`` too."""
    from pipelines import sandbox

    path = Path(path)
    name = display_name or path.name
    limits = ReadLimits.from_env()
    _check_size(path, name, limits)
    try:
        items = list(
            sandbox.stream(_probe_plain, (str(path), name, find_header, limits), limits, name)
        )
    except UnreadableFileError:
        return None  # read_grid says why, exactly as it always has
    if not items or items[0] is None:
        return None
    meta = items[0]
    return PlainCsv(
        path=path,
        file=name,
        format=meta["format"],
        header_row=meta["header_row"],
        header=meta["header"],
        preamble=meta["preamble"],
        delimiter=meta["delimiter"],
        lines=meta["lines"],
    )


def _probe_plain(
    path: str, name: str, find_header: FindHeader, limits: ReadLimits
) -> Iterator[dict[str, Any] | None]:
    file = Path(path)
    if sniff_format(file, name) != "csv":
        yield None
        return
    with open(file, "rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    bom = sample.startswith(codecs.BOM_UTF8)
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        yield None
        return
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(sample[3 if bom else 0 :])
    except UnicodeDecodeError:
        yield None
        return
    encoding = "utf-8-sig" if bom else "utf-8"
    with open(file, encoding=encoding, newline="") as fh:
        head_text = fh.read(SAMPLE_BYTES)
    lines = head_text.splitlines(keepends=True)
    if len(head_text) >= SAMPLE_BYTES and len(lines) > 1:
        lines = lines[:-1]
    csv.field_size_limit(SAMPLE_BYTES * 4)
    delimiter = _delimiter(lines[:50])
    try:
        rows = list(csv.reader(io.StringIO("".join(lines)), delimiter=delimiter))
    except csv.Error:
        yield None
        return
    if not any(any(c.strip() for c in r) for r in rows):
        yield None
        return
    index = _pick_header(rows, find_header)
    if len(rows[index]) > limits.max_columns:
        yield None
        return
    count = _plain_lines(file, bom, delimiter)
    if count is None:
        yield None
        return
    _tag, meta = _meta(f"CSV ({'UTF-8 with BOM' if bom else 'UTF-8'})", rows, index)
    yield {**meta, "delimiter": delimiter, "lines": count}


def unopenable(name: str, err: OSError) -> UnreadableFileError:
    """The file cannot be opened or its size read (gone, no permission, a folder)."""
    return UnreadableFileError(
        f"{name}: cannot be opened ({err.strerror}).",
        code="file_unopenable",
        params={"file": name},
    )


def _check_size(path: Path, name: str, limits: ReadLimits) -> None:
    try:
        size = path.stat().st_size
    except OSError as err:
        raise unopenable(name, err) from err
    if size > limits.max_file_bytes:
        raise over_limit(
            name,
            "file_upload_too_large",
            "max_file_bytes",
            limits.max_file_bytes,
            "the file has {size:,} bytes",
            size=size,
        )


# -- the child's side: each generator yields ("meta", …), then ("rows", frame) and
# ("problems", [Problem]) items ---------------------------------------------------------


def _parse(
    path: str,
    name: str,
    find_header: FindHeader,
    sheet: str | None,
    chunk_rows: int,
    limits: ReadLimits,
) -> Iterator[tuple[str, Any]]:
    file = Path(path)
    fmt = sniff_format(file, name)
    if fmt == "csv":
        yield from _parse_csv(file, name, find_header, chunk_rows, limits)
    elif fmt == "html":
        yield from _parse_html(file, name, find_header, limits)
    else:
        yield from _parse_excel(file, name, fmt, find_header, sheet, limits)


def sniff_format(path: Path, name: str | None = None) -> str:
    """'xlsx', 'xls', 'html' (a web page saved as .xls) or 'csv', from the file's bytes."""
    from pipelines.html_tables import looks_like_html

    name = name or Path(path).name
    try:
        with open(path, "rb") as fh:
            head = fh.read(SAMPLE_BYTES)
    except OSError as err:
        raise unopenable(name, err) from err
    if not head.strip() or head.strip() in (
        codecs.BOM_UTF8,
        codecs.BOM_UTF16_LE,
        codecs.BOM_UTF16_BE,
    ):
        raise UnreadableFileError(
            f"{name}: the file is empty.",
            title="Empty file",
            code="file_empty",
            params={"file": name},
        )
    if head.startswith(XLSX_MAGIC):
        return "xlsx"
    if head.startswith(XLS_MAGIC):
        return "xls"
    if looks_like_html(head):
        return "html"
    if _looks_binary(head):
        raise UnreadableFileError(
            f"{name}: this is neither a CSV text file nor an Excel workbook "
            "(it contains binary data). Export the data as CSV, XLSX or XLS.",
            title="Unreadable file",
            code="file_binary",
            params={"file": name},
        )
    return "csv"


def _looks_binary(head: bytes) -> bool:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if b"\x00" in head[:1024]:
        return head[:1024].count(b"\x00") > 1  # one NUL is a damaged text file, said so later
    control = sum(1 for b in head if b < 32 and b not in (0, 9, 10, 13, 12))
    return control > max(8, len(head) // 100)


def _pick_header(rows: list[list[str]], find_header: FindHeader) -> int:
    """Index of the best-scoring row; the first non-empty row when none scores."""
    best_index, best_score = None, 0
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        score = find_header(row)
        if score > best_score:
            best_index, best_score = index, score
    if best_index is not None:
        return best_index
    for index, row in enumerate(rows):
        if any(cell.strip() for cell in row):
            return index
    return 0


def _meta(fmt: str, rows: list[list[str]], index: int) -> tuple[str, dict[str, Any]]:
    return (
        "meta",
        {
            "format": fmt,
            "header_row": index + 1,
            "header": [c.strip() for c in rows[index]],
            "preamble": [[c.strip() for c in r] for r in rows[:index]],
        },
    )


# -- CSV ------------------------------------------------------------------------------------


def detect_encoding(path: Path, name: str | None = None) -> tuple[str, str]:
    """(Python codec, label for people) of a CSV file, checked over the whole file."""
    name = name or Path(path).name
    with open(path, "rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        _whole_file(path, name, "utf-8", skip=3, expect_ascii=False)
        return "utf-8-sig", "UTF-8 with BOM"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        _whole_file(path, name, "utf-16", skip=0, expect_ascii=False, nul_ok=True)
        return "utf-16", "UTF-16"
    bad = _whole_file(path, name, "utf-8", skip=0, expect_ascii=True)
    if bad is None:
        return "utf-8", "UTF-8"
    for codec, label in (("gbk", "GBK"), ("gb18030", "GB18030")):
        gb_bad = _whole_file(path, name, codec, skip=0, expect_ascii=True, fail=False)
        if gb_bad is None:
            _no_utf8_rows(path, name, label)
            return "gb18030", label
    assert gb_bad is not None, "the loop returned on a clean read"
    if gb_bad[0] > bad[0]:  # GB text first, then bytes that are not: UTF-8 rows pasted in?
        _no_utf8_rows(path, name, "GBK")
        raise _mixed(name, "gbk", *gb_bad)

    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    if best is not None:
        encoding = best.encoding.lower().replace("-", "_")
        codec, label = (
            ("gb18030", "GB18030")
            if encoding in _GB_FAMILY
            else (best.encoding, best.encoding.upper())
        )
        if _whole_file(path, name, codec, skip=0, expect_ascii=True, fail=False) is None:
            return codec, label
    raise UnreadableFileError(
        f"{name}: the text encoding could not be recognised (row {bad[1]} cannot be read as "
        "UTF-8 or GBK). Save it as CSV in UTF-8 or GBK, or as an Excel workbook.",
        title="Unknown encoding",
        code="file_unknown_encoding",
        params={"file": name, "row": bad[1]},
    )


def _whole_file(
    path: Path,
    name: str,
    codec: str,
    *,
    skip: int,
    expect_ascii: bool,
    fail: bool = True,
    nul_ok: bool = False,
) -> tuple[int, int] | None:
    """Decode the whole file strictly, block by block; (byte offset, line) of the first byte
    that is not ``codec``, or None. A NUL byte is refused wherever it is. A file that was
    ``codec`` for some non-ASCII text and then is not is refused as mixed (with ``fail``)."""
    decoder = codecs.getincrementaldecoder(codec)("strict")
    offset = lines = 0
    seen_text = False
    with open(path, "rb") as fh:
        fh.seek(skip)
        offset = skip
        for block in iter(lambda: fh.read(_BLOCK), b""):
            if not nul_ok and b"\x00" in block:
                at = block.index(b"\x00")
                raise _nul(name, offset + at, lines + block.count(b"\n", 0, at) + 1)
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(block)
            except UnicodeDecodeError as err:
                at = max(err.start - pending, 0)
                line = lines + block.count(b"\n", 0, at) + 1
                if fail and (seen_text or not expect_ascii or not block[:at].isascii()):
                    raise _mixed(name, codec, offset + at, line) from err
                return offset + at, line
            seen_text = seen_text or not block.isascii()
            lines += block.count(b"\n")
            offset += len(block)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as err:
            if fail and seen_text:
                raise _mixed(name, codec, offset, lines + 1) from err
            return offset, lines + 1
    return None


def _no_utf8_rows(path: Path, name: str, label: str) -> None:
    """In a GBK file, refuse a row that only UTF-8 would write (two tools' exports pasted
    together): GBK text read as UTF-8 is invalid but UTF-8 text read as GBK is mojibake."""
    lines = 0
    carry = b""
    offset = 0
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_BLOCK), b""):
            data = carry + block
            cut = data.rfind(b"\n") + 1
            data, carry = (data[:cut], data[cut:]) if cut else (b"", data)
            _utf8_row(data, name, label, lines, offset)
            lines += data.count(b"\n")
            offset += len(data)
        _utf8_row(carry, name, label, lines, offset)


def _utf8_row(data: bytes, name: str, label: str, lines: int, offset: int) -> None:
    for found in _HIGH_LINE.finditer(data):
        text = found.group()
        if _UTF8_CJK.search(text) is None:
            continue
        try:
            text.decode("utf-8")
        except UnicodeDecodeError:
            continue
        line = lines + data.count(b"\n", 0, found.start()) + 1
        raise _mixed(name, "gbk", offset + found.start(), line)


def _nul(name: str, offset: int, row: int) -> UnreadableFileError:
    return UnreadableFileError(
        f"{name}: row {row} contains a NUL byte (byte {offset:,}), which no export writes; "
        "the file is damaged or not a text file. Export it again.",
        title="Damaged file",
        code="file_nul_byte",
        params={"file": name, "row": row, "offset": offset},
    )


def _mixed(name: str, codec: str, offset: int, row: int) -> UnreadableFileError:
    label = {"utf-8": "UTF-8", "gbk": "GBK", "gb18030": "GB18030"}.get(codec, codec.upper())
    return UnreadableFileError(
        f"{name}: the file mixes text encodings: it reads as {label} before row {row}, but "
        f"row {row} (byte {offset:,}) is in another encoding. Save the whole file again as "
        "UTF-8 or GBK CSV, or as an Excel workbook.",
        title="Mixed encodings",
        code="file_mixed_encoding",
        params={"file": name, "encoding": label, "row": row, "offset": offset},
    )


def _parse_csv(
    path: Path, name: str, find_header: FindHeader, chunk_rows: int, limits: ReadLimits
) -> Iterator[tuple[str, Any]]:
    encoding, label = detect_encoding(path, name)
    with open(path, encoding=encoding, newline="") as fh:
        head_text = fh.read(SAMPLE_BYTES)
    lines = head_text.splitlines(keepends=True)
    if len(head_text) >= SAMPLE_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut short by the sample
    csv.field_size_limit(SAMPLE_BYTES * 4)
    delimiter = _delimiter(lines[:50])
    reader = csv.reader(io.StringIO("".join(lines)), delimiter=delimiter)
    try:
        rows = list(reader)
    except csv.Error as err:
        raise _malformed(name, reader.line_num + 1, str(err)) from err
    if not any(any(c.strip() for c in r) for r in rows):
        raise UnreadableFileError(
            f"{name}: the file has no rows.",
            title="Empty file",
            code="file_empty",
            params={"file": name},
        )
    index = _pick_header(rows, find_header)
    header = rows[index]
    if len(header) > limits.max_columns:
        raise over_limit(
            name,
            "file_too_many_columns",
            "max_columns",
            limits.max_columns,
            "the header has {columns:,} columns",
            columns=len(header),
        )
    yield _meta(f"CSV ({label})", rows, index)
    yield from _csv_records(path, name, encoding, delimiter, header, index + 1, chunk_rows, limits)


def _delimiter(lines: list[str]) -> str:
    """The separator that splits the largest share of the first lines' records into one same
    number (more than one) of fields; a comma when none does better. csv.Sniffer is not used: a value such as
    ``经营范围;'软件开发';咨询`` makes it choose ``;`` for a comma-separated file."""
    best = ","
    best_score: tuple[float, int] = (0, 0)  # (share of the records that agree, their fields)
    for candidate in (",", "\t", ";", "|"):
        try:
            counts = [
                len(row)
                for row in csv.reader(io.StringIO("".join(lines)), delimiter=candidate)
                if row
            ]
        except csv.Error:
            continue
        if not counts:
            continue
        modal = max(set(counts), key=lambda n: (counts.count(n), n))
        # the share of records that agree, not their number: a wrong separator can make more
        # records of a text whose quotes it does not see (a newline inside a quoted value)
        score = (counts.count(modal) / len(counts), modal) if modal > 1 else (0, 0)
        if score > best_score:
            best, best_score = candidate, score
    return best


def _malformed(name: str, row: int, detail: str) -> UnreadableFileError:
    return UnreadableFileError(
        f"{name}: the CSV is malformed: {detail}. Check the quotes in row {row} and save it "
        "again; nothing was loaded.",
        title="Malformed CSV",
        code="file_malformed_csv",
        params={"file": name, "row": row},
    )


class _Records:
    """Excel row numbers of the records a strict parser kept, given those it set aside."""

    def __init__(self) -> None:
        self.next = 1
        self.set_aside: list[int] = []  # record numbers, in the order met (ascending)
        self.position = 0

    def take(self, count: int):
        import numpy as np

        numbers = np.arange(self.next, self.next + count, dtype=np.int64)
        while self.position < len(self.set_aside) and count:
            row = self.set_aside[self.position]
            if row > numbers[-1]:
                break
            numbers[numbers >= row] += 1
            self.position += 1
        if count:
            self.next = int(numbers[-1]) + 1
        return numbers


def _csv_records(
    path: Path,
    name: str,
    encoding: str,
    delimiter: str,
    header: list[str],
    header_row: int,
    chunk_rows: int,
    limits: ReadLimits,
) -> Iterator[tuple[str, Any]]:
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv as pacsv

    width = len(header)
    records = _Records()
    problems: list[Problem] = []

    unclosed: list[int] = []

    def set_aside(row: Any) -> str:
        records.set_aside.append(row.number)
        if row.number > header_row and "\n" in (row.text or "").rstrip("\r\n"):
            unclosed.append(row.number)  # one record over several lines: a quote never closed
        elif row.number > header_row and (row.text or "").strip(f"{delimiter}\"' \t\r\n"):
            text = row.text if len(row.text) <= 200 else row.text[:197] + "..."
            problems.append(
                Problem.of(
                    name,
                    row.number,
                    "",
                    text,
                    "row_length",
                    {"fields": row.actual_columns, "expected": row.expected_columns},
                )
            )
        return "skip"

    columns = [f"c{i}" for i in range(width)]
    pa_encoding = "utf8" if encoding in ("utf-8", "utf-8-sig") else encoding
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(
                use_threads=False,
                column_names=columns,
                block_size=limits.max_row_bytes,
                encoding=pa_encoding,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=set_aside,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in columns},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        total = 0
        for batch in reader:
            if unclosed:
                break
            numbers = records.take(batch.num_rows)
            if problems:
                yield ("problems", problems[:])
                problems.clear()
            keep = numbers > header_row
            if not keep.all():
                batch = batch.filter(pa.array(keep))
                numbers = numbers[keep]
            if batch.num_rows == 0:
                continue
            total += batch.num_rows
            if total > limits.max_rows:
                raise over_limit(
                    name,
                    "file_too_many_rows",
                    "max_rows",
                    limits.max_rows,
                    "the file has more than {limit:,} rows",
                )
            _check_cell_lengths(batch, numbers, header, name, limits, pc)
            frame = batch.to_pandas()
            frame.columns = range(width)
            frame.index = numbers
            for start in range(0, len(frame), chunk_rows):
                yield ("rows", frame.iloc[start : start + chunk_rows])
    except (pa.ArrowInvalid, pa.ArrowException) as err:
        text = str(err)
        if "straddling" in text or "block size" in text:
            raise over_limit(
                name,
                "file_row_too_long",
                "max_row_bytes",
                limits.max_row_bytes,
                "row {row:,} is longer than {limit:,} bytes, or a quote opened there never closes",
                row=records.next,
            ) from err
        raise _malformed(name, records.next, f"near row {records.next}") from err
    if unclosed:
        raise _malformed(
            name,
            unclosed[0],
            f"a quote opened on row {unclosed[0]} never closes, so the rows after it run together",
        )
    if problems:
        yield ("problems", problems)


def _check_cell_lengths(
    batch: Any, numbers: Any, header: list[str], name: str, limits: ReadLimits, pc: Any
) -> None:
    for position, column in enumerate(batch.columns):
        lengths = pc.utf8_length(column)
        longest = pc.max(lengths).as_py()
        if longest is not None and longest > limits.max_cell_chars:
            at = pc.index(lengths, longest).as_py()
            row = int(numbers[at])
            value = column[at].as_py()
            if "\n" in value and value.count('"') == 0 and len(value) > 10 * limits.max_cell_chars:
                raise _malformed(name, row, f"the value of row {row} runs on over many lines")
            raise over_limit(
                name,
                "file_cell_too_long",
                "max_cell_chars",
                limits.max_cell_chars,
                "row {row:,}, column {column}: the cell holds {chars:,} characters",
                row=row,
                column=header[position] or position + 1,
                chars=longest,
            )


# -- workbooks ------------------------------------------------------------------------------


def _parse_excel(
    path: Path, name: str, fmt: str, find_header: FindHeader, sheet: str | None, limits: ReadLimits
) -> Iterator[tuple[str, Any]]:
    from python_calamine import CalamineWorkbook, PasswordError

    from pipelines.workbooks import check_compound_file, damaged, inspect_xlsx, protected

    if fmt == "xls":
        check_compound_file(path, name)
    else:
        inspect_xlsx(path, name, sheet, limits)
    try:
        names = list(CalamineWorkbook.from_path(str(path)).sheet_names)
    except PasswordError as err:
        raise protected(name) from err
    except Exception as err:  # calamine raises its own error types for damaged files
        if "password" in str(err).lower() or "encrypt" in str(err).lower():
            raise protected(name) from err
        raise damaged(name, f"{type(err).__name__}: {err}") from err
    if sheet is not None and sheet not in names:
        raise UnreadableFileError(
            f"{name}: there is no sheet {sheet!r}; the workbook has {', '.join(names)}.",
            title="No such sheet",
            code="file_no_such_sheet",
            params={"file": name, "sheet": sheet, "sheets": "、".join(names)},
        )
    try:
        frame = pd.read_excel(
            path, engine="calamine", header=None, sheet_name=sheet or 0, dtype=object
        )
    except PasswordError as err:
        raise protected(name) from err
    except MemoryError:
        raise
    except Exception as err:
        raise damaged(name, f"{type(err).__name__}: {err}") from err
    _check_frame(frame, name, limits)
    frame.index = range(1, len(frame) + 1)  # Excel row numbers
    frame.columns = range(frame.shape[1])
    if frame.empty:
        raise UnreadableFileError(
            f"{name}: the sheet {sheet or names[0]!r} is empty.",
            title="Empty file",
            code="file_empty",
            params={"file": name},
        )
    yield from _sheet_items(frame, fmt.upper(), find_header)


def _check_frame(frame: pd.DataFrame, name: str, limits: ReadLimits) -> None:
    if frame.shape[0] > limits.max_rows:
        raise over_limit(
            name,
            "file_too_many_rows",
            "max_rows",
            limits.max_rows,
            "the sheet has {rows:,} rows",
            rows=frame.shape[0],
        )
    if frame.shape[1] > limits.max_columns:
        raise over_limit(
            name,
            "file_too_many_columns",
            "max_columns",
            limits.max_columns,
            "the sheet has {columns:,} columns",
            columns=frame.shape[1],
        )
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        lengths = column.map(lambda v: len(v) if isinstance(v, str) else 0)
        if len(lengths) and lengths.max() > limits.max_cell_chars:
            at = int(lengths.to_numpy().argmax())
            raise over_limit(
                name,
                "file_cell_too_long",
                "max_cell_chars",
                limits.max_cell_chars,
                "row {row:,}, column {column}: the cell holds {chars:,} characters",
                row=at + 1,
                column=position + 1,
                chars=int(lengths.max()),
            )


def _sheet_items(
    frame: pd.DataFrame, fmt: str, find_header: FindHeader
) -> Iterator[tuple[str, Any]]:
    head = [
        [cell_text(v) for v in row]
        for row in frame.head(HEADER_SEARCH_ROWS).itertuples(index=False)
    ]
    index = _pick_header(head, find_header)
    yield _meta(fmt, head, index)
    yield ("rows", frame.iloc[index + 1 :])


def _parse_html(
    path: Path, name: str, find_header: FindHeader, limits: ReadLimits
) -> Iterator[tuple[str, Any]]:
    from pipelines.html_tables import read_html_rows

    rows, label = read_html_rows(path, name)
    width = max(len(r) for r in rows)
    frame = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)
    _check_frame(frame, name, limits)
    frame.index = range(1, len(frame) + 1)
    yield from _sheet_items(frame, f"HTML ({label})", find_header)


def cell_text(value: object) -> str:
    """A cell as the text a user reads in it (Excel numbers without a spurious '.0')."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN: an empty cell
            return ""
        if value.is_integer():
            return str(int(value))
        return repr(value)
    return str(value)
