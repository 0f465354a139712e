"""Property tests of the readers (issue 9): whatever bytes a user uploads, reading them either
gives the right cells or raises a ``HandoverError`` (a sentence for the user), never any other
exception.

* CSV written by the csv module from random rows (commas, quotes, newlines, CJK, control
  characters) in UTF-8, UTF-8 with BOM or GBK: ``read_grid`` returns every row with exactly
  the values written, under the row number Excel shows, or refuses the file.
* Random damage (byte flips, cuts, insertions) to a valid XLSX and a valid CSV: a
  ``HandoverError``, or the grid the undamaged file gives (XLSX) / the grid the csv module
  reads from the damaged bytes (CSV).
* Survey detection (``prepare``) on random header rows mixed with the tools' real markers:
  a result or a ``HandoverError``.

Bounded for CI (each read forks a limited child, about 0.15 s): the whole file takes well
under a minute. ``HYPOTHESIS_MORE=N`` multiplies the examples for a longer hunt by hand. A
crash found here is kept as a case of tests/hostile/make_corpus.py ("found by fuzzing").
"""

from __future__ import annotations

import csv
import functools
import io
import os
import tempfile
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from pipelines.errors import HandoverError
from pipelines.readers import cell_text, read_grid
from tests.hostile.fuzz_support import exact_header

MORE = int(os.environ.get("HYPOTHESIS_MORE", "1"))
FUZZ = settings(
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)

CHARS = (
    list("abcXYZ019 ,;|\t\"'\n\r")
    + list("上海甲乙丙有限公司客户编号，：（）　")
    + [
        "\x01",
        "\x07",
        "\x0b",
        "\x0c",
        "\x1b",
        "\x7f",
        "\x85",
        "\u2028",
        "\ufeff",
        "é",
        "😀",
        "\\",
        "=",
    ]
)


def _gbk_ok(char: str) -> bool:
    try:
        char.encode("gbk")
    except UnicodeEncodeError:
        return False
    return True


GBK_CHARS = [c for c in CHARS if _gbk_ok(c)]
HEADER_NAMES = ["hdrA", "hdrB", "hdrC", "hdrD", "hdrE", "hdrF"]


def read_all(path: Path, header: tuple[str, ...]):
    """(header, {row: values}, {rows set aside as bad}) as the product reads the file."""
    grid = read_grid(path, functools.partial(exact_header, header))
    rows = {}
    for chunk in grid.chunks:
        for number, values in zip(chunk.index, chunk.itertuples(index=False), strict=False):
            rows[int(number)] = [cell_text(v) for v in values]
    return grid, rows, {p.row for p in grid.problems}


def csv_oracle(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _blank(record: list[str]) -> bool:
    return not any(cell.strip() for cell in record)


def _call(fn, *args):
    """fn(*args), or the HandoverError it raises; any other exception fails the test."""
    try:
        return fn(*args)
    except HandoverError as error:
        return error


@pytest.fixture(scope="module")
def workdir() -> Path:
    with tempfile.TemporaryDirectory(prefix="fuzz-readers-") as folder:
        yield Path(folder)


# -- CSV round trip -------------------------------------------------------------------------


@st.composite
def csv_files(draw):
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gbk"]))
    alphabet = GBK_CHARS if encoding == "gbk" else CHARS
    width = draw(st.integers(2, 5))
    cell = st.text(alphabet=alphabet, max_size=12)
    rows = draw(st.lists(st.lists(cell, min_size=width, max_size=width), min_size=1, max_size=8))
    header = tuple(HEADER_NAMES[:width])
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=draw(st.sampled_from(["\r\n", "\n"]))).writerows(
        [list(header), *rows]
    )
    data = buffer.getvalue().encode(encoding)
    if encoding == "gbk" and not data.isascii():
        try:  # GBK bytes that are also valid UTF-8 are UTF-8 to any reader
            data.decode("utf-8")
            assume(False)
        except UnicodeDecodeError:
            pass
    return header, rows, data, encoding


@settings(FUZZ, max_examples=60 * MORE)
@given(csv_files())
# found by hypothesis: csv.Sniffer takes '|' or ';' for the delimiter of a comma file
@example((("hdrA", "hdrB"), [["'", "'|"]], b"hdrA,hdrB\r\n','|\r\n", "utf-8"))
@example((("hdrA", "hdrB"), [['"|', ""]], b'hdrA,hdrB\r\n"""|",\r\n', "utf-8"))
@example((("hdrA", "hdrB"), [["a", "a;'b';c"]], b"hdrA,hdrB\r\na,a;'b';c\r\n", "utf-8"))
# found by hypothesis (twice, issue 12): ';' split the quoted ";\n;\n" into more records
# that agreed than ',' had records; the separator is now chosen by the share that agree
@example(
    (
        ("hdrA", "hdrB", "hdrC"),
        [["", ";\n;\n", ";,"]],
        b'hdrA,hdrB,hdrC\r\n,";\n;\n",";,"\r\n',
        "utf-8",
    )
)
def test_csv_cells_round_trip_or_the_file_is_refused(workdir: Path, written) -> None:
    header, _rows, data, encoding = written
    path = workdir / "roundtrip.csv"
    path.write_bytes(data)
    outcome = _call(read_all, path, header)
    if isinstance(outcome, HandoverError):
        assert outcome.code, f"a refusal without a code: {outcome}"
        return
    grid, got, set_aside = outcome
    assert grid.header == list(header)
    assert not set_aside, f"rows set aside from a well-formed file: {grid.problems}"
    expected = {
        number: record
        for number, record in enumerate(csv_oracle(data.decode(encoding)), start=1)
        if number > grid.header_row and not _blank(record)
    }
    assert grid.header_row == 1
    got = {n: v for n, v in got.items() if not _blank(v)}
    assert got == expected


# -- damaged files --------------------------------------------------------------------------


def _xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.append(list(HEADER_NAMES[:5]))
    ws.append(["KH001", "上海甲有限公司", 13812345678, datetime(2026, 3, 5), "是"])
    ws.append(["KH002", '上海乙,贸易"有限"公司', 1.5, datetime(2026, 3, 5, 9, 30), ""])
    ws.append(["KH003", "丙\n多行", -7, "2026/3/5", "不是公式 =A1"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


XLSX = _xlsx_bytes()
CSV_TEXT = (
    "hdrA,hdrB,hdrC\r\nKH001,上海甲有限公司,13812345678\r\n"
    'KH002,"上海乙,贸易""有限""公司","多\r\n行"\r\nKH003,丙,\r\n'
)


@st.composite
def damaged(draw, original: bytes):
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "flip", "cut", "insert", "delete"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "cut":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        else:
            del data[at : at + draw(st.integers(1, 8))]
    return bytes(data)


@pytest.fixture(scope="module")
def xlsx_expected(workdir: Path):
    path = workdir / "whole.xlsx"
    path.write_bytes(XLSX)
    _grid, rows, _ = read_all(path, tuple(HEADER_NAMES[:5]))
    assert rows[2][:2] == ["KH001", "上海甲有限公司"] and len(rows) == 3
    return rows


@settings(FUZZ, max_examples=50 * MORE)
@given(data=damaged(XLSX))
def test_damaged_xlsx_reads_as_before_or_is_refused(workdir: Path, xlsx_expected, data):
    path = workdir / "damaged.xlsx"
    path.write_bytes(data)
    outcome = _call(read_all, path, tuple(HEADER_NAMES[:5]))
    if isinstance(outcome, HandoverError):
        assert outcome.code, f"a refusal without a code: {outcome}"
        return
    if not data.startswith(b"PK\x03\x04"):
        return  # no longer a workbook at all (a cut to "P" is a one-cell CSV): no crash is all
    grid, rows, _ = outcome
    assert grid.header == list(HEADER_NAMES[:5])
    assert rows == xlsx_expected, "a damaged workbook read as different values"


@settings(FUZZ, max_examples=50 * MORE)
@given(data=damaged(CSV_TEXT.encode()))
def test_damaged_csv_reads_as_its_bytes_say_or_is_refused(workdir: Path, data: bytes):
    path = workdir / "damaged.csv"
    path.write_bytes(data)
    header = ("hdrA", "hdrB", "hdrC")
    outcome = _call(read_all, path, header)
    if isinstance(outcome, HandoverError):
        assert outcome.code, f"a refusal without a code: {outcome}"
        return
    assert b"\x00" not in data, "a file with a NUL byte was read"
    grid, rows, set_aside = outcome
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return  # read in another encoding: only "no crash" is asserted
    records = csv_oracle(text)
    if not records or tuple(c.strip() for c in records[0]) != header:
        return  # the header itself was damaged: another row is taken for it
    for number, record in enumerate(records, start=1):
        if number <= grid.header_row or _blank(record):
            continue
        if len(record) == len(header):
            assert rows.get(number) == record, f"row {number}"
        else:
            assert number in set_aside, f"row {number} has {len(record)} fields: not set aside"
    for number in rows:
        assert number <= len(records) and len(records[number - 1]) == len(header), number


# -- survey detection -----------------------------------------------------------------------


def _markers() -> list[str]:
    return [
        "序号",
        "提交答卷时间",
        "所用时间",
        "来源",
        "来源详情",
        "来自IP",
        "编号",
        "开始答题时间",
        "结束答题时间",
        "答题时长",
        "Respondent ID",
        "Collector ID",
        "Start Date",
        "End Date",
        "IP Address",
        "Custom Data 1",
        "ResponseId",
        "StartDate",
        "EndDate",
        "Status",
        "Progress",
        "Finished",
        "RecordedDate",
        "Duration (in seconds)",
        "Timestamp",
        "Email Address",
        "client_id",
        "submitted_at",
        "overall_satisfaction",
        "recommend_score",
        "1、您的客户编号",
        "2、总体满意度",
        "3、您向朋友推荐的可能性",
        "Q1",
        "Response",
        "Open-Ended Response",
        '{"ImportId":"QID1"}',
        "客户编号",
        "推荐",
        "满意",
        "",
    ]


ANSWERS = [
    "非常满意",
    "满意",
    "一般",
    "5",
    "10",
    "0",
    "(跳过)",
    "10 - Extremely likely",
    "KH001",
    "2026/3/10 14:22:05",
    "10/3/2026 14:22:05",
    "Survey Preview",
    "IP Address",
    "True",
    "上海甲科技有限公司",
    "13812345678",
    "",
    "┋",
    "abc",
]


@st.composite
def survey_files(draw):
    cell = st.one_of(st.sampled_from(_markers()), st.text(alphabet=CHARS, max_size=10))
    width = draw(st.integers(1, 12))
    rows = [
        draw(st.lists(cell, min_size=width, max_size=width)) for _ in range(draw(st.integers(1, 3)))
    ]
    answer = st.one_of(st.sampled_from(ANSWERS), st.text(alphabet=CHARS, max_size=8))
    rows += [
        draw(st.lists(answer, min_size=draw(st.integers(width - 1, width + 1)), max_size=width + 1))
        for _ in range(draw(st.integers(0, 4)))
    ]
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gbk"]))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    data = buffer.getvalue().encode(encoding, errors="replace")
    source = draw(
        st.sampled_from(
            ["auto", "auto", "wjx", "tencent", "google", "surveymonkey", "qualtrics", "template"]
        )
    )
    return data, source


@settings(FUZZ, max_examples=50 * MORE)
@given(written=survey_files())
# found by hypothesis: one header cell and no rows made read_survey concat nothing
@example(written=("序号\r\n".encode(), "auto"))
def test_survey_detection_answers_or_refuses(workdir: Path, written) -> None:
    from pipelines.feedback.ingest import prepare

    data, source = written
    path = workdir / "survey.csv"
    path.write_bytes(data)
    outcome = _call(prepare, path, source)
    if not isinstance(outcome, HandoverError):
        survey, mapping = outcome
        assert survey.tool is not None and mapping is not None
