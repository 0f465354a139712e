"""Seeded demo data of a made-up Shanghai bookkeeping firm (代理记账公司).

`write_sample_files(out_dir, size, seed)` writes the three import files and returns them in
load order. The same seed always gives the same bytes: one `random.Random(seed)` drives every
choice, in a fixed order, and the reference date is the constant SAMPLE_AS_OF, never today.

- small: about 300 clients, 15 staff in 3 teams; clients as XLSX with Chinese headers and
  labels, handovers as a GBK CSV with Chinese headers, labels, 是/否 and `2026/3/5` dates,
  events as a UTF-8-with-BOM CSV with English headers and codes mixed with labels.
- large: 200,000 clients, over 300,000 handovers and over 5,000,000 events, as UTF-8 CSV with
  English headers and codes, streamed row by row (only a few numbers per client stay in
  memory).

The build reports its progress (stage ``sample``: handovers, then clients, written of those
planned; each handover's events are written with it) to a ``pipelines.progress`` reporter;
`python -m cli.sample_files` shows it as a bar on a terminal.

Beside the import files, `defects.json` lists every deliberate defect by data-check id and
record key: run as of SAMPLE_AS_OF, the checks should report exactly those records.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pipelines.progress import Reporter, report
from pipelines.templates import CLIENTS, EVENTS, HANDOVERS
from sample_data.clients import ClientBook, generate_clients, plan_clients
from sample_data.defects import DefectLog, Ticker
from sample_data.events import generate_events, generate_orphan_events
from sample_data.formats import (
    CSV_CHINESE,
    CSV_MIXED,
    CSV_PLAIN,
    XLSX_CHINESE,
    CsvSink,
    write_csv,
    write_xlsx,
)
from sample_data.handovers import generate_handovers
from sample_data.roster import Roster, build_roster
from sample_data.workdays import CUTOFF, SAMPLE_AS_OF, WINDOW_START

__all__ = [
    "SAMPLE_AS_OF",
    "SIZES",
    "SampleSize",
    "build_roster",
    "generate_clients",
    "generate_events",
    "generate_handovers",
    "plan_clients",
    "write_sample_files",
]

DEFECTS_FILE = "defects.json"


@dataclass(frozen=True)
class SampleSize:
    clients: int
    teams: int
    team_size: int
    handovers: int  # aimed at; a few handovers of unknown clients come on top


SIZES: dict[str, SampleSize] = {
    "small": SampleSize(clients=300, teams=3, team_size=5, handovers=240),
    "large": SampleSize(clients=200_000, teams=220, team_size=15, handovers=310_000),
}


class _Counter:
    """Reports rows as they pass: stage ``sample``, every ``step`` rows and at the end."""

    def __init__(self, progress: Reporter | None, total: int) -> None:
        self.progress, self.total, self.done = progress, total, 0
        self.step = max(1, total // 500)

    def count(self, rows: Iterable[dict]) -> Iterator[dict]:
        for row in rows:
            yield row
            self.done += 1
            if self.done % self.step == 0:
                report(self.progress, "sample", self.done, max(self.total, self.done))

    def replan(self, remaining: int) -> None:
        """What is done so far is done; ``remaining`` rows are still to come."""
        self.total = self.done + remaining
        report(self.progress, "sample", self.done, self.total)


def write_sample_files(
    out_dir: Path, size: str = "small", seed: int = 42, progress: Reporter | None = None
) -> list[tuple[str, Path]]:
    """Writes the sample's import files into out_dir; returns (kind, path) in load order:
    clients, handovers, events. ``progress`` hears of the rows written (see above); it
    changes nothing in the files."""
    if size not in SIZES:
        raise ValueError(f"unknown sample size {size!r}; expected one of {', '.join(SIZES)}")
    spec = SIZES[size]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    log = DefectLog()
    roster = build_roster(rng, spec.teams, spec.team_size, WINDOW_START)
    book = plan_clients(rng, spec.clients, roster)

    small = size == "small"
    handovers_path, events_path = out_dir / "handovers.csv", out_dir / "events.csv"
    handover_file = (
        CsvSink(handovers_path, HANDOVERS, CSV_CHINESE, rng, encoding="gbk", newline="\r\n")
        if small
        else CsvSink(handovers_path, HANDOVERS, CSV_PLAIN, rng)
    )
    event_file = (
        CsvSink(events_path, EVENTS, CSV_MIXED, rng, encoding="utf-8-sig", newline="\r\n")
        if small
        else CsvSink(events_path, EVENTS, CSV_PLAIN, rng)
    )
    counter = _Counter(progress, spec.handovers + spec.clients)
    report(progress, "sample", 0, counter.total)
    with handover_file, event_file:
        _write_log(rng, book, roster, spec, log, handover_file, event_file, counter)

    counter.replan(spec.clients)
    clients = counter.count(generate_clients(rng, book, roster, SAMPLE_AS_OF, log))
    if small:
        clients_path = out_dir / "clients.xlsx"
        write_xlsx(clients_path, CLIENTS, clients, XLSX_CHINESE, rng)
    else:
        clients_path = out_dir / "clients.csv"
        write_csv(clients_path, CLIENTS, clients, CSV_PLAIN, rng)

    log.write(
        out_dir / DEFECTS_FILE,
        size=size,
        seed=seed,
        as_of=SAMPLE_AS_OF.isoformat(),
        files={
            "clients": clients_path.name,
            "handovers": handovers_path.name,
            "events": events_path.name,
        },
    )
    counter.replan(0)
    return [("clients", clients_path), ("handovers", handovers_path), ("events", events_path)]


def _write_log(
    rng: random.Random,
    book: ClientBook,
    roster: Roster,
    spec: SampleSize,
    log: DefectLog,
    handover_file: CsvSink,
    event_file: CsvSink,
    counter: _Counter,
) -> None:
    """Simulates the handovers, writing each one and its events as it comes."""
    unknown_item = Ticker(rng, (20, 100), (60, 140))
    orphan = Ticker(rng, (30, 120), (200, 400))
    write_handover, write_event = handover_file.write, event_file.write
    handovers = generate_handovers(rng, book, roster, spec.handovers, SAMPLE_AS_OF, log)
    for handover in counter.count(handovers):
        write_handover(handover)
        has_events = handover["actual_start"] is not None
        for event in generate_events(rng, handover, CUTOFF, has_events and unknown_item(), log):
            write_event(event)
        if orphan():
            for event in generate_orphan_events(rng, handover["to_staff"], log):
                write_event(event)
