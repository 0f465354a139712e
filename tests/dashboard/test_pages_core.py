"""AppTest: overview, handovers, data quality and upload, in both languages and for each role
that may open them; values on the page equal what metrics/ and data_checks/ compute."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.roles import roles
from data_checks.registry import CHECKS
from metrics.catalogue import format_value
from metrics.figures import FIGURE_KEYS, compute_figures
from pipelines.store import Store
from sample_data.generator import SAMPLE_AS_OF
from sample_data.loader import load_sample
from sample_data.surveys import Answer, write_wjx
from tests.dashboard.conftest import login, prepare_role

APP = str(Path(__file__).parents[2] / "dashboard" / "app.py")
TITLES = {
    "overview": ("总览", "Overview"),
    "handovers": ("交接明细", "Handovers"),
    "data_quality": ("数据质量", "Data quality"),
    "upload": ("数据上传", "Upload"),
}


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> Path:
    from data_checks.results import save_run
    from data_checks.runner import run_checks

    path = tmp_path_factory.mktemp("pages") / "pages.duckdb"
    store = Store(path)
    load_sample(store, "small")
    save_run(store, run_checks(store, SAMPLE_AS_OF))
    return path


def _app(
    database: Path,
    monkeypatch,
    role: str = "management",
    lang: str = "zh",
    page: str | None = None,
    params: dict | None = None,
) -> AppTest:
    monkeypatch.setenv("HANDOVER_DB", str(database))
    prepare_role(database, monkeypatch, role)
    monkeypatch.setenv("HANDOVER_CONFIG", str(database.with_name("none.toml")))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lang"] = lang
    at.query_params["as_of"] = SAMPLE_AS_OF.isoformat()
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    login(at, role)
    if page:
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


CASES = [
    (page, role, lang)
    for page in TITLES
    for role, spec in roles().items()
    if spec.may_open(page)
    for lang in ("zh", "en")
]


@pytest.mark.parametrize(("page", "role", "lang"), CASES)
def test_page_renders_for_each_role_and_language(database, monkeypatch, page, role, lang):
    at = _app(database, monkeypatch, role, lang, page)
    assert at.title[0].value == TITLES[page][0 if lang == "zh" else 1]
    assert not at.error


def test_a_role_does_not_see_pages_it_may_not_open(database, monkeypatch):
    at = _app(database, monkeypatch, "operations")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("views/overview.py").run()
    assert at.title[0].value == "交接明细"  # its first page


def test_overview_tiles_show_the_figures_of_metrics(database, monkeypatch):
    at = _app(database, monkeypatch, page="overview")
    from metrics.rollups import stated_periods
    from metrics.selection import Filters

    expected = compute_figures(Store(database), SAMPLE_AS_OF)
    # a period figure's tile shows the stated period (issue 11: value and change of the same
    # kind of window); the handovers in total are the whole selection
    start, end = stated_periods(Store(database), SAMPLE_AS_OF, Filters()).current
    period = compute_figures(
        Store(database), SAMPLE_AS_OF, Filters(period_from=start, period_to=end)
    )
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["交接总数"] == format_value("handovers_total", expected["handovers_total"])
    assert tiles["按时完成率"] == format_value("on_time_rate", period["on_time_rate"])
    assert tiles["净推荐值 NPS"] == format_value("nps", period["nps"])
    assert len(tiles) == len(FIGURE_KEYS)
    english = _app(database, monkeypatch, lang="en", page="overview")
    assert "On-time rate" in {m.label for m in english.metric}


def test_handover_record_opens_from_the_url(database, monkeypatch):
    handover = (
        Store(database)
        .query(
            "select handover_id from stg_handovers where actual_end is not null "
            "order by handover_id limit 1"
        )
        .scalar()
    )
    at = _app(database, monkeypatch, page="handovers", params={"handover": handover})
    assert at.header[0].value.startswith(f"交接档案 {handover}")
    subheaders = [s.value for s in at.subheader]
    for part in ("交接单", "客户资料", "风险标记及原因", "交接日志时间线", "清单逐项核对"):
        assert part in subheaders


def test_phone_numbers_are_masked_unless_the_role_may_see_them(database, monkeypatch):
    row = (
        Store(database)
        .query(
            "select h.handover_id, c.contact_phone from stg_handovers h join stg_clients c "
            "using (client_id) where c.contact_phone like '1%' and length(c.contact_phone) = 11 "
            "limit 1"
        )
        .first()
    )
    handover, phone = row
    masked = _app(
        database, monkeypatch, "management", page="handovers", params={"handover": handover}
    )
    shown = " ".join(str(df.value.to_dict()) for df in masked.dataframe)
    assert phone not in shown and f"{phone[:3]}****{phone[-4:]}" in shown
    clear = _app(database, monkeypatch, "quality", page="handovers", params={"handover": handover})
    assert phone in " ".join(str(df.value.to_dict()) for df in clear.dataframe)


def test_data_quality_lists_checks_and_runs_them(database, monkeypatch):
    at = _app(database, monkeypatch, page="data_quality")
    checks = at.dataframe[0].value
    assert len(checks) == len(CHECKS)
    before = Store(database).query("select count(*) from check_runs").scalar()
    at.button[0].click().run()
    assert not at.exception
    assert Store(database).query("select count(*) from check_runs").scalar() == before + 1
    assert at.success and "检查已完成" in at.success[0].value


def test_upload_validates_then_imports_a_survey_export(database, monkeypatch, tmp_path):
    names = [
        r[0]
        for r in Store(database)
        .query("select company_name from stg_clients order by client_id limit 2")
        .rows
    ]
    path = write_wjx(
        tmp_path / "回访.csv",
        [
            Answer(datetime(2026, 11, 1, 10, n), company_name=name, satisfaction=5, recommend=10)
            for n, name in enumerate(names)
        ],
    )
    at = _app(database, monkeypatch, page="upload")
    at.file_uploader[0].upload(path.name, path.read_bytes(), "text/csv").run()
    assert not at.exception
    assert any("问卷星" in m.value for m in at.markdown)
    assert {m.label: m.value for m in at.metric}["读取行数"] == "2"
    before = Store(database).query("select count(*) from batches").scalar()
    at.button(key="upload_confirm").click().run()
    assert not at.exception
    assert Store(database).query("select count(*) from batches").scalar() == before + 1
    assert "读取 2 份，导入 2 份" in at.success[0].value


def test_upload_lists_every_bad_row_and_loads_nothing(database, monkeypatch, tmp_path):
    path = tmp_path / "交接单.csv"
    path.write_text(
        "交接单号,客户编号,移交人,接收人,计划完成日期\n"
        "JJX-1,KH000001,甲,乙,2026-02-30\nJJX-2,KH000001,甲,乙,2026-03-01\n",
        encoding="utf-8",
    )
    at = _app(database, monkeypatch, page="upload")
    at.segmented_control(key="upload_kind").set_value("handovers").run()
    at.file_uploader[0].upload(path.name, path.read_bytes(), "text/csv").run()
    assert not at.exception
    problems = at.dataframe[2].value if len(at.dataframe) > 2 else None
    assert problems is not None and list(problems["行号"]) == [2]
    confirm = at.button(key="upload_confirm")
    assert confirm.disabled


def test_an_invalid_configuration_warns_and_the_pages_still_work(database, monkeypatch):
    bad = database.with_name("bad.toml")
    bad.write_text("[weights]\nquality = 500\n", encoding="utf-8")
    monkeypatch.setenv("HANDOVER_DB", str(database))
    monkeypatch.setenv("HANDOVER_CONFIG", str(bad))
    prepare_role(database, monkeypatch, "management")
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    login(at, "management")
    assert not at.exception
    assert any("weights.quality = 500" in w.value for w in at.warning)
    at.switch_page("views/settings.py").run()
    assert not at.exception and at.title[0].value == "评分设置"
