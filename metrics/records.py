"""Reading records for people to look at: one handover's archive, filter choices, responses.

The dashboard's pages call these (through dashboard/data.py's caches); their SQL is in
``sql/records/``, one file per query.
Each takes ``scope`` (metrics/selection.py: the signed-in actor, filters carrying a scope, or
None for the whole firm) and reads only what the scope allows.
"""

from __future__ import annotations

import pandas as pd

from metrics.selection import ScopeArg, is_scoped, scope_conditions, scope_handovers_sql
from metrics.session import sql_file
from pipelines.store import Store
from pipelines.templates import CHECKLIST_ITEMS, SENSITIVE_ITEMS


def record_sql(name: str, **parts: str) -> str:
    """The statement of ``sql/records/<name>.sql``, its ``{part}`` placeholders (conditions,
    a column) filled from ``parts``."""
    sql = sql_file("records", f"{name}.sql")
    return sql.format(**parts) if parts else sql


def filter_options(store: Store, scope: ScopeArg = None) -> dict[str, list[str]]:
    """The teams, receiving staff and reasons there are, for the filter widgets: of the
    handovers of the scope only (a team lead learns no other team's or staff's name)."""
    if not store.exists():
        return {"teams": [], "staff": [], "reasons": []}
    in_scope, params = scope_conditions(scope)
    where = "".join(f" and {c}" for c in in_scope)

    def run(conn):
        def values(column: str) -> list[str]:
            return [
                r[0]
                for r in conn.execute(
                    record_sql("filter_options", column=column, where=where), params
                ).fetchall()
            ]

        return {"teams": values("team"), "staff": values("to_staff"), "reasons": values("reason")}

    return store.read(run)


def handover_record(
    store: Store, handover_id: str, scope: ScopeArg = None
) -> dict[str, object] | None:
    """Everything about one handover (the seed's §6 archive): the form, its client, the
    timeline of events, the checklist item by item, discrepancies and fixes, feedback
    received, and the failing data checks of its client and of itself. None for an unknown
    handover, and the same None for one outside the ``scope`` (its existence is not told)."""
    in_scope, params = scope_conditions(scope)
    where = "".join(f" and {c}" for c in in_scope)

    def run(conn):
        form = conn.execute(
            record_sql("handover_form", where=where), {"handover_id": handover_id, **params}
        ).df()
        if form.empty:
            return None
        client_id = form.iloc[0]["client_id"]
        client = conn.execute(record_sql("handover_client"), {"client_id": client_id}).df()
        events = conn.execute(record_sql("handover_events"), {"handover_id": handover_id}).df()
        feedback = conn.execute(record_sql("handover_feedback"), {"handover_id": handover_id}).df()
        # an event key begins with its handover id and '|'; for a scoped account, also one
        # of this handover's events (so that no other handover's key, such as 'A|B|…' of
        # handover 'A|B' under 'A', can show)
        own_events = (
            (
                "and f.record_key in (select record_key from stg_events where handover_id = $handover_id)"
            )
            if in_scope
            else ""
        )
        failing = conn.execute(
            record_sql("handover_failing_checks", own_events=own_events),
            {"client_id": client_id, "handover_id": handover_id},
        ).df()
        return {
            "form": form.iloc[0].to_dict(),
            "client": client.iloc[0].to_dict() if not client.empty else None,
            "events": events,
            "feedback": feedback,
            "failing_checks": failing,
            "checklist": checklist(events),
            "discrepancies": discrepancies(events),
        }

    return store.read(run)


def checklist(events: pd.DataFrame) -> pd.DataFrame:
    """Item by item: transferred, verified, discrepancies found and fixed, sensitive."""
    rows = []
    for item in CHECKLIST_ITEMS:
        of_item = events[events["item_code"] == item]

        def first(kind: str, of_item: pd.DataFrame = of_item):
            times = of_item.loc[of_item["event_type"] == kind, "occurred_at"]
            return times.min() if not times.empty else None

        rows.append(
            {
                "item_code": item,
                "sensitive": item in SENSITIVE_ITEMS,
                "transferred_at": first("item_transferred"),
                "verified_at": first("item_verified"),
                "discrepancies": int((of_item["event_type"] == "discrepancy_found").sum()),
                "fixes": int((of_item["event_type"] == "discrepancy_fixed").sum()),
            }
        )
    return pd.DataFrame(rows)


def discrepancies(events: pd.DataFrame) -> pd.DataFrame:
    kinds = ("discrepancy_found", "discrepancy_fixed")
    return events[events["event_type"].isin(kinds)].reset_index(drop=True)


def responses(store: Store, only: str | None = None, scope: ScopeArg = None) -> pd.DataFrame:
    """Real responses with their matching and attribution; ``only`` = 'unmatched' or
    'unattributed' lists those, with the reason (``unmatched_code``, ``unattributed_code``:
    dashboard/reasons.py words them), for someone to fix. With a ``scope``, only
    the responses attributed to a handover of the scope: unmatched and unattributed ones are
    firm-level, so those lists are empty for a scoped account."""
    condition = {
        "unmatched": "and not is_matched",
        "unattributed": "and is_matched and not is_attributed",
    }.get(only or "", "")
    params: dict[str, object] = {}
    if is_scoped(scope):
        in_scope, params = scope_handovers_sql(scope)
        condition += f" and is_attributed and handover_id in (select handover_id from ({in_scope}))"
    return store.query_df(record_sql("responses", condition=condition), params or None)
