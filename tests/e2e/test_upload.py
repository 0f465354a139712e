"""数据上传 Upload: a 问卷星 export goes through the page's steps (kind, file, detected tool
and mapping, preview, validation, confirm) into a feedback batch; a batch is rolled back from
the upload history."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import expect

from pipelines.access import os_user
from pipelines.store import Store
from sample_data.surveys import Answer, write_template, write_wjx
from tests.e2e.app_utils import (
    act,
    batches,
    click,
    completed_handovers,
    expect_no_exception,
    goto,
    main,
)

SCORES = [(5, 9, "新会计很专业，交接顺利"), (4, 8, None), (2, 3, "凭证交接慢了两周")]


def _answers(server, skip: int = 0) -> list[Answer]:
    """One answer per completed handover's client, a few days after the handover ended (so
    each is attributed to it)."""
    handovers = completed_handovers(
        server, date.today() - timedelta(days=10), limit=len(SCORES) + skip
    )[skip:]
    return [
        Answer(
            submitted_at=h["actual_end"] + timedelta(days=3),
            client_id=h["client_id"],
            company_name=h["company_name"],
            satisfaction=sat,
            recommend=rec,
            comment=comment,
        )
        for h, (sat, rec, comment) in zip(handovers, SCORES, strict=True)
    ]


def _responses_of(server, batch_id: int) -> list[dict]:
    return (
        Store(server.db, busy_timeout=60)
        .query(
            "select source_tool, client_id, is_matched, is_attributed, overall_satisfaction "
            "from feedback_responses where batch_id = $batch order by client_id",
            {"batch": batch_id},
        )
        .dicts()
    )


def test_wjx_export_uploaded_through_the_page_becomes_a_feedback_batch(page, server, tmp_path):
    """Upload a 问卷星 GBK CSV: the page detects the tool and the client column, previews and
    validates it, and after the confirmation reports the responses loaded."""
    answers = _answers(server)
    export = write_wjx(tmp_path / "问卷星_交接回访_e2e.csv", answers, identify_by="client_id")
    goto(page, server, "upload")

    feedback = main(page).get_by_role("radio", name="客户反馈")
    if feedback.get_attribute("aria-checked") != "true":
        click(page, feedback)
    expect(feedback).to_have_attribute("aria-checked", "true")
    uploader = main(page).get_by_test_id("stFileUploader")
    act(
        page, lambda: uploader.locator("input[type=file]").set_input_files(export), timeout=240_000
    )  # a trial import runs the checks before the confirm button
    expect(uploader).to_contain_text(export.name)
    expect_no_exception(page)

    body = main(page)
    expect(body).to_contain_text(re.compile(r"识别为\s*问卷星\s*导出.*共 3 份答卷"))
    expect(body.get_by_role("combobox", name="客户编号")).to_have_value("1、客户编号")
    expect(body.get_by_role("combobox", name=re.compile("^总体满意度"))).to_have_value(
        "2、您对本次会计人员交接工作的总体满意度"
    )
    expect(
        body.get_by_test_id("stDataFrame").filter(has_text=answers[0].client_id)
    ).not_to_have_count(0)  # the preview
    expect(body.get_by_role("heading", name="校验结果")).to_be_visible()
    expect(body.get_by_test_id("stMetric").filter(has_text="读取行数")).to_contain_text("3")
    expect(body.get_by_text("所有行都通过校验。")).to_be_visible()
    assert not [b for b in batches(server) if b["file_name"] == export.name]  # not yet

    click(page, body.get_by_role("button", name=re.compile("确认导入")), timeout=60_000)
    # the confirmation reruns the page twice (import, then a fresh uploader): wait for the
    # summary rather than for the first quiet moment
    summary = body.get_by_test_id("stAlertContentSuccess").filter(has_text=export.name)
    expect(summary).to_contain_text(re.compile(r"读取 3 份，导入 3 份"), timeout=60_000)
    expect(body.get_by_text("所有行都通过校验。")).to_have_count(0)
    expect_no_exception(page)

    loaded = [b for b in batches(server) if b["file_name"] == export.name]
    assert [(b["kind"], b["action"], b["count_rows_added"], b["user_name"]) for b in loaded] == [
        ("feedback", "import", 3, f"{os_user()} (local)")
    ]  # who
    responses = _responses_of(server, loaded[0]["batch_id"])
    assert [
        (r["source_tool"], r["client_id"], r["is_attributed"], r["overall_satisfaction"])
        for r in responses
    ] == sorted(("wjx", a.client_id, True, float(a.satisfaction)) for a in answers)
    expect(body.get_by_test_id("stDataFrame").filter(has_text=export.name)).to_have_count(1)


def test_batch_is_rolled_back_from_the_upload_history(page, server, tmp_path: Path):
    """A feedback file loaded from the command line is the newest batch; selecting it in the
    history, confirming and rolling it back withdraws its responses."""
    export = write_template(tmp_path / "feedback_template_e2e.csv", _answers(server, skip=3))
    done = server.handover("ingest", "feedback", str(export))
    assert done.returncode == 0, done.stderr + done.stdout
    batch = next(b for b in batches(server) if b["file_name"] == export.name)
    assert len(_responses_of(server, batch["batch_id"])) == 3

    goto(page, server, "upload")
    history = main(page).get_by_test_id("stDataFrame").filter(has_text=export.name)
    expect(history).to_have_count(1)
    # the grid draws its cells on a canvas and mirrors them in an ARIA grid (inside the
    # canvas, so hidden to Playwright): the file's cell is found by its text, focused, and
    # its row selected with the grid's key for it (Shift+Space), as a keyboard user would
    cell = history.get_by_role("gridcell", name=export.name, exact=True, include_hidden=True)
    expect(cell).to_have_count(1)

    def select_row() -> None:
        cell.focus()
        page.keyboard.press("Shift+Space")

    act(page, select_row)
    sure = (
        main(page)
        .get_by_test_id("stCheckbox")
        .filter(has_text=f"确定撤销第 {batch['batch_id']} 批（{export.name}）")
    )
    click(page, sure.locator("label"))
    click(page, main(page).get_by_role("button", name=re.compile("撤销此批次")), timeout=60_000)
    expect(
        main(page)
        .get_by_test_id("stAlertContentSuccess")
        .filter(has_text=f"第 {batch['batch_id']} 批已撤销")
    ).to_be_visible(timeout=60_000)
    expect_no_exception(page)

    after = next(b for b in batches(server) if b["batch_id"] == batch["batch_id"])
    assert after["rolled_back_at"] is not None
    assert _responses_of(server, batch["batch_id"]) == []


def test_rows_rejected_by_an_import_are_listed_in_the_upload_history(page, server, tmp_path):
    """A handover file loaded with --skip-invalid: its batch's expander in the history lists
    the rejected row's number, column, value (as written) and why, in Chinese."""
    export = tmp_path / "交接单_拒绝_e2e.csv"
    export.write_text(
        "交接单号,客户编号,移交人,接收人,交接原因,计划开始日期,已签保密协议\n"
        "JJ-E2E-REJ-1,KH000001,李四,王五,离职,2026-03-01,是\n"
        "JJ-E2E-REJ-2,KH000002,李四,王五,**出差**,2026-03-02,是\n",
        encoding="utf-8",
    )
    done = server.handover("ingest", "handovers", str(export), "--skip-invalid", "--no-checks")
    assert done.returncode == 0, done.stderr + done.stdout
    batch = next(b for b in batches(server) if b["file_name"] == export.name)
    assert (batch["count_rows_added"], batch["count_rows_rejected"]) == (1, 1)

    goto(page, server, "upload")
    body = main(page)
    expect(body.get_by_text("导入时拒绝的行")).to_be_visible()
    label = f"第 {batch['batch_id']} 批（{export.name}）：拒绝 1 行"
    expander = body.get_by_test_id("stExpander").filter(has_text=label)
    expect(expander).to_have_count(1)
    click(page, expander.get_by_text(label))
    rejected = expander.get_by_test_id("stDataFrame")
    expect(rejected).to_be_visible()
    for text in ("交接原因", "**出差**", "无法识别的值"):
        expect(
            rejected.get_by_role("gridcell", include_hidden=True).filter(has_text=text)
        ).not_to_have_count(0)
    expect_no_exception(page)
