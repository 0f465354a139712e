"""The child process that parses users' files: limits end it with a sentence, the caller lives on,
and a reader that stops early leaves no process behind."""

from __future__ import annotations

import functools
import os
import time
from pathlib import Path

import pytest

from pipelines import sandbox
from pipelines.errors import HandoverError, UnreadableFileError
from pipelines.limits import ReadLimits
from pipelines.readers import read_grid
from tests.conftest import write_csv


def _any_header(cells: list[str]) -> int:
    return 1


def _allocate(megabytes: int):
    yield "started"
    hog = bytearray(megabytes << 20)
    yield len(hog)


def _spin():
    yield "started"
    while True:
        pass


def _numbers(count: int):
    yield from range(count)


def _refuse():
    yield "started"
    raise UnreadableFileError("x.csv: refused.", code="file_binary", params={"file": "x.csv"})


def _children() -> set[int]:
    import multiprocessing

    return {p.pid for p in multiprocessing.active_children()}


def test_memory_past_the_limit_ends_the_child_with_a_sentence():
    limits = ReadLimits(memory_bytes=1 << 30)
    items = sandbox.stream(_allocate, (4096,), limits, "huge.xlsx")
    assert next(items) == "started"
    with pytest.raises(UnreadableFileError, match="more memory than the 1024 MB allowed") as raised:
        next(items)
    assert raised.value.code == "file_memory_limit"
    assert "huge.xlsx" in raised.value.message and "1024 MB" in raised.value.message
    assert "HANDOVER_READ_MEMORY_BYTES" in raised.value.message


def test_cpu_time_past_the_limit_ends_the_child_with_a_sentence():
    limits = ReadLimits(seconds=1)
    started = time.monotonic()
    with pytest.raises(UnreadableFileError, match="took longer than the 1 s allowed") as raised:
        list(sandbox.stream(_spin, (), limits, "slow.csv"))
    assert raised.value.code == "file_time_limit"
    assert "slow.csv" in raised.value.message
    assert time.monotonic() - started < 30


def test_an_error_in_the_child_keeps_its_code_and_parameters():
    with pytest.raises(HandoverError, match="x.csv: refused") as raised:
        list(sandbox.stream(_refuse, (), ReadLimits(), "x.csv"))
    assert (raised.value.code, raised.value.params) == ("file_binary", {"file": "x.csv"})


def test_a_consumer_that_stops_early_ends_the_child():
    before = _children()
    items = sandbox.stream(_numbers, (10_000_000,), ReadLimits(), "n.csv")
    assert next(items) == 0
    items.close()
    deadline = time.monotonic() + 10
    while _children() - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _children() - before


def test_a_preview_of_the_first_rows_leaves_no_process(tmp_path: Path):
    path = write_csv(tmp_path / "many.csv", [["a", "b"]] + [[str(i), "x"] for i in range(5000)])
    before = _children()
    grid = read_grid(path, functools.partial(_any_header), chunk_rows=100)
    assert len(next(grid.chunks)) == 100
    del grid
    deadline = time.monotonic() + 10
    while _children() - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _children() - before


def test_limits_come_from_the_environment_at_call_time(monkeypatch):
    monkeypatch.setenv("HANDOVER_READ_MAX_ROWS", "1_000")
    monkeypatch.setenv("HANDOVER_READ_SECONDS", "not a number")
    limits = ReadLimits.from_env()
    assert limits.max_rows == 1000
    assert limits.seconds == ReadLimits().seconds
    assert os.environ["HANDOVER_READ_MAX_ROWS"] == "1_000"
