"""How typed rows become files: header language, date and boolean spelling, codes or labels,
encodings, and XLSX files that are byte-identical from run to run."""

from __future__ import annotations

import csv
import io
import random
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.writer.excel import ExcelWriter

from pipelines.templates import CODE_ALIASES, Template
from sample_data.workdays import SAMPLE_AS_OF

# Fixed document and zip-entry times, so that an XLSX never depends on when it was written.
XLSX_TIMESTAMP = datetime(SAMPLE_AS_OF.year, SAMPLE_AS_OF.month, SAMPLE_AS_OF.day)

_ALIASES_BY_CODE: dict[str, dict[str, list[str]]] = {}
for _column, _aliases in CODE_ALIASES.items():
    for _alias, _code in _aliases.items():
        _ALIASES_BY_CODE.setdefault(_column, {}).setdefault(_code, []).append(_alias)


@dataclass(frozen=True)
class Style:
    """The spelling of one file's header and values."""

    chinese_headers: bool
    date: Callable[[date], object]
    timestamp: Callable[[datetime], object]
    true: str = "true"
    false: str = "false"
    label_share: float = 0.0  # share of codes written as their Chinese label
    alias_share: float = 0.0  # share written as a further accepted alias, where one exists
    missing: object = ""


def _slash_date(d: date) -> str:
    return f"{d.year}/{d.month}/{d.day}"


def _iso_second(t: datetime) -> str:
    return t.isoformat(" ")


def _minute(t: datetime) -> str:
    return f"{t:%Y-%m-%d %H:%M}"


# small: clients in XLSX (real date cells, Chinese labels)
XLSX_CHINESE = Style(
    True,
    date=lambda d: d,
    timestamp=lambda t: t,
    true="是",
    false="否",
    label_share=0.95,
    alias_share=0.05,
    missing=None,
)
# small: handovers as exported from a Chinese spreadsheet (GBK)
CSV_CHINESE = Style(
    True,
    date=_slash_date,
    timestamp=_minute,
    true="是",
    false="否",
    label_share=0.95,
    alias_share=0.05,
)
# small: events from a logging tool: English headers, codes and labels mixed
CSV_MIXED = Style(
    False, date=date.isoformat, timestamp=_iso_second, label_share=0.5, alias_share=0.05
)
# large: machine export
CSV_PLAIN = Style(False, date=date.isoformat, timestamp=_iso_second)


def headers(template: Template, style: Style) -> list[str]:
    return [c.zh if style.chinese_headers else c.name for c in template.columns]


def row_formatter(template: Template, style: Style, rng: random.Random) -> Callable[[dict], list]:
    """A function turning a typed row into the list of cell values of this style."""
    missing = style.missing
    # a converter takes the typed value of its column (a date, a moment, a flag, a code)
    converters: list[tuple[str, Callable[[Any], object]]] = []
    for col in template.columns:
        convert: Callable[[Any], object]
        if col.type == "date":
            convert = style.date
        elif col.type == "timestamp":
            convert = style.timestamp
        elif col.type == "boolean":
            convert = {True: style.true, False: style.false}.__getitem__
        elif col.codes is not None and (style.label_share or style.alias_share):
            convert = _code_speller(col.name, col.codes, style, rng)
        else:
            convert = str
        converters.append((col.name, convert))

    def format_row(row: dict) -> list:
        return [missing if (v := row.get(name)) is None else conv(v) for name, conv in converters]

    return format_row


def _code_speller(column: str, codes: dict[str, str], style: Style, rng: random.Random):
    aliases = _ALIASES_BY_CODE.get(column, {})
    label_share, alias_share = style.label_share, style.alias_share

    def spell(code: str) -> str:
        if code not in codes:
            return code  # not a known code: written as it came
        r = rng.random()
        if r < alias_share and code in aliases:
            return rng.choice(aliases[code])
        return codes[code] if r < alias_share + label_share else code

    return spell


def write_csv(
    path: Path,
    template: Template,
    rows: Iterable[dict],
    style: Style,
    rng: random.Random,
    encoding: str = "utf-8",
    newline: str = "\n",
) -> int:
    """Streams rows into a CSV file; returns the number of rows written."""
    with CsvSink(path, template, style, rng, encoding, newline) as sink:
        for row in rows:
            sink.write(row)
        return sink.count


class CsvSink:
    """An open CSV file that takes typed rows one at a time."""

    def __init__(
        self,
        path: Path,
        template: Template,
        style: Style,
        rng: random.Random,
        encoding: str = "utf-8",
        newline: str = "\n",
    ) -> None:
        self._file = open(path, "w", encoding=encoding, newline="", buffering=1 << 20)
        self._writer = csv.writer(self._file, lineterminator=newline)
        self._writer.writerow(headers(template, style))
        self._format = row_formatter(template, style, rng)
        self.count = 0

    def write(self, row: dict) -> None:
        self._writer.writerow(self._format(row))
        self.count += 1

    def __enter__(self) -> CsvSink:
        return self

    def __exit__(self, *exc) -> None:
        self._file.close()


def write_xlsx(
    path: Path,
    template: Template,
    rows: Iterable[dict],
    style: Style,
    rng: random.Random,
    sheet_title: str | None = None,
) -> int:
    """Writes rows to the first sheet of a new workbook; returns the number of rows."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title or template.zh
    fill_sheet(ws, headers(template, style), (row_formatter(template, style, rng)(r) for r in rows))
    count = ws.max_row - 1
    save_workbook(wb, path)
    return count


def fill_sheet(ws, header: list[str], rows: Iterable[list]) -> None:
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    widths = [max(8, _width(h)) for h in header]
    for values in rows:
        ws.append(values)
        for i, v in enumerate(values):
            if isinstance(v, date):
                v = "2026-01-01"
            widths[i] = min(48, max(widths[i], _width(str(v)) if v is not None else 0))
    for i, cell in enumerate(ws[1]):
        ws.column_dimensions[cell.column_letter].width = widths[i] + 2
    ws.freeze_panes = "A2"


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def save_workbook(wb: Workbook, path: Path) -> None:
    """Saves an XLSX whose bytes depend only on its content (no clock in it)."""
    wb.properties.creator = "handover-insight"
    wb.properties.created = XLSX_TIMESTAMP
    wb.properties.modified = XLSX_TIMESTAMP
    buffer = io.BytesIO()
    ExcelWriter(wb, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    stamp = (XLSX_TIMESTAMP.year, XLSX_TIMESTAMP.month, XLSX_TIMESTAMP.day, 0, 0, 0)
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, source.read(info.filename))
