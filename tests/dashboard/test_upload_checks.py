"""After an upload on the page the checks run again: the uploader (operations, who may not
run them by hand) sees what they found, and what they found in this file's rows by its row
numbers, with values masked for the role."""

from __future__ import annotations

from pipelines import audit
from pipelines.store import Store
from tests.dashboard.conftest import account_name, open_page


def test_an_upload_shows_what_the_checks_found_in_its_rows(dashboard_env, sample_db):
    content = (
        "client_id,company_name,contact_name,contact_phone,uscc,email\n"
        "KH-UP-1,上传一公司,李四,13812345678,91310000MA1K00000X,ok@example.cn\n"
        "KH-UP-2,上传二公司,王五,12345,91310000MA1K00000X,not-an-email\n"
    ).encode()
    at = open_page("upload", role="operations")
    at.segmented_control(key="upload_kind").set_value("clients").run()
    at.file_uploader[0].upload("客户资料_新.csv", content, "text/csv").run(timeout=300)  # trial
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.button(key="upload_confirm").click().run(timeout=180)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [i.value for i in at.info if i.value.startswith("数据检查已按")]
    found = next(d.value for d in at.dataframe if "文件行号" in d.value.columns)
    rows = set(found["文件行号"])
    assert 3 in rows  # the second data row (row 3 of the file): bad phone and e-mail
    values = " ".join(str(v) for v in found["问题值"])
    assert "12345" in values  # operations sees phones ...
    assert "not-an-email" not in values  # ... but not e-mail addresses unmasked
    run = [
        e for e in audit.entries(Store(sample_db)).to_dict("records") if e["action"] == "check_run"
    ][-1]
    assert (run["user_name"], run["detail"]["trigger"]) == (account_name("operations"), "upload")
