"""Imports of clients, handovers and events: aliases, values, bad rows, keys, batches."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from pipelines.access import Actor
from pipelines.batches import list_batches, rejected_rows, rollback
from pipelines.errors import BatchError, ImportRejectedError, UnreadableFileError, WrongKindError
from pipelines.ingest import ingest_file
from pipelines.store import Store
from tests.conftest import write_csv, write_xls, write_xlsx

CLIENT_HEADER_ZH = [
    "客户编号",
    "企业名称",
    "统一社会信用代码",
    "联系人",
    "联系电话",
    "纳税人类型",
    "服务开始日期",
    "合同到期日",
    "负责会计",
    "服务状态",
]
CLIENT_ROWS = [
    [
        "KH001",
        "上海甲科技有限公司",
        "91310115MA1K3X2Y4N",
        "张三",
        "13812345678",
        "小规模纳税人",
        "2024/3/5",
        "2026年12月31日",
        "李四",
        "服务中",
    ],
    [
        "KH002",
        "上海乙贸易有限公司",
        "",
        "王五",
        "13900001111",
        "一般纳税人",
        "2024-01-01",
        "2027-01-01",
        "李四",
        "已终止",
    ],
]
HANDOVER_HEADER = [
    "handover_id",
    "client_id",
    "from_staff",
    "to_staff",
    "supervisor",
    "team",
    "reason",
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
    "nda_signed",
    "signed_off_at",
]
HANDOVER_ROW = [
    "JJ-1",
    "KH001",
    "李四",
    "赵六",
    "钱七",
    "记账一部",
    "离职",
    "2026/3/1",
    "2026-03-10",
    "2026-03-01 09:00",
    "2026-03-09 17:30",
    "是",
    "2026-03-09 18:00",
]


def _rows(store: Store, view: str, order: str) -> list[dict]:
    return store.query(f"select * from {view} order by {order}").dicts()


def _table_counts(store: Store) -> dict[str, int]:
    if not store.exists():
        return {}
    return {
        t: store.query(f"select count(*) from {t}").scalar()
        for t in ("raw_clients", "raw_handovers", "raw_events", "batches", "batch_rejections")
    }


def test_chinese_headers_and_labels_load_as_codes_and_dates(store: Store, tmp_path: Path):
    path = write_csv(tmp_path / "clients.csv", [CLIENT_HEADER_ZH, *CLIENT_ROWS], "gbk")
    report = ingest_file(store, "clients", path)
    assert (report.added, report.updated, report.rejected) == (2, 0, 0)
    assert report.format == "CSV (GBK)"
    first, second = _rows(store, "stg_clients", "client_id")
    assert first["taxpayer_type"] == "small_scale" and second["taxpayer_type"] == "general"
    assert first["status"] == "active" and second["status"] == "terminated"
    assert first["service_start"] == date(2024, 3, 5)
    assert first["contract_end"] == date(2026, 12, 31)
    assert second["uscc"] is None


def test_english_headers_in_any_order_case_and_spacing(store: Store, tmp_path: Path):
    header = ["  Client_ID ", "CONTACT_NAME", "company name", "Status"]
    path = write_csv(tmp_path / "c.csv", [header, ["KH9", "张三", "上海丙有限公司", "Active"]])
    ingest_file(store, "clients", path)
    (row,) = _rows(store, "stg_clients", "client_id")
    assert (row["client_id"], row["company_name"], row["status"]) == (
        "KH9",
        "上海丙有限公司",
        "active",
    )


def test_full_width_characters_and_spaces_are_folded(store: Store, tmp_path: Path):
    rows = [
        ["客户编号", "企业名称", "联系人", "联系电话"],
        ["ＫＨ００１", "  上海丁（集团）有限公司 ", "李　四", "１３８ １２３４ ５６７８"],
    ]
    ingest_file(store, "clients", write_csv(tmp_path / "c.csv", rows))
    (row,) = _rows(store, "stg_clients", "client_id")
    assert row["client_id"] == "KH001"
    assert row["company_name"] == "上海丁(集团)有限公司"
    assert row["contact_name"] == "李 四"
    assert row["contact_phone"] == "138 1234 5678"


def test_timestamps_booleans_and_reason_labels(store: Store, tmp_path: Path):
    path = write_csv(tmp_path / "h.csv", [HANDOVER_HEADER, HANDOVER_ROW])
    ingest_file(store, "handovers", path)
    (row,) = _rows(store, "stg_handovers", "handover_id")
    assert row["reason"] == "resignation"
    assert row["nda_signed"] is True
    assert row["actual_end"] == datetime(2026, 3, 9, 17, 30)
    assert row["planned_start"] == date(2026, 3, 1)


@pytest.mark.parametrize("writer", [write_xlsx, write_xls], ids=["xlsx", "xls"])
def test_excel_date_cells_and_numbers_load(store: Store, tmp_path: Path, writer):
    rows = [
        [
            "交接单号",
            "客户编号",
            "移交人",
            "接收人",
            "计划完成日期",
            "实际完成时间",
            "已签保密协议",
        ],
        ["JJ-9", 20260001, "李四", "赵六", datetime(2026, 3, 10), datetime(2026, 3, 9, 17, 30), 1],
    ]
    ingest_file(store, "handovers", writer(tmp_path / "h", rows))
    (row,) = _rows(store, "stg_handovers", "handover_id")
    assert row["client_id"] == "20260001"
    assert row["planned_end"] == date(2026, 3, 10)
    assert row["actual_end"] == datetime(2026, 3, 9, 17, 30)
    assert row["nda_signed"] is True


def test_events_accept_codes_and_chinese_aliases_and_keep_unknown_items(store, tmp_path):
    rows = [
        ["交接单号", "发生时间", "事件类型", "清单项目", "操作人"],
        ["JJ-1", "2026-03-02 10:00", "资料移交", "税控设备(UKey)", "李四"],
        ["JJ-1", "2026-03-02 11:00", "item_verified", "tax_device", "赵六"],
        ["JJ-1", "2026/3/3 9:05", "核对通过", "印章", "赵六"],
    ]
    ingest_file(store, "events", write_csv(tmp_path / "e.csv", rows))
    events = _rows(store, "stg_events", "occurred_at")
    assert [(e["event_type"], e["item_code"]) for e in events] == [
        ("item_transferred", "tax_device"),
        ("item_verified", "tax_device"),
        ("item_verified", "印章"),
    ]
    assert events[0]["record_key"] == "JJ-1|2026-03-02 10:00:00|item_transferred|tax_device"


def test_bad_rows_are_all_listed_and_nothing_changes(store: Store, tmp_path: Path):
    ingest_file(store, "clients", write_csv(tmp_path / "c.csv", [CLIENT_HEADER_ZH, *CLIENT_ROWS]))
    before = _table_counts(store)
    bad = [
        HANDOVER_HEADER,
        HANDOVER_ROW,
        ["JJ-2", "KH001", "李四", "赵六", "", "", "fired", "2026-02-30", "", "", "", "maybe", ""],
        ["", "KH001", "李四", "赵六", "", "", "", "", "", "2026-03-01 25:00", "", "", ""],
    ]
    with pytest.raises(ImportRejectedError, match="rejected, nothing was loaded") as caught:
        ingest_file(store, "handovers", write_csv(tmp_path / "h.csv", bad))
    found = {(p.row, p.column, p.value) for p in caught.value.problems}
    assert found == {
        (3, "reason", "fired"),
        (3, "planned_start", "2026-02-30"),
        (3, "nda_signed", "maybe"),
        (4, "handover_id", ""),
        (4, "actual_start", "2026-03-01 25:00"),
    }
    assert "impossible date" in " ".join(caught.value.details)
    assert _table_counts(store) == before


def test_empty_required_values_other_than_keys_are_loaded_for_the_checks(store, tmp_path):
    rows = [["客户编号", "企业名称", "联系人"], ["KH1", "", ""]]
    report = ingest_file(store, "clients", write_csv(tmp_path / "c.csv", rows))
    assert report.added == 1
    (row,) = _rows(store, "stg_clients", "client_id")
    assert (row["company_name"], row["contact_name"]) == (None, None)


def test_skip_invalid_loads_good_rows_and_records_rejected_ones(store: Store, tmp_path: Path):
    bad = [
        HANDOVER_HEADER,
        HANDOVER_ROW,
        ["JJ-2", "KH001", "李四", "赵六", "", "", "fired", "", "", "", "", "", ""],
        ["JJ-3", "KH002", "李四", "赵六", "", "", "离职", "2026-13-01", "", "", "", "也许", ""],
        ["JJ-4", "KH002", "王五", "赵六", "", "", "休假", "2026-04-01", "", "", "", "否", ""],
    ]
    report = ingest_file(store, "handovers", write_csv(tmp_path / "h.csv", bad), skip_invalid=True)
    assert (report.rows_read, report.added, report.rejected) == (4, 2, 2)
    # the good rows are in the table, as the file wrote them
    loaded = _rows(store, "raw_handovers", "source_row")
    assert [(r["source_row"], r["handover_id"], r["batch_id"]) for r in loaded] == [
        (2, "JJ-1", report.batch_id),
        (5, "JJ-4", report.batch_id),
    ]
    assert (loaded[1]["from_staff"], loaded[1]["reason"], loaded[1]["nda_signed"]) == (
        "王五",
        "leave",
        False,
    )
    assert [r["handover_id"] for r in _rows(store, "stg_handovers", "handover_id")] == [
        "JJ-1",
        "JJ-4",
    ]
    # every bad cell of the rejected rows is stored with the batch: row, column, value, why
    rejected = store.query(
        "select row_number, column_name, value, reason, code, field, params "
        "from batch_rejections where batch_id = ? order by row_number, rowid",
        [report.batch_id],
    ).rows
    assert rejected == [
        (
            3,
            "reason",
            "fired",
            "unknown value (expected one of resignation/离职, rotation/调岗, leave/休假, "
            "reassignment/重新分配, other/其他)",
            "unknown_code",
            "reason",
            rejected[0][6],
        ),
        (
            4,
            "planned_start",
            "2026-13-01",
            "impossible date (2026-13-01 does not exist)",
            "impossible_date",
            "planned_start",
            '{"date": "2026-13-01"}',
        ),
        (
            4,
            "nda_signed",
            "也许",
            "not a yes/no value (expected true/false, 是/否, Y/N or 1/0)",
            "not_yes_no",
            "nda_signed",
            "{}",
        ),
    ]
    assert json.loads(rejected[0][6])["field"] == "reason"
    assert rejected_rows(store, report.batch_id)["row_number"].tolist() == [3, 4, 4]
    batch = list_batches(store).iloc[0]
    assert (batch["count_rows_read"], batch["count_rows_rejected"]) == (4, 2)


def test_duplicate_keys_in_one_file_are_rejected(store: Store, tmp_path: Path):
    rows = [HANDOVER_HEADER, HANDOVER_ROW, HANDOVER_ROW[:], ["JJ-5"] + HANDOVER_ROW[1:]]
    with pytest.raises(ImportRejectedError, match="rejected, nothing was loaded") as caught:
        ingest_file(store, "handovers", write_csv(tmp_path / "h.csv", rows))
    assert sorted(p.row for p in caught.value.problems) == [2, 3]
    assert not store.exists() or _table_counts(store)["raw_handovers"] == 0


def test_a_key_shared_with_a_bad_row_is_reported_too(store: Store, tmp_path: Path):
    rows = [HANDOVER_HEADER, HANDOVER_ROW, HANDOVER_ROW[:6] + ["退休"] + HANDOVER_ROW[7:]]
    with pytest.raises(ImportRejectedError, match="rejected, nothing was loaded") as caught:
        ingest_file(store, "handovers", write_csv(tmp_path / "h.csv", rows))
    assert sorted((p.row, p.column) for p in caught.value.problems) == [
        (2, "handover_id"),
        (3, "handover_id"),
        (3, "reason"),
    ]


def test_wrong_kind_of_file_names_the_missing_columns(store: Store, tmp_path: Path):
    path = write_csv(tmp_path / "h.csv", [HANDOVER_HEADER, HANDOVER_ROW])
    with pytest.raises(WrongKindError, match="handover ingest handovers") as caught:
        ingest_file(store, "clients", path)
    message = caught.value.message
    assert "企业名称 (company_name)" in message and "联系人 (contact_name)" in message
    assert "handover ingest handovers" in message


def test_survey_export_given_as_handovers_says_so(store: Store, tmp_path: Path):
    rows = [
        ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", "1、您对本次交接满意吗"],
        ["1", "2026/10/3 14:22:05", "95秒", "手机提交", "直接访问", "1.2.3.4", "满意"],
    ]
    with pytest.raises(WrongKindError, match="survey export"):
        ingest_file(store, "handovers", write_csv(tmp_path / "wjx.csv", rows, "gbk"))


def test_header_only_file_is_rejected(store: Store, tmp_path: Path):
    with pytest.raises(UnreadableFileError, match="header .row 1. but no data rows"):
        ingest_file(store, "handovers", write_csv(tmp_path / "h.csv", [HANDOVER_HEADER]))
    assert not store.exists() or _table_counts(store)["batches"] == 0


def test_same_file_twice_changes_nothing(store: Store, tmp_path: Path):
    path = write_csv(tmp_path / "c.csv", [CLIENT_HEADER_ZH, *CLIENT_ROWS])
    first = ingest_file(store, "clients", path)
    before = _table_counts(store)
    second = ingest_file(store, "clients", path)
    assert second.already_loaded_batch == first.batch_id
    assert _table_counts(store) == before


def test_same_rows_in_another_file_are_unchanged(store: Store, tmp_path: Path):
    ingest_file(store, "clients", write_csv(tmp_path / "a.csv", [CLIENT_HEADER_ZH, *CLIENT_ROWS]))
    again = ingest_file(
        store, "clients", write_xlsx(tmp_path / "b.xlsx", [CLIENT_HEADER_ZH, *CLIENT_ROWS])
    )
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
    assert store.query("select count(*) from raw_clients").scalar() == 2


def test_newer_export_updates_a_handover_and_adds_new_ones(store: Store, tmp_path: Path):
    open_row = HANDOVER_ROW[:10] + ["", "是", ""]
    ingest_file(store, "handovers", write_csv(tmp_path / "h1.csv", [HANDOVER_HEADER, open_row]))
    newer = [HANDOVER_HEADER, HANDOVER_ROW, ["JJ-2"] + HANDOVER_ROW[1:]]
    report = ingest_file(store, "handovers", write_csv(tmp_path / "h2.csv", newer))
    assert (report.added, report.updated, report.unchanged) == (1, 1, 0)
    rows = _rows(store, "stg_handovers", "handover_id")
    assert [r["actual_end"] for r in rows] == [datetime(2026, 3, 9, 17, 30)] * 2


def test_rollback_removes_added_rows_and_restores_updated_ones(store: Store, tmp_path: Path):
    open_row = HANDOVER_ROW[:10] + ["", "是", ""]
    first = ingest_file(
        store, "handovers", write_csv(tmp_path / "1.csv", [HANDOVER_HEADER, open_row])
    )
    newer = [HANDOVER_HEADER, HANDOVER_ROW, ["JJ-2"] + HANDOVER_ROW[1:]]
    second = ingest_file(store, "handovers", write_csv(tmp_path / "2.csv", newer))

    undo = rollback(store, second.batch_id)
    rows = _rows(store, "stg_handovers", "handover_id")
    assert [(r["handover_id"], r["actual_end"]) for r in rows] == [("JJ-1", None)]

    history = list_batches(store).set_index("batch_id")
    assert history.loc[undo, "action"] == "rollback"
    assert history.loc[undo, "target_batch_id"] == second.batch_id
    assert history.loc[undo, "count_rows_withdrawn"] == 2
    assert history.loc[undo, "count_rows_restored"] == 1
    assert history.loc[second.batch_id, "rolled_back_by"] == undo

    with pytest.raises(BatchError, match="already rolled back"):
        rollback(store, second.batch_id)
    with pytest.raises(BatchError, match="itself a rollback"):
        rollback(store, undo)
    with pytest.raises(BatchError, match="no batch 99"):
        rollback(store, 99)

    rollback(store, first.batch_id)
    assert _rows(store, "stg_handovers", "handover_id") == []


def test_rolling_back_an_older_batch_keeps_a_later_change(store: Store, tmp_path: Path):
    open_row = HANDOVER_ROW[:10] + ["", "是", ""]
    first = ingest_file(
        store, "handovers", write_csv(tmp_path / "1.csv", [HANDOVER_HEADER, open_row])
    )
    ingest_file(store, "handovers", write_csv(tmp_path / "2.csv", [HANDOVER_HEADER, HANDOVER_ROW]))
    rollback(store, first.batch_id)
    (row,) = _rows(store, "stg_handovers", "handover_id")
    assert row["actual_end"] == datetime(2026, 3, 9, 17, 30)


def test_a_rolled_back_file_can_be_loaded_again(store: Store, tmp_path: Path):
    path = write_csv(tmp_path / "c.csv", [CLIENT_HEADER_ZH, *CLIENT_ROWS])
    first = ingest_file(store, "clients", path)
    rollback(store, first.batch_id)
    again = ingest_file(store, "clients", path)
    assert again.batch_id is not None and again.added == 2


def test_extra_columns_are_kept_with_each_row_and_named_in_the_batch(store, tmp_path):
    rows = [CLIENT_HEADER_ZH + ["客户等级"], CLIENT_ROWS[0] + ["A"]]
    report = ingest_file(store, "clients", write_csv(tmp_path / "c.csv", rows))
    assert report.extra_columns == ["客户等级"]
    (row,) = _rows(store, "stg_clients", "client_id")
    assert json.loads(row["extra"]) == {"客户等级": "A"}
    assert list(list_batches(store)["extra_columns"].iloc[0]) == ["客户等级"]


def test_batch_records_file_hash_user_and_counts(store: Store, tmp_path: Path):
    path = write_csv(tmp_path / "c.csv", [CLIENT_HEADER_ZH, *CLIENT_ROWS])
    ingest_file(store, "clients", path, actor=Actor("operator1", "operations"))
    batch = list_batches(store).iloc[0]
    assert batch["file_name"] == "c.csv" and batch["user_name"] == "operator1"
    assert len(batch["content_hash"]) == 64
    assert (batch["count_rows_read"], batch["count_rows_added"]) == (2, 2)


def test_a_dry_run_validates_and_writes_nothing(store: Store, tmp_path: Path):
    bad = [
        HANDOVER_HEADER,
        HANDOVER_ROW,
        ["JJ-2", "KH001", "李四", "赵六", "", "", "fired", "", "", "", "", "", ""],
    ]
    report = ingest_file(store, "handovers", write_csv(tmp_path / "h.csv", bad), dry_run=True)
    assert (report.rows_read, report.rejected, report.batch_id) == (2, 1, None)
    assert [p.row for p in report.problems] == [3]
    assert not store.exists() or store.query("select count(*) from batches").scalar() == 0
