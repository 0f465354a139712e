"""What each suite validates: one query per source, with the columns its checks test.

A suite's query is ``data_checks/sql/assets/<suite>.sql``, over the stg_* views and marts,
beside its checks' SQL."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from data_checks.registry import SQL_DIR

ASSETS_DIR = SQL_DIR / "assets"


@dataclass(frozen=True)
class Asset:
    suite: str
    key: str  # the column holding the record key
    reported: tuple[str, ...]  # columns carried into failures (offending values)

    @property
    def sql_path(self) -> Path:
        return ASSETS_DIR / f"{self.suite}.sql"

    @property
    def query(self) -> str:
        """The file's query without its heading comment (GX's query asset must start with
        ``select``)."""
        lines = self.sql_path.read_text(encoding="utf-8").splitlines()
        while lines and lines[0].startswith("--"):
            del lines[0]
        return "\n".join(lines) + "\n"


ASSETS: dict[str, Asset] = {
    "clients": Asset(
        "clients",
        key="client_id",
        reported=("client_id", "company_name", "contact_name", "contact_phone", "uscc", "email"),
    ),
    "handovers": Asset("handovers", key="handover_id", reported=("handover_id",)),
    "events": Asset("events", key="record_key", reported=("record_key",)),
    "feedback": Asset("feedback", key="response_key", reported=("response_key",)),
}
