"""Reading files as users have them: encodings told from content, Excel, title rows, damage."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from pipelines.errors import UnreadableFileError
from pipelines.readers import detect_encoding, read_grid, sniff_format
from tests.conftest import write_csv, write_xls, write_xlsx

ROWS = [["客户编号", "企业名称", "联系人"], ["KH1", "上海甲乙丙有限公司", "张三"]]


def _first_header_row(cells: list[str]) -> int:
    return sum(1 for c in cells if c in {"客户编号", "企业名称", "联系人"})


@pytest.mark.parametrize(
    ("encoding", "label"),
    [("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8 with BOM"), ("gbk", "GBK"), ("gb18030", "GB18030")],
)
def test_csv_encoding_is_detected_from_content_not_name(tmp_path: Path, encoding, label):
    rows = [row[:] for row in ROWS]
    if encoding == "gb18030":
        rows[1][1] = "上海㐀记有限公司"  # U+3400 is in GB18030 but not in GBK
    path = write_csv(tmp_path / "file.txt", rows, encoding)
    assert detect_encoding(path)[1] == label
    grid = read_grid(path, _first_header_row)
    assert grid.header == ROWS[0]
    assert list(next(grid.chunks).iloc[0]) == rows[1]


def test_long_gbk_file_with_multibyte_character_on_the_sample_boundary(tmp_path: Path):
    rows = [ROWS[0]] + [[f"KH{i}", "上海浦东新区测试有限公司" * 3, "张三"] for i in range(6000)]
    path = write_csv(tmp_path / "big.csv", rows, "gbk")
    assert detect_encoding(path)[1] == "GBK"
    grid = read_grid(path, _first_header_row, chunk_rows=1000)
    total = sum(len(chunk) for chunk in grid.chunks)
    assert total == 6000


def test_format_is_told_from_the_bytes(tmp_path: Path):
    xlsx = write_xlsx(tmp_path / "really_xlsx.csv", ROWS)
    xls = write_xls(tmp_path / "really_xls.xlsx", ROWS)
    assert sniff_format(xlsx) == "xlsx"
    assert sniff_format(xls) == "xls"


@pytest.mark.parametrize("writer", [write_xlsx, write_xls], ids=["xlsx", "xls"])
def test_excel_rows_keep_their_excel_row_numbers_and_date_cells(tmp_path: Path, writer):
    rows = [["客户资料导出"], [], ROWS[0] + ["服务开始日期"], ROWS[1] + [datetime(2026, 3, 5)]]
    path = writer(tmp_path / "book", rows)
    grid = read_grid(path, _first_header_row)
    assert grid.header_row == 3
    chunk = next(grid.chunks)
    assert list(chunk.index) == [4]
    assert chunk.iloc[0, 3] == datetime(2026, 3, 5)


def test_title_rows_above_the_csv_header_are_skipped(tmp_path: Path):
    path = write_csv(tmp_path / "t.csv", [["客户资料表 2026年11月"], [], *ROWS])
    grid = read_grid(path, _first_header_row)
    assert grid.header_row == 3
    assert list(next(grid.chunks).index) == [4]


def test_binary_garbage_is_refused_in_a_sentence(tmp_path: Path):
    path = tmp_path / "garbage.csv"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(UnreadableFileError, match="neither a CSV text file nor an Excel"):
        read_grid(path, _first_header_row)


def test_empty_file_is_refused(tmp_path: Path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(UnreadableFileError, match="empty"):
        read_grid(path, _first_header_row)


def test_truncated_xlsx_is_refused_as_damaged(tmp_path: Path):
    path = write_xlsx(tmp_path / "whole.xlsx", ROWS * 50)
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(UnreadableFileError, match="damaged or truncated"):
        read_grid(cut, _first_header_row)


def test_missing_sheet_names_the_sheets_there_are(tmp_path: Path):
    path = write_xlsx(tmp_path / "b.xlsx", ROWS, sheet="客户")
    with pytest.raises(UnreadableFileError, match="客户"):
        read_grid(path, _first_header_row, sheet="Sheet9")


@pytest.mark.parametrize(
    "body",
    [
        "KH2,乙,有限公司,李四\nKH1,甲,张三\nKH3,丙\nKH4,丁,王五\n",  # the first data row too
        "KH1,甲,张三\nKH2,乙,有限公司,李四\nKH3,丙\nKH4,丁,王五\n",
    ],
    ids=["first-row", "later-row"],
)
def test_a_row_with_more_or_fewer_fields_is_a_bad_row_never_shifted(tmp_path: Path, body):
    path = tmp_path / "ragged.csv"
    path.write_text("客户编号,企业名称,联系人\n" + body, encoding="utf-8")
    grid = read_grid(path, _first_header_row)
    rows = pd.concat(list(grid.chunks))
    ragged = {2 if body.startswith("KH2") else 3: "4 fields", 4: "2 fields"}
    assert {
        p.row: p.why.split(" but")[0].removeprefix("this row has ") for p in grid.problems
    } == ragged
    assert all("the header has 3" in p.why for p in grid.problems)
    kept = {
        row: list(values) for row, values in zip(rows.index, rows.values.tolist(), strict=False)
    }
    assert set(kept) == {2, 3, 4, 5} - set(ragged)
    assert kept[5] == ["KH4", "丁", "王五"]  # the rows after a ragged one keep their columns
