"""The raw tables are written down twice: their DDL in the migrations
(pipelines/sql/migrations) and their columns in pipelines/templates.py, which the loader
reads to type and insert the rows. A database built by the migrations must have, for every
stored kind, the template's columns in its order with the types the loader gives them, between
the bookkeeping columns every raw table carries; so neither can change without the other."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.loading import SQL_TYPES
from pipelines.store import Store
from pipelines.templates import STORED, Template

# every raw table: before the template's columns, the version's bookkeeping; after, the
# file's extra columns as JSON
LEADING = (
    ("batch_id", "INTEGER"),
    ("source_row", "INTEGER"),
    ("record_key", "VARCHAR"),
    ("row_hash", "VARCHAR"),
    ("is_current", "BOOLEAN"),
)
TRAILING = (("extra", "VARCHAR"),)

# template types stored as text (the loader's SQL_TYPES gives the others theirs)
TEXT_TYPES = {"text", "enum", "event_type", "item_code"}


def _declared(tpl: Template) -> list[tuple[str, str]]:
    return [
        *LEADING,
        *((c.name, SQL_TYPES.get(c.type, "varchar").upper()) for c in tpl.columns),
        *TRAILING,
    ]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[str, str]]]:
    """Each raw table's (column, type) in order, in a database built by the migrations."""
    store = Store(Path(tmp_path_factory.mktemp("schema")) / "built.duckdb")
    store.ensure_schema()
    rows = store.query(
        """
        select table_name, column_name, data_type
        from information_schema.columns
        where table_schema = 'main' and table_name like 'raw\\_%' escape '\\'
        order by table_name, ordinal_position
        """
    ).rows
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        tables.setdefault(table, []).append((column, data_type))
    return tables


def test_every_template_type_has_a_storage_type():
    """A new template type would otherwise be stored as text without anyone deciding so."""
    used = {c.type for tpl in STORED.values() for c in tpl.columns}
    assert used <= TEXT_TYPES | set(SQL_TYPES), used - TEXT_TYPES - set(SQL_TYPES)


def test_the_raw_tables_are_the_stored_kinds(built: dict[str, list[tuple[str, str]]]):
    assert sorted(built) == sorted(tpl.raw_table for tpl in STORED.values())


@pytest.mark.parametrize("kind", sorted(STORED))
def test_a_raw_table_has_its_templates_columns_and_types(
    built: dict[str, list[tuple[str, str]]], kind: str
):
    tpl = STORED[kind]
    assert built[tpl.raw_table] == _declared(tpl)
