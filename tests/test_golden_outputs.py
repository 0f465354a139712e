"""The sample's outputs are what they were before the restructuring (issue 14): the import
reports, the checks and their failures, the figures, scores, flags and roll-ups, recorded
by `tests/golden/record.py` and compared with the files in `tests/golden/expected/`.

Those files were recorded at commit ef950d1, before the command line moved and the import
became one pipeline. A change that means to alter an output records them again:

    uv run python tests/golden/record.py tests/golden/expected

and the diff of that commit shows what changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.golden.record import IGNORED, record

EXPECTED = Path(__file__).parent / "golden" / "expected"


def without(value: object, keys: tuple[str, ...]) -> object:
    if isinstance(value, dict):
        return {k: without(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [without(v, keys) for v in value]
    return value


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("golden")
    record(out)
    return out


@pytest.mark.parametrize("name", sorted(p.name for p in EXPECTED.iterdir()))
def test_output_is_as_recorded_before_the_restructuring(recorded: Path, name: str) -> None:
    expected, got = (
        (EXPECTED / name).read_text(encoding="utf-8"),
        (recorded / name).read_text(encoding="utf-8"),
    )
    if name.endswith(".json"):
        assert without(json.loads(got), IGNORED) == without(json.loads(expected), IGNORED)
    else:
        assert got == expected


def test_every_output_recorded_is_compared(recorded: Path) -> None:
    made = {p.name for p in recorded.iterdir() if p.suffix in (".json", ".txt")}
    assert made == {p.name for p in EXPECTED.iterdir()}
