"""The seeded sample data: deterministic, realistic, and with exactly the defects it declares."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipelines.templates import (
    CHECKLIST_ITEMS,
    CLIENTS,
    CODE_ALIASES,
    EVENTS,
    HANDOVERS,
    ITEM_EVENT_TYPES,
    SENSITIVE_ITEMS,
    Template,
)
from sample_data.generator import SAMPLE_AS_OF, write_sample_files
from sample_data.templates_writer import TEMPLATES_DIR, write_templates
from sample_data.uscc import is_valid_uscc, org_check_char, uscc_check_char, uscc_problems

MOBILE = re.compile(r"^(\+?86)?1[3-9][0-9]{9}$")  # DOMAIN.md section 6
EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


# -- loading the small sample back, with labels turned into codes ----------------------


def _to_code(template: Template, column: str, value: str) -> str:
    col = template.column(column)
    if not value or col.codes is None:
        return value
    if value in col.codes:
        return value
    by_label = {label: code for code, label in col.codes.items()}
    return by_label.get(value) or CODE_ALIASES.get(column, {}).get(value, value)


def _by_header(template: Template, header: list[str]) -> list[str]:
    names = {c.zh: c.name for c in template.columns} | {c.name: c.name for c in template.columns}
    return [names[h] for h in header]


def _read_csv(path: Path, template: Template, encoding: str) -> list[dict]:
    with open(path, encoding=encoding, newline="") as f:
        reader = csv.reader(f)
        header = _by_header(template, next(reader))
        rows = [dict(zip(header, values, strict=True)) for values in reader]
    for row in rows:
        for name in row:
            row[name] = _to_code(template, name, row[name])
    return rows


def _read_clients(path: Path) -> list[dict]:
    ws = load_workbook(path, read_only=True).worksheets[0]
    values = list(ws.iter_rows(values_only=True))
    header = _by_header(CLIENTS, list(values[0]))
    rows = []
    for raw in values[1:]:
        row = {n: ("" if v is None else v) for n, v in zip(header, raw, strict=True)}
        for name, v in row.items():
            if isinstance(v, datetime):
                row[name] = v.date()
            elif isinstance(v, str):
                row[name] = _to_code(CLIENTS, name, v)
        rows.append(row)
    return rows


def _timestamp(text: str) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text)


def _slash_date(text: str) -> date:
    y, m, d = map(int, text.split("/"))
    return date(y, m, d)


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("small")
    files = write_sample_files(out, "small", seed=42)
    paths = dict(files)
    return {
        "dir": out,
        "files": files,
        "clients": _read_clients(paths["clients"]),
        "handovers": _read_csv(paths["handovers"], HANDOVERS, "gbk"),
        "events": _read_csv(paths["events"], EVENTS, "utf-8-sig"),
        "defects": json.loads((out / "defects.json").read_text(encoding="utf-8")),
    }


# -- determinism --------------------------------------------------------------------


def test_same_seed_writes_byte_identical_files(small, tmp_path):
    again = write_sample_files(tmp_path, "small", seed=42)
    assert [kind for kind, _ in again] == ["clients", "handovers", "events"]
    for (_, first), (_, second) in zip(small["files"], again, strict=True):
        assert first.name == second.name
        assert first.read_bytes() == second.read_bytes(), first.name
    assert (small["dir"] / "defects.json").read_bytes() == (tmp_path / "defects.json").read_bytes()


def test_another_seed_writes_other_data(small, tmp_path):
    other = dict(write_sample_files(tmp_path, "small", seed=7))
    first = dict(small["files"])
    for kind in ("clients", "handovers", "events"):
        assert first[kind].read_bytes() != other[kind].read_bytes(), kind


def test_unknown_size_is_refused(tmp_path):
    with pytest.raises(ValueError, match="medium"):
        write_sample_files(tmp_path, "medium")


# -- USCC checksum --------------------------------------------------------------------


def test_uscc_checksum_matches_hand_computed_codes():
    # A known valid code.
    assert uscc_problems("91350100M000100Y43") == []
    # Organisation code M000100Y: M=22, Y=34; 22*3 + 1*5 + 34*2 = 139; 139 % 11 = 7;
    # 11 - 7 = 4.
    assert org_check_char("M000100Y") == "4"
    # Organisation code MA1H7TQ3 (GB 11714 values M=22, A=10, H=17, T=29, Q=26):
    # 66 + 70 + 9 + 170 + 35 + 232 + 104 + 6 = 692; 692 % 11 = 10; 11 - 10 = 1.
    assert org_check_char("MA1H7TQ3") == "1"
    # 91310115MA1H7TQ31 (GB 32100 values M=21, A=10, H=17, T=26, Q=24):
    # 9 + 3 + 27 + 27 + 0 + 26 + 16 + 85 + 420 + 290 + 25 + 221 + 56 + 624 + 240 + 90 + 28
    # = 2187; 2187 % 31 = 17; 31 - 17 = 14 -> "E".
    assert uscc_check_char("91310115MA1H7TQ31") == "E"
    assert is_valid_uscc("91310115MA1H7TQ31E")
    # 6 * 2 = 12; 12 % 11 = 1; 11 - 1 = 10 -> "X". A sum of 0 gives 11 -> "0".
    assert org_check_char("00000006") == "X"
    assert org_check_char("00000000") == "0"


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("91350100M000100Y4", "length"),
        ("91350100M000100Y4I", "characters"),  # I is not used
        ("91350100M000100Y44", "check_character"),
        ("91310115MA1H7TQ31B", "check_character"),
        ("91310115MA1H7TQ30B", "org_code_check"),  # GB 32100 holds, GB 11714 fails
    ],
)
def test_uscc_checksum_rejects_broken_codes(code, problem):
    assert problem in uscc_problems(code)


def test_every_uscc_passes_both_checks_except_declared_defects(small):
    failures = small["defects"]["failures"]
    declared_invalid = set(failures["clients.uscc.valid"])
    declared_missing = set(failures["clients.uscc.present"])
    invalid = {
        c["client_id"] for c in small["clients"] if c["uscc"] and not is_valid_uscc(c["uscc"])
    }
    missing = {c["client_id"] for c in small["clients"] if not c["uscc"]}
    assert invalid == declared_invalid
    assert missing == declared_missing
    counts = Counter(c["uscc"] for c in small["clients"] if c["uscc"])
    shared = {c["client_id"] for c in small["clients"] if c["uscc"] and counts[c["uscc"]] > 1}
    assert shared == set(failures["clients.uscc.unique"])
    kinds = Counter(p for c in small["clients"] if c["uscc"] for p in uscc_problems(c["uscc"]))
    assert kinds["check_character"] >= 3 and kinds["org_code_check"] >= 1
    shanghai = [c["uscc"][2:8] for c in small["clients"] if c["uscc"]]
    assert all(region.startswith("310") for region in shanghai)


# -- headers, encodings ---------------------------------------------------------------


def test_small_files_have_the_documented_headers_and_encodings(small):
    paths = dict(small["files"])
    assert paths["clients"].suffix == ".xlsx"
    ws = load_workbook(paths["clients"], read_only=True).worksheets[0]
    assert [c.value for c in next(ws.iter_rows(max_row=1))] == [c.zh for c in CLIENTS.columns]
    raw = paths["handovers"].read_bytes()
    with pytest.raises(UnicodeDecodeError, match="'utf-8' codec can't decode"):
        raw.decode("utf-8")
    assert raw.decode("gbk").splitlines()[0] == ",".join(c.zh for c in HANDOVERS.columns)
    raw = paths["events"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig").splitlines()[0] == ",".join(c.name for c in EVENTS.columns)


def test_small_files_spell_values_the_chinese_way(small):
    handovers = small["dir"] / "handovers.csv"
    with open(handovers, encoding="gbk", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {"离职", "调岗"} <= {r["交接原因"] for r in rows}
    assert {r["已签保密协议"] for r in rows} <= {"是", "否", ""}
    assert all(re.fullmatch(r"\d{4}/\d{1,2}/\d{1,2}", r["计划开始日期"]) for r in rows)
    assert any(re.fullmatch(r"\d{4}/\d/\d", r["计划开始日期"]) for r in rows)
    started = [r["实际开始时间"] for r in rows if r["实际开始时间"]]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", t) for t in started)
    with open(small["dir"] / "events.csv", encoding="utf-8-sig", newline="") as f:
        spelled = Counter(r["event_type"] for r in csv.DictReader(f))
    assert spelled["item_transferred"] > 100 and spelled["资料移交"] > 100


# -- sizes and shape ------------------------------------------------------------------


def test_small_sample_has_the_expected_size(small):
    clients, handovers, events = small["clients"], small["handovers"], small["events"]
    assert len(clients) == 300
    assert 200 <= len(handovers) <= 400
    staff = {c["assigned_staff"] for c in clients} | {h["to_staff"] for h in handovers}
    assert 15 <= len(staff) <= 30
    assert {h["team"] for h in handovers} == {"记账一部", "记账二部", "税务部"}
    started = [h for h in handovers if h["actual_start"]]
    per_handover = Counter(e["handover_id"] for e in events)
    mean = sum(per_handover[h["handover_id"]] for h in started) / len(started)
    assert 20 <= mean <= 40
    keys = [(e["handover_id"], e["occurred_at"], e["event_type"], e["item_code"]) for e in events]
    assert len(keys) == len(set(keys))


def test_handovers_follow_the_story(small):
    handovers = small["handovers"]
    reasons = Counter(h["reason"] for h in handovers)
    assert reasons["resignation"] + reasons["rotation"] > len(handovers) / 2
    starts = [_slash_date(h["planned_start"]) for h in handovers]
    # 18 months up to SAMPLE_AS_OF; a few forms are planned for the coming weeks
    assert min(starts) >= date(2025, 5, 20) and max(starts) < SAMPLE_AS_OF + timedelta(days=30)
    assert all(
        _timestamp(h["actual_start"]).date() < SAMPLE_AS_OF for h in handovers if h["actual_start"]
    )
    # the resignation wave after the Spring Festival (2026-02-17)
    wave = sum(
        1
        for h, s in zip(handovers, starts, strict=True)
        if h["reason"] == "resignation" and date(2026, 2, 22) <= s <= date(2026, 4, 10)
    )
    per_seven_weeks = reasons["resignation"] * 49 / 545
    assert wave > 1.5 * per_seven_weeks
    open_ = [h for h in handovers if not h["actual_end"]]
    assert 0.02 <= len(open_) / len(handovers) <= 0.10
    assert any(_slash_date(h["planned_end"]) < SAMPLE_AS_OF - timedelta(days=30) for h in open_)
    for h in handovers:
        length = (_slash_date(h["planned_end"]) - _slash_date(h["planned_start"])).days
        assert 5 <= length <= 15
        start, end = _timestamp(h["actual_start"]), _timestamp(h["actual_end"])
        if start and end:
            assert start < end
            assert 9 <= start.hour < 18
    late = [
        h
        for h in handovers
        if h["actual_end"] and _timestamp(h["actual_end"]).date() > _slash_date(h["planned_end"])
    ]
    assert 0.05 <= len(late) / len(handovers) <= 0.4
    assert 0.9 <= sum(h["nda_signed"] == "是" for h in handovers) / len(handovers) < 1
    assert 0.9 <= sum(bool(h["supervisor"]) for h in handovers) / len(handovers) < 1


def test_events_follow_their_handover(small):
    handovers = {h["handover_id"]: h for h in small["handovers"]}
    by_handover: dict[str, list[dict]] = {}
    for e in small["events"]:
        by_handover.setdefault(e["handover_id"], []).append(e)
    completed = [h for h in handovers.values() if h["actual_end"]]
    covered, revoked_24h, resigned = 0.0, 0, 0
    for h in completed:
        events = by_handover.get(h["handover_id"], [])
        start, end = _timestamp(h["actual_start"]), _timestamp(h["actual_end"])
        for e in events:
            t = _timestamp(e["occurred_at"])
            if e["event_type"] in ("item_transferred", "backup_done", "client_notified"):
                assert start <= t <= end, (h["handover_id"], e)
        verified = {e["item_code"] for e in events if e["event_type"] == "item_verified"}
        covered += len(verified & set(CHECKLIST_ITEMS)) / len(CHECKLIST_ITEMS)
        if h["reason"] == "resignation":
            resigned += 1
            revoked_24h += any(
                e["event_type"] == "access_revoked"
                and _timestamp(e["occurred_at"]) <= end + timedelta(hours=24)
                for e in events
            )
    assert 0.95 <= covered / len(completed) < 1
    assert 0.8 <= revoked_24h / resigned < 1

    def verified(h):
        return {
            e["item_code"]
            for e in by_handover.get(h["handover_id"], [])
            if e["event_type"] == "item_verified"
        }

    sensitive_gaps = sum(1 for h in completed if not set(SENSITIVE_ITEMS) <= verified(h))
    assert 0 < sensitive_gaps / len(completed) <= 0.2


def test_follow_ups_and_churn_happen_after_the_handover(small):
    handovers = [h for h in small["handovers"] if h["actual_end"]]
    events = small["events"]
    visits: dict[str, list[datetime]] = {}
    for e in events:
        if e["event_type"] == "followup_visit":
            visits.setdefault(e["handover_id"], []).append(_timestamp(e["occurred_at"]))
    due = [
        h
        for h in handovers
        if _timestamp(h["actual_end"]).date() <= SAMPLE_AS_OF - timedelta(days=30)
    ]
    within = sum(
        any(
            timedelta(0) <= v - _timestamp(h["actual_end"]) <= timedelta(days=30)
            for v in visits.get(h["handover_id"], [])
        )
        for h in due
    )
    assert 0.6 <= within / len(due) < 0.95
    clients = {c["client_id"]: c for c in small["clients"]}
    churned = 0
    for h in handovers:
        client = clients.get(h["client_id"])
        end = _timestamp(h["actual_end"]).date()
        ended = client["terminated_at"] if client else None
        if ended and end <= ended <= end + timedelta(days=90):
            churned += 1
            assert client["status"] == "terminated"
    assert 0.02 <= churned / len(handovers) <= 0.2


# -- declared defects ----------------------------------------------------------------


def test_client_defects_are_exactly_the_declared_ones(small):
    clients = small["clients"]
    failures = small["defects"]["failures"]
    n = len(clients)

    def ids(rows):
        return {c["client_id"] for c in rows}

    no_phone = ids(c for c in clients if not c["contact_phone"])
    bad_phone = ids(
        c
        for c in clients
        if c["contact_phone"] and not MOBILE.match(re.sub(r"[ -]", "", c["contact_phone"]))
    )
    bad_email = ids(c for c in clients if c["email"] and not EMAIL.match(c["email"]))
    expired = ids(
        c for c in clients if c["status"] == "active" and c["contract_end"] < SAMPLE_AS_OF
    )
    assert no_phone == set(failures["clients.contact_phone.present"])
    assert bad_phone == set(failures["clients.contact_phone.valid"])
    assert bad_email == set(failures["clients.email.valid"])
    assert expired == set(failures["clients.contract_end.current"])
    for defect in (no_phone, bad_phone, bad_email, expired, set(failures["clients.uscc.valid"])):
        assert 0.01 * n <= len(defect) <= 0.06 * n
    assert all(c["client_id"] and c["company_name"] and c["contact_name"] for c in clients)
    assert all(re.fullmatch(r"KH\d{6}", c["client_id"]) for c in clients)
    assert len(ids(clients)) == n
    for c in clients:
        assert (c["status"] == "terminated") == bool(c["terminated_at"])
        assert c["service_start"] < SAMPLE_AS_OF
        assert c["contract_end"] > c["service_start"]


def test_handover_defects_are_exactly_the_declared_ones(small):
    clients = {c["client_id"]: c for c in small["clients"]}
    handovers = small["handovers"]
    failures = small["defects"]["failures"]
    unknown_client = {h["handover_id"] for h in handovers if h["client_id"] not in clients}
    same_staff = {h["handover_id"] for h in handovers if h["from_staff"] == h["to_staff"]}
    assert unknown_client == set(failures["handovers.client.known"])
    assert same_staff == set(failures["handovers.staff.distinct"])
    assert 1 <= len(unknown_client) <= 0.02 * len(handovers)
    assert 1 <= len(same_staff) <= 0.02 * len(handovers)
    latest: dict[str, dict] = {}
    for h in handovers:
        if h["actual_end"] and h["client_id"] in clients:
            best = latest.get(h["client_id"])
            if best is None or h["actual_end"] > best["actual_end"]:
                latest[h["client_id"]] = h
    stale = {
        h["handover_id"]
        for cid, h in latest.items()
        if clients[cid]["status"] == "active" and clients[cid]["assigned_staff"] != h["to_staff"]
    }
    assert stale == set(failures["handovers.owner.consistent"])
    assert 1 <= len(stale) <= 0.1 * len(latest)
    ids = [h["handover_id"] for h in handovers]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"JJ20(25|26)-\d{6}", i) for i in ids)


def test_event_defects_are_exactly_the_declared_ones(small):
    known = {h["handover_id"] for h in small["handovers"]}
    failures = small["defects"]["failures"]

    def key(e):
        return f"{e['handover_id']}|{e['occurred_at']}|{e['event_type']}|{e['item_code']}"

    orphans = {key(e) for e in small["events"] if e["handover_id"] not in known}
    unknown_items = {
        key(e)
        for e in small["events"]
        if e["event_type"] in ITEM_EVENT_TYPES and e["item_code"] not in CHECKLIST_ITEMS
    }
    assert orphans == set(failures["events.handover.known"])
    assert unknown_items == set(failures["events.item.known"])
    assert 1 <= len(orphans) <= 10 and 1 <= len(unknown_items) <= 10


# -- downloadable templates ------------------------------------------------------------


def test_committed_templates_are_up_to_date(tmp_path):
    written = write_templates(tmp_path)
    kinds, extensions = ("clients", "handovers", "events"), ("xlsx", "csv")
    expected = {f"{kind}_template.{ext}" for kind in kinds for ext in extensions}
    assert {p.name for p in written} == expected
    for path in written:
        assert path.read_bytes() == (TEMPLATES_DIR / path.name).read_bytes(), path.name


@pytest.mark.parametrize("template", [CLIENTS, HANDOVERS, EVENTS], ids=lambda t: t.kind)
def test_templates_have_chinese_headers_and_a_valid_example(template):
    csv_path = TEMPLATES_DIR / f"{template.kind}_template.csv"
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = _read_csv(csv_path, template, "utf-8-sig")
    assert len(rows) == 1
    assert all(rows[0][name] for name in template.required_columns)
    ws = load_workbook(TEMPLATES_DIR / f"{template.kind}_template.xlsx").worksheets[0]
    values = list(ws.iter_rows(values_only=True))
    assert list(values[0]) == [c.zh for c in template.columns]
    assert len(values) == 2
    if template is CLIENTS:
        assert is_valid_uscc(rows[0]["uscc"])
        assert MOBILE.match(rows[0]["contact_phone"]) and EMAIL.match(rows[0]["email"])
    for col in template.columns:
        if col.codes and rows[0][col.name]:
            assert rows[0][col.name] in col.codes, col.name
