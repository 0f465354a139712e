"""Rollback is the inverse of an import: over generated batches of clients and handovers
(new records, changed ones, repeats, the same file twice), rolling back the imports newest
first leaves every table's current rows as they were before each import, and a database
whose imports are all rolled back has no current row at all."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.batches import rollback
from pipelines.ingest import ingest_file
from pipelines.store import Store
from pipelines.templates import CLIENT_STATUSES, HANDOVER_REASONS, STORED
from tests.conftest import write_csv

CLIENT_HEADER = ["client_id", "company_name", "contact_name", "contact_phone", "status"]
HANDOVER_HEADER = ["handover_id", "client_id", "from_staff", "to_staff", "reason", "planned_end"]
RAW_TABLES = [f"raw_{kind}" for kind in STORED]
VIEWS = ["stg_clients", "stg_handovers"]

names = st.sampled_from(["甲公司", "乙有限公司", "丙科技", "Acme Ltd"])
people = st.sampled_from(["张三", "李四", "王五", "赵六"])
client_rows = st.lists(
    st.tuples(
        st.sampled_from([f"KH{n}" for n in range(1, 6)]),
        names,
        people,
        st.sampled_from(["13812345678", "13900001111", ""]),
        st.sampled_from(sorted(CLIENT_STATUSES)),
    ),
    min_size=1,
    max_size=5,
    unique_by=lambda row: row[0],  # a file names a client once
)
handover_rows = st.lists(
    st.tuples(
        st.sampled_from([f"JJ-{n}" for n in range(1, 6)]),
        st.sampled_from([f"KH{n}" for n in range(1, 6)]),
        people,
        people,
        st.sampled_from(sorted(HANDOVER_REASONS)),
        st.sampled_from(["2026-03-01", "2026-04-15", ""]),
    ),
    min_size=1,
    max_size=5,
    unique_by=lambda row: row[0],
)
batches = st.lists(
    st.one_of(
        st.tuples(st.just("clients"), client_rows),
        st.tuples(st.just("handovers"), handover_rows),
    ),
    min_size=1,
    max_size=3,
)


def current_rows(store: Store) -> dict[str, list[tuple]]:
    """Every table's current rows (each raw table's versions in force) and what the staging
    views show, in a fixed order, read in one snapshot."""

    def read(conn) -> dict[str, list[tuple]]:
        state = {
            table: conn.execute(
                f"select * from {table} where is_current order by record_key"
            ).fetchall()
            for table in RAW_TABLES
        }
        for view in VIEWS:
            state[view] = conn.execute(f"select * from {view} order by record_key").fetchall()
        return state

    return store.read(read)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(batches)
def test_rolling_back_the_imports_newest_first_restores_each_state(imports):
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "p.duckdb", busy_timeout=20)
        store.ensure_schema()
        states, loaded = [current_rows(store)], []
        for n, (kind, rows) in enumerate(imports):
            header = CLIENT_HEADER if kind == "clients" else HANDOVER_HEADER
            path = write_csv(Path(folder) / f"{n}.csv", [header, *map(list, rows)])
            report = ingest_file(store, kind, path)
            if report.batch_id is None:  # the same bytes as a batch in force: nothing done
                assert report.already_loaded_batch in loaded
                assert current_rows(store) == states[-1]
                continue
            assert report.rejected == 0 and report.rows_read == len(rows)
            loaded.append(report.batch_id)
            states.append(current_rows(store))
            if report.added or report.updated:
                assert states[-1] != states[-2]  # the import did change something

        while loaded:
            rollback(store, loaded.pop())
            states.pop()
            assert current_rows(store) == states[-1]
        assert all(rows == [] for rows in current_rows(store).values())
