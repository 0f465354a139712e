"""Computing the figures of DOMAIN.md §3, one SQL file per figure in ``sql/figures/``."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from metrics.selection import Filters, select_handovers
from pipelines.store import Store

FIGURES_DIR = Path(__file__).parent / "sql" / "figures"


def figure_keys() -> list[str]:
    return sorted(p.stem for p in FIGURES_DIR.glob("*.sql"))


def figure_sql(key: str) -> str:
    return (FIGURES_DIR / f"{key}.sql").read_text(encoding="utf-8")


def compute_figures(
    store: Store, as_of: date | None = None, filters: Filters | None = None,
    keys: list[str] | None = None,
) -> dict[str, float | int | None]:
    """Every figure (or those of ``keys``) as of a date over the selected handovers."""
    as_of = as_of or date.today()
    wanted = keys or figure_keys()

    def run(conn):
        select_handovers(conn, filters or Filters())
        values = {}
        for key in wanted:
            sql = figure_sql(key)
            params = {"as_of": as_of} if "$as_of" in sql else {}
            values[key] = conn.execute(sql, params).fetchall()[0][0]
        return values

    return store.read(run)
