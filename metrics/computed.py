"""Facts, flags and scores of every handover, computed once and read many times.

A page of the dashboard shows a dozen figures, three roll-ups, a chart and a table, each for
a selection of handovers (the period, the previous period, a team...). Computed from the
database, every one of them would scan the event log again (about a second each on a large
firm's 9 million events). ``compute(store, as_of, config, scope)`` runs ``session.prepare``
once for every handover of the account's scope and keeps its tables in memory (Arrow);
``Computed.read`` then gives a connection to an in-memory DuckDB holding them, on which
every function of ``metrics`` (figures, flags, scores, roll-ups, the satisfaction and risk
views) runs unchanged: ``session.prepare`` sees the computed tables and narrows them to the
selection instead of reading the events (``session.narrow``).

The answers are the same as from the database, because every row of the facts, flags and
scores depends on its own handover (and the scope's responses) only; tests compare the two
routes on every function and several selections. A ``Computed`` is of one data version,
date, configuration and scope: the dashboard keys its cache by all four. It holds no
connection to the database, so imports go on while pages read it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeVar

import duckdb
import pyarrow as pa

from metrics.config import Config
from metrics.selection import Filters, scope_of
from metrics.session import COMPUTED_MARK, COMPUTED_TABLES, prepare, values_json
from pipelines.store import Store, connect_memory, quiet

T = TypeVar("T")


class Computed:
    """The computed tables of one date, configuration and scope (see the module), in an
    in-memory DuckDB database of their own."""

    def __init__(self, tables: dict[str, pa.Table], as_of: date, marker: str):
        self.as_of = as_of
        self.marker = marker
        self.handovers = tables["computed_scores"].num_rows
        self._db = connect_memory()
        for name, table in tables.items():
            self._db.register("arrow_table", table)
            self._db.execute(f"create table {name} as select * from arrow_table")
            self._db.unregister("arrow_table")
        self._db.execute(
            f"create table {COMPUTED_MARK} as select $marker as values_json", {"marker": marker}
        )

    def read(self, fn: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """Run ``fn`` on a connection of its own to the computed tables (as ``Store.read``
        runs it on the database): its temporary tables are its own, so several pages
        may read at once."""
        conn = quiet(self._db.cursor())
        try:
            return fn(conn)
        finally:
            conn.close()

    def rows(self, table: str) -> int:
        return self._db.execute(f"select count(*) from {table}").fetchall()[0][0]

    def close(self) -> None:
        self._db.close()


def compute(store: Store, as_of: date, config: Config, scope: Filters | None = None) -> Computed:
    """Facts, flags and scores of every handover of ``scope`` (the firm when None) as of
    ``as_of`` under ``config``, from one read of the database."""
    only_scope = scope_of(scope)

    def run(conn: duckdb.DuckDBPyConnection) -> tuple[dict[str, pa.Table], str]:
        values = prepare(conn, as_of, only_scope, config, upto="scores")
        tables = {
            name: conn.sql(f"select * from {source}").to_arrow_table()
            for name, source in COMPUTED_TABLES.items()
        }
        return tables, values_json(values, only_scope)

    tables, marker = store.read(run)
    return Computed(tables, as_of, marker)
