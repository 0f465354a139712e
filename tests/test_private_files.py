"""pipelines/private_files.py: a 0700 folder beside the database, removed however the work
ends; the system's temporary folder only when the database's folder cannot hold it."""

from __future__ import annotations

import stat
import tempfile
from pathlib import Path

import pytest

from pipelines.private_files import TMP_DIR_NAME, private_tempdir, write_private


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_private_folder_beside_the_database_is_removed_afterwards(tmp_path: Path):
    db = tmp_path / "handover.duckdb"
    with private_tempdir(db) as folder:
        assert folder.parent == tmp_path / TMP_DIR_NAME
        assert mode(folder) == 0o700 and mode(folder.parent) == 0o700
        file = write_private(folder, "客户资料.xlsx", b"data")
        assert file.read_bytes() == b"data" and mode(file) == 0o600
    assert not folder.exists() and not (tmp_path / TMP_DIR_NAME).exists()


def test_it_is_removed_when_the_work_fails_too(tmp_path: Path):
    with pytest.raises(RuntimeError, match="failed"), private_tempdir(tmp_path) as folder:
        write_private(folder, "a.csv", b"x")
        raise RuntimeError("failed")
    assert not folder.exists()


def test_two_at_once_do_not_disturb_each_other(tmp_path: Path):
    with private_tempdir(tmp_path) as one, private_tempdir(tmp_path) as two:
        assert one != two and one.parent == two.parent
    assert not one.exists() and not two.exists()


@pytest.mark.parametrize("blocker", ["file", "symlink"])
def test_a_name_taken_by_something_else_falls_back_to_the_system_temp(tmp_path: Path, blocker: str):
    taken = tmp_path / TMP_DIR_NAME
    if blocker == "file":
        taken.write_text("not a folder")
    else:
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        taken.symlink_to(elsewhere)
    with private_tempdir(tmp_path / "d.duckdb") as folder:
        assert Path(tempfile.gettempdir()) in folder.parents
        assert mode(folder) == 0o700
    assert not folder.exists() and taken.is_symlink() == (blocker == "symlink")


def test_an_existing_wider_folder_is_made_private(tmp_path: Path):
    root = tmp_path / TMP_DIR_NAME
    root.mkdir(mode=0o777)
    root.chmod(0o777)
    (root / "someone-else").mkdir()  # keeps it from being removed afterwards
    with private_tempdir(tmp_path) as folder:
        assert mode(root) == 0o700 and folder.parent == root


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("../../etc/passwd", "passwd"),
        ("..", "upload"),
        ("", "upload"),
        ("a\\b.csv", "b.csv"),
        ("x" * 300 + ".xlsx", "upload.xlsx"),
        ("客户 资料.csv", "客户 资料.csv"),
    ],
)
def test_a_file_name_cannot_leave_the_folder(tmp_path: Path, name: str, stored: str):
    path = write_private(tmp_path, name, b"x")
    assert path == tmp_path / stored
