"""The hostile-input corpus (issue 9): files that users, tools and attackers really produce,
each with what the product must do with it.

Nothing here is committed as a binary: ``build(folder)`` writes every file at test time (the
largest, a 50 MB CSV line and a 300 MB cell deflated to a few hundred KB, only in a temporary
folder). ``python -m tests.hostile.make_corpus FOLDER`` writes the corpus for a look by hand
and prints one line per case.

A case is refused (exit status 1, one ``Error:`` line, the database unchanged, a
``HandoverError`` with one of the case's codes from the library) or loads (exit status 0, then
its ``check`` reads the stg_* views). Limits are lowered through the HANDOVER_READ_* variables
where that keeps a file small; a case says which.

Cases found by the fuzz tests (tests/test_fuzz_readers.py) are added at the end, under
"found by fuzzing".
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import random
import re
import shutil
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from tests.hostile.cfb import write_cfb

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"

CLIENT_HEADER = ["客户编号", "企业名称", "统一社会信用代码", "联系人", "联系电话"]
GOOD_A = ["KHC002", "上海乙贸易有限公司", "91310104MA1FL5LX3D", "李四", "13900001111"]
GOOD_B = ["KHC003", "上海丙咨询有限公司", "", "王五", "13700002222"]
# one unquoted comma too many: "上海甲,乙贸易有限公司" was one company name
EXTRA_COMMA_LINE = "KHC001,上海甲,乙贸易有限公司,91310115MA1K3X2Y4N,张三,13812345678"
SHORT_LINE = "KHC004,上海丁有限公司,91310115MA1K3X2Y4N,赵六"
UNCLOSED_QUOTE_LINE = 'KHQ001,"上海引号有限公司,,张三,13812345678'
MARKUP_HEADERS = [
    "[/]",
    "[bold]x",
    "=cmd|' /C calc'!A0",
    "<script>alert(1)</script>",
    "**x** [y](https://example.com)",
]

# A bad row's problem names both counts ("row 3 has 6 fields, the header has 5"; the row itself
# is the Problem's row number)
FIELDS = r"\b{} fields\b.*\bheader has {}\b"

# Limit codes (HANDOVER_READ_* exceeded)
LIMIT_CODES = ("file_too_many_rows", "file_too_many_columns", "file_memory_limit")


@dataclass
class Case:
    """One hostile file and what the product must do with it.

    ``expected``: "refused" (``codes``: the acceptable error codes, empty for any
    HandoverError), "loads" (``check(store)`` asserts the loaded values), or
    "loads_or_rejected" (either it loads and ``check`` passes, or it is an
    ``import_rejected`` whose problems include ``problems``), or "loads_or_refused" (it
    loads and ``check`` passes, or it is refused with one of ``codes``)."""

    name: str
    kind: str  # clients | handovers | events | feedback
    path: Path
    expected: str
    codes: tuple[str, ...] = ()
    check: Callable[..., None] | None = None
    env: dict[str, str] = field(default_factory=dict)
    args: tuple[str, ...] = ()  # more CLI arguments (--skip-invalid, --sheet ...)
    options: dict[str, object] = field(default_factory=dict)  # the same for the library call
    message: str | None = None  # a regex the Error line must match
    problems: tuple[tuple[int, str], ...] = ()  # (row, regex on str(Problem)) to be listed
    isolate: bool = False  # run in a child process with an address-space cap (may explode)
    about: str = ""

    def spec(self) -> dict[str, object]:
        """What the harness needs to run the case in another process (JSON)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "path": str(self.path),
            "args": list(self.args),
            "env": self.env,
            "options": self.options,
            "library": self.expected != "loads",
        }


# -- writers ----------------------------------------------------------------------------------


def csv_bytes(rows: Iterable[Iterable[object]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def openpyxl_book(rows: list[list[object]], sheet: str = "Sheet1"):
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    return book


def rezip(src: Path, dst: Path, change: dict[str, Callable[[bytes], bytes]]) -> Path:
    """Copy a zip, passing the named members through functions (deflated again)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename in change:
                data = change[info.filename](data)
            zout.writestr(info.filename, data)
    return dst


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    "{dimension}<sheetData>"
)
SHEET_TAIL = "</sheetData></worksheet>"
SST_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def col_name(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def inline_row(number: int, cells: list[str]) -> str:
    inner = "".join(
        f'<c r="{col_name(i)}{number}" t="inlineStr"><is><t>{xml_escape(v)}</t></is></c>'
        for i, v in enumerate(cells)
        if v != ""
    )
    return f'<row r="{number}">{inner}</row>'


@dataclass(frozen=True)
class Repeat:
    """``block`` ``count`` times, in a zip member: deflated once, its output repeated (each
    piece of a member is a deflate stream of its own ending in a full flush, so that pieces
    concatenate into one valid stream), which writes a 300 MB part in a fraction of a second."""

    block: bytes
    count: int


Piece = bytes | str | Repeat


def _deflate(data: bytes, level: int) -> bytes:
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)


def write_zip(path: Path, members: list[tuple[str, Iterable[Piece]]], level: int = 9) -> Path:
    """A zip (deflate) written piece by piece, with ``Repeat`` pieces deflated once."""
    out = bytearray()
    central = bytearray()
    for name, pieces in members:
        stream, crc, size = bytearray(), 0, 0
        for piece in pieces:
            if isinstance(piece, Repeat):
                deflated = _deflate(piece.block, level)
                stream += deflated * piece.count
                for _ in range(piece.count):
                    crc = zlib.crc32(piece.block, crc)
                size += len(piece.block) * piece.count
            else:
                data = piece.encode() if isinstance(piece, str) else piece
                stream += _deflate(data, level)
                crc = zlib.crc32(data, crc)
                size += len(data)
        stream += zlib.compressobj(level, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)  # final
        encoded = name.encode()
        fields = struct.pack(
            "<HHHHHIIIH", 20, 0x0800, 8, 0, 0x21, crc, len(stream), size, len(encoded)
        )
        central += (
            b"PK\x01\x02"
            + struct.pack("<H", 20)
            + fields
            + struct.pack("<HHHHII", 0, 0, 0, 0, 0, len(out))
            + encoded
        )
        out += b"PK\x03\x04" + fields + struct.pack("<H", 0) + encoded + stream
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(out), 0
    )
    path.write_bytes(bytes(out + central + end))
    return path


def stream_xlsx(path: Path, sheet: Iterable[Piece], shared: Iterable[Piece] = ()) -> Path:
    """A minimal workbook whose sheet XML and sharedStrings XML are given as pieces."""
    shared = list(shared) or [SST_HEAD + "</sst>"]
    return write_zip(
        path,
        [
            ("[Content_Types].xml", [_CONTENT_TYPES]),
            ("_rels/.rels", [_ROOT_RELS]),
            ("xl/workbook.xml", [_WORKBOOK]),
            ("xl/_rels/workbook.xml.rels", [_WORKBOOK_RELS]),
            ("xl/worksheets/sheet1.xml", sheet),
            ("xl/sharedStrings.xml", shared),
        ],
    )


def html_xls(
    rows: list[list[str]],
    *,
    charset: str = "utf-8",
    header_tag: str = "td",
    title: str | None = None,
    meta: str = "charset",
    close_cells: bool = True,
    upper: bool = False,
    doctype: str = "",
) -> bytes:
    """An HTML table saved as .xls, as 问卷星 and many Chinese systems export: Office
    namespaces, a charset in a meta tag, optionally a title row above the header. Cell
    contents are raw HTML (entities and <br> as the case wants them)."""
    meta_tag = (
        f'<meta charset="{charset}">'
        if meta == "charset"
        else f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">'
    )
    width = max(len(r) for r in rows)
    lines = [
        doctype,
        (
            '<html xmlns:o="urn:schemas-microsoft-com:office:office" '
            'xmlns:x="urn:schemas-microsoft-com:office:excel" '
            'xmlns="http://www.w3.org/TR/REC-html40">'
        ),
        (
            f"<head>{meta_tag}<!--[if gte mso 9]><xml><x:ExcelWorkbook><x:ExcelWorksheets>"
            "<x:ExcelWorksheet><x:Name>Sheet1</x:Name></x:ExcelWorksheet></x:ExcelWorksheets>"
            "</x:ExcelWorkbook></xml><![endif]--><style>td{mso-number-format:'\\@';}</style>"
            "</head><body>"
        ),
        '<table border="1" cellspacing="0">',
    ]
    if title is not None:
        lines.append(f'<tr><td colspan="{width}" style="font-weight:bold">{title}</td></tr>')
    for number, row in enumerate(rows):
        tag = header_tag if number == 0 else "td"
        end = f"</{tag}>" if close_cells else ""
        cells = "".join(f"<{tag}>{cell}{end}" for cell in row)
        lines.append(f"<tr>{cells}</tr>" if close_cells else f"<tr>{cells}")
    lines.append("</table></body></html>")
    text = "\r\n".join(lines)
    if upper:
        text = re.sub(r"</?(tr|td|th|table)\b", lambda m: m.group(0).upper(), text)
    return text.encode("gbk" if charset.lower() in ("gbk", "gb2312") else charset)


def xls_bytes(rows: list[list[object]], long_strings: bool = False) -> bytes:
    """A legacy BIFF8 workbook by xlwt (strings up to 65535 characters with ``long_strings``;
    xlwt stops at 32767, Excel's cell limit, which BIFF itself does not have)."""
    import xlwt
    import xlwt.BIFFRecords
    import xlwt.UnicodeUtils

    original = xlwt.UnicodeUtils.upack2

    def upack2(s, encoding="ascii"):
        encoded = s.encode("latin1") if all(ord(c) < 256 for c in s) else None
        if encoded is not None:
            return struct.pack("<HB", len(s), 0) + encoded
        encoded = s.encode("utf_16_le")
        return struct.pack("<HB", len(encoded) // 2, 1) + encoded

    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet("Sheet1")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                ws.write(r, c, value)
    if long_strings:
        xlwt.UnicodeUtils.upack2 = xlwt.BIFFRecords.upack2 = upack2
    try:
        return book.get_biff_data()
    finally:
        xlwt.UnicodeUtils.upack2 = xlwt.BIFFRecords.upack2 = original


def xls_file(path: Path, biff: bytes) -> Path:
    import xlwt.CompoundDoc

    out = io.BytesIO()
    xlwt.CompoundDoc.XlsDoc().save(out, biff)
    return write(path, out.getvalue())


def biff_records(biff: bytes) -> list[tuple[int, bytes]]:
    records, position = [], 0
    while position + 4 <= len(biff):
        kind, length = struct.unpack_from("<HH", biff, position)
        records.append((kind, biff[position + 4 : position + 4 + length]))
        position += 4 + length
    return records


def with_filepass(biff: bytes) -> bytes:
    """The BIFF stream with a FILEPASS record (RC4 encryption header) after the first BOF,
    as Excel writes a workbook saved with a password to open; the BOUNDSHEET offsets of the
    sheets are moved by the record's size."""
    filepass = struct.pack("<HHH", 1, 1, 1) + bytes(range(48))  # type RC4, v1.1, salt...
    record = struct.pack("<HH", 0x002F, len(filepass)) + filepass
    out, position = bytearray(), 0
    for index, (kind, data) in enumerate(biff_records(biff)):
        if kind == 0x0085:  # BOUNDSHEET: lbPlyPos first
            data = struct.pack("<I", struct.unpack_from("<I", data)[0] + len(record)) + data[4:]
        out += struct.pack("<HH", kind, len(data)) + data
        if index == 0:
            out += record
        position += 4 + len(data)
    return bytes(out)


def encrypted_ooxml(plain: bytes) -> bytes:
    """An Office "encrypt with password" file: a compound file with the agile-encryption
    EncryptionInfo, the EncryptedPackage (size + ciphertext, here random bytes) and the
    \\x06DataSpaces storage, as Excel writes it (see cfb.py for why it is built by hand)."""
    rng = random.Random(9)
    b64 = "MDEyMzQ1Njc4OWFiY2RlZg=="
    xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
        '<encryption xmlns="http://schemas.microsoft.com/office/2006/encryption" '
        'xmlns:p="http://schemas.microsoft.com/office/2006/keyEncryptor/password" '
        'xmlns:c="http://schemas.microsoft.com/office/2006/keyEncryptor/certificate">'
        f'<keyData saltSize="16" blockSize="16" keyBits="256" hashSize="64" '
        f'cipherAlgorithm="AES" cipherChaining="ChainingModeCBC" hashAlgorithm="SHA512" '
        f'saltValue="{b64}"/><dataIntegrity encryptedHmacKey="{b64}" '
        f'encryptedHmacValue="{b64}"/><keyEncryptors><keyEncryptor '
        'uri="http://schemas.microsoft.com/office/2006/keyEncryptor/password">'
        '<p:encryptedKey spinCount="100000" saltSize="16" blockSize="16" keyBits="256" '
        'hashSize="64" cipherAlgorithm="AES" cipherChaining="ChainingModeCBC" '
        f'hashAlgorithm="SHA512" saltValue="{b64}" encryptedVerifierHashInput="{b64}" '
        f'encryptedVerifierHashValue="{b64}" encryptedKeyValue="{b64}"/></keyEncryptor>'
        "</keyEncryptors></encryption>"
    )
    info = struct.pack("<HHI", 4, 4, 0x40) + xml.encode()
    size = len(plain)
    package = struct.pack("<Q", size) + bytes(
        rng.randrange(256) for _ in range(-(-size // 16) * 16)
    )

    def utf16(text: str) -> bytes:
        data = text.encode("utf-16-le")
        return struct.pack("<I", len(data)) + data

    version = utf16("Microsoft.Container.DataSpaces") + struct.pack("<HHHHHH", 1, 0, 1, 0, 1, 0)
    space_map = (
        struct.pack("<II", 8, 1)
        + struct.pack("<II", 0, 1)
        + struct.pack("<I", 0)
        + utf16("EncryptedPackage")
        + utf16("StrongEncryptionDataSpace")
    )
    return write_cfb(
        {
            "\x06DataSpaces/Version": version,
            "\x06DataSpaces/DataSpaceMap": space_map,
            "\x06DataSpaces/DataSpaceInfo/StrongEncryptionDataSpace": struct.pack("<II", 8, 1)
            + utf16("StrongEncryptionTransform"),
            "\x06DataSpaces/TransformInfo/StrongEncryptionTransform/\x06Primary": struct.pack(
                "<II", 0x58, 1
            )
            + utf16("{FF9A3F03-56EF-4613-BDD5-5A41C1D07246}")
            + utf16("Microsoft.Container.EncryptionTransform")
            + struct.pack("<IIII", 1, 0, 1, 0),
            "EncryptionInfo": info,
            "EncryptedPackage": package,
        }
    )


def patch_zip_sizes(data: bytes, member: str, declared: int) -> bytes:
    """A zip whose local and central headers of ``member`` declare ``declared`` bytes
    uncompressed (the deflated data and its CRC are the real ones): a lying size."""
    out = bytearray(data)
    name = member.encode()
    position = 0
    while (position := out.find(b"PK\x03\x04", position)) >= 0:
        length = struct.unpack_from("<H", out, position + 26)[0]
        if out[position + 30 : position + 30 + length] == name:
            struct.pack_into("<I", out, position + 22, declared)
        position += 4
    position = 0
    while (position := out.find(b"PK\x01\x02", position)) >= 0:
        length = struct.unpack_from("<H", out, position + 28)[0]
        if out[position + 46 : position + 46 + length] == name:
            struct.pack_into("<I", out, position + 24, declared)
        position += 4
    return bytes(out)


def _far_dimension(data: bytes) -> bytes:
    return re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', data)


def _far_cell(data: bytes) -> bytes:
    return _far_dimension(data).replace(
        b"</sheetData>",
        b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>',
    )


def far_cell_workbook(path: Path) -> Path:
    """A valid 3-row clients workbook (openpyxl) whose sheet declares A1:XFD1048576 and holds
    one more cell at XFD1048576: 17 billion cells to a reader that allocates the range."""
    plain = path.with_name(f"_{path.stem}_plain.xlsx")
    openpyxl_book(
        [CLIENT_HEADER, ["KHF001", "上海远格有限公司", "", "张三", "13812345678"], GOOD_A]
    ).save(plain)
    rezip(plain, path, {"xl/worksheets/sheet1.xml": _far_cell})
    plain.unlink()
    return path


# -- checks of the cases that load ------------------------------------------------------------


def _one(store, sql: str, *params) -> dict:
    rows = store.query(sql, list(params)).dicts()
    assert len(rows) == 1, f"{sql} {params}: {len(rows)} rows"
    return rows[0]


def _client(store, client_id: str) -> dict:
    return _one(store, "select * from stg_clients where client_id = ?", client_id)


def _no_client(store, client_id: str) -> None:
    found = store.query(
        "select count(*) from stg_clients where client_id = ?", [client_id]
    ).scalar()
    assert found == 0, f"{client_id} was loaded"


def check_skip_extra_first(store) -> None:
    _no_client(store, "KHC001")
    good = _client(store, "KHC002")  # the row after the bad one: nothing shifted
    assert (good["company_name"], good["uscc"], good["contact_name"], good["contact_phone"]) == (
        "上海乙贸易有限公司",
        "91310104MA1FL5LX3D",
        "李四",
        "13900001111",
    )
    assert _client(store, "KHC003")["contact_phone"] == "13700002222"


def check_skip_short(store) -> None:
    _no_client(store, "KHC004")
    assert _client(store, "KHC002")["contact_phone"] == "13900001111"
    assert _client(store, "KHC003")["contact_name"] == "王五"


def check_markup_extras(store) -> None:
    row = _client(store, "KHM001")
    assert row["company_name"] == "=cmd|' /C calc'!A0"  # stored as written, never evaluated
    assert row["contact_name"] == "[bold]张三[/]"
    extra = json.loads(row["extra"])
    assert extra == {h: f"v{i}{h}" for i, h in enumerate(MARKUP_HEADERS)}, extra


def check_markup_name(store) -> None:
    assert _client(store, "KHN001")["company_name"] == "上海名称有限公司"


def check_extreme_dates(store) -> None:
    row = _client(store, "KHD001")
    assert row["service_start"] == date(1, 1, 1), row["service_start"]
    assert row["contract_end"] == date(9999, 12, 31), row["contract_end"]


def check_extreme_dates_xlsx(store) -> None:
    row = _client(store, "KHD101")
    assert row["contract_end"] == date(9999, 12, 31), row["contract_end"]
    assert row["service_start"] == date(1900, 1, 1), row["service_start"]


def check_utf16(store) -> None:
    row = _client(store, "KHU001")
    assert (row["company_name"], row["contact_phone"]) == ("上海统一码有限公司", "13812345670")


def check_html_clients(store) -> None:
    row = _client(store, "KHH001")
    assert row["company_name"] == "上海甲&乙有限公司", row["company_name"]  # &amp;
    assert row["contact_name"] == "张三", row["contact_name"]  # &nbsp; around it
    assert row["contact_phone"] == "13812345678"
    address = row["address"]
    assert "上海市浦东新区" in address and "张江路1号" in address and "<br" not in address, address
    second = _client(store, "KHH002")
    assert second["company_name"] == "上海<乙>贸易有限公司", second["company_name"]  # &lt; &gt;
    assert second["contact_phone"] == "13900001111"
    assert second["uscc"] == "91310104MA1FL5LX3D"


def check_html_clients_gbk(store) -> None:
    row = _client(store, "KHG001")
    assert (row["company_name"], row["contact_name"], row["contact_phone"]) == (
        "上海广发咨询有限公司",
        "钱七",
        "13812340000",
    )
    assert _client(store, "KHG002")["company_name"] == "上海（集团）有限公司".replace(
        "（", "("
    ).replace("）", ")")


def check_html_handovers(store) -> None:
    row = _one(store, "select * from stg_handovers where handover_id = ?", "JJ-H01")
    assert (row["client_id"], row["from_staff"], row["to_staff"], row["reason"]) == (
        "KH001",
        "李四",
        "赵六",
        "resignation",
    )
    assert row["actual_end"] == datetime(2026, 3, 9, 17, 30)


def check_html_events(store) -> None:
    rows = store.query(
        "select * from stg_events where handover_id = 'JJ-H01' order by occurred_at"
    ).dicts()
    assert [(r["event_type"], r["item_code"], r["actor"]) for r in rows] == [
        ("item_transferred", "business_license", "李四"),
        ("item_verified", "business_license", "赵六"),
    ]


def _wjx_rows(store, ids: tuple[str, ...]) -> list[tuple]:
    rows = store.query(
        "select client_id, overall_satisfaction, recommend_score, comment from stg_feedback "
        "where source_tool = 'wjx' and trim(client_id) in (select unnest(?)) "
        "order by submitted_at",
        [list(ids)],
    ).rows
    return [(c.strip(), s, r, m) for c, s, r, m in rows]


def check_html_wjx(store) -> None:
    rows = _wjx_rows(store, ("KH001", "KH002"))
    assert [r[:3] for r in rows] == [("KH001", 5.0, 10.0), ("KH002", 4.0, 8.0)], rows
    first, second = rows[0][3], rows[1][3]
    assert "交接很顺利" in first and "谢谢" in first and "<br" not in first, first
    assert second is None or second in ("", "(跳过)"), second


def check_html_wjx_gbk(store) -> None:
    rows = _wjx_rows(store, ("KH002", "KH003"))
    assert [r[:3] for r in rows] == [("KH003", 3.0, 6.0), ("KH002", 2.0, 0.0)], rows
    assert rows[0][3] == "资料 & 凭证交接慢", rows[0][3]


def check_html_xxe(store) -> None:
    text = json.dumps(store.query("select * from stg_clients").dicts(), default=str)
    assert "root:" not in text, "a file's entity read /etc/passwd"


def check_formula_cached(store) -> None:
    assert _client(store, "KHF002")["company_name"] == "上海缓存值有限公司"


def check_sheet_protected(store) -> None:
    assert _client(store, "KHP001")["contact_phone"] == "13812345678"


def check_semicolon_note(store) -> None:
    row = _client(store, "KHS001")
    assert (row["company_name"], row["contact_name"]) == ("上海甲有限公司", "张三")
    assert json.loads(row["extra"]) == {"备注": "经营范围;'软件开发';咨询"}


def check_multiline_skip(store) -> None:
    row = _client(store, "KHL001")
    assert re.sub(r"\s+", " ", row["company_name"]) == "上海 多行有限公司", row["company_name"]
    assert _client(store, "KHL003")["contact_phone"] == "13700002222"
    _no_client(store, "KHC001")


# -- the corpus -------------------------------------------------------------------------------


def build(folder: Path) -> list[Case]:
    """Write every case's file into ``folder``; return the cases."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    cases: list[Case] = []

    def add(case: Case) -> None:
        cases.append(case)

    def text_csv(name: str, lines: list[str], encoding: str = "utf-8") -> Path:
        return write(folder / name, ("\r\n".join(lines) + "\r\n").encode(encoding))

    header = ",".join(CLIENT_HEADER)
    good_a, good_b = ",".join(GOOD_A), ",".join(GOOD_B)

    # ---- rows with more or fewer fields than the header
    add(
        Case(
            "csv_extra_field_first_row",
            "clients",
            text_csv("extra_field_first.csv", [header, EXTRA_COMMA_LINE, good_a, good_b]),
            "refused",
            ("import_rejected",),
            problems=((2, FIELDS.format(6, 5)),),
            about="an unquoted comma in a company name, first data row",
        )
    )
    add(
        Case(
            "csv_extra_field_later_row",
            "clients",
            text_csv("extra_field_later.csv", [header, good_a, good_b, EXTRA_COMMA_LINE]),
            "refused",
            ("import_rejected",),
            problems=((4, FIELDS.format(6, 5)),),
            about="the same, fourth row (past pandas' first-row width guess)",
        )
    )
    add(
        Case(
            "csv_extra_field_skip_invalid",
            "clients",
            text_csv("extra_field_skip.csv", [header, EXTRA_COMMA_LINE, good_a, good_b]),
            "loads",
            args=("--skip-invalid",),
            check=check_skip_extra_first,
            about="--skip-invalid: the bad row is left out, the next row keeps its phone",
        )
    )
    add(
        Case(
            "csv_fewer_fields",
            "clients",
            text_csv("fewer_fields.csv", [header, good_a, SHORT_LINE, good_b]),
            "refused",
            ("import_rejected",),
            problems=((3, FIELDS.format(4, 5)),),
            about="a row with a field missing (no padding with empty values)",
        )
    )
    add(
        Case(
            "csv_fewer_fields_skip_invalid",
            "clients",
            text_csv("fewer_fields_skip.csv", [header, good_a, SHORT_LINE, good_b]),
            "loads",
            args=("--skip-invalid",),
            check=check_skip_short,
        )
    )
    multiline = '"KHL001","上海\r\n多行有限公司","","赵一","13800000001"'
    add(
        Case(
            "csv_extra_field_after_multiline_cell",
            "clients",
            text_csv(
                "multiline_then_extra.csv",
                [
                    header,
                    multiline,
                    EXTRA_COMMA_LINE,
                    "KHL003,上海丙咨询有限公司,,王五,13700002222",
                ],
            ),
            "refused",
            ("import_rejected",),
            problems=((3, FIELDS.format(6, 5)),),
            about="row numbers count records, as Excel does, not lines",
        )
    )
    add(
        Case(
            "csv_extra_field_after_multiline_skip",
            "clients",
            text_csv(
                "multiline_then_extra_skip.csv",
                [
                    header,
                    multiline,
                    EXTRA_COMMA_LINE,
                    "KHL003,上海丙咨询有限公司,,王五,13700002222",
                ],
            ),
            "loads",
            args=("--skip-invalid",),
            check=check_multiline_skip,
        )
    )
    add(
        Case(
            "csv_unclosed_quote",
            "clients",
            text_csv("unclosed_quote.csv", [header, good_a, UNCLOSED_QUOTE_LINE, good_b]),
            "refused",
            ("file_malformed_csv",),
        )
    )
    add(
        Case(
            "csv_unclosed_quote_skip_invalid",
            "clients",
            text_csv("unclosed_quote_skip.csv", [header, good_a, UNCLOSED_QUOTE_LINE, good_b]),
            "refused",
            ("file_malformed_csv",),
            args=("--skip-invalid",),
            options={"skip_invalid": True},
            about="with --skip-invalid an unclosed quote would swallow every later row into "
            "one 'bad row': the file must be refused whole",
        )
    )
    add(
        Case(
            "feedback_wjx_extra_field",
            "feedback",
            text_csv(
                "wjx_extra_field.csv",
                [
                    (
                        "序号,提交答卷时间,所用时间,来源,来源详情,来自IP,1、您的客户编号,2、总体满意度,"
                        "3、您向朋友推荐的可能性,4、您对我们的服务还有什么建议？"
                    ),
                    "1,2026/3/10 14:22:05,100秒,手机提交,直接访问,1.1.1.1,KH001,非常满意,10,很好",
                    "2,2026/3/11 9:00:00,80秒,链接,直接访问,1.1.1.2,KH002,满意,8,资料,凭证交接慢",
                ],
                "gbk",
            ),
            "refused",
            ("import_rejected",),
            problems=((3, FIELDS.format(11, 10)),),
            about="a 问卷星 GBK CSV whose comment has an unquoted comma",
        )
    )

    # ---- empty and nearly empty files
    add(Case("csv_empty", "clients", write(folder / "empty.csv", b""), "refused", ("file_empty",)))
    add(
        Case(
            "csv_only_bom",
            "clients",
            write(folder / "only_bom.csv", codecs.BOM_UTF8),
            "refused",
            ("file_empty",),
        )
    )
    add(
        Case(
            "csv_only_blank_lines",
            "clients",
            write(folder / "blank_lines.csv", b"\r\n\r\n   \r\n\t\r\n"),
            "refused",
            ("file_empty",),
        )
    )
    add(
        Case(
            "csv_only_commas",
            "clients",
            write(folder / "only_commas.csv", b",,,,\r\n,,,,\r\n"),
            "refused",
            ("file_empty", "file_no_rows"),
        )
    )
    add(
        Case(
            "csv_header_no_rows",
            "clients",
            text_csv("header_only.csv", [header]),
            "refused",
            ("file_no_rows",),
        )
    )
    add(
        Case(
            "csv_header_then_blank_rows",
            "clients",
            text_csv("header_blank_rows.csv", [header, ",,,,", "", ",,,,"]),
            "refused",
            ("file_no_rows",),
        )
    )
    add(
        Case(
            "feedback_only_bom",
            "feedback",
            write(folder / "fb_only_bom.csv", codecs.BOM_UTF8),
            "refused",
            ("file_empty",),
        )
    )

    # ---- sizes and limits
    wide = [f"c{i}" for i in range(10_000)]
    add(
        Case(
            "csv_10000_columns",
            "clients",
            write(folder / "wide.csv", csv_bytes([CLIENT_HEADER + wide, GOOD_A + ["x"] * 10_000])),
            "refused",
            ("file_too_many_columns",),
            env={"HANDOVER_READ_MAX_COLUMNS": "1000"},
        )
    )
    line_50mb = folder / "line_50mb.csv"
    with open(line_50mb, "wb") as out:
        out.write((header + "\r\n").encode())
        out.write(b"KHX001,")
        out.writelines(b"A" * (1 << 20) for _ in range(50))
        out.write(",,张三,13812345678\r\n".encode())
    add(
        Case(
            "csv_50mb_line_one_cell",
            "clients",
            line_50mb,
            "refused",
            ("file_cell_too_long", "file_row_too_long"),
            about="a 50 MB line, one 50 MB cell (default limit 32767 characters)",
        )
    )
    fields_50mb = folder / "fields_50mb.csv"
    with open(fields_50mb, "wb") as out:
        out.write((header + "\r\n").encode())
        chunk = b"abcd," * ((1 << 20) // 5)
        out.writelines(chunk for _ in range(50))
        out.write(b"end\r\n")
    add(
        Case(
            "csv_50mb_line_many_fields",
            "clients",
            fields_50mb,
            "refused",
            ("file_too_many_columns", "file_row_too_long", "import_rejected"),
            about="a 50 MB line of ten million short fields",
        )
    )
    add(
        Case(
            "csv_cell_too_long",
            "clients",
            write(
                folder / "long_cell.csv",
                csv_bytes([CLIENT_HEADER, ["KHX002", "甲" * 40_000, "", "张三", ""]]),
            ),
            "refused",
            ("file_cell_too_long",),
            message=r"row 2",
        )
    )
    add(
        Case(
            "csv_cell_too_long_lowered",
            "clients",
            write(
                folder / "long_cell_lowered.csv",
                csv_bytes([CLIENT_HEADER, GOOD_A, ["KHX003", "乙" * 2_000, "", "张三", ""]]),
            ),
            "refused",
            ("file_cell_too_long",),
            env={"HANDOVER_READ_MAX_CELL_CHARS": "1000"},
        )
    )
    many = [CLIENT_HEADER] + [
        [f"KHR{i:05d}", "上海甲有限公司", "", "张三", ""] for i in range(1500)
    ]
    add(
        Case(
            "csv_too_many_rows",
            "clients",
            write(folder / "many_rows.csv", csv_bytes(many)),
            "refused",
            ("file_too_many_rows",),
            env={"HANDOVER_READ_MAX_ROWS": "1000"},
        )
    )
    add(
        Case(
            "csv_too_large",
            "clients",
            write(folder / "large.csv", csv_bytes(many)),
            "refused",
            ("file_upload_too_large",),
            env={"HANDOVER_READ_MAX_FILE_BYTES": "20000"},
            about="HANDOVER_READ_MAX_FILE_BYTES (pipelines/limits.py); the code is "
            "file_upload_too_large since file_too_large names a database write past "
            "the file-size limit",
        )
    )

    # ---- NUL bytes, encodings
    add(
        Case(
            "csv_nul_in_first_row",
            "clients",
            write(
                folder / "nul_first.csv",
                ("客户编号,企业\0名称,联系人\r\n" + "KHN1,甲,张三\r\n").encode(),
            ),
            "refused",
            ("file_nul_byte",),
            message=r"row 1\b",
        )
    )
    rows_300k = [CLIENT_HEADER] + [
        [f"KHZ{i:05d}", "上海浦东新区测试有限公司", "", "张三", "13812345678"] for i in range(6000)
    ]
    body = csv_bytes(rows_300k)
    assert len(csv_bytes(rows_300k, "gbk")) > 300 * 1024
    nul_row = len(rows_300k) + 1
    add(
        Case(
            "csv_nul_after_256kb",
            "clients",
            write(folder / "nul_late.csv", body + "KHZNUL,上海\0有限公司,,张三,\r\n".encode()),
            "refused",
            ("file_nul_byte",),
            message=rf"row {nul_row}\b",
        )
    )
    gbk_tail = "KHZGBK,上海国标有限公司,,张三,13812345678\r\n".encode("gbk")
    add(
        Case(
            "csv_utf8_then_gbk_after_300kb",
            "clients",
            write(folder / "utf8_then_gbk.csv", body + gbk_tail),
            "refused",
            ("file_mixed_encoding",),
            message=rf"row {nul_row}\b",
        )
    )
    gbk_body = csv_bytes(rows_300k, "gbk")
    utf8_tail = "KHZU8,上海统一码有限公司,,张三,13812345678\r\n".encode()
    add(
        Case(
            "csv_gbk_then_utf8_after_300kb",
            "clients",
            write(folder / "gbk_then_utf8.csv", gbk_body + utf8_tail),
            "refused",
            ("file_mixed_encoding",),
            message=rf"row {nul_row}\b",
            about="UTF-8 bytes read as GB18030 decode without error: mojibake unless caught",
        )
    )
    add(
        Case(
            "csv_gbk_then_utf8_short",
            "clients",
            write(
                folder / "gbk_then_utf8_short.csv",
                csv_bytes([CLIENT_HEADER, GOOD_A], "gbk") + utf8_tail,
            ),
            "refused",
            ("file_mixed_encoding",),
            message=r"row 3\b",
        )
    )
    add(
        Case(
            "csv_bom_then_gbk",
            "clients",
            write(
                folder / "bom_gbk.csv", codecs.BOM_UTF8 + csv_bytes([CLIENT_HEADER, GOOD_A], "gbk")
            ),
            "refused",
            ("file_mixed_encoding", "file_unknown_encoding"),
        )
    )
    utf16_text = (
        "\t".join(CLIENT_HEADER) + "\r\nKHU001\t上海统一码有限公司\t\t张三\t13812345670\r\n"
    )
    add(
        Case(
            "csv_utf16_bom_tab",
            "clients",
            write(
                folder / "unicode_text.txt", codecs.BOM_UTF16_LE + utf16_text.encode("utf-16-le")
            ),
            "loads",
            check=check_utf16,
            about="Excel's 'Unicode text' (UTF-16 LE with BOM, tab-separated)",
        )
    )
    add(
        Case(
            "csv_utf16_no_bom",
            "clients",
            write(folder / "utf16_nobom.csv", utf16_text.encode("utf-16-le")),
            "refused",
            ("file_unknown_encoding", "file_binary", "file_nul_byte"),
        )
    )
    rng = random.Random(4)
    add(
        Case(
            "csv_undecodable",
            "clients",
            write(
                folder / "undecodable.csv",
                "客户编号,企业名称\r\n".encode()
                + bytes(rng.choice([0x80, 0xFF, 0xA0, 0xFE, 0x41, 0x2C]) for _ in range(3000)),
            ),
            "refused",
            ("file_unknown_encoding", "file_mixed_encoding", "file_binary"),
        )
    )
    add(
        Case(
            "csv_binary_garbage",
            "clients",
            write(folder / "garbage.csv", bytes(range(256)) * 40),
            "refused",
            ("file_binary",),
        )
    )
    add(
        Case(
            "csv_control_characters",
            "clients",
            write(
                folder / "controls.csv",
                (header + "\r\n").encode() + bytes(rng.randrange(1, 9) for _ in range(5000)),
            ),
            "refused",
            ("file_binary",),
        )
    )

    # ---- markup and formulas in headers, values and the file's name
    add(
        Case(
            "csv_markup_headers_as_extras",
            "clients",
            write(
                folder / "markup_headers.csv",
                csv_bytes(
                    [
                        ["客户编号", "企业名称", "联系人"] + MARKUP_HEADERS,
                        ["KHM001", "=cmd|' /C calc'!A0", "[bold]张三[/]"]
                        + [f"v{i}{h}" for i, h in enumerate(MARKUP_HEADERS)],
                    ]
                ),
            ),
            "loads",
            check=check_markup_extras,
            about="rich markup, a DDE formula, HTML and Markdown as headers and values",
        )
    )
    add(
        Case(
            "csv_markup_headers_only",
            "clients",
            write(
                folder / "markup_only.csv", csv_bytes([MARKUP_HEADERS, ["a", "b", "c", "d", "e"]])
            ),
            "refused",
            message=re.escape("[/]") + ".*" + re.escape("[bold]x"),
            about="a wrong-kind message quoting '[/]' must print it, not parse it as markup",
        )
    )
    add(
        Case(
            "csv_named_markup_bad_row",
            "clients",
            text_csv(
                "[bold]x.csv",
                [
                    "客户编号,企业名称,联系人,服务开始日期",
                    "KHN001,上海名称有限公司,张三,2026-13-45",
                ],
            ),
            "refused",
            ("import_rejected",),
            message=re.escape("[bold]x.csv"),
            problems=((2, r"服务开始日期"),),
        )
    )
    add(
        Case(
            "csv_named_markup_loads",
            "clients",
            text_csv(
                "[link=file:x]ok[red].csv",
                ["客户编号,企业名称,联系人", "KHN001,上海名称有限公司,张三"],
            ),
            "loads",
            check=check_markup_name,
        )
    )
    add(
        Case(
            "csv_extreme_dates",
            "clients",
            text_csv(
                "extreme_dates.csv",
                [
                    "客户编号,企业名称,联系人,服务开始日期,合同到期日",
                    "KHD001,上海极值有限公司,张三,0001-01-01,9999-12-31",
                ],
            ),
            "loads_or_rejected",
            check=check_extreme_dates,
            problems=((2, r"服务开始日期|合同到期日"),),
        )
    )

    # ---- XLSX
    base_rows = [CLIENT_HEADER, ["KHF001", "上海远格有限公司", "", "张三", "13812345678"], GOOD_A]
    plain = folder / "_plain.xlsx"
    openpyxl_book(base_rows).save(plain)

    def far_dimension_check(store) -> None:
        assert _client(store, "KHF001")["contact_phone"] == "13812345678"

    add(
        Case(
            "xlsx_far_dimension",
            "clients",
            rezip(
                plain, folder / "far_dimension.xlsx", {"xl/worksheets/sheet1.xml": _far_dimension}
            ),
            "loads_or_refused",
            LIMIT_CODES,
            check=far_dimension_check,
            isolate=True,
            about="declares A1:XFD1048576 but holds 3 rows: the declaration must not be "
            "trusted for an allocation (loads, or a limit refusal)",
        )
    )
    add(
        Case(
            "xlsx_far_cell",
            "clients",
            far_cell_workbook(folder / "far_cell.xlsx"),
            "refused",
            LIMIT_CODES,
            isolate=True,
            about="one cell at XFD1048576: 17 billion cells if read densely",
        )
    )
    add(
        Case(
            "xlsx_far_cell_high_limits",
            "clients",
            far_cell_workbook(folder / "far_cell_high.xlsx"),
            "refused",
            ("file_memory_limit", "file_too_many_rows", "file_too_many_columns"),
            env={
                "HANDOVER_READ_MAX_COLUMNS": "16384",
                "HANDOVER_READ_MAX_ROWS": "2000000",
                "HANDOVER_READ_MAX_CELLS": str(10**11),
                "HANDOVER_READ_MEMORY_BYTES": str(3 << 30),
            },
            isolate=True,
            about="the far cell with the row/column limits at Excel's own",
        )
    )

    sheet_huge = (
        SHEET_HEAD.format(dimension='<dimension ref="A1:E2"/>')
        + inline_row(1, CLIENT_HEADER)
        + '<row r="2"><c r="A2" t="inlineStr"><is><t>KHB001</t></is></c>'
        '<c r="B2" t="s"><v>0</v></c><c r="D2" t="inlineStr"><is><t>张三</t></is></c>'
        "</row>" + SHEET_TAIL
    )
    huge_path = stream_xlsx(
        folder / "cell_300mb.xlsx",
        [sheet_huge],
        [SST_HEAD + "<si><t>", Repeat(b"A" * (1 << 20), 300), "</t></si></sst>"],
    )
    assert huge_path.stat().st_size < 1 << 20
    add(
        Case(
            "xlsx_300mb_cell",
            "clients",
            huge_path,
            "refused",
            ("file_cell_too_long", "file_unzipped_too_large", "file_memory_limit"),
            isolate=True,
            about="one shared string of 300 MB, deflated to ~300 KB",
        )
    )

    many_xlsx = folder / "many_rows.xlsx"
    stream_xlsx(
        many_xlsx,
        [
            SHEET_HEAD.format(dimension=""),
            inline_row(1, CLIENT_HEADER),
            *(
                inline_row(i + 2, [f"KHR{i:05d}", "上海甲有限公司", "", "张三", ""])
                for i in range(1500)
            ),
            SHEET_TAIL,
        ],
    )
    add(
        Case(
            "xlsx_too_many_rows",
            "clients",
            many_xlsx,
            "refused",
            ("file_too_many_rows",),
            env={"HANDOVER_READ_MAX_ROWS": "1000"},
        )
    )
    add(
        Case(
            "xlsx_too_many_columns",
            "clients",
            stream_xlsx(
                folder / "many_columns.xlsx",
                [
                    SHEET_HEAD.format(dimension=""),
                    inline_row(1, CLIENT_HEADER + [f"c{i}" for i in range(3000)]),
                    inline_row(2, GOOD_A + ["x"] * 3000),
                    SHEET_TAIL,
                ],
            ),
            "refused",
            ("file_too_many_columns",),
            env={"HANDOVER_READ_MAX_COLUMNS": "1000"},
        )
    )

    bomb = stream_xlsx(
        folder / "zip_bomb.xlsx",
        [
            SHEET_HEAD.format(dimension=""),
            inline_row(1, CLIENT_HEADER) + inline_row(2, GOOD_A),
            Repeat(b" " * (1 << 20), 100),
            SHEET_TAIL,
        ],
    )
    add(
        Case(
            "xlsx_zip_bomb",
            "clients",
            bomb,
            "refused",
            ("file_unzipped_too_large",),
            env={"HANDOVER_READ_MAX_UNZIPPED_BYTES": "20000000"},
            isolate=True,
            about="a sheet XML of 100 MB (whitespace) in a file of ~100 KB",
        )
    )
    add(
        Case(
            "xlsx_zip_bomb_lying_sizes",
            "clients",
            write(
                folder / "zip_bomb_lying.xlsx",
                patch_zip_sizes(bomb.read_bytes(), "xl/worksheets/sheet1.xml", 4096),
            ),
            "refused",
            ("file_unzipped_too_large", "file_damaged"),
            env={"HANDOVER_READ_MAX_UNZIPPED_BYTES": "20000000"},
            isolate=True,
            about="the same bomb whose zip headers declare 4 KB: count bytes, not headers",
        )
    )

    formulas = folder / "formulas.xlsx"
    openpyxl_book(
        [CLIENT_HEADER, ["KHF001", '="上海"&"公式有限公司"', "", "张三", "=1381234*10000+5678"]]
    ).save(formulas)
    add(
        Case(
            "xlsx_formulas_without_values",
            "clients",
            formulas,
            "refused",
            ("file_formula_without_value",),
            about="openpyxl writes formulas without cached values; calamine reads them empty",
        )
    )

    def cached_formula(data: bytes) -> bytes:
        return re.sub(
            rb'<c r="B3"[^>]*>.*?</c>',
            '<c r="B3" t="str"><f>"上海缓存值"&amp;"有限公司"</f><v>上海缓存值有限公司</v></c>'.encode(),
            data,
        )

    cached_src = folder / "_cached_src.xlsx"
    openpyxl_book([CLIENT_HEADER, GOOD_A, ["KHF002", "placeholder", "", "张三", ""]]).save(
        cached_src
    )
    add(
        Case(
            "xlsx_formula_with_cached_value",
            "clients",
            rezip(
                cached_src,
                folder / "formula_cached.xlsx",
                {"xl/worksheets/sheet1.xml": cached_formula},
            ),
            "loads",
            check=check_formula_cached,
            about="a formula with its cached value, as Excel saves it, loads the value",
        )
    )

    def protect(data: bytes) -> bytes:
        return data.replace(
            b"</sheetData>",
            b"</sheetData><sheetProtection algorithmName="
            b'"SHA-512" hashValue="x" saltValue="y" spinCount="100000" '
            b'sheet="1" objects="1" scenarios="1"/>',
        )

    protected_src = folder / "_protected_src.xlsx"
    openpyxl_book([CLIENT_HEADER, ["KHP001", "上海保护有限公司", "", "张三", "13812345678"]]).save(
        protected_src
    )
    add(
        Case(
            "xlsx_sheet_protection_loads",
            "clients",
            rezip(
                protected_src,
                folder / "sheet_protected.xlsx",
                {"xl/worksheets/sheet1.xml": protect},
            ),
            "loads",
            check=check_sheet_protected,
            about="protection against editing is not encryption: it reads",
        )
    )

    add(
        Case(
            "xlsx_password_protected",
            "clients",
            write(folder / "password.xlsx", encrypted_ooxml(plain.read_bytes())),
            "refused",
            ("file_password_protected",),
            about="'Encrypt with password': a CFB with EncryptionInfo + EncryptedPackage",
        )
    )
    add(
        Case(
            "xlsx_password_protected_feedback",
            "feedback",
            write(folder / "问卷_加密.xlsx", encrypted_ooxml(plain.read_bytes())),
            "refused",
            ("file_password_protected",),
        )
    )
    xls_rows = [CLIENT_HEADER, ["KHS001", "上海老格式有限公司", "", "张三", "13812345678"], GOOD_A]
    add(
        Case(
            "xls_password_protected",
            "clients",
            xls_file(folder / "password.xls", with_filepass(xls_bytes(xls_rows))),
            "refused",
            ("file_password_protected",),
            about="BIFF8 with a FILEPASS (RC4) record",
        )
    )

    whole = plain.read_bytes()
    add(
        Case(
            "xlsx_truncated",
            "clients",
            write(folder / "truncated.xlsx", whole[: len(whole) // 2]),
            "refused",
            ("file_damaged",),
        )
    )
    xls_whole = folder / "_whole.xls"
    xls_file(xls_whole, xls_bytes(xls_rows * 40))
    xls_data = xls_whole.read_bytes()
    add(
        Case(
            "xls_truncated",
            "clients",
            write(folder / "truncated.xls", xls_data[: len(xls_data) // 2]),
            "refused",
            ("file_damaged",),
        )
    )
    add(
        Case(
            "xlsx_magic_random_bytes",
            "clients",
            write(folder / "random.xlsx", b"PK\x03\x04" + random.Random(7).randbytes(4096)),
            "refused",
            ("file_damaged",),
        )
    )
    add(
        Case(
            "xls_magic_random_bytes",
            "clients",
            write(
                folder / "random.xls",
                bytes.fromhex("d0cf11e0a1b11ae1") + random.Random(8).randbytes(4096),
            ),
            "refused",
            ("file_damaged",),
        )
    )
    zip_csv = folder / "csv_in_zip.xlsx"
    with zipfile.ZipFile(zip_csv, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("clients.csv", csv_bytes(base_rows))
    add(Case("zip_that_is_not_a_workbook", "clients", zip_csv, "refused", ("file_damaged",)))
    add(
        Case(
            "xlsx_no_such_sheet",
            "clients",
            plain,
            "refused",
            ("file_no_such_sheet",),
            args=("--sheet", "客户资料"),
            options={"sheet": "客户资料"},
        )
    )
    empty_sheet = folder / "empty_sheet.xlsx"
    openpyxl_book([]).save(empty_sheet)
    add(Case("xlsx_empty_sheet", "clients", empty_sheet, "refused", ("file_empty", "file_no_rows")))
    header_only = folder / "header_only.xlsx"
    openpyxl_book([CLIENT_HEADER]).save(header_only)
    add(Case("xlsx_header_no_rows", "clients", header_only, "refused", ("file_no_rows",)))
    add(
        Case(
            "xlsx_cell_too_long",
            "clients",
            stream_xlsx(
                folder / "long_cell.xlsx",
                [
                    SHEET_HEAD.format(dimension=""),
                    inline_row(1, CLIENT_HEADER),
                    inline_row(2, ["KHX010", "丙" * 40_000, "", "张三", ""]),
                    SHEET_TAIL,
                ],
            ),
            "refused",
            ("file_cell_too_long",),
            about="an inline string of 40,000 characters (Excel stops at 32,767)",
        )
    )
    add(
        Case(
            "xls_string_longer_than_cell_limit",
            "clients",
            xls_file(
                folder / "long_string.xls",
                xls_bytes(
                    [CLIENT_HEADER, ["KHX011", "L" * 40_000, "", "张三", ""]], long_strings=True
                ),
            ),
            "refused",
            ("file_cell_too_long",),
            about="BIFF8 string of 40,000 characters in CONTINUE records",
        )
    )
    add(
        Case(
            "xls_string_longer_than_lowered_limit",
            "clients",
            xls_file(
                folder / "long_string_lowered.xls",
                xls_bytes([CLIENT_HEADER, ["KHX012", "丁" * 5_000, "", "张三", ""]]),
            ),
            "refused",
            ("file_cell_too_long",),
            env={"HANDOVER_READ_MAX_CELL_CHARS": "1000"},
        )
    )

    serial = folder / "serial_out_of_range.xlsx"
    book = openpyxl_book(
        [
            CLIENT_HEADER + ["服务开始日期"],
            ["KHE001", "上海序列有限公司", "", "张三", "", None],
            ["KHE002", "上海负数有限公司", "", "李四", "", None],
        ]
    )
    for row, value in ((2, 2_958_466), (3, -5)):
        cell = book.active.cell(row=row, column=6, value=value)
        cell.number_format = "yyyy-mm-dd"
    book.save(serial)
    add(
        Case(
            "xlsx_serial_date_out_of_range",
            "clients",
            serial,
            "refused",
            ("import_rejected",),
            problems=((2, r"服务开始日期"), (3, r"服务开始日期")),
            about="date-formatted serials 2958466 (after 9999-12-31) and -5",
        )
    )
    extreme = folder / "extreme_dates.xlsx"
    openpyxl_book(
        [
            ["客户编号", "企业名称", "联系人", "服务开始日期", "合同到期日"],
            ["KHD101", "上海极值有限公司", "张三", datetime(1900, 1, 1), datetime(9999, 12, 31)],
        ]
    ).save(extreme)
    add(
        Case(
            "xlsx_extreme_dates",
            "clients",
            extreme,
            "loads_or_rejected",
            check=check_extreme_dates_xlsx,
            problems=((2, r"服务开始日期|合同到期日"),),
        )
    )

    def laughs(_: bytes) -> bytes:
        entities = '<!ENTITY a "' + "lol" * 10 + '">'
        previous = "a"
        for name in "bcdefghij":
            entities += f'<!ENTITY {name} "' + f"&{previous};" * 10 + '">'
            previous = name
        return (
            SST_HEAD.replace("<sst", f"<!DOCTYPE sst [{entities}]><sst")
            + "<si><t>&j;</t></si></sst>"
        ).encode()

    laughs_src = folder / "_laughs_src.xlsx"
    stream_xlsx(
        laughs_src,
        [
            SHEET_HEAD.format(dimension=""),
            inline_row(1, CLIENT_HEADER),
            (
                '<row r="2"><c r="A2" t="inlineStr"><is><t>KHL100</t></is></c>'
                '<c r="B2" t="s"><v>0</v></c></row>'
            ),
            SHEET_TAIL,
        ],
    )
    add(
        Case(
            "xlsx_billion_laughs",
            "clients",
            rezip(laughs_src, folder / "billion_laughs.xlsx", {"xl/sharedStrings.xml": laughs}),
            "refused",
            ("file_damaged", "file_memory_limit", "file_time_limit", "file_unzipped_too_large"),
            isolate=True,
            about="entity expansion in sharedStrings.xml (OOXML forbids DTDs)",
        )
    )

    slow_row = b"<row><c><v>7</v></c><c><v>1</v></c><c><v>2</v></c><c><v>3</v></c></row>"
    add(
        Case(
            "xlsx_time_limit",
            "clients",
            stream_xlsx(
                folder / "slow.xlsx",
                [
                    SHEET_HEAD.format(dimension=""),
                    inline_row(1, CLIENT_HEADER),
                    Repeat(slow_row * 10_000, 100),
                    SHEET_TAIL,
                ],
            ),
            "refused",
            ("file_time_limit",),
            env={
                "HANDOVER_READ_SECONDS": "1",
                "HANDOVER_READ_MAX_ROWS": "5000000",
                "HANDOVER_READ_MAX_CELLS": str(10**9),
                "HANDOVER_READ_MAX_UNZIPPED_BYTES": str(4 << 30),
            },
            isolate=True,
            about="four million cells with a 1 s limit",
        )
    )

    amplified_row = b'<row><c><v>7</v></c><c t="s"><v>0</v></c></row>'
    add(
        Case(
            "xlsx_shared_string_amplification",
            "clients",
            stream_xlsx(
                folder / "amplified.xlsx",
                [
                    SHEET_HEAD.format(dimension=""),
                    inline_row(1, ["客户编号", "企业名称", "联系人"]),
                    Repeat(amplified_row * 10_000, 30),
                    SHEET_TAIL,
                ],
                [SST_HEAD + "<si><t>" + "Z" * 10_000 + "</t></si></sst>"],
            ),
            "refused",
            ("file_memory_limit",),
            env={
                "HANDOVER_READ_MEMORY_BYTES": str(1536 << 20),
                "HANDOVER_READ_MAX_UNZIPPED_BYTES": str(4 << 30),
            },
            isolate=True,
            about="one 10,000-character shared string used by 300,000 cells: 3 GB once read",
        )
    )

    # ---- HTML tables saved as .xls
    add(
        Case(
            "html_xls_clients_utf8",
            "clients",
            write(
                folder / "客户资料导出.xls",
                html_xls(
                    [
                        ["客户编号", "企业名称", "统一社会信用代码", "联系人", "联系电话", "地址"],
                        [
                            "KHH001",
                            "上海甲&amp;乙有限公司",
                            "",
                            "&nbsp;张三&nbsp;",
                            "13812345678",
                            "上海市浦东新区<br>张江路1号",
                        ],
                        [
                            "KHH002",
                            "上海&lt;乙&gt;贸易有限公司",
                            "91310104MA1FL5LX3D",
                            "李四",
                            "<span>13900001111</span>",
                            "",
                        ],
                    ],
                    title="客户资料表 导出时间：2026-11-20",
                ),
            ),
            "loads",
            check=check_html_clients,
            about="td header under a title row, entities, <br> and <span> in cells",
        )
    )
    add(
        Case(
            "html_xls_clients_gbk",
            "clients",
            write(
                folder / "客户资料_gbk.xls",
                html_xls(
                    [
                        ["客户编号", "企业名称", "联系人", "联系电话"],
                        ["KHG001", "上海广发咨询有限公司", "钱七", "13812340000"],
                        ["KHG002", "上海（集团）有限公司", "孙八", ""],
                    ],
                    charset="gb2312",
                    meta="http-equiv",
                    header_tag="th",
                    upper=True,
                ),
            ),
            "loads",
            check=check_html_clients_gbk,
            about="GB2312 meta (http-equiv), <TH> header, upper-case tags",
        )
    )
    add(
        Case(
            "html_xls_handovers_unclosed_cells",
            "handovers",
            write(
                folder / "交接单.xls",
                html_xls(
                    [
                        ["交接单号", "客户编号", "移交人", "接收人", "交接原因", "实际完成时间"],
                        ["JJ-H01", "KH001", "李四", "赵六", "离职", "2026-03-09 17:30"],
                    ],
                    close_cells=False,
                ),
            ),
            "loads",
            check=check_html_handovers,
            about="HTML 4 lets </td> and </tr> be left out",
        )
    )
    add(
        Case(
            "html_xls_events",
            "events",
            write(
                folder / "交接日志.xls",
                html_xls(
                    [
                        ["交接单号", "发生时间", "事件类型", "清单项目", "操作人"],
                        ["JJ-H01", "2026-03-02 10:00", "资料移交", "营业执照", "李四"],
                        ["JJ-H01", "2026-03-02 11:00", "核对通过", "营业执照", "赵六"],
                    ],
                    charset="gbk",
                    meta="http-equiv",
                ),
            ),
            "loads",
            check=check_html_events,
        )
    )
    wjx_header = [
        "序号",
        "提交答卷时间",
        "所用时间",
        "来源",
        "来源详情",
        "来自IP",
        "1、您的客户编号",
        "2、总体满意度",
        "3、您向朋友推荐的可能性",
        "4、您对我们的服务还有什么建议？",
    ]
    add(
        Case(
            "html_xls_wjx_utf8",
            "feedback",
            write(
                folder / "问卷星_答卷数据.xls",
                html_xls(
                    [
                        wjx_header,
                        [
                            "1",
                            "2026/3/10 14:22:05",
                            "100秒",
                            "手机提交",
                            "直接访问",
                            "1.1.1.1(上海-上海)",
                            "KH001",
                            "非常满意",
                            "10",
                            "交接很顺利<br>谢谢",
                        ],
                        [
                            "2",
                            "2026/3/20 10:00:00",
                            "80秒",
                            "链接",
                            "直接访问",
                            "1.1.1.2(上海-上海)",
                            "KH002&nbsp;",
                            "满意",
                            "8",
                            "(跳过)",
                        ],
                    ],
                    title="交接回访问卷 答卷数据",
                ),
            ),
            "loads",
            check=check_html_wjx,
            about="问卷星's HTML-table .xls: title row, th-less header, <br>, &nbsp;",
        )
    )
    add(
        Case(
            "html_xls_wjx_gbk",
            "feedback",
            write(
                folder / "问卷星_gbk.xls",
                html_xls(
                    [
                        wjx_header,
                        [
                            "1",
                            "2026/4/1 9:00:00",
                            "60秒",
                            "微信",
                            "直接访问",
                            "1.1.1.3",
                            "KH003",
                            "一般",
                            "6",
                            "资料 &amp; 凭证交接慢",
                        ],
                        [
                            "2",
                            "2026/4/2 9:00:00",
                            "70秒",
                            "微信",
                            "直接访问",
                            "1.1.1.4",
                            "KH002",
                            "不满意",
                            "0",
                            "",
                        ],
                    ],
                    charset="gbk",
                    meta="http-equiv",
                    header_tag="th",
                ),
            ),
            "loads",
            check=check_html_wjx_gbk,
        )
    )
    add(
        Case(
            "html_malformed_no_table",
            "clients",
            write(
                folder / "not_a_table.xls",
                b"<html><head><title>500 Internal Server Error</title></head><body><h1>"
                b"Internal Server Error</h1><p>The export failed.</body></html>",
            ),
            "refused",
            ("file_damaged", "file_no_rows", "file_empty"),
            about="what a download saves when the exporting server failed",
        )
    )
    add(
        Case(
            "html_malformed_garbage_after_tag",
            "clients",
            write(
                folder / "html_garbage.xls",
                b"<html><table><tr><td>\x00\x01" + random.Random(5).randbytes(3000),
            ),
            "refused",
            ("file_damaged", "file_binary", "file_nul_byte"),
        )
    )
    whole_html = html_xls(
        [wjx_header]
        + [
            [
                str(n),
                f"2026/3/1{n} 14:22:05",
                "100秒",
                "手机提交",
                "直接访问",
                "1.1.1.1",
                "KH001",
                "非常满意",
                "10",
                f"好{n}",
            ]
            for n in (1, 2, 3)
        ]
    )
    cut = whole_html.rindex("非常满意".encode()) + len("非常满意".encode())
    add(
        Case(
            "html_truncated_table",
            "feedback",
            write(folder / "问卷星_truncated.xls", whole_html[:cut]),
            "refused",
            ("file_damaged", "import_rejected"),
            about="an HTML export cut inside its last row (a download that broke off): "
            "the cut row must not load as if complete",
        )
    )
    add(
        Case(
            "html_xxe_entity",
            "clients",
            write(
                folder / "xxe.xls",
                html_xls(
                    [
                        ["客户编号", "企业名称", "联系人"],
                        ["KHXX01", "&xxe;", "张三"],
                    ],
                    doctype='<!DOCTYPE html [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
                ),
            ),
            "loads_or_refused",
            check=check_html_xxe,
            about="an external entity must never be resolved",
        )
    )

    # ---- the real exports (tests/fixtures/real): the survey mapping sentence, never a crash
    for name in (
        "wjx_readable_800.xls",
        "wjx_coded_800.xls",
        "qualtrics_numeric_de.csv",
        "qualtrics_legacy.csv",
    ):
        add(
            Case(
                f"real_{Path(name).stem}",
                "feedback",
                REAL / name,
                "refused",
                message=r"recognised as a (问卷星|Qualtrics) export",
                about="a real export that is not a satisfaction survey",
            )
        )

    # ---- found by fuzzing (tests/test_fuzz_readers.py), kept as cases
    add(
        Case(
            "fuzz_survey_header_only",
            "feedback",
            write(folder / "问卷星_只有表头.csv", "序号\r\n".encode()),
            "refused",
            ("file_no_rows", "file_empty"),
            about="hypothesis: a survey CSV of one header cell and no rows made read_survey "
            "call pd.concat([]) (ValueError: No objects to concatenate)",
        )
    )
    add(
        Case(
            "fuzz_csv_semicolon_quotes_in_a_value",
            "clients",
            write(
                folder / "semicolon_note.csv",
                csv_bytes(
                    [
                        ["客户编号", "企业名称", "联系人", "备注"],
                        ["KHS001", "上海甲有限公司", "张三", "经营范围;'软件开发';咨询"],
                    ]
                ),
            ),
            "loads",
            check=check_semicolon_note,
            about="hypothesis: csv.Sniffer takes ';' for the delimiter of a comma file when a "
            "value reads a;'b';c, and the header becomes one column",
        )
    )

    for case in cases:  # the files' own names are part of some cases
        assert case.path.exists(), case.name
    return cases


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tests.hostile.make_corpus FOLDER", file=sys.stderr)
        return 2
    folder = Path(argv[0])
    if folder.exists():
        shutil.rmtree(folder)
    for case in build(folder):
        outcome = case.expected + (f" {'|'.join(case.codes)}" if case.codes else "")
        print(f"{case.name:40} {case.kind:9} {case.path.name:32} {outcome}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
