"""Data checks show their progress (which suite runs), and an upload's trial finds in its rows
what the real upload's check run then finds there (issue 12)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

from data_checks.refresh import refresh_after, trial_import
from data_checks.registry import SUITES, checks_of
from data_checks.results import batch_findings, latest_run, save_run
from data_checks.runner import run_checks
from pipelines.ingest import ingest_file
from pipelines.progress import Recorder
from pipelines.store import Store
from tests.conftest import write_csv
from tests.test_checks import (
    CLIENT_HEADER,
    EVENT_HEADER,
    HANDOVER_HEADER,
    _load,
)

AS_OF = date(2026, 11, 20)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> Store:
    folder = tmp_path_factory.mktemp("progress")
    store = Store(folder / "progress.duckdb")
    _load(store, folder)
    return store


def _suite_reports(recorder: Recorder) -> dict[str, list[tuple[int, int | None]]]:
    found: dict[str, list[tuple[int, int | None]]] = {}
    for stage, done, total in recorder.reports:
        found.setdefault(stage, []).append((done, total))
    return found


def test_a_check_run_reports_every_suite_in_order(loaded: Store):
    recorder = Recorder()
    run = run_checks(loaded, AS_OF, progress=recorder)
    assert recorder.stages == [f"check:{suite}" for suite in SUITES]
    for suite, reports in _suite_reports(recorder).items():
        planned = len(checks_of(suite.removeprefix("check:")))
        assert reports[0] == (0, planned)  # the stage starts at none of its checks done
        assert reports[-1] == (planned, planned)  # and ends with all of them
        assert all(total == planned for _, total in reports)
        assert [done for done, _ in reports] == sorted(done for done, _ in reports)
    assert len(run.outcomes) == sum(len(checks_of(s)) for s in SUITES)


def test_a_run_of_some_suites_reports_those_only(loaded: Store):
    recorder = Recorder()
    run = run_checks(loaded, AS_OF, suites=("events", "clients"), progress=recorder)
    assert recorder.stages == ["check:events", "check:clients"]
    assert {o.check.suite for o in run.outcomes} == {"events", "clients"}


def test_a_run_without_a_reporter_finds_the_same(loaded: Store):
    quiet = run_checks(loaded, AS_OF)
    shown = run_checks(loaded, AS_OF, progress=Recorder())

    def found(run):
        return [
            (
                o.check.id,
                o.records_checked,
                sorted((f.record_key, f.column_name, f.offending_value) for f in o.failures),
            )
            for o in run.outcomes
        ]

    assert found(quiet) == found(shown)


def test_the_run_after_an_upload_reports_its_suites(tmp_path: Path):
    store = Store(tmp_path / "refresh.duckdb")
    _load(store, tmp_path)
    recorder = Recorder()
    done = refresh_after(store, "upload", as_of=AS_OF, progress=recorder)
    assert recorder.stages == [f"check:{suite}" for suite in SUITES]
    assert done.run_id == latest_run(store)["run_id"]


@contextmanager
def _recording_bar(seen: list, recorder: Recorder):
    @contextmanager
    def bar(enabled: bool = True):
        seen.append(enabled)
        yield recorder if enabled else (lambda *args: None)

    yield bar


def test_the_check_command_draws_a_bar_unless_json(runner, tmp_path: Path, monkeypatch):
    from cli import app
    from cli import progress as cli_progress

    db = tmp_path / "cli.duckdb"
    _load(Store(db), tmp_path)
    seen: list[bool] = []
    recorder = Recorder()
    with _recording_bar(seen, recorder) as fake:
        monkeypatch.setattr(cli_progress, "bar", fake)
        shown = runner.invoke(app, ["check", "--as-of", "2026-11-20", "--db", str(db)])
        assert shown.exit_code == 0, shown.output
        as_json = runner.invoke(app, ["check", "--as-of", "2026-11-20", "--json", "--db", str(db)])
        assert as_json.exit_code == 0, as_json.output
    assert seen == [True, False]
    assert recorder.stages == [f"check:{suite}" for suite in SUITES]
    document = json.loads(as_json.stdout)  # standard output holds the JSON document alone
    assert len(document["checks"]) == sum(len(checks_of(s)) for s in SUITES)


def test_the_real_bar_prints_nothing_when_output_is_not_a_terminal(tmp_path: Path):
    """Through a pipe (not a terminal) the command's output is the table alone."""
    db = tmp_path / "pipe.duckdb"
    _load(Store(db), tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "cli", "check", "--as-of", "2026-11-20", "--json", "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).parents[1],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["as_of"] == "2026-11-20"
    assert "Checking" not in done.stderr and "━" not in done.stderr


# -- before confirming an upload -------------------------------------------------------------

NEW_CLIENTS = [
    [
        "KH1",
        "上海甲有限公司",
        "91350100M000100Y43",
        "张三",
        "13812345678",
        "a@example.cn",
        "active",
        "2027-12-31",
        "",
        "王五",
        "2020-01-01",
    ],  # unchanged
    [
        "KH6",
        "",
        "91350100M000100Y44",
        "孙八",
        "1381234",
        "x@",
        "active",
        "2026-01-31",
        "",
        "孙八",
        "",
    ],  # new, failing several checks
    [
        "KH2",
        "上海乙有限公司",
        "91350100M000100Y44",
        "李四",
        "13812345678",
        "b@example.cn",
        "active",
        "2026-01-31",
        "",
        "赵六",
        "",
    ],  # changed: company now set, USCC shared with KH6
]
NEW_HANDOVERS = [
    ["JJ7", "KH404", "李四", "李四", "2026-07-10", "2026-07-01", "", "", ""],
    [
        "JJ1",
        "KH1",
        "李四",
        "王五",
        "2026-03-01",
        "2026-03-10",
        "2026-03-01 09:00",
        "2026-03-09 17:00",
        "2026-03-09 17:30",
    ],
]
NEW_EVENTS = [
    ["JJ8", "2026-03-06 10:00:00", "item_verified", "印章"],
    ["JJ1", "2026-03-02 10:00:00", "item_transferred", "vouchers"],
]
UPLOADS = {
    "clients": (CLIENT_HEADER, NEW_CLIENTS),
    "handovers": (HANDOVER_HEADER, NEW_HANDOVERS),
    "events": (EVENT_HEADER, NEW_EVENTS),
}


def _state(store: Store) -> tuple:
    return (
        store.query("select count(*), max(batch_id) from batches").rows,
        store.query("select count(*) from check_runs").rows,
        store.query("select count(*) from failure_history").rows,
        store.query("select count(*) from raw_events").rows,
        store.query("select count(*) from raw_clients").rows,
    )


@pytest.mark.parametrize("kind", list(UPLOADS))
def test_a_trial_finds_what_the_upload_then_finds(tmp_path: Path, kind: str):
    store = Store(tmp_path / "trial.duckdb")
    _load(store, tmp_path)
    save_run(store, run_checks(store, AS_OF))
    header, rows = UPLOADS[kind]
    path = write_csv(tmp_path / f"new_{kind}.csv", [header, *rows])
    before = _state(store)

    recorder = Recorder()
    trial = trial_import(
        store, kind, lambda copy: ingest_file(copy, kind, path), as_of=AS_OF, progress=recorder
    )
    assert _state(store) == before  # nothing of the real database changed
    assert recorder.stages == [f"check:{kind}"]
    assert trial.checks == [c.id for c in checks_of(kind)]
    assert not trial.findings.empty

    report = ingest_file(store, kind, path)
    run_id = save_run(store, run_checks(store, AS_OF, suites=(kind,)))
    real = batch_findings(store, report.batch_id, run_id)
    assert (trial.report.added, trial.report.updated) == (report.added, report.updated)
    columns = [
        "source_row",
        "check_id",
        "record_key",
        "column_name",
        "offending_value",
        "detail",
        "is_new",
    ]
    assert (
        trial.findings[columns].astype(object).values.tolist()
        == real[columns].astype(object).values.tolist()
    )


def test_great_expectations_imports_without_the_libraries_it_does_not_need():
    """GX imports scipy.stats and altair for expectations this project does not use; they
    are imported when first used, and work then."""
    code = textwrap.dedent("""
        import sys
        import data_checks.gx_compat
        print(sorted(m for m in ("scipy.stats", "altair") if m in sys.modules))
        from great_expectations.expectations.core import (
            expect_column_kl_divergence_to_be_less_than as kl)
        print(round(kl.stats.entropy([0.5, 0.5], [0.9, 0.1]), 4), kl.alt.Chart.__name__)
        import scipy.stats, altair
        print(scipy.stats.entropy is kl.stats.entropy, type(altair).__name__)
    """)
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).parents[1],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[:3] == ["[]", "0.5108 Chart", "True module"]
