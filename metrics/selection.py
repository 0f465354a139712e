"""Which handovers a computation covers: the as-of date and the filters of the CLI and pages.

``select_handovers`` creates the temporary table ``selected_handovers`` on a read connection;
every figure's SQL reads it, and the as-of date as the parameter ``$as_of``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb


@dataclass(frozen=True)
class Filters:
    """Filters on handovers. Period filters apply to actual_end; ``open_only`` selects the
    handovers not completed as of the date."""

    period_from: date | None = None
    period_to: date | None = None
    teams: tuple[str, ...] = field(default_factory=tuple)
    staff: tuple[str, ...] = field(default_factory=tuple)  # receiving staff (to_staff)
    reasons: tuple[str, ...] = field(default_factory=tuple)
    open_only: bool = False


def select_handovers(conn: duckdb.DuckDBPyConnection, filters: Filters) -> None:
    conditions, params = ["true"], {}
    if filters.period_from:
        conditions.append("cast(actual_end as date) >= $period_from")
        params["period_from"] = filters.period_from
    if filters.period_to:
        conditions.append("cast(actual_end as date) <= $period_to")
        params["period_to"] = filters.period_to
    if filters.teams:
        conditions.append("team in (select unnest($teams))")
        params["teams"] = list(filters.teams)
    if filters.staff:
        conditions.append("to_staff in (select unnest($staff))")
        params["staff"] = list(filters.staff)
    if filters.reasons:
        conditions.append("reason in (select unnest($reasons))")
        params["reasons"] = list(filters.reasons)
    if filters.open_only:
        conditions.append("actual_end is null")
    conn.execute(
        "create or replace temp table selected_handovers as "
        f"select * from stg_handovers where {' and '.join(conditions)}",
        params,
    )
