"""A file is "already loaded" only while its rows are still current as its batch left them."""

from __future__ import annotations

from pathlib import Path

from pipelines.batches import rollback
from pipelines.feedback.ingest import ingest_feedback
from pipelines.ingest import ingest_file
from pipelines.store import Store
from tests.conftest import write_csv

HEADER = ["client_id", "company_name", "contact_name", "contact_phone"]
ROWS = [
    ["KH1", "上海甲有限公司", "张三", "13812345678"],
    ["KH2", "上海乙有限公司", "李四", "13912345678"],
]


def _lf(path: Path, rows: list[list[str]]) -> Path:
    path.write_text("".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _current(store: Store) -> list[tuple]:
    return store.query("select client_id, company_name from stg_clients order by 1").rows


def test_rolling_back_the_first_file_does_not_strand_its_crlf_twin(store: Store, tmp_path: Path):
    """F as batch 1; the same rows with CRLF endings as batch 2 (all unchanged); batch 1
    rolled back. The CRLF file then imports its rows again instead of saying "already
    loaded as batch 2" while none of its rows is current."""
    lf = _lf(tmp_path / "clients_lf.csv", [HEADER, *ROWS])
    crlf = write_csv(tmp_path / "clients_crlf.csv", [HEADER, *ROWS])
    assert lf.read_bytes() != crlf.read_bytes()
    first = ingest_file(store, "clients", lf)
    twin = ingest_file(store, "clients", crlf)
    assert (twin.added, twin.updated, twin.unchanged) == (0, 0, 2)
    rollback(store, first.batch_id)
    assert _current(store) == []

    again = ingest_file(store, "clients", crlf)
    assert again.already_loaded_batch is None
    assert (again.added, again.updated, again.unchanged) == (2, 0, 0)
    assert _current(store) == [("KH1", "上海甲有限公司"), ("KH2", "上海乙有限公司")]
    # and now it is loaded: a third time changes nothing
    assert ingest_file(store, "clients", crlf).already_loaded_batch == again.batch_id


def test_the_rolled_back_file_itself_loads_again(store: Store, tmp_path: Path):
    lf = _lf(tmp_path / "clients_lf.csv", [HEADER, *ROWS])
    crlf = write_csv(tmp_path / "clients_crlf.csv", [HEADER, *ROWS])
    first = ingest_file(store, "clients", lf)
    ingest_file(store, "clients", crlf)
    rollback(store, first.batch_id)
    again = ingest_file(store, "clients", lf)
    assert again.already_loaded_batch is None and again.added == 2


def test_rolling_back_the_twin_leaves_the_first_file_loaded(store: Store, tmp_path: Path):
    """Rolling back an all-unchanged batch changes no row; the first file's rows are still
    current. The rule is coarse here (any rollback of the kind since the batch): the file
    is imported again, and that import finds every row unchanged."""
    lf = _lf(tmp_path / "clients_lf.csv", [HEADER, *ROWS])
    crlf = write_csv(tmp_path / "clients_crlf.csv", [HEADER, *ROWS])
    first = ingest_file(store, "clients", lf)
    twin = ingest_file(store, "clients", crlf)
    rollback(store, twin.batch_id)
    assert _current(store) == [("KH1", "上海甲有限公司"), ("KH2", "上海乙有限公司")]
    again = ingest_file(store, "clients", lf)
    assert again.batch_id != first.batch_id
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)


def test_a_file_whose_rows_a_later_file_changed_is_loaded_again(store: Store, tmp_path: Path):
    """F, then G with a newer version of KH1: uploading F again is the newer upload and puts
    F's version back (DOMAIN.md §2: a row whose key exists is replaced by the newer upload)."""
    f = write_csv(tmp_path / "f.csv", [HEADER, *ROWS])
    g = write_csv(
        tmp_path / "g.csv", [HEADER, ["KH1", "上海甲集团有限公司", "张三", "13812345678"]]
    )
    ingest_file(store, "clients", f)
    ingest_file(store, "clients", g)
    again = ingest_file(store, "clients", f)
    assert again.already_loaded_batch is None
    assert (again.added, again.updated, again.unchanged) == (0, 1, 1)
    assert _current(store)[0] == ("KH1", "上海甲有限公司")


def test_later_files_that_only_add_rows_leave_it_loaded(store: Store, tmp_path: Path):
    f = write_csv(tmp_path / "f.csv", [HEADER, *ROWS])
    more = write_csv(
        tmp_path / "more.csv", [HEADER, ["KH3", "上海丙有限公司", "王五", "13712345678"]]
    )
    first = ingest_file(store, "clients", f)
    ingest_file(store, "clients", more)
    handovers = write_csv(
        tmp_path / "h.csv",
        [["handover_id", "client_id", "from_staff", "to_staff"], ["JJ1", "KH1", "李四", "王五"]],
    )
    rollback(store, ingest_file(store, "handovers", handovers).batch_id)  # another kind
    assert ingest_file(store, "clients", f).already_loaded_batch == first.batch_id


def test_a_survey_export_follows_the_same_rule(store: Store, tmp_path: Path):
    header = ["response_id", "client_id", "submitted_at", "overall_satisfaction"]
    rows = [["R1", "KH1", "2026-03-20 10:00", "5"], ["R2", "KH2", "2026-03-21 10:00", "4"]]
    lf = _lf(tmp_path / "survey_lf.csv", [header, *rows])
    crlf = write_csv(tmp_path / "survey_crlf.csv", [header, *rows])
    first = ingest_feedback(store, lf)
    ingest_feedback(store, crlf)
    assert ingest_feedback(store, crlf).already_loaded_batch is not None
    rollback(store, first.batch_id)
    assert store.query("select count(*) from stg_feedback").scalar() == 0
    again = ingest_feedback(store, crlf)
    assert again.already_loaded_batch is None
    assert store.query("select count(*) from stg_feedback").scalar() == 2
