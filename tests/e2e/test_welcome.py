"""`handover serve` on a mistyped path: the dashboard starts empty with the welcome on every
page, creates no database file, and creates it only when someone asks for the sample."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.app_utils import (
    PAGES,
    act,
    expect_no_exception,
    expect_title,
    goto,
    main,
    start_server,
    stop_server,
)


def test_serve_on_a_missing_database_creates_it_only_for_the_sample(page, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("e2e_welcome")
    db = workdir / "mistyped.duckdb"
    server = start_server(workdir, demo=False, db=db)
    try:
        assert "No database at" in server.log_text()
        for key, (zh, _en) in PAGES.items():
            goto(page, server, key, timeout=120_000)
            expect_no_exception(page)
            expect(main(page).get_by_test_id("stAlertContentError")).to_have_count(0)
            expect_title(
                page, zh if key in ("upload", "settings", "audit") else "欢迎使用交接评估看板"
            )
        goto(page, server, "", lang="en")
        expect_title(page, "Welcome to Handover insight")
        expect(main(page)).to_contain_text("Handovers and events")
        assert not db.exists(), "the dashboard created the database by itself"

        act(
            page,
            main(page).get_by_role("button", name="Load the sample data").click,
            timeout=240_000,
        )
        expect(main(page).locator("h1").first).to_have_text("Overview", timeout=240_000)
        expect_no_exception(page)
        assert db.exists()
        expect(page.get_by_test_id("stSidebar")).to_contain_text("Sample data of a made-up")
        expect(page.get_by_test_id("stMetric").first).to_be_visible()
    finally:
        print(f"\n----- handover serve log -----\n{stop_server(server)}")
