"""`handover demo` and the templates: the sample goes through the users' import paths."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from metrics.figures import compute_figures
from pipelines.ingest import ingest_file
from pipelines.store import Store
from sample_data.generator import SAMPLE_AS_OF
from sample_data.loader import load_sample

TEMPLATES = Path(__file__).parents[1] / "sample_data" / "templates"


@pytest.mark.parametrize("kind", ["clients", "handovers", "events"])
@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_each_downloadable_template_imports_its_example_row(store: Store, kind, suffix):
    report = ingest_file(store, kind, TEMPLATES / f"{kind}_template.{suffix}")
    assert (report.added, report.rejected) == (1, 0)


def test_demo_loads_every_kind_and_five_survey_tools(tmp_path: Path):
    store = Store(tmp_path / "demo.duckdb")
    reports = load_sample(store, "small", keep_dir=tmp_path / "files")
    kinds = [getattr(r, "kind", "feedback") for r in reports]
    assert kinds[:3] == ["clients", "handovers", "events"]
    tools = {r.tool for r in reports[3:]}
    assert tools == {"问卷星", "腾讯问卷", "Qualtrics", "SurveyMonkey", "Google Forms"}
    assert all(getattr(r, "rejected", 0) == 0 for r in reports)
    counts = store.query(
        "select (select count(*) from stg_clients), (select count(*) from stg_handovers), "
        "(select count(*) from stg_events)"
    ).first()
    assert counts[0] == 300 and counts[1] > 200 and counts[2] > 5000
    figures = compute_figures(store, SAMPLE_AS_OF)
    assert figures["responses_total"] > 100
    assert 0 < figures["responses_unmatched"] < figures["responses_total"]
    assert sorted(p.name for p in (tmp_path / "files").iterdir())[:3] == [
        "Google_Forms_Feedback.csv",
        "Qualtrics_Handover_Survey.csv",
        "SurveyMonkey_Client_Feedback.csv",
    ]


def test_demo_refuses_a_database_with_data_unless_forced(tmp_path: Path):
    runner = CliRunner()
    db = str(tmp_path / "d.duckdb")
    first = runner.invoke(app, ["demo", "--db", db])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, ["demo", "--db", db])
    assert again.exit_code == 1 and "already holds data" in again.stderr
