"""Which batch fixed a failure: only one that changed the failing record (save_run), and what
a run found in the rows of one file (batch_findings)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from data_checks.results import batch_findings, fix_history, save_run
from data_checks.runner import run_checks
from pipelines.batches import rollback
from pipelines.feedback.ingest import ingest_feedback
from pipelines.ingest import ingest_file
from pipelines.store import Store
from tests.conftest import write_csv
from tests.test_checks import AS_OF, CLIENT_HEADER, CLIENTS, FEEDBACK, _load

# KH2 is active with a contract that ended 2026-01-31: failing as of AS_OF, not before
BEFORE_KH2_ENDS = date(2026, 1, 15)
MORE_FEEDBACK = [FEEDBACK[0], ["R9", "KH1", "", "2026-05-01 10:00", "4", "8"]]


def _entry(store: Store, check_id: str, record_key: str) -> dict:
    (entry,) = fix_history(store, check_id, record_key).to_dict("records")
    return entry


def _batch(value) -> int | None:
    return None if pd.isna(value) else int(value)


@pytest.fixture(scope="module")
def corrected(tmp_path_factory) -> dict:
    """Run 1 over the hand-made data; then a corrected clients file (KH3's phone fixed, the
    handovers' unknown client KH999 added without a company name) and a feedback upload;
    run 2 as of a date before KH2's contract ended."""
    folder = tmp_path_factory.mktemp("credit")
    store = Store(folder / "credit.duckdb")
    _load(store, folder)
    first = save_run(store, run_checks(store, AS_OF))
    fixed = [row[:] for row in CLIENTS]
    fixed[3][4] = "13712345678"  # KH3's phone
    fixed.append(
        [
            "KH999",
            "",
            "91350100M000100Y43",
            "孙八",
            "13812345679",
            "",
            "active",
            "2027-12-31",
            "",
            "王五",
            "2021-01-01",
        ]
    )
    clients = ingest_file(
        store, "clients", write_csv(folder / "fixed.csv", [CLIENT_HEADER, *fixed])
    )
    feedback = ingest_feedback(store, write_csv(folder / "more.csv", MORE_FEEDBACK))
    assert feedback.batch_id > clients.batch_id
    second = save_run(store, run_checks(store, BEFORE_KH2_ENDS))
    return {
        "store": store,
        "first": first,
        "second": second,
        "clients": clients.batch_id,
        "feedback": feedback.batch_id,
    }


def test_a_corrected_clients_upload_is_credited_with_the_fix(corrected):
    entry = _entry(corrected["store"], "clients.contact_phone.valid", "KH3")
    assert entry["resolved_run"] == corrected["second"]
    assert _batch(entry["resolved_by_batch"]) == corrected["clients"]


def test_a_feedback_upload_is_not_credited_with_fixing_clients(corrected):
    history = fix_history(corrected["store"])
    resolved = history[
        (history["resolved_run"] == corrected["second"])
        & history["check_id"].str.startswith("clients.")
    ]
    assert len(resolved) >= 2
    credited = {_batch(b) for b in resolved["resolved_by_batch"]}
    assert corrected["feedback"] not in credited
    assert credited <= {corrected["clients"], None}


def test_a_failure_gone_with_the_as_of_date_has_no_batch(corrected):
    entry = _entry(corrected["store"], "clients.contract_end.current", "KH2")
    assert entry["resolved_run"] == corrected["second"]
    assert _batch(entry["resolved_by_batch"]) is None


def test_a_failure_fixed_through_another_record_has_no_batch(corrected):
    # JJ3's client KH999 came with the clients upload; the handovers were not uploaded again
    entry = _entry(corrected["store"], "handovers.client.known", "JJ3")
    assert entry["resolved_run"] == corrected["second"]
    assert _batch(entry["resolved_by_batch"]) is None


def _row_of(client_id: str) -> int:
    """The row number of a client in the file (the header is row 1)."""
    return [c[0] for c in CLIENTS].index(client_id) + 2


def _rows(findings) -> set[tuple]:
    return {
        (r.source_row, r.check_id, r.record_key, r.column_name, r.is_new)
        for r in findings.itertuples()
    }


def test_batch_findings_lists_the_failing_rows_of_a_file(corrected):
    store, first = corrected["store"], corrected["first"]
    findings = batch_findings(store, 1, first)  # the first clients file, as run 1 saw it
    assert list(findings.columns) == [
        "source_row",
        "check_id",
        "record_key",
        "column_name",
        "offending_value",
        "detail",
        "is_new",
    ]
    rows = _rows(findings)
    kh3 = _row_of("KH3")
    assert (kh3, "clients.contact_phone.valid", "KH3", "contact_phone", True) in rows
    assert (kh3, "clients.uscc.present", "KH3", "uscc", True) in rows
    assert all(r.check_id.startswith("clients.") for r in findings.itertuples())
    assert list(findings["source_row"]) == sorted(findings["source_row"])
    assert findings.equals(findings.sort_values(["source_row", "check_id", "column_name"]))
    phone = findings[findings["check_id"] == "clients.contact_phone.valid"].iloc[0]
    assert phone["offending_value"] == "12345"


def test_batch_findings_marks_the_failures_new_in_the_run(corrected):
    store = corrected["store"]
    findings = batch_findings(store, corrected["clients"])  # latest run: the second
    rows = _rows(findings)
    kh3, kh999 = _row_of("KH3"), len(CLIENTS) + 2  # KH999: the corrected file's last row
    # only the rows the upload changed: KH3 and KH999
    assert {r[2] for r in rows} == {"KH3", "KH999"}
    assert (kh3, "clients.uscc.present", "KH3", "uscc", False) in rows
    assert (kh999, "clients.company_name.present", "KH999", "company_name", True) in rows
    assert not any(r[1] == "clients.contact_phone.valid" for r in rows)  # fixed
    assert batch_findings(store, corrected["feedback"]).empty
    assert batch_findings(store, 9999).empty


def test_a_rollback_that_removes_a_bad_row_is_credited(tmp_path: Path):
    store = Store(tmp_path / "rollback.duckdb")
    _load(store, tmp_path)
    broken = [row[:] for row in CLIENTS]
    broken[4][5] = "not an address"  # KH4's email
    bad = ingest_file(store, "clients", write_csv(tmp_path / "bad.csv", [CLIENT_HEADER, *broken]))
    save_run(store, run_checks(store, AS_OF))
    assert _batch(_entry(store, "clients.email.valid", "KH4")["resolved_run"]) is None
    undo = rollback(store, bad.batch_id)
    later = ingest_feedback(store, write_csv(tmp_path / "more.csv", MORE_FEEDBACK))
    assert later.batch_id > undo
    second = save_run(store, run_checks(store, AS_OF))
    entry = _entry(store, "clients.email.valid", "KH4")
    assert entry["resolved_run"] == second
    assert _batch(entry["resolved_by_batch"]) == undo
    assert batch_findings(store, undo).empty  # a rollback has no rows
