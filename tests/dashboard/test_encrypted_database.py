"""The dashboard on an encrypted database: with its key it shows the pages as on a plain
one; without it, it says in one sentence, in the user's language, that the database is
encrypted and where the key was looked for, and shows nothing else."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.i18n import t
from pipelines.encrypt import encrypt_database
from pipelines.encryption import key_file_for
from pipelines.store import Store
from tests.dashboard.conftest import APP, open_page, prepare_role


@pytest.fixture
def encrypted(sample_db: Path, tmp_path: Path, monkeypatch) -> Path:
    for name in ("HANDOVER_KEY", "HANDOVER_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    db = tmp_path / "secret.duckdb"
    shutil.copyfile(sample_db, db)
    encrypt_database(Store(db))
    monkeypatch.setenv("HANDOVER_DB", str(db))
    monkeypatch.setenv("HANDOVER_CONFIG", str(tmp_path / "handover.toml"))
    monkeypatch.setenv("HANDOVER_LOCAL_ADMIN", "1")
    return db


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_without_the_key_the_dashboard_says_where_it_was_looked_for(
    encrypted, tmp_path, monkeypatch, lang
):
    key = key_file_for(encrypted)
    key.rename(tmp_path / "away.key")
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    (said,) = [e.value.replace("\\_", "_") for e in at.error]  # Markdown's escapes
    wanted = t("errors.db_encrypted_no_key", lang, file=encrypted.name, key_file=key.name)
    assert said == wanted, said  # paths of the server are shown by their file's name
    assert not at.dataframe and not at.metric


def test_with_the_key_the_dashboard_reads_it(encrypted, monkeypatch):
    monkeypatch.delenv("HANDOVER_LOCAL_ADMIN")
    prepare_role(encrypted, monkeypatch, "management")
    at = open_page("overview", "zh", "management", monkeypatch)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert at.metric  # the overview's tiles
