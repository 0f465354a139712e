"""The figures of DOMAIN.md §3, one SQL file per figure in ``sql/figures/``, named by its key."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

from metrics.config import Config, load_config
from metrics.selection import Filters
from metrics.session import prepare, run_sql, sql_file
from pipelines.store import Store

FIGURES_DIR = Path(__file__).parent / "sql" / "figures"

# The order users read them in (DOMAIN.md §3); every key has its file.
FIGURE_KEYS = (
    "handovers_total",
    "handovers_completed",
    "on_time_rate",
    "mean_duration_days",
    "overdue_open",
    "checklist_coverage",
    "discrepancy_fix_rate",
    "csat",
    "mean_satisfaction",
    "nps",
    "responses_total",
    "responses_unmatched",
    "responses_attributed",
    "response_rate",
    "followup_30d_rate",
    "access_revoked_24h_rate",
    "churn_90d_rate",
)


def figure_sql(key: str) -> str:
    return sql_file("figures", f"{key}.sql")


@lru_cache(maxsize=64)
def grouped_figure_sql(key: str, group: str) -> str:
    """The figure of ``key`` per group: its own file with ``group`` (an expression over the
    file's rows, e.g. ``r.submitted_at`` of the responses or ``f.team`` of the handover
    facts) as ``grp``, grouped by it; one row per group with rows, and ``value``. A figure
    file is ``select <value> as value from ... where ...``; another shape is refused."""
    lines = [line for line in figure_sql(key).splitlines() if not line.lstrip().startswith("--")]
    head, found, rest = "\n".join(lines).partition(" as value\n")
    if not (found and head.startswith("select") and rest.startswith("from ")):
        raise ValueError(f"sql/figures/{key}.sql is not 'select <value> as value from ...'")
    value = head.removeprefix("select")
    return f"select {group} as grp,{value} as value\n{rest.rstrip()}\ngroup by grp"


@lru_cache(maxsize=32)
def figures_sql(keys: tuple[str, ...]) -> str:
    """One statement giving the figures of ``keys`` as one row, a column per figure: each
    figure's own file as a scalar subquery (a page asks for 17 figures of three periods;
    one query each cost more in planning and round trips than in reading)."""
    return "select\n" + ",\n".join(f"(\n{figure_sql(key).strip()}\n) as {key}" for key in keys)


def figures_on(
    conn, values: dict[str, object], keys: list[str] | None = None
) -> dict[str, float | int | None]:
    """The figures on a connection already prepared (``session.prepare``)."""
    chosen = tuple(keys or FIGURE_KEYS)
    row = run_sql(conn, figures_sql(chosen), values).fetchall()[0]
    return {
        key: float(value) if value is not None and not isinstance(value, int) else value
        for key, value in zip(chosen, row, strict=False)
    }


def compute_figures(
    store: Store,
    as_of: date | None = None,
    filters: Filters | None = None,
    keys: list[str] | None = None,
    config: Config | None = None,
) -> dict[str, float | int | None]:
    """Every figure (or those of ``keys``) as of a date over the selected handovers."""
    as_of = as_of or date.today()
    config = config or load_config()

    def run(conn):
        values = prepare(conn, as_of, filters or Filters(), config, upto="facts")
        return figures_on(conn, values, keys)

    return store.read(run)
