"""The command line's big outputs and its start: `handover scores` streamed as JSON (the same
bytes as one json.dumps), CSV and Parquet, --limit; what `import cli` imports; the
lazily registered `ingest`; progress bars only on a terminal."""

from __future__ import annotations

import csv
import inspect
import io
import json
import math
import os
import pty
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli import app, figures
from cli.common import json_default
from pipelines.progress import Recorder

ROOT = Path(__file__).parents[1]
AS_OF = "2026-11-20"
HEAVY = (
    "pandas",
    "numpy",
    "pyarrow",
    "duckdb",
    "great_expectations",
    "streamlit",
    "sqlalchemy",
    "plotly",
    "openpyxl",
    "metrics",
    "data_checks",
)


def _python(code: str, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "HANDOVER_CONFIG": "none"}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, **kwargs
    )


def _heavy_modules_after(code: str) -> list[str]:
    result = _python(
        code + "\nimport sys, json\nprint(json.dumps(sorted({name.split('.')[0] "
        "for name in sys.modules})))"
    )
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout.splitlines()[-1]))
    return sorted(loaded.intersection(HEAVY))


# -- what starting the command imports ------------------------------------------------------


def test_importing_the_command_line_imports_nothing_heavy():
    assert _heavy_modules_after("import cli") == []


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["metrics", "--help"],
        ["scores", "--help"],
        ["users", "add", "--help"],
        ["serve", "--help"],
    ],
)
def test_help_imports_nothing_heavy(args):
    code = (
        f"from cli import app\ntry:\n    app({args!r}, prog_name='handover')\n"
        "except SystemExit as end:\n    assert end.code == 0, end.code"
    )
    assert _heavy_modules_after(code) == []


def test_the_options_name_the_stores_defaults():
    from cli import common
    from pipelines import store

    assert (common.DB_ENV, common.DEFAULT_DB_NAME) == (store.DB_ENV, store.DEFAULT_DB_NAME)


def test_the_lazy_ingest_command_is_the_one_typer_builds_from_the_function():
    from typer.main import get_command, get_command_from_info
    from typer.models import CommandInfo

    from cli import LazyCommand, _docstring
    from cli.ingest import ingest

    assert _docstring("ingest", "ingest") == inspect.getdoc(ingest)
    group = get_command(app)
    assert isinstance(group.commands["ingest"], LazyCommand)  # not imported to list it
    ctx = group.make_context("handover", ["ingest", "--help"], resilient_parsing=True)
    loaded = group.get_command(ctx, "ingest")
    eager = get_command_from_info(
        CommandInfo(callback=ingest),
        pretty_exceptions_short=True,
        rich_markup_mode=group.rich_markup_mode,
    )
    assert not isinstance(loaded, LazyCommand)
    assert loaded.help == eager.help == inspect.getdoc(ingest)
    assert [p.opts for p in loaded.params] == [p.opts for p in eager.params]
    assert [p.name for p in loaded.params][:2] == ["kind", "files"]


def test_the_group_help_lists_ingest_first_with_its_first_line(runner: CliRunner):
    from cli.ingest import ingest

    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    commands = result.stdout.split("─ Commands ─")[1]
    names = [
        line.split()[1]
        for line in commands.splitlines()
        if line.startswith("│ ") and line[2:3].isalpha()
    ]
    assert names[:4] == ["ingest", "batches", "rollback", "purge"]
    ingest_line = next(line for line in commands.splitlines() if line.startswith("│ ingest"))
    assert ingest_line.split(maxsplit=2)[2].startswith(" ".join(inspect.getdoc(ingest).split()[:5]))


# -- scores: JSON as json.dumps wrote it, chunk by chunk ------------------------------------


def _reference_json(frame: pd.DataFrame) -> str:
    """What `handover scores --json` wrote before it streamed (print_json of the rows)."""
    rows = []
    for row in frame[list(figures.SCORE_FIELDS)].to_dict(orient="records"):
        rows.append(
            {
                k: (None if isinstance(v, float) and v != v else list(v) if k == "flags" else v)
                for k, v in row.items()
            }
        )
    return json.dumps(rows, ensure_ascii=False, default=json_default, indent=2) + "\n"


def _frame(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(figures.SCORE_FIELDS))
    for column in (
        "efficiency_score",
        "quality_score",
        "satisfaction_score",
        "risk_score",
        "score",
    ):
        frame[column] = frame[column].astype("float64")
    return frame


def test_streamed_json_is_byte_for_byte_json_dumps(monkeypatch):
    import numpy as np

    odd = ['引号 " and \\ back', "tab\tnew\nline\x01", "全角１２３", "", "emoji 😀", "\u2028"]
    rows = []
    for i in range(53):
        flags = np.array(odd[: i % 4], dtype=object) if i % 5 else np.array([], dtype=object)
        signed_zero = -0.0 if i % 7 == 0 else 0.0 if i % 7 == 1 else 1e-7 * i
        rows.append(
            (
                f"H-{i:03d} {odd[i % len(odd)]}",
                float(i) / 3,
                math.nan,
                100.0,
                signed_zero,
                1e17 + i,
                "green" if i % 2 else "red",
                flags,
                odd[i % 3],
            )
        )
    frame = _frame(rows)
    monkeypatch.setattr(figures, "CHUNK_ROWS", 7)  # chunk boundaries inside the rows
    assert "".join(figures._json_chunks(frame)) == _reference_json(frame)
    assert "".join(figures._json_chunks(frame.head(0))) == _reference_json(frame.head(0))
    assert "".join(figures._json_chunks(frame.head(1))) == _reference_json(frame.head(1))
    assert '"risk_score": -0.0' in _reference_json(frame)


def test_streamed_json_writes_infinity_as_json_dumps_does():
    import numpy as np

    no_flags = np.array([], dtype=object)
    frame = _frame(
        [
            ("H-1", math.inf, -math.inf, math.nan, 1.0, 2.5, None, no_flags, "low"),
            ("H-2", 1.0, 2.0, 3.0, 4.0, 5.0, "green", np.array(["no_nda"], dtype=object), None),
        ]
    )
    text = "".join(figures._json_chunks(frame))
    assert text == _reference_json(frame)
    assert '"efficiency_score": Infinity' in text and '"band": null' in text


# -- scores on the sample through the command ------------------------------------------------


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory) -> str:
    """The small sample, loaded by `handover demo` as a script runs it (no terminal)."""
    db = str(tmp_path_factory.mktemp("cli_output") / "sample.duckdb")
    result = CliRunner().invoke(app, ["demo", "--db", db])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""  # no progress bar, no other line, when not on a terminal
    assert "clients.xlsx" in result.stdout and "events.csv" in result.stdout  # summaries
    return db


def _scores(db: str, *args: str) -> CliRunner:
    result = CliRunner().invoke(
        app, ["scores", "--as-of", AS_OF, *args, "--db", db], env={"HANDOVER_CONFIG": "none"}
    )
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def sample_rows(sample_db) -> list[dict]:
    return json.loads(_scores(sample_db, "--json").stdout)


def test_scores_json_of_the_sample_is_json_dumps_of_its_rows(sample_db, sample_rows, monkeypatch):
    from metrics.config import load_config
    from metrics.scores import compute_scores
    from pipelines.store import Store

    monkeypatch.setenv("HANDOVER_CONFIG", "none")
    frame = compute_scores(Store(sample_db), pd.Timestamp(AS_OF).date(), config=load_config())
    assert _scores(sample_db, "--json").stdout == _reference_json(frame)
    assert len(sample_rows) > 200
    assert any(r["flags"] for r in sample_rows) and any(not r["flags"] for r in sample_rows)
    assert any(r["satisfaction_score"] is None for r in sample_rows)
    assert _scores(sample_db, "--format", "json").stdout == _scores(sample_db, "--json").stdout


@pytest.mark.parametrize("limit", [0, 1, 7])
def test_limit_gives_the_first_rows_in_the_same_order(sample_db, sample_rows, limit):
    assert (
        json.loads(_scores(sample_db, "--json", "--limit", str(limit)).stdout)
        == sample_rows[:limit]
    )
    rows = list(
        csv.DictReader(
            io.StringIO(_scores(sample_db, "--format", "csv", "--limit", str(limit)).stdout)
        )
    )
    assert [r["handover_id"] for r in rows] == [r["handover_id"] for r in sample_rows[:limit]]


def _number(text: str) -> float | None:
    return None if text == "" else float(text)


def test_csv_has_the_rows_and_columns_of_the_json(sample_db, sample_rows):
    text = _scores(sample_db, "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert text.splitlines()[0] == ",".join(figures.SCORE_FIELDS)
    assert len(rows) == len(sample_rows)
    for got, want in zip(rows, sample_rows, strict=False):
        assert got["handover_id"] == want["handover_id"]
        for key in (
            "efficiency_score",
            "quality_score",
            "satisfaction_score",
            "risk_score",
            "score",
        ):
            assert _number(got[key]) == want[key], (want["handover_id"], key)
        assert (got["band"] or None, got["risk_level"]) == (want["band"], want["risk_level"])
        assert got["flags"] == ", ".join(want["flags"])


def _parquet_rows(path_or_bytes) -> list[dict]:
    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    frame = pd.read_parquet(source)
    assert list(frame.columns) == list(figures.SCORE_FIELDS)
    return [
        {
            k: (None if isinstance(v, float) and v != v else list(v) if k == "flags" else v)
            for k, v in row.items()
        }
        for row in frame.astype(object).to_dict(orient="records")
    ]


def test_parquet_to_a_file_has_the_rows_of_the_json(sample_db, sample_rows, tmp_path):
    target = tmp_path / "scores.parquet"
    result = _scores(sample_db, "--format", "parquet", "--output", str(target))
    assert result.stdout == ""
    assert _parquet_rows(target) == sample_rows
    import duckdb

    assert duckdb.sql(f"select count(*) from '{target}'").fetchall() == [(len(sample_rows),)]
    limited = tmp_path / "five.parquet"
    _scores(sample_db, "--format", "parquet", "--limit", "5", "--output", str(limited))
    assert _parquet_rows(limited) == sample_rows[:5]


def test_json_and_csv_to_a_file_are_what_standard_output_gets(sample_db, tmp_path):
    for fmt in ("json", "csv"):
        target = tmp_path / f"scores.{fmt}"
        assert _scores(sample_db, "--format", fmt, "--output", str(target)).stdout == ""
        assert target.read_text(encoding="utf-8") == _scores(sample_db, "--format", fmt).stdout


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "cli", *args]


def test_parquet_to_a_pipe_is_written(sample_db, sample_rows):
    result = subprocess.run(
        _command("scores", "--as-of", AS_OF, "--format", "parquet", "--db", sample_db),
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, "HANDOVER_CONFIG": "none"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout[:4] == b"PAR1"
    assert _parquet_rows(result.stdout) == sample_rows


def _on_a_terminal(args: list[str], stream: str) -> tuple[int, str, str]:
    """Runs the command with ``stream`` (stdout or stderr) a terminal; the other is a pipe.
    Returns the exit status, what the terminal showed and what the pipe got."""
    leader, follower = pty.openpty()
    other = subprocess.PIPE
    process = subprocess.Popen(
        args,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=follower if stream == "stdout" else other,
        stderr=follower if stream == "stderr" else other,
        env={**os.environ, "HANDOVER_CONFIG": "none", "COLUMNS": "120", "TERM": "xterm"},
    )
    os.close(follower)
    shown = bytearray()
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the command ended and closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    piped = (process.stderr if stream == "stdout" else process.stdout).read()
    return process.wait(), shown.decode("utf-8", "replace"), piped.decode("utf-8", "replace")


def test_parquet_to_a_terminal_is_refused_with_a_sentence(sample_db):
    status, shown, errors = _on_a_terminal(
        _command("scores", "--as-of", AS_OF, "--format", "parquet", "--db", sample_db), "stdout"
    )
    assert status == 1
    assert shown == ""
    assert (
        "Parquet is a binary format and standard output is a terminal: give --output "
        "FILE" in " ".join(errors.split())
    )


def test_two_formats_at_once_are_a_usage_error(sample_db, tmp_path):
    both = CliRunner().invoke(app, ["scores", "--json", "--format", "csv", "--db", sample_db])
    assert both.exit_code == 2 and "give one" in both.output
    lost = CliRunner().invoke(app, ["scores", "--output", str(tmp_path / "x"), "--db", sample_db])
    assert lost.exit_code == 2 and "--output writes the --json or --format output" in " ".join(
        lost.output.replace("│", " ").split()
    )
    negative = CliRunner().invoke(app, ["scores", "--limit", "-1", "--db", sample_db])
    assert negative.exit_code == 2
    nowhere = CliRunner().invoke(
        app, ["scores", "--json", "--output", str(tmp_path / "no" / "x.json"), "--db", sample_db]
    )
    assert nowhere.exit_code == 2 and "does not exist" in " ".join(
        nowhere.output.replace("│", " ").split()
    )
    assert not (tmp_path / "no").exists()


# -- progress of the sample's build ----------------------------------------------------------


def test_the_sample_build_reports_its_rows_and_writes_the_same_bytes(tmp_path):
    from sample_data.generator import write_sample_files

    recorder = Recorder()
    with_progress = dict(write_sample_files(tmp_path / "a", "small", seed=3, progress=recorder))
    without = dict(write_sample_files(tmp_path / "b", "small", seed=3))
    for kind, path in with_progress.items():
        assert path.read_bytes() == without[kind].read_bytes(), kind
    assert recorder.stages == ["sample"]
    done = [d for _, d, _ in recorder.reports]
    assert done == sorted(done) and done[0] == 0
    last = recorder.reports[-1]
    handovers = len(with_progress["handovers"].read_text(encoding="gbk").splitlines()) - 1
    assert last == ("sample", handovers + 300, handovers + 300)  # then the 300 clients
    assert len(recorder.reports) > 10


def test_the_sample_build_shows_a_bar_on_a_terminal_only(tmp_path):
    args = [sys.executable, "-m", "cli.sample_files", "--size", "small"]
    status, shown, printed = _on_a_terminal(args + [str(tmp_path / "t")], "stderr")
    assert status == 0, shown
    assert "Writing the sample" in shown
    assert "handovers\t" in printed
    piped = subprocess.run(args + [str(tmp_path / "p")], capture_output=True, text=True, cwd=ROOT)
    assert piped.returncode == 0
    assert "Writing the sample" not in piped.stderr
    assert piped.stderr.startswith("written in ")


def test_demo_shows_a_bar_on_a_terminal_and_prints_its_summaries(tmp_path):
    status, shown, printed = _on_a_terminal(
        _command("demo", "--db", str(tmp_path / "demo.duckdb")), "stderr"
    )
    assert status == 0, shown
    assert "Writing the sample" in shown
    assert "clients.xlsx" in printed and "Google_Forms_Feedback.csv" in printed
