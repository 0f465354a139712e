"""HTML tables saved as ``.xls``: what 问卷星 and many Chinese systems really export.

Excel opens an HTML file named ``.xls`` as a sheet, so users see a workbook; the bytes are an
HTML page with one ``<table>``, often in GBK or GB2312 with the charset in a ``<meta>`` tag.
It is read with lxml's HTML parser (no network, no external entities): the largest table's
rows, each cell as the text a user sees (``<br>`` as a line break, ``&nbsp;`` as a space,
``colspan`` as empty cells after it).
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from pipelines.errors import UnreadableFileError

_HTML_START = re.compile(
    rb"^(?:\s|<!--.*?-->)*(?:<\?xml[^>]*>\s*)?(?:<!doctype\s+html|<html|<table|<head|<meta)",
    re.IGNORECASE | re.DOTALL,
)
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)""", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>", re.IGNORECASE)
_GB_NAMES = {"gb2312", "gbk", "gb18030", "cp936", "x-gbk", "euc-cn"}


def looks_like_html(head: bytes) -> bool:
    """Whether the first bytes of a file are an HTML page (after a byte-order mark)."""
    for bom in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        if head.startswith(bom):
            head = head[len(bom) :]
            if bom != codecs.BOM_UTF8:
                head = head.decode("utf-16", "ignore").encode("utf-8")
            break
    return _HTML_START.match(head[:4096]) is not None


def decode_html(data: bytes, name: str) -> tuple[str, str]:
    """(text, label of the encoding): the byte-order mark, else the meta charset, else
    UTF-8, else GB18030."""
    if data.startswith(codecs.BOM_UTF8):
        return _decode(data[3:], "utf-8", "UTF-8", name)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode(data, "utf-16", "UTF-16", name)
    declared = _CHARSET.search(data[:8192])
    if declared:
        charset = declared.group(1).decode("ascii", "ignore").lower()
        if charset in _GB_NAMES:
            return _decode(data, "gb18030", "GBK", name)
        try:
            codec = codecs.lookup(charset).name
        except LookupError:
            codec = None
        if codec:
            try:
                return data.decode(codec), charset.upper()
            except UnicodeDecodeError:
                pass  # a wrong declaration: fall back to what the bytes are
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        return _decode(data, "gb18030", "GBK", name)


def _decode(data: bytes, codec: str, label: str, name: str) -> tuple[str, str]:
    try:
        return data.decode(codec), label
    except UnicodeDecodeError as err:
        raise UnreadableFileError(
            f"{name}: the page says it is {label} but byte {err.start} cannot be read as "
            f"{label}. Export it again, or save it from Excel as XLSX or CSV.",
            title="Mixed encodings",
            code="file_mixed_encoding",
            params={
                "file": name,
                "encoding": label,
                "offset": err.start,
                "row": data.count(b"\n", 0, err.start) + 1,
            },
        ) from err


def read_html_rows(path: Path, name: str) -> tuple[list[list[str]], str]:
    """(rows of the largest table, label of the encoding)."""
    import lxml.html
    from lxml import etree

    data = Path(path).read_bytes()
    if b"\x00" in data and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        at = data.index(b"\x00")
        raise UnreadableFileError(
            f"{name}: the page contains a NUL byte (byte {at:,}), which no export writes; it is "
            "damaged. Export it again.",
            title="Damaged file",
            code="file_nul_byte",
            params={"file": name, "row": data.count(b"\n", 0, at) + 1, "offset": at},
        )
    text, label = decode_html(data, name)
    text = _XML_DECLARATION.sub("", text, count=1)
    if re.search(r"<table", text, re.IGNORECASE) and not re.search(
        r"</table\s*>", text, re.IGNORECASE
    ):
        raise UnreadableFileError(
            f"{name}: the page ends inside its table (the download or export broke off), so its "
            "last rows may be missing. Download or export it again.",
            title="Damaged file",
            code="file_damaged",
            params={"file": name},
        )
    parser = lxml.html.HTMLParser(
        no_network=True, remove_comments=True, remove_pis=True, huge_tree=False
    )
    try:
        document = lxml.html.document_fromstring(text, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as err:
        raise _no_table(name) from err
    tables = document.xpath("//table")
    if not tables:
        raise _no_table(name)
    table = max(tables, key=lambda t: len(t.xpath(".//tr")))
    rows = []
    for tr in table.xpath(".//tr"):
        if tr.xpath("ancestor::table[1]")[0] is not table:
            continue  # a row of a table nested in a cell
        row: list[str] = []
        for cell in tr.xpath("./td|./th"):
            row.append(_cell_text(cell))
            span = cell.get("colspan", "1")
            row.extend([""] * (min(int(span), 1000) - 1 if span.isdigit() else 0))
        rows.append(row)
    if not any(any(c.strip() for c in row) for row in rows):
        raise _no_table(name)
    return rows, label


def _cell_text(cell) -> str:
    for br in cell.xpath(".//br"):
        br.tail = "\n" + (br.tail or "")
    text = cell.text_content().replace("\xa0", " ").replace("\r\n", "\n")
    return "\n".join(line.strip() for line in text.split("\n")).strip()


def _no_table(name: str) -> UnreadableFileError:
    return UnreadableFileError(
        f"{name}: this is a web page (HTML) without a table of data, not a workbook. Export "
        "the data again as Excel or CSV.",
        title="No table",
        code="file_no_rows",
        params={"file": name},
    )
