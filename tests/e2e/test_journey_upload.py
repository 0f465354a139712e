"""上传 The uploader's job (an operations account), in Chromium, on a firm the test builds
itself (澄湖财税, tests/e2e/journey_data.py): a Qualtrics export of the firm's client survey
goes onto the Upload page; before confirming, the page says how many answers match a client,
how many match none and how many were loaded before, and what the data checks find in the
file's rows; then the upload is confirmed (issue 11, "Must show").

The export is a re-download: its first 8 answers were loaded from the command line before
(the first download); 12 answers are new, 3 come from client ids the firm does not have, one
is a preview and one unfinished (neither is a real response). The counts the page must show
are worked out here from the answers written, not asked of the product."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from dashboard.check_text import check_name
from pipelines.store import Store
from tests.e2e.app_utils import (
    batches,
    click,
    expect_no_exception,
    main,
    metric_value,
    sign_in,
    stop_server,
    upload_file,
)
from tests.e2e.journey_data import (
    build_firm,
    grid,
    start_firm_server,
    survey_waves,
    write_qualtrics,
    zh,
)

UPLOADER = "gao.ops"
WAIT = 240_000  # ms: the trial import runs the checks on a copy of the database first


@pytest.fixture(scope="module")
def firm():
    return build_firm()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, firm) -> Iterator:
    """The firm, and the survey's first download loaded from the command line."""
    workdir = tmp_path_factory.mktemp("journey_upload")
    server = start_firm_server(workdir, firm, {UPLOADER: "operations"})
    try:
        first, _ = survey_waves(firm)
        export = write_qualtrics(first, workdir / "files" / "澄湖财税_交接回访_Qualtrics_1128.csv")
        done = server.handover("ingest", "feedback", str(export), timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        yield server
    finally:
        print(f"\n----- handover serve log -----\n{stop_server(server)}")


def expected_counts(firm) -> dict[str, int]:
    """matched / unmatched / duplicates of the second download, from the answers written."""
    first, second = survey_waves(firm)
    known = {c.client_id for c in firm.clients}
    loaded = {r.response_id for r in first}
    real = [r for r in second if r.status == 0 and r.finished == 1]
    new = [r for r in real if r.response_id not in loaded]
    return {
        "matched": sum(r.external_reference in known for r in new),
        "unmatched": sum(r.external_reference not in known for r in new),
        "duplicates": sum(r.response_id in loaded for r in real),
        "rows": len(second),
    }


def test_the_survey_files_counts():
    assert expected_counts(build_firm()) == {
        "matched": 12,
        "unmatched": 3,
        "duplicates": 8,
        "rows": 25,
    }


def test_uploader_sees_matches_and_findings_before_confirming_a_survey_export(
    page, served, firm, tmp_path
):
    _, second = survey_waves(firm)
    export = write_qualtrics(second, tmp_path / "回访_1231.csv")
    expected = expected_counts(firm)
    strangers = sorted({r.external_reference for r in second} - {c.client_id for c in firm.clients})

    sign_in(page, served, UPLOADER, path="upload")
    body = main(page)
    upload_file(page, zh("upload.kinds.feedback"), export)
    expect(body.get_by_test_id("stFileUploader")).to_contain_text(export.name)

    # before the confirm button: the tool, the answers' matching, the checks' findings
    expect(body).to_contain_text("Qualtrics", timeout=WAIT)
    counts = page.locator(".st-key-upload_answer_counts")
    expect(counts).to_be_visible(timeout=WAIT)
    shown = {
        name: metric_value(page, zh(f"upload.answers.{name}"))
        for name in ("matched", "unmatched", "duplicates")
    }
    assert shown == {k: str(expected[k]) for k in ("matched", "unmatched", "duplicates")}, shown
    answers = body.get_by_test_id("stDataFrame").filter(has_text=strangers[0]).first
    expect(answers).to_be_visible(timeout=WAIT)
    _, rows = grid(answers)
    listed = " ".join(" ".join(r) for r in rows)
    for stranger in strangers:
        assert stranger in listed, (stranger, rows)

    summary = page.locator(".st-key-upload_trial_summary")
    expect(summary).to_contain_text(
        zh("upload.trial.found", n=len(strangers), new=len(strangers)), timeout=WAIT
    )
    per_check = body.get_by_test_id("stDataFrame").filter(has_text=zh("upload.trial.failing")).first
    header, rows = grid(per_check)
    failing = {
        r[header.index(zh("upload.trial.check"))]: r[header.index(zh("upload.trial.failing"))]
        for r in rows
    }
    assert failing.get(check_name("feedback.client.matched", "zh")) == str(len(strangers)), failing
    assert not [b for b in batches(served) if b["file_name"] == export.name]  # nothing yet
    confirm = body.get_by_role("button", name=re.compile(re.escape(zh("upload.confirm"))))
    expect(confirm).to_be_enabled()
    expect_no_exception(page)

    # confirmed: the batch, with the unmatched answers kept and counted
    click(page, confirm, timeout=WAIT)
    done = body.get_by_test_id("stAlertContentSuccess").filter(has_text=export.name)
    expect(done).to_be_visible(timeout=WAIT)
    loaded = [b for b in batches(served) if b["file_name"] == export.name]
    assert [(b["kind"], b["action"], b["count_rows_read"]) for b in loaded] == [
        ("feedback", "import", expected["rows"])
    ], loaded
    stored = (
        Store(served.db, busy_timeout=60)
        .query(
            "select count(*) filter (where is_matched) as matched, "
            "count(*) filter (where not is_matched) as unmatched "
            "from feedback_responses where batch_id = $b and is_real",
            {"b": loaded[0]["batch_id"]},
        )
        .dicts()
    )
    assert stored == [{"matched": expected["matched"], "unmatched": expected["unmatched"]}], stored
    expect_no_exception(page)
