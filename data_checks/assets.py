"""What each suite validates: one query per source, with the columns its checks test."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Asset:
    suite: str
    query: str  # over the stg_* views and marts
    key: str  # the column holding the record key
    reported: tuple[str, ...]  # columns carried into failures (offending values)


ASSETS: dict[str, Asset] = {
    "clients": Asset(
        "clients",
        """
        select
            client_id, company_name, contact_name, contact_phone, uscc, email, status,
            service_start, contract_end, terminated_at, assigned_staff,
            lower(trim(client_id)) as client_id_folded,
            regexp_replace(contact_phone, '[ -]', '', 'g') as contact_phone_compact,
            upper(uscc) as uscc_upper
        from stg_clients
        """,
        key="client_id",
        reported=("client_id", "company_name", "contact_name", "contact_phone", "uscc", "email"),
    ),
    "handovers": Asset(
        "handovers", "select * from stg_handovers", key="handover_id", reported=("handover_id",)
    ),
    "events": Asset(
        "events", "select * from stg_events", key="record_key", reported=("record_key",)
    ),
    "feedback": Asset(
        "feedback",
        "select * from feedback_responses where is_real",
        key="response_key",
        reported=("response_key",),
    ),
}
