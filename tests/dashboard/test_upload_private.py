"""An uploaded file is read from a private folder beside the database (0700, the file 0600)
that is gone when the page run ends: nothing stays on disk, nothing in a shared /tmp folder."""

from __future__ import annotations

import stat
import tempfile
from pathlib import Path

from streamlit.testing.v1 import AppTest

from pipelines import private_files
from pipelines.store import Store
from sample_data.loader import load_sample
from tests.dashboard.conftest import login, prepare_role

APP = str(Path(__file__).parents[2] / "dashboard" / "app.py")


def test_an_upload_is_read_from_a_private_folder_that_is_removed(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    folder.mkdir()
    db = folder / "d.duckdb"
    load_sample(Store(db), "small")
    seen = []
    write = private_files.write_private

    def spy(where: Path, name: str, content: bytes) -> Path:
        path = write(where, name, content)
        seen.append(
            (
                where,
                stat.S_IMODE(where.stat().st_mode),
                stat.S_IMODE(where.parent.stat().st_mode),
                stat.S_IMODE(path.stat().st_mode),
            )
        )
        return path

    monkeypatch.setattr(private_files, "write_private", spy)
    shared = Path(tempfile.gettempdir()) / "handover-uploads"
    before = sorted(shared.rglob("*")) if shared.exists() else []
    monkeypatch.setenv("HANDOVER_DB", str(db))
    monkeypatch.setenv("HANDOVER_CONFIG", str(tmp_path / "none.toml"))
    prepare_role(db, monkeypatch, None)
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lang"] = "zh"
    at.run()
    login(at, None)
    at.switch_page("views/upload.py").run()
    at.segmented_control(key="upload_kind").set_value("clients").run()
    content = "client_id,company_name,contact_name\nKH-NEW-1,新公司,李四\n".encode()
    at.file_uploader[0].upload("客户 资料.csv", content, "text/csv").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.button(key="upload_confirm").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "客户 资料.csv" in at.success[0].value
    assert seen, "the page did not write the upload through private_files"
    for where, mode, root_mode, file_mode in seen:
        assert where.parent == folder / ".handover-tmp"
        assert (mode, root_mode, file_mode) == (0o700, 0o700, 0o600)
        assert not where.exists()
    assert not (folder / ".handover-tmp").exists()
    assert all(p.name.startswith("d.duckdb") for p in folder.iterdir())  # and its .wal
    assert (sorted(shared.rglob("*")) if shared.exists() else []) == before
