"""The `handover` command: exit codes, messages without tracebacks, JSON on stdout only."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from cli import app
from tests.conftest import write_csv
from tests.test_ingest import HANDOVER_HEADER, HANDOVER_ROW


def _handovers(tmp_path: Path, *rows: list[str], name: str = "h.csv") -> Path:
    return write_csv(tmp_path / name, [HANDOVER_HEADER, *rows])


def test_help_lists_the_commands(runner: CliRunner):
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("ingest", "batches", "rollback"):
        assert command in result.output


def test_ingest_loads_and_reports_the_batch(runner: CliRunner, tmp_path: Path):
    db = tmp_path / "h.duckdb"
    result = runner.invoke(
        app, ["ingest", "handovers", str(_handovers(tmp_path, HANDOVER_ROW)), "--db", str(db)]
    )
    assert result.exit_code == 0, result.output
    assert "batch 1: 1 rows read, 1 added" in result.stdout


def _contents(db: Path) -> dict[str, object]:
    """Every table's row count, and the batches as they are: what a refused file leaves."""
    from pipelines.store import Store

    store = Store(db)
    tables = [
        name
        for (name,) in store.query(
            "select table_name from information_schema.tables "
            "where table_type = 'BASE TABLE' order by table_name"
        ).rows
    ]
    counts = {name: store.query(f'select count(*) from "{name}"').scalar() for name in tables}
    batches = store.query("select * from batches order by batch_id").rows
    return {"counts": counts, "batches": batches}


def test_ingest_of_a_bad_file_exits_1_listing_every_bad_row(runner: CliRunner, tmp_path: Path):
    db = tmp_path / "h.duckdb"
    first = runner.invoke(
        app, ["ingest", "handovers", str(_handovers(tmp_path, HANDOVER_ROW)), "--db", str(db)]
    )
    assert first.exit_code == 0, first.output
    before = _contents(db)
    assert before["counts"]["raw_handovers"] == 1 and len(before["batches"]) == 1
    bad = _handovers(
        tmp_path,
        ["JJ-3", "KH1", "李四", "赵六", "", "", "离职", "2026-10-01", "", "", "", "", ""],
        ["JJ-2", "KH1", "李四", "赵六", "", "", "fired", "2026-13-01", "", "", "", "", ""],
        name="bad.csv",
    )
    result = runner.invoke(app, ["ingest", "handovers", str(bad), "--db", str(db)])
    assert result.exit_code == 1
    assert "row 3, column 'reason': 'fired'" in result.stderr
    assert "row 3, column 'planned_start': '2026-13-01'" in result.stderr
    assert "Traceback" not in result.output
    # rejected whole: not even its good row (JJ-3) is in, and no batch recorded it
    assert _contents(db) == before


def test_ingest_skip_invalid_exits_0_and_names_the_rejected_rows(runner, tmp_path: Path):
    db = tmp_path / "h.duckdb"
    bad = _handovers(
        tmp_path,
        HANDOVER_ROW,
        ["JJ-2", "KH1", "李四", "赵六", "", "", "fired", "", "", "", "", "", ""],
    )
    result = runner.invoke(
        app, ["ingest", "handovers", str(bad), "--skip-invalid", "--db", str(db)]
    )
    assert result.exit_code == 0, result.output
    assert "1 added" in result.stdout and "1 rejected" in result.stdout
    assert "rejected: h.csv, row 3" in result.stderr


def test_batches_show_lists_every_rejected_row(runner: CliRunner, tmp_path: Path):
    db = tmp_path / "h.duckdb"
    bad = _handovers(
        tmp_path,
        HANDOVER_ROW,
        ["JJ-2", "KH1", "李四", "赵六", "", "", "fired", "2026-13-01", "", "", "", "", ""],
        ["JJ-3", "KH1", "李四", "赵六", "", "", "[bold]x[/]", "", "", "", "", "", ""],
    )
    loaded = runner.invoke(
        app, ["ingest", "handovers", str(bad), "--skip-invalid", "--no-checks", "--db", str(db)]
    )
    assert loaded.exit_code == 0, loaded.output

    shown = runner.invoke(app, ["batches", "show", "1", "--db", str(db)])
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert lines[0].startswith("Batch 1: import of handovers from h.csv (CSV (UTF-8)) by ")
    assert lines[0].endswith(": 3 rows read, 1 added, 0 updated, 0 unchanged, 2 rejected; loaded.")
    assert lines[1] == "Rows rejected (2), not loaded:"
    table = "\n".join(lines[2:])
    assert "fired" in table and "2026-13-01" in table
    assert "impossible date (2026-13-01 does not exist)" in table
    assert "[bold]x[/]" in table  # a value is shown as written, never read as markup

    as_json = runner.invoke(app, ["batches", "show", "1", "--json", "--db", str(db)])
    assert as_json.exit_code == 0, as_json.output
    document = json.loads(as_json.stdout)
    assert document["batch"]["batch_id"] == 1
    assert document["batch"]["count_rows_rejected"] == 2
    rejected = [(r["row"], r["column"], r["value"], r["code"]) for r in document["rejected"]]
    assert rejected == [
        (3, "reason", "fired", "unknown_code"),
        (3, "planned_start", "2026-13-01", "impossible_date"),
        (4, "reason", "[bold]x[/]", "unknown_code"),
    ]
    assert document["rejected"][1]["params"] == {"date": "2026-13-01"}
    assert document["rejected"][1]["reason"] == "impossible date (2026-13-01 does not exist)"

    listed = runner.invoke(app, ["batches", "--json", "--db", str(db)])
    assert listed.exit_code == 0 and json.loads(listed.stdout)[0]["batch_id"] == 1
    missing = runner.invoke(app, ["batches", "show", "9", "--db", str(db)])
    assert missing.exit_code == 1
    assert "There is no batch 9." in missing.stderr


def test_batches_show_of_a_batch_without_rejections(runner: CliRunner, tmp_path: Path):
    db = tmp_path / "h.duckdb"
    runner.invoke(
        app, ["ingest", "handovers", str(_handovers(tmp_path, HANDOVER_ROW)), "--db", str(db)]
    )
    shown = runner.invoke(app, ["batches", "show", "1", "--db", str(db)])
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.splitlines()[1] == "No rows were rejected."
    document = json.loads(
        runner.invoke(app, ["batches", "show", "1", "--json", "--db", str(db)]).stdout
    )
    assert document["rejected"] == []


def test_db_comes_from_the_environment(runner: CliRunner, tmp_path: Path):
    db = tmp_path / "env.duckdb"
    result = runner.invoke(
        app,
        ["ingest", "handovers", str(_handovers(tmp_path, HANDOVER_ROW))],
        env={"HANDOVER_DB": str(db)},
    )
    assert result.exit_code == 0, result.output
    assert db.exists()


def test_batches_json_is_one_document_on_stdout(runner: CliRunner, tmp_path: Path):
    db = tmp_path / "h.duckdb"
    runner.invoke(
        app, ["ingest", "handovers", str(_handovers(tmp_path, HANDOVER_ROW)), "--db", str(db)]
    )
    result = runner.invoke(app, ["batches", "--json", "--db", str(db)])
    assert result.exit_code == 0
    (batch,) = json.loads(result.stdout)
    assert batch["file_name"] == "h.csv" and batch["count_rows_added"] == 1


def test_rollback_and_its_failure(runner: CliRunner, tmp_path: Path):
    db = tmp_path / "h.duckdb"
    runner.invoke(
        app, ["ingest", "handovers", str(_handovers(tmp_path, HANDOVER_ROW)), "--db", str(db)]
    )
    ok = runner.invoke(app, ["rollback", "1", "--db", str(db)])
    assert ok.exit_code == 0 and "recorded as batch 2" in ok.stdout
    again = runner.invoke(app, ["rollback", "1", "--db", str(db)])
    assert again.exit_code == 1 and "already rolled back" in again.stderr
    listing = runner.invoke(app, ["batches", "--db", str(db)])
    assert "undid batch 1" in listing.stdout and "rolled back by 2" in listing.stdout


def test_the_installed_script_runs(tmp_path: Path):
    """The console script itself, as a user calls it, exits 1 without a traceback."""
    garbage = tmp_path / "garbage.xlsx"
    garbage.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli",
            "ingest",
            "clients",
            str(garbage),
            "--db",
            str(tmp_path / "x.duckdb"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "damaged or truncated" in result.stderr
    assert "Traceback" not in result.stderr


def test_ingest_feedback_prints_the_report_and_accepts_map(runner: CliRunner, tmp_path: Path):
    db = tmp_path / "h.duckdb"
    rows = [
        [
            "序号",
            "提交答卷时间",
            "所用时间",
            "来源",
            "来源详情",
            "来自IP",
            "1、贵公司名称",
            "2、您对新会计满意吗",
            "3、您对交接满意吗",
        ],
        [
            "1",
            "2026/3/20 10:00:00",
            "9秒",
            "链接",
            "直接访问",
            "1.1.1.1",
            "上海乙贸易有限公司",
            "满意",
            "一般",
        ],
    ]
    path = write_csv(tmp_path / "wjx.csv", rows, "gbk")
    unsure = runner.invoke(app, ["ingest", "feedback", str(path), "--db", str(db)])
    assert unsure.exit_code == 1
    assert "--map overall_satisfaction=" in unsure.stderr
    ok = runner.invoke(
        app,
        [
            "ingest",
            "feedback",
            str(path),
            "--db",
            str(db),
            "--source",
            "wjx",
            "--map",
            "overall_satisfaction=3、您对交接满意吗",
        ],
    )
    assert ok.exit_code == 0, ok.output
    assert "(问卷星, CSV (GBK))" in ok.stdout and "1 loaded" in ok.stdout
    assert "1 match no client" in ok.stdout


def test_map_and_source_are_for_feedback_only(runner: CliRunner, tmp_path: Path):
    result = runner.invoke(
        app,
        [
            "ingest",
            "handovers",
            str(_handovers(tmp_path, HANDOVER_ROW)),
            "--map",
            "client_id=x",
            "--db",
            str(tmp_path / "h.duckdb"),
        ],
    )
    assert result.exit_code == 2
    assert "feedback files only" in result.output


def test_a_malformed_map_is_a_usage_error(runner: CliRunner, tmp_path: Path):
    result = runner.invoke(
        app,
        [
            "ingest",
            "feedback",
            str(_handovers(tmp_path, HANDOVER_ROW)),
            "--map",
            "client_id",
            "--db",
            str(tmp_path / "h.duckdb"),
        ],
    )
    assert result.exit_code == 2
    assert "FIELD=COLUMN" in result.output


def test_check_and_failures_commands(runner: CliRunner, tmp_path: Path):
    db = str(tmp_path / "h.duckdb")
    bad = ["JJ-2", "KH404", "李四", "李四", "", "", "", "", "", "", "", "", ""]
    runner.invoke(
        app,
        [
            "ingest",
            "handovers",
            str(_handovers(tmp_path, HANDOVER_ROW, bad)),
            "--no-checks",
            "--db",
            db,
        ],
    )  # (else the import runs them itself)
    none_yet = runner.invoke(app, ["failures", "--db", db])
    assert none_yet.exit_code == 1 and "No check has run yet" in none_yet.stderr

    result = runner.invoke(app, ["check", "--as-of", "2026/11/20", "--json", "--db", db])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    checks = {c["check_id"]: c for c in document["checks"]}
    assert document["as_of"] == "2026-11-20"
    assert checks["handovers.staff.distinct"] == {
        "check_id": "handovers.staff.distinct",
        "records_checked": 2,
        "records_failed": 1,
        "passed": False,
    }

    listed = runner.invoke(app, ["failures", "handovers.staff.distinct", "--json", "--db", db])
    assert listed.exit_code == 0
    (failure,) = json.loads(listed.stdout)["failures"]
    assert (failure["record_key"], failure["column_name"], failure["offending_value"]) == (
        "JJ-2",
        "to_staff",
        "李四",
    )
    table = runner.invoke(app, ["check", "--db", db])
    assert "handovers.client.known" in table.stdout and "FAILED" in table.stdout
    assert "Calculating Metrics" not in table.output


def test_check_rejects_a_bad_date_and_failures_an_unknown_check(runner: CliRunner, tmp_path):
    db = str(tmp_path / "h.duckdb")
    bad_date = runner.invoke(app, ["check", "--as-of", "2026-02-30", "--db", db])
    assert bad_date.exit_code == 2 and "impossible date" in bad_date.output
    unknown = runner.invoke(app, ["failures", "clients.nope", "--db", db])
    assert unknown.exit_code == 1 and "There is no check" in unknown.stderr


def test_metrics_scores_and_rollup_commands(runner: CliRunner, tmp_path: Path):
    db = str(tmp_path / "h.duckdb")
    late = [
        "JJ-2",
        "KH1",
        "李四",
        "赵六",
        "",
        "记账一部",
        "离职",
        "2026/3/1",
        "2026-03-05",
        "2026-03-01 09:00",
        "2026-03-07 17:30",
        "是",
        "",
    ]
    runner.invoke(
        app, ["ingest", "handovers", str(_handovers(tmp_path, HANDOVER_ROW, late)), "--db", db]
    )
    result = runner.invoke(app, ["metrics", "--as-of", "2026-11-20", "--json", "--db", db])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    from metrics.figures import FIGURE_KEYS

    assert list(figures) == list(FIGURE_KEYS)
    assert figures["handovers_total"] == 2 and figures["on_time_rate"] == 0.5
    assert figures["csat"] is None

    by_reason = runner.invoke(app, ["metrics", "--reason", "调岗", "--json", "--db", db])
    assert json.loads(by_reason.stdout)["handovers_total"] == 0
    no_reason = runner.invoke(app, ["metrics", "--reason", "", "--json", "--db", db])
    assert no_reason.exit_code == 2 and "no reason given" in no_reason.output

    scores = runner.invoke(app, ["scores", "--as-of", "2026-11-20", "--json", "--db", db])
    rows = {r["handover_id"]: r for r in json.loads(scores.stdout)}
    assert set(rows["JJ-2"]) == {
        "handover_id",
        "efficiency_score",
        "quality_score",
        "satisfaction_score",
        "risk_score",
        "score",
        "band",
        "flags",
        "risk_level",
    }
    assert rows["JJ-2"]["efficiency_score"] == 80  # two days late
    assert "overdue" in rows["JJ-2"]["flags"]

    rolled = runner.invoke(
        app, ["rollup", "--by", "month", "--as-of", "2026-11-20", "--json", "--db", db]
    )
    assert [r["month"] for r in json.loads(rolled.stdout)] == ["2026-03"]
    explained = runner.invoke(app, ["scores", "--explain"])
    assert "Efficiency (weight 25)" in explained.stdout


def test_metrics_refuses_a_bad_configuration(runner: CliRunner, tmp_path: Path):
    config = tmp_path / "handover.toml"
    config.write_text("[weights]\nquality = -5\n", encoding="utf-8")
    db = str(tmp_path / "h.duckdb")
    runner.invoke(app, ["ingest", "handovers", str(_handovers(tmp_path, HANDOVER_ROW)), "--db", db])
    result = runner.invoke(app, ["metrics", "--config", str(config), "--db", db])
    assert result.exit_code == 1
    assert "weights.quality = -5 is outside 0-100" in result.stderr
