"""`handover serve` (DOMAIN §5): `--demo` loads the sample into an empty database first (and
leaves a database with data alone); plain `serve` never creates or changes the database: a
missing or empty one starts the dashboard empty. Streamlit itself is replaced by a fake."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import ClassVar

import pytest

from cli import app
from cli.serve import prepare_database, streamlit_command
from pipelines.errors import HandoverError
from pipelines.store import Store
from sample_data.loader import has_data, is_sample


class FakeStreamlit:
    """What `serve` starts instead of Streamlit: remembers the command and environment."""

    started: ClassVar[list[tuple[list[str], dict]]] = []

    def __init__(self, command, env=None, **kwargs):
        FakeStreamlit.started.append((command, env))

    def wait(self):
        return 0

    def poll(self):
        return 0


@pytest.fixture
def fake_streamlit(monkeypatch):
    FakeStreamlit.started = []
    monkeypatch.setattr(subprocess, "Popen", FakeStreamlit)
    return FakeStreamlit


def test_serve_on_a_missing_database_creates_no_file(runner, tmp_path: Path, fake_streamlit):
    db = tmp_path / "mistyped.duckdb"
    result = runner.invoke(app, ["serve", "--db", str(db), "--no-open"])
    assert result.exit_code == 0, result.output
    assert not db.exists() and list(tmp_path.iterdir()) == []
    assert "No database at" in result.output and "starts empty" in result.output
    ((command, env),) = fake_streamlit.started
    assert env["HANDOVER_DB"] == str(db.resolve())
    assert command == streamlit_command("127.0.0.1", 8501)


def test_the_dashboard_shows_no_error_details_and_a_viewer_toolbar():
    command = streamlit_command("0.0.0.0", 9000)
    options = dict(zip(command[5::2], command[6::2], strict=False))
    assert options["--client.showErrorDetails"] == "none"
    assert options["--client.toolbarMode"] == "viewer"
    assert options["--server.headless"] == "true" and options["--server.port"] == "9000"


def test_an_empty_database_is_left_as_it_is(tmp_path: Path):
    db = tmp_path / "empty.duckdb"
    Store(db).ensure_schema()
    before = db.stat().st_mtime_ns, db.stat().st_size
    assert "is empty" in prepare_database(db, demo=False)
    assert (db.stat().st_mtime_ns, db.stat().st_size) == before


def test_demo_loads_the_sample_into_an_empty_database_only(runner, tmp_path: Path, fake_streamlit):
    db = tmp_path / "new.duckdb"
    result = runner.invoke(app, ["serve", "--demo", "--db", str(db), "--no-open"])
    assert result.exit_code == 0, result.output
    assert "Loaded the sample data" in result.output
    store = Store(db)
    assert has_data(store) and is_sample(store)
    assert store.query("select count(*) from check_runs").scalar() == 1
    batches = store.query("select count(*) from batches").scalar()
    message = prepare_database(db, demo=True)
    assert "already holds data" in message and "not loaded" in message
    assert store.query("select count(*) from batches").scalar() == batches
    assert "Database" in prepare_database(db, demo=False)


def test_a_missing_folder_is_refused_with_a_sentence(runner, tmp_path: Path, fake_streamlit):
    db = tmp_path / "no-such-folder" / "handover.duckdb"
    with pytest.raises(HandoverError, match="does not exist"):
        prepare_database(db, demo=True)
    result = runner.invoke(app, ["serve", "--db", str(db), "--no-open"])
    assert result.exit_code == 1 and "does not exist" in result.output
    assert not fake_streamlit.started and not db.parent.exists()
