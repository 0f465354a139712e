"""Reading users' files as grids of cells: CSV in any of the encodings users have, XLSX, XLS.

The format is told from the file's first bytes, never from its name, and the encoding of a CSV
from its content (byte-order mark, strict UTF-8, else charset-normalizer's detection; the GB
family is read as GB18030, the superset of GBK). Excel files are read with calamine, which
reads both XLSX and legacy XLS and returns date cells as datetimes.

Nothing here knows about import kinds: callers pass ``find_header``, a function that scores a
candidate header row, and get back the header and the data rows with their Excel row numbers.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipelines.errors import UnreadableFileError

CSV_CHUNK_ROWS = 200_000
SAMPLE_BYTES = 256 * 1024
HEADER_SEARCH_ROWS = 15

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# charset-normalizer names of the GB family; all are read as GB18030, their superset.
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "hz", "cp936"}


@dataclass
class Grid:
    """A table as read from a file: header cells, then data rows in chunks.

    ``chunks`` yields DataFrames with positional columns 0..n-1 and, as index, the row numbers
    the user sees in Excel (the first line of the file is row 1).
    """

    file: str
    format: str
    header_row: int
    header: list[str]
    chunks: Iterator[pd.DataFrame]
    preamble: list[list[str]]  # rows above the header (titles, extra header rows)


def sniff_format(path: Path) -> str:
    """'xlsx', 'xls' or 'csv', from the first bytes of the file."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(SAMPLE_BYTES)
    except OSError as err:
        raise UnreadableFileError(f"{path.name}: cannot be opened ({err.strerror}).") from err
    if not head.strip():
        raise UnreadableFileError(f"{path.name}: the file is empty.", title="Empty file")
    if head.startswith(XLSX_MAGIC):
        return "xlsx"
    if head.startswith(XLS_MAGIC):
        return "xls"
    if _looks_binary(head):
        raise UnreadableFileError(
            f"{path.name}: this is neither a CSV text file nor an Excel workbook "
            "(it contains binary data). Export the data as CSV, XLSX or XLS.",
            title="Unreadable file",
        )
    return "csv"


def _looks_binary(head: bytes) -> bool:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if b"\x00" in head:
        return True
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 13, 12))
    return control > max(8, len(head) // 100)


def detect_encoding(path: Path) -> tuple[str, str]:
    """(Python codec, label for people) of a CSV file."""
    with open(path, "rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "UTF-8 with BOM"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "UTF-16"
    complete = len(sample) < SAMPLE_BYTES
    if _decodes(sample, "utf-8", complete):
        return "utf-8", "UTF-8"
    if _decodes(sample, "gbk", complete):
        return "gb18030", "GBK"
    if _decodes(sample, "gb18030", complete):
        return "gb18030", "GB18030"

    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    if best is None:
        raise UnreadableFileError(
            f"{path.name}: the text encoding could not be recognised. Save it as CSV in "
            "UTF-8 or GBK, or as an Excel workbook.",
            title="Unknown encoding",
        )
    encoding = best.encoding.lower().replace("-", "_")
    if encoding in _GB_FAMILY:
        return "gb18030", "GB18030"
    return best.encoding, best.encoding.upper()


def _decodes(data: bytes, encoding: str, complete: bool) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        decoder.decode(data, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def read_grid(
    path: Path,
    find_header: Callable[[list[str]], int],
    sheet: str | None = None,
    chunk_rows: int = CSV_CHUNK_ROWS,
) -> Grid:
    """Read a file, finding its header row among the first rows by ``find_header``'s score."""
    path = Path(path)
    fmt = sniff_format(path)
    if fmt == "csv":
        return _read_csv(path, find_header, chunk_rows)
    return _read_excel(path, fmt, find_header, sheet)


def _pick_header(rows: list[list[str]], find_header: Callable[[list[str]], int]) -> int:
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


def _read_csv(path: Path, find_header: Callable[[list[str]], int], chunk_rows: int) -> Grid:
    encoding, label = detect_encoding(path)
    try:
        with open(path, encoding=encoding, newline="") as fh:
            head_text = fh.read(SAMPLE_BYTES)
    except UnicodeDecodeError as err:
        raise _decode_error(path, label, err) from err
    lines = head_text.splitlines(keepends=True)
    if len(head_text) >= SAMPLE_BYTES and lines:
        lines = lines[:-1]  # the last line may be cut short by the sample
    try:
        dialect = csv.Sniffer().sniff("".join(lines[:20]), delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    rows = list(csv.reader(io.StringIO("".join(lines)), delimiter=delimiter))
    if not any(any(c.strip() for c in r) for r in rows):
        raise UnreadableFileError(f"{path.name}: the file has no rows.", title="Empty file")
    index = _pick_header(rows, find_header)
    header = [c.strip() for c in rows[index]]
    # csv.reader counts records, and so does Excel when it opens a CSV: record i is row i+1.
    header_row = index + 1

    def chunks() -> Iterator[pd.DataFrame]:
        try:
            reader = pd.read_csv(
                path,
                sep=delimiter,
                header=None,
                skiprows=index + 1,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
                encoding=encoding,
                chunksize=chunk_rows,
                engine="c",
                names=list(range(max(len(header), 1))),
                index_col=False,
            )
            start = header_row + 1
            for chunk in reader:
                chunk.index = range(start, start + len(chunk))
                start += len(chunk)
                yield chunk
        except UnicodeDecodeError as err:
            raise _decode_error(path, label, err) from err
        except pd.errors.ParserError as err:
            found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(err))
            if found:
                expected, line, saw = found.groups()
                detail = (f"row {line} has {saw} fields but the header has {expected}; "
                          "a comma inside a value needs quotes")
            else:
                detail = f"{str(err).strip()}; a quote may not be closed"
            raise UnreadableFileError(
                f"{path.name}: the CSV is malformed: {detail}. Nothing was loaded.",
                title="Malformed CSV",
            ) from err

    return Grid(
        file=path.name,
        format=f"CSV ({label})",
        header_row=header_row,
        header=header,
        chunks=chunks(),
        preamble=[[c.strip() for c in r] for r in rows[:index]],
    )


def _decode_error(path: Path, label: str, err: UnicodeDecodeError) -> UnreadableFileError:
    return UnreadableFileError(
        f"{path.name}: the file looked like {label} text but byte {err.start} cannot be read "
        f"as {label}. Save it again as UTF-8 or GBK CSV, or as an Excel workbook.",
        title="Mixed encodings",
    )


def excel_sheet_names(path: Path) -> list[str]:
    from python_calamine import CalamineWorkbook

    try:
        return list(CalamineWorkbook.from_path(str(path)).sheet_names)
    except Exception as err:  # calamine raises its own error types for damaged files
        raise _damaged(path, err) from err


def _damaged(path: Path, err: Exception) -> UnreadableFileError:
    return UnreadableFileError(
        f"{path.name}: the Excel workbook is damaged or truncated and cannot be read "
        f"({type(err).__name__}: {err}). Download or save it again.",
        title="Damaged workbook",
    )


def _read_excel(
    path: Path, fmt: str, find_header: Callable[[list[str]], int], sheet: str | None
) -> Grid:
    names = excel_sheet_names(path)
    if sheet is not None and sheet not in names:
        raise UnreadableFileError(
            f"{path.name}: there is no sheet {sheet!r}; the workbook has {', '.join(names)}.",
            title="No such sheet",
        )
    try:
        frame = pd.read_excel(
            path, engine="calamine", header=None, sheet_name=sheet or 0, dtype=object
        )
    except Exception as err:
        raise _damaged(path, err) from err
    frame.index = range(1, len(frame) + 1)  # Excel row numbers
    frame.columns = range(frame.shape[1])
    if frame.empty:
        raise UnreadableFileError(
            f"{path.name}: the sheet {sheet or names[0]!r} is empty.", title="Empty file"
        )
    head = [[cell_text(v) for v in row] for row in frame.head(HEADER_SEARCH_ROWS).itertuples(
        index=False
    )]
    index = _pick_header(head, find_header)
    header = [c.strip() for c in head[index]]
    data = frame.iloc[index + 1 :]
    return Grid(
        file=path.name,
        format=fmt.upper(),
        header_row=index + 1,
        header=header,
        chunks=iter([data]),
        preamble=head[:index],
    )


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
