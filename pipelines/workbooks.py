"""Looking inside a workbook before a reader is let loose on it.

An XLSX is a zip of XML parts. Its sheet may declare (``<dimension ref="A1:XFD1048576"/>``)
or really hold a cell far away, which makes a reader that builds a dense grid allocate
rows x columns cells; its parts may decompress to gigabytes from a few kilobytes; a cell may
hold hundreds of megabytes of text; a formula may have no stored result (a workbook written
by a program and never opened in Excel), which a reader returns as an empty cell. This
module streams the zip's parts with a cap on the bytes it inflates and refuses such a file
with a sentence naming the limit, before the workbook is read. A legacy XLS or an encrypted
workbook is an OLE2 compound file; an encrypted one (password to open) holds an
``EncryptedPackage`` stream.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pipelines.errors import UnreadableFileError
from pipelines.limits import EXCEL_MAX_ROWS, ReadLimits, over_limit

_BLOCK = 1 << 20
_TAIL = 64  # bytes kept between blocks so that no tag is cut in two

_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]*)(\d*)(?::([A-Z]+)(\d+))?"')
_ROW = re.compile(rb'<(?:\w+:)?row\b[^>]*?\sr="(\d+)"')
_WIDE_CELL = re.compile(rb'<(?:\w+:)?c\b[^>]*?\sr="([A-Z]{3})(\d+)"')
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\sr="([A-Z]+\d+)"')
_TEXT_TAG = re.compile(rb"<(/?)(?:\w+:)?t(?:\s[^>]*)?>")


def column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


@dataclass
class SheetShape:
    rows: int = 0
    columns: int = 0


def check_compound_file(path: Path, name: str) -> None:
    """Refuse an OLE2 file that is an encrypted workbook (an Office password to open)."""
    marker = "EncryptedPackage".encode("utf-16-le")
    with open(path, "rb") as fh:
        tail = b""
        for block in iter(lambda: fh.read(_BLOCK), b""):
            if marker in tail + block:
                raise protected(name)
            tail = block[-len(marker) :]


def protected(name: str) -> UnreadableFileError:
    return UnreadableFileError(
        f"{name}: the workbook is protected by a password, so it cannot be read. Open it in "
        "Excel or WPS, remove the password (File > Info > Protect Workbook), save, and upload "
        "it again.",
        title="Password-protected workbook",
        code="file_password_protected",
        params={"file": name},
    )


def damaged(name: str, reason: str = "") -> UnreadableFileError:
    return UnreadableFileError(
        f"{name}: the Excel workbook is damaged or truncated and cannot be read"
        f"{f' ({reason})' if reason else ''}. Download or save it again.",
        title="Damaged workbook",
        code="file_damaged",
        params={"file": name},
    )


def inspect_xlsx(path: Path, name: str, sheet: str | None, limits: ReadLimits) -> None:
    """Refuse the workbook if the sheet to read, or any part, passes a limit."""
    try:
        book = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise damaged(name, "not a complete zip archive") from err
    with book:
        infos = book.infolist()
        declared = sum(i.file_size for i in infos)
        if declared > limits.max_unzipped_bytes:
            raise over_limit(
                name,
                "file_unzipped_too_large",
                "max_unzipped_bytes",
                limits.max_unzipped_bytes,
                "the workbook decompresses to {size:,} bytes",
                size=declared,
            )
        budget = [limits.max_unzipped_bytes]
        names = {i.filename for i in infos}
        if "xl/sharedStrings.xml" in names:
            _check_text_lengths(book, "xl/sharedStrings.xml", name, limits, budget)
        part = _sheet_part(book, names, sheet, limits, budget)
        if part is None:
            return  # the reader says which sheets there are
        shape = _scan_sheet(book, part, name, limits, budget)
    _check_shape(shape, name, limits)


def _check_shape(shape: SheetShape, name: str, limits: ReadLimits) -> None:
    if shape.rows > min(limits.max_rows, EXCEL_MAX_ROWS):
        limit = min(limits.max_rows, EXCEL_MAX_ROWS)
        raise over_limit(
            name,
            "file_too_many_rows",
            "max_rows",
            limit,
            "the sheet has or declares {rows:,} rows",
            rows=shape.rows,
        )
    if shape.columns > limits.max_columns:
        raise over_limit(
            name,
            "file_too_many_columns",
            "max_columns",
            limits.max_columns,
            "the sheet has or declares {columns:,} columns",
            columns=shape.columns,
        )
    if shape.rows * shape.columns > limits.max_cells:
        raise over_limit(
            name,
            "file_too_many_cells",
            "max_cells",
            limits.max_cells,
            "the sheet spans {rows:,} rows by {columns:,} columns",
            rows=shape.rows,
            columns=shape.columns,
        )


def _read_part(book: zipfile.ZipFile, part: str, name: str, limits: ReadLimits, budget: list[int]):
    """The decompressed blocks of one part, counted against what may be inflated in all."""
    try:
        with book.open(part) as fh:
            while True:
                block = fh.read(_BLOCK)
                if not block:
                    return
                budget[0] -= len(block)
                if budget[0] < 0:
                    raise over_limit(
                        name,
                        "file_unzipped_too_large",
                        "max_unzipped_bytes",
                        limits.max_unzipped_bytes,
                        "the workbook decompresses to more than {limit:,} bytes",
                    )
                yield block
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as err:
        if "encrypted" in str(err):
            raise protected(name) from err
        raise damaged(name, str(err)) from err
    except Exception as err:  # zlib.error and kin from a corrupted stream
        if isinstance(err, UnreadableFileError):
            raise
        raise damaged(name, type(err).__name__) from err


def _small_part(
    book: zipfile.ZipFile, part: str, name: str, limits: ReadLimits, budget: list[int]
) -> bytes:
    data = b""
    for block in _read_part(book, part, name, limits, budget):
        data += block
        if len(data) > 16 << 20:
            raise damaged(name, f"{part} is implausibly large")
    return data


def _sheet_part(
    book: zipfile.ZipFile, names: set[str], sheet: str | None, limits: ReadLimits, budget: list[int]
) -> str | None:
    """The zip path of the sheet that will be read (the named one, else the first)."""
    workbook = "xl/workbook.xml"
    rels = "xl/_rels/workbook.xml.rels"
    if workbook not in names or rels not in names:
        return None
    book_xml = _small_part(book, workbook, "", limits, budget).decode("utf-8", "replace")
    rels_xml = _small_part(book, rels, "", limits, budget).decode("utf-8", "replace")
    sheets = re.findall(r"<(?:\w+:)?sheet\b([^>]*)/?>", book_xml)
    targets = dict(re.findall(r'<Relationship\b[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', rels_xml))
    targets.update(
        {
            rid: target
            for target, rid in re.findall(
                r'<Relationship\b[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"', rels_xml
            )
        }
    )
    for attributes in sheets:
        found_name = re.search(r'\bname="([^"]*)"', attributes)
        rid = re.search(r'\br:id="([^"]*)"|\bid="([^"]*)"', attributes)
        if rid is None:
            continue
        if sheet is not None and (found_name is None or _unescape(found_name.group(1)) != sheet):
            continue
        target = targets.get(rid.group(1) or rid.group(2) or "")
        if target is None:
            return None
        target = target.lstrip("/")
        part = target if target.startswith("xl/") else f"xl/{target}"
        return part if part in names else None
    return None


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


def _scan_sheet(
    book: zipfile.ZipFile, part: str, name: str, limits: ReadLimits, budget: list[int]
) -> SheetShape:
    shape = SheetShape()
    tail = b""
    first = True
    formula_cell: str | None = None
    for block in _read_part(book, part, name, limits, budget):
        data = tail + block
        if first:
            found = _DIMENSION.search(data)
            if found and found.group(3):
                shape.rows = int(found.group(4))
                shape.columns = column_number(found.group(3).decode())
                _check_shape(shape, name, limits)
            first = False
        rows = _ROW.findall(data)
        if rows:
            shape.rows = max(shape.rows, int(rows[-1]))
        for letters, _row in _WIDE_CELL.findall(data):
            shape.columns = max(shape.columns, column_number(letters.decode()))
        if formula_cell is None:
            formula_cell = _formula_without_value(data)
        _check_shape(shape, name, limits)
        _check_inline_text(data, name, limits)
        tail = data[-_TAIL:] if len(data) > _TAIL else data
    if formula_cell is not None:
        raise UnreadableFileError(
            f"{name}: cell {formula_cell} holds a formula whose result was never calculated "
            "(the workbook was written by a program and not opened in Excel). Open it in Excel "
            "or WPS and save it, or paste the values, then upload it again.",
            title="Formulas without values",
            code="file_formula_without_value",
            params={"file": name, "cell": formula_cell},
        )
    return shape


def _formula_without_value(data: bytes) -> str | None:
    """The reference of the first cell in ``data`` with a formula and no stored value."""
    for found in _FORMULA.finditer(data):
        start = data.rfind(b"<c", 0, found.start())
        while start >= 0 and data[start + 2 : start + 3] not in (b" ", b">"):
            start = data.rfind(b"<c", 0, start)
        end = data.find(b"</c>", found.end())
        if start < 0 or end < 0:
            continue  # cut by the block boundary: the next block sees the whole cell
        cell = data[start:end]
        if re.search(rb"<(?:\w+:)?v>[^<]", cell) is None:
            ref = _CELL_REF.match(cell)
            return ref.group(1).decode() if ref else "?"
    return None


def _check_text_lengths(
    book: zipfile.ZipFile, part: str, name: str, limits: ReadLimits, budget: list[int]
) -> None:
    """Refuse a shared string longer than a cell may be, without holding it in memory."""
    open_at: int | None = None  # offset of the current <t>'s text, counted over the part
    offset = 0
    for block in _read_part(book, part, name, limits, budget):
        for found in _TEXT_TAG.finditer(block):
            if found.group(1):  # </t>
                if open_at is not None:
                    _refuse_long_text(offset + found.start() - open_at, name, limits)
                open_at = None
            else:
                open_at = offset + found.end()
        if open_at is not None:
            _refuse_long_text(offset + len(block) - open_at, name, limits)
        offset += len(block)


def _check_inline_text(data: bytes, name: str, limits: ReadLimits) -> None:
    """Inline strings and stored values in a sheet block: a block is 1 MB, so a cell too
    long to read shows as a tag whose end is not in the block, or a long span inside it."""
    for found in re.finditer(rb"<(?:\w+:)?[tv](?:\s[^>]*)?>([^<]*)", data):
        # UTF-8 bytes >= characters: only spans longer in bytes than the limit can pass it
        if len(found.group(1)) > limits.max_cell_chars:
            _refuse_long_text(len(found.group(1)), name, limits)


def _refuse_long_text(length_bytes: int, name: str, limits: ReadLimits) -> None:
    # Counted in UTF-8 bytes, and only as far as the scan has come: a character takes at
    # most 3 bytes here (CJK), so a cell of more bytes than 3 x the limit is surely too long,
    # with at least a third as many characters. Shorter ones are measured after reading.
    if length_bytes > 3 * limits.max_cell_chars:
        raise over_limit(
            name,
            "file_cell_too_long",
            "max_cell_chars",
            limits.max_cell_chars,
            "a cell holds at least {chars:,} characters",
            chars=length_bytes // 3,
        )
