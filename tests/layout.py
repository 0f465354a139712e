"""The product's packages, as pyproject.toml ships them: the one list the tests that read
every product file walk (a new top-level package is then covered without a test to edit)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

with (ROOT / "pyproject.toml").open("rb") as _file:
    PACKAGES: tuple[str, ...] = tuple(
        tomllib.load(_file)["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    )


def product_files(*suffixes: str, leave_out: tuple[str, ...] = ()) -> list[Path]:
    """Every file of the product's packages whose suffix is one of ``suffixes``."""
    return sorted(
        path
        for package in PACKAGES
        if package not in leave_out
        for path in (ROOT / package).rglob("*")
        if path.suffix in suffixes
    )
