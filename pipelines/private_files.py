"""Private temporary files: a folder only this user can open, gone when the work is done.

An uploaded file is client data (names, phones, tax numbers). It must not sit in a shared,
world-readable place (``/tmp/...``, 0755/0644) nor outlive the page run that needed it.
``private_tempdir(near)`` makes a 0700 folder beside the database (``<folder>/.handover-tmp/``)
and removes it with everything in it when the ``with`` block ends, however it ends; where that
folder cannot be written, it falls back to the system's temporary folder (still 0700).
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TMP_DIR_NAME = ".handover-tmp"
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_root(near: Path) -> Path | None:
    """``<folder of near>/.handover-tmp`` (created 0700), or None when it cannot be used:
    the folder is not writable, or the name is taken by something that is not our folder."""
    folder = Path(near)
    if not folder.is_dir():
        folder = folder.parent
    root = folder / TMP_DIR_NAME
    try:
        root.mkdir(mode=PRIVATE_DIR, exist_ok=True)
        info = root.lstat()
        if not stat.S_ISDIR(info.st_mode) or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
            return None  # a symlink, a file, or another user's folder: not ours to use
        if stat.S_IMODE(info.st_mode) != PRIVATE_DIR:
            root.chmod(PRIVATE_DIR)
    except OSError:
        return None
    return root


@contextmanager
def private_tempdir(near: Path) -> Iterator[Path]:
    """A new, empty folder that only this user may open (0700), inside ``near``'s folder (see
    the module's docstring); it and its content are deleted when the block ends."""
    path = None
    for _ in range(2):  # twice: another run may remove an empty root between the two steps
        root = private_root(near)
        if root is None:
            break
        try:
            path = Path(tempfile.mkdtemp(prefix="work-", dir=root))  # mkdtemp makes it 0700
            break
        except OSError:
            root = None
    if path is None:
        path = Path(tempfile.mkdtemp(prefix="handover-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        if root is not None:
            try:
                root.rmdir()  # only when empty: another run may be using it
            except OSError:
                pass


def write_private(folder: Path, name: str, content: bytes) -> Path:
    """``content`` in a new file ``folder/name`` readable by this user only (0600). ``name``
    is reduced to a plain file name; an unusable one becomes ``upload`` with its extension."""
    safe = Path(name.replace("\\", "/")).name if name else ""
    if safe in ("", ".", "..") or "\x00" in safe or len(safe.encode("utf-8")) > 200:
        suffix = Path(safe).suffix if "\x00" not in safe else ""
        safe = "upload" + (suffix if suffix.isascii() and len(suffix) <= 10 else "")
    path = Path(folder) / safe
    descriptor = os.open(
        path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), PRIVATE_FILE
    )
    with os.fdopen(descriptor, "wb") as out:
        out.write(content)
    return path
