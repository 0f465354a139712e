"""Data checks: every check id fails and passes at the record-key level; fix history; docs."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path

import pytest

from data_checks.registry import CHECKS
from data_checks.results import failures, fix_history, latest_run, run_results, save_run
from data_checks.runner import CheckRunError, run_checks
from pipelines.feedback.ingest import ingest_feedback
from pipelines.ingest import ingest_file
from pipelines.store import Store
from sample_data.uscc import make_uscc, with_wrong_org_check
from tests.conftest import write_csv

AS_OF = date(2026, 11, 20)
VALID = "91350100M000100Y43"
ORG_BAD = with_wrong_org_check(random.Random(7), make_uscc(random.Random(7), "310115"))

CLIENT_HEADER = [
    "client_id",
    "company_name",
    "uscc",
    "contact_name",
    "contact_phone",
    "email",
    "status",
    "contract_end",
    "terminated_at",
    "assigned_staff",
    "service_start",
]
CLIENTS = [
    [
        "KH1",
        "上海甲有限公司",
        VALID,
        "张三",
        "13812345678",
        "a@example.cn",
        "active",
        "2027-12-31",
        "",
        "王五",
        "2020-01-01",
    ],
    [
        "kh1",
        "上海甲分公司",
        VALID,
        "",
        "",
        "",
        "active",
        "2027-12-31",
        "",
        "王五",
        "1899-12-30",
    ],  # Excel's zero date
    [
        "KH2",
        "",
        "91350100M000100Y44",
        "李四",
        "138 1234-5678",
        "bad@",
        "active",
        "2026-01-31",
        "",
        "赵六",
        "",
    ],
    ["KH3", "上海丙有限公司", "", "王五", "12345", "", "terminated", "2026-01-31", "", "赵六", ""],
    [
        "KH4",
        "上海丁有限公司",
        "91350100M00010OY43",
        "赵六",
        "+8613912345678",
        "d@example.com",
        "terminated",
        "2026-01-31",
        "2026-02-01",
        "赵六",
        "2019-05-01",
    ],
    [
        "KH5",
        "上海戊有限公司",
        ORG_BAD,
        "钱七",
        "13912345678",
        "",
        "active",
        "9999-12-31",
        "",
        "赵六",
        "",
    ],  # "no end" written as a date
]
HANDOVER_HEADER = [
    "handover_id",
    "client_id",
    "from_staff",
    "to_staff",
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
    "signed_off_at",
]
HANDOVERS = [
    [
        "JJ1",
        "KH1",
        "李四",
        "王五",
        "2026-03-01",
        "2026-03-10",
        "2026-03-01 09:00",
        "2026-03-09 17:00",
        "2026-03-09 17:30",
    ],
    [
        "JJ2",
        "KH2",
        "李四",
        "钱七",
        "2026-03-20",
        "2026-03-30",
        "2026-03-20 09:00",
        "2026-04-01 17:00",
        "",
    ],
    ["JJ3", "KH999", "张三", "张三", "2026-05-10", "2026-05-01", "", "", ""],
    [
        "JJ4",
        "KH1",
        "李四",
        "王五",
        "2026-06-01",
        "2026-06-10",
        "2026-06-05 09:00",
        "2026-06-01 17:00",
        "",
    ],
    # placeholders: completed "on 9999-12-31", planned for 2099, signed off in 1900
    [
        "JJ5",
        "KH4",
        "李四",
        "王五",
        "2026-03-01",
        "2099-12-31",
        "2026-03-01 09:00",
        "9999-12-31 00:00",
        "1900-01-01 00:00",
    ],
]
EVENT_HEADER = ["handover_id", "occurred_at", "event_type", "item_code"]
EVENTS = [
    ["JJ1", "2026-03-02 10:00:00", "item_transferred", "vouchers"],
    ["JJ9", "2026-03-02 11:00:00", "training_done", ""],
    ["JJ1", "2026-03-03 10:00:00", "item_verified", "公章"],
    ["JJ1", "2026-03-04 10:00:00", "discrepancy_found", ""],
    ["JJ1", "2026-03-05 10:00:00", "training_done", ""],
    ["JJ1", "2099-03-05 10:00:00", "training_done", ""],  # a year typed 2099 for 2026
]
FEEDBACK = [
    [
        "response_id",
        "client_id",
        "company_name",
        "submitted_at",
        "overall_satisfaction",
        "recommend_score",
    ],
    ["R1", "KH1", "", "2026-03-20 10:00", "5", "9"],
    ["R2", "KH777", "不存在公司", "2026-03-21 10:00", "4", "8"],
    ["R3", "KH2", "", "2026-04-20 10:00", "7", "11"],
    ["R4", "KH1", "", "1900-01-01 00:00", "5", "9"],
]

EXPECTED: dict[str, tuple[set[str], str]] = {  # check -> (failing keys, a key that passes)
    "clients.client_id.unique": ({"KH1", "kh1"}, "KH2"),
    "clients.company_name.present": ({"KH2"}, "KH1"),
    "clients.contact_name.present": ({"kh1"}, "KH1"),
    "clients.contact_phone.present": ({"kh1"}, "KH1"),
    "clients.contact_phone.valid": ({"KH3"}, "KH2"),
    "clients.uscc.present": ({"KH3"}, "KH1"),
    "clients.uscc.valid": ({"KH2", "KH4", "KH5"}, "KH1"),
    "clients.uscc.unique": ({"KH1", "kh1"}, "KH2"),
    "clients.email.valid": ({"KH2"}, "KH4"),
    "clients.contract_end.current": ({"KH2"}, "KH4"),
    "clients.terminated_at.present": ({"KH3"}, "KH4"),
    "clients.dates.plausible": ({"kh1", "KH5"}, "KH4"),
    "handovers.client.known": ({"JJ3"}, "JJ1"),
    "handovers.dates.ordered": ({"JJ3", "JJ4"}, "JJ1"),
    "handovers.dates.plausible": ({"JJ5"}, "JJ1"),
    "handovers.staff.distinct": ({"JJ3"}, "JJ1"),
    "handovers.owner.consistent": ({"JJ2"}, "JJ4"),
    "events.handover.known": (
        {"JJ9|2026-03-02 11:00:00|training_done|"},
        "JJ1|2026-03-02 10:00:00|item_transferred|vouchers",
    ),
    "events.item.known": (
        {
            "JJ1|2026-03-03 10:00:00|item_verified|公章",
            "JJ1|2026-03-04 10:00:00|discrepancy_found|",
        },
        "JJ1|2026-03-05 10:00:00|training_done|",
    ),
    "events.occurred_at.plausible": (
        {"JJ1|2099-03-05 10:00:00|training_done|"},
        "JJ1|2026-03-05 10:00:00|training_done|",
    ),
    "feedback.client.matched": ({"template:R2"}, "template:R1"),
    "feedback.scores.in_range": ({"template:R3"}, "template:R1"),
    "feedback.submitted_at.plausible": ({"template:R4"}, "template:R1"),
}


def _load(store: Store, folder: Path, clients=CLIENTS) -> None:
    ingest_file(store, "clients", write_csv(folder / "clients.csv", [CLIENT_HEADER, *clients]))
    ingest_file(
        store, "handovers", write_csv(folder / "handovers.csv", [HANDOVER_HEADER, *HANDOVERS])
    )
    ingest_file(store, "events", write_csv(folder / "events.csv", [EVENT_HEADER, *EVENTS]))
    ingest_feedback(store, write_csv(folder / "feedback.csv", FEEDBACK))


@pytest.fixture(scope="module")
def checked(tmp_path_factory) -> tuple[Store, object]:
    folder = tmp_path_factory.mktemp("checks")
    store = Store(folder / "checks.duckdb")
    _load(store, folder)
    run = run_checks(store, AS_OF, docs_dir=folder / "docs")
    save_run(store, run)
    return store, run


def test_every_check_in_the_registry_has_a_hand_made_case():
    assert set(EXPECTED) == {c.id for c in CHECKS}


@pytest.mark.parametrize("check_id", list(EXPECTED))
def test_each_check_fails_and_passes_the_right_records(checked, check_id):
    store, run = checked
    (outcome,) = [o for o in run.outcomes if o.check.id == check_id]
    failing, passing = EXPECTED[check_id]
    keys = {f.record_key for f in outcome.failures}
    assert keys == failing
    assert passing not in keys
    assert outcome.records_failed <= outcome.records_checked


def test_failures_name_the_column_and_the_offending_value(checked):
    store, _ = checked
    rows = failures(store, "clients.contact_phone.valid").to_dict("records")
    assert [(r["record_key"], r["column_name"], r["offending_value"]) for r in rows] == [
        ("KH3", "contact_phone", "12345")
    ]
    scores = failures(store, "feedback.scores.in_range")
    assert sorted(zip(scores["column_name"], scores["offending_value"], strict=False)) == [
        ("overall_satisfaction", "7.0"),
        ("recommend_score", "11.0"),
    ]
    uscc = failures(store, "clients.uscc.valid").set_index("record_key")["detail"]
    assert uscc["KH2"] == "check character should be 3"
    assert uscc["KH5"].startswith("organisation code check character should be")
    assert uscc["KH4"].startswith("not 18 characters")


def test_implausible_dates_name_the_column_value_and_bound(checked):
    store, _ = checked
    rows = [
        (r["check_id"], r["record_key"], r["column_name"], r["offending_value"], r["detail"])
        for r in failures(store).to_dict("records")
        if r["check_id"].endswith(".plausible")
    ]
    assert sorted(rows) == sorted(
        [
            (
                "clients.dates.plausible",
                "KH5",
                "contract_end",
                "9999-12-31",
                f"more than ten years after {max(AS_OF, date.today())}",
            ),
            ("clients.dates.plausible", "kh1", "service_start", "1899-12-30", "before 1990-01-01"),
            (
                "events.occurred_at.plausible",
                "JJ1|2099-03-05 10:00:00|training_done|",
                "occurred_at",
                "2099-03-05 10:00:00",
                f"in the future: after {max(AS_OF, date.today()) + timedelta(days=1)}",
            ),
            (
                "feedback.submitted_at.plausible",
                "template:R4",
                "submitted_at",
                "1900-01-01 00:00:00",
                "before 2000-01-01",
            ),
            (
                "handovers.dates.plausible",
                "JJ5",
                "actual_end",
                "9999-12-31 00:00:00",
                f"in the future: after {max(AS_OF, date.today()) + timedelta(days=1)}",
            ),
            (
                "handovers.dates.plausible",
                "JJ5",
                "planned_end",
                "2099-12-31",
                f"more than a year after {max(AS_OF, date.today())}",
            ),
            (
                "handovers.dates.plausible",
                "JJ5",
                "signed_off_at",
                "1900-01-01 00:00:00",
                "before 2000-01-01",
            ),
        ]
    )


def test_the_future_starts_after_the_next_day_of_the_later_of_as_of_and_today(tmp_path: Path):
    """One day of slack for clocks and time zones; a check as of a past date does not call
    real, later events "future"; placeholders fail whatever the as-of date."""
    today = date.today()
    store = Store(tmp_path / "future.duckdb")
    stamp = lambda day: f"{day:%Y-%m-%d} 23:59:59"  # noqa: E731
    rows = [
        EVENT_HEADER,
        ["JJ1", stamp(today + timedelta(days=1)), "training_done", ""],  # slack: passes
        ["JJ1", f"{today + timedelta(days=2):%Y-%m-%d} 00:00:00", "training_done", ""],
        ["JJ1", stamp(today - timedelta(days=200)), "training_done", ""],
        ["JJ1", "9999-12-31 00:00:00", "training_done", ""],
    ]
    ingest_file(store, "events", write_csv(tmp_path / "e.csv", rows))

    def failing(as_of: date) -> set[str]:
        run = run_checks(store, as_of)
        return {
            f.record_key.split("|")[1][:10]
            for o in run.outcomes
            if o.check.id == "events.occurred_at.plausible"
            for f in o.failures
        }

    assert failing(today - timedelta(days=365)) == {f"{today + timedelta(days=2)}", "9999-12-31"}
    assert failing(today + timedelta(days=3)) == {"9999-12-31"}


def test_the_run_is_stored_with_counts_per_check(checked):
    store, run = checked
    assert latest_run(store)["run_id"] == run.run_id
    results = run_results(store).set_index("check_id")
    assert results.loc["clients.uscc.valid", "count_records_checked"] == len(CLIENTS)
    assert results.loc["clients.uscc.valid", "count_records_failed"] == 3
    assert results.loc["handovers.dates.ordered", "count_records_checked"] == len(HANDOVERS)
    assert (results["count_records_failed"] <= results["count_records_checked"]).all()


def test_data_docs_are_written(checked):
    _, run = checked
    index = run.docs_index
    assert index is not None and index.exists()
    pages = list(index.parent.rglob("*.html"))
    assert len(pages) > 1
    assert any("clients.uscc.valid" in page.read_text(encoding="utf-8") for page in pages)


def test_a_fix_resolves_the_failure_in_the_history(tmp_path: Path):
    store = Store(tmp_path / "fix.duckdb")
    _load(store, tmp_path)
    save_run(store, run_checks(store, AS_OF))
    fixed = [row[:] for row in CLIENTS]
    fixed[3][4] = "13712345678"  # KH3's phone corrected
    report = ingest_file(
        store, "clients", write_csv(tmp_path / "fixed.csv", [CLIENT_HEADER, *fixed])
    )
    second = save_run(store, run_checks(store, AS_OF))
    history = fix_history(store, "clients.contact_phone.valid", "KH3").to_dict("records")
    (entry,) = history
    assert entry["resolved_run"] == second
    assert entry["resolved_by_batch"] == report.batch_id
    still = fix_history(store, "clients.uscc.present", "KH3").to_dict("records")
    assert still[0]["resolved_run"] is None or still[0]["resolved_run"] != still[0]["resolved_run"]
    assert still[0]["first_seen_run"] == second - 1 and still[0]["last_seen_run"] == second
    assert "KH3" not in set(failures(store, "clients.contact_phone.valid")["record_key"])


def test_checks_never_crash_on_odd_data(tmp_path: Path):
    store = Store(tmp_path / "odd.duckdb")
    store.ensure_schema()
    empty = run_checks(store, AS_OF)
    assert all(o.records_checked == 0 and not o.failures for o in empty.outcomes)
    odd = [
        [
            "客户一",
            "客户" * 5000,
            "统一社会信用代码" * 3,
            "联系人",
            "电话" * 1000,
            "邮箱@邮箱",
            "服务中",
            "",
            "",
            "会计",
            "",
        ],
        ["客户二", None, None, None, None, None, None, None, None, None, None],
    ]
    ingest_file(store, "clients", write_csv(tmp_path / "odd.csv", [CLIENT_HEADER, *odd]))
    run = run_checks(store, AS_OF)
    by_id = {o.check.id: {f.record_key for f in o.failures} for o in run.outcomes}
    assert by_id["clients.uscc.valid"] == {"客户一"}
    assert by_id["clients.contact_phone.valid"] == {"客户一"}
    assert by_id["clients.company_name.present"] == {"客户二"}


def test_a_run_that_fails_half_way_records_nothing(tmp_path: Path, monkeypatch):
    store = Store(tmp_path / "broken.duckdb")
    _load(store, tmp_path)
    from data_checks import runner

    original = runner._sql_for
    monkeypatch.setattr(
        runner,
        "_sql_for",
        lambda check, as_of: (
            "select * from {batch} where no_such_column = 1"
            if check.id == "events.item.known"
            else original(check, as_of)
        ),
    )
    with pytest.raises(CheckRunError, match="events.item.known could not be evaluated"):
        run_checks(store, AS_OF)
    assert latest_run(store) is None


def test_checks_agree_with_the_sample_generators_defect_manifest(tmp_path: Path):
    """On data the tests never wrote by hand: the seeded sample and its independent manifest
    of deliberate defects (sample_data/defects.py) give the same failing records."""
    from sample_data.loader import load_sample

    store = Store(tmp_path / "sample.duckdb")
    load_sample(store, "small", keep_dir=tmp_path / "files", seed=7)
    manifest = json.loads((tmp_path / "files" / "defects.json").read_text(encoding="utf-8"))
    run = run_checks(store, date.fromisoformat(manifest["as_of"]))
    found = {o.check.id: sorted({f.record_key for f in o.failures}) for o in run.outcomes}
    for check_id, keys in manifest["failures"].items():
        assert found[check_id] == sorted(keys), check_id
    # the sample plants no implausible dates, and its real ones are not taken for any
    for check_id in [c.id for c in CHECKS if c.id.endswith(".plausible")]:
        assert check_id not in manifest["failures"] and found[check_id] == [], check_id


def test_owner_consistency_compares_the_current_owner_with_the_latest_handover(tmp_path):
    """The client master is a snapshot of today: its owner is compared with the latest
    completed handover loaded, whatever the as-of date. As of a day before that handover
    ended, a client correctly owned by its receiver is not flagged (DOMAIN.md §4)."""
    store = Store(tmp_path / "owner.duckdb")
    ingest_file(
        store,
        "clients",
        write_csv(
            tmp_path / "c.csv",
            [
                CLIENT_HEADER,
                [
                    "KH1",
                    "上海甲有限公司",
                    VALID,
                    "张三",
                    "13812345678",
                    "a@example.cn",
                    "active",
                    "2027-12-31",
                    "",
                    "王五",
                    "2020-01-01",
                ],
            ],
        ),
    )
    ingest_file(
        store,
        "handovers",
        write_csv(
            tmp_path / "h.csv",
            [
                HANDOVER_HEADER,
                [
                    "JJA",
                    "KH1",
                    "赵六",
                    "李四",
                    "2026-01-01",
                    "2026-01-10",
                    "2026-01-01 09:00",
                    "2026-01-10 17:00",
                    "",
                ],
                [
                    "JJB",
                    "KH1",
                    "李四",
                    "王五",
                    "2026-03-01",
                    "2026-03-10",
                    "2026-03-01 09:00",
                    "2026-03-10 17:00",
                    "",
                ],
            ],
        ),
    )

    def flagged(as_of: date) -> set[str]:
        run = run_checks(store, as_of)
        outcome = next(o for o in run.outcomes if o.check.id == "handovers.owner.consistent")
        return {f.record_key for f in outcome.failures}

    assert flagged(date(2026, 2, 1)) == set() == flagged(date(2026, 11, 20))
    ingest_file(
        store,
        "clients",
        write_csv(
            tmp_path / "c2.csv",
            [
                CLIENT_HEADER,
                [
                    "KH1",
                    "上海甲有限公司",
                    VALID,
                    "张三",
                    "13812345678",
                    "a@example.cn",
                    "active",
                    "2027-12-31",
                    "",
                    "赵六",
                    "2020-01-01",
                ],
            ],
        ),
    )  # the master now names someone else
    assert flagged(date(2026, 2, 1)) == {"JJB"} == flagged(date(2026, 11, 20))


def _found(run) -> dict[str, tuple[int, list[tuple]]]:
    return {
        o.check.id: (
            o.records_checked,
            sorted((f.record_key, f.column_name, f.offending_value, f.detail) for f in o.failures),
        )
        for o in run.outcomes
    }


def test_a_run_in_place_finds_the_same_and_leaves_the_file_as_it_was(tmp_path: Path, monkeypatch):
    """A run computes the costly asset (feedback) once into a table of the file it
    validates: its own snapshot, or, with ``snapshot=False`` (an upload's trial copy), the
    file itself, from which it removes it afterwards. Either way it finds what the checks
    find on the assets' own queries (the records per check, each failure with its value)."""
    from data_checks import runner

    store = Store(tmp_path / "in_place.duckdb")
    _load(store, tmp_path)
    tables = "select table_name from duckdb_tables() order by 1"
    before = store.query(tables).rows
    on_snapshot = run_checks(store, AS_OF)
    in_place = run_checks(store, AS_OF, snapshot=False)
    assert store.query(tables).rows == before
    assert not any(name.startswith("check_batch_") for (name,) in before)
    assert _found(in_place) == _found(on_snapshot)
    assert {
        check: {key for key, *_ in failures} for check, (_, failures) in _found(in_place).items()
    } == {k: v[0] for k, v in EXPECTED.items()}
    # the same checks on the assets' own queries, without the computed tables
    monkeypatch.setattr(runner, "MATERIALISED_SUITES", ())
    assert _found(run_checks(store, AS_OF)) == _found(on_snapshot)
