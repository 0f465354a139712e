"""The upload page erases survey comments older than retention.feedback_comments_days after
an import, as `handover ingest` does, and says how many (issue 13, part 3)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pipelines.store import Store
from tests.dashboard.conftest import open_page


def test_an_upload_erases_the_comments_past_retention(dashboard_env, sample_db):
    store = Store(sample_db)
    middle = store.query(
        "select quantile_disc(submitted_at, 0.5) from raw_feedback where comment is not null"
    ).scalar()
    days = (date.today() - middle.date()).days
    cutoff = datetime.combine(date.today(), datetime.min.time()) - timedelta(days=days)
    older, newer = store.query(
        "select count(*) filter (where submitted_at < ?), "
        "count(*) filter (where submitted_at >= ?) from raw_feedback "
        "where comment is not null",
        [cutoff, cutoff],
    ).first()
    assert older and newer
    dashboard_env.write_text(f"[retention]\nfeedback_comments_days = {days}\n", encoding="utf-8")
    content = ("client_id,company_name,contact_name\nKH-RET-9,保留期限测试公司,赵六\n").encode()
    at = open_page("upload", role="operations")
    at.segmented_control(key="upload_kind").set_value("clients").run()
    at.file_uploader[0].upload("客户资料_留存.csv", content, "text/csv").run(timeout=300)
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.button(key="upload_confirm").click().run(timeout=180)
    assert not at.exception and not at.error, [e.value for e in at.error]
    done = [s.value for s in at.success if "保留期限" in s.value]
    assert done and f"删除了 {older:,} 条超过 {days} 天的问卷留言" in done[0]
    assert store.query(
        "select count(*) filter (where submitted_at < ?), "
        "count(*) filter (where submitted_at >= ?) from raw_feedback "
        "where comment is not null",
        [cutoff, cutoff],
    ).first() == (0, newer)
