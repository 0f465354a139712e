"""The README cannot drift from the code: every template column and command is documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli import app
from pipelines.templates import CHECKLIST_ITEMS, EVENT_TYPES, TEMPLATES

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", list(TEMPLATES))
def test_every_template_column_is_in_the_readme(kind: str):
    for column in TEMPLATES[kind].columns:
        row = f"| {column.name} | {column.zh} |"
        assert row in README, f"README lacks the row of {kind}.{column.name}"
        for alias in column.aliases:
            assert alias in README


def test_every_event_type_and_checklist_item_is_in_the_readme():
    for code, label in {**EVENT_TYPES, **CHECKLIST_ITEMS}.items():
        assert f"| {code} | {label} |" in README


def test_every_command_is_in_the_readme():
    for command in app.registered_commands:
        name = command.name or command.callback.__name__
        assert f"`handover {name}" in README, name


def test_readme_opens_with_the_two_commands():
    first_block = README.split("```")[1]
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()[1:] if line]
    assert commands == ["uv run handover serve --demo", "uv run pytest"]


def test_every_figure_and_flag_is_in_the_readme_and_has_its_sql():
    from metrics.catalogue import catalogue
    from metrics.config import FLAGS
    from metrics.figures import FIGURE_KEYS, FIGURES_DIR

    cat = catalogue()
    assert list(cat["figures"]) == list(FIGURE_KEYS)
    assert sorted(p.stem for p in FIGURES_DIR.glob("*.sql")) == sorted(FIGURE_KEYS)
    assert list(cat["flags"]) == list(FLAGS)
    for key, entry in cat["figures"].items():
        assert f"| {key} | {entry['zh']} | {entry['definition']} |" in README
        sql = (FIGURES_DIR / f"{key}.sql").read_text(encoding="utf-8")
        assert sql.startswith(f"-- {key}:"), key
    for key in FLAGS:
        assert f"| {key} |" in README


DOMAIN = Path(__file__).parents[2] / "shared" / "DOMAIN.md"


@pytest.mark.skipif(not DOMAIN.exists(), reason="../shared/DOMAIN.md is not beside this checkout")
def test_figure_definitions_are_word_for_word_those_of_domain_md():
    from metrics.catalogue import catalogue

    domain = DOMAIN.read_text(encoding="utf-8")
    for key, entry in catalogue()["figures"].items():
        assert f"| {key} | {entry['definition']} |" in domain, key
    for key, entry in catalogue()["flags"].items():
        assert f"| {key} | {entry['definition']} |" in domain, key


def test_every_check_is_in_the_readme():
    from data_checks.registry import CHECKS

    for check in CHECKS:
        assert f"| {check.id} |" in README
