"""The two routes of an import give the same result (issue 12).

A large plain UTF-8 CSV is read and converted by DuckDB (``pipelines/ingest.py``'s fast
route); every other file, and any file the fast route finds odd, by ``read_grid`` and pandas
(the reference route). Here both routes import the same files, the fast one forced by a
threshold of 0 bytes, and everything they produce is compared: the report (rows, counts,
every problem with its row, column, value, reason and parameters), the error of a refused
file, the stored rows, the batches and the rejected rows. Odd files must fall back to the
reference route, and both routes report the stages read, validate and load.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import pipelines.ingest as ingest
from pipelines.access import Actor
from pipelines.errors import HandoverError
from pipelines.progress import Recorder
from pipelines.store import Store

ADMIN = Actor("tester", "administrator")
EVENTS_HEADER = ["handover_id", "occurred_at", "event_type", "item_code", "actor", "note"]
TIMES = [
    "2026-03-01 09:00:00",
    "2026/3/1 9:05",
    "2026年3月1日 10:00",
    "2026-03-01T09:00:00Z",
    "2026-02-30 10:00:00",
    "2026-03-01 25:00:00",
    "20260301",
    "",
    "  2026-03-01 09:00:00 ",
    "2026-03-01",
    "2026-03-01 09:00",
    "garbage",
    "2026-03-01 09:00:00+08:00",
    "４５",
    # forms DuckDB's timestamp cast reads otherwise than the parser, or refuses
    "0999-01-01 00:00:00",
    "2026-03-01 24:00:00",
    "2026-03-01 09:00:00.5",
    "2026-3-1 09:00:00",
    "2026-03-01T09:00:00",
    "１２３４-01-01 00:00:00",
    "2026-02-29 10:00:00",
]
EVENT_TYPES = [
    "item_transferred",
    "资料移交",
    "核对通过",
    "item verified",
    "ITEM_VERIFIED",
    "bogus",
    "",
    "回访",
    " signed_off ",
]
ITEMS = ["", "营业执照", "ukey", "tax_device", "unknown_thing", "银行账户", "ＵＫＥＹ"]
ACTORS = ["张三", "李　四", "a  b", " x ", "", "ｆｕｌｌ", "Bob"]
NOTES = ["", 'a,"b"', "备注，中文", "tab here", "  ", "x"]


def _cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"') else value


def _write(
    path: Path,
    rows: list[list[str]],
    header: list[str] = EVENTS_HEADER,
    *,
    newline: str = "\n",
    bom: bool = False,
    title: str | None = None,
    end: bool = True,
) -> Path:
    lines = ([title] if title else []) + [",".join(_cell(c) for c in r) for r in [header, *rows]]
    text = newline.join(lines) + (newline if end else "")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def _messy_rows(count: int = 600) -> list[list[str]]:
    pick = random.Random(12).choice
    rows = [
        [
            pick([f"JJ-{n}" for n in range(80)] + ["", " JJ-1 ", "ＪＪ-2"]),
            pick(TIMES),
            pick(EVENT_TYPES),
            pick(ITEMS),
            pick(ACTORS),
            pick(NOTES),
        ]
        for _ in range(count)
    ]
    return rows + [["", "", "", "", "", ""], [" ", "\u3000", "", "", "", ""]]


def _good_rows(count: int = 1500) -> list[list[str]]:
    return [
        [
            f"JJ-{n}",
            f"2026-03-01 {n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}",
            "item_verified",
            "ukey",
            "张三",
            "",
        ]
        for n in range(count)
    ]


def _import(store: Store, kind: str, path: Path, fast: bool, monkeypatch, **options):
    """(result, route) of importing ``path``: the route 'fast', 'fallback' or 'reference'."""
    monkeypatch.setattr(ingest, "FAST_CSV_MIN_BYTES", 0 if fast else 1 << 62)
    route = {"taken": "reference"}
    real = ingest._fast_import

    def spy(*args, **kwargs):
        route["taken"] = "fast"
        try:
            return real(*args, **kwargs)
        except ingest._Fallback:
            route["taken"] = "fallback"
            raise

    monkeypatch.setattr(ingest, "_fast_import", spy)
    progress = Recorder()
    try:
        report = ingest.ingest_file(store, kind, path, actor=ADMIN, progress=progress, **options)
        result: dict = {"report": {**vars(report), "problems": [vars(p) for p in report.problems]}}
    except HandoverError as error:
        result = {
            "error": (
                type(error).__name__,
                error.message,
                error.code,
                error.params,
                error.details,
                [vars(p) for p in getattr(error, "problems", [])],
            )
        }
    if store.exists():
        raw = ingest.template(kind).raw_table
        result["raw"] = store.query(f"select * from {raw} order by batch_id, source_row").dicts()
        result["batches"] = store.query(
            "select * exclude (created_at) from batches order by batch_id"
        ).dicts()
        result["rejections"] = store.query("select * from batch_rejections order by all").dicts()
    return result, route["taken"], progress


def _both(tmp_path: Path, kind: str, path: Path, monkeypatch, **options):
    fast = _import(Store(tmp_path / "fast.duckdb"), kind, path, True, monkeypatch, **options)
    reference = _import(
        Store(tmp_path / "reference.duckdb"), kind, path, False, monkeypatch, **options
    )
    return fast, reference


CASES = {
    "messy": lambda p: _write(p, _messy_rows()),
    "crlf_bom": lambda p: _write(p, _messy_rows(), newline="\r\n", bom=True),
    "title_row": lambda p: _write(p, _messy_rows(), title="交接日志导出"),
    "chinese_header": lambda p: _write(
        p, _messy_rows(), header=["交接单号", "发生时间", "事件类型", "清单项目", "操作人", "备注"]
    ),
    "columns_reordered": lambda p: _write(
        p,
        [[r[1], r[0], r[2], r[5]] for r in _messy_rows()],
        header=["occurred_at", "handover_id", "event_type", "note"],
    ),
    "no_final_newline": lambda p: _write(p, _messy_rows(), end=False),
    "good": lambda p: _write(p, _good_rows()),
    "duplicate_keys": lambda p: _write(p, _good_rows() + _good_rows()[:5]),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("skip_invalid", [False, True])
def test_fast_route_gives_what_the_reference_gives(tmp_path, monkeypatch, case, skip_invalid):
    path = CASES[case](tmp_path / f"{case}.csv")
    (fast, route, _), (reference, reference_route, _) = _both(
        tmp_path, "events", path, monkeypatch, skip_invalid=skip_invalid
    )
    assert route == "fast" and reference_route == "reference"
    assert fast == reference
    if case != "good":
        assert fast.get("report", {}).get("problems") or fast.get("error")


ODD = {
    "row_too_short": b"JJ-9,2026-03-01 09:00:00\n",
    "record_over_two_lines": 'JJ-9,2026-03-01 09:00:00,资料移交,,张三,"two\nlines"\n'.encode(),
    "quote_inside_a_field": b'JJ-9,2026-03-01 09:00:00,ab"c,,x,y\n',
    "gbk_row": "JJ-9,2026-03-01 09:00:00,资料移交,,张三,\n".encode("gbk"),
    "carriage_return_alone": b"JJ-9,2026-03-01 09:00:00,x\ry,,x,y\n",
    "empty_line": b"\nJJ-9,2026-03-01 09:00:00,signed_off,,x,y\n",
    "one_digit_minutes": b"JJ-9,2026-03-01 9:5:00,signed_off,,x,y\n",
}


@pytest.mark.parametrize("case", sorted(ODD))
def test_odd_files_fall_back_to_the_reference_route(tmp_path, monkeypatch, case):
    path = tmp_path / f"{case}.csv"
    _write(path, _good_rows())
    path.write_bytes(path.read_bytes() + ODD[case])
    (fast, route, _), (reference, _, _) = _both(
        tmp_path, "events", path, monkeypatch, skip_invalid=True
    )
    assert route in ("fallback", "reference")  # the probe or DuckDB's read found it odd
    assert fast == reference


def test_extra_columns_fall_back(tmp_path, monkeypatch):
    path = _write(
        tmp_path / "extra.csv",
        [r + ["额外"] for r in _good_rows()],
        header=EVENTS_HEADER + ["来源"],
    )
    (fast, route, _), (reference, _, _) = _both(tmp_path, "events", path, monkeypatch)
    assert route == "fallback"
    assert fast == reference


def test_reimports_count_alike(tmp_path, monkeypatch):
    first = _write(tmp_path / "first.csv", _good_rows())
    changed = [[*r[:4], "李四" if n % 7 == 0 else r[4], r[5]] for n, r in enumerate(_good_rows())]
    second = _write(
        tmp_path / "second.csv",
        changed + [["JJ-new", "2026-03-02 10:00:00", "signed_off", "", "王五", ""]],
    )
    results = {}
    for fast in (True, False):
        store = Store(tmp_path / f"{fast}.duckdb")
        results[fast] = [
            _import(store, "events", path, fast, monkeypatch)[0] for path in (first, second, first)
        ]
    assert results[True] == results[False]
    counts = [
        (r["report"]["added"], r["report"]["updated"], r["report"]["unchanged"])
        for r in results[True]
    ]
    assert counts == [(1500, 0, 0), (1, 215, 1285), (0, 215, 1285)]


def test_clients_and_handovers_take_the_fast_route_alike(tmp_path, monkeypatch):
    clients = _write(
        tmp_path / "clients.csv",
        [
            [
                f"KH{n:04d}",
                f"公司{n}",
                "91310115MA1K3X2Y4N",
                "张三",
                "13812345678",
                ["小规模纳税人", "一般纳税人", "general", "bad"][n % 4],
                ["2024/3/5", "2026年12月31日", "2024-01-01", "not a date"][n % 4],
                "李四",
                ["服务中", "已终止", ""][n % 3],
            ]
            for n in range(400)
        ],
        header=[
            "客户编号",
            "企业名称",
            "统一社会信用代码",
            "联系人",
            "联系电话",
            "纳税人类型",
            "服务开始日期",
            "负责会计",
            "服务状态",
        ],
    )
    handovers = _write(
        tmp_path / "handovers.csv",
        [
            [
                f"JJ-{n}",
                f"KH{n:04d}",
                "李四",
                "赵六",
                "",
                "记账一部",
                ["离职", "rotation", "?"][n % 3],
                "2026/3/1",
                "2026-03-10",
                "2026-03-01 09:00",
                "",
                ["是", "否", "maybe", ""][n % 4],
                "",
            ]
            for n in range(400)
        ],
        header=[
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
        ],
    )
    for kind, path in (("clients", clients), ("handovers", handovers)):
        (fast, route, _), (reference, _, _) = _both(
            tmp_path, kind, path, monkeypatch, skip_invalid=True
        )
        assert route == "fast"
        assert fast == reference
        assert fast["report"]["problems"]
        (tmp_path / "fast.duckdb").unlink()
        (tmp_path / "reference.duckdb").unlink()


@pytest.mark.parametrize("fast", [True, False])
def test_both_routes_report_read_validate_load(tmp_path, monkeypatch, fast):
    path = _write(tmp_path / "good.csv", _good_rows())
    result, _, progress = _import(Store(tmp_path / "x.duckdb"), "events", path, fast, monkeypatch)
    assert result["report"]["added"] == 1500
    assert progress.stages == ["read", "validate", "load"]
    assert progress.reports[-1] == ("load", 1500, 1500)
    validated = [done for stage, done, _ in progress.reports if stage == "validate"]
    assert validated == sorted(validated) and validated[-1] == 1500


def test_a_small_file_takes_the_reference_route(tmp_path, monkeypatch):
    path = _write(tmp_path / "small.csv", _good_rows(10))
    monkeypatch.setattr(ingest, "probe_plain_csv", lambda *a, **k: pytest.fail("probed"))
    report = ingest.ingest_file(Store(tmp_path / "x.duckdb"), "events", path, actor=ADMIN)
    assert report.added == 10
