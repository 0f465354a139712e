"""Which handovers a computation covers: the as-of date, the filters of the CLI and pages, and
the data scope of the signed-in account.

``select_handovers`` creates the temporary table (or view) ``selected_handovers`` on a read
connection; every figure's SQL reads it, and the as-of date as the parameter ``$as_of``.

Data scope (issue 10). An account may be limited to a team, or to the handovers where its
staff name is the from_staff, to_staff or supervisor. The scope travels with the filters
(``Filters.scope_team``, ``Filters.scope_staff``), set by ``scoped(filters, actor)`` from the
signed-in account, never from the URL or a filter widget. It is enforced where the data is
read: ``selected_handovers`` holds only the handovers of the scope, and what the figures read
besides (clients, events, feedback) is reached through them; the record-level readers
(metrics.records, data_checks.results) take the scope as their ``scope`` argument. A scoped
account sees the clients of its handovers, their events, and the responses attributed to them;
unmatched and unattributed responses are firm-level and not shown. ``scope_team`` and
``scope_staff`` both set means both apply.

A team (own) scope whose account has no team (staff name) recorded sees nothing: ``scoped``
sets the value ``NOBODY``, and a blank or ``NOBODY`` scope value selects no row whatever the
data holds (it is never compared with the data, so a blank team cannot match blank rows).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date

import duckdb

from pipelines.access import Actor

# The scope value of an account whose role is limited to a team (own handovers) but that has
# no team (staff name) recorded: it matches no handover.
NOBODY = "\x00(no team or staff name recorded for this account)"


@dataclass(frozen=True)
class Filters:
    """Filters on handovers. Period filters apply to actual_end; ``open_only`` selects the
    handovers not completed as of the date.

    ``scope_team`` and ``scope_staff`` are the data scope of the signed-in account (see the
    module's docstring): set only by ``scoped`` from the account, never from the URL. They
    come last so that positional construction and ``dataclasses.astuple`` keys keep working.
    """

    period_from: date | None = None
    period_to: date | None = None
    teams: tuple[str, ...] = field(default_factory=tuple)
    staff: tuple[str, ...] = field(default_factory=tuple)  # receiving staff (to_staff)
    reasons: tuple[str, ...] = field(default_factory=tuple)
    open_only: bool = False
    scope_team: str | None = None  # only this team's handovers
    scope_staff: str | None = None  # only handovers with this from/to staff or supervisor


# What the record-level readers accept as ``scope``: filters (their scope fields are read),
# the signed-in actor, or None (the whole firm).
ScopeArg = Filters | Actor | None


def scoped(filters: Filters, actor: Actor) -> Filters:
    """``filters`` with the data scope of ``actor``'s role applied: firm → unchanged; team →
    ``scope_team`` = the actor's team; own → ``scope_staff`` = the actor's staff name. The
    scope fields are set from the actor alone (whatever ``filters`` held there). A team or
    own account without a team or staff name recorded gets ``NOBODY``: it sees nothing."""
    kind = actor.access.scope
    if kind == "firm":
        return filters
    if kind == "team":
        return replace(filters, scope_team=_recorded(actor.team), scope_staff=None)
    if kind == "own":
        return replace(filters, scope_team=None, scope_staff=_recorded(actor.staff))
    raise ValueError(f"unknown data scope {kind!r} of role {actor.role!r}")


def _recorded(value: str | None) -> str:
    return value.strip() if value is not None and value.strip() else NOBODY


def scope_of(value: ScopeArg) -> Filters:
    """The scope alone, as ``Filters`` with only ``scope_team``/``scope_staff`` set: of an
    actor (its role's scope), of filters (their scope fields), or no scope (None). What the
    record-level readers take as ``scope``, and a cache key (``dataclasses.astuple``)."""
    if value is None:
        return Filters()
    if isinstance(value, Filters):
        return Filters(scope_team=value.scope_team, scope_staff=value.scope_staff)
    if isinstance(value, Actor):
        return scoped(Filters(), value)
    raise TypeError(f"a scope is Filters, an Actor or None, not {type(value).__name__}")


def is_scoped(value: ScopeArg) -> bool:
    """Whether the scope limits anything (False: the whole firm)."""
    scope = scope_of(value)
    return scope.scope_team is not None or scope.scope_staff is not None


def scope_conditions(value: ScopeArg, alias: str = "") -> tuple[list[str], dict[str, object]]:
    """SQL conditions on stg_handovers (columns prefixed by ``alias``, e.g. ``"h."``) and
    their named parameters ($scope_team, $scope_staff) for the scope; none for the firm."""
    scope = scope_of(value)
    conditions: list[str] = []
    params: dict[str, object] = {}
    if scope.scope_team is not None:
        if _matches_nothing(scope.scope_team):
            conditions.append("false")
        else:
            conditions.append(f"{alias}team = $scope_team")
            params["scope_team"] = scope.scope_team
    if scope.scope_staff is not None:
        if _matches_nothing(scope.scope_staff):
            conditions.append("false")
        else:
            conditions.append(
                f"$scope_staff in ({alias}from_staff, {alias}to_staff, {alias}supervisor)"
            )
            params["scope_staff"] = scope.scope_staff
    return conditions, params


def _matches_nothing(value: str) -> bool:
    return value == NOBODY or not value.strip()


def scope_handovers_sql(value: ScopeArg) -> tuple[str, dict[str, object]]:
    """A query of the handover_id and client_id of every handover in the scope (all of
    them for the firm), with its parameters."""
    conditions, params = scope_conditions(value)
    where = " and ".join(conditions) or "true"
    return f"select handover_id, client_id from stg_handovers where {where}", params


def select_handovers(conn: duckdb.DuckDBPyConnection, filters: Filters, view: bool = False) -> None:
    """``selected_handovers``: a temporary table (``view``: a view, for tables held in
    memory, where reading them again costs less than a copy). When the filters select every
    handover (``selects_all``) it is always a view of ``stg_handovers``: a copy of every
    handover would cost more than the reads it saves."""
    if selects_all(filters):
        if view:  # a computed connection: selected_handovers is never a table there
            conn.execute(
                "create or replace temp view selected_handovers as select * from stg_handovers"
            )
        else:
            replace_relation(conn, "view", "selected_handovers", "select * from stg_handovers")
        return
    conditions: list[str] = ["true"]
    params: dict[str, object] = {}
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
    in_scope, scope_params = scope_conditions(filters)
    conditions += in_scope
    params.update(scope_params)
    if view:  # a view holds no parameters: the values go in as literals
        where = re.sub(
            r"\$(\w+)", lambda name: _literal(params[name.group(1)]), " and ".join(conditions)
        )
        conn.execute(
            f"create or replace temp view selected_handovers as "
            f"select * from stg_handovers where {where}"
        )
        return
    replace_relation(
        conn,
        "table",
        "selected_handovers",
        f"select * from stg_handovers where {' and '.join(conditions)}",
        params,
    )


def selects_some(filters: Filters) -> bool:
    """Whether ``filters`` select some of the scope's handovers, not all of them."""
    return bool(
        filters.period_from
        or filters.period_to
        or filters.teams
        or filters.staff
        or filters.reasons
        or filters.open_only
    )


def selects_all(filters: Filters) -> bool:
    """Whether ``filters`` select every handover of the database: no filter, no scope."""
    return not selects_some(filters) and not is_scoped(filters)


def replace_relation(
    conn: duckdb.DuckDBPyConnection,
    kind: str,
    name: str,
    sql: str,
    params: dict[str, object] | None = None,
) -> None:
    """``create or replace temp <kind> <name> as <sql>`` (kind: table or view), whether
    ``name`` was a temporary table or a view before (DuckDB replaces only the same kind)."""
    other = "table" if kind == "view" else "view"
    catalogue = "duckdb_tables()" if other == "table" else "duckdb_views()"
    if conn.execute(
        f"select count(*) from {catalogue} where temporary and "
        "schema_name = 'main' and {0}_name = $name".format(other),
        {"name": name},
    ).fetchall()[0][0]:
        conn.execute(f"drop {other} temp.main.{name}")
    conn.execute(f"create or replace temp {kind} {name} as {sql}", params)


def _literal(value: object) -> str:
    """A SQL literal of a filter's value (a date, a text or a list of texts)."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_literal(item) for item in value) + "]"
    if isinstance(value, date):
        return f"date '{value.isoformat()}'"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no SQL literal for {type(value).__name__}")
